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

import secrets
from collections.abc import Callable

from events import Money
from events.money import CURRENCIES, MoneyError, parse_money
from events.shop import GoodsKind, ProductDetails
from functions import texts
from functions.domain import products, users
from functions.projections.shop import (
    PRODUCT_FILTERS,
    ProductView,
    all_products,
    products_where,
)
from functions.runtime.pipeline import Trace
from functions.runtime.ports import Appended
from functions.telegram.chat import Context, Reply, reply

DETAIL_KEYS = frozenset({"name", "category", "price", "reseller", "location", "desc", "photo"})


class AdminInputError(ValueError):
    """Input an admin can fix; the message (the catalogue's text, HTML) says how."""


def answered(command: Callable[[Context, str], str]) -> Callable[[Context, str], Reply]:
    """A command whose result is the reply's text; input an admin can fix is the answer.
    The routes are for admins: the router refuses anyone else before anything is parsed,
    and tells a domain refusal."""

    def run(ctx: Context, argument: str) -> Reply:
        try:
            return reply(ctx, command(ctx, argument))
        except AdminInputError as err:
            return reply(ctx, str(err))

    return run


def _fields(argument: str) -> list[str]:
    return [part.strip() for part in argument.split("|")]


def _options(ctx: Context, parts: list[str]) -> dict[str, str]:
    options: dict[str, str] = {}
    for part in parts:
        key, sep, value = part.partition("=")
        key = key.strip().lower()
        if not sep or key not in DETAIL_KEYS | {"kind"}:
            raise AdminInputError(texts.text(ctx.language, "shop.admin.not_understood", part=part))
        options[key] = value.strip()
    return options


def parse_price(text: str, default_currency: str) -> Money:
    """'100 PLN', 'PLN 99.99' or '1500' (the shop's default currency)."""
    codes = [t for t in text.upper().split() if t in CURRENCIES]
    return parse_money(text, codes[0] if codes else default_currency)


def _price(ctx: Context, given: str, default_currency: str) -> Money:
    try:
        return parse_price(given, default_currency)
    except MoneyError as err:
        raise AdminInputError(
            texts.text(ctx.language, "shop.admin.bad_price", price=given)
        ) from err


def _details(ctx: Context, base: ProductDetails | None, options: dict[str, str]) -> ProductDetails:
    # A price without a currency code is in the product's currency, or the shop's default.
    currency = base.price.currency if base is not None else ctx.runtime.settings.default_currency
    price = _price(ctx, options["price"], currency) if "price" in options else None
    values = base.model_dump() if base is not None else {}
    if price is not None:
        values["price"] = price
    if "reseller" in options:
        reseller, in_currency = options["reseller"], price.currency if price else currency
        values["reseller_price"] = _price(ctx, reseller, in_currency) if reseller else None
    for key, field in (("name", "name"), ("category", "category"), ("location", "location"),
                       ("desc", "description"), ("photo", "photo")):  # fmt: skip
        if key in options:
            values[field] = options[key]
    try:
        return ProductDetails.model_validate(values)
    except ValueError as err:
        said = texts.text(ctx.language, "shop.admin.details_required")
        raise AdminInputError(said) from err


def add_product(ctx: Context, argument: str) -> str:
    parts = _fields(argument)
    if len(parts) < 3 or not all(parts[:3]):
        raise AdminInputError(texts.text(ctx.language, "shop.admin.usage_addproduct"))
    options = _options(ctx, parts[3:])
    kind_text = options.pop("kind", "counted")
    if kind_text not in ("counted", "unique"):
        raise AdminInputError(texts.text(ctx.language, "shop.admin.kind"))
    kind: GoodsKind = "unique" if kind_text == "unique" else "counted"
    details = _details(
        ctx, None, {"name": parts[0], "category": parts[1], "price": parts[2]} | options
    )
    product_id = secrets.token_hex(4)
    command = products.ListProduct(product_id, kind, details, ctx.user_id)
    _execute(ctx, product_id, command)
    return texts.text(
        ctx.language, "shop.admin.listed", name=details.name, product_id=product_id, kind=kind,
        price=details.price,
    )  # fmt: skip


def edit_product(ctx: Context, argument: str) -> str:
    parts = _fields(argument)
    product = _product(ctx, parts[0])
    details = _details(ctx, product.details, _options(ctx, parts[1:]))
    _execute(ctx, product.product_id, products.Edit(details, ctx.user_id))
    return texts.text(ctx.language, "shop.admin.saved", name=details.name)


