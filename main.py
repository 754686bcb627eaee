"""Cloud Functions load `main.py` from the source root: re-export the entry points."""

from functions.main import (
    dead_letter,
    health,
    open_wallets,
    project_balances,
    scheduled_job,
    telegram_webhook,
)

__all__ = [
    "dead_letter",
    "health",
    "open_wallets",
    "project_balances",
    "scheduled_job",
    "telegram_webhook",
]
