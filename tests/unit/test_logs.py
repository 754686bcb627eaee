"""Structured logs: one JSON line per record in Cloud Logging's format, secrets redacted."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from functions.runtime import logs

pytestmark = pytest.mark.unit
TRACE = "105445aa7843bc8bf206b12000100000/1;o=1"


@pytest.fixture
def lines(monkeypatch: pytest.MonkeyPatch) -> Iterator[io.StringIO]:
    """Logging configured into a buffer, restored afterwards."""
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    monkeypatch.setenv("SOKO_GCP_PROJECT", "demo-soko")
    buffer = io.StringIO()
    logs.configure(buffer, force=True)
    yield buffer
    root.handlers[:], _ = saved
    root.setLevel(saved[1])
    monkeypatch.setattr(logs, "_configured", False)


def records(buffer: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in buffer.getvalue().splitlines()]


def test_a_record_is_one_json_line_with_severity_trace_and_context(lines: io.StringIO) -> None:
    logs.start(TRACE)
    logs.bind(correlation_id="tg-user-7")
    logging.getLogger("soko.test").warning("two\nlines", extra={"stream": "wallet-7"})

    [entry] = records(lines)
    assert len(lines.getvalue().splitlines()) == 1
    assert entry["severity"] == "WARNING"
    assert entry["message"] == "two\nlines"
    assert entry["logging.googleapis.com/trace"] == (
        "projects/demo-soko/traces/105445aa7843bc8bf206b12000100000"
    )
    assert entry["logging.googleapis.com/spanId"] == "1"
    assert (entry["correlation_id"], entry["stream"]) == ("tg-user-7", "wallet-7")


def test_each_request_starts_with_a_clean_context(lines: io.StringIO) -> None:
    logs.start(TRACE)
    logs.bind(correlation_id="tg-user-7", stream="user-7")
    logs.start(None)
    logging.getLogger("soko.test").info("next request")
    [entry] = records(lines)
    assert not {"correlation_id", "stream", "logging.googleapis.com/trace"} & set(entry)


def test_an_error_carries_its_stack_for_error_reporting(lines: io.StringIO) -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        logging.getLogger("soko.test").exception("failed")
    [entry] = records(lines)
    assert entry["severity"] == "ERROR"
    assert "Traceback" in entry["message"]
    assert "ValueError: boom" in entry["message"]
    assert entry["@type"].endswith("ReportedErrorEvent")


def test_revealed_secrets_and_bot_tokens_are_redacted(lines: io.StringIO) -> None:
    logs.never_log("a-revealed-secret-value")
    token = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
    logging.getLogger("soko.test").info("calling bot%s with a-revealed-secret-value", token)
    [entry] = records(lines)
    assert token not in entry["message"]
    assert "a-revealed-secret-value" not in entry["message"]
    assert "[redacted bot token]" in entry["message"]


def test_libraries_that_log_request_urls_are_quiet(lines: io.StringIO) -> None:
    logging.getLogger("httpx").info("HTTP Request: POST https://api.telegram.org/bot1:x/m")
    assert records(lines) == []


def test_configuring_twice_keeps_one_handler(lines: io.StringIO) -> None:
    logs.configure()
    logs.configure()
    ours = [h for h in logging.getLogger().handlers if isinstance(h, logs.StdoutHandler)]
    assert len(ours) == 1
