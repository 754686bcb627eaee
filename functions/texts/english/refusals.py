"""Why a command was refused: `refusal.<DomainError code>`, filled with the error's facts."""

TEXTS: dict[str, str] = {
    "refusal.insufficient_funds": (
        "Your balance is too low: you have {balance}, and this needs {wanted}. "
        "Top up with /deposit."
    ),
}
