"""A fake rates API on loopback, shaped like CoinGecko's simple price endpoint:

    GET /simple/price?ids=bitcoin,litecoin&vs_currencies=pln
        -> {"bitcoin": {"pln": 412345.67}, "litecoin": {"pln": 345.12}}

Prices are JSON numbers, as there (a client must read them without going through a float).
An id or currency the fake has no price for is left out, as CoinGecko leaves it out.
Control: POST /_fake/price {"id": "bitcoin", "currency": "pln", "price": "412345.67"},
POST /_fake/outage {"mode": "500" | null}. Run alone: `python -m tests.fakes.rates --port P`.
"""

from __future__ import annotations

import argparse
import json
import signal
import threading
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.fakes.http_server import JsonHandler, LoopbackFake, LoopbackServer

DEFAULT_PRICES = {("bitcoin", "pln"): Decimal("412345.67"), ("litecoin", "pln"): Decimal("345.12")}


class FakeRates(LoopbackFake):
    def __init__(self, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.prices: dict[tuple[str, str], Decimal] = dict(DEFAULT_PRICES)
        self.outage_mode: str | None = None
        self.requests = 0
        self._http = LoopbackServer((host, port), _Handler, self, name="fake-rates")

    @property
    def base_url(self) -> str:
        return self._http.url

    def set_price(self, coin_id: str, currency: str, price: str) -> None:
        self.prices[(coin_id, currency.lower())] = Decimal(price)

    def answer(self, query: str) -> dict[str, dict[str, Decimal]]:
        self.requests += 1
        asked = parse_qs(query)
        ids = ",".join(asked.get("ids", [""])).split(",")
        currencies = ",".join(asked.get("vs_currencies", [""])).lower().split(",")
        found: dict[str, dict[str, Decimal]] = {}
        for coin_id in ids:
            for code in currencies:
                if (coin_id, code) in self.prices:
                    found.setdefault(coin_id, {})[code] = self.prices[(coin_id, code)]
        return found


class _Handler(JsonHandler[FakeRates]):
    def encode(self, payload: Any) -> bytes:
        if not isinstance(payload, dict) or not all(isinstance(v, dict) for v in payload.values()):
            return super().encode(payload)
        # Prices as JSON numbers with exactly their digits, as the API writes them.
        coins = (
            f"{json.dumps(coin)}: {{"
            + ", ".join(f"{json.dumps(code)}: {price}" for code, price in prices.items())
            + "}"
            for coin, prices in payload.items()
        )
        return ("{" + ", ".join(coins) + "}").encode()

    def respond(self) -> None:
        fake, url = self.fake, urlsplit(self.path)
        if url.path == "/_fake/price":
            data = json.loads(self.read_body() or b"{}")
            fake.set_price(data["id"], data["currency"], str(data["price"]))
            self.send_json(200, {"ok": True})
        elif url.path == "/_fake/outage":
            fake.outage_mode = json.loads(self.read_body() or b"{}").get("mode")
            self.send_json(200, {"ok": True})
        elif fake.outage_mode == "500":
            self.send_json(500, {"error": "internal server error"})
        elif url.path == "/simple/price":
            self.send_json(200, fake.answer(url.query))
        else:
            self.send_json(404, {"error": "Not Found"})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Serve a fake rates API until Ctrl-C.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    with FakeRates(host=args.host, port=args.port) as fake:
        print(f"fake-rates: {fake.base_url}", flush=True)
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda _sig, _frame: stop.set())
        while not stop.wait(0.5):
            pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
