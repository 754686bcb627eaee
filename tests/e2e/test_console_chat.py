"""What a newcomer does at the chat console, on the emulator stack: a bank transfer out of
the box, a tap on a button the bot has edited away, a multi-line /stock piped into the
standalone console, and the bot's usage texts with their <placeholders>."""

from __future__ import annotations

import io
import re
import uuid

import pytest

from infra.local.console import Console, InProcessBackend
from infra.local.stack import LOCAL_ADMIN_ID, LocalStack
from tests.e2e.conftest import eventually
from tests.e2e.console_process import run_console
from tests.e2e.rails import credited

pytestmark = pytest.mark.e2e


def chat_as(stack: LocalStack, user_id: int, name: str) -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    console = Console(
        InProcessBackend(stack.telegram), out=out, pace=0.0, users={user_id: name}, user_id=user_id
    )
    console.run(iter(["/start"]))
    return console, out


def listed(admin: Console, out: io.StringIO, spec: str) -> str:
    admin.run(iter([f"/addproduct {spec}"]))
    found = re.findall(r"Listed .+? as (\w+) ", out.getvalue())
    assert found, out.getvalue()
    return str(found[-1])


def test_a_bank_transfer_works_out_of_the_box_and_the_admin_approves_it(
    e2e_stack: LocalStack,
) -> None:
    user = 8601
    customer, out = chat_as(e2e_stack, user, "Kasia")
    customer.run(iter(["/deposit bank 100 REF123"]))
    assert "Send PLN 100.00 to:" in out.getvalue(), out.getvalue()
    assert "IBAN PL00 0000 0000 0000 0000 0000 0000" in out.getvalue()
    admin, admin_out = chat_as(e2e_stack, LOCAL_ADMIN_ID, "Admin")
    eventually(lambda: admin.show_new() or "REF123" in admin_out.getvalue(), timeout=60)
    admin.run(iter(["/tap Approve"]))  # the label is "✅ Approve"
    assert "no button" not in admin_out.getvalue(), admin_out.getvalue()
    eventually(lambda: credited(e2e_stack, user, "PLN"), timeout=60)


def test_tapping_a_button_the_bot_edited_away_says_so_and_the_chat_goes_on(
    e2e_stack: LocalStack,
) -> None:
    tag = uuid.uuid4().hex[:6]
    admin, admin_out = chat_as(e2e_stack, LOCAL_ADMIN_ID, "Admin")
    listed(admin, admin_out, f"Kite {tag} | Kites{tag} | 300 KES | kind=counted")
    listed(admin, admin_out, f"Atlas {tag} | Maps{tag} | 400 KES | kind=counted")
    # Another user waits until the catalog lists both (the listings reach it in either
    # order): the buyer's chat then holds one shop message, whose buttons the taps edit.
    watcher, watched = chat_as(e2e_stack, 8603, "Wanjiru")

    def shop_lists_both() -> bool:
        watcher.run(iter(["/shop"]))
        latest = watched.getvalue().rsplit("bot> ", 1)[-1]
        return f"Kites{tag}" in latest and f"Maps{tag}" in latest

    eventually(shop_lists_both, timeout=60)
    buyer, out = chat_as(e2e_stack, 8602, "Baraka")
    # Tapping a category edits the shop message into that category's products: the other
    # categories' buttons are gone from it, though the transcript still shows them above.
    buyer.run(
        iter(["/shop", f"/tap Kites{tag}", f"/tap Maps{tag}", "/tap « Shop", f"/tap Maps{tag}"])
    )
    shown = out.getvalue()
    assert f"no button labelled 'Maps{tag}'; buttons now: Kite {tag} | « Shop" in shown, shown
    assert f"Atlas {tag}" in shown.rsplit("Choose a category:", 1)[-1]  # the chat went on


def test_a_multi_line_stock_piped_into_the_standalone_console(e2e_stack: LocalStack) -> None:
    tag = uuid.uuid4().hex[:6]
    admin, admin_out = chat_as(e2e_stack, LOCAL_ADMIN_ID, "Admin")
    product = listed(admin, admin_out, f"Game key {tag} | Games{tag} | 100 KES | kind=unique")
    piped = f"/multi /stock {product}\nKEY-{tag}-1\nKEY-{tag}-2\nKEY-{tag}-3\n/end\n/quit\n"
    run = run_console(
        *("--pace", "0", "--fake-url", e2e_stack.telegram.url, "--user", str(LOCAL_ADMIN_ID)),
        stdin=piped,
    )
    assert "Added 3 units in" in run.stdout, run.stdout
    assert f"...> KEY-{tag}-2" in run.stdout  # echoed as lines of one message


def test_the_bots_usage_texts_keep_their_placeholders(e2e_stack: LocalStack) -> None:
    admin, out = chat_as(e2e_stack, LOCAL_ADMIN_ID, "Admin")
    admin.run(iter(["/refund", "/credit"]))
    shown = out.getvalue()
    assert "Usage: /refund <payment id> (the ref shown with the deposit)." in shown, shown
    assert "Usage: /credit <payment id> <amount> <currency>, e.g. 12.50 USD" in shown, shown
