"""Crypto deposits to per-user addresses: keys, the chain and rates APIs, the jobs.

Only `coins.py` is light; `keys.py` imports bip-utils (0.3-1.9 s) and the clients import
httpx, so handlers and jobs import them when they run (docs/architecture.md, "Crypto").
"""
