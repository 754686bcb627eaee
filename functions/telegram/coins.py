"""/deposit btc and /deposit ltc (or their buttons under /deposit): the user's own address,
as a QR code with the rate now, the confirmations needed and the smallest deposit, and the
payments to it seen but still waiting for confirmations. /coins (admins): per coin, how
many addresses are handed out and the gap limit the owner's wallet needs to see them all.

Nothing is typed but the coin: whatever arrives is credited at the rate of its detection.
The address and its QR go out as one photo whose caption says it all (a second message
within a second would meet Telegram's per-chat limit); if the photo is refused, the text.
"""

from __future__ import annotations

import logging

from events import Money
from functions import texts
from functions.crypto.coins import NAMES, CoinConfig, CryptoSettings
from functions.runtime.bootstrap import Runtime
from functions.telegram.chat import Context, Reply, reply

log = logging.getLogger(__name__)
URI_SCHEME = {"BTC": "bitcoin", "LTC": "litecoin"}  # BIP21 and its Litecoin twin
WAITING_SHOWN = 5
# The gap limit /coins suggests: the addresses handed out and this many more, so the wallet
# still sees every deposit while the next users arrive (docs/architecture.md, "Gap limit").
GAP_HEADROOM = 100


def offered(rt: Runtime) -> tuple[CoinConfig, ...]:
    """The coins this deployment takes (those with an account key)."""
    return rt.settings_of(CryptoSettings).coins()


def coin_named(rt: Runtime, name: str) -> CoinConfig | None:
    code = NAMES.get(name.lower())
    return rt.settings_of(CryptoSettings).coin(code) if code is not None else None


def on_coin_button(ctx: Context, name: str) -> Reply:
    """A coin's button under /deposit (`cdep:btc`)."""
    return on_coin_deposit(ctx, name)


def on_coin_deposit(ctx: Context, name: str) -> Reply:
    from functions.crypto.addresses import address_for
    from functions.crypto.keys import BadAccountKey
    from functions.jobs.coins import fresh_rate

    coin = coin_named(ctx.runtime, name.strip())
    if coin is None:
        return reply(ctx, texts.text(ctx.language, "coins.not_offered"))
    try:
        handed = address_for(ctx.runtime, coin, ctx.user_id)
    except BadAccountKey as err:  # the deployment's key, not the user: /coins says why
        log.error("SOKO_CRYPTO_%s_XPUB is unusable: %s", coin.code, err)
        return reply(ctx, texts.text(ctx.language, "coins.unavailable", coin=coin.code))
    rate = fresh_rate(ctx.runtime, coin.code, ctx.runtime.clock.now())
    shown: texts.Value = (
        Money(amount=rate.minor_per_coin, currency=rate.currency)
        if rate is not None
        else texts.Html(texts.text(ctx.language, "coins.rate_unknown"))
    )
    caption = texts.text(
        ctx.language, "coins.address", coin=coin.code, address=handed.address, rate=shown,
        confirmations=coin.confirmations, minimum=Money(amount=coin.minimum, currency=coin.code),
        hours=ctx.runtime.settings_of(CryptoSettings).expect_hours, name=coin.name,
    )  # fmt: skip
    caption += _waiting(ctx, handed.stream)
    if _send_qr(ctx, f"{URI_SCHEME[coin.code]}:{handed.address}", caption):
        return {}  # the photo said it all
    return reply(ctx, caption)


def _send_qr(ctx: Context, payload: str, caption: str) -> bool:
    from functions.providers.pakasir.qr import qr_png
    from functions.telegram.bot_api import BotApiError

    try:
        ctx.runtime.bot().send_photo(ctx.chat_id, qr_png(payload), caption)
    except BotApiError:
        log.warning("address QR not sent; the address goes in the text instead")
        return False
    return True


def _waiting(ctx: Context, stream: str) -> str:
    """The payments to the address seen but not credited yet, newest last (a few: a photo's
    caption holds 1,024 characters), or nothing."""
    from functions.domain import coinaddress

    state = ctx.runtime.pipeline.current(coinaddress.addresses, stream)
    waiting = [o for o in state.outputs.values() if o.state == "seen" and not o.dust]
    if not waiting:
        return ""
    lines = [
        texts.text(ctx.language, "coins.waiting_line", amount=o.amount, value=o.value)
        for o in waiting[-WAITING_SHOWN:]
    ]
    return "\n\n" + texts.text(ctx.language, "coins.waiting", lines=texts.Html("\n".join(lines)))


def on_coins(ctx: Context, argument: str) -> Reply:
    """/coins (admins): each offered coin's addresses handed out and the wallet's gap limit."""
    from functions.crypto.coins import account_of
    from functions.crypto.keys import BadAccountKey, account_key
    from functions.domain import coinpool

    coins = offered(ctx.runtime)
    if not coins:
        return reply(ctx, texts.text(ctx.language, "coins.admin_none"))
    lines = []
    for coin in coins:
        try:
            account = account_of(account_key(coin.xpub, coin.code))
        except BadAccountKey as err:
            lines.append(texts.text(ctx.language, "coins.admin_bad_key", coin=coin.code,
                                    why=str(err)))  # fmt: skip
            continue
        pool = ctx.runtime.pipeline.current(coinpool.pools, coinpool.stream_of(coin.code, account))
        said = texts.text(
            ctx.language, "coins.admin_line", coin=coin.code, account=account,
            count=pool.next_index, gap=pool.next_index + GAP_HEADROOM,
            confirmations=coin.confirmations,
            minimum=Money(amount=coin.minimum, currency=coin.code),
        )  # fmt: skip
        lines.append(said)
    shown = texts.Html("\n".join(lines))
    return reply(ctx, texts.text(ctx.language, "coins.admin", lines=shown))
