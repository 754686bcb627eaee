"""Crypto jobs: watch the chain for deposits (every minute), record rates (every 10 minutes).

watch-chain asks the coin's Esplora API about each address being watched (shown within
`expect_hours`, or with an output not yet settled): every output listed to it, the tip, and
for an output we know that is no longer listed, whether its transaction still exists. The
address's decider turns that into events (functions/domain/coinaddress.py); deciding on the
current state makes a rerun, a missed run or a crash between runs harmless. One address
the API cannot answer for is skipped until the next run, never guessed.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from events.coins import Coin, Rate
from functions.crypto.coins import CoinConfig, CryptoSettings
from functions.crypto.esplora import ChainError, Esplora
from functions.crypto.rates import RatesError, fetch
from functions.domain import coinaddress, coinrates
from functions.projections.coins import WatchedAddress, watched
from functions.runtime.bootstrap import Runtime
from functions.runtime.pipeline import Trace

log = logging.getLogger(__name__)


def fresh_rate(rt: Runtime, coin: Coin, now: datetime) -> Rate | None:
    """The newest recorded rate if it is at most `max_rate_age_s` old, else None.

    The rule: an output is valued at the rate in force when the watcher first sees it (its
    detection); a stale rate prices nothing, and the output waits for a fresh one."""
    settings = rt.settings_of(CryptoSettings)
    stream = coinrates.stream_of(coin, settings.currency)
    latest = rt.pipeline.current(coinrates.rates, stream).latest
    if latest is None or now - latest.at > timedelta(seconds=settings.max_rate_age_s):
        return None
    return latest


def watch(rt: Runtime) -> dict[str, int]:
    """One pass over the watched addresses."""
    settings = rt.settings_of(CryptoSettings)
    coins = {coin.code: coin for coin in settings.coins()}
    now = rt.clock.now()
    chains: dict[Coin, Esplora] = {}
    tips: dict[Coin, int] = {}
    counts = {"addresses": 0, "changed": 0, "unavailable": 0}
    for due in watched(rt.read_models, now, settings.watch_batch):
        coin = coins.get(due.coin)
        if coin is None:
            continue  # a coin no longer configured: its addresses wait
        chain = chains.setdefault(coin.code, Esplora(coin.esplora_url))
        counts["addresses"] += 1
        try:
            if coin.code not in tips:
                tips[coin.code] = chain.tip_height()
            observed = _observe(rt, chain, due, coin, tips[coin.code], now)
        except ChainError as err:
            log.info("watch %s: %s", due.address, err)
            counts["unavailable"] += 1
            continue
        stream = coinaddress.stream_of(due.coin, due.account, due.index)
        appended = rt.pipeline.execute(
            coinaddress.addresses, stream, observed, Trace(None, None, stream)
        )
        counts["changed"] += 1 if appended.events else 0
    return counts


def _observe(
    rt: Runtime, chain: Esplora, due: WatchedAddress, coin: CoinConfig, tip: int, now: datetime
) -> coinaddress.Observe:
    settings = rt.settings_of(CryptoSettings)
    listing = chain.outputs_to(due.address, settings.max_pages)
    stream = coinaddress.stream_of(due.coin, due.account, due.index)
    state = rt.pipeline.current(coinaddress.addresses, stream)
    unlisted = {
        o.txid
        for o in state.outputs.values()
        if not o.dust and o.state in {"seen", "credited"} and o.txid not in listing.txids
    }
    gone = frozenset(txid for txid in sorted(unlisted) if not chain.exists(txid))
    policy = coinaddress.Policy(coin.confirmations, coin.minimum, settings.settle_depth)
    rate = fresh_rate(rt, coin.code, now)
    return coinaddress.Observe(listing.outputs, gone, tip, now, rate, policy)


def update_rates(rt: Runtime) -> dict[str, int]:
    """Record the current rate of every offered coin in the shop's currency."""
    settings = rt.settings_of(CryptoSettings)
    codes = tuple(coin.code for coin in settings.coins())
    if not codes:
        return {"recorded": 0}
    try:
        quotes = fetch(settings.rates_url, codes, settings.currency, rt.clock.now())
    except RatesError as err:
        log.info("rates unavailable: %s", err)
        return {"recorded": 0, "unavailable": 1}
    recorded = 0
    for rate in quotes:
        stream = coinrates.stream_of(rate.coin, rate.currency)
        appended = rt.pipeline.execute(
            coinrates.rates, stream, coinrates.Record(rate), Trace(None, None, stream)
        )
        recorded += len(appended.events)
    return {"recorded": recorded}
