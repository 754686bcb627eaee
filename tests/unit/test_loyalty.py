"""Tiers and badges: decided from tables on `loyalty-<user id>`, each reached or unlocked
once, by lifetime commission in the tier currency at the configured conversion."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from events import Event, Money
from events.loyalty import AchievementUnlocked, ProgressCounted, TierReached
from functions.contexts.referrals import TIERS, ReferralsSettings
from functions.domain import loyalty
from functions.domain.loyalty import Achievement, Programme, Tier
from functions.texts import has

pytestmark = pytest.mark.unit
A = 7
PROGRAMME = ReferralsSettings(conversion={"KES": 30_000, "XTR": 5_200_000}).programme()


def pln(amount: int) -> Money:
    return Money(amount=amount, currency="PLN")


def run(commands: list[loyalty.Count], history: list[Event] | None = None) -> list[Event]:
    """Decide each command after what the ones before it wrote."""
    history = list(history or [])
    for command in commands:
        history += loyalty.loyalty.decide(loyalty.loyalty.fold(history), command)
    return history


def commission(key: str, money: Money, programme: Programme = PROGRAMME) -> loyalty.Count:
    return loyalty.Count(A, "commission", key, programme, money)


def reversal(key: str, money: Money) -> loyalty.Count:
    return loyalty.Count(A, "reversal", key, PROGRAMME, money)


def of(kind: type[Event], events: list[Event]) -> list[Event]:
    return [e for e in events if isinstance(e, kind)]


def test_the_default_tiers_are_the_programmes_in_grosze() -> None:
    assert [(t.name, t.threshold) for t in PROGRAMME.tiers] == [
        ("bronze", 0), ("silver", 10_000), ("gold", 50_000),
        ("platinum", 100_000), ("diamond", 500_000),
    ]  # fmt: skip
    assert PROGRAMME.currency == "PLN"
    assert list(TIERS) == ["bronze", "silver", "gold", "platinum", "diamond"]


def test_each_threshold_is_reached_once_just_at_it_not_a_grosz_before() -> None:
    history = run([commission("p1", pln(9_999))])
    assert of(TierReached, history) == []
    history = run([commission("p2", pln(1))], history)
    (silver,) = of(TierReached, history)
    assert (silver.tier, silver.rank, silver.lifetime) == ("silver", 1, pln(10_000))  # type: ignore[attr-defined]
    history = run(
        [commission("p3", pln(39_999)), commission("p4", pln(1)), commission("p5", pln(50_000))],
        history,
    )
    history = run([commission("p6", pln(400_000))], history)
    reached = [(e.tier, e.lifetime.amount) for e in of(TierReached, history)]  # type: ignore[attr-defined]
    assert reached == [
        ("silver", 10_000), ("gold", 50_000), ("platinum", 100_000), ("diamond", 500_000),
    ]  # fmt: skip


def test_a_jump_past_several_thresholds_reaches_each_tier_between() -> None:
    history = run([commission("p1", pln(120_000))])
    assert [e.tier for e in of(TierReached, history)] == ["silver", "gold", "platinum"]  # type: ignore[attr-defined]


def test_a_reversal_lowers_the_lifetime_and_reaching_the_tier_again_is_not_announced() -> None:
    history = run([commission("p1", pln(10_000)), reversal("p1", pln(10_000))])
    assert loyalty.loyalty.fold(history).lifetime == 0
    history = run([commission("p2", pln(10_000))], history)
    assert [e.tier for e in of(TierReached, history)] == ["silver"]  # type: ignore[attr-defined]
    assert [e.achievement for e in of(AchievementUnlocked, history)] == ["tier_silver"]  # type: ignore[attr-defined]


def test_a_fact_counted_twice_counts_once() -> None:
    history = run([commission("p1", pln(10_000)), commission("p1", pln(10_000))])
    assert len(of(ProgressCounted, history)) == 1
    assert loyalty.loyalty.fold(history).lifetime == 10_000


def test_other_currencies_count_at_their_rate_truncated_and_a_reversal_takes_back_the_same() -> (
    None
):
    kes = Money(amount=33_333, currency="KES")  # KES 333.33 at 30,000 per million: 999.99 gr.
    history = run([commission("k1", kes)])
    (counted,) = of(ProgressCounted, history)
    assert counted.value == 999  # type: ignore[attr-defined]
    history = run([reversal("k1", kes)], history)
    assert of(ProgressCounted, history)[-1].value == -999  # type: ignore[attr-defined]
    assert loyalty.loyalty.fold(history).lifetime == 0


def test_a_currency_without_a_rate_does_not_count_toward_the_tiers() -> None:
    history = run([commission("u1", Money(amount=10_000_000, currency="USD"))])
    (counted,) = of(ProgressCounted, history)
    assert counted.value == 0  # type: ignore[attr-defined]
    assert of(TierReached, history) == []


def test_each_badge_unlocks_once_when_its_counter_reaches_its_threshold() -> None:
    def count(fact: str, n: int) -> list[loyalty.Count]:
        return [loyalty.Count(A, fact, f"{fact}{i}", PROGRAMME) for i in range(n)]  # type: ignore[arg-type]

    history = run([*count("referral", 25), *count("deposit", 3), *count("purchase", 10)])
    history = run([*count("referral", 25), *count("purchase", 10)], history)  # again: nothing
    unlocked = [e.achievement for e in of(AchievementUnlocked, history)]  # type: ignore[attr-defined]
    assert unlocked == [
        "first_referral", "referrals_5", "referrals_25",
        "first_deposit", "first_purchase", "purchases_10",
    ]  # fmt: skip
    history = run(count("referral", 100), history)
    assert [e.achievement for e in of(AchievementUnlocked, history)][-1] == "referrals_100"  # type: ignore[attr-defined]


def test_a_badge_added_to_the_table_unlocks_without_code() -> None:
    table = (Achievement("three_top_ups", "deposits", 3),)
    programme = Programme("PLN", (Tier("bronze", 0), Tier("gold", 100)), achievements=table)
    history = run([loyalty.Count(A, "deposit", f"p{i}", programme) for i in range(4)])
    assert [e.achievement for e in of(AchievementUnlocked, history)] == ["three_top_ups"]  # type: ignore[attr-defined]
    assert [b.key for b in programme.badges()] == ["three_top_ups", "tier_gold"]


def test_every_badge_and_tier_has_its_text() -> None:
    for badge in PROGRAMME.badges():
        assert has(f"achievement.{badge.key}"), badge.key
    for tier in PROGRAMME.tiers:
        assert has(f"tier.{tier.name}"), tier.name


def test_tiers_must_start_at_zero_and_rise() -> None:
    with pytest.raises(ValueError, match="start at 0"):
        Programme("PLN", (Tier("silver", 100),))
    with pytest.raises(ValueError, match="rise"):
        Programme("PLN", (Tier("bronze", 0), Tier("gold", 500), Tier("silver", 100)))


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["commission", "reversal"]), st.integers(0, 9), st.integers(1, 200_000)
        ),
        max_size=40,
    )
)
def test_tiers_follow_the_highest_lifetime_ever_and_none_is_announced_twice(
    steps: list[tuple[str, int, int]],
) -> None:
    history: list[Event] = []
    earned: dict[str, int] = {}
    peak = 0
    for fact, key, amount in steps:
        pid = f"p{key}"
        if fact == "commission":
            amount = earned.setdefault(pid, amount)
        elif pid not in earned:
            continue  # a reversal only follows its commission (one referee stream, in order)
        else:
            amount = earned[pid]
        history = run([loyalty.Count(A, fact, pid, PROGRAMME, pln(amount))], history)  # type: ignore[arg-type]
        peak = max(peak, loyalty.loyalty.fold(history).lifetime)
    reached = [e.rank for e in of(TierReached, history)]  # type: ignore[attr-defined]
    assert reached == sorted(set(reached))
    assert reached == list(range(1, PROGRAMME.rank_of(peak) + 1))


def test_the_bar_fills_a_block_per_tenth_of_the_way() -> None:
    from functions.telegram.tiers import bar

    assert (bar(0), bar(35), bar(100)) == ("░" * 10, "▓▓▓" + "░" * 7, "▓" * 10)


def test_a_delivered_order_counts_a_purchase_and_a_wallet_deposit_a_deposit() -> None:
    from events.payments import PaymentSucceeded
    from events.shop import OrderDelivered
    from functions.reactors.loyalty import counters
    from tests.builders import envelope

    purchases = next(r for r in counters(lambda: PROGRAMME) if r.category == "order")
    (reaction,) = purchases.react(envelope("order-o1", 3, OrderDelivered(user_id=A, via="wallet")))
    assert reaction.stream == "loyalty-7"
    assert (reaction.command.fact, reaction.command.key) == ("purchase", "o1")  # type: ignore[attr-defined]
    deposits = next(r for r in counters(lambda: PROGRAMME) if r.category == "payment")
    paid = PaymentSucceeded(
        payment_id="p1", user_id=A, purpose="order", paid=pln(100), source="callback"
    )
    assert deposits.react(envelope("payment-p1", 2, paid)) == []  # an order paid on a rail


GOLD_PAYS_MORE = Programme(
    "PLN", (Tier("bronze", 0), Tier("gold", 10_000, rate_bp=500)), achievements=()
)


def earned(key: str, deposit: int, rate_bp: int = 300) -> loyalty.Count:
    commission = pln(deposit * rate_bp // 10_000)
    return loyalty.Count(A, "commission", key, GOLD_PAYS_MORE, commission, pln(deposit), rate_bp)


def test_a_tier_with_its_own_rate_pays_the_difference_as_a_bonus_once_and_takes_it_back() -> None:
    from events.loyalty import BonusEarned, BonusReversed

    history = run([earned("p1", 400_000)])  # 3%: PLN 120.00 reaches gold, at bronze's rate
    assert of(BonusEarned, history) == []
    history = run([earned("p2", 10_033), earned("p2", 10_033)], history)
    (bonus,) = of(BonusEarned, history)
    # floor(5% of 100.33) - floor(3% of 100.33) = 501 - 300 grosze
    assert (bonus.tier, bonus.rate_bp, bonus.bonus) == ("gold", 500, pln(201))  # type: ignore[attr-defined]
    back = loyalty.Count(A, "reversal", "p2", GOLD_PAYS_MORE, pln(300))
    history = run([back, back], history)
    (reversed_,) = of(BonusReversed, history)
    assert reversed_.bonus == pln(201)  # type: ignore[attr-defined]


def test_a_capped_commission_a_lower_tier_rate_or_a_refund_seen_first_pays_no_bonus() -> None:
    from events.loyalty import BonusEarned

    history = run([earned("p1", 400_000)])
    capped = loyalty.Count(A, "commission", "p2", GOLD_PAYS_MORE, pln(100), pln(10_000), 300)
    history = run([capped, earned("p3", 10_000, rate_bp=600)], history)
    refunded_first = loyalty.Count(A, "reversal", "p4", GOLD_PAYS_MORE, pln(300))
    history = run([refunded_first, earned("p4", 10_000)], history)
    assert of(BonusEarned, history) == []
