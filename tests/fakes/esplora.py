"""A fake Esplora (Blockstream's block explorer API) on loopback: a chain with blocks, a
mempool, address history with Esplora's paging, reorgs and dropped transactions.

Esplora's API, as the watcher reads it (JSON unless said; amounts in satoshis):

    GET /blocks/tip/height              plain text: "800123"
    GET /blocks/tip/hash                plain text
    GET /block-height/:height           plain text block hash; 404 "Block not found"
    GET /tx/:txid                       the transaction; 404 "Transaction not found"
    GET /tx/:txid/status                {confirmed, block_height?, block_hash?, block_time?}
    GET /address/:a/txs                 up to 50 mempool txs, then the 25 newest confirmed
    GET /address/:a/txs/chain[/:last]   25 confirmed txs, newest first, after txid `last`
    GET /address/:a/txs/mempool         up to 50 unconfirmed txs, newest first

A transaction lists under an address when one of its outputs pays it or one of its inputs
spends from it, as Esplora's does. Control (JSON):

    POST /_fake/send {"outputs": [[address, sats], ...], "from"?: address} -> {"txid"}
    POST /_fake/mine {"blocks"?: 1} -> {"tip"}      the first block takes the whole mempool
    POST /_fake/disconnect {"blocks"} -> {"tip"}    a reorg: their txs go back to the mempool
    POST /_fake/drop {"txid"}                       replaced or evicted: gone (404)
    POST /_fake/outage {"mode": "500" | null}       POST /_fake/reset

Run alone: `python -m tests.fakes.esplora --port P [--coin ltc]`.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import signal
import threading
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from tests.fakes.http_server import JsonHandler, LoopbackFake, LoopbackServer

Json = dict[str, Any]
MEMPOOL_PAGE, CHAIN_PAGE = 50, 25
GENESIS_HEIGHT = 800_000
BLOCK_SECONDS = 600
PAYER = {"btc": "bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh",
         "ltc": "ltc1qg82tqwa6wkqtw6qakdkquxm0ehwhpzrkrmpm2c"}  # fmt: skip


@dataclass
class Tx:
    txid: str
    outputs: list[tuple[str, int]]
    payer: str
    fee: int = 1410

    def touches(self, address: str) -> bool:
        return self.payer == address or any(a == address for a, _ in self.outputs)

    def body(self, status: Json) -> Json:
        spent = sum(v for _, v in self.outputs) + self.fee
        prevout = _script(self.payer, spent)
        return {
            "txid": self.txid, "version": 2, "locktime": 0,
            "vin": [{"txid": hashlib.sha256(self.txid.encode()).hexdigest(), "vout": 0,
                     "prevout": prevout, "scriptsig": "", "scriptsig_asm": "",
                     "witness": ["30440220" + "00" * 64, "02" + "11" * 32],
                     "is_coinbase": False, "sequence": 4294967293}],
            "vout": [_script(a, v) for a, v in self.outputs],
            "size": 222, "weight": 561, "fee": self.fee, "status": status,
        }  # fmt: skip


def _script(address: str, value: int) -> Json:
    program = hashlib.sha256(address.encode()).hexdigest()[:40]  # a stand-in witness program
    return {
        "scriptpubkey": f"0014{program}",
        "scriptpubkey_asm": f"OP_0 OP_PUSHBYTES_20 {program}",
        "scriptpubkey_type": "v0_p2wpkh",
        "scriptpubkey_address": address,
        "value": value,
    }


@dataclass
class Block:
    height: int
    hash: str
    txids: list[str]
    time: int


@dataclass
class Chain:
    """The fake's state: blocks from GENESIS_HEIGHT, a mempool, every transaction known."""

    coin: str = "btc"
    blocks: list[Block] = field(default_factory=list)
    mempool: list[str] = field(default_factory=list)  # arrival order
    txs: dict[str, Tx] = field(default_factory=dict)
    made: int = 0

    def __post_init__(self) -> None:
        if not self.blocks:
            self.blocks.append(self._block([]))

    @property
    def tip(self) -> Block:
        return self.blocks[-1]

    def _block(self, txids: list[str]) -> Block:
        self.made += 1
        height = GENESIS_HEIGHT + len(self.blocks)
        seed = f"{self.coin}:block:{self.made}:{height}"
        return Block(height, hashlib.sha256(seed.encode()).hexdigest(), txids,
                     1_767_225_600 + BLOCK_SECONDS * self.made)  # fmt: skip

    def send(self, outputs: list[tuple[str, int]], payer: str | None = None) -> str:
        if not outputs or any(v <= 0 for _, v in outputs):
            raise ValueError("a transaction pays at least one positive output")
        self.made += 1
        txid = hashlib.sha256(f"{self.coin}:tx:{self.made}".encode()).hexdigest()
        self.txs[txid] = Tx(txid, list(outputs), payer or PAYER.get(self.coin, PAYER["btc"]))
        self.mempool.append(txid)
        return txid

    def mine(self, count: int = 1) -> int:
        for _ in range(count):
            self.blocks.append(self._block(self.mempool))
            self.mempool = []
        return self.tip.height

    def disconnect(self, count: int) -> int:
        """Take the newest blocks off the chain (a reorg's first half): their transactions
        go back to the mempool, ahead of newer ones, as a node re-adds them."""
        if not 0 < count < len(self.blocks):
            raise ValueError(f"can disconnect 1 to {len(self.blocks) - 1} blocks")
        gone, self.blocks = self.blocks[-count:], self.blocks[:-count]
        self.mempool = [t for b in gone for t in b.txids] + self.mempool
        return self.tip.height

    def drop(self, txid: str) -> None:
        """A mempool transaction replaced (RBF) or evicted: the API no longer knows it."""
        if txid not in self.mempool:
            raise LookupError(f"{txid} is not in the mempool")
        self.mempool.remove(txid)
        del self.txs[txid]

    def status(self, txid: str) -> Json:
        for block in self.blocks:
            if txid in block.txids:
                return {"confirmed": True, "block_height": block.height,
                        "block_hash": block.hash, "block_time": block.time}  # fmt: skip
        return {"confirmed": False}

    def tx(self, txid: str) -> Json | None:
        found = self.txs.get(txid)
        return None if found is None else found.body(self.status(txid))

    def confirmed_of(self, address: str) -> list[str]:
        """Newest first, as Esplora lists them (within a block, last first)."""
        return [t for b in reversed(self.blocks) for t in reversed(b.txids)
                if self.txs[t].touches(address)]  # fmt: skip

    def mempool_of(self, address: str) -> list[str]:
        return [t for t in reversed(self.mempool) if self.txs[t].touches(address)]


