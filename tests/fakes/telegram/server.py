"""HTTP on loopback: `/bot<token>/<method>` for the Bot API and `/_fake/...` for control."""

from __future__ import annotations

import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from . import control
from .wire import ApiError, encode_json, parse_request

if TYPE_CHECKING:
    from .fake import FakeTelegram


class FakeServer(ThreadingHTTPServer):
    daemon_threads = True  # a stuck client must not keep the test process alive

    def __init__(self, address: tuple[str, int], fake: FakeTelegram, verbose: bool) -> None:
        super().__init__(address, RequestHandler)
        self.fake = fake
        self.verbose = verbose


class RequestHandler(BaseHTTPRequestHandler):
    # HTTP/1.1 keeps httpx's pooled connections alive, as api.telegram.org does.
    protocol_version = "HTTP/1.1"
    server_version = "nginx"
    sys_version = ""

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def log_message(self, format: str, *args: Any) -> None:  # stdlib's parameter name
        if self._fake_server().verbose:
            sys.stderr.write(f"fake-telegram: {format % args}\n")

    def _fake_server(self) -> FakeServer:
        assert isinstance(self.server, FakeServer)
        return self.server

    def _handle(self) -> None:
        try:
            status, payload = self._route()
        except Exception as error:  # a bug in the fake: say so instead of dropping the socket
            self.close_connection = True
            description = f"Internal Server Error: {type(error).__name__}: {error}"
            status, payload = 500, ApiError(500, description).body()
        self._send_json(status, payload)

    def _route(self) -> tuple[int, Any]:
        url = urlsplit(self.path)
        body = self._read_body()
        fake = self._fake_server().fake
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

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self._read_chunked()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _read_chunked(self) -> bytes:
        chunks: list[bytes] = []
        while True:
            size = int(self.rfile.readline().split(b";", 1)[0].strip() or b"0", 16)
            if size == 0:
                self.rfile.readline()  # the blank line after the last chunk
                return b"".join(chunks)
            chunks.append(self.rfile.read(size))
            self.rfile.readline()

    def _send_json(self, status: int, payload: Any) -> None:
        data = encode_json(payload)
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(data)
