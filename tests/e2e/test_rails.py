"""Every provider rail end to end on the emulator stack, through real HTTP:

/deposit through the Telegram webhook -> the rail asks the fake provider -> the payer pays at
the fake -> the provider's callback over HTTP to payment_webhook -> Firestore -> Pub/Sub push
-> credit_deposits -> project_balances -> the balances read model shows the credit.
And the other way: a success callback the provider's own records contradict credits nothing.
"""

from __future__ import annotations

import dataclasses
import io
from typing import Any

import httpx
import pytest

from infra.local.console import Console, InProcessBackend
from infra.local.dev import describe
from infra.local.payer import Payer
from infra.local.stack import LOCAL_ADMIN_ID, PAYMENT_WEBHOOK, LocalStack
from tests.builders import button_update
from tests.e2e.conftest import eventually
from tests.e2e.console_process import run_console
from tests.e2e.rails import (
    CREDITED,
    SUCCEEDED,
    balances,
    credited,
    deposit,
    event_types,
    open_wallet,
    payments_doc,
)
from tests.fakes.mpesa_server import callback_body

pytestmark = pytest.mark.e2e

HTTP = httpx.Client(trust_env=False, timeout=30.0)


@pytest.fixture
def payer(e2e_stack: LocalStack) -> Payer:
    return Payer(e2e_stack.providers.urls)


def test_every_rail_points_at_its_fake_and_calls_back_to_payment_webhook(
    e2e_stack: LocalStack,
) -> None:
    env, fakes = e2e_stack.env, e2e_stack.providers
    assert env["SOKO_PUBLIC_BASE_URL"] == e2e_stack.urls[PAYMENT_WEBHOOK]
    assert env["SOKO_MPESA_BASE_URL"] == fakes.mpesa.base_url
    assert env["SOKO_NOWPAYMENTS_BASE_URL"] == fakes.nowpayments.base_url
    assert env["SOKO_PAKASIR_BASE_URL"] == fakes.pakasir.base_url
    assert fakes.pakasir.webhook_url == (
        f"{e2e_stack.urls[PAYMENT_WEBHOOK]}/payments/pakasir/{fakes.secrets.pakasir_webhook_secret}"
    )
    assert set(fakes.ports.items()) <= set(e2e_stack.ports.items())
    assert not any(v in repr(fakes.secrets) for v in fakes.secrets.values())


def test_mpesa_deposit_is_credited_after_the_pin_and_the_stk_query(
    e2e_stack: LocalStack, payer: Payer
) -> None:
    open_wallet(e2e_stack, 8101)
    ref = deposit(e2e_stack, 8101, "/deposit mpesa 1500 0712345678")
    (prompt,) = [r for r in e2e_stack.providers.mpesa.requests() if r["account_reference"] == ref]
    assert (prompt["amount"], prompt["phone"]) == (1500, "254712345678")

    assert payer.answer_mpesa([ref]).endswith("1 callback answered 200")

    doc = eventually(lambda: credited(e2e_stack, 8101, "KES"))
    assert doc["balances"] == {"KES": 150_000}
    assert event_types(e2e_stack, f"payment-{ref}").count(SUCCEEDED) == 1
    assert event_types(e2e_stack, "wallet-8101").count(CREDITED) == 1
    # The unsigned callback was confirmed with Daraja's STK query before anything moved.
    assert ("POST", "/mpesa/stkpush/v1/processrequest") in e2e_stack.providers.mpesa.hits
    assert ("POST", "/mpesa/stkpushquery/v1/query") in e2e_stack.providers.mpesa.hits


def test_pakasir_deposit_is_credited_after_scanning_the_qr(
    e2e_stack: LocalStack, payer: Payer
) -> None:
    open_wallet(e2e_stack, 8102)
    ref = deposit(e2e_stack, 8102, "/deposit pakasir 50000")
    assert ref in e2e_stack.providers.pakasir.orders

    assert payer.pay_qris([ref]).endswith("1 webhook answered 200")

    doc = eventually(lambda: credited(e2e_stack, 8102, "IDR"))
    assert doc["balances"] == {"IDR": 5_000_000}  # the amount asked, not the fee on top
    assert event_types(e2e_stack, f"payment-{ref}").count(SUCCEEDED) == 1


