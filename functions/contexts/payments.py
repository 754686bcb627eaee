"""Payments on every rail: started, confirmed with the provider, settled once, refunded."""

from functions.contexts.base import BoundedContext, Function, Job, Lazy, Subscriber
from functions.notifications.rules import (
    manual_declared,
    payment_failed,
    payment_held,
    payment_refunded,
)
from functions.projections.payments import payments_view
from functions.reactors.credit_deposit import credit_deposit
from functions.reactors.debit_refund import debit_refund
from functions.telegram.routes import Route, button, command, question, update

DEPOSITS = "functions.telegram.deposits"
STARS = "functions.telegram.stars"
MANUAL = "functions.telegram.manual"
ROUTES: tuple[Route, ...] = (
    command("/deposit", DEPOSITS, "on_deposit", "help.deposit"),
    command("/history", DEPOSITS, "on_history", "help.history"),
    command("/phone", "functions.telegram.mobile_money", "on_phone", "help.phone", "anyone",
            "<number>"),
    button("dep", DEPOSITS, "on_option_button"),  # /deposit's option buttons
    question("deposit_amount", DEPOSITS, "on_deposit"),  # `<option> <amount> [extra]`
    update("pre_checkout_query", STARS, "on_pre_checkout"),
    update("successful_payment", STARS, "on_successful_payment"),
    update("refunded_payment", STARS, "on_refunded_payment"),
    command("/held", MANUAL, "on_held", "help.held", "admin"),
    command("/rails", "functions.telegram.rails_admin", "on_rails", "help.rails", "admin"),
    command("/credit", MANUAL, "on_credit", "help.credit", "admin",
            "<payment id> <amount> <currency>"),
    command("/refund", "functions.telegram.refunds", "on_refund", "help.refund",
            "admin", "<payment id>"),
    button("adm", MANUAL, "on_admin_tap", "admin"),  # Approve / Reject under a payment
)  # fmt: skip

CONTEXT = BoundedContext(
    name="payments",
    routes=ROUTES,
    categories=("payment",),
    commands_append_to=("payment",),  # Stars deposits, manual transfers, refunds
    projections=(payments_view,),
    reactors=(credit_deposit, debit_refund),
    rules={
        "payment.failed.v1": (payment_failed,),
        "payment.expired.v1": (payment_failed,),
        "payment.held_for_review.v1": (payment_held,),
        "payment.refunded.v1": (payment_refunded,),
        "payment.started.v1": (manual_declared,),
    },
    jobs=(
        Job("expire-payments", "* * * * *", Lazy("functions.jobs.payments", "expire")),
        Job("reconcile-payments", "*/5 * * * *", Lazy("functions.jobs.payments", "reconcile")),
    ),
    subscribers=(
        Subscriber(
            Function(
                "credit_deposits", "pubsub", concurrency=4, family="reactor", publishes=("wallet",)
            ),
            reactors=(credit_deposit,),
        ),
        Subscriber(
            Function(
                "debit_refunds", "pubsub", concurrency=4, family="reactor", publishes=("wallet",)
            ),
            reactors=(debit_refund,),
        ),
        Subscriber(
            Function("project_payments", "pubsub", concurrency=4), projections=(payments_view,)
        ),
    ),
    functions=(
        Function(
            "payment_webhook",
            "http",
            concurrency=8,
            public=True,  # providers cannot send Google identity tokens
            family="payments",
            publishes=("payment",),
            uses_rails=True,  # callbacks, confirmed by the rail's status query
        ),
    ),
)
