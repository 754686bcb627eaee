"""Firestore emulator admin: wipe a database between tests or local runs.

Talks to the emulator's own ``/emulator/v1`` REST endpoint with urllib (no proxy), so it needs
no Firestore client library. Re-exported by ``infra.local.emulators``.
"""

from __future__ import annotations

import urllib.error
import urllib.request

from infra.local.emulator_tools import DEFAULT_PROJECT, LOOPBACK_OPENER, EmulatorError

__all__ = ["reset_firestore"]


def reset_firestore(host: str, project: str = DEFAULT_PROJECT, database: str = "(default)") -> None:
    """Delete every document of ``database`` in the Firestore emulator at ``host``."""
    url = f"http://{host}/emulator/v1/projects/{project}/databases/{database}/documents"
    req = urllib.request.Request(url, method="DELETE")
    try:
        with LOOPBACK_OPENER.open(req, timeout=10.0) as resp:
            resp.read()
    except urllib.error.HTTPError as exc:
        body = exc.read().decode("utf-8", errors="replace")
        raise EmulatorError(f"DELETE {url} -> HTTP {exc.code}: {body[:2000]}") from exc
    except (urllib.error.URLError, OSError) as exc:
        raise EmulatorError(f"DELETE {url} failed: {exc}") from exc
