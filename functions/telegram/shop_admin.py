"""Shop admin commands in Telegram, for the configured admin ids only.

    /addproduct Name | Category | 100 PLN [| reseller=80] [| kind=unique] [| location=…] [| desc=…]
    /editproduct <id> | name=… | price=120 PLN | …
    /stock <id> 40                      (counted goods)
    /stock <id>  + one item per line    (unique goods: codes, keys, pickup points)
    /discount <id> | category=<name> | location=<name>  <percent>
    /hide <id>, /unhide <id>, /reseller <user id> on|off, /products

Every command becomes events carrying the admin's id; bad input gets a clear message and
writes nothing; a non-admin is refused by the router (functions/telegram/routes.py) and
nothing is written.
"""

from __future__ import annotations

import html
import secrets
from collections.abc import Callable

from events import Money
from events.money import CURRENCIES, MoneyError, format_money, parse_money
from events.shop import GoodsKind, ProductDetails
from functions.domain import products, users
from functions.projections.shop import PRODUCT_FILTERS, all_products, products_where
from functions.runtime.pipeline import Trace
from functions.runtime.ports import Appended
from functions.telegram.chat import Context, Reply, reply

DETAIL_KEYS = frozenset({"name", "category", "price", "reseller", "location", "desc", "photo"})


class AdminInputError(ValueError):
    """Input an admin can fix; the message says how."""


def answered(command: Callable[[Context, str], str]) -> Callable[[Context, str], Reply]:
    """A command whose result is the reply's text; input an admin can fix is the answer.
    The routes are for admins: the router refuses anyone else before anything is parsed,
    and tells a domain refusal."""

    def run(ctx: Context, argument: str) -> Reply:
        try:
            return reply(ctx, command(ctx, argument))
        except (AdminInputError, MoneyError) as err:
            return reply(ctx, html.escape(str(err)))

    return run


def _fields(argument: str) -> list[str]:
    return [part.strip() for part in argument.split("|")]


def _options(parts: list[str]) -> dict[str, str]:
    options: dict[str, str] = {}
    for part in parts:
        key, sep, value = part.partition("=")
        key = key.strip().lower()
        if not sep or key not in DETAIL_KEYS | {"kind"}:
            raise AdminInputError(f"Not understood: {part!r}. Use key=value, e.g. location=Nairobi")
        options[key] = value.strip()
    return options


def parse_price(text: str, default_currency: str) -> Money:
    """'100 PLN', 'PLN 99.99' or '1500' (the shop's default currency)."""
    codes = [t for t in text.upper().split() if t in CURRENCIES]
    return parse_money(text, codes[0] if codes else default_currency)


def _details(ctx: Context, base: ProductDetails | None, options: dict[str, str]) -> ProductDetails:
    currency = ctx.runtime.settings.default_currency
    price = parse_price(options["price"], currency) if "price" in options else None
    values = base.model_dump() if base is not None else {}
    if price is not None:
        values["price"] = price
    if "reseller" in options:
        reseller = options["reseller"]
        values["reseller_price"] = (
            parse_price(reseller, values["price"].currency) if reseller else None
        )
    for key, field in (("name", "name"), ("category", "category"), ("location", "location"),
                       ("desc", "description"), ("photo", "photo")):  # fmt: skip
        if key in options:
            values[field] = options[key]
    try:
        return ProductDetails.model_validate(values)
    except ValueError as err:
        raise AdminInputError("Name, category and price are required; check their lengths") from err


def add_product(ctx: Context, argument: str) -> str:
    parts = _fields(argument)
    if len(parts) < 3 or not all(parts[:3]):
        raise AdminInputError("Usage: /addproduct Name | Category | 100 PLN [| key=value …]")
    options = _options(parts[3:])
    kind_text = options.pop("kind", "counted")
    if kind_text not in ("counted", "unique"):
        raise AdminInputError("kind is counted or unique")
    kind: GoodsKind = "unique" if kind_text == "unique" else "counted"
    details = _details(
        ctx, None, {"name": parts[0], "category": parts[1], "price": parts[2]} | options
    )
    product_id = secrets.token_hex(4)
    command = products.ListProduct(product_id, kind, details, ctx.user_id)
    _execute(ctx, product_id, command)
    return (
        f"Listed {html.escape(details.name)} as <code>{product_id}</code> "
        f"({kind}, {format_money(details.price)}). Add stock with /stock {product_id} …"
    )


def edit_product(ctx: Context, argument: str) -> str:
    parts = _fields(argument)
    product = _product(ctx, parts[0])
    details = _details(ctx, product.details, _options(parts[1:]))
    _execute(ctx, product.product_id, products.Edit(details, ctx.user_id))
    return f"Saved {html.escape(details.name)}."


