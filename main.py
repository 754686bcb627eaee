"""Cloud Functions load `main.py` from the source root: re-export the entry points."""

from functions.main import (
    credit_deposits,
    dead_letter,
    debit_refunds,
    health,
    notify,
    open_wallets,
    payment_webhook,
    project_balances,
    project_payments,
    project_shop,
    run_checkout,
    scheduled_job,
    telegram_webhook,
)

__all__ = [
    "credit_deposits",
    "dead_letter",
    "debit_refunds",
    "health",
    "notify",
    "open_wallets",
    "payment_webhook",
    "project_balances",
    "project_payments",
    "project_shop",
    "run_checkout",
    "scheduled_job",
    "telegram_webhook",
]
