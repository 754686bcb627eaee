"""Cloud Functions load `main.py` from the source root: re-export the entry points."""

from functions.main import project_balances, scheduled_job, telegram_webhook

__all__ = ["project_balances", "scheduled_job", "telegram_webhook"]
