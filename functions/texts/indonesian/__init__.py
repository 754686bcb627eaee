"""Bahasa Indonesia: the keys it has, in the same areas as English; every other key falls back to
English (functions/texts/english/)."""

TEXTS: dict[str, str] = {
    # account
    "account.welcome": "Selamat datang di Soko, {name}!\n\n/balance — dompet Anda\n/help — bantuan",
    "account.welcome_back": "Selamat datang kembali, {name}!\n\n/balance — dompet Anda",
    "account.balance": "Saldo Anda:\n{lines}",
    "account.help_head_anyone": "Saya mengerti:",
    "account.unknown": "Saya tidak mengerti. Kirim /help untuk bantuan.",
    "account.stale_button": "Tombol itu sudah tidak aktif.",
    "help.start": "mulai",
    "help.balance": "dompet Anda",
    "help.deposit": "isi saldo",
    "help.history": "riwayat",
    "help.help": "bantuan",
}
