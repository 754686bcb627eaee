"""What the fake HTTP servers share: a loopback server in a daemon thread, and JSON plumbing.

    self._http = LoopbackServer((host, port), Handler, self, name="fake-x")
    self._http.start()                  # bind (unless bind() did already) and serve
    self._http.url, self._http.port     # RuntimeError while not bound
    self._http.stop()                   # shutdown, free the port, join the thread

`Handler(JsonHandler["FakeX"])` answers GET and POST in `respond()`, sees the fake as
`self.fake`, and says its wire personality (Server header, content type) in class attributes.
"""

from __future__ import annotations

import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Generic, Self, TypeVar, cast

F = TypeVar("F")


class FakeHTTPServer(ThreadingHTTPServer, Generic[F]):
    """A ThreadingHTTPServer that knows the fake its handlers serve."""

    daemon_threads = True  # a hung request must not keep the test process alive

    def __init__(
        self,
        address: tuple[str, int],
        handler: type[BaseHTTPRequestHandler],
        fake: F,
        verbose: bool = False,
    ) -> None:
        super().__init__(address, handler)
        self.fake = fake
        self.verbose = verbose


class LoopbackServer(Generic[F]):
    """A fake's server: bound by `bind()` or `start()`, served in a daemon thread until `stop()`.

    `stop()` frees the port; a later `start()` binds again (a new port when it was 0).
    """

    def __init__(
        self,
        address: tuple[str, int],
        handler: type[BaseHTTPRequestHandler],
        fake: F,
        *,
        name: str,
        verbose: bool = False,
    ) -> None:
        self.server: FakeHTTPServer[F] | None = None
        self.host = address[0]  # as given: "localhost" stays "localhost" in the URL
        self._address, self._handler, self._fake = address, handler, fake
        self._name, self._verbose = name, verbose
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        if self.server is None:
            raise RuntimeError(f"{type(self._fake).__name__} is not started")
        return int(self.server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def bind(self) -> FakeHTTPServer[F]:
        if self.server is None:
            self.server = FakeHTTPServer(self._address, self._handler, self._fake, self._verbose)
        return self.server

    def start(self) -> None:
        server = self.bind()
        if self._thread is None:
            # A short poll interval makes stop() quick; tests start and stop a fake each.
            self._thread = threading.Thread(
                target=server.serve_forever, args=(0.05,), name=self._name, daemon=True
            )
            self._thread.start()

    def stop(self) -> None:
        """Stop serving and free the port (hung handlers are daemon threads: left behind)."""
        server, thread, self.server, self._thread = self.server, self._thread, None, None
        if server is None:
            return
        if thread is not None:
            server.shutdown()  # waits for serve_forever, so only when it runs
        server.server_close()
        if thread is not None:
            thread.join(timeout=5)


class LoopbackFake:
    """A fake served by its `_http`: `start()`, `stop()`, and `with fake:` for both."""

    _http: LoopbackServer[Any]

    def start(self) -> Self:
        self._http.start()
        return self

    def stop(self) -> None:
        self._http.stop()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, err: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


class JsonHandler(BaseHTTPRequestHandler, Generic[F]):
    """GET and POST go to `respond()`; `send_json()` answers with a JSON body."""

    protocol_version = "HTTP/1.1"  # keeps clients' pooled connections alive, as real APIs do
    log_name = ""  # with a verbose server, requests are logged to stderr under this; "": never
    content_type = "application/json"
    announce_close = False  # say `Connection: close` when the connection is to be closed

    def do_GET(self) -> None:
        self.respond()

    def do_POST(self) -> None:
        self.respond()

    def respond(self) -> None:
        raise NotImplementedError

    @property
    def fake(self) -> F:
        assert isinstance(self.server, FakeHTTPServer)
        return cast(F, self.server.fake)

    def log_message(self, format: str, *args: Any) -> None:  # stdlib's parameter name
        assert isinstance(self.server, FakeHTTPServer)
        if self.log_name and self.server.verbose:
            sys.stderr.write(f"{self.log_name}: {format % args}\n")

    def read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def encode(self, payload: Any) -> bytes:
        return json.dumps(payload).encode()

    def send_json(self, status: int, payload: Any) -> None:
        data = self.encode(payload)
        self.send_response(status)
        self.send_header("Content-Type", self.content_type)
        self.send_header("Content-Length", str(len(data)))
        if self.announce_close and self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(data)
