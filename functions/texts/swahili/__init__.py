"""Kiswahili: the keys it has, in the same areas as English; every other key falls back to
English (functions/texts/english/)."""

TEXTS: dict[str, str] = {
    # account
    "account.welcome": "Karibu Soko, {name}!\n\n/balance — pochi yako\n/help — ninachoweza kufanya",
    "account.welcome_back": "Karibu tena, {name}!\n\n/balance — pochi yako",
    "account.balance": "Salio lako:\n{lines}",
    "account.help_head_anyone": "Ninaelewa:",
    "account.unknown": "Sikuelewa. Tuma /help kuona ninachoweza kufanya.",
    "account.stale_button": "Kitufe hicho hakifanyi kazi tena.",
    "help.start": "anza",
    "help.balance": "pochi yako",
    "help.deposit": "weka pesa",
    "help.history": "historia",
    "help.help": "ninachoweza kufanya",
}
