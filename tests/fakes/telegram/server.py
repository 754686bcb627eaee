"""HTTP on loopback: `/bot<token>/<method>` for the Bot API and `/_fake/...` for control."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from tests.fakes.http_server import JsonHandler

from . import control
from .wire import ApiError, encode_json, parse_request

if TYPE_CHECKING:
    from .fake import FakeTelegram


class RequestHandler(JsonHandler["FakeTelegram"]):
    # HTTP/1.1 (JsonHandler's) keeps httpx's pooled connections alive, as api.telegram.org does.
    server_version = "nginx"
    sys_version = ""
    log_name = "fake-telegram"
    announce_close = True

    def respond(self) -> None:
        try:
            status, payload = self._route()
        except Exception as error:  # a bug in the fake: say so instead of dropping the socket
            self.close_connection = True
            description = f"Internal Server Error: {type(error).__name__}: {error}"
            status, payload = 500, ApiError(500, description).body()
        self.send_json(status, payload)

    def _route(self) -> tuple[int, Any]:
        url = urlsplit(self.path)
        body = self.read_body()
        fake = self.fake
        if url.path.startswith("/_fake/"):
            route = url.path.removeprefix("/_fake/").strip("/")
            return control.handle(fake, self.command, route, url.query, body)
        return self._bot_api(fake, url.path, url.query, body)

    def _bot_api(self, fake: FakeTelegram, path: str, query: str, body: bytes) -> tuple[int, Any]:
        token, _, method = path.removeprefix("/bot").partition("/")
        if not path.startswith("/bot") or not method or "/" in method:
            return 404, ApiError(404, "Not Found").body()
        try:
            request = parse_request(self.headers.get("Content-Type", ""), body, query)
        except ApiError as error:
            return error.code, error.body()
        return fake.api.call(token, method, request)

    def read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self._read_chunked()
        return super().read_body()

    def _read_chunked(self) -> bytes:
        chunks: list[bytes] = []
        while True:
            size = int(self.rfile.readline().split(b";", 1)[0].strip() or b"0", 16)
            if size == 0:
                self.rfile.readline()  # the blank line after the last chunk
                return b"".join(chunks)
            chunks.append(self.rfile.read(size))
            self.rfile.readline()

    def encode(self, payload: Any) -> bytes:
        return encode_json(payload)
