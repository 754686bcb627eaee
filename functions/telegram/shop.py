"""The shop in Telegram: /shop -> categories -> products -> Buy -> pay -> the item; /orders.

Buttons carry `shop:<action>:<args>` (64 bytes at most). Browsing edits the message the
button is on; buying and paying answer with a new message, so the receipt stays in the chat.
"""

from __future__ import annotations

import hashlib
import html

from events import Money
from events.shop import StockItem
from functions import texts
from functions.domain import orders, users, wallet
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


def price_text(language: str, product: ProductView, reseller: bool) -> texts.Html:
    """`<s>PLN 100.00</s> PLN 80.00 -20%` when discounted, else the plain price."""
    base = product.base_price(reseller)
    percent = product.discount
    if not percent:
        return texts.Html(texts.render(base))
    now = base.percent_off(percent)
    return texts.Html(texts.text(language, "shop.discounted", was=base, now=now, percent=percent))


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
    return _send(ctx, texts.refusal(ctx.language, err), [_home_row(ctx)])


def _categories(ctx: Context) -> tuple[str, Keyboard]:
    names = sorted({p.category for p in visible_products(ctx.runtime.read_models)})
    if not names:
        return texts.text(ctx.language, "shop.empty"), []
    rows = [[_button(name, f"shop:c:{category_key(name)}:0")] for name in names]
    return texts.text(ctx.language, "shop.choose_category"), rows


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
        previous = label(texts.text(ctx.language, "shop.previous.button"))
        nav.append(_button(previous, f"shop:c:{key}:{page - 1}"))
    if (page + 1) * PAGE_SIZE < len(docs):
        following = label(texts.text(ctx.language, "shop.next.button"))
        nav.append(_button(following, f"shop:c:{key}:{page + 1}"))
    rows += [nav] if nav else []
    rows.append(_home_row(ctx))
    return _edit(ctx, texts.text(ctx.language, "shop.category", category=docs[0].category), rows)


def _product(ctx: Context, product_id: str) -> Reply:
    product = product_of(ctx.runtime.read_models, product_id)
    if product is None or product.hidden:
        return _edit(ctx, texts.text(ctx.language, "shop.not_on_sale"), [_home_row(ctx)])
    language, reseller = ctx.language, _is_reseller(ctx)
    stock = stock_of(ctx.runtime.read_models, product_id)
    lines = [texts.text(language, "shop.product_name", name=product.name)]
    if product.description:
        lines.append(texts.render(product.description))
    if product.location:
        lines.append(texts.text(language, "shop.location", location=product.location))
    price = price_text(language, product, reseller)
    if reseller and product.reseller_price:
        lines.append(texts.text(language, "shop.reseller_price", price=price))
    else:
        lines.append(texts.text(language, "shop.price", price=price))
    lines.append(texts.text(language, "shop.stock", available=stock.available, sold=stock.sold))
    buy = label(texts.text(language, "shop.buy.button"))
    rows: Keyboard = [[_button(buy, f"shop:b:{product_id}:1")]] if stock.available else []
    rows.append(_home_row(ctx))
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
    text = texts.text(
        ctx.language, "shop.reserved", product=held.product_name, quantity=held.quantity,
        total=held.total, minutes=held.minutes,
    )  # fmt: skip
    return _send(ctx, text, pay_buttons(ctx, held.order_id, held.total))


def pay_buttons(ctx: Context, order_id: str, total: Money) -> Keyboard:
    """Wallet, every offered rail whose spec pays orders in this currency, Cancel. Money a
    rail brings that cannot buy the order (a partial crypto payment an admin approved, one
    after the hold lapsed) goes to the wallet. Drawing them loads no rail's code."""
    from functions.telegram.deposits import order_rails

    language = ctx.language
    wallet_label = label(texts.text(language, "shop.pay_wallet.button"))
    rows: Keyboard = [[_button(wallet_label, f"shop:w:{order_id}")]]
    for option in order_rails(ctx.runtime, total.currency):
        rail_label = label(texts.text(language, "shop.pay_with.button", rail=option.label))
        rows.append([_button(rail_label, f"shop:r:{order_id}:{option.name}")])
    rows.append([_button(label(texts.text(language, "shop.cancel.button")), f"shop:x:{order_id}")])
    return rows


def _pay_wallet(ctx: Context, order_id: str) -> Reply:
    try:
        outcome = checkout.pay_from_wallet(ctx.runtime, ctx.user_id, order_id, ctx.trace)
    except wallet.InsufficientFunds as err:
        # The hold stands: the refusal keeps the order's buttons, to pay it on a rail or
        # cancel it (releasing the unit), instead of leaving a hold nothing can act on.
        return _send(ctx, texts.refusal(ctx.language, err), _held_buttons(ctx, order_id))
    return _send(ctx, outcome_text(ctx.language, outcome), [_home_row(ctx)])


