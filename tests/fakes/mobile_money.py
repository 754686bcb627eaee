"""What the fake mobile-money providers (MTN MoMo, Airtel, Flutterwave) share: a JSON
handler that also answers PUT and empty 202s, OAuth tokens that expire on the fake's clock,
outages, and callback deliveries (PUT or POST, now or after a delay, any number of times).

A fake subclasses `MobileMoneyFake`, sets `self._http = LoopbackServer(..., Handler, self)`
and implements `api(verb, path, query, headers, body)` (called under `lock`) and
`command(verb, route, data)` (which takes the lock itself, never while sending); the
control API is `/_fake/<route>` (POST with a JSON object, or GET for listings).
"""

from __future__ import annotations

import json
import secrets
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal
from urllib.parse import parse_qs, urlsplit

from tests.fakes.http_server import JsonHandler, LoopbackFake

Json = dict[str, Any]
Answer = tuple[int, Any]  # status and JSON payload (None: an empty body)
Outage = Literal["500", "hang", "accept_then_500"] | None
HANG_LIMIT_S = 30.0


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class Delivery:
    """One callback sent: where, how, and what our side answered (status or error name)."""

    url: str
    method: str
    body: bytes
    headers: dict[str, str]
    answered: int | str | None = None


def deliver(url: str, method: str, body: bytes, headers: dict[str, str]) -> int | str:
    request = urllib.request.Request(url, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as err:
        return int(err.code)
    except OSError as err:  # refused, timeout: the provider logs it and moves on
        return type(err).__name__


@dataclass
class Tokens:
    """Bearer tokens minted by the fake, each valid `lifetime` on its clock."""

    clock: Callable[[], datetime]
    lifetime: timedelta = timedelta(seconds=3600)
    issued: dict[str, datetime] = field(default_factory=dict)
    minted: int = 0

    def mint(self) -> tuple[str, int]:
        token = secrets.token_urlsafe(24)
        self.issued[token] = self.clock() + self.lifetime
        self.minted += 1
        return token, int(self.lifetime.total_seconds())

    def valid(self, authorization: str | None) -> bool:
        token = (authorization or "").removeprefix("Bearer ").strip()
        expires = self.issued.get(token)
        return expires is not None and self.clock() < expires

    def revoke(self) -> None:
        self.issued.clear()


class Handler(JsonHandler["MobileMoneyFake"]):
    disable_nagle_algorithm = True
    sys_version = ""

    def do_PUT(self) -> None:
        self.respond()

    def respond(self) -> None:
        body = self.read_body()
        headers = {k.lower(): v for k, v in self.headers.items()}
        try:
            status, payload = self.fake.serve(self.command, self.path, headers, body)
        except Exception as err:  # a bug in the fake: say so instead of dropping the socket
            status, payload = 500, {"fake_error": repr(err)}
        try:
            if payload is None:
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()
            else:
                self.send_json(status, payload)
        except OSError:  # the client gave up during a hang
            self.close_connection = True


class MobileMoneyFake(LoopbackFake):
    """Outages, deliveries and the control API; the provider's own API is `api()`."""

    def __init__(self, clock: Callable[[], datetime] = utcnow) -> None:
        self.clock = clock
        self.lock = threading.RLock()
        self.outage_mode: Outage = None
        self.outage_left: int | None = None  # calls until the outage heals; None: never
        self.hits: list[tuple[str, str]] = []  # (verb, path) of every API request
        self.deliveries: list[Delivery] = []
        # False: callbacks are recorded, not sent (a test replays them to the test client).
        self.delivering = True
        self._release = threading.Event()

    @property
    def base_url(self) -> str:
        return self._http.url

    def stop(self) -> None:
        self._release.set()
        super().stop()

    def outage(self, mode: Outage, calls: int | None = None) -> None:
        """Every API call answers 500, hangs, or (accept_then_500) does its work and then
        answers 500, as a provider whose reply was lost; for the next `calls` calls only if
        given (a blip); None heals."""
        if mode not in ("500", "hang", "accept_then_500", None):
            raise ValueError(f"unknown outage mode {mode!r}")
        self.outage_mode, self.outage_left = mode, calls
        if mode == "hang":
            self._release.clear()
        else:
            self._release.set()

    def send(
        self,
        url: str,
        payload: Json,
        *,
        method: str = "POST",
        headers: dict[str, str] | None = None,
        times: int = 1,
        delay: float = 0.0,
    ) -> list[Delivery]:
        """Deliver a callback `times` times (in a thread after `delay`, else now)."""
        body = json.dumps(payload).encode()
        sent = {"Content-Type": "application/json", **(headers or {})}
        made = [Delivery(url, method, body, sent) for _ in range(times)]
        with self.lock:
            self.deliveries.extend(made)

        if not self.delivering:
            return made

        def run() -> None:
            time.sleep(delay)
            for delivery in made:
                delivery.answered = deliver(url, method, body, sent)

        if delay > 0:
            threading.Thread(target=run, name="fake-callback", daemon=True).start()
        else:
            run()
        return made

    # -- serving --------------------------------------------------------------------------

    def serve(self, verb: str, target: str, headers: dict[str, str], body: bytes) -> Answer:
        parts = urlsplit(target)
        if parts.path.startswith("/_fake/"):
            return self._control(verb, parts.path.removeprefix("/_fake/").strip("/"), body)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        with self.lock:
            self.hits.append((verb, parts.path))
            mode = self.outage_mode
            if self.outage_left is not None:
                self.outage_left -= 1
                if self.outage_left <= 0:
                    self.outage_mode, self.outage_left = None, None
        if mode == "hang":
            self._release.wait(HANG_LIMIT_S)
            return 503, {"message": "Service Unavailable"}
        if mode == "500":
            return 500, {"message": "Internal Server Error"}
        with self.lock:
            answer = self.api(verb, parts.path, query, headers, body)
        if mode == "accept_then_500":
            return 500, {"message": "Internal Server Error"}
        return answer

    def _control(self, verb: str, route: str, body: bytes) -> Answer:
        try:
            data = json.loads(body) if body else {}
            if not isinstance(data, dict):
                raise TypeError("a JSON object please")
            if route == "outage" and verb == "POST":
                self.outage(data.get("mode"), data.get("calls"))
                return 200, {"ok": True}
            # Not under the lock: a callback sent from here makes our side ask the API.
            return 200, {"ok": True, **self.command(verb, route, data)}
        except (KeyError, LookupError, TypeError, ValueError) as err:
            return 400, {"ok": False, "description": f"{type(err).__name__}: {err}"}

    def api(
        self, verb: str, path: str, query: dict[str, str], headers: dict[str, str], body: bytes
    ) -> Answer:
        raise NotImplementedError

    def command(self, verb: str, route: str, data: Json) -> Json:
        raise NotImplementedError


def json_body(body: bytes) -> Json | None:
    try:
        data = json.loads(body)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None
