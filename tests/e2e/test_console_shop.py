"""A person at the chat console opens the shop and buys with every way to pay: the wallet,
M-Pesa, Telegram Stars and QRIS, each through real HTTP, the emulators and the fakes."""

from __future__ import annotations

import io
import re

import pytest

from infra.local.console import Console, InProcessBackend
from infra.local.payer import Payer
from infra.local.stack import LOCAL_ADMIN_ID, LocalStack
from tests.e2e.conftest import eventually
from tests.e2e.rails import credited

pytestmark = pytest.mark.e2e


def console_for(stack: LocalStack, user_id: int, name: str) -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    console = Console(
        InProcessBackend(stack.telegram),
        out=out,
        pace=0.0,
        payer=Payer(stack.providers.urls),
        users={user_id: name},
        user_id=user_id,
    )
    console.handle("/start")
    return console, out


def add_product(admin: Console, out: io.StringIO, spec: str, items: list[str]) -> str:
    admin.handle(f"/addproduct {spec}")
    found = re.findall(r"Listed .+? as (\w+) ", out.getvalue())
    assert found, out.getvalue()
    admin.handle(f"/stock {found[-1]}\n" + "\n".join(items))
    return found[-1]


def heard(stack: LocalStack, user_id: int, text: str) -> bool:
    return any(text in message for message in stack.telegram.messages_to(user_id))


def open_product(buyer: Console, category: str, product: str) -> None:
    buyer.handle("/shop")
    buyer.handle(f"/tap {category}")
    buyer.handle(f"/tap {product}")
    buyer.handle("/tap Buy")


def test_a_person_buys_with_the_wallet_mpesa_stars_qris_and_crypto_and_gets_each_item(
    e2e_stack: LocalStack,
) -> None:
    admin, admin_out = console_for(e2e_stack, LOCAL_ADMIN_ID, "Admin")
    add_product(admin, admin_out, "Voucher | Gifts | 200 KES | kind=unique", ["V-1", "V-2"])
    add_product(admin, admin_out, "Stickers | Digital | 50 XTR | kind=unique", ["S-1"])
    add_product(admin, admin_out, "Kopi | Food | 25000 IDR | kind=unique", ["K-1"])
    add_product(admin, admin_out, "Ebook | Books | 12.50 USD | kind=unique", ["E-1"])
    e2e_stack.telegram.send_text(LOCAL_ADMIN_ID, "/products")

    wallet_buyer, _ = console_for(e2e_stack, 8401, "Wanjiru")
    wallet_buyer.handle("/deposit mpesa 500 0712345678")
    wallet_buyer.handle("/approve")
    eventually(lambda: credited(e2e_stack, 8401, "KES"))
    open_product(wallet_buyer, "Gifts", "Voucher")
    wallet_buyer.handle("/tap Pay from wallet")
    assert heard(e2e_stack, 8401, "V-1"), e2e_stack.telegram.messages_to(8401)

    mpesa_buyer, _ = console_for(e2e_stack, 8402, "Otieno")
    open_product(mpesa_buyer, "Gifts", "Voucher")
    mpesa_buyer.handle("/tap Pay with M-Pesa")
    mpesa_buyer.handle("0712345678")  # the answer to the bot's question (ForceReply)
    mpesa_buyer.handle("/approve")
    eventually(lambda: heard(e2e_stack, 8402, "V-2"), timeout=60)

    stars_buyer, _ = console_for(e2e_stack, 8403, "Imani")
    open_product(stars_buyer, "Digital", "Stickers")
    stars_buyer.handle("/tap Pay with Telegram Stars")
    stars_buyer.handle("/stars")
    eventually(lambda: heard(e2e_stack, 8403, "S-1"), timeout=60)

    qris_buyer, _ = console_for(e2e_stack, 8404, "Putri")
    open_product(qris_buyer, "Food", "Kopi")
    qris_buyer.handle("/tap Pay with QRIS")
    qris_buyer.handle("/scan")
    eventually(lambda: heard(e2e_stack, 8404, "K-1"), timeout=60)

    crypto_buyer, _ = console_for(e2e_stack, 8405, "Baraka")
    open_product(crypto_buyer, "Books", "Ebook")
    crypto_buyer.handle("/tap Pay with Crypto")
    crypto_buyer.handle("/paycrypto")
    eventually(lambda: heard(e2e_stack, 8405, "E-1"), timeout=60)
