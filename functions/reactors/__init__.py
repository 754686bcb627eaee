"""Every reactor: pure rules from an event to commands on other aggregates."""

from functions.reactors.base import Reactor
from functions.reactors.checkout import CHECKOUT
from functions.reactors.credit_deposit import credit_deposit
from functions.reactors.debit_refund import debit_refund
from functions.reactors.open_wallet import open_wallet

REACTORS: tuple[Reactor, ...] = (open_wallet, credit_deposit, debit_refund, *CHECKOUT)
