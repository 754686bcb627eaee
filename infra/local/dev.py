"""`make dev`: chat with the bot in the terminal.

This first stage runs every function in one process on the memory adapters; the emulator
stack replaces it (issue #3).
"""

from __future__ import annotations

import itertools
import os
import secrets
from pathlib import Path

from functions_framework import create_app

ROOT = Path(__file__).parents[2]


def main() -> None:
    secret = secrets.token_urlsafe(24)
    os.environ.update(
        SOKO_BACKEND="memory",
        SOKO_BOT_TOKEN=f"100000:{secrets.token_urlsafe(16)}",
        SOKO_WEBHOOK_SECRET=secret,
        SOKO_SCHEDULER_SECRET=secrets.token_urlsafe(24),
    )
    webhook = create_app("telegram_webhook", str(ROOT / "main.py")).test_client()
    update_ids = itertools.count(1)
    user_id, name = 1001, "Wanjiru"
    print("Soko local console (memory adapters). Type messages; /as <id> <name> switches user.")
    while True:
        try:
            text = input(f"{name}> ").strip()
        except (EOFError, KeyboardInterrupt):
            print()
            return
        if text.startswith("/as "):
            _, raw_id, *rest = text.split()
            user_id, name = int(raw_id), " ".join(rest) or f"user{raw_id}"
            continue
        if not text:
            continue
        update = {
            "update_id": next(update_ids),
            "message": {
                "message_id": next(update_ids),
                "date": 0,
                "chat": {"id": user_id, "type": "private", "first_name": name},
                "from": {"id": user_id, "is_bot": False, "first_name": name, "language_code": "en"},
                "text": text,
            },
        }
        response = webhook.post(
            "/", json=update, headers={"X-Telegram-Bot-Api-Secret-Token": secret}
        )
        reply = response.get_json(silent=True) or {}
        print(f"bot> {reply.get('text', f'[HTTP {response.status_code}]')}")


if __name__ == "__main__":
    main()
