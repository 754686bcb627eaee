"""`FakeMpesa`: Daraja's STK Push API on loopback, and the customer's phone, for tests.

Point a rail at `fake.base_url`. The customer's side is driven from Python or over HTTP:

    POST /_fake/pay           {"checkout_id"}
    POST /_fake/fail          {"checkout_id", "result_code"?}   (default 1032, cancelled)
    POST /_fake/expire        {"checkout_id"}                   (1019)
    POST /_fake/fire_callback {"checkout_id", "times"?, "delay"?}
    POST /_fake/outage        {"mode": "500" | "hang" | null}
    POST /_fake/revoke_tokens
    GET  /_fake/pending       the prompts still waiting on a phone
    GET  /_fake/requests      every STK request

    python -m tests.fakes.mpesa --port P --consumer-key K --consumer-secret S --passkey X
"""

from __future__ import annotations

import argparse
import json
import signal
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Literal

from tests.fakes.http_server import LoopbackFake, LoopbackServer
from tests.fakes.mpesa_daraja import Answer, DarajaApi, JsonDict, StkRequest, error, utcnow
from tests.fakes.mpesa_server import Firing, Handler, callback_body, post_json

Outage = Literal["500", "hang"] | None
HANG_LIMIT_S = 60.0  # a hung request is released after this long, or at stop()


class FakeMpesa(LoopbackFake):
    def __init__(
        self,
        consumer_key: str = "fake-consumer-key",
        consumer_secret: str = "fake-consumer-secret",  # noqa: S107
        passkey: str = "fake-passkey-bfb279f9aa9bdbcf158e97dd71a467cd",
        shortcode: str = "174379",
        host: str = "127.0.0.1",
        port: int = 0,
        clock: Callable[[], datetime] = utcnow,
        verbose: bool = False,
    ) -> None:
        self.api = DarajaApi(consumer_key, consumer_secret, passkey, shortcode, clock)
        self.hits: list[tuple[str, str]] = []  # (verb, path) of every API request
        self.outage_mode: Outage = None
        self._release = threading.Event()
        self._http = LoopbackServer((host, port), Handler, self, name="fake-mpesa", verbose=verbose)

    # -- lifecycle ----------------------------------------------------------------------------

    def stop(self) -> None:
        self._release.set()
        super().stop()

    @property
    def base_url(self) -> str:
        return self._http.url  # RuntimeError "FakeMpesa is not started"

    # -- the customer's side and the operator's -----------------------------------------------

    def pay(self, checkout_id: str) -> StkRequest:
        """The customer enters their PIN: the request is paid (send the callback separately)."""
        return self.api.settle(checkout_id, 0)

    def fail(self, checkout_id: str, result_code: int = 1032) -> StkRequest:
        return self.api.settle(checkout_id, result_code)

    def expire(self, checkout_id: str) -> StkRequest:
        return self.api.settle(checkout_id, 1019)

    def fire_callback(self, checkout_id: str, times: int = 1, delay: float = 0.0) -> Firing:
        """POST the settled request's callback to its CallBackURL, `times` times.

        With a delay, the deliveries happen in a thread (`Firing.join()` waits for them).
        """
        with self.api.lock:
            request = self.api.requests.get(checkout_id)
            if request is None:
                raise LookupError(f"no STK request {checkout_id!r}")
            body, url = json.dumps(callback_body(request)).encode(), request.callback_url
        firing = Firing()

        def deliver() -> None:
            time.sleep(delay)
            for _ in range(times):
                firing.results.append(post_json(url, body))

        if delay > 0:
            firing.thread = threading.Thread(target=deliver, name="fake-mpesa-callback")
            firing.thread.start()
        else:
            deliver()
        return firing

    def outage(self, mode: Outage) -> None:
        """Every API call answers 500, or hangs until the mode is lifted; None heals."""
        if mode not in ("500", "hang", None):
            raise ValueError(f"unknown outage mode {mode!r}")
        self.outage_mode = mode
        if mode == "hang":
            self._release.clear()
        else:
            self._release.set()

    def revoke_tokens(self) -> None:
        """Invalidate the current token, as a token minted elsewhere would."""
        with self.api.lock:
            self.api.revoke_tokens()

    def pending_requests(self) -> list[JsonDict]:
        with self.api.lock:
            return [r.to_json() for r in self.api.requests.values() if r.result_code is None]

    def requests(self) -> list[JsonDict]:
        with self.api.lock:
            return [r.to_json() for r in self.api.requests.values()]

    # -- serving ------------------------------------------------------------------------------

    def serve(self, verb: str, target: str, headers: dict[str, str], body: bytes) -> Answer:
        if target.startswith("/_fake/"):
            return self._control(verb, target.removeprefix("/_fake/").strip("/"), body)
        self.hits.append((verb, target.split("?", 1)[0]))
        if self.outage_mode == "hang":
            self._release.wait(HANG_LIMIT_S)
            return error(503, "503.001.01", "Service Unavailable")
        if self.outage_mode == "500":
            return error(500, "500.003.1001", "Internal Server Error")
        return self.api.handle(verb, target, headers, body)

    def _control(self, verb: str, route: str, body: bytes) -> Answer:
        try:
            if verb == "GET" and route in ("pending", "requests"):
                listing = self.pending_requests() if route == "pending" else self.requests()
                return 200, {"ok": True, "requests": listing}
            data = json.loads(body) if body else {}
            if verb != "POST" or not isinstance(data, dict):
                return 404, {"ok": False, "description": f"no route {verb} /_fake/{route}"}
            return 200, {"ok": True, **self._command(route, data)}
        except (KeyError, LookupError, TypeError, ValueError) as err:
            return 400, {"ok": False, "description": f"{type(err).__name__}: {err}"}

    def _command(self, route: str, data: JsonDict) -> JsonDict:
        if route == "outage":
            self.outage(data.get("mode"))
            return {}
        if route == "revoke_tokens":
            self.revoke_tokens()
            return {}
        checkout_id = str(data["checkout_id"])
        if route == "fire_callback":
            delay = float(data.get("delay", 0))
            firing = self.fire_callback(checkout_id, int(data.get("times", 1)), delay)
            return {"results": firing.results}
        settle = {"pay": self.pay, "expire": self.expire}.get(route)
        if settle is not None:
            return {"request": settle(checkout_id).to_json()}
        if route == "fail":
            return {"request": self.fail(checkout_id, int(data.get("result_code", 1032))).to_json()}
        raise LookupError(f"no control route {route!r}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="A fake M-Pesa Daraja STK Push API.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--consumer-key", required=True)
    parser.add_argument("--consumer-secret", required=True)
    parser.add_argument("--passkey", required=True)
    parser.add_argument("--shortcode", default="174379")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args(argv)
    fake = FakeMpesa(
        args.consumer_key,
        args.consumer_secret,
        args.passkey,
        args.shortcode,
        args.host,
        args.port,
        verbose=args.verbose,
    )
    stopping = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stopping.set())
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    with fake:
        print(f"fake M-Pesa at {fake.base_url} (control: {fake.base_url}/_fake/)", flush=True)
        while not stopping.wait(0.5):
            pass


if __name__ == "__main__":
    main()
