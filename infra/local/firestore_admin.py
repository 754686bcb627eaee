"""Firestore emulator admin: wipe, count, and export a database.

Talks to the emulator's REST endpoints with urllib (no proxy), so it needs no Firestore
client library. Re-exported by ``infra.local.emulators``.

An export (``export_firestore``) is the emulator's own format: ``DIR/NAME/`` with
``NAME.overall_export_metadata``, the file ``--import-data`` takes at the next start (a
directory there makes the emulator exit: "Failed to parse overall export metadata file").
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from infra.local.emulator_tools import DEFAULT_PROJECT, LOOPBACK_OPENER, EmulatorError

__all__ = ["count_documents", "export_firestore", "reset_firestore"]

# The emulator's own routes (export, metadata) want an admin; it takes this as one.
_ADMIN = {"Authorization": "Bearer owner"}


def reset_firestore(host: str, project: str = DEFAULT_PROJECT, database: str = "(default)") -> None:
    """Delete every document of ``database`` in the Firestore emulator at ``host``."""
    url = f"http://{host}/emulator/v1/projects/{project}/databases/{database}/documents"
    _call("DELETE", url)


def export_firestore(
    host: str,
    directory: str | os.PathLike[str],
    name: str,
    project: str = DEFAULT_PROJECT,
    database: str = "(default)",
) -> Path:
    """Write every document of ``database`` to ``directory/name/``; return the metadata file
    to pass as ``FirestoreEmulator(import_data=...)``. A kill skips ``--export-on-exit``; this
    exports while the emulator runs, so the caller knows it worked before stopping it."""
    target = Path(directory).resolve()
    target.mkdir(parents=True, exist_ok=True)  # the emulator refuses a missing directory
    url = f"http://{host}/emulator/v1/projects/{project}:export"
    body = {
        "database": f"projects/{project}/databases/{database}",
        "export_directory": str(target),
        "export_name": name,
    }
    _call("POST", url, body)
    metadata = target / name / f"{name}.overall_export_metadata"
    if not metadata.is_file():
        raise EmulatorError(f"the Firestore emulator's export wrote no {metadata}")
    return metadata


def count_documents(
    host: str, collection_id: str, project: str = DEFAULT_PROJECT, database: str = "(default)"
) -> int:
    """How many documents every collection named ``collection_id`` holds (a collection group:
    ``events`` counts the events of every stream)."""
    url = f"http://{host}/v1/projects/{project}/databases/{database}/documents:runAggregationQuery"
    query = {"from": [{"collectionId": collection_id, "allDescendants": True}]}
    body = {
        "structuredAggregationQuery": {
            "structuredQuery": query,
            "aggregations": [{"alias": "n", "count": {}}],
        }
    }
    answer = _call("POST", url, body)
    try:
        return int(answer[0]["result"]["aggregateFields"]["n"]["integerValue"])
    except (LookupError, TypeError, ValueError) as exc:
        raise EmulatorError(f"POST {url}: no count in {str(answer)[:500]}") from exc


def _call(method: str, url: str, body: dict[str, Any] | None = None) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    headers = {**_ADMIN, "Content-Type": "application/json"} if data is not None else _ADMIN
    req = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with LOOPBACK_OPENER.open(req, timeout=30.0) as resp:
            raw: bytes = resp.read()
    except urllib.error.HTTPError as exc:
        text = exc.read().decode("utf-8", errors="replace")
        raise EmulatorError(f"{method} {url} -> HTTP {exc.code}: {text[:2000]}") from exc
    except (urllib.error.URLError, OSError) as exc:
        raise EmulatorError(f"{method} {url} failed: {exc}") from exc
    try:
        return json.loads(raw) if raw.strip() else None
    except ValueError as exc:
        raise EmulatorError(f"{method} {url}: not JSON: {raw[:500]!r}") from exc
