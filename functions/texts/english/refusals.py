"""Why a command was refused: `refusal.<DomainError code>`, filled with the error's facts.
Here: the account's and the wallet's refusals; an area's own refusals live in its module."""

TEXTS: dict[str, str] = {
    "refusal.insufficient_funds": (
        "Your balance is too low: you have {balance}, and this needs {wanted}. "
        "Top up with /deposit."
    ),
    "refusal.not_registered": "Send /start first, then try again.",
    "refusal.non_positive_amount": "The amount must be more than zero.",
}
