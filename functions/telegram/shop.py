"""The shop in Telegram: /shop -> categories -> products -> Buy -> pay -> the item; /orders.

Buttons carry `shop:<action>:<args>` (64 bytes at most). Browsing edits the message the
button is on; buying and paying answer with a new message, so the receipt stays in the chat.
"""

from __future__ import annotations

import hashlib
import html

from events import Money
from events.money import format_money
from functions.domain import lots, orders, users, wallet
from functions.domain.decider import DomainError
from functions.projections.shop import (
    ProductView,
    orders_of,
    product_of,
    stock_of,
    visible_products,
)
from functions.shop import checkout
from functions.telegram.chat import Context, Reply, on_stale_button, reply

PAGE_SIZE = 6
ORDERS_SHOWN = 10
Keyboard = list[list[dict[str, str]]]


def category_key(category: str) -> str:
    """A short stable key for a category name (callback_data is limited to 64 bytes)."""
    return hashlib.sha256(category.encode()).hexdigest()[:10]


def price_text(product: ProductView, reseller: bool) -> str:
    """`<s>100.00 PLN</s> 80.00 PLN -20%` when discounted, else the plain price."""
    base = product.base_price(reseller)
    percent = product.discount
    if not percent:
        return format_money(base)
    now = base.percent_off(percent)
    return f"<s>{format_money(base)}</s> {format_money(now)} -{percent}%"


def on_shop(ctx: Context, argument: str) -> Reply:
    return _send(ctx, *_categories(ctx))


def on_button(ctx: Context, data: str) -> Reply:
    """Every `shop:` button."""
    action, _, rest = data.partition(":")
    handler = BUTTONS.get(action)
    if handler is None:
        return on_stale_button(ctx, data)
    return handler(ctx, rest)


def refused(ctx: Context, err: DomainError) -> Reply:
    """How the router tells a refusal of a `shop:` button: a message with a way back."""
    return _send(ctx, html.escape(_refusal(err)), [_home_row()])


def _refusal(err: DomainError) -> str:
    if isinstance(err, lots.SoldOut):
        return "Sold out, sorry. Nothing was charged."
    if isinstance(err, wallet.InsufficientFunds):
        return f"Your balance is too low for this order ({err}). Top up with /deposit."
    return str(err)


def _categories(ctx: Context) -> tuple[str, Keyboard]:
    names = sorted({p.category for p in visible_products(ctx.runtime.read_models)})
    if not names:
        return "The shop is empty right now.", []
    rows = [[_button(name, f"shop:c:{category_key(name)}:0")] for name in names]
    return "Choose a category:", rows


