"""The admin's dead-letter tool, run from a checkout with the admin's own credentials.

    SOKO_BACKEND=firestore SOKO_GCP_PROJECT=my-project python -m infra.replay list
    ... python -m infra.replay replay --subscription project-balances [--message-id ID ...]

The work is `functions.ops.replay`; this module wires it: the subscriptions come from the
topology, and since an admin's machine has no metadata server, the publisher uses the
application-default credentials (`gcloud auth application-default login`) instead.
"""

from __future__ import annotations

import sys
import threading
from typing import Any

from functions.ops.replay import main
from functions.runtime import bootstrap
from functions.runtime.bootstrap import Runtime
from functions.runtime.settings import Settings
from infra.topology import TOPOLOGY

PUBSUB_SCOPE = "https://www.googleapis.com/auth/pubsub"


def subscription_names() -> list[str]:
    """Every subscription that has a dead-letter topic, from the topology."""
    return [s.name for s in TOPOLOGY.subscriptions if s.dead_letter]


def admin_runtime() -> Runtime:
    """The configured backend, publishing with the admin's credentials in the cloud."""
    settings = Settings.from_env()
    rt = bootstrap.build(settings)
    if settings.backend == "firestore" and not settings.pubsub_emulator_host:
        from functions.runtime.pubsub import PubSubPublisher

        rt.publisher = PubSubPublisher(
            settings.project(),
            endpoint=settings.pubsub_endpoint,
            token_source=ApplicationDefaultToken(),
        )
    return rt


class ApplicationDefaultToken:
    """An access token of the application-default credentials, refreshed when stale."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._credentials: Any = None

    def token(self) -> str:
        import google.auth
        import google.auth.exceptions
        import google.auth.transport.requests

        from functions.runtime.google_rest import TokenUnavailable

        with self._lock:
            try:
                if self._credentials is None:
                    self._credentials, _ = google.auth.default(scopes=[PUBSUB_SCOPE])
                if not self._credentials.valid:
                    self._credentials.refresh(google.auth.transport.requests.Request())
            except google.auth.exceptions.GoogleAuthError as err:
                raise TokenUnavailable(f"application-default credentials: {err}") from err
            return str(self._credentials.token)

    def invalidate(self) -> None:
        with self._lock:
            self._credentials = None


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:], admin_runtime(), subscription_names(), sys.stdout))
