"""Paying in: /deposit, /history, Stars, manual transfers, refunds, and provider refusals
told plainly."""

TEXTS: dict[str, str] = {}
