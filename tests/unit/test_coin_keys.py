"""BIP84 receive addresses from account keys, checked against the published test vectors
(mnemonic "abandon x11 about"), for both coins and every export format we accept."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from bip_utils import Base58Decoder, Base58Encoder, Bip39SeedGenerator, Bip84, Bip84Coins

from functions.crypto.coins import account_of
from functions.crypto.keys import BadAccountKey, account_key, change_address, receive_address

pytestmark = pytest.mark.unit

# BIP84's vector: the account key m/84'/0'/0' and its addresses.
BTC_ZPUB = (
    "zpub6rFR7y4Q2AijBEqTUquhVz398htDFrtymD9xYYfG1m4wAcvPhXNfE3EfH1r1ADqtfSdVCToUG868RvUUkgDK"
    "f31mGDtKsAYz2oz2AGutZYs"
)
BTC_RECEIVE = [
    "bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu",
    "bc1qnjg0jd8228aq7egyzacy8cys3knf9xvrerkf9g",
]
BTC_CHANGE_0 = "bc1q8c6fshw2dlwun7ekn9qwf37cu2rn755upcp6el"
# The same mnemonic's m/84'/2'/0' (Litecoin), as bip-utils and Electrum-LTC export it.
LTC_ZPUB = (
    "zpub6rPo5mF47z5coVm5rvWv7fv181awb7Vckn5Cf3xQXBVKu18kuBHDhNi1Jrb4br6vVD3ZbrnXemEsWJoR18mZ"
    "wkUdzwD8TQnHDUCGxqZ6swA"
)
LTC_RECEIVE_0 = "ltc1qjmxnz78nmc8nq77wuxh25n2es7rzm5c2rkk4wh"
MNEMONIC = " ".join(["abandon"] * 11 + ["about"])
ROOT = Path(__file__).parents[2]


def reencoded(key: str, version: str) -> str:
    """The same key bytes under another version prefix: how other wallets export it."""
    raw = Base58Decoder.CheckDecode(key)
    encoded: str = Base58Encoder.CheckEncode(bytes.fromhex(version) + raw[4:])
    return encoded


@pytest.mark.parametrize(("coin", "key"), [("BTC", BTC_ZPUB), ("LTC", LTC_ZPUB)])
def test_the_account_keys_are_the_vector_mnemonics_m84_coin_0(coin: str, key: str) -> None:
    # Derived here from the mnemonic (test only: the server never sees a seed), so neither
    # constant is taken on trust; BIP84 publishes the BTC one, bip-utils derives the LTC one.
    seed = Bip39SeedGenerator(MNEMONIC).Generate()
    which = Bip84Coins.BITCOIN if coin == "BTC" else Bip84Coins.LITECOIN
    account = Bip84.FromSeed(seed, which).Purpose().Coin().Account(0)
    assert account.PublicKey().ToExtended() == key


@pytest.mark.parametrize("version", ["04b24746", "0488b21e"], ids=["zpub", "xpub"])
def test_btc_account_key_in_either_format_gives_the_bip84_vector_addresses(version: str) -> None:
    zpub = account_key(reencoded(BTC_ZPUB, version), "BTC")
    assert zpub == BTC_ZPUB
    assert [receive_address(zpub, "BTC", i) for i in (0, 1)] == BTC_RECEIVE
    assert change_address(zpub, "BTC", 0) == BTC_CHANGE_0


LTC_FORMATS = {"04b24746": "zpub", "019da462": "Ltub", "01b26ef6": "Mtub", "0488b21e": "xpub"}


@pytest.mark.parametrize("version", list(LTC_FORMATS), ids=list(LTC_FORMATS.values()))
def test_ltc_account_key_in_each_format_gives_the_litecoin_vector_address(version: str) -> None:
    exported = reencoded(LTC_ZPUB, version)
    assert exported[:4] == LTC_FORMATS[version]
    zpub = account_key(exported, "LTC")
    assert receive_address(zpub, "LTC", 0) == LTC_RECEIVE_0
    assert account_of(zpub) == account_of(LTC_ZPUB)  # one account, whatever the export


def test_the_btc_key_read_as_litecoin_gives_ltc_addresses_of_the_same_hash() -> None:
    # Same key bytes, other coin: the hrp changes, which is why the coin is configured per key.
    assert receive_address(BTC_ZPUB, "LTC", 0).startswith("ltc1qcr8te4kr609gcawutmrza0j4xv80jy8z")


def test_a_private_key_is_refused_before_it_is_decoded() -> None:
    with pytest.raises(BadAccountKey, match="private"):
        account_key("zprvAdG4iTXWBoARxkkzNpNh8r6Qag3irQB8PzEMkAFeTRXxHpbF9z4QgEvBRmfvqWvGp42t42n"
                    "vgGpNgYSJA9iefm1yYNZKEm7z6qUWCroSQnE", "BTC")  # fmt: skip


def test_an_ltub_is_not_a_bitcoin_key() -> None:
    with pytest.raises(BadAccountKey, match="no BTC public key"):
        account_key(reencoded(LTC_ZPUB, "019da462"), "BTC")


def test_a_key_of_another_depth_is_refused() -> None:
    raw = Base58Decoder.CheckDecode(BTC_ZPUB)
    root_like = Base58Encoder.CheckEncode(raw[:4] + bytes([0]) + raw[5:])
    with pytest.raises(BadAccountKey, match="depth 0"):
        account_key(root_like, "BTC")


@pytest.mark.parametrize("text", ["", "zpub-not-base58!", BTC_ZPUB[:-1] + "t"])
def test_garbage_is_refused_as_a_bad_key(text: str) -> None:
    with pytest.raises(BadAccountKey):
        account_key(text, "BTC")


LAZY_PROBE = """
import sys
import main, functions.contexts.coins, functions.telegram.coins, functions.jobs.coins
import functions.crypto.keys, functions.crypto.addresses
print("bip_utils" in sys.modules)
functions.crypto.keys.account_key({key!r}, "BTC")
print("bip_utils" in sys.modules)
"""


def test_bip_utils_is_imported_only_when_a_key_is_read() -> None:
    # Its import costs 0.3-1.9 s: no cold start but one deriving an address may pay it.
    probe = LAZY_PROBE.format(key=BTC_ZPUB)
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.split() == ["False", "True"]
