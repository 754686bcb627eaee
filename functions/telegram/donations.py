"""Donations to a channel's owner: an amount typed on an inline keypad, then paid.

The keypad holds no state: every button carries the digits the amount would have after the
tap (`ch:don:<key>:<digits>`), and each tap edits the message in place. The amount is in
whole units of the channel's currency (its first plan's, else the default), from 1 to
MAX_DIGITS digits and at most MAX (10,000 for Stars, Telegram's most per payment). Paid
from the wallet (one debit per update), in Stars by invoice, or on any rail collecting the
currency (functions/telegram/rail_pay.py asks for a phone if needed); the owner's ledger counts
it once with the platform's fee, like a subscription.
"""

from __future__ import annotations

from events import Money
from events.money import currency
from functions import texts
from functions.channels import buying
from functions.domain import channels, revenue, wallet
from functions.domain.decider import DomainError
from functions.notifications.channels import PREFIX
from functions.payments import stars
from functions.payments.ids import payment_id_for
from functions.telegram import rail_pay
from functions.telegram.chat import Context, Reply, on_stale_button, plain, reply
from functions.telegram.stars import invoice

MAX_DIGITS = 6
MOST = 999_999  # whole units: what MAX_DIGITS digits hold
MAX: dict[str, int] = {"XTR": 10_000}  # most whole units where a currency has less
KEYS = (("1", "2", "3"), ("4", "5", "6"), ("7", "8", "9"), ("⌫", "0", "✅"))


class DonationRefused(DomainError):
    code = "channel_donation_limits"

    def __init__(self, most: Money) -> None:
        super().__init__("a donation is at least 1 and at most the limit")
        self.most = most

    def facts(self) -> dict[str, str | int | Money]:
        return {"most": self.most}


def currency_of(ctx: Context, channel: channels.Channel) -> str:
    first = next(iter(channel.plans.values()), None)
    return first.price.currency if first is not None else ctx.runtime.settings.default_currency


def most_of(code: str) -> int:
    return MAX.get(code, MOST)


def amount_of(digits: str, code: str) -> Money:
    """The donation `digits` spell; DonationRefused outside the limits (or for garbage)."""
    ok = digits.isascii() and digits.isdigit() and len(digits) <= MAX_DIGITS
    whole = int(digits) if ok else 0
    if not 1 <= whole <= most_of(code):
        raise DonationRefused(_whole(most_of(code), code))
    return _whole(whole, code)


def _whole(units: int, code: str) -> Money:
    return Money(amount=units * 10 ** currency(code).exponent, currency=code)


def keypad(ctx: Context, chat_id: int, digits: str) -> Reply:
    """The keypad showing `digits` so far, as an edit of the tapped message."""
    channel = buying.load_channel(ctx.runtime, chat_id)
    if channel.owner_id is None:
        raise buying.NotSelling("this channel is not known")
    code = currency_of(ctx, channel)
    key = channels.key_of(chat_id)
    if digits and (not digits.isdigit() or int(digits) > most_of(code)):
        raise DonationRefused(_whole(most_of(code), code))  # a tap past the limit
    shown = texts.text(ctx.language, "channels.donate_keypad", title=channel.title,
                       amount=f"{int(digits or 0):,} {code}")  # fmt: skip
    rows = [[_key(key, digits, label) for label in row] for row in KEYS]
    query = ctx.update.callback_query
    message = query.message if query is not None else None
    if message is None:
        return {**reply(ctx, shown), "reply_markup": {"inline_keyboard": rows}}
    return {
        "method": "editMessageText", "chat_id": ctx.chat_id, "message_id": message.message_id,
        "text": shown, "parse_mode": "HTML", "reply_markup": {"inline_keyboard": rows},
    }  # fmt: skip


