"""Mobile money by phone: the payer types a number once (remembered on their user stream,
changed by typing another or with /phone), and Soko chooses the rail for its country and
operator from the routing table (functions/phones/routing.py), says which and why, and
names the others the payer may choose instead (`/deposit <rail> <amount>`).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from events import Money
from functions import texts
from functions.domain import users
from functions.phones import routing
from functions.phones.numbers import BadPhone, Phone, parse_phone
from functions.providers import registry
from functions.providers.spec import RailSpec
from functions.runtime.pipeline import Trace
from functions.telegram.chat import Context, Reply, reply

if TYPE_CHECKING:
    from functions.runtime.bootstrap import Runtime


@dataclass(frozen=True)
class Choice:
    """The rail Soko takes a phone's money on, and why."""

    route: routing.Route
    rail: RailSpec | None  # None: no configured rail serves this operator
    others: tuple[RailSpec, ...]  # the other configured rails that serve it
    skipped: tuple[RailSpec, ...] = ()  # preferred rails passed over (configured, not healthy)

    @property
    def why(self) -> str:
        """The catalogue key saying why this rail: its operator's own, or the next one."""
        if self.rail is not None and self.route.rails[:1] == (self.rail.name,):
            return "payments.route_why_first"
        return "payments.route_why_fallback"


def choose(rt: Runtime, phone: Phone, skip: frozenset[str] = frozenset()) -> Choice:
    """The first rail of the phone's route that this deployment collects on in the phone's
    currency and that is not in `skip` (rails known to be failing)."""
    found = routing.route(phone)
    serving = [
        spec
        for name in routing.usable(found, set(rt.rails()))
        if (spec := registry.spec_named(name)) is not None and spec.takes(rt, found.currency)
    ]
    healthy = [spec for spec in serving if spec.name not in skip]
    rail = healthy[0] if healthy else None
    others = tuple(spec for spec in serving if spec is not rail)
    skipped = tuple(spec for spec in serving if spec.name in skip)
    return Choice(found, rail, others, skipped)


def choose_healthy(rt: Runtime, phone: Phone) -> Choice:
    """choose(), passing over the rails whose breaker is open now."""
    names = routing.route(phone).rails
    return choose(rt, phone, rt.health().open_rails(names, rt.clock.now()))


def route_typed(ctx: Context, known: str, typed: str = "") -> tuple[Phone, Choice] | str:
    """The number typed (or remembered) and the healthy rail for it, or what to tell the
    payer instead (an unreadable number, no rail for its operator: with `typed`, what they
    typed, how it was read)."""
    try:
        phone = read_phone(ctx, known)
    except BadPhone as err:
        return texts.refusal(ctx.language, err)
    choice = choose_healthy(ctx.runtime, phone)
    if choice.rail is None:
        return no_rail_text(ctx.language, choice, typed)
    return phone, choice


def attempts(choice: Choice, amount: Money) -> list[RailSpec]:
    """The rails a payment is tried on, in turn, while each is unavailable: the chosen one,
    then the others of its route that take this amount (not those whose breaker is open)."""
    assert choice.rail is not None
    skipped = {s.name for s in choice.skipped}
    rest = [o for o in choice.others if o.name not in skipped and o.refusal(amount) is None]
    return [choice.rail, *rest]


def remembered(ctx: Context) -> str | None:
    """The E.164 number this user pays from, if they gave one."""
    return ctx.runtime.pipeline.current(users.users, users.stream_of(ctx.user_id)).phone


def remembered_for(ctx: Context, rail: str) -> str | None:
    """The remembered number, if `rail` serves its country and operator."""
    known = remembered(ctx)
    if known is None or rail not in routing.route(parse_phone(known)).rails:
        return None
    return known


def remember(ctx: Context, phone: Phone) -> None:
    """Keep the number for next time (nothing is written when it is the same, nor for a
    user who never registered)."""
    # No key of its own: the update's key names its payment, and setting the same number
    # again writes nothing anyway.
    why = Trace(None, ctx.trace.causation_id, ctx.trace.correlation_id)
    command = users.SetPhone(ctx.user_id, phone.e164)
    # A user who never sent /start pays all the same; the number is just not kept.
    with contextlib.suppress(users.NotRegistered):
        ctx.runtime.pipeline.execute(users.users, users.stream_of(ctx.user_id), command, why)


