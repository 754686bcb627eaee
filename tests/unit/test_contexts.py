"""The list of contexts is the one registration: main.py, the root re-export, the topology,
the memory wiring and the job table all follow it, and nothing in it is declared twice."""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
import types
from pathlib import Path

import pytest

import functions.main
from events.users import UserRegistered
from functions.contexts import CONTEXTS, REGISTRY, Registry
from functions.contexts.base import BoundedContext, Function, Subscriber, resolve
from functions.jobs import JOBS
from functions.projections.balances import balance_of
from functions.runtime import bootstrap
from infra.topology import TOPOLOGY, topology_of
from tests import builders

pytestmark = pytest.mark.unit
ROOT = Path(__file__).parents[2]


def test_the_contexts_declare_nothing_twice_and_read_only_owned_categories() -> None:
    assert REGISTRY.problems() == []


def test_a_category_read_by_no_owner_or_a_function_declared_twice_is_reported() -> None:
    wallet = next(c for c in CONTEXTS if c.name == "wallet")
    orphan = BoundedContext(
        name="orphan",
        projections=wallet.projections,  # reads `wallet`, which this list does not own
        subscribers=(
            Subscriber(Function("twice", "pubsub")),
            Subscriber(Function("twice", "pubsub")),
        ),
    )
    problems = Registry((orphan,)).problems()
    assert "function 'twice' is declared twice" in problems
    assert "projection balances reads 'wallet', which no context owns" in problems


def test_every_subscriber_is_an_entry_point_of_both_main_modules() -> None:
    root = importlib.import_module("main")
    for subscriber in REGISTRY.subscribers:
        made = getattr(functions.main, subscriber.entry_point)
        assert isinstance(made, types.FunctionType)
        assert made.__name__ == subscriber.entry_point
        assert getattr(root, subscriber.entry_point) is made
    with pytest.raises(AttributeError):
        functions.main.no_such_function  # noqa: B018


def test_the_root_main_re_exports_every_function_main_writes_out() -> None:
    tree = ast.parse((ROOT / "functions" / "main.py").read_text())
    written = {
        n.name
        for n in tree.body
        if isinstance(n, ast.FunctionDef)
        and any(ast.unparse(d).startswith("functions_framework.") for d in n.decorator_list)
    }
    root = importlib.import_module("main")
    assert written <= set(root.__all__)
    assert written | {s.entry_point for s in REGISTRY.subscribers} == {
        f.entry_point for f in TOPOLOGY.functions
    }


def test_importing_main_imports_no_context_until_a_subscriber_is_looked_up() -> None:
    code = (
        "import sys, main; before = 'functions.contexts' in sys.modules; "
        "main.project_balances; print(before, 'functions.contexts' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.split() == ["False", "True"]


def test_every_job_resolves_to_its_function_and_has_a_schedule() -> None:
    for name, job in REGISTRY.jobs.items():
        assert callable(job.run.resolve()), name
    assert set(JOBS) == set(REGISTRY.jobs) == {s.job for s in TOPOLOGY.schedules}


def test_the_memory_runtime_feeds_the_projections_and_reactors_of_its_contexts() -> None:
    rt = bootstrap.build(builders.settings())
    registered = UserRegistered(user_id=77, chat_id=77, first_name="Amani", language="en")
    rt.publisher.publish([builders.envelope("user-77", 1, registered)])
    # open_wallet reacted (a wallet stream now exists), and balances projected its opening.
    assert [e.type for e in rt.store.load("wallet-77")] == ["wallet.opened.v1"]
    assert balance_of(rt.read_models, 77).user_id == 77


# A subscriber's instance imports its own members and no other context's.
LOOKUP = """
import sys, main
main.project_balances
from functions.contexts import REGISTRY
from functions.contexts.base import resolve
resolve(REGISTRY.subscriber("project_balances").projections)
print(" ".join(sorted(m for m in sys.modules if m.startswith(("functions.", "events.")))))
"""


def test_a_subscriber_imports_only_its_own_read_models_and_reactors() -> None:
    out = subprocess.run(
        [sys.executable, "-c", LOOKUP], cwd=ROOT, capture_output=True, text=True, check=True
    )
    loaded = set(out.stdout.split())
    assert "functions.projections.balances" in loaded
    others = {
        "functions.projections.shop",
        "functions.reactors.checkout",
        "functions.reactors.circles",
        "functions.notifications.rules",
        "events.circles",
    }
    assert loaded & others == set()  # fmt: skip


# Following a /start's events inline: only the reactors of the categories it wrote load.
FOLLOW_START = """
import sys
from functions.contexts import REGISTRY
print(",".join(r.name for r in REGISTRY.inline_for("user")))
print(",".join(r.name for r in REGISTRY.inline_for("referral")))
print(" ".join(sorted(m for m in sys.modules if m.startswith(("functions.", "events.")))))
"""


def test_following_a_category_inline_imports_only_its_reactors() -> None:
    out = subprocess.run(
        [sys.executable, "-c", FOLLOW_START], cwd=ROOT, capture_output=True, text=True, check=True
    )
    user, referral, modules = out.stdout.splitlines()
    assert (user, referral) == ("bind-referral", "join-referrer")
    loaded = set(modules.split())
    assert "functions.reactors.referrals" in loaded
    unrelated = {"functions.reactors.checkout", "functions.reactors.channels", "events.circles"}
    assert loaded & unrelated == set()


def test_inline_reactors_of_a_category_keep_the_contexts_order() -> None:
    names = [r.name for r in REGISTRY.inline_for("wallet")]
    assert names == [
        "checkout-wallet", "subscribe-on-debit", "join-circle", "take-contribution", "buy-tier",
    ]  # fmt: skip
    assert REGISTRY.inline_for("nothing-reacts-inline") == ()
    assert all(r in REGISTRY.reactors for r in REGISTRY.inline)


def test_an_inline_member_declared_under_a_category_it_does_not_react_to_is_reported() -> None:
    shop = next(c for c in CONTEXTS if c.name == "shop")
    wrong = BoundedContext(
        name="wrong",
        categories=("user",),
        reactors=shop.reactors,
        inline={"user": shop.inline["order"]},  # the checkout saga reacts to no user event
    )
    problems = Registry((*CONTEXTS, wrong)).problems()
    assert any("is declared for 'user' but reacts to none of it" in p for p in problems)
    assert REGISTRY.problems() == []


def test_every_member_of_every_context_resolves() -> None:
    for context in CONTEXTS:
        resolve(
            (
                *context.projections,
                *context.reactors,
                *(m for ms in context.inline.values() for m in ms),
            )
        )
        for rules in context.rules.values():
            assert all(callable(rule) for rule in resolve(rules)), context.name


def test_the_deployed_topology_is_the_registry_s() -> None:
    assert topology_of(REGISTRY) == TOPOLOGY
    assert {t.removesuffix("-events") for t in TOPOLOGY.event_topics} == set(REGISTRY.categories)
