"""Payments on every rail: started, confirmed with the provider, settled once, refunded."""

from functions.contexts.base import (
    BoundedContext,
    Function,
    Job,
    Lazy,
    Subscriber,
    projection,
    reactor,
    rule,
)
from functions.telegram.routes import Route, button, command, question, update

PAYMENTS_VIEW = projection("functions.projections.payments", "payments_view")
CREDIT_DEPOSIT = reactor("functions.reactors.credit_deposit", "credit_deposit")
DEBIT_REFUND = reactor("functions.reactors.debit_refund", "debit_refund")
RULES = "functions.notifications.rules"

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
    projections=(PAYMENTS_VIEW,),
    reactors=(CREDIT_DEPOSIT, DEBIT_REFUND),
    rules={
        "payment.failed.v1": (rule(RULES, "payment_failed"),),
        "payment.expired.v1": (rule(RULES, "payment_failed"),),
        "payment.held_for_review.v1": (rule(RULES, "payment_held"),),
        "payment.refunded.v1": (rule(RULES, "payment_refunded"),),
        "payment.started.v1": (rule(RULES, "manual_declared"),),
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
            reactors=(CREDIT_DEPOSIT,),
        ),
        Subscriber(
            Function(
                "debit_refunds", "pubsub", concurrency=4, family="reactor", publishes=("wallet",)
            ),
            reactors=(DEBIT_REFUND,),
        ),
        Subscriber(
            Function("project_payments", "pubsub", concurrency=4), projections=(PAYMENTS_VIEW,)
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
