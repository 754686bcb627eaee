"""The route table: every lazy reference resolves to a handler of the right shape, the table
is consistent, ALLOWED_UPDATES and /help derive from it, and a question's marker survives
the trip through Telegram."""

from __future__ import annotations

import ast
import inspect
import re
import subprocess
import sys
import typing
from pathlib import Path
from typing import Any

import pytest

from functions import texts
from functions.contexts import REGISTRY
from functions.domain.decider import DomainError
from functions.telegram import replies, routes
from functions.telegram.chat import Context, Reply
from functions.telegram.handlers import Router
from functions.telegram.routes import Ref, Route
from functions.telegram.types import Message, parse_update
from tests.fakes.telegram.methods import link_entities, visible_text

pytestmark = pytest.mark.unit

ROUTES = REGISTRY.routes  # every context's
HANDLERS = [(f"{r.kind} {r.key}", r.handler) for r in ROUTES]
HANDLERS += [(f"legacy question {wording!r}", ref) for wording, ref in replies.LEGACY]
PRESENTERS = [(f"{r.kind} {r.key}", r.refused) for r in ROUTES if r.refused is not None]


def parameter_types(ref: Ref[Any]) -> tuple[list[object], object]:
    """The resolved function's parameter types and return type, from its annotations."""
    function = ref.resolve()
    assert callable(function), ref
    hints = typing.get_type_hints(function)
    names = list(inspect.signature(function).parameters)
    return [hints[name] for name in names], hints["return"]


@pytest.mark.parametrize(("route", "ref"), HANDLERS, ids=[name for name, _ in HANDLERS])
def test_every_handler_reference_resolves_to_a_handler(route: str, ref: Ref[Any]) -> None:
    assert parameter_types(ref) == ([Context, str], Reply)


@pytest.mark.parametrize(("route", "ref"), PRESENTERS, ids=[name for name, _ in PRESENTERS])
def test_every_refusal_presenter_takes_the_refusal(route: str, ref: Ref[Any]) -> None:
    assert parameter_types(ref) == ([Context, DomainError], Reply)


def test_a_command_of_two_routes_is_refused_when_the_router_is_built() -> None:
    twice = Route("command", "/balance", Ref("functions.telegram.account", "on_help"))
    Router(ROUTES)  # the deployment's table is consistent
    with pytest.raises(ValueError, match="/balance"):
        Router((*ROUTES, twice))


def test_commands_are_lowercase_slash_words_and_listed_with_help() -> None:
    for route in ROUTES:
        if route.kind == "command":
            assert route.key.startswith("/"), route
            assert route.key == route.key.lower(), route
            assert route.help, f"{route.key} has no line in /help"


def test_allowed_updates_are_the_update_types_the_routes_arrive_in() -> None:
    every = (
        "message", "callback_query", "pre_checkout_query",
        "my_chat_member", "chat_join_request", "chat_member",
    )  # fmt: skip
    assert routes.allowed_updates(REGISTRY.routes) == every
    commands = [r for r in REGISTRY.routes if r.kind == "command"]
    assert routes.allowed_updates(commands) == ("message",)
    buttons = [r for r in REGISTRY.routes if r.kind == "callback"]
    assert routes.allowed_updates(commands + buttons) == ("message", "callback_query")


def test_an_update_kind_without_an_update_type_is_refused() -> None:
    with pytest.raises(KeyError):
        routes.allowed_updates([Route("update", "message_reaction", Ref("x", "y"))])


def test_routing_imports_no_handler_module() -> None:
    """The dispatcher and /balance's module load without the shop, payments or admin code."""
    script = (
        "import sys, functions.telegram.handlers, functions.telegram.account\n"
        "print(' '.join(m for m in sys.modules if m.startswith('functions.telegram.')))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", script], check=True, capture_output=True, text=True
    ).stdout.split()
    handler_modules = {r.handler.module for r in ROUTES} - {"functions.telegram.account"}
    assert handler_modules, "the table names handler modules"
    assert handler_modules.isdisjoint(loaded), sorted(handler_modules & set(loaded))


def help_for(*roles: routes.Role, language: str = "en") -> list[str]:
    text = routes.help_text(ROUTES, language, lambda role: role in roles)
    return [line.split(" ", 1)[0] for line in text.splitlines() if line.startswith("/")]


def test_a_customers_help_lists_every_command_anyone_may_use_and_no_admin_command() -> None:
    listed = help_for("anyone")
    assert listed == [r.key for r in ROUTES if r.kind == "command" and r.role == "anyone"]
    assert {"/shop", "/orders", "/deposit", "/history"} <= set(listed)


def test_an_admins_help_adds_every_admin_command() -> None:
    admin = [r.key for r in ROUTES if r.kind == "command" and r.role == "admin"]
    assert {"/held", "/credit", "/refund", "/addproduct", "/photo"} <= set(admin)
    assert help_for("anyone", "admin") == help_for("anyone") + admin


def test_help_is_translated_where_the_catalogue_has_a_line_and_english_elsewhere() -> None:
    text = routes.help_text(ROUTES, "sw", lambda role: role == "anyone")
    assert text.startswith("Ninaelewa:\n/start — anza\n")
    assert "/shop — browse the shop" in text.splitlines()
    assert help_for("anyone", language="sw") == help_for("anyone")


