"""Crypto deposits to per-user BTC and LTC addresses, watched on chain (docs/architecture.md,
"Crypto deposits").

Not a `RailSpec` rail: a rail starts a payment for an amount the payer types and settles it
from a provider's report, but here nobody asks for an amount and nothing calls us back. The
user gets a standing address; the watch-chain job reads the chain; each output becomes a
payment on the coin's rail (`btc`, `ltc`) the moment it is seen, and succeeds when it has
its confirmations. So the money path from there on is the one every rail takes (payment
succeeded -> credit_deposit -> wallet, once per `payment:<id>`), and `make audit` checks it
like any other; functions/ops/coin_audit.py adds the crypto side (one output, its rate).
"""

from __future__ import annotations

from functions.contexts.base import (
    BoundedContext,
    Function,
    Job,
    Lazy,
    Subscriber,
    projection,
    reactor,
    rule,
)
from functions.crypto.coins import CryptoSettings
from functions.telegram.routes import Route, button, command

COIN_ADDRESSES = projection("functions.projections.coins", "coin_addresses")
COIN_DEPOSITS = reactor("functions.reactors.coin_deposits", "coin_deposits")
RULES = "functions.notifications.coins"

HANDLERS = "functions.telegram.coins"
# `/deposit btc` is /deposit's (functions/telegram/deposits.py hands the coins to us).
ROUTES: tuple[Route, ...] = (
    button("cdep", HANDLERS, "on_coin_button"),
    command("/coins", HANDLERS, "on_coins", "help.coins", "admin"),
)

CONTEXT = BoundedContext(
    name="coins",
    routes=ROUTES,
    categories=("coinpool", "coinaddress", "coinrate"),
    commands_append_to=("coinpool", "coinaddress"),  # /deposit btc hands out an address
    projections=(COIN_ADDRESSES,),
    reactors=(COIN_DEPOSITS,),
    rules={
        "coinaddress.output_seen.v1": (rule(RULES, "output_seen"),),
        "coinaddress.credited_output_vanished.v1": (rule(RULES, "credited_output_vanished"),),
    },
    jobs=(
        Job("watch-chain", "* * * * *", Lazy("functions.jobs.coins", "watch")),
        Job("update-rates", "*/10 * * * *", Lazy("functions.jobs.coins", "update_rates")),
    ),
    subscribers=(
        Subscriber(
            Function("project_coins", "pubsub", concurrency=4), projections=(COIN_ADDRESSES,)
        ),
        Subscriber(
            Function(
                "pay_coin_deposits", "pubsub", concurrency=4, family="reactor",
                publishes=("payment",),
            ),
            reactors=(COIN_DEPOSITS,),
        ),
    ),
    settings=(CryptoSettings,),
)  # fmt: skip
