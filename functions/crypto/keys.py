"""Receive addresses from an account-level extended public key (BIP84, native SegWit).

The server holds no private key: `m/84'/coin'/0'` is exported by the owner's wallet and we
derive `0/i` (the receive chain) only. bip-utils reads BIP84 keys only with zpub version
bytes, for Litecoin too, so the other common exports of the same key (xpub, and Litecoin's
Ltub and Mtub) are re-encoded with zpub's version; the key bytes are untouched, so every
address is the one the owner's wallet shows. bip-utils costs 0.3-1.9 s to import: this
module is imported only by what derives an address.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from events.coins import Coin

if TYPE_CHECKING:
    from bip_utils import Bip84

ZPUB = bytes.fromhex("04b24746")
# Public version bytes accepted per coin (SLIP-132): what wallets export for this account.
PUBLIC: dict[Coin, dict[bytes, str]] = {
    "BTC": {bytes.fromhex("0488b21e"): "xpub", ZPUB: "zpub"},
    "LTC": {
        bytes.fromhex("019da462"): "Ltub",
        bytes.fromhex("01b26ef6"): "Mtub",
        bytes.fromhex("0488b21e"): "xpub",
        ZPUB: "zpub",
    },
}
PRIVATE_PREFIXES = ("xprv", "yprv", "zprv", "tprv", "Ltpv", "Mtpv", "vprv", "uprv")
ACCOUNT_DEPTH = 3


class BadAccountKey(ValueError):
    """Not an account-level public key this coin's wallets export (the message says why)."""


def account_key(text: str, coin: Coin) -> str:
    """The key in zpub form, checked to be public, of this coin's kinds, at depth 3."""
    from bip_utils import Base58Decoder, Base58Encoder
    from bip_utils.base58 import Base58ChecksumError

    text = text.strip()
    if text.startswith(PRIVATE_PREFIXES):
        raise BadAccountKey("a private key: give the server only the account's public key")
    try:
        raw = Base58Decoder.CheckDecode(text)
    except (Base58ChecksumError, ValueError) as err:
        raise BadAccountKey("not a Base58Check extended key") from err
    if len(raw) != 78:
        raise BadAccountKey(f"an extended key has 78 bytes, this has {len(raw)}")
    kind = PUBLIC[coin].get(raw[:4])
    if kind is None:
        raise BadAccountKey(f"version {raw[:4].hex()} is no {coin} public key we take")
    if raw[4] != ACCOUNT_DEPTH:
        raise BadAccountKey(f"depth {raw[4]}: export the account key m/84'/coin'/0' (depth 3)")
    encoded: str = Base58Encoder.CheckEncode(ZPUB + raw[4:])
    return encoded


@cache
def _account(zpub: str, coin: Coin) -> Bip84:
    from bip_utils import Bip84, Bip84Coins

    which = Bip84Coins.BITCOIN if coin == "BTC" else Bip84Coins.LITECOIN
    return Bip84.FromExtendedKey(zpub, which)


def receive_address(zpub: str, coin: Coin, index: int) -> str:
    """The address m/84'/coin'/0'/0/index of an account key in zpub form."""
    from bip_utils import Bip44Changes

    if not 0 <= index < 2**31:
        raise ValueError(f"a receive index is 0 to 2^31-1, not {index}")
    chain = _account(zpub, coin).Change(Bip44Changes.CHAIN_EXT)
    address: str = chain.AddressIndex(index).PublicKey().ToAddress()
    return address


def change_address(zpub: str, coin: Coin, index: int) -> str:
    """m/84'/coin'/0'/1/index: never handed out, but the vectors check the derivation."""
    from bip_utils import Bip44Changes

    chain = _account(zpub, coin).Change(Bip44Changes.CHAIN_INT)
    address: str = chain.AddressIndex(index).PublicKey().ToAddress()
    return address
