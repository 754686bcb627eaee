"""Structured logs in Cloud Logging's JSON format: one line per record, on stdout.

Cloud Run functions turn each stdout line that is a JSON object into a log entry: `severity`
and `message` become the entry's, `logging.googleapis.com/trace` links it to the request's
trace, and the other fields (`correlation_id`, `stream`) land in `jsonPayload`, to filter on.
Only the standard library is imported here: every entry point calls `start` first.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import threading
from collections.abc import Mapping
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import IO, Any

TRACE_HEADER = "X-Cloud-Trace-Context"  # "TRACE_ID/SPAN_ID;o=1", set by Cloud Run
TRACE = "logging.googleapis.com/trace"
SPAN = "logging.googleapis.com/spanId"
SOURCE = "logging.googleapis.com/sourceLocation"
# Error Reporting groups entries carrying this type and a stack trace in `message`.
ERROR_EVENT = "type.googleapis.com/google.devtools.clouderrorreporting.v1beta1.ReportedErrorEvent"
FIELDS = ("correlation_id", "stream")
# Loggers that write request URLs at INFO; the Bot API's URLs hold the bot token.
CHATTY = ("httpx", "httpcore", "urllib3", "telegram")
BOT_TOKEN = re.compile(r"(?<![0-9])[0-9]{5,}:[A-Za-z0-9_-]{30,}")  # also inside ".../bot<token>/"

_context: ContextVar[Mapping[str, str] | None] = ContextVar("soko_log_context", default=None)
_lock = threading.Lock()
_configured = False
# Replaced, never mutated: formatting threads iterate it without taking the lock.
_secrets: frozenset[str] = frozenset()


class CloudLoggingFormatter(logging.Formatter):
    """A record as one JSON line in Cloud Logging's structured format."""

    def __init__(self, project: str | None) -> None:
        super().__init__()
        self._project = project

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        entry: dict[str, Any] = {
            "severity": record.levelname,  # DEBUG, INFO, WARNING, ERROR, CRITICAL: the same names
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "logger": record.name,
            SOURCE: {"file": record.pathname, "line": record.lineno, "function": record.funcName},
        }
        if record.exc_info:
            message = f"{message}\n{self.formatException(record.exc_info)}"
            if record.levelno >= logging.ERROR:
                entry["@type"] = ERROR_EVENT
        entry["message"] = redact(message)
        context = _context.get() or {}
        if context.get("trace") and self._project:
            entry[TRACE] = f"projects/{self._project}/traces/{context['trace']}"
            if context.get("span"):
                entry[SPAN] = context["span"]
        for name in FIELDS:
            value = getattr(record, name, None) or context.get(name)
            if value:
                entry[name] = redact(str(value))
        return json.dumps(entry, ensure_ascii=False, default=str)


class StdoutHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever `sys.stdout` is at emit time (functions-framework redirects it to
    add execution ids; test runners capture it), or to a fixed stream."""

    def __init__(self, stream: IO[str] | None = None) -> None:
        super().__init__(stream or sys.stdout)
        self._fixed = stream

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = self._fixed or sys.stdout
        super().emit(record)


def configure(stream: IO[str] | None = None, *, force: bool = False) -> None:
    """Send every record to `stream` (stdout) as JSON; once per instance unless forced."""
    global _configured
    if _configured and not force:  # every request calls this; only the first configures
        return
    with _lock:
        if _configured and not force:
            return
        # Read from the environment, not Settings: a failure to load settings must be logged.
        project = os.environ.get("SOKO_GCP_PROJECT") or os.environ.get("GOOGLE_CLOUD_PROJECT")
        handler = StdoutHandler(stream)
        handler.setFormatter(CloudLoggingFormatter(project))
        root = logging.getLogger()
        root.handlers[:] = [handler]
        root.setLevel(logging.INFO)
        for name in CHATTY:
            logging.getLogger(name).setLevel(logging.WARNING)
        _configured = True


def start(trace_header: str | None) -> None:
    """At the start of each request: configure once, then bind the request's trace header."""
    configure()
    trace, _, rest = (trace_header or "").partition("/")
    span = rest.split(";", 1)[0]
    _context.set({"trace": trace, "span": span} if trace else {})


def bind(**fields: str | None) -> None:
    """Add fields (correlation_id, stream) to every record of the current request."""
    _context.set({**(_context.get() or {}), **{k: v for k, v in fields.items() if v}})


def never_log(value: str) -> None:
    """Redact this value wherever it would appear in a log line (secrets, once revealed)."""
    global _secrets
    if len(value) >= 8 and value not in _secrets:  # short values would redact ordinary words
        with _lock:
            _secrets = _secrets | {value}


def redact(text: str) -> str:
    """`text` without known secret values or anything shaped like a bot token."""
    for secret in _secrets:
        if secret in text:
            text = text.replace(secret, "[redacted]")
    return BOT_TOKEN.sub("[redacted bot token]", text)