def _held_buttons(ctx: Context, order_id: str) -> Keyboard:
    total = checkout.settled(ctx.runtime, order_id).order.total
    assert total is not None  # a placed order has its total
    return pay_buttons(ctx, order_id, total)


def outcome_text(language: str, outcome: checkout.Settled) -> str:
    """What a payment attempt came to, for the buyer."""
    match outcome.order.state:
        case "delivered" if outcome.items:
            return texts.text(
                language, "shop.paid_items", items=items_text(language, outcome.items)
            )
        case "delivered":
            return texts.text(language, "shop.paid_confirmed")
        case "refunded":
            return texts.text(language, "shop.refunded_sold_out")
        case "paid":
            return texts.text(language, "shop.paid_on_its_way")
        case "placed" | "expired":
            return texts.text(language, "shop.awaiting_payment")
        case state:
            return texts.text(language, "shop.order_is", state=state_label(language, state))


def items_text(language: str, items: tuple[StockItem, ...] | list[StockItem]) -> texts.Html:
    """The delivered items, one per line, each to copy with a tap."""
    return texts.Html("\n".join(texts.text(language, "shop.item", item=i.payload) for i in items))


def state_label(language: str, state: str) -> texts.Html:
    """An order's state in words its buyer knows (never the stored state name)."""
    match state:
        case "placed":
            said = texts.text(language, "shop.state.placed")
        case "paid":
            said = texts.text(language, "shop.state.paid")
        case "delivered":
            said = texts.text(language, "shop.state.delivered")
        case "expired":
            said = texts.text(language, "shop.state.expired")
        case "cancelled":
            said = texts.text(language, "shop.state.cancelled")
        case "refunded":
            said = texts.text(language, "shop.state.refunded")
        case _:  # "new" (never shown: an order is placed when it is seen), or a newer state
            said = texts.text(language, "shop.state.other")
    return texts.Html(said)


def _pay_rail(ctx: Context, rest: str) -> Reply:
    from functions.telegram.shop_rails import pay_order_on_rail

    order_id, _, rail = rest.partition(":")
    return pay_order_on_rail(ctx, order_id, rail)


def _cancel(ctx: Context, order_id: str) -> Reply:
    checkout.cancel(ctx.runtime, ctx.user_id, order_id, ctx.trace)  # else it raises
    return _edit(ctx, texts.text(ctx.language, "shop.cancelled"), [_home_row(ctx)])


def on_orders(ctx: Context, argument: str) -> Reply:
    language = ctx.language
    recent = orders_of(ctx.runtime.read_models, ctx.user_id)
    if not recent:
        return _send(ctx, texts.text(language, "shop.no_orders"), [])
    lines, rows = [], []
    for order in recent[:ORDERS_SHOWN]:
        lines.append(texts.text(
            language, "shop.order_line", product=order.product_name, quantity=order.quantity,
            total=order.total, state=state_label(language, order.state),
        ))  # fmt: skip
        name, shown = order.product_name, f"shop:o:{order.order_id}"
        if order.items:
            show = label(texts.text(language, "shop.show_order.button", product=name))
            rows.append([_button(show, shown)])
        if order.state == "placed":  # held and unpaid: Pay opens its pay buttons
            pay = label(texts.text(language, "shop.pay_order.button", product=name))
            cancel = label(texts.text(language, "shop.cancel_order.button", product=name))
            rows.append([_button(pay, shown), _button(cancel, f"shop:x:{order.order_id}")])
    lines_html = texts.Html("\n".join(lines))
    return _send(ctx, texts.text(language, "shop.orders", lines=lines_html), rows)


def _show_order(ctx: Context, order_id: str) -> Reply:
    outcome = checkout.settled(ctx.runtime, order_id)
    if outcome.order.user_id != ctx.user_id:
        raise orders.NotYourOrder("this is not your order")
    order = outcome.order
    if order.state == "placed" and order.total is not None:
        text = texts.text(ctx.language, "shop.held", total=order.total)
        return _send(ctx, text, pay_buttons(ctx, order_id, order.total))
    return _send(ctx, outcome_text(ctx.language, outcome), [])


def _home(ctx: Context, rest: str) -> Reply:
    return _edit(ctx, *_categories(ctx))


def label(said: str) -> str:
    """A button's label from the catalogue: plain text, so render's HTML escaping of the
    values (a product named `Tea & Co`) is undone; at most 40 characters."""
    return html.unescape(said)[:40]


def _button(text: str, data: str) -> dict[str, str]:
    return {"text": text, "callback_data": data}


def _home_row(ctx: Context) -> list[dict[str, str]]:
    return [_button(label(texts.text(ctx.language, "shop.home.button")), "shop:home")]


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
