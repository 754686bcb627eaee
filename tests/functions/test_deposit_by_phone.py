"""`/deposit <amount> <phone>`: Soko reads the number, chooses the rail of its country and
operator, says which and why, remembers the number, and the payer may choose another."""

from __future__ import annotations

from itertools import count

import pytest
from flask.testing import FlaskClient

from functions.domain import users
from functions.runtime.bootstrap import Runtime
from tests.builders import settings, text_update
from tests.functions.conftest import client_for, post_update
from tests.functions.fake_rail import FakeRail

pytestmark = pytest.mark.functions
PHONE_RAILS = ("mpesa", "mtnmomo", "airtel", "flutterwave")
_updates = count(5000)


@pytest.fixture
def rails(memory_runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> dict[str, FakeRail]:
    monkeypatch.setenv("SOKO_AIRTEL_CURRENCY", "ZMW")  # this deployment's Airtel is Zambian
    made = {name: FakeRail() for name in PHONE_RAILS}
    memory_runtime.rail_overrides = dict(made)
    memory_runtime.settings = settings(public_base_url="https://soko.test")
    return made


@pytest.fixture
def webhook(rails: dict[str, FakeRail]) -> FlaskClient:
    client = client_for("telegram_webhook")
    say(client, "/start")
    return client


def say(webhook: FlaskClient, text: str) -> str:
    update = text_update(text, user_id=7, update_id=next(_updates))
    return str(post_update(webhook, update).get_json()["text"])


def started_on(rails: dict[str, FakeRail]) -> dict[str, list[str | None]]:
    return {name: [r.phone for r in rail.started] for name, rail in rails.items() if rail.started}


@pytest.mark.parametrize(
    ("typed", "rail", "label", "amount"),
    [
        ("+256772123456", "mtnmomo", "MTN MoMo", "UGX 5,000"),
        ("+254712345678", "mpesa", "M-Pesa", "KES 5,000.00"),
        ("+260971234567", "airtel", "Airtel Money", "ZMW 5,000.00"),
        ("+256752123456", "flutterwave", "Flutterwave", "UGX 5,000"),  # Airtel here is Zambian
        ("+233201234567", "flutterwave", "Flutterwave", "GHS 5,000.00"),  # Telecel: no own rail
    ],
)
def test_a_phone_lands_on_its_operators_rail_in_its_countrys_currency_and_says_why(
    webhook: FlaskClient, rails: dict[str, FakeRail], typed: str, rail: str, label: str,
    amount: str,
) -> None:  # fmt: skip
    answer = say(webhook, f"/deposit 5000 {typed}")
    assert started_on(rails) == {rail: [typed]}
    assert answer.startswith(f"Paying with {label} from {typed} (")
    assert f"Deposit of {amount} started" in answer
    request = rails[rail].started[0]
    assert request.amount.currency == amount.split()[0]


def test_the_operators_own_rail_is_named_as_such_and_the_others_offered(
    webhook: FlaskClient, rails: dict[str, FakeRail]
) -> None:
    # A national form is dialled in the deployment's home (Kenya here, by its KES default):
    # 0772… is then a Kenyan number of an operator no rail serves.
    answer = say(webhook, "/deposit 5000 0772 123 456")
    assert "serves this number (+254772123456, Kenya)" in answer
    answer = say(webhook, "/deposit 5000 +256772123456")
    assert "(MTN, Uganda): the operator's own way to pay." in answer
    assert "/deposit flutterwave &lt;amount&gt;" in answer


def test_the_phone_is_remembered_so_the_next_deposit_needs_only_the_amount(
    memory_runtime: Runtime, webhook: FlaskClient, rails: dict[str, FakeRail]
) -> None:
    say(webhook, "/deposit 5000 +256772123456")
    state = memory_runtime.pipeline.current(users.users, users.stream_of(7))
    assert state.phone == "+256772123456"
    say(webhook, "/deposit 7000")
    assert [r.amount.amount for r in rails["mtnmomo"].started] == [5000, 7000]
    # A named phone rail without a number uses the remembered one, in its currency.
    say(webhook, "/deposit flutterwave 3000")
    assert [(r.phone, r.amount.currency) for r in rails["flutterwave"].started] == [
        ("+256772123456", "UGX")
    ]


def test_phone_shows_and_changes_the_number_and_the_rail_it_pays_on(
    memory_runtime: Runtime, webhook: FlaskClient, rails: dict[str, FakeRail]
) -> None:
    assert "not given a phone number" in say(webhook, "/phone")
    assert "Paying with Airtel Money" in say(webhook, "/phone +260971234567")
    assert say(webhook, "/phone").startswith("Your phone for mobile money: +260971234567")
    assert "Paying with MTN MoMo" in say(webhook, "/phone +256772123456")
    state = memory_runtime.pipeline.current(users.users, users.stream_of(7))
    assert state.phone == "+256772123456"
    assert started_on(rails) == {}


def test_a_bad_number_or_one_no_rail_serves_is_told_and_starts_nothing(
    memory_runtime: Runtime, webhook: FlaskClient, rails: dict[str, FakeRail]
) -> None:
    assert "is not a mobile number I can read" in say(webhook, "/deposit 5000 12345")
    assert "No way to pay here serves" in say(webhook, "/deposit 5000 +447911123456")
    assert "Which phone should pay?" in say(webhook, "/deposit 5000")
    assert started_on(rails) == {}
    store = memory_runtime.store
    assert not any(s.startswith("payment-") for s in store.streams())  # type: ignore[attr-defined]


def test_a_national_number_read_in_the_last_phones_country_says_how_to_name_another(
    webhook: FlaskClient, rails: dict[str, FakeRail]
) -> None:
    say(webhook, "/deposit 5000 +256772123456")  # Ugandan: national forms now read there
    answer = say(webhook, "/deposit 1500 0712345678")  # a Kenyan payer's habit
    assert "serves this number (+256712345678, Uganda)" in answer
    assert "I read 0712345678 as a number in Uganda" in answer
    assert "type it with its country code" in answer
    assert "Paying with M-Pesa" in say(webhook, "/deposit 1500 +254712345678")
    assert "country code" not in say(webhook, "/deposit 5000 +447911123456")


def test_an_amount_the_chosen_rail_refuses_is_told_before_any_provider_is_asked(
    webhook: FlaskClient, rails: dict[str, FakeRail]
) -> None:
    assert "M-Pesa takes" in say(webhook, "/deposit 1000000 +254712345678")
    assert started_on(rails) == {}


def test_an_order_on_a_phone_rail_is_paid_from_the_remembered_number_without_asking(
    memory_runtime: Runtime, rails: dict[str, FakeRail]
) -> None:
    from tests.functions.shop_helpers import ADMIN, ShopDriver, buttons

    memory_runtime.settings = settings(
        admin_ids=[ADMIN], default_currency="UGX", public_base_url="https://soko.test"
    )
    shop = ShopDriver(client_for("telegram_webhook"), memory_runtime)
    shop.register(ADMIN)
    shop.register(7)
    shop.say(7, "/phone +256772123456")
    product = shop.add_product("Airtime | Gifts | 5000 UGX | kind=unique")
    shop.say(ADMIN, f"/stock {product}\nCODE-1")
    held = shop.tap(7, f"shop:b:{product}:1")
    started = shop.tap(7, buttons(held)["Pay with MTN MoMo"])
    assert "UGX 5,000" in started["text"]
    assert [r.phone for r in rails["mtnmomo"].started] == ["+256772123456"]
