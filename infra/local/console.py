"""Chat with the bot in a terminal, as Telegram users, through the fake Telegram Bot API.

What you type is sent as a private-chat message from the current user, exactly as Telegram
would deliver it to the bot's webhook; everything the bot sends to your users' chats is
shown, including messages it sends later (notifications), read from the fake's transcript.

Console commands (everything else goes to the bot); `help` lists them:
    /as <user_id> [name]   write as another user
    /users                 list the users of this session
    /wait [seconds]        wait for late messages (notifications); default 3
    /tap <label>           press the inline button with that label under the newest message
    /multi … /end          send the lines in between as one message (e.g. /stock with keys)
    /approve  /decline     enter the PIN on (or cancel) your newest mobile-money prompt
    /scan                  scan and pay your newest Pakasir QRIS code
    /paycrypto             pay your newest NOWPayments invoice (signed IPNs follow)
    /stars                 pay your newest Telegram Stars invoice (in the fake Telegram)
    /sendcoin btc 0.001    send coins to the address /deposit btc showed (fake chain)
    /mine btc [n]          mine blocks on the fake chain; the watch-chain job looks at once
    /makeadmin <chat> [title]  /join <chat>  /members <chat>   a fake private channel
    /quit                  leave
The payer commands act on the fake providers of the stack (see infra/local/payer.py).

Standalone, against a running stack (`make dev` prints the whole command line):
    python -m infra.local.console --fake-url http://127.0.0.1:PORT [--mpesa-url URL ...]
Stdin may be piped: `printf '/start\\n/balance\\n' | python -m infra.local.console ...`.

The bot's messages are shown as the fake Telegram keeps them: as the user reads them, with
the HTML already parsed (tags dropped, then entities such as `&lt;payment id&gt;` decoded), so
they are printed as they are; a second pass would take `<payment id>` for a tag.
"""

from __future__ import annotations

import argparse
import contextlib
import re
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol, TextIO

import httpx

from infra.local.payer import Payer, PayerError, addresses_in, refs_in
from tests.fakes.telegram_api import FakeTelegram

DEFAULT_USER = (1001, "Wanjiru")
# Telegram lets a bot send about one message a second to a chat; a person cannot type
# faster than that anyway, so piped input is paced likewise and replies are not refused.
DEFAULT_PACE = 1.1
POLL_SECONDS = 0.5
NEWS_AFTER_PAYING = 5.0  # how long to watch for the bot's answer to a payment
_CALLBACK_BUTTON = re.compile(r"(?P<label>.*) \[(?P<data>.*)\]")
HELP = """Console commands (anything else is sent to the bot):
  /as <user_id> [name]   write as another user        /users   list this session's users
  /wait [seconds]        wait for late messages       /quit    leave
  /tap <label>           press an inline button of the newest message that has it
  /multi [first line]    start a message of several lines; every line after it is part of
  /end                   the message (console commands too) until /end, which sends it:
                           /multi /stock <id>      then one key per line, then /end
Paying, as the current user, on the stack's fake providers:
  /approve               mobile money (M-Pesa, MTN, Airtel, Flutterwave): pay your newest prompt
  /decline               mobile money: cancel your newest prompt
  /scan                  Pakasir: scan and pay your newest QRIS code
  /paycrypto             NOWPayments: pay your newest invoice (signed IPNs follow)
  /sendcoin btc 0.001    send coins to the address the bot showed you (/deposit btc first)
  /mine btc [n]          mine n blocks (default 1); the watch-chain job then runs at once
  /stars                 Telegram Stars: pay your newest invoice (pre-checkout, then paid)
Top up, e.g.: /deposit mpesa 1500 0712345678, then /approve
Paid channels (a fake private channel in the fake Telegram):
  /makeadmin <chat id> [title]   the current user makes the bot an admin of their channel
  /join <chat id> [link]         the current user opens the link the bot gave them (their
                                 own, or the join-request link), or a link forwarded to them
  /members <chat id>             who is in the channel now
  /later <days>                  move the stack's clock on and run end-subscriptions"""
CHANNEL_COMMANDS = ("/makeadmin", "/join", "/members")


@dataclass(frozen=True)
class Sent:
    """What became of a message: the webhook's HTTP status, or why it was not delivered."""

    status: int | None
    error: str | None


