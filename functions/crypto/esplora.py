"""An Esplora API client (Blockstream's explorer; mempool.space and litecoinspace.org serve
the same API): the tip, the outputs paying one address, whether a transaction still exists.

Only what we need is read, and strictly: an answer of another shape is `ChainError`, never
a guess. Amounts are satoshis (litoshis), integers in JSON. The credit of an output is its
own `vout[].value` to our `scriptpubkey_address`, never a balance delta (a transaction
listed under our address may be one spending from it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import httpx

from functions.domain.coinaddress import ChainOutput
from functions.runtime.tls import http_client

CHAIN_PAGE = 25  # confirmed transactions per page of /address/:a/txs[/chain/:last]
TXID = re.compile(r"[0-9a-f]{64}")


class ChainError(Exception):
    """The API could not be reached, refused, or said something we cannot read."""


@dataclass(frozen=True)
class Listing:
    outputs: tuple[ChainOutput, ...]
    txids: frozenset[str]  # every transaction listed under the address
    complete: bool  # False: the page cap stopped paging before the oldest transaction


class Esplora:
    def __init__(self, base_url: str, client: httpx.Client | None = None) -> None:
        self._base = base_url.rstrip("/")
        self._client = client or http_client(timeout=httpx.Timeout(10.0, connect=5.0))

    def _get(self, path: str) -> httpx.Response:
        try:
            response = self._client.get(self._base + path)
        except httpx.HTTPError as err:
            raise ChainError(f"{path}: {type(err).__name__}") from err
        if response.status_code >= 500 or response.status_code == 429:
            raise ChainError(f"{path}: HTTP {response.status_code}")
        return response

    def tip_height(self) -> int:
        """The height of the newest block (the API answers it as plain text)."""
        text = self._get("/blocks/tip/height").text.strip()
        if not text.isdigit():
            raise ChainError(f"tip height is not a number: {text[:40]!r}")
        return int(text)

    def exists(self, txid: str) -> bool:
        """Whether the API still knows the transaction (in a block or the mempool)."""
        response = self._get(f"/tx/{txid}/status")
        if response.status_code == 404:
            return False
        if response.status_code != 200:
            raise ChainError(f"tx status: HTTP {response.status_code}")
        return True

    def outputs_to(self, address: str, max_pages: int) -> Listing:
        """Every output paying `address` in its mempool and confirmed history, paging back
        through the confirmed part 25 at a time, at most `max_pages` pages."""
        page = self._txs(f"/address/{address}/txs")
        txs, confirmed = list(page), [t for t in page if _confirmed(t)]
        pages, complete = 1, len(confirmed) < CHAIN_PAGE
        while not complete and pages < max_pages:
            page = self._txs(f"/address/{address}/txs/chain/{confirmed[-1]['txid']}")
            txs += page
            confirmed = page
            pages, complete = pages + 1, len(page) < CHAIN_PAGE
        outputs = tuple(o for tx in txs for o in _outputs(tx, address))
        return Listing(outputs, frozenset(str(t["txid"]) for t in txs), complete)

    def _txs(self, path: str) -> list[dict[str, Any]]:
        response = self._get(path)
        if response.status_code != 200:
            raise ChainError(f"{path.split('/')[1]} txs: HTTP {response.status_code}")
        try:
            body = response.json()
        except ValueError as err:
            raise ChainError("address txs: not JSON") from err
        if not isinstance(body, list) or not all(_is_tx(t) for t in body):
            raise ChainError("address txs: not a list of transactions")
        return body


def _is_tx(tx: Any) -> bool:
    return (
        isinstance(tx, dict)
        and isinstance(tx.get("txid"), str)
        and TXID.fullmatch(tx["txid"]) is not None
        and isinstance(tx.get("vout"), list)
        and isinstance(tx.get("status"), dict)
    )


def _confirmed(tx: dict[str, Any]) -> bool:
    return tx["status"].get("confirmed") is True


def _outputs(tx: dict[str, Any], address: str) -> list[ChainOutput]:
    status = tx["status"]
    height = status.get("block_height") if _confirmed(tx) else None
    block = status.get("block_hash") if _confirmed(tx) else None
    if _confirmed(tx) and not (_is_int(height) and isinstance(block, str)):
        raise ChainError(f"{tx['txid']}: confirmed without a block")
    found = []
    for vout, output in enumerate(tx["vout"]):
        if not isinstance(output, dict) or output.get("scriptpubkey_address") != address:
            continue
        value = output.get("value")
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ChainError(f"{tx['txid']}:{vout}: value is not a whole number of satoshis")
        found.append(ChainOutput(tx["txid"], vout, value, height, block))
    return found


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
