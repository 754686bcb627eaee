"""Every wallet reference, in one place: what moved money, named so the wallet refuses it a
second time and the ledger audit can trace it back to its cause.

    payment:<payment id>          a deposit credited (credit_deposit), or an order paid by it
    order:<order id>              an order paid from the wallet (a debit)
    refund:order:<order id>       an order refunded to the wallet (a credit)
    returned:<reference>          money an order could not take, returned (a credit)
    refund:payment:<payment id>   a deposit refunded to the payer (a debit)
"""

from __future__ import annotations

from typing import Final

PAYMENT: Final = "payment:"
ORDER: Final = "order:"
ORDER_REFUND: Final = "refund:order:"
RETURNED: Final = "returned:"
DEPOSIT_REFUND: Final = "refund:payment:"
ORDER_REFUND_REASON: Final = "order_refund"  # the reason of an order's refund credit


def payment(payment_id: str) -> str:
    return f"{PAYMENT}{payment_id}"


def order(order_id: str) -> str:
    return f"{ORDER}{order_id}"


def order_refund(order_id: str) -> str:
    return f"{ORDER_REFUND}{order_id}"


def returned(reference: str) -> str:
    return f"{RETURNED}{reference}"


def deposit_refund(payment_id: str) -> str:
    return f"{DEPOSIT_REFUND}{payment_id}"


def named(reference: str, prefix: str) -> str | None:
    """What a reference of kind `prefix` names (an id), or None if it is of another kind."""
    return reference.removeprefix(prefix) if reference.startswith(prefix) else None