@dataclass(frozen=True)
class BotLine:
    """Something the bot did in a chat, as its user sees it."""

    kind: str
    text: str
    buttons: tuple[str, ...] = ()  # "label [callback_data]" or "label <url>"
    message_id: int | None = None


@dataclass(frozen=True)
class Refusal:
    """A Bot API call for a chat that Telegram refused (flood limit, blocked user...)."""

    method: str
    status: int
    description: str


class Backend(Protocol):
    """The fake Telegram, in this process or over its /_fake/ control API."""

    def send_text(self, user_id: int, text: str, first_name: str) -> Sent: ...

    def press_button(self, user_id: int, message_id: int, callback_data: str) -> Sent:
        """Raises LookupError if the message has no such button (any more)."""
        ...

    def pay_invoice(self, user_id: int, message_id: int) -> Sent: ...

    def bot_lines(self, chat_id: int) -> list[BotLine]: ...

    def refusals(self, chat_id: int) -> list[Refusal]: ...

    def make_admin(self, owner_id: int, chat_id: int, title: str) -> Sent: ...

    def ask_to_join(self, user_id: int, chat_id: int, invite_link: str | None = None) -> Sent:
        """Raises LookupError if the user has no link to the chat (or it refuses them)."""
        ...

    def members(self, chat_id: int) -> list[int]: ...


class InProcessBackend:
    """A FakeTelegram object of this process (`make dev`)."""

    def __init__(self, fake: FakeTelegram) -> None:
        self._fake = fake

    def send_text(self, user_id: int, text: str, first_name: str) -> Sent:
        delivery = self._fake.send_text(user_id, text, first_name=first_name)
        return Sent(delivery.status, delivery.error)

    def press_button(self, user_id: int, message_id: int, callback_data: str) -> Sent:
        delivery = self._fake.press_button(user_id, message_id, callback_data)
        return Sent(delivery.status, delivery.error)

    def pay_invoice(self, user_id: int, message_id: int) -> Sent:
        return _invoice_paid(self._fake.pay_invoice(user_id, message_id).to_json())

    def bot_lines(self, chat_id: int) -> list[BotLine]:
        entries = self._fake.transcript(chat_id)
        return [
            BotLine(e.kind, e.text, e.buttons, e.message_id) for e in entries if e.sender == "bot"
        ]

    def refusals(self, chat_id: int) -> list[Refusal]:
        calls = self._fake.calls(chat_id=chat_id)
        return [_refusal(c.method, c.status, c.response) for c in calls if not c.ok]

    def make_admin(self, owner_id: int, chat_id: int, title: str) -> Sent:
        delivery = self._fake.make_admin(chat_id, title, owner_id)
        return Sent(delivery.status, delivery.error)

    def ask_to_join(self, user_id: int, chat_id: int, invite_link: str | None = None) -> Sent:
        delivery = self._fake.ask_to_join(user_id, chat_id, invite_link)
        return Sent(delivery.status, delivery.error)

    def members(self, chat_id: int) -> list[int]:
        return sorted(self._fake.members(chat_id))


_LOOKUP_ERROR = "LookupError: "  # how the control API names what the fake raised


