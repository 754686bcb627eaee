"""Notifications: what the bot tells users and admins when something happened
(functions/notifications/)."""

TEXTS: dict[str, str] = {}