def test_every_command_line_and_role_answer_is_in_the_english_catalogue() -> None:
    """Keys the route table names by value, which the catalogue's own test cannot see."""
    for route in ROUTES:
        if route.kind == "command":
            assert route.help == f"help.{route.key[1:]}", route.key
            assert texts.has(route.help), f"{route.help} is not in functions/texts/english/"
    for role in routes.ROLES:
        assert texts.has(f"account.help_head_{role}"), role
        if role != "anyone":
            assert texts.has(f"account.role_refused_{role}"), role
            assert texts.has(f"account.role_refused_button_{role}"), role


def test_help_escapes_the_placeholders_of_usage() -> None:
    text = routes.help_text(ROUTES, "en", lambda role: True)
    assert "/refund &lt;payment id&gt; — give a Stars payment back" in text.splitlines()


# -- questions: the marker, not the wording -----------------------------------------------


class _Chat:
    chat_id = 7


def delivered(question: Reply, sender: dict[str, Any] | None = None) -> Message:
    """The question as Telegram hands it back in reply_to_message (tags parsed away)."""
    mode = question["parse_mode"]
    data = {
        "message_id": 50, "date": 1767225600, "chat": {"id": 7, "type": "private"},
        "from": sender or {"id": 123456, "is_bot": True, "first_name": "Soko"},
        "text": visible_text(question["text"], mode),
        "entities": link_entities(question["text"], mode),
    }  # fmt: skip
    message = parse_update({"update_id": 1, "message": data}).message
    assert message is not None
    return message


def asked(text: str, payload: str = "abc123:mpesa") -> Reply:
    return replies.ask(typing.cast(Context, _Chat()), "order_phone", payload, text, "07…")


def test_a_questions_marker_survives_the_round_trip_and_names_question_and_payload() -> None:
    question = asked("Your phone &amp; network?")
    assert question["reply_markup"] == {"force_reply": True, "input_field_placeholder": "07…"}
    assert question["link_preview_options"] == {"is_disabled": True}
    message = delivered(question)
    assert message.text == "Your phone & network?\u200d"  # the marker cannot be seen
    assert replies.asked(message) == replies.Asked("order_phone", "abc123:mpesa")


def test_the_wording_does_not_matter_only_the_marker() -> None:
    assert replies.asked(delivered(asked("Numer telefonu?"))) == replies.asked(
        delivered(asked("Your phone?"))
    )


def test_a_marker_on_a_message_the_bot_did_not_send_is_no_question() -> None:
    user = {"id": 7, "is_bot": False, "first_name": "Eve"}
    assert replies.asked(delivered(asked("Your phone?"), sender=user)) is None


def test_a_message_without_a_marker_is_no_question() -> None:
    plain = {"method": "sendMessage", "chat_id": 7, "text": "Welcome!", "parse_mode": "HTML"}
    assert replies.asked(delivered(plain)) is None


@pytest.mark.parametrize(("key", "payload"), [("Bad Key", "x"), ("ok", "spaces here")])
def test_a_marker_that_could_not_be_read_back_is_refused_when_asked(key: str, payload: str) -> None:
    with pytest.raises(ValueError, match="marker"):
        replies.ask(typing.cast(Context, _Chat()), key, payload, "?", "")


def test_every_question_a_handler_asks_has_a_route() -> None:
    sources = Path(replies.__file__).parent.glob("*.py")
    # Asked directly, or by functions/telegram/rail_pay.py for a phone a rail needs.
    asked = r'\b(?:ask\(\s*ctx,|PhoneQuestion\()\s*"(\w+)"'
    keys = {k for f in sources for k in re.findall(asked, f.read_text())}
    assert keys == {
        "deposit_amount", "order_phone", "circle_phone", "circle_tier_phone", "circle_name",
        "circle_amount", "channel_phone",
    }  # fmt: skip
    assert keys == {r.key for r in ROUTES if r.kind == "question"}


def module_imports(path: Path) -> set[str]:
    """The functions.telegram modules a module imports when it is loaded (not those imported
    inside functions, nor under TYPE_CHECKING)."""
    tree = ast.parse(path.read_text())
    found: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [f"{node.module}.{alias.name}" for alias in node.names]
            found |= {node.module, *names}
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
    return {name for name in found if name.startswith("functions.telegram.")}


def test_the_telegram_modules_import_one_another_without_a_cycle() -> None:
    package = Path(replies.__file__).parent
    modules = {f"functions.telegram.{p.stem}": p for p in package.glob("*.py")}
    graph = {name: module_imports(path) & modules.keys() for name, path in modules.items()}
    done: set[str] = set()

    def visit(name: str, path: tuple[str, ...]) -> None:
        assert name not in path, " -> ".join((*path, name))
        if name not in done:
            for imported in graph[name]:
                visit(imported, (*path, name))
            done.add(name)

    for name in graph:
        visit(name, ())
    assert graph["functions.telegram.routes"] == set()  # the table needs no handler module
