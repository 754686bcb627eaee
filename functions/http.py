"""Checks every inbound HTTP path shares: constant-time secrets and bounded JSON bodies."""

from __future__ import annotations

import hmac
import json
from typing import Any

import flask


class BadRequest(Exception):
    """Malformed input: answered 400 with this short reason, nothing written."""


def secret_matches(presented: str | None, expected: str) -> bool:
    """Compare in constant time so response timing does not leak the secret."""
    return presented is not None and hmac.compare_digest(
        presented.encode("utf-8"), expected.encode("utf-8")
    )


def json_body(request: flask.Request, max_bytes: int) -> dict[str, Any]:
    """The request's JSON object, refusing oversize, non-JSON and non-object bodies."""
    if request.content_length is not None and request.content_length > max_bytes:
        raise BadRequest("body too large")
    raw = request.get_data(cache=False)
    if len(raw) > max_bytes:
        raise BadRequest("body too large")
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError) as err:  # nested too deep: not ours
        raise BadRequest("body is not JSON") from err
    if not isinstance(body, dict):
        raise BadRequest("body is not a JSON object")
    return body


def answer(status: int, reason: str) -> tuple[dict[str, str], int]:
    """A short JSON error answer."""
    return {"error": reason}, status
