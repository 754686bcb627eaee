"""Cloud Functions load `main.py` from the source root: re-export the entry points.

The subscribers are looked up through functions.main's module `__getattr__` (PEP 562)."""

from functions.main import (
    __getattr__,
    dead_letter,
    health,
    payment_webhook,
    scheduled_job,
    telegram_webhook,
)

__all__ = [
    "__getattr__",
    "dead_letter",
    "health",
    "payment_webhook",
    "scheduled_job",
    "telegram_webhook",
]
