"""One event -> its notices, delivered: read the facts, skip blocked users, send, record 403s.

Delivery guarantee: at least once per notice, and duplicates are rare. Each notice has a key
(`notify:<event id>:<index>`; rules are deterministic, so a redelivered event yields the same
keys) that this process remembers once Telegram accepted the message; a redelivery that lands
on the same warm instance (the usual case: few instances, and a failure redelivers soon)
sends only what was not sent. A duplicate needs a redelivery on another instance or after a
restart, or a crash between Telegram's answer and remembering the key. Nothing is written to
the store per message, which would cost more than the rare duplicate it prevents.
"""

from __future__ import annotations

import logging

from events import Envelope, decode
from events.users import UserRegistered
from functions.domain import payments, users
from functions.notifications import by_type
from functions.notifications.notice import Facts
from functions.notifications.sender import Sender
from functions.runtime.bootstrap import Runtime
from functions.runtime.pipeline import Trace
from functions.telegram.bot_api import Blocked

log = logging.getLogger(__name__)


def deliver(rt: Runtime, envelope: Envelope, sender: Sender) -> int:
    """Send what the rules say about one event; returns how many messages were sent."""
    if not by_type.wants(envelope.type):
        return 0  # most events: no reads at all
    sent = 0
    blocked: set[int] = set()
    for index, notice in enumerate(by_type.notices(envelope, facts_for(rt, envelope))):
        key = f"notify:{envelope.event_id}:{index}"
        if key in sender.sent or notice.chat_id in blocked or _has_blocked(rt, notice.chat_id):
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


def facts_for(rt: Runtime, envelope: Envelope) -> Facts:
    """The store is the truth: the payment as of this event, not a read model that may lag."""
    admins = rt.settings.admin_ids
    if envelope.category != "payment":
        return Facts(admin_ids=admins)
    history = rt.store.load(envelope.stream, up_to=envelope.version)
    payment = payments.payments.fold(decode(e) for e in history)
    return Facts(admin_ids=admins, payment=payment, payer_name=_first_name(rt, payment.user_id))


def _first_name(rt: Runtime, user_id: int) -> str:
    for event in (decode(e) for e in rt.store.load(users.stream_of(user_id))):
        if isinstance(event, UserRegistered):
            return event.first_name
    return ""


def _has_blocked(rt: Runtime, chat_id: int) -> bool:
    if chat_id <= 0:
        return False  # groups and channels have no user stream
    return rt.pipeline.current(users.users, users.stream_of(chat_id)).blocked


def _record_blocked(rt: Runtime, user_id: int, key: str, envelope: Envelope) -> None:
    # RecordBlocked writes nothing for a user who never registered: then nothing is skipped
    # later either, and each later notice costs one refused call.
    trace = Trace(f"{key}:blocked", envelope.event_id, envelope.correlation_id)
    rt.pipeline.execute(users.users, users.stream_of(user_id), users.RecordBlocked(user_id), trace)
