"""A rates API client (CoinGecko's simple price, or anything answering its shape).

Prices are read from the JSON text as decimals, never floats, and turned into an integer
rate by one stated rule: minor units of the currency per whole coin, rounded down
(412,345.678 PLN per BTC -> 41,234,567 grosze).
"""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal, InvalidOperation

import httpx

from events.coins import Coin, Rate
from events.money import currency
from functions.runtime.tls import http_client

IDS: dict[Coin, str] = {"BTC": "bitcoin", "LTC": "litecoin"}
SOURCE = "coingecko"


class RatesError(Exception):
    """The rates API could not be reached or said something we cannot read."""


def minor_per_coin(price: Decimal, currency_code: str) -> int:
    """A quoted price per coin in minor units of the currency, rounded down."""
    scaled = price.scaleb(currency(currency_code).exponent)
    return int(scaled.to_integral_value(rounding="ROUND_FLOOR"))


def fetch(
    base_url: str,
    coins: tuple[Coin, ...],
    currency_code: str,
    now: datetime,
    client: httpx.Client | None = None,
) -> list[Rate]:
    """The current rate of each coin the API quotes (a coin it leaves out is left out)."""
    http = client or http_client(timeout=httpx.Timeout(10.0, connect=5.0))
    params = {"ids": ",".join(IDS[c] for c in coins), "vs_currencies": currency_code.lower()}
    try:
        response = http.get(base_url.rstrip("/") + "/simple/price", params=params)
    except httpx.HTTPError as err:
        raise RatesError(type(err).__name__) from err
    if response.status_code != 200:
        raise RatesError(f"HTTP {response.status_code}")
    try:
        body = json.loads(response.text, parse_float=Decimal, parse_int=Decimal)
    except ValueError as err:
        raise RatesError("not JSON") from err
    if not isinstance(body, dict):
        raise RatesError("not an object")
    return [rate for c in coins if (rate := _rate(body, c, currency_code, now)) is not None]


def _rate(body: dict[str, object], coin: Coin, code: str, now: datetime) -> Rate | None:
    quoted = body.get(IDS[coin])
    price = quoted.get(code.lower()) if isinstance(quoted, dict) else None
    if not isinstance(price, Decimal):
        return None
    try:
        minor = minor_per_coin(price, code)
    except (InvalidOperation, ValueError):
        return None
    if minor <= 0:
        return None
    return Rate(coin=coin, currency=code, minor_per_coin=minor, at=now, source=SOURCE)
