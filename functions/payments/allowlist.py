"""An optional IP allow-list per rail for provider callbacks, checked by payment_webhook
before it reads the body or writes anything: a miss is 403.

`SOKO_CALLBACK_ALLOWED_IPS` maps a rail to the networks its provider calls back from, as
JSON, each rail a list of CIDRs or one comma-separated string:
`{"mpesa": ["196.201.214.0/24", "196.201.213.114/32"], "flutterwave": "2001:db8::/32"}`.
A rail it does not name is not restricted (the default: nothing is set); a rail named with
an empty list admits nobody. IPv4 and IPv6 both work (an IPv4-mapped IPv6 address counts as
its IPv4 one). A malformed value (not JSON, not a CIDR, host bits set) fails the first
callback with an error naming the setting, the rail and the value: a typo must neither
admit everyone nor lock a provider out unnoticed.

The client's address. Cloud Functions (2nd gen, on Cloud Run) receive requests through
Google's front end, which writes the address the connection came from into
X-Forwarded-For as its last entry (appended after whatever the sender put in the header
itself, or as the only entry). Anyone can send an X-Forwarded-For header, so only that last
entry is trusted: the first is the sender's to forge. With `SOKO_CALLBACK_PROXY_HOPS=n` (n
proxies of our own in front, a load balancer, each appending one more entry) the entry n
from the end is taken. Without the header (the local stack, tests) the socket's peer is.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from typing import TYPE_CHECKING

from pydantic import Field, ValidationError

from functions.runtime.env_settings import EnvConfig, EnvSettings

if TYPE_CHECKING:
    import flask

    from functions.runtime.bootstrap import Runtime

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
SETTING = "SOKO_CALLBACK_ALLOWED_IPS"


class BadAllowList(RuntimeError):
    """The allow-list setting cannot be read: the message says where and why."""


class CallbackIpSettings(EnvSettings):
    """SOKO_CALLBACK_*: the networks each rail's callbacks may come from, and our proxies."""

    model_config = EnvConfig(env_prefix="SOKO_CALLBACK_", frozen=True, extra="ignore")
    allowed_ips: dict[str, list[str] | str] = Field(default_factory=dict)
    proxy_hops: int = Field(default=0, ge=0, le=10)


def networks(settings: CallbackIpSettings) -> dict[str, tuple[Network, ...]]:
    """Every rail's networks; BadAllowList for any value that is not a CIDR."""
    found: dict[str, tuple[Network, ...]] = {}
    for rail, value in settings.allowed_ips.items():
        texts = value.split(",") if isinstance(value, str) else value
        try:
            found[rail] = tuple(ipaddress.ip_network(t.strip()) for t in texts if t.strip())
        except ValueError as err:
            raise BadAllowList(f"{SETTING}: rail {rail!r}: {err}") from err
    return found


def _settings(rt: Runtime) -> CallbackIpSettings:
    try:
        return rt.settings_of(CallbackIpSettings)
    except ValidationError as err:
        raise BadAllowList(f"{SETTING} or SOKO_CALLBACK_PROXY_HOPS is malformed: {err}") from err


def client_address(forwarded: Sequence[str], peer: str | None, hops: int = 0) -> Address | None:
    """The caller's address: the X-Forwarded-For entry Google's front end wrote (the last,
    or `hops` before it), else the socket's peer; None if that is no address."""
    entries = [e.strip() for header in forwarded for e in header.split(",") if e.strip()]
    text = entries[-1 - hops] if len(entries) > hops else (None if entries else peer)
    try:
        address = ipaddress.ip_address(text or "")
    except ValueError:
        return None
    mapped = address.ipv4_mapped if isinstance(address, ipaddress.IPv6Address) else None
    return mapped or address


def admits(rt: Runtime, rail: str, request: flask.Request) -> bool:
    """Whether this callback for `rail` may be read at all (no list for the rail: yes)."""
    settings = _settings(rt)
    allowed = networks(settings).get(rail)
    if allowed is None:
        return True
    forwarded = request.headers.getlist("X-Forwarded-For")
    address = client_address(forwarded, request.remote_addr, settings.proxy_hops)
    return address is not None and any(address in network for network in allowed)
