"""One event -> its notices, delivered: read the facts, skip blocked users, send, record 403s.

Delivery guarantee: at least once per notice, and duplicates are rare. Each notice has a key
(`notify:<event id>:<index>`; rules are deterministic, so a redelivered event yields the same
keys) that this process remembers once Telegram accepted the message; a redelivery that lands
on the same warm instance (the usual case: few instances, and a failure redelivers soon)
sends only what was not sent. A duplicate needs a redelivery on another instance or after a
restart, or a crash between Telegram's answer and remembering the key. Nothing is written to
the store per message, which would cost more than the rare duplicate it prevents.

Each notice is said in its recipient's language. Rules are pure, so they run twice: once to
learn who is told, then, with those recipients' languages, for the words. A recipient's user
stream is read once, and was read before this too (to skip a chat that blocked the bot), so
languages cost no read: per event, the payment's stream (payment events) and one user stream
per recipient, the payer's included.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

from events import Envelope, decode
from events.users import UserRegistered
from functions import texts
from functions.domain import circles, payments, users
from functions.notifications import by_type
from functions.notifications.notice import Facts, Notice
from functions.notifications.sender import Sender
from functions.providers import registry
from functions.runtime.bootstrap import Runtime
from functions.runtime.pipeline import Trace
from functions.telegram.bot_api import Blocked

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Reader:
    """What the dispatcher knows of one recipient, from one read of their user stream."""

    language: str
    blocked: bool
    first_name: str = ""


def deliver(rt: Runtime, envelope: Envelope, sender: Sender) -> int:
    """Send what the rules say about one event; returns how many messages were sent."""
    if not by_type.wants(envelope.type):
        return 0  # most events: no reads at all
    readers: dict[int, Reader] = {}
    sent = 0
    blocked: set[int] = set()
    for index, notice in enumerate(notices_for(rt, envelope, readers)):
        key = f"notify:{envelope.event_id}:{index}"
        if key in sender.sent or notice.chat_id in blocked or _has_blocked(readers, notice):
            continue
        try:
            sender.send(rt.bot(), notice)
        except Blocked:
            log.info("chat %s blocked the bot; recording it", notice.chat_id)
            _record_blocked(rt, notice.chat_id, key, envelope)
            blocked.add(notice.chat_id)
            continue
        sender.sent.add(key)
        sent += 1
    return sent


def notices_for(rt: Runtime, envelope: Envelope, readers: dict[int, Reader]) -> list[Notice]:
    """The event's notices, each in its recipient's language; `readers` gets every
    recipient read on the way."""
    facts = facts_for(rt, envelope, readers)
    drafts = by_type.notices(envelope, facts)  # who is told
    for chat_id in {notice.chat_id for notice in drafts} - set(readers):
        if chat_id > 0:  # groups and channels have no user stream
            readers[chat_id] = read_user(rt, chat_id)
    languages = {chat_id: reader.language for chat_id, reader in readers.items()}
    if all(language == texts.FALLBACK for language in languages.values()):
        return drafts  # everyone reads the fallback language: the drafts are the words
    return by_type.notices(envelope, replace(facts, languages=languages))


def facts_for(rt: Runtime, envelope: Envelope, readers: dict[int, Reader]) -> Facts:
    """The store is the truth: the payment as of this event, not a read model that may lag."""
    admins = rt.settings.admin_ids
    if envelope.category == "circle":
        history = rt.store.load(envelope.stream, up_to=envelope.version)
        return Facts(admin_ids=admins, circle=circles.circles.fold(decode(e) for e in history))
    if envelope.category != "payment":
        return Facts(admin_ids=admins)
    history = rt.store.load(envelope.stream, up_to=envelope.version)
    payment = payments.payments.fold(decode(e) for e in history)
    payer = readers[payment.user_id] = read_user(rt, payment.user_id)
    spec = registry.spec_named(payment.rail)  # no I/O: the specs are declarations
    return Facts(
        admin_ids=admins,
        payment=payment,
        payer_name=payer.first_name,
        rail_label=spec.label if spec is not None else "",
    )


def read_user(rt: Runtime, user_id: int) -> Reader:
    """One read of a user's stream: their language, whether they blocked the bot, their name."""
    history = [decode(e) for e in rt.store.load(users.stream_of(user_id))]
    state = users.users.fold(history)
    names = (e.first_name for e in history if isinstance(e, UserRegistered))
    return Reader(state.language, state.blocked, next(names, ""))


def _has_blocked(readers: dict[int, Reader], notice: Notice) -> bool:
    reader = readers.get(notice.chat_id)
    return reader is not None and reader.blocked


def _record_blocked(rt: Runtime, user_id: int, key: str, envelope: Envelope) -> None:
    # RecordBlocked writes nothing for a user who never registered: then nothing is skipped
    # later either, and each later notice costs one refused call.
    trace = Trace(f"{key}:blocked", envelope.event_id, envelope.correlation_id)
    rt.pipeline.execute(users.users, users.stream_of(user_id), users.RecordBlocked(user_id), trace)