class HttpBackend:
    """The fake's control API at `url` (another process runs the stack)."""

    def __init__(self, url: str, timeout: float = 120.0) -> None:
        # Loopback only: never through a proxy from the environment.
        self._http = httpx.Client(base_url=f"{url.rstrip('/')}/_fake", trust_env=False)
        self._timeout = timeout

    def _get(self, path: str, **params: Any) -> Any:
        response = self._http.get(path, params=params, timeout=self._timeout)
        response.raise_for_status()
        return response.json()

    def send_text(self, user_id: int, text: str, first_name: str) -> Sent:
        body = {"user_id": user_id, "text": text, "first_name": first_name}
        return self._deliver("/send_text", body)

    def press_button(self, user_id: int, message_id: int, callback_data: str) -> Sent:
        """Raises LookupError, as the in-process fake does, if the message has no such button."""
        body = {"user_id": user_id, "message_id": message_id, "callback_data": callback_data}
        sent = self._deliver("/press_button", body)
        if sent.status is None and (sent.error or "").startswith(_LOOKUP_ERROR):
            raise LookupError((sent.error or "").removeprefix(_LOOKUP_ERROR))
        return sent

    def pay_invoice(self, user_id: int, message_id: int) -> Sent:
        body = {"user_id": user_id, "message_id": message_id}
        response = self._http.post("/pay_invoice", json=body, timeout=self._timeout)
        answer = response.json()
        if response.status_code != 200:
            return Sent(None, str(answer.get("description", response.text)))
        return _invoice_paid(answer)

    def _deliver(self, route: str, body: dict[str, Any]) -> Sent:
        response = self._http.post(route, json=body, timeout=self._timeout)
        answer = response.json()
        if response.status_code != 200:
            return Sent(None, str(answer.get("description", response.text)))
        return Sent(answer.get("status"), answer.get("error"))

    def bot_lines(self, chat_id: int) -> list[BotLine]:
        entries = self._get(f"/transcript/{chat_id}")
        return [
            BotLine(
                str(e["kind"]),
                str(e["text"]),
                tuple(e.get("buttons", ())),
                e.get("message_id"),
            )
            for e in entries
            if e["sender"] == "bot"
        ]

    def make_admin(self, owner_id: int, chat_id: int, title: str) -> Sent:
        body = {"owner_id": owner_id, "chat_id": chat_id, "title": title}
        return self._deliver("/make_admin", body)

    def ask_to_join(self, user_id: int, chat_id: int, invite_link: str | None = None) -> Sent:
        body = {"user_id": user_id, "chat_id": chat_id, "invite_link": invite_link}
        sent = self._deliver("/ask_to_join", body)
        if sent.status is None and (sent.error or "").startswith(_LOOKUP_ERROR):
            raise LookupError((sent.error or "").removeprefix(_LOOKUP_ERROR))
        return sent

    def members(self, chat_id: int) -> list[int]:
        return [int(m) for m in self._get(f"/members/{chat_id}")]

    def refusals(self, chat_id: int) -> list[Refusal]:
        calls = self._get("/calls", chat_id=chat_id)
        return [
            _refusal(str(c["method"]), int(c["status"]), c["response"])
            for c in calls
            if int(c["status"]) != 200
        ]


def _invoice_paid(payment: dict[str, Any]) -> Sent:
    """The successful_payment delivery of an invoice payment, or why there was none."""
    paid = payment.get("paid")
    if not payment.get("approved") or not isinstance(paid, dict):
        checkout = payment.get("checkout") or {}
        why = checkout.get("error") or f"HTTP {checkout.get('status')}"
        return Sent(None, f"the bot did not approve the pre-checkout ({why})")
    return Sent(paid.get("status"), paid.get("error"))


def _refusal(method: str, status: int, response: Any) -> Refusal:
    description = response.get("description", "") if isinstance(response, dict) else ""
    return Refusal(method, status, str(description))


@dataclass
class _Seen:
    lines: int = 0
    refusals: int = 0