def test_nowpayments_deposit_is_credited_once_after_its_signed_ipns(
    e2e_stack: LocalStack, payer: Payer
) -> None:
    open_wallet(e2e_stack, 8103)
    ref = deposit(e2e_stack, 8103, "/deposit nowpayments 25.00")

    done = payer.pay_invoice([ref])  # waiting, confirming, confirmed, sending, finished
    assert done.endswith("5 IPNs answered 200, 200, 200, 200, 200"), done

    doc = eventually(lambda: credited(e2e_stack, 8103, "USD"))
    assert doc["balances"] == {"USD": 2_500}
    assert event_types(e2e_stack, f"payment-{ref}").count(SUCCEEDED) == 1
    assert event_types(e2e_stack, "wallet-8103").count(CREDITED) == 1


# -- success claimed, contradicted: no credit ----------------------------------------------


def test_an_mpesa_success_callback_for_a_cancelled_prompt_fails_the_payment(
    e2e_stack: LocalStack,
) -> None:
    open_wallet(e2e_stack, 8111)
    ref = deposit(e2e_stack, 8111, "/deposit mpesa 700 0712345678")
    fake = e2e_stack.providers.mpesa
    (checkout_id,) = [c for c, r in fake.api.requests.items() if r.account_reference == ref]
    request = fake.fail(checkout_id)  # the customer cancelled; Daraja's records say so
    forged = dataclasses.replace(request, result_code=0, receipt="SOKFORGED1", paid_at=None)
    forged.paid_at = request.created_at
    answer = HTTP.post(request.callback_url, json=callback_body(forged))

    assert answer.status_code == 200, answer.text
    types = event_types(e2e_stack, f"payment-{ref}")
    assert SUCCEEDED not in types
    assert types[-1] == "payment.failed.v1"
    assert balances(e2e_stack, 8111) == {"user_id": 8111, "balances": {}, "applied_version": 1}


def test_a_pakasir_completed_webhook_for_an_unpaid_qr_credits_nothing(
    e2e_stack: LocalStack,
) -> None:
    open_wallet(e2e_stack, 8112)
    ref = deposit(e2e_stack, 8112, "/deposit pakasir 25000")
    # Anyone can POST this body; Pakasir's detail call still says "pending".
    (delivery,) = e2e_stack.providers.pakasir.fire_webhook(ref, status="completed")

    assert delivery.status == 200
    assert SUCCEEDED not in event_types(e2e_stack, f"payment-{ref}")
    assert e2e_stack.providers.pakasir.orders[ref].status == "pending"
    assert balances(e2e_stack, 8112) == {"user_id": 8112, "balances": {}, "applied_version": 1}


def test_an_unsigned_or_missigned_nowpayments_ipn_is_refused(e2e_stack: LocalStack) -> None:
    open_wallet(e2e_stack, 8113)
    ref = deposit(e2e_stack, 8113, "/deposit nowpayments 10")
    fake = e2e_stack.providers.nowpayments
    payment_id = fake.pay(ref, statuses=("waiting",))  # the status API says "waiting"

    for signature in ("missing", "wrong"):
        url, body, headers = fake.ipn(payment_id, "finished", signature=signature)
        assert HTTP.post(url, content=body, headers=headers).status_code == 401
    url, body, headers = fake.ipn(payment_id, "waiting", tamper={"payment_status": "finished"})
    assert HTTP.post(url, content=body, headers=headers).status_code == 401

    assert SUCCEEDED not in event_types(e2e_stack, f"payment-{ref}")
    assert balances(e2e_stack, 8113) == {"user_id": 8113, "balances": {}, "applied_version": 1}


# -- money that arrived differently: valued as it arrived -----------------------------------


def test_a_half_paid_crypto_invoice_is_held_at_half_and_approved_at_half(
    e2e_stack: LocalStack,
) -> None:
    assert e2e_stack.telegram.send_text(LOCAL_ADMIN_ID, "/start").status == 200
    open_wallet(e2e_stack, 8114)
    ref = deposit(e2e_stack, 8114, "/deposit nowpayments 25.00")
    e2e_stack.providers.nowpayments.partially_pay(ref)  # half the coins: USD 12.50 worth

    def held() -> dict[str, Any] | None:
        doc = payments_doc(e2e_stack, ref)
        return doc if doc and doc["state"] == "held" else None

    doc = eventually(held)
    assert (doc["hold_reason"], doc["arrived"]) == (
        "partially_paid",
        {"amount": 1_250, "currency": "USD"},
    )
    # notify paces itself per chat and Pub/Sub backs a push off after Telegram's 429s to
    # earlier notices: the admin's message can take a while on a busy stack.
    notice = eventually(
        lambda: [m for m in e2e_stack.telegram.messages_to(LOCAL_ADMIN_ID) if ref in m],
        timeout=120,
    )
    assert "arrived USD 12.50" in notice[-1]
    assert "Approve credits USD 12.50" in notice[-1]

    tap = button_update(f"adm:ok:{ref}", user_id=LOCAL_ADMIN_ID)
    tap.pop("update_id")  # the fake numbers it after the stack's other updates
    tapped = e2e_stack.telegram.deliver(tap)
    assert tapped.status == 200
    assert eventually(lambda: credited(e2e_stack, 8114, "USD"))["balances"] == {"USD": 1_250}
    assert event_types(e2e_stack, f"payment-{ref}").count(SUCCEEDED) == 1


