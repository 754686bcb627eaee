"""The referral programme's core: codes, binding, one commission per deposit, reversal."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from events import Envelope, Event, Money
from events.payments import PaymentRefunded, PaymentSucceeded, Purpose
from events.referrals import (
    CommissionEarned,
    CommissionOwed,
    CommissionReversed,
    ReferralBound,
    RefundSeen,
    Terms,
)
from events.wallet import WalletCredited, WalletDebited
from functions.domain import referrals, wallet
from functions.reactors.referrals import earn_commission, reverse_commission
from functions.runtime import bootstrap
from functions.runtime.pipeline import Trace
from functions.runtime.reacting import react_to
from tests import builders
from tests.builders import envelope

pytestmark = pytest.mark.unit
A, B = 7, 8
T0 = datetime(2026, 1, 1, tzinfo=UTC)
TERMS = Terms(rate_bp=300)


def pln(amount: int) -> Money:
    return Money(amount=amount, currency="PLN")


def bound(terms: Terms = TERMS) -> list[Event]:
    return [ReferralBound(referee_id=B, referrer_id=A, referee_name="Bob", terms=terms, at=T0)]


def decide(history: list[Event], command: referrals.ReferralCommand) -> list[Event]:
    return list(referrals.referrals.decide(referrals.referrals.fold(history), command))


def earn(pid: str, amount: int, at: datetime = T0) -> referrals.Earn:
    return referrals.Earn(pid, B, pln(amount), at)


# -- codes ---------------------------------------------------------------------------------


def test_a_code_is_stable_resolves_to_its_user_and_cannot_be_forged() -> None:
    code = referrals.code_of(123456789, "s3cret")
    assert code == referrals.code_of(123456789, "s3cret")
    assert len(code) <= 16
    assert referrals.resolve(code, "s3cret") == 123456789
    assert referrals.resolve(code.upper(), "s3cret") == 123456789
    assert referrals.resolve(code, "another secret") is None
    head, _, _ = code.partition("-")
    assert referrals.resolve(f"{head}-aaaaaaaa", "s3cret") is None
    assert referrals.resolve(referrals.code_of(123456790, "s3cret")[:-1] + "x", "s3cret") is None
    for garbage in ("", "-", "zz", "!!-abc", "1" * 40 + "-x"):
        assert referrals.resolve(garbage, "s3cret") is None


# -- binding -------------------------------------------------------------------------------


def bind(referrer: int = A) -> referrals.Bind:
    return referrals.Bind(B, referrer, "Bob", TERMS, T0)


def test_a_referee_is_bound_once_and_never_rebound() -> None:
    (first,) = decide([], bind())
    assert isinstance(first, ReferralBound)
    assert first.referrer_id == A
    assert decide(bound(), bind(referrer=9)) == []


def test_binding_oneself_or_ones_own_referee_is_refused() -> None:
    with pytest.raises(referrals.SelfReferral):
        decide([], referrals.Bind(B, B, "Bob", TERMS, T0))
    joined = decide([], referrals.AddReferee(B, A, "Alice"))  # Alice joined through Bob
    with pytest.raises(referrals.ReferralCycle):
        decide(joined, bind())


# -- earning -------------------------------------------------------------------------------


def test_a_deposit_earns_floor_of_the_rate_once() -> None:
    (earned,) = decide(bound(), earn("p1", 10_099))
    assert isinstance(earned, CommissionEarned)
    assert earned.commission == pln(302)  # 302.97 floored
    assert (earned.referrer_id, earned.rate_bp, earned.deposit) == (A, 300, pln(10_099))
    assert decide([*bound(), earned], earn("p1", 10_099)) == []


def test_an_unbound_users_deposit_or_one_too_small_to_earn_a_unit_earns_nothing() -> None:
    assert decide([], earn("p1", 10_000)) == []
    assert decide(bound(), earn("p1", 33)) == []  # 0.99 of a minor unit


def test_optional_minimum_cap_and_window() -> None:
    terms = Terms(rate_bp=1000, min_deposit={"PLN": 5_000}, cap={"PLN": 700}, window_days=30)
    history = bound(terms)
    assert decide(history, earn("small", 4_999)) == []
    (first,) = decide(history, earn("p1", 5_000))
    assert first.commission == pln(500)  # type: ignore[attr-defined]
    (second,) = decide([*history, first], earn("p2", 5_000))
    assert second.commission == pln(200)  # type: ignore[attr-defined]  # the cap's rest
    assert decide([*history, first, second], earn("p3", 5_000)) == []
    late = T0 + timedelta(days=30, seconds=1)
    assert decide(history, earn("late", 5_000, at=late)) == []


def test_a_refund_reverses_once_and_a_refund_seen_first_blocks_a_late_success() -> None:
    (earned,) = decide(bound(), earn("p1", 10_000))
    (reversed_,) = decide([*bound(), earned], referrals.Reverse("p1"))
    assert reversed_ == CommissionReversed(
        payment_id="p1", referee_id=B, referrer_id=A, commission=pln(300)
    )
    assert decide([*bound(), earned, reversed_], referrals.Reverse("p1")) == []
    (seen,) = decide(bound(), referrals.Reverse("p2"))
    assert seen == RefundSeen(payment_id="p2")
    assert decide([*bound(), seen], earn("p2", 10_000)) == []


# -- the referrer's wallet -----------------------------------------------------------------


def on_wallet(history: list[Event], command: object) -> list[Event]:
    state = referrals.commission_wallets.fold(history)
    return list(referrals.commission_wallets.decide(state, command))  # type: ignore[arg-type]


PAY = referrals.PayCommission(A, "p1", pln(300))
RECLAIM = referrals.ReclaimCommission(A, "p1", pln(300))


def test_a_commission_is_credited_once_under_its_payment() -> None:
    (credit,) = on_wallet([], PAY)
    assert credit == WalletCredited(
        user_id=A, amount=pln(300), reason="commission", reference="commission:p1"
    )
    assert on_wallet([credit], PAY) == []


def test_a_reversal_debits_what_is_held_and_records_the_rest_owed_then_nets_it() -> None:
    history = [*on_wallet([], PAY)]
    history.append(WalletDebited(user_id=A, amount=pln(200), reason="order", reference="order:1"))
    reclaimed = on_wallet(history, RECLAIM)
    assert reclaimed == [
        WalletDebited(
            user_id=A, amount=pln(100), reason="commission_reversal",
            reference="reversal:commission:p1",
        ),
        CommissionOwed(user_id=A, payment_id="p1", owed=pln(200)),
    ]  # fmt: skip
    history += reclaimed
    assert on_wallet(history, RECLAIM) == []
    paid = on_wallet(history, referrals.PayCommission(A, "p2", pln(450)))
    assert paid[1] == WalletDebited(
        user_id=A, amount=pln(200), reason="commission_debt", reference="debt:commission:p2"
    )
    state = referrals.commission_wallets.fold([*history, *paid])
    assert state.balance("PLN") == pln(250)
    assert state.owed == {"PLN": 0}


def test_a_reversal_delivered_before_its_payment_leaves_nothing_behind() -> None:
    history = [*on_wallet([], RECLAIM)]
    assert history == [CommissionOwed(user_id=A, payment_id="p1", owed=pln(300))]
    history += on_wallet(history, PAY)
    state = referrals.commission_wallets.fold(history)
    assert state.balance("PLN") == pln(0)
    assert state.owed == {"PLN": 0}


# -- reactors: duplicated and reordered deposit events --------------------------------------


def deposit_envelope(pid: str, event_id: str) -> Envelope:
    paid = PaymentSucceeded(
        payment_id=pid, user_id=B, purpose="wallet_deposit", paid=pln(10_000), source="query"
    )
    return envelope(f"payment-{pid}", 2, paid, event_id=event_id)


def test_duplicated_and_reordered_deposit_events_pay_one_commission_each() -> None:
    rt = bootstrap.build(builders.settings())
    rt.pipeline.execute(referrals.referrals, referrals.stream_of(B), bind(), Trace("bind"))
    refund = PaymentRefunded(
        reason="test", payment_id="p2", user_id=B, purpose="wallet_deposit", amount=pln(10_000)
    )
    react_to(rt.pipeline, reverse_commission, envelope("payment-p2", 3, refund))  # first
    for event_id in ("e1", "e1", "e1-again"):  # redelivered, and published twice
        react_to(rt.pipeline, earn_commission, deposit_envelope("p1", event_id))
    react_to(rt.pipeline, earn_commission, deposit_envelope("p2", "e2"))

    credits = [e for e in rt.store.load(wallet.stream_of(A)) if e.type == "wallet.credited.v1"]
    assert [e.data["reference"] for e in credits] == ["commission:p1"]
    assert rt.read_models.get("balances", str(A))["balances"] == {"PLN": 300}  # type: ignore[index]


@pytest.mark.parametrize(
    "purpose", ["order", "circle_contribution", "subscription", "donation", "tier"]
)
def test_money_paid_on_a_rail_for_anything_but_a_wallet_deposit_earns_nothing(
    purpose: Purpose,
) -> None:
    """An order paid directly on a rail (and a circle, plan, donation or tier payment) is a
    purchase, not money brought into the wallet: docs/architecture.md, "What counts"."""
    rt = bootstrap.build(builders.settings())
    rt.pipeline.execute(referrals.referrals, referrals.stream_of(B), bind(), Trace("bind"))
    paid = PaymentSucceeded(
        payment_id="p1",
        user_id=B,
        purpose=purpose,
        paid=pln(10_000),
        source="callback",
    )
    refund = PaymentRefunded(
        reason="test",
        payment_id="p1",
        user_id=B,
        purpose=purpose,
        amount=pln(10_000),
    )
    assert react_to(rt.pipeline, earn_commission, envelope("payment-p1", 2, paid)) == 0
    assert react_to(rt.pipeline, reverse_commission, envelope("payment-p1", 3, refund)) == 0
    assert [e.type for e in rt.store.load(referrals.stream_of(B))] == ["referral.bound.v1"]
    assert rt.store.load(wallet.stream_of(A)) == []


# -- the property: what is paid is exactly what the deposits earned, never below zero ------

Op = tuple[str, int, int]  # (deposit|refund|spend, referee index or deposit index, amount)
ops = st.lists(
    st.tuples(
        st.sampled_from(["deposit", "refund", "spend"]),
        st.integers(0, 30),
        st.integers(1, 2_000_000),
    ),
    max_size=40,
)


@settings(max_examples=150, deadline=None)
@given(ops)
def test_total_commission_is_the_floored_sum_less_reversals_and_no_balance_goes_negative(
    script: list[Op],
) -> None:
    referees = [100 + i for i in range(4)]
    streams: dict[int, list[Event]] = {
        r: [ReferralBound(referee_id=r, referrer_id=A, referee_name="R", terms=TERMS, at=T0)]
        for r in referees
    }
    purse: list[Event] = []
    deposits: list[tuple[int, str, int]] = []
    refunded: set[str] = set()

    def follow(events: list[Event]) -> None:
        for event in events:
            if isinstance(event, CommissionEarned):
                command: object = referrals.PayCommission(A, event.payment_id, event.commission)
            elif isinstance(event, CommissionReversed):
                command = referrals.ReclaimCommission(A, event.payment_id, event.commission)
            else:
                continue
            before = referrals.commission_wallets.fold(purse).owed.get("PLN", 0)
            purse.extend(on_wallet(purse, command))
            after = referrals.commission_wallets.fold(purse)
            assert after.balance("PLN").amount >= 0
            if isinstance(command, referrals.PayCommission):  # a debt is netted first
                assert after.owed.get("PLN", 0) == max(0, before - event.commission.amount)

    for kind, index, amount in script:
        if kind == "deposit":
            referee, pid = referees[index % 4], f"p{len(deposits)}"
            deposits.append((referee, pid, amount))
            new = decide(streams[referee], referrals.Earn(pid, referee, pln(amount), T0))
        elif kind == "refund" and deposits:
            referee, pid, _ = deposits[index % len(deposits)]
            refunded.add(pid)
            new = decide(streams[referee], referrals.Reverse(pid))
        elif kind == "spend":
            state = referrals.commission_wallets.fold(purse)
            spend = min(amount // 100, state.balance("PLN").amount)
            if spend:
                purse.append(WalletDebited(user_id=A, amount=pln(spend), reason="order",
                                           reference=f"order:{len(purse)}"))  # fmt: skip
            continue
        else:
            continue
        streams[referee] += new
        follow(new)

    expected = sum(a * 300 // 10_000 for _, pid, a in deposits if pid not in refunded)
    credited = sum(e.amount.amount for e in purse if isinstance(e, WalletCredited))
    taken = sum(
        e.amount.amount
        for e in purse
        if isinstance(e, WalletDebited) and e.reason == "commission_reversal"
    )
    owed_recorded = sum(e.owed.amount for e in purse if isinstance(e, CommissionOwed))
    assert credited - taken - owed_recorded == expected
    final = referrals.commission_wallets.fold(purse)
    assert final.owed.get("PLN", 0) >= 0
    assert final.balance("PLN").amount >= 0
