"""The chat console of the local stack, against a scripted fake Telegram (no stack needed):
stale buttons, multi-line messages, the bot's text as the user reads it."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field

import httpx
import pytest

from infra.local.console import BotLine, Console, HttpBackend, Refusal, Sent, run_console

pytestmark = pytest.mark.unit

USER = 1001


@dataclass
class ScriptedTelegram:
    """A Backend whose transcript is written by the test; it refuses, as the fake Telegram
    does, a press on a button the message does not have (any more)."""

    lines: list[BotLine] = field(default_factory=list)
    sent: list[str] = field(default_factory=list)
    pressed: list[tuple[int, str]] = field(default_factory=list)
    edit_before_press: BotLine | None = None  # the bot edits the message meanwhile

    def send_text(self, user_id: int, text: str, first_name: str) -> Sent:
        self.sent.append(text)
        return Sent(200, None)

    def press_button(self, user_id: int, message_id: int, callback_data: str) -> Sent:
        if self.edit_before_press is not None:
            self.lines.append(self.edit_before_press)
            self.edit_before_press = None
        current = [line for line in self.lines if line.message_id == message_id][-1]
        if not any(button.endswith(f"[{callback_data}]") for button in current.buttons):
            raise LookupError(f"message {message_id} has no button {callback_data!r}")
        self.pressed.append((message_id, callback_data))
        return Sent(200, None)

    def pay_invoice(self, user_id: int, message_id: int) -> Sent:
        raise AssertionError("not used")

    def bot_lines(self, chat_id: int) -> list[BotLine]:
        return list(self.lines) if chat_id == USER else []

    def refusals(self, chat_id: int) -> list[Refusal]:
        return []

    def make_admin(self, owner_id: int, chat_id: int, title: str) -> Sent:
        self.sent.append(f"made admin of {chat_id} ({title}) by {owner_id}")
        return Sent(200, None)

    def ask_to_join(self, user_id: int, chat_id: int, invite_link: str | None = None) -> Sent:
        if chat_id == -1:
            raise LookupError("chat -1 has no join-request link")
        self.sent.append(f"{user_id} opens {invite_link or 'their link'} to {chat_id}")
        return Sent(200, None)

    def members(self, chat_id: int) -> list[int]:
        return [USER]


def console(backend: ScriptedTelegram) -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(backend, out=out, pace=0.0), out


SHOP = BotLine("message", "Shop", ("Gifts [shop:c:gifts]", "Digital [shop:c:digital]"), 5)
GIFTS = BotLine("edit", "Gifts", ("Voucher [shop:p:v1]", "« Shop [shop:home]"), 5)


# -- /tap ---------------------------------------------------------------------------------


def test_tap_on_a_button_edited_away_says_so_and_the_console_goes_on() -> None:
    backend = ScriptedTelegram([SHOP, GIFTS])  # browsing edited the shop into a category
    chat, out = console(backend)
    chat.run(iter(["/tap Digital", "/tap Voucher", "/balance"]))
    shown = out.getvalue()
    assert "no button labelled 'Digital'; buttons now: Voucher | « Shop" in shown
    assert backend.pressed == [(5, "shop:p:v1")]  # the lines after it still ran
    assert backend.sent == ["/balance"]


def test_tap_on_a_button_edited_away_while_pressing_says_so() -> None:
    gone = BotLine("edit", "Sold out", ("« Shop [shop:home]",), 5)
    backend = ScriptedTelegram([SHOP, GIFTS], edit_before_press=gone)
    chat, out = console(backend)
    chat.run(iter(["/tap Voucher", "/tap Shop"]))
    assert "no button labelled 'Voucher' any more; buttons now: « Shop" in out.getvalue()
    assert backend.pressed == [(5, "shop:home")]


def test_tap_when_no_message_has_buttons_any_more() -> None:
    backend = ScriptedTelegram([SHOP, BotLine("edit", "Done", (), 5)])  # keyboard removed
    chat, out = console(backend)
    chat.handle("/tap Gifts")
    assert "no button labelled 'Gifts'; no message in this chat has buttons now" in out.getvalue()
    assert backend.pressed == []


def test_tap_leaves_out_a_labels_leading_emoji_and_prefers_exact_labels() -> None:
    held = BotLine("message", "Transfer", ("✅ Approve [adm:ok:p1]", "❌ Reject [adm:no:p1]"), 7)
    backend = ScriptedTelegram([SHOP, held])
    chat, _ = console(backend)
    chat.handle("/tap Approve")
    chat.handle("/tap gifts")
    chat.handle("/tap rej")
    assert backend.pressed == [(7, "adm:ok:p1"), (5, "shop:c:gifts"), (7, "adm:no:p1")]


def test_the_http_backend_raises_lookup_error_for_a_missing_button_like_the_fake() -> None:
    def control_api(request: httpx.Request) -> httpx.Response:
        description = "LookupError: message 5 has no button with callback_data 'x'"
        return httpx.Response(400, json={"ok": False, "description": description})

    backend = HttpBackend("http://fake.invalid")
    backend._http = httpx.Client(
        base_url="http://fake.invalid/_fake", transport=httpx.MockTransport(control_api)
    )
    with pytest.raises(LookupError, match="has no button"):
        backend.press_button(USER, 5, "x")


# -- /multi … /end ------------------------------------------------------------------------


def test_multi_sends_the_lines_up_to_end_as_one_message() -> None:
    backend = ScriptedTelegram()
    chat, _ = console(backend)
    chat.run(iter(["/multi /stock abc123", "KEY-1", "/tap KEY-2  ", "", "KEY-3", "/end", "/x"]))
    assert backend.sent == ["/stock abc123\nKEY-1\n/tap KEY-2\n\nKEY-3", "/x"]


def test_multi_from_piped_stdin_echoes_continuation_lines() -> None:
    backend = ScriptedTelegram()
    chat, out = console(backend)
    stdin = io.StringIO("/multi\n/stock abc123\nKEY-1\nKEY-2\n/end\n/quit\n/never\n")
    run_console(chat, stdin)
    assert backend.sent == ["/stock abc123\nKEY-1\nKEY-2"]
    assert "Wanjiru> /multi\n" in out.getvalue()
    assert ".......> KEY-1\n" in out.getvalue()  # the prompt says the message goes on


def test_input_ending_inside_multi_sends_nothing_and_says_so() -> None:
    backend = ScriptedTelegram()
    chat, out = console(backend)
    chat.run(iter(["/multi /stock abc123", "KEY-1"]))
    assert backend.sent == []
    assert "the input ended inside /multi: that message was not sent" in out.getvalue()


def test_an_empty_multi_sends_nothing_and_a_stray_end_is_explained() -> None:
    backend = ScriptedTelegram()
    chat, out = console(backend)
    chat.run(iter(["/multi", "  ", "/end", "/end"]))
    assert backend.sent == []
    assert "(nothing to send)" in out.getvalue()
    assert "/end ends a /multi message, and none was started" in out.getvalue()


def test_help_explains_multi() -> None:
    chat, out = console(ScriptedTelegram())
    chat.handle("help")
    assert "/multi [first line]" in out.getvalue()
    assert "/end" in out.getvalue()


# -- what the bot says ----------------------------------------------------------------------


def test_placeholders_in_the_bots_text_are_shown_as_the_user_reads_them() -> None:
    # The fake Telegram keeps the text as read: "&lt;payment id&gt;" decoded already.
    usage = "Usage: /refund <payment id> (the ref shown with the deposit)."
    a_tag_as_text = "Typed <b> literally, without parse_mode"
    chat, out = console(
        ScriptedTelegram([BotLine("message", usage), BotLine("message", a_tag_as_text)])
    )
    chat.show_new()
    assert f"bot> {usage}\n" in out.getvalue()
    assert f"bot> {a_tag_as_text}\n" in out.getvalue()


def test_a_failing_command_is_reported_and_the_session_goes_on() -> None:
    class Broken(ScriptedTelegram):
        def send_text(self, user_id: int, text: str, first_name: str) -> Sent:
            if text == "/boom":
                raise json.JSONDecodeError("no JSON", "", 0)
            return super().send_text(user_id, text, first_name)

    backend = Broken()
    chat, out = console(backend)
    chat.run(iter(["/boom", "/balance"]))
    assert "! the console could not do that: JSONDecodeError" in out.getvalue()
    assert backend.sent == ["/balance"]


def test_channel_commands_make_the_bot_an_admin_and_ask_to_join_as_the_current_user() -> None:
    backend = ScriptedTelegram()
    chat, out = console(backend)
    chat.news_wait = 0.0
    chat.run(iter(["/makeadmin -100123 Deep dives", "/join -100123", "/join -1", "/join x",
                   "/join -100123 https://t.me/+Forwarded"]))  # fmt: skip
    assert backend.sent == [
        "made admin of -100123 (Deep dives) by 1001",
        "1001 opens their link to -100123",
        "1001 opens https://t.me/+Forwarded to -100123",
    ]
    shown = out.getvalue()
    assert "Telegram refused: chat -1 has no join-request link" in shown
    assert "usage: /join" in shown