# -- the console tops up -------------------------------------------------------------------


def test_the_console_tops_up_with_mpesa_and_presses_buttons(e2e_stack: LocalStack) -> None:
    out = io.StringIO()
    console = Console(
        InProcessBackend(e2e_stack.telegram),
        out=out,
        pace=0.0,
        payer=Payer(e2e_stack.providers.urls),
        users={8121: "Akinyi"},
        user_id=8121,
    )
    console.handle("/start")
    eventually(lambda: balances(e2e_stack, 8121))
    console.handle("/approve")
    assert "no payment prompt is waiting" in out.getvalue()
    console.handle("/deposit mpesa 200 0712345678")
    console.handle("/approve")
    assert "(payer) M-Pesa: paid KES 200 on 254712345678" in out.getvalue()
    eventually(lambda: credited(e2e_stack, 8121, "KES"))

    markup = {"inline_keyboard": [[{"text": "Show balance", "callback_data": "zz:balance"}]]}
    sent = HTTP.post(
        f"{e2e_stack.telegram.base_url}{e2e_stack.secrets.bot_token}/sendMessage",
        json={"chat_id": 8121, "text": "Pick one", "reply_markup": markup},
    )
    assert sent.json()["ok"] is True, sent.text
    console.handle("/tap show")
    (pressed,) = [e for e in e2e_stack.telegram.transcript(8121) if e.kind == "button"]
    assert pressed.text == "zz:balance"  # the callback_data of the button labelled so
    console.handle("help")
    assert "/paycrypto" in out.getvalue()


def test_the_console_pays_a_stars_invoice(e2e_stack: LocalStack) -> None:
    out = io.StringIO()
    console = Console(InProcessBackend(e2e_stack.telegram), out=out, pace=0.0, user_id=8122)
    console.users[8122] = "Wekesa"
    console.handle("/stars")
    assert "no Stars invoice in this chat" in out.getvalue()
    console.handle("/start")
    eventually(lambda: balances(e2e_stack, 8122))
    console.handle("/deposit stars 30")
    console.handle("/stars")

    assert "(payer) Stars: paid" in out.getvalue(), out.getvalue()
    doc = eventually(lambda: credited(e2e_stack, 8122, "XTR"))
    assert doc["balances"] == {"XTR": 30}


def test_a_standalone_console_scans_a_qr_through_the_fakes_control_apis(
    e2e_stack: LocalStack,
) -> None:
    # The command line `make dev` prints for a second terminal, with a user of our own.
    shown = describe(e2e_stack)
    command = shown.split("Another terminal can chat (and pay) too: ", 1)[1].splitlines()[0]
    assert all(f"--{rail}-url {url}" in command for rail, url in e2e_stack.providers.urls.items())
    args = command.split()[3:]  # after "python -m infra.local.console"
    run = run_console(
        *args,
        *("--user", "8141", "--pace", "0"),
        stdin="/start\n/wait 1\n/deposit pakasir 10000\n/scan\n/deposit stars 20\n/stars\n/quit\n",
    )
    assert "(payer) QRIS: paid IDR 10,380" in run.stdout, run.stdout  # with Pakasir's fee
    assert "(payer) Stars: paid" in run.stdout, run.stdout
    eventually(lambda: credited(e2e_stack, 8141, "IDR") and credited(e2e_stack, 8141, "XTR"))
    assert balances(e2e_stack, 8141) == {
        "user_id": 8141,
        "balances": {"IDR": 1_000_000, "XTR": 20},
        "applied_version": 3,
    }
    assert not any(v in shown + run.stdout for v in e2e_stack.providers.secrets.values())


def test_provider_secrets_never_reach_the_logs(e2e_stack: LocalStack) -> None:
    open_wallet(e2e_stack, 8131)
    ref = deposit(e2e_stack, 8131, "/deposit pakasir 1000")
    e2e_stack.providers.pakasir.pay(ref)
    eventually(lambda: credited(e2e_stack, 8131, "IDR"))
    logs = "".join(p.read_text(errors="replace") for p in e2e_stack.log_dir.glob("*.log"))
    leaked = [n for n, v in vars(e2e_stack.providers.secrets).items() if v in logs]
    assert leaked == []
