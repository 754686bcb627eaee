"""Bahasa Indonesia: the keys it has, in the same areas as English; every other key falls back to
English (functions/texts/english/)."""

TEXTS: dict[str, str] = {}