@dataclass
class Console:
    """The chat loop. `run(lines)` reads input lines; output goes to `out`."""

    backend: Backend
    out: TextIO = sys.stdout
    pace: float = DEFAULT_PACE
    log_hint: str = ""
    payer: Payer | None = None
    # Runs a scheduled job now (the stack's run_job), so the chain commands are seen at once.
    run_job: Callable[[str], object] | None = None
    # Moves the stack's clock on by some seconds and runs the jobs due then (make dev).
    later: Callable[[float], str] | None = None
    news_wait: float = NEWS_AFTER_PAYING  # how long a channel command watches for answers
    users: dict[int, str] = field(default_factory=lambda: dict([DEFAULT_USER]))
    user_id: int = DEFAULT_USER[0]
    _seen: dict[int, _Seen] = field(default_factory=dict)
    _last_sent: dict[int, float] = field(default_factory=dict)
    # The lines of a /multi message typed so far; None when not inside one.
    _multi: list[str] | None = None
    lock: threading.RLock = field(default_factory=threading.RLock)

    @property
    def name(self) -> str:
        return self.users[self.user_id]

    def prompt(self) -> str:
        if self._multi is not None:  # inside /multi: the line continues the message
            return f"{'.' * len(self.name)}> "
        return f"{self.name}> "

    def say(self, text: str) -> None:
        with self.lock:
            print(text, file=self.out, flush=True)

    # -- input -------------------------------------------------------------------------

    def run(self, lines: Iterator[str], echo: bool = False) -> None:
        """Handle lines until /quit or the end of input. `echo` shows piped input.

        A line the console fails on is reported and the chat goes on: one bad command must
        not end the session (under `make dev`, that would stop the whole stack)."""
        for raw in lines:
            line = raw.rstrip("\r\n")
            if echo:
                self.say(f"{self.prompt()}{line.strip() if self._multi is None else line}")
            try:
                if not self.handle(line):
                    break
            except Exception as error:  # reported; the session goes on
                self.say(f"  ! the console could not do that: {type(error).__name__}: {error}")
        if self._multi is not None:
            self._multi = None
            self.say("  ! the input ended inside /multi: that message was not sent")
        self.show_new()

    def handle(self, line: str) -> bool:
        """One input line; False means quit. Inside /multi, a line of the message."""
        if self._multi is not None:
            self._continue_multi(line)
            return True
        line = line.strip()
        command, _, rest = line.partition(" ")
        if command in ("/quit", "/exit"):
            return False
        if command == "/as":
            self.switch_user(rest.split())
        elif command == "/users":
            self.list_users()
        elif command == "/wait":
            self.wait(rest)
        elif line in ("help", "?"):
            self.say(HELP)
        elif command == "/tap":
            self.tap(rest.strip())
        elif command == "/multi":
            self.start_multi(rest.strip())
        elif command == "/end":
            self.say("  ! /end ends a /multi message, and none was started")
        elif command in PAYER_COMMANDS:
            self.pay(command)
        elif command == "/stars":
            self.pay_stars()
        elif command in ("/sendcoin", "/mine"):
            self.chain(command, rest.split())
        elif command == "/later":
            self.move_clock(rest.strip())
        elif command in CHANNEL_COMMANDS:
            self.channel(command, rest.split())
        elif line:
            self.send(line)
        return True

    def start_multi(self, first_line: str) -> None:
        self._multi = [first_line] if first_line else []
        self.say("  (a message of several lines: type them, then /end sends it)")

    def _continue_multi(self, line: str) -> None:
        if line.strip() != "/end":
            assert self._multi is not None
            self._multi.append(line.rstrip())
            return
        text = "\n".join(self._multi or []).strip("\n")
        self._multi = None
        if text.strip():
            self.send(text)
        else:
            self.say("  (nothing to send)")

    def switch_user(self, words: list[str]) -> None:
        if not words or not words[0].isdigit():
            self.say("usage: /as <user_id> [name]")
            return
        user_id = int(words[0])
        name = " ".join(words[1:]) or self.users.get(user_id) or f"User{user_id}"
        self.users[user_id] = name
        self.user_id = user_id
        self.say(f"(now writing as {name}, user {user_id})")

    def list_users(self) -> None:
        for user_id, name in self.users.items():
            marker = "*" if user_id == self.user_id else " "
            self.say(f"{marker} {user_id} {name}")

    def wait(self, seconds_text: str) -> None:
        try:
            seconds = float(seconds_text or 3)
        except ValueError:
            self.say("usage: /wait [seconds]")
            return
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self.show_new()
            time.sleep(min(POLL_SECONDS, max(0.0, deadline - time.monotonic())))
        self.show_new()

    def send(self, text: str) -> None:
        self._pace(self.user_id)
        sent = self.backend.send_text(self.user_id, text, self.name)
        self._last_sent[self.user_id] = time.monotonic()
        if sent.status is None or not 200 <= sent.status < 300:
            why = sent.error or f"HTTP {sent.status}"
            self.say(f"  ! the bot did not take the message: {why}{self.log_hint}")
        self.show_new()

    def tap(self, label: str) -> None:
        """Press the button labelled `label` (case-insensitive; a prefix will do) under the
        newest bot message in the current chat that has one."""
        if not label:
            self.say("usage: /tap <button label>")
            return
        found = self._find_button(label.casefold())
        if found is None:
            self.say(f"  ! no button labelled {label!r}; {self._buttons_now()}")
            return
        message_id, data = found
        self._pace(self.user_id)
        try:
            sent = self.backend.press_button(self.user_id, message_id, data)
        except LookupError:  # edited away between looking and pressing
            self.say(f"  ! no button labelled {label!r} any more; {self._buttons_now()}")
            self.show_new()
            return
        finally:
            self._last_sent[self.user_id] = time.monotonic()
        if sent.status is None or not 200 <= sent.status < 300:
            why = sent.error or f"HTTP {sent.status}"
            self.say(f"  ! the bot did not take the button press: {why}{self.log_hint}")
        self.show_new()

    def _find_button(self, wanted: str) -> tuple[int, str] | None:
        """(message_id, callback_data): an exact label beats a prefix, newer beats older.
        A label's leading emoji may be left out: "Approve" presses "✅ Approve"."""
        keyboards = self._keyboards()
        for exact in (True, False):
            for message_id, buttons in keyboards:
                for label, data in buttons:
                    for folded in _label_forms(label):
                        if folded == wanted or (not exact and folded.startswith(wanted)):
                            return message_id, data
        return None

    def _keyboards(self) -> list[tuple[int, list[tuple[str, str]]]]:
        """The pressable buttons, (label, callback_data), of each bot message of this chat as
        it is now, newest message first. An edit replaces a message's keyboard (without one,
        it removes it), so only a message's latest transcript entry counts."""
        now: dict[int, tuple[str, ...]] = {}
        for line in self.backend.bot_lines(self.user_id):
            if line.message_id is not None:
                now[line.message_id] = line.buttons
        keyboards = []
        for message_id in sorted(now, reverse=True):
            matches = (_CALLBACK_BUTTON.fullmatch(button) for button in now[message_id])
            # A URL button has nothing to press in a chat.
            pressable = [(m["label"], m["data"]) for m in matches if m is not None]
            if pressable:
                keyboards.append((message_id, pressable))
        return keyboards

    def _buttons_now(self, most: int = 12) -> str:
        labels = list(dict.fromkeys(label for _, kb in self._keyboards() for label, _ in kb))
        if not labels:
            return "no message in this chat has buttons now"
        more = f" | … ({len(labels) - most} more)" if len(labels) > most else ""
        return f"buttons now: {' | '.join(labels[:most])}{more}"

    def pay(self, command: str) -> None:
        """Act as the payer at a fake provider, for the payments this user's chat shows."""
        payer = self.payer
        if payer is None:
            self.say("  ! no fake payment providers: run the console from `make dev`")
            return
        refs = refs_in(line.text for line in self.backend.bot_lines(self.user_id))
        actions: dict[str, Callable[[], str]] = {
            "/approve": lambda: payer.answer_prompt(refs, approve=True),
            "/decline": lambda: payer.answer_prompt(refs, approve=False),
            "/scan": lambda: payer.pay_qris(refs),
            "/paycrypto": lambda: payer.pay_invoice(refs),
        }
        try:
            done = actions[command]()
        except PayerError as err:
            self.say(f"  ! {err}")
            return
        self.say(f"  (payer) {done}")
        self._watch_for_news(NEWS_AFTER_PAYING)

    def chain(self, command: str, words: list[str]) -> None:
        """Play the user's wallet and the miners on the fake chains, then let the stack's
        watch-chain job look (at once when the stack runs here, else within a minute)."""
        payer = self.payer
        if payer is None:
            self.say("  ! no fake chains: run the console from `make dev`")
            return
        coin = (words[0] if words else "btc").lower()
        if coin not in ("btc", "ltc"):
            self.say("  ! which coin? btc or ltc")
            return
        try:
            if command == "/mine":
                blocks = int(words[1]) if len(words) > 1 else 1
                done = payer.mine(coin, max(1, min(blocks, 100)))
            else:
                shown = addresses_in(
                    (line.text for line in self.backend.bot_lines(self.user_id)), coin
                )
                if not shown or len(words) < 2:
                    self.say(f"  ! usage: /sendcoin {coin} <amount>, after /deposit {coin}")
                    return
                done = payer.send_coin(coin, words[1], shown[-1])
        except (PayerError, ValueError) as err:
            self.say(f"  ! {err}")
            return
        self.say(f"  (chain) {done}")
        if self.run_job is not None:
            self.run_job("watch-chain")
        self._watch_for_news(NEWS_AFTER_PAYING)

    def pay_stars(self) -> None:
        """Pay the newest Telegram Stars invoice of this chat, as the user in Telegram would."""
        invoice = next(
            (
                line
                for line in reversed(self.backend.bot_lines(self.user_id))
                if line.kind == "invoice" and line.message_id is not None
            ),
            None,
        )
        if invoice is None or invoice.message_id is None:
            self.say("  ! no Stars invoice in this chat: send /deposit stars <amount> first")
            return
        sent = self.backend.pay_invoice(self.user_id, invoice.message_id)
        if sent.status is None or not 200 <= sent.status < 300:
            self.say(f"  ! the Stars payment did not go through: {sent.error}{self.log_hint}")
            return
        self.say(f"  (payer) Stars: paid {invoice.text}")
        self._watch_for_news(NEWS_AFTER_PAYING)

    def move_clock(self, days_text: str) -> None:
        try:
            days = float(days_text)
        except ValueError:
            self.say("usage: /later <days>   (e.g. /later 27.5)")
            return
        if self.later is None or days <= 0:
            self.say("  ! /later moves the local stack's clock: run the console from `make dev`")
            return
        self.say(f"  (clock) {self.later(days * 86_400)}")
        self._watch_for_news(self.news_wait)

    def channel(self, command: str, words: list[str]) -> None:
        """A fake private channel: the current user makes the bot its admin, or opens a link
        to it (the one the bot gave them, or one named); /members lists who is in."""
        if not words or not words[0].lstrip("-").isdigit():
            self.say(f"usage: {command} <chat id, e.g. -1001234567890>" +
                     (" [title]" if command == "/makeadmin" else ""))  # fmt: skip
            return
        chat_id = int(words[0])
        if command == "/members":
            self.say(f"  (members of {chat_id}) {self.backend.members(chat_id) or 'nobody'}")
            return
        try:
            if command == "/makeadmin":
                title = " ".join(words[1:]) or f"Channel {chat_id}"
                sent = self.backend.make_admin(self.user_id, chat_id, title)
            else:
                link = words[1] if len(words) > 1 else None  # a link forwarded to them
                sent = self.backend.ask_to_join(self.user_id, chat_id, link)
        except LookupError as err:
            self.say(f"  ! Telegram refused: {err}")
            return
        if sent.status is None or not 200 <= sent.status < 300:
            self.say(f"  ! the bot did not take it: {sent.error}{self.log_hint}")
        self._watch_for_news(self.news_wait)
        if command == "/join":
            self.say(f"  (members of {chat_id}) {self.backend.members(chat_id) or 'nobody'}")

    def _watch_for_news(self, seconds: float) -> None:
        """The credit arrives through Pub/Sub: show the bot's next messages if they come soon."""
        deadline = time.monotonic() + seconds
        while not self.show_new() and time.monotonic() < deadline:
            time.sleep(POLL_SECONDS)

    def _pace(self, user_id: int) -> None:
        last = self._last_sent.get(user_id)
        if last is not None:
            time.sleep(max(0.0, last + self.pace - time.monotonic()))

    # -- output ------------------------------------------------------------------------

    def show_new(self) -> int:
        """Print what the bot did in any known chat since last time; return how many."""
        with self.lock:
            news = self.collect_new()
            for text in news:
                self.say(text)
        return len(news)

    def collect_new(self) -> list[str]:
        """What the bot did in any known chat since last time, formatted; marks it seen."""
        with self.lock:
            return [text for chat_id in list(self.users) for text in self._chat_news(chat_id)]

    def _chat_news(self, chat_id: int) -> list[str]:
        seen = self._seen.setdefault(chat_id, _Seen())
        lines = self.backend.bot_lines(chat_id)[seen.lines :]
        refusals = self.backend.refusals(chat_id)[seen.refusals :]
        seen.lines += len(lines)
        seen.refusals += len(refusals)
        who = "bot" if chat_id == self.user_id else f"bot → {self.users[chat_id]} ({chat_id})"
        return [_format(who, line) for line in lines] + [
            f"  ! Telegram refused {r.method} to chat {chat_id}: {r.status} {r.description}"
            for r in refusals
        ]

    def poll_while_typing(self, stop: threading.Event) -> None:
        """Show late messages above the prompt the person is typing at, then the prompt."""
        while not stop.wait(POLL_SECONDS):
            with self.lock:
                news = self.collect_new()
                if news:
                    self.out.write("\r\033[K" + "\n".join(news) + "\n")
                    self.out.write(self.prompt() + _typed_so_far())
                    self.out.flush()


