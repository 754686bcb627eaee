"""Fake Telegram Bot API server: import point and command line.

The implementation lives in the package `tests.fakes.telegram`; this module keeps the names
tests import and the entry point the local stack runs:

    python -m tests.fakes.telegram_api --port 8081 --token 123456789:AAH-soko-fake-telegram-token

It serves until SIGINT or SIGTERM. Drive it over HTTP with the control API (`/_fake/...`,
see `tests.fakes.telegram.control`).
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from types import FrameType

from tests.fakes.telegram import (
    DEFAULT_PER_CHAT_BURST,
    DEFAULT_TOKEN,
    SECRET_HEADER,
    Call,
    Delivery,
    FakeClock,
    FakeTelegram,
    TranscriptEntry,
)

__all__ = [
    "DEFAULT_TOKEN",
    "SECRET_HEADER",
    "Call",
    "Delivery",
    "FakeClock",
    "FakeTelegram",
    "TranscriptEntry",
    "main",
]


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Fake Telegram Bot API on loopback.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--token", default=DEFAULT_TOKEN)
    parser.add_argument("--bot-username", default="soko_test_bot")
    parser.add_argument("--no-limits", action="store_true", help="turn flood limits off")
    parser.add_argument(
        "--per-chat-burst",
        type=int,
        default=DEFAULT_PER_CHAT_BURST,
        help="messages a chat takes at once before its 1/s limit bites (1: no burst)",
    )
    parser.add_argument("--webhook-url", help="set the bot's webhook at start")
    parser.add_argument("--secret-token", help="secret for --webhook-url")
    parser.add_argument("--verbose", action="store_true", help="log every request")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)
    fake = FakeTelegram(
        args.token,
        args.host,
        args.port,
        per_chat_per_second=None if args.no_limits else 1,
        global_per_second=None if args.no_limits else 30,
        per_group_per_minute=None if args.no_limits else 20,
        per_chat_burst=args.per_chat_burst,
        bot_username=args.bot_username,
        verbose=args.verbose,
    )
    if args.webhook_url:
        fake.set_webhook(args.webhook_url, args.secret_token)
    stopping = threading.Event()

    def _stop(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    with fake:
        print(
            f"fake Telegram Bot API at {fake.base_url}<token>; control at {fake.url}/_fake/",
            flush=True,
        )
        while not stopping.wait(0.5):
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
