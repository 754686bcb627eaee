"""The shop: products, lots of stock, orders, and the checkout saga between them."""

from functions.contexts.base import BoundedContext, Function, Job, Lazy, Subscriber
from functions.notifications.shop_rules import order_delivered, order_money_returned
from functions.projections.shop import orders_view, products_view, stock_view
from functions.reactors.checkout import CHECKOUT

CONTEXT = BoundedContext(
    name="shop",
    categories=("product", "lot", "order"),
    commands_append_to=("product", "lot", "order"),
    projections=(products_view, stock_view, orders_view),
    reactors=CHECKOUT,
    inline=CHECKOUT,  # the buyer's answer shows the item, not "wait for it"
    rules={
        "order.delivered.v1": (order_delivered,),
        "wallet.credited.v1": (order_money_returned,),
    },
    jobs=(Job("expire-reservations", "* * * * *", Lazy("functions.jobs.reservations", "expire")),),
    subscribers=(
        Subscriber(
            Function("project_shop", "pubsub", concurrency=8),
            projections=(products_view, stock_view, orders_view),
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
            reactors=CHECKOUT,
            subscription="checkout-{category}",
        ),
    ),
)
