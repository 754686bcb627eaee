"""The shop: products, lots of stock, orders, and the checkout saga between them."""

from functions.contexts.base import (
    BoundedContext,
    Function,
    Job,
    Lazy,
    Subscriber,
    projections,
    reactors,
    rule,
)
from functions.telegram.routes import Ref, Route, command, question

VIEWS = projections("functions.projections.shop", "SHOP_VIEWS")  # products, stock, orders
CHECKOUT = reactors("functions.reactors.checkout", "CHECKOUT")
RULES = "functions.notifications.shop_rules"

SHOP = "functions.telegram.shop"
SHOP_ADMIN = "functions.telegram.shop_admin"


def _admin(key: str, args: str, help: str) -> Route:
    return command(f"/{key}", SHOP_ADMIN, f"on_{key}", help, "admin", args)


ROUTES: tuple[Route, ...] = (
    command("/shop", SHOP, "on_shop", "help.shop"),
    command("/orders", SHOP, "on_orders", "help.orders"),
    # Browsing, buying, paying, orders: the shop routes its own `shop:<action>` buttons.
    Route("callback", "shop", Ref(SHOP, "on_button"), refused=Ref(SHOP, "refused")),
    question("order_phone", "functions.telegram.shop_rails", "on_phone_answer"),
    _admin("addproduct", "Name | Category | price [| kind=unique] […]", "help.addproduct"),
    _admin("editproduct", "<id> | name=… | price=…", "help.editproduct"),
    _admin("stock", "<id> <count>, or one item per line", "help.stock"),
    _admin("discount", "<id> | category=… | location=… <percent>", "help.discount"),
    _admin("hide", "<id>", "help.hide"),
    _admin("unhide", "<id>", "help.unhide"),
    _admin("reseller", "<user id> on|off", "help.reseller"),
    _admin("products", "", "help.products"),
    Route("command", "/photo", Ref(SHOP_ADMIN, "on_photo"), "admin", "help.photo", "<id>",
          in_caption=True),
)  # fmt: skip

CONTEXT = BoundedContext(
    name="shop",
    routes=ROUTES,
    categories=("product", "lot", "order"),
    commands_append_to=("product", "lot", "order"),
    projections=(VIEWS,),
    reactors=(CHECKOUT,),
    # The buyer's answer shows the item, not "wait for it": the saga's steps, by category.
    inline={category: (CHECKOUT,) for category in ("product", "lot", "order", "wallet", "payment")},
    rules={
        "order.delivered.v1": (rule(RULES, "order_delivered"),),
        "wallet.credited.v1": (rule(RULES, "order_money_returned"),),
    },
    jobs=(Job("expire-reservations", "* * * * *", Lazy("functions.jobs.reservations", "expire")),),
    subscribers=(
        Subscriber(
            Function("project_shop", "pubsub", concurrency=8),
            projections=(VIEWS,),
            subscription="project-{category}s",
        ),
        Subscriber(
            Function(
                "run_checkout",
                "pubsub",
                concurrency=8,
                family="reactor",
                publishes=("wallet", "lot", "order"),
            ),
            reactors=(CHECKOUT,),
            subscription="checkout-{category}",
        ),
    ),
)