def add_stock(ctx: Context, argument: str) -> str:
    first, _, lines = argument.partition("\n")
    head = first.split()
    if not head:
        raise AdminInputError("Usage: /stock <product id> <quantity>, or items one per line")
    product = _product(ctx, head[0])
    if product.kind == "unique":
        command = products.AddStock(ctx.user_id, payloads=tuple(lines.splitlines()))
    else:
        if len(head) != 2 or not head[1].isdigit():
            raise AdminInputError("Usage: /stock <product id> <quantity> (a whole number)")
        command = products.AddStock(ctx.user_id, quantity=int(head[1]))
    appended = _execute(ctx, product.product_id, command)
    units = sum(int(e.data["quantity"]) for e in appended.events)
    return f"Added {units} units in {len(appended.events)} lot(s)."


def set_discount(ctx: Context, argument: str) -> str:
    target, _, percent_text = argument.strip().rpartition(" ")
    if not target or not percent_text.removesuffix("%").isdigit():
        raise AdminInputError("Usage: /discount <id> | category=<name> | location=<name> <percent>")
    percent = int(percent_text.removesuffix("%"))
    if not 0 <= percent <= products.MAX_DISCOUNT:
        raise AdminInputError(f"A discount is 0 to {products.MAX_DISCOUNT} percent")
    ids = _targets(ctx, target.strip())
    for product_id in ids:
        _execute(ctx, product_id, products.SetDiscount(percent, ctx.user_id), suffix=product_id)
    return f"Discount {percent}% set on {len(ids)} product(s)."


def _targets(ctx: Context, target: str) -> list[str]:
    key, sep, value = target.partition("=")
    if not sep:
        return [_product(ctx, target).product_id]
    if key.strip() not in PRODUCT_FILTERS:
        raise AdminInputError("Target a product id, category=<name> or location=<name>")
    found = products_where(ctx.runtime.read_models, key.strip(), value.strip())
    if not found:
        raise AdminInputError(f"No product has {key.strip()} {value.strip()!r}")
    return sorted(p.product_id for p in found)


def set_photo(ctx: Context, argument: str) -> str:
    """A photo sent with the caption `/photo <id>`: the product card shows it (by file_id)."""
    assert ctx.message is not None
    product = _product(ctx, argument.split()[0] if argument.split() else "")
    assert product.details is not None
    largest = max(ctx.message.photo, key=lambda size: size.width * size.height)
    details = product.details.model_copy(update={"photo": largest.file_id})
    _execute(ctx, product.product_id, products.Edit(details, ctx.user_id))
    return f"Photo set for {html.escape(details.name)}."


def hide(ctx: Context, argument: str) -> str:
    return _visibility(ctx, argument, hidden=True)


def unhide(ctx: Context, argument: str) -> str:
    return _visibility(ctx, argument, hidden=False)


def _visibility(ctx: Context, argument: str, hidden: bool) -> str:
    product = _product(ctx, argument.strip())
    _execute(ctx, product.product_id, products.SetVisibility(hidden, ctx.user_id))
    return f"{'Hidden' if hidden else 'On sale again'}: <code>{product.product_id}</code>."


def set_reseller(ctx: Context, argument: str) -> str:
    parts = argument.split()
    if len(parts) != 2 or not parts[0].isdigit() or parts[1] not in ("on", "off"):
        raise AdminInputError("Usage: /reseller <user id> on|off")
    user_id, on = int(parts[0]), parts[1] == "on"
    ctx.runtime.pipeline.execute(
        users.users, users.stream_of(user_id), users.SetReseller(user_id, on, ctx.user_id),
        ctx.trace,
    )  # fmt: skip
    return f"User {user_id} is {'now' if on else 'no longer'} a reseller."


def list_products(ctx: Context, argument: str) -> str:
    catalog = all_products(ctx.runtime.read_models)
    if not catalog:
        return "No products yet. Add one with /addproduct."
    return "\n".join(
        f"<code>{p.product_id}</code> {html.escape(p.name)}{' (hidden)' if p.hidden else ''}"
        for p in catalog
    )


def _product(ctx: Context, product_id: str) -> products.Product:
    product = ctx.runtime.pipeline.current(products.products, products.stream_of(product_id))
    if not product.listed:
        raise AdminInputError(f"No product {product_id!r}; see /products")
    return product


def _execute(
    ctx: Context, product_id: str, command: products.ProductCommand, suffix: str = ""
) -> Appended:
    trace = ctx.trace
    if suffix:  # one update commanding several products: one key per product
        key = f"{trace.idempotency_key}:{suffix}" if trace.idempotency_key else None
        trace = Trace(key, trace.causation_id, trace.correlation_id)
    # Followed inline: new stock is in its lots when the admin reads the answer.
    return ctx.runtime.execute(products.products, products.stream_of(product_id), command, trace)


# The handlers the admin routes point at (functions/telegram/routes.py).
on_addproduct = answered(add_product)
on_editproduct = answered(edit_product)
on_stock = answered(add_stock)
on_discount = answered(set_discount)
on_hide = answered(hide)
on_unhide = answered(unhide)
on_reseller = answered(set_reseller)
on_products = answered(list_products)
on_photo = answered(set_photo)