PAYER_COMMANDS = ("/approve", "/decline", "/scan", "/paycrypto")
# The stack's fakes a console in another terminal is told about (dev.py's --<fake>-url).
FAKES = (
    "mpesa", "nowpayments", "pakasir", "mtnmomo", "airtel", "flutterwave",
    "esplora-btc", "esplora-ltc", "rates",
)  # fmt: skip
_LEADING_SYMBOLS = re.compile(r"^\W+")  # "✅ ", "« ": emoji, arrows, spaces


def _label_forms(label: str) -> tuple[str, ...]:
    """How `/tap` may name a button: its label, or the label without its leading symbols."""
    folded = label.casefold()
    bare = _LEADING_SYMBOLS.sub("", folded)
    return (folded, bare) if bare and bare != folded else (folded,)


def _format(who: str, line: BotLine) -> str:
    kind = "" if line.kind == "message" else f"({line.kind}) "
    # The text as the user reads it: the fake Telegram has parsed the HTML already.
    text = "\n".join(f"    {part}" if part else "" for part in line.text.split("\n"))
    text = text.removeprefix("    ")
    buttons = f"\n    [ {' | '.join(line.buttons)} ]" if line.buttons else ""
    return f"{who}> {kind}{text}{buttons}"


# --------------------------------------------------------------------------------------
# Interactive and piped use
# --------------------------------------------------------------------------------------


