"""Crypto deposits to the user's own BTC or LTC address: /deposit btc|ltc and its notices."""

TEXTS: dict[str, str] = {
    "coins.address": (
        "Send {coin} to your own deposit address:\n<code>{address}</code>\n\n"
        "Rate now: {rate} per {coin}; a payment is valued at the rate when we first see it.\n"
        "Credited after {confirmations} confirmations. Smallest deposit: {minimum}.\n"
        "We watch it for {hours} hours from now; for a later top-up, send /deposit {name} "
        "again (the address stays yours). Only send {coin} on its own network."
    ),
    "coins.rate_unknown": "not known yet",
    "coins.waiting": "Seen, waiting for confirmations:\n{lines}",
    "coins.waiting_line": "• {amount}, worth {value}",
    "coins.unavailable": "{coin} deposits are not available right now; please try later.",
    "coins.admin": (
        "Crypto deposits:\n{lines}\n\nA wallet that imports the account key (Electrum, "
        "Sparrow) looks only 20 unused addresses ahead: set its gap limit above the addresses "
        "handed out, or it will not show deposits to later ones (they are credited here "
        "either way)."
    ),
    "coins.admin_line": (
        "{coin} (account {account}): addresses handed out: {count}; credited after "
        "{confirmations} confirmations, smallest {minimum}; wallet gap limit: at least {gap}."
    ),
    "coins.admin_bad_key": "{coin}: the account key cannot be used: {why}.",
    "coins.admin_none": (
        "No coin is offered: set SOKO_CRYPTO_BTC_XPUB or SOKO_CRYPTO_LTC_XPUB to the "
        "account's public key."
    ),
    "coins.not_offered": "Deposits in that coin are not offered.",
    "coins.button": "{coin} (your own address)",
    "coins.seen": (
        "👀 We see your payment of {amount}, worth {value} at {rate} per {coin}. "
        "Waiting for confirmations; you will hear when it is credited."
    ),
    "coins.seen_dust": (
        "We see a payment of {amount} to your deposit address, below the smallest deposit: "
        "it is recorded but not credited."
    ),
    "coins.vanished_admin": (
        "⚠️ A credited crypto deposit left the chain: output <code>{output}</code>, "
        "payment {ref}, user {user}, credited {value}. Check it; nothing was taken back."
    ),
}
