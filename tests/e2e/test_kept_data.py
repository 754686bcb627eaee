"""`make dev KEEP=1`: the whole stack stopped and started again keeps its data, and a message
sent after the restart is a new message, not a repeat of one the kept data has seen."""

from __future__ import annotations

from pathlib import Path

import pytest

from infra.local.kept_data import MANIFEST
from infra.local.stack import LOCAL_ADMIN_ID, LocalStack, Secrets, TelegramLimits
from tests.e2e.conftest import eventually

pytestmark = pytest.mark.e2e

# Lifted so that a test's messages are not paced; the numbering is what is under test.
UNLIMITED = TelegramLimits(per_chat_per_second=None, global_per_second=None)


def stack(tmp_path: Path, run: str, secrets: Secrets) -> LocalStack:
    return LocalStack(
        log_dir=tmp_path / run,
        telegram_limits=UNLIMITED,
        run_schedules=False,
        secrets=secrets,
        keep_data=tmp_path / "data",
    )


def said(running: LocalStack, text: str) -> str:
    """The admin writes `text`; the bot's answer."""
    before = len(running.telegram.messages_to(LOCAL_ADMIN_ID))
    delivery = running.telegram.send_text(LOCAL_ADMIN_ID, text, first_name="Admin")
    assert delivery.status == 200, delivery
    answers = running.telegram.messages_to(LOCAL_ADMIN_ID)[before:]
    assert answers, f"no answer to {text!r}"
    return answers[-1]


def listing(running: LocalStack, name: str) -> str | None:
    """The admin's /products, once it lists `name`."""
    products = said(running, "/products")
    return products if name in products else None


def test_products_survive_a_restart_and_the_next_commands_are_not_taken_for_repeats(
    tmp_path: Path,
) -> None:
    # One bot token for both runs (as --secrets-from-env gives): update ids numbered afresh
    # would repeat the kept `tg:<bot id>:<update_id>` keys and the bot would drop the command.
    secrets = Secrets.generate()
    with stack(tmp_path, "first", secrets) as first:
        assert first.kept is None
        said(first, "/start")
        assert "Listed Kept kite" in said(first, "/addproduct Kept kite | Kites | 300 KES")
        last_update = first.telegram.state.numbering()[0] - 1
    assert (tmp_path / "data" / MANIFEST).is_file()

    with stack(tmp_path, "second", secrets) as second:
        assert second.kept is not None
        assert second.kept.events > 0
        assert second.kept.next_update_id > last_update
        assert "Listed New kite" in said(second, "/addproduct New kite | Kites | 400 KES")
        # The catalogue is a read model, fed over Pub/Sub: the new product shows a moment later.
        products = eventually(lambda: listing(second, "New kite"), timeout=15)
    assert "Kept kite" in products