def _key(key: str, digits: str, label: str) -> dict[str, str]:
    if label == "⌫":
        return {"text": label, "callback_data": f"{PREFIX}:don:{key}:{digits[:-1]}"}
    if label == "✅":
        return {"text": label, "callback_data": f"{PREFIX}:give:{key}:{digits}"}
    return {"text": label, "callback_data": f"{PREFIX}:don:{key}:{(digits + label).lstrip('0')}"}


def confirm(ctx: Context, chat_id: int, digits: str) -> Reply:
    """The amount is set: how to pay it."""
    channel = buying.load_channel(ctx.runtime, chat_id)
    amount = amount_of(digits, currency_of(ctx, channel))
    key = channels.key_of(chat_id)
    rows = [[_button(ctx, "channels.button_wallet", f"{PREFIX}:gw:{key}:{digits}")]]
    if amount.currency == stars.CURRENCY:
        rows.append([_button(ctx, "channels.button_stars", f"{PREFIX}:gs:{key}:{digits}")])
    for option in rail_pay.rails_taking(ctx, amount):
        data = f"{PREFIX}:grail:{key}:{digits}:{option.name}"
        rows.append([{"text": option.label, "callback_data": data}])
    said = texts.text(ctx.language, "channels.donate_how", title=channel.title, amount=amount)
    return {**reply(ctx, said), "reply_markup": {"inline_keyboard": rows}}


def _button(ctx: Context, label: str, data: str) -> dict[str, str]:
    return {"text": plain(texts.text(ctx.language, label)), "callback_data": data}


def _gift(ctx: Context, chat_id: int, digits: str) -> tuple[revenue.Gift, Money, str]:
    channel = buying.load_channel(ctx.runtime, chat_id)
    if channel.owner_id is None:
        raise buying.NotSelling("this channel is not known")
    amount = amount_of(digits, currency_of(ctx, channel))
    return revenue.Gift(chat_id, channel.owner_id), amount, channel.title


def from_wallet(ctx: Context, chat_id: int, digits: str) -> Reply:
    gift, amount, title = _gift(ctx, chat_id, digits)
    reference = revenue.gift_reference(payment_id_for(ctx.trace), gift)
    debit = wallet.Debit(ctx.user_id, amount, "donation", reference)
    ctx.runtime.execute(wallet.wallets, wallet.stream_of(ctx.user_id), debit, ctx.trace)
    return reply(ctx, texts.text(ctx.language, "channels.donated", title=title, amount=amount))


def with_stars(ctx: Context, chat_id: int, digits: str) -> Reply:
    gift, amount, title = _gift(ctx, chat_id, digits)
    if amount.currency != stars.CURRENCY:
        raise buying.NotInStars("this donation is not in Stars")
    payment_id = stars.open_payment(
        ctx.runtime, user_id=ctx.user_id, purpose="donation", amount=amount, trace=ctx.trace,
        subject=gift.spelled(),
    )  # fmt: skip
    said = plain(texts.text(ctx.language, "channels.donation_invoice", title=title))
    return invoice(ctx.chat_id, payment_id, amount, ctx.language) | {
        "title": said[:32], "description": said,
    }  # fmt: skip


def on_rail(ctx: Context, chat_id: int, digits: str, rail: str, phone: str | None) -> Reply:
    """A payment of purpose `donation` on a rail (the phone found or asked for as for a
    plan); its verified success goes to the owner's ledger."""
    gift, amount, title = _gift(ctx, chat_id, digits)
    option = next((o for o in rail_pay.rails_taking(ctx, amount) if o.name == rail), None)
    if option is None:
        return on_stale_button(ctx, rail)  # switched off since, or forged
    text = texts.text(ctx.language, "channels.phone_question", rail=option.label, price=amount,
                      title=title)  # fmt: skip
    payload = f"grail:{channels.key_of(chat_id)}:{digits}:{rail}"
    asking = rail_pay.PhoneQuestion("channel_phone", payload, text)
    return rail_pay.pay_on_rail(ctx, option, amount, purpose="donation", subject=gift.spelled(),
                                phone=phone, question=asking)  # fmt: skip