class FakeEsplora(LoopbackFake):
    def __init__(self, coin: str = "btc", *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.coin = coin
        self.chain = Chain(coin)
        self.outage_mode: str | None = None
        self.requests: list[str] = []
        self.lock = threading.Lock()
        self._http = LoopbackServer((host, port), _Handler, self, name=f"fake-esplora-{coin}")

    @property
    def base_url(self) -> str:
        return self._http.url

    # -- what tests and the console call directly --------------------------------------------
    def send(self, address: str, sats: int, *more: tuple[str, int]) -> str:
        with self.lock:
            return self.chain.send([(address, sats), *more])

    def mine(self, blocks: int = 1) -> int:
        with self.lock:
            return self.chain.mine(blocks)

    def disconnect(self, blocks: int) -> int:
        with self.lock:
            return self.chain.disconnect(blocks)

    def drop(self, txid: str) -> None:
        with self.lock:
            self.chain.drop(txid)

    def reset(self) -> None:
        with self.lock:
            self.chain, self.outage_mode, self.requests = Chain(self.coin), None, []

    # -- HTTP ----------------------------------------------------------------------------
    def api(self, path: str) -> tuple[int, Any]:
        """(status, JSON value or plain text) for one GET of Esplora's API."""
        parts = path.strip("/").split("/")
        with self.lock:
            self.requests.append(path)
            chain = self.chain
            match parts:
                case ["blocks", "tip", "height"]:
                    return 200, str(chain.tip.height)
                case ["blocks", "tip", "hash"]:
                    return 200, chain.tip.hash
                case ["block-height", height] if height.isdigit():
                    found = [b.hash for b in chain.blocks if b.height == int(height)]
                    return (200, found[0]) if found else (404, "Block not found")
                case ["tx", txid]:
                    body = chain.tx(txid)
                    return (404, "Transaction not found") if body is None else (200, body)
                case ["tx", txid, "status"]:
                    if txid not in chain.txs:
                        return 404, "Transaction not found"
                    return 200, chain.status(txid)
                case ["address", address, "txs"]:
                    ids = chain.mempool_of(address)[:MEMPOOL_PAGE]
                    ids += chain.confirmed_of(address)[:CHAIN_PAGE]
                    return 200, [chain.tx(t) for t in ids]
                case ["address", address, "txs", "mempool"]:
                    return 200, [chain.tx(t) for t in chain.mempool_of(address)[:MEMPOOL_PAGE]]
                case ["address", address, "txs", "chain", *after]:
                    ids = chain.confirmed_of(address)
                    if after:
                        if after[0] not in ids:
                            return 400, "Invalid hex string"  # what Esplora says for junk
                        ids = ids[ids.index(after[0]) + 1 :]
                    return 200, [chain.tx(t) for t in ids[:CHAIN_PAGE]]
        return 404, "Not Found"

    def control(self, route: str, body: bytes) -> tuple[int, Json]:
        try:
            data: Json = json.loads(body or b"{}")
            match route:
                case "send":
                    outputs = [(str(a), int(v)) for a, v in data["outputs"]]
                    with self.lock:
                        txid = self.chain.send(outputs, data.get("from"))
                    return 200, {"txid": txid}
                case "mine":
                    return 200, {"tip": self.mine(int(data.get("blocks", 1)))}
                case "disconnect":
                    return 200, {"tip": self.disconnect(int(data["blocks"]))}
                case "drop":
                    self.drop(str(data["txid"]))
                    return 200, {"ok": True}
                case "outage":
                    self.outage_mode = data.get("mode")
                    return 200, {"ok": True}
                case "reset":
                    self.reset()
                    return 200, {"ok": True}
            return 404, {"ok": False, "description": f"no route /_fake/{route}"}
        except (KeyError, TypeError, ValueError, LookupError) as err:
            return 400, {"ok": False, "description": f"{type(err).__name__}: {err}"}


class _Handler(JsonHandler[FakeEsplora]):
    def respond(self) -> None:
        fake, url = self.fake, urlsplit(self.path)
        if url.path.startswith("/_fake/"):
            status, payload = fake.control(url.path[7:].strip("/"), self.read_body())
            self.send_json(status, payload)
        elif fake.outage_mode == "500":
            self.send_text(500, "Internal Server Error")
        else:
            status, value = fake.api(url.path)
            if isinstance(value, str):
                self.send_text(status, value)  # tip height and errors are plain text
            else:
                self.send_json(status, value)

    def send_text(self, status: int, text: str) -> None:
        data = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Serve a fake Esplora until Ctrl-C.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--coin", default="btc", choices=["btc", "ltc"])
    args = parser.parse_args(argv)
    with FakeEsplora(args.coin, host=args.host, port=args.port) as fake:
        print(f"fake-esplora-{args.coin}: {fake.base_url}", flush=True)
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda _sig, _frame: stop.set())
        while not stop.wait(0.5):
            pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
