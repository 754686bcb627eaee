"""/deposit btc and /deposit ltc (or their buttons under /deposit): the user's own address,
as a QR code with the rate now, the confirmations needed and the smallest deposit.

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
    from functions.jobs.coins import fresh_rate

    coin = coin_named(ctx.runtime, name.strip())
    if coin is None:
        return reply(ctx, texts.text(ctx.language, "coins.not_offered"))
    handed = address_for(ctx.runtime, coin, ctx.user_id)
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
