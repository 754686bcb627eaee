"""A registered user gets a wallet, so their balance exists before any money moves."""

from __future__ import annotations

from collections.abc import Sequence

from events import Envelope, decode
from events.users import UserRegistered
from functions.domain import wallet
from functions.reactors.base import Reaction, Reactor


def react(envelope: Envelope) -> Sequence[Reaction]:
    event = decode(envelope)
    if not isinstance(event, UserRegistered):
        return []
    return [Reaction(wallet.wallets, wallet.stream_of(event.user_id), wallet.Open(event.user_id))]


open_wallet = Reactor(
    name="open-wallet",
    category="user",
    react=react,
    reacts_to=frozenset({UserRegistered.type_name}),
)
