"""Cloud Functions load `main.py` from the source root: re-export the entry points."""

from functions.main import (
    credit_deposits,
    dead_letter,
    health,
    open_wallets,
    payment_webhook,
    project_balances,
    project_payments,
    scheduled_job,
    telegram_webhook,
)

__all__ = [
    "credit_deposits",
    "dead_letter",
    "health",
    "open_wallets",
    "payment_webhook",
    "project_balances",
    "project_payments",
    "scheduled_job",
    "telegram_webhook",
]
