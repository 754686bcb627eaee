"""An example bounded context, kept to show (and test) that a new domain is one module plus
one registration line: `Registry((*CONTEXTS, kudos.CONTEXT))` in the tests, or
`kudos.CONTEXT,` added to functions/contexts/__init__.py in the product.

Kudos: every registered user is welcomed with one kudo, a user can thank another, and the
thanked user is told. It brings its own events, aggregate, read model, reactor (on another
context's category), notification rule, job, subscriber functions and settings; nothing else
in the code base changes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from events import Envelope, Event, decode
from events.catalog import event, registered_types
from events.users import UserRegistered
from functions.contexts.base import BoundedContext, Function, Job, Lazy, Subscriber
from functions.domain.decider import Decider, DomainError
from functions.notifications.notice import Facts, Notice
from functions.projections.base import Doc, Projection
from functions.reactors.base import Reaction, Reactor
from functions.runtime.env_settings import EnvConfig, EnvSettings

if TYPE_CHECKING:
    from functions.runtime.bootstrap import Runtime

CATEGORY = "kudo"
WELCOME_FROM = 0  # the bot itself


class KudosSettings(EnvSettings):
    """SOKO_KUDOS_REPORT_LIMIT: how many users the count-kudos job looks at, at most."""

    model_config = EnvConfig(env_prefix="SOKO_KUDOS_", frozen=True, extra="ignore")
    report_limit: int = 1000


def _event(type_name: str) -> Any:
    """Register once even if the tests import this module under two names."""
    known = registered_types().get(type_name)
    return (lambda cls: known) if known is not None else event(type_name)


@_event("kudo.given.v1")
class KudoGiven(Event):
    to_user: int
    from_user: int
    count: int = 1


# -- the aggregate: kudo-<user id> ---------------------------------------------------------


@dataclass(frozen=True)
class Give:
    to_user: int
    from_user: int
    count: int = 1


class SelfKudo(DomainError):
    code = "self_kudo"


def stream_of(user_id: int) -> str:
    return f"{CATEGORY}-{user_id}"


def decide(received: int, command: Give) -> Sequence[Event]:
    if command.to_user == command.from_user:
        raise SelfKudo("you cannot thank yourself")
    return [KudoGiven(to_user=command.to_user, from_user=command.from_user, count=command.count)]


def evolve(received: int, given: Event) -> int:
    return received + given.count if isinstance(given, KudoGiven) else received


kudos = Decider(initial=0, evolve=evolve, decide=decide)


# -- read model, reactor, rule, job --------------------------------------------------------


def project(doc: Mapping[str, Any] | None, envelope: Envelope) -> Doc:
    given = decode(envelope)
    received = int(doc["received"]) if doc else 0
    if isinstance(given, KudoGiven):
        received += given.count
    return {"user_id": int(envelope.aggregate_id), "received": received}


kudos_view = Projection(name="kudos", collection="kudos", category=CATEGORY, project=project)


def welcome(envelope: Envelope) -> Sequence[Reaction]:
    registered = decode(envelope)
    if not isinstance(registered, UserRegistered):
        return []
    give = Give(registered.user_id, WELCOME_FROM)
    return [Reaction(kudos, stream_of(registered.user_id), give)]


welcome_kudo = Reactor(
    "welcome-kudo", "user", welcome, reacts_to=frozenset({UserRegistered.type_name})
)


def kudo_received(given: KudoGiven, facts: Facts) -> list[Notice]:
    return [Notice(given.to_user, f"🎉 You got {given.count} kudo(s).")]


def count_kudos(rt: Runtime) -> dict[str, int]:
    """A job: how many users hold only their welcome kudo (reads its own read model)."""
    limit = rt.settings_of(KudosSettings).report_limit
    return {"welcomed_only": len(rt.read_models.find("kudos", "received", 1, limit))}


CONTEXT = BoundedContext(
    name="kudos",
    categories=(CATEGORY,),
    projections=(kudos_view,),
    reactors=(welcome_kudo,),
    rules={KudoGiven.type_name: (kudo_received,)},
    jobs=(Job("count-kudos", "0 * * * *", Lazy(__name__, "count_kudos")),),
    subscribers=(
        Subscriber(Function("project_kudos", "pubsub"), projections=(kudos_view,)),
        Subscriber(
            Function("welcome_kudos", "pubsub", family="reactor", publishes=(CATEGORY,)),
            reactors=(welcome_kudo,),
        ),
    ),
    settings=(KudosSettings,),
)