def add_stock(ctx: Context, argument: str) -> str:
    first, _, lines = argument.partition("\n")
    head = first.split()
    if not head:
        raise AdminInputError(texts.text(ctx.language, "shop.admin.usage_stock"))
    product = _product(ctx, head[0])
    if product.kind == "unique":
        command = products.AddStock(ctx.user_id, payloads=tuple(lines.splitlines()))
    else:
        if len(head) != 2 or not head[1].isdigit():
            raise AdminInputError(texts.text(ctx.language, "shop.admin.usage_stock_quantity"))
        command = products.AddStock(ctx.user_id, quantity=int(head[1]))
    appended = _execute(ctx, product.product_id, command)
    units = sum(int(e.data["quantity"]) for e in appended.events)
    return texts.text(
        ctx.language, "shop.admin.stock_added", units=units, lots=len(appended.events)
    )


def set_discount(ctx: Context, argument: str) -> str:
    target, _, percent_text = argument.strip().rpartition(" ")
    if not target or not percent_text.removesuffix("%").isdigit():
        raise AdminInputError(texts.text(ctx.language, "shop.admin.usage_discount"))
    percent = int(percent_text.removesuffix("%"))
    if not 0 <= percent <= products.MAX_DISCOUNT:
        most = products.MAX_DISCOUNT
        raise AdminInputError(texts.text(ctx.language, "shop.admin.discount_range", most=most))
    ids = _targets(ctx, target.strip())
    for product_id in ids:
        _execute(ctx, product_id, products.SetDiscount(percent, ctx.user_id), suffix=product_id)
    return texts.text(ctx.language, "shop.admin.discount_set", percent=percent, count=len(ids))


def _targets(ctx: Context, target: str) -> list[str]:
    key, sep, value = target.partition("=")
    if not sep:
        return [_product(ctx, target).product_id]
    key, value = key.strip(), value.strip()
    if key not in PRODUCT_FILTERS:
        raise AdminInputError(texts.text(ctx.language, "shop.admin.target"))
    found = products_where(ctx.runtime.read_models, key, value)
    if not found:
        said = texts.text(ctx.language, "shop.admin.no_match", filter=key, value=value)
        raise AdminInputError(said)
    return sorted(p.product_id for p in found)


def set_photo(ctx: Context, argument: str) -> str:
    """A photo sent with the caption `/photo <id>`: the product card shows it (by file_id)."""
    assert ctx.message is not None
    product = _product(ctx, argument.split()[0] if argument.split() else "")
    assert product.details is not None
    largest = max(ctx.message.photo, key=lambda size: size.width * size.height)
    details = product.details.model_copy(update={"photo": largest.file_id})
    _execute(ctx, product.product_id, products.Edit(details, ctx.user_id))
    return texts.text(ctx.language, "shop.admin.photo_set", name=details.name)


def hide(ctx: Context, argument: str) -> str:
    return _visibility(ctx, argument, hidden=True)


def unhide(ctx: Context, argument: str) -> str:
    return _visibility(ctx, argument, hidden=False)


def _visibility(ctx: Context, argument: str, hidden: bool) -> str:
    product = _product(ctx, argument.strip())
    _execute(ctx, product.product_id, products.SetVisibility(hidden, ctx.user_id))
    if hidden:
        return texts.text(ctx.language, "shop.admin.hidden", product_id=product.product_id)
    return texts.text(ctx.language, "shop.admin.on_sale", product_id=product.product_id)


def set_reseller(ctx: Context, argument: str) -> str:
    parts = argument.split()
    if len(parts) != 2 or not parts[0].isdigit() or parts[1] not in ("on", "off"):
        raise AdminInputError(texts.text(ctx.language, "shop.admin.usage_reseller"))
    user_id, on = int(parts[0]), parts[1] == "on"
    ctx.runtime.pipeline.execute(
        users.users, users.stream_of(user_id), users.SetReseller(user_id, on, ctx.user_id),
        ctx.trace,
    )  # fmt: skip
    who = str(user_id)  # an id, not a quantity: no thousands separators
    if on:
        return texts.text(ctx.language, "shop.admin.reseller_on", user_id=who)
    return texts.text(ctx.language, "shop.admin.reseller_off", user_id=who)


def list_products(ctx: Context, argument: str) -> str:
    catalog = all_products(ctx.runtime.read_models)
    if not catalog:
        return texts.text(ctx.language, "shop.admin.no_products")
    return "\n".join(_product_line(ctx.language, p) for p in catalog)


def _product_line(language: str, product: ProductView) -> str:
    if product.hidden:
        return texts.text(
            language, "shop.admin.product_line_hidden", product_id=product.product_id,
            name=product.name,
        )  # fmt: skip
    return texts.text(
        language, "shop.admin.product_line", product_id=product.product_id, name=product.name
    )


def _product(ctx: Context, product_id: str) -> products.Product:
    product = ctx.runtime.pipeline.current(products.products, products.stream_of(product_id))
    if not product.listed:
        said = texts.text(ctx.language, "shop.admin.no_product", product_id=product_id)
        raise AdminInputError(said)
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