def interactive_lines(console: Console, read: Callable[[str], str] = input) -> Iterator[str]:
    """Prompted lines from a terminal; a thread shows notifications while you type."""
    with contextlib.suppress(ImportError):
        import readline  # noqa: F401  (gives input() line editing and history)
    stop = threading.Event()
    poller = threading.Thread(
        target=console.poll_while_typing, args=(stop,), name="console-poller", daemon=True
    )
    poller.start()
    try:
        while True:
            try:
                yield read(console.prompt())
            except EOFError:
                console.say("")
                return
    finally:
        stop.set()


def _typed_so_far() -> str:
    try:
        import readline
    except ImportError:  # pragma: no cover  (no readline on this platform)
        return ""
    return readline.get_line_buffer()


def run_console(console: Console, stdin: TextIO = sys.stdin) -> None:
    """Interactive on a terminal, line by line (echoed) when stdin is piped."""
    if stdin.isatty():
        console.run(interactive_lines(console))
    else:
        console.run(iter(stdin.readline, ""), echo=True)


def banner(console: Console) -> str:
    return (
        f"You are {console.name} (Telegram user {console.user_id}). Type messages to the bot, "
        "e.g. /start or /balance.\n"
        "Console commands: /as <user_id> [name] · /users · /wait [seconds] · /tap <label> · "
        "/multi … /end · /approve · /decline · /scan · /paycrypto · /stars · "
        "/sendcoin · /mine · /quit "
        "(`help` explains them)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Chat with the bot through the fake Telegram.")
    parser.add_argument("--fake-url", required=True, help="the fake Telegram, http://HOST:PORT")
    parser.add_argument("--user", type=int, default=DEFAULT_USER[0])
    parser.add_argument("--name", default=DEFAULT_USER[1])
    parser.add_argument("--pace", type=float, default=DEFAULT_PACE, help="seconds between sends")
    for rail in FAKES:
        parser.add_argument(f"--{rail}-url", help=f"the fake {rail} of the stack, for paying")
    args = parser.parse_args(argv)
    urls = {rail: url for rail in FAKES if (url := getattr(args, f"{rail.replace('-', '_')}_url"))}
    console = Console(
        HttpBackend(args.fake_url),
        pace=args.pace,
        users={args.user: args.name},
        user_id=args.user,
        payer=Payer(urls) if urls else None,
    )
    console.say(banner(console))
    try:
        run_console(console)
    except KeyboardInterrupt:
        console.say("")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
