"""The Bot API wire format: request bodies in, `{"ok": ...}` envelopes out.

Telegram accepts parameters as a query string, JSON, url-encoded form or multipart form.
PTB sends forms whose non-string values are JSON-encoded (`chat_id=42`, `reply_markup={...}`),
and multipart with a file part named after the parameter (`photo`) when it uploads a file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any
from urllib.parse import parse_qsl

JsonDict = dict[str, Any]

# Parameters Telegram reads as strings: never JSON-decode them, so a text of "42" stays text.
TEXT_PARAMS = frozenset(
    {
        "text", "caption", "title", "description", "payload", "currency", "provider_token",
        "start_parameter", "url", "secret_token", "ip_address", "name", "callback_query_id",
        "pre_checkout_query_id", "error_message", "telegram_payment_charge_id", "parse_mode",
        "photo", "document", "inline_message_id", "photo_url", "invite_link",
    }
)  # fmt: skip


class ApiError(Exception):
    """A Bot API failure, answered as `{"ok": false, "error_code": ..., "description": ...}`."""

    def __init__(self, code: int, description: str, parameters: JsonDict | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters

    def body(self) -> JsonDict:
        body: JsonDict = {"ok": False, "error_code": self.code, "description": self.description}
        if self.parameters is not None:
            body["parameters"] = self.parameters
        return body


def bad_request(reason: str) -> ApiError:
    return ApiError(400, f"Bad Request: {reason}")


def ok_body(result: Any, description: str | None = None) -> JsonDict:
    body: JsonDict = {"ok": True, "result": result}
    if description is not None:
        body["description"] = description
    return body


@dataclass(frozen=True)
class UploadedFile:
    """What the fake keeps of an uploaded file: enough to build a result, not the bytes."""

    field: str
    filename: str
    content_type: str
    size: int


@dataclass(frozen=True)
class ApiRequest:
    params: JsonDict = field(default_factory=dict)
    files: dict[str, UploadedFile] = field(default_factory=dict)


def parse_request(content_type: str, body: bytes, query: str) -> ApiRequest:
    """Merge query-string and body parameters; raise `ApiError` on an unreadable body."""
    try:
        return _parse(content_type, body, query)
    except UnicodeDecodeError as error:
        raise bad_request(f"request is not valid UTF-8: {error}") from error


def _parse(content_type: str, body: bytes, query: str) -> ApiRequest:
    params = decode_form_pairs(parse_qsl(query, keep_blank_values=True))
    media_type = content_type.split(";", 1)[0].strip().lower()
    if not body:
        return ApiRequest(params)
    if media_type == "application/json":
        params.update(_parse_json_object(body))
        return ApiRequest(params)
    if media_type == "application/x-www-form-urlencoded":
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True)
        params.update(decode_form_pairs(pairs))
        return ApiRequest(params)
    if media_type == "multipart/form-data":
        fields, files = _parse_multipart(content_type, body)
        params.update(fields)
        return ApiRequest(params, files)
    return ApiRequest(params)


def decode_form_pairs(pairs: list[tuple[str, str]]) -> JsonDict:
    return {name: decode_form_value(name, value) for name, value in pairs}


def decode_form_value(name: str, value: str) -> Any:
    """Give a form value its JSON type (42, true, {...}) unless Telegram reads it as text."""
    if name in TEXT_PARAMS:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value  # "@channel", plain words: Telegram takes them as strings too


def _parse_json_object(body: bytes) -> JsonDict:
    try:
        data = json.loads(body)
    except ValueError as error:
        raise bad_request(f"can't parse JSON body: {error}") from error
    if not isinstance(data, dict):
        raise bad_request("JSON body must be an object")
    return data


def _parse_multipart(content_type: str, body: bytes) -> tuple[JsonDict, dict[str, UploadedFile]]:
    # The email parser understands MIME multipart; give it the header the body was sent with.
    head = f"Content-Type: {content_type}\r\n\r\n".encode()
    message = BytesParser(policy=HTTP).parsebytes(head + body)
    if not isinstance(message, EmailMessage) or not message.is_multipart():
        raise bad_request("can't parse multipart body")
    fields: JsonDict = {}
    files: dict[str, UploadedFile] = {}
    for part in message.iter_parts():
        if not isinstance(part, EmailMessage):
            continue
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        raw = part.get_payload(decode=True)
        data = raw if isinstance(raw, bytes) else b""
        filename = part.get_filename()
        if filename is None:
            fields[name] = decode_form_value(name, data.decode("utf-8"))
        else:
            files[name] = UploadedFile(name, filename, part.get_content_type(), len(data))
    return fields, files


def encode_json(body: Any) -> bytes:
    return json.dumps(body, ensure_ascii=False).encode("utf-8")