def _category(ctx: Context, rest: str) -> Reply:
    key, _, page_text = rest.partition(":")
    page = int(page_text) if page_text.isdigit() else 0
    docs = sorted(
        (p for p in visible_products(ctx.runtime.read_models) if category_key(p.category) == key),
        key=lambda p: p.name,
    )
    if not docs:
        return _edit(ctx, *_categories(ctx))
    shown = docs[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    rows: Keyboard = [[_button(p.name, f"shop:p:{p.product_id}")] for p in shown]
    nav = []
    if page > 0:
        nav.append(_button("< Prev", f"shop:c:{key}:{page - 1}"))
    if (page + 1) * PAGE_SIZE < len(docs):
        nav.append(_button("Next >", f"shop:c:{key}:{page + 1}"))
    rows += [nav] if nav else []
    rows.append(_home_row())
    return _edit(ctx, f"<b>{html.escape(docs[0].category)}</b>", rows)


def _product(ctx: Context, product_id: str) -> Reply:
    product = product_of(ctx.runtime.read_models, product_id)
    if product is None or product.hidden:
        return _edit(ctx, "This product is no longer on sale.", [_home_row()])
    reseller = _is_reseller(ctx)
    stock = stock_of(ctx.runtime.read_models, product_id)
    lines = [f"<b>{html.escape(product.name)}</b>"]
    if product.description:
        lines.append(html.escape(product.description))
    if product.location:
        lines.append(f"📍 {html.escape(product.location)}")
    label = "Reseller price" if reseller and product.reseller_price else "Price"
    lines.append(f"{label}: {price_text(product, reseller)}")
    lines.append(f"In stock: {stock.available} · Sold: {stock.sold}")
    rows: Keyboard = [[_button("Buy", f"shop:b:{product_id}:1")]] if stock.available else []
    rows.append(_home_row())
    if product.photo:
        # A text message cannot become a photo: the card is a new message, by file_id.
        return {
            "method": "sendPhoto",
            "chat_id": ctx.chat_id,
            "photo": product.photo,
            "caption": "\n".join(lines),
            "parse_mode": "HTML",
            "reply_markup": {"inline_keyboard": rows},
        }
    return _edit(ctx, "\n".join(lines), rows)


def _is_reseller(ctx: Context) -> bool:
    return ctx.runtime.pipeline.current(users.users, users.stream_of(ctx.user_id)).reseller


def _buy(ctx: Context, rest: str) -> Reply:
    product_id, _, quantity_text = rest.partition(":")
    quantity = int(quantity_text) if quantity_text.isdigit() else 1
    held = checkout.buy(ctx.runtime, ctx.user_id, product_id, quantity, ctx.trace)
    text = (
        f"Reserved: {html.escape(held.product_name)} x {held.quantity}\n"
        f"Total: {format_money(held.total)}\n"
        f"Held for you for {held.minutes} minutes."
    )
    return _send(ctx, text, pay_buttons(ctx, held.order_id, held.total))


def pay_buttons(ctx: Context, order_id: str, total: Money) -> Keyboard:
    """Wallet, every offered rail whose spec pays orders in this currency, Cancel. Money a
    rail brings that cannot buy the order (a partial crypto payment an admin approved, one
    after the hold lapsed) goes to the wallet. Drawing them loads no rail's code."""
    from functions.telegram.deposits import order_rails

    rows: Keyboard = [[_button("Pay from wallet", f"shop:w:{order_id}")]]
    for option in order_rails(ctx.runtime, total.currency):
        rows.append([_button(f"Pay with {option.label}", f"shop:r:{order_id}:{option.name}")])
    rows.append([_button("Cancel", f"shop:x:{order_id}")])
    return rows


def _pay_wallet(ctx: Context, order_id: str) -> Reply:
    try:
        outcome = checkout.pay_from_wallet(ctx.runtime, ctx.user_id, order_id, ctx.trace)
    except wallet.InsufficientFunds as err:
        # The hold stands: the refusal keeps the order's buttons, to pay it on a rail or
        # cancel it (releasing the unit), instead of leaving a hold nothing can act on.
        return _send(ctx, html.escape(_refusal(err)), _held_buttons(ctx, order_id))
    return _send(ctx, outcome_text(outcome), [_home_row()])


def _held_buttons(ctx: Context, order_id: str) -> Keyboard:
    total = checkout.settled(ctx.runtime, order_id).order.total
    assert total is not None  # a placed order has its total
    return pay_buttons(ctx, order_id, total)


def outcome_text(outcome: checkout.Settled) -> str:
    order = outcome.order
    match order.state:
        case "delivered" if outcome.items:
            items = "\n".join(f"<code>{html.escape(i.payload)}</code>" for i in outcome.items)
            return f"Paid. Your purchase:\n{items}\n\nSee it again any time in /orders."
        case "delivered":
            return "Paid. Your order is confirmed; see /orders."
        case "refunded":
            return "The item sold out before your payment arrived; it is back in your wallet."
        case "paid":
            return "Paid. Your order is on its way: see /orders in a moment."
        case "placed" | "expired":
            return "Waiting for your payment."
        case _:
            return f"This order is {order.state}."


def _pay_rail(ctx: Context, rest: str) -> Reply:
    from functions.telegram.shop_rails import pay_order_on_rail

    order_id, _, rail = rest.partition(":")
    return pay_order_on_rail(ctx, order_id, rail)


def _cancel(ctx: Context, order_id: str) -> Reply:
    order = checkout.cancel(ctx.runtime, ctx.user_id, order_id, ctx.trace)
    return _edit(ctx, f"Order {order.state}. Nothing was charged.", [_home_row()])


def on_orders(ctx: Context, argument: str) -> Reply:
    recent = orders_of(ctx.runtime.read_models, ctx.user_id)
    if not recent:
        return _send(ctx, "No orders yet. Send /shop to browse.", [])
    lines, rows = [], []
    for order in recent[:ORDERS_SHOWN]:
        total = format_money(order.total)
        name = html.escape(order.product_name)
        lines.append(f"{name} x {order.quantity}: {total}, {order.state}")
        if order.items:
            rows.append([_button(f"Show {order.product_name}"[:40], f"shop:o:{order.order_id}")])
        if order.state == "placed":  # held and unpaid: Pay opens its pay buttons
            rows.append([
                _button(f"Pay {order.product_name}"[:40], f"shop:o:{order.order_id}"),
                _button(f"Cancel {order.product_name}"[:40], f"shop:x:{order.order_id}"),
            ])  # fmt: skip
    return _send(ctx, "Your orders:\n" + "\n".join(lines), rows)


def _show_order(ctx: Context, order_id: str) -> Reply:
    outcome = checkout.settled(ctx.runtime, order_id)
    if outcome.order.user_id != ctx.user_id:
        raise orders.NotYourOrder("this is not your order")
    order = outcome.order
    if order.state == "placed" and order.total is not None:
        text = f"Held for you: {format_money(order.total)}. Pay it, or cancel to release it."
        return _send(ctx, text, pay_buttons(ctx, order_id, order.total))
    return _send(ctx, outcome_text(outcome), [])


def _home(ctx: Context, rest: str) -> Reply:
    return _edit(ctx, *_categories(ctx))


def _button(text: str, data: str) -> dict[str, str]:
    return {"text": text, "callback_data": data}


def _home_row() -> list[dict[str, str]]:
    return [_button("« Shop", "shop:home")]


def _send(ctx: Context, text: str, rows: Keyboard) -> Reply:

    answer = reply(ctx, text)
    if rows:
        answer["reply_markup"] = {"inline_keyboard": rows}
    return answer


def _edit(ctx: Context, text: str, rows: Keyboard) -> Reply:
    """Replace the message the button is on (browsing), or send one when there is none."""
    query = ctx.update.callback_query
    message = query.message if query is not None else None
    if message is None or getattr(message, "photo", None):  # a photo has no text to edit
        return _send(ctx, text, rows)
    return {
        "method": "editMessageText",
        "chat_id": ctx.chat_id,
        "message_id": message.message_id,
        "text": text,
        "parse_mode": "HTML",
        "reply_markup": {"inline_keyboard": rows},
    }


# The shop's own sub-router under the route table's `shop` prefix: the action codes are this
# module's private vocabulary, kept short for callback_data's 64 bytes and built beside them.
BUTTONS = {
    "home": _home,
    "c": _category,
    "p": _product,
    "b": _buy,
    "w": _pay_wallet,
    "r": _pay_rail,
    "x": _cancel,
    "o": _show_order,
}
