"""Secret values: plain environment values, or `sm://` references to Secret Manager.

The deployment mounts Secret Manager secrets into the SOKO_ variables, so the hot path reads
plain environment values and never imports the Secret Manager client (~0.47 s). A value
`sm://projects/P/secrets/NAME/versions/V` is read through the client instead, once per
instance, and cached: for secrets a deployment cannot mount, or to pin one version.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from typing import Any

from functions.runtime import logs

SM_PREFIX = "sm://"
VERSION_NAME = re.compile(r"^projects/[^/]+/secrets/[^/]+/versions/[^/]+$")
Resolver = Callable[[str], str]  # a version's resource name -> its value


class SecretUnavailable(Exception):
    """A secret reference that cannot be read; the message never holds a secret value."""


_lock = threading.Lock()
_cache: dict[str, str] = {}
_resolver: Resolver | None = None
_client: Any = None


def reveal(value: str) -> str:
    """The secret behind a setting's value, resolved and cached if it is an `sm://` one."""
    if value.startswith(SM_PREFIX):
        value = resolve(value.removeprefix(SM_PREFIX))
    # `echo token | gcloud secrets versions add` stores a newline no token contains.
    value = value.strip()
    if not value:
        raise SecretUnavailable("is empty")
    logs.never_log(value)
    return value


def resolve(name: str) -> str:
    """A Secret Manager version's value, read once per instance."""
    if not VERSION_NAME.match(name):
        raise SecretUnavailable(
            "is not a Secret Manager reference: use sm://projects/P/secrets/NAME/versions/V"
        )
    with _lock:  # one read per name even when the first requests arrive together
        if name not in _cache:
            try:
                _cache[name] = (_resolver or secret_manager)(name)
            except Exception as err:  # any failure: the caller names the variable
                raise SecretUnavailable(f"cannot read {name}: {type(err).__name__}") from err
        return _cache[name]


def secret_manager(name: str) -> str:
    """Read a version through google-cloud-secret-manager, imported on first use only."""
    global _client
    if _client is None:
        from google.cloud import secretmanager

        _client = secretmanager.SecretManagerServiceClient()
    response = _client.access_secret_version(request={"name": name})
    return str(response.payload.data.decode("utf-8"))


def use_resolver(resolver: Resolver | None) -> None:
    """Read `sm://` references with this function from now on (tests); forget the cache."""
    global _resolver
    with _lock:
        _resolver = resolver
        _cache.clear()
