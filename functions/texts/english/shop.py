"""The shop: browsing, buying, paying orders, /orders, and the shop admin's commands."""

TEXTS: dict[str, str] = {}