def read_phone(ctx: Context, typed: str) -> Phone:
    """The typed number; a national form is dialled in the country of the number the user
    gave before, else in the deployment's default currency's country. BadPhone otherwise."""
    before = remembered(ctx)
    region = parse_phone(before).region if before else home_region(ctx.runtime)
    return parse_phone(typed, region)


def currency_for(rt: Runtime, option: RailSpec, phone: Phone | None) -> str:
    """What an amount for this rail is typed in: the phone's country's currency when the
    rail collects it (Flutterwave takes many), else the rail's own."""
    if phone is not None and option.configured_currency is None:
        local = routing.COUNTRIES.get(phone.region, ("", ""))[0]
        if local and option.takes(rt, local):
            return local
    return option.currency_in(rt)


def home_region(rt: Runtime) -> str | None:
    code = rt.settings.default_currency
    return next((c for c, (cur, _) in routing.COUNTRIES.items() if cur == code), None)


def describe(
    language: str, choice: Choice, tried: list[RailSpec] | None = None, others: bool = True
) -> str:
    """`Paying with MTN MoMo from +256772123456 (MTN, Uganda): the operator's own way to
    pay.`, and when `tried` ended on another rail (the chosen ones did not answer), that;
    with `others`, the /deposit commands that would top up another way instead."""
    assert choice.rail is not None
    tried = tried or [choice.rail]
    rail = tried[-1]
    if len(tried) > 1:
        failed = ", ".join(s.label for s in tried[:-1])
        why = texts.text(language, "payments.route_why_failover", failed=failed)
    else:
        skipped = ", ".join(s.label for s in choice.skipped) or "-"
        why = texts.text(language, choice.why, skipped=skipped)
    said = texts.text(
        language, "payments.route_chosen", rail=rail.label, phone=choice.route.phone.e164,
        operator=operator_label(choice.route.phone), country=choice.route.country,
        why=texts.Html(why),
    )  # fmt: skip
    instead = [o for o in (choice.rail, *choice.others) if o is not rail]
    if not instead or not others:
        return said
    typed = ", ".join(f"/deposit {o.name}" for o in instead)
    return f"{said}\n{texts.text(language, 'payments.route_others', others=typed)}"


def operator_label(phone: Phone) -> str:
    return phone.operator.upper() if len(phone.operator) <= 4 else phone.operator.title()


def no_rail_text(language: str, choice: Choice, typed: str = "") -> str:
    """No rail serves the number; when it was typed without a country code (read in the
    country of the number given before, or the deployment's), say how to name another."""
    phone = choice.route.phone
    country = choice.route.country or phone.region
    if not phone.operator:  # the library knows no operator for this prefix
        said = texts.text(
            language, "payments.route_none_unknown", country=country, phone=phone.e164
        )
    else:
        said = texts.text(
            language, "payments.route_none", operator=operator_label(phone), country=country,
            phone=phone.e164,
        )  # fmt: skip
    if typed.strip() and not typed.strip().startswith(("+", "00")):
        hint = texts.text(language, "payments.route_national", typed=typed.strip(), country=country)
        said = f"{said}\n{hint}"
    return said


# -- /phone ---------------------------------------------------------------------------------


def on_phone(ctx: Context, argument: str) -> Reply:
    """`/phone` says the remembered number and the rail it pays on; `/phone <number>`
    changes it."""
    typed = argument.strip()
    if not typed:
        known = remembered(ctx)
        if known is None:
            return reply(ctx, texts.text(ctx.language, "payments.phone_none"))
        return reply(ctx, _phone_said(ctx, parse_phone(known)))
    try:
        phone = read_phone(ctx, typed)
    except BadPhone as err:
        return reply(ctx, texts.refusal(ctx.language, err))
    remember(ctx, phone)
    return reply(ctx, _phone_said(ctx, phone))


def _phone_said(ctx: Context, phone: Phone) -> str:
    choice = choose(ctx.runtime, phone)
    head = texts.text(ctx.language, "payments.phone_is", phone=phone.e164)
    if choice.rail is None:
        return f"{head}\n{no_rail_text(ctx.language, choice)}"
    return f"{head}\n{describe(ctx.language, choice)}"
