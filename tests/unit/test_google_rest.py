"""GoogleRest, the client both REST adapters share, against httpx.MockTransport."""

from __future__ import annotations

import httpx
import pytest

from functions.runtime.google_rest import GoogleRest

pytestmark = pytest.mark.unit


class Tokens:
    """Hands out token-1, token-2, ...; counts what was invalidated."""

    def __init__(self) -> None:
        self.minted, self.invalidated = 0, 0
        self._current: str | None = None

    def token(self) -> str:
        if self._current is None:
            self.minted += 1
            self._current = f"token-{self.minted}"
        return self._current

    def invalidate(self) -> None:
        self.invalidated += 1
        self._current = None


def recording(statuses: list[int]) -> tuple[httpx.Client, list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def reply(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(statuses.pop(0) if statuses else 200, json={})

    return httpx.Client(transport=httpx.MockTransport(reply)), seen


def test_the_emulator_gets_its_fixed_token_and_no_token_is_fetched() -> None:
    http, seen = recording([200])
    tokens = Tokens()
    api = GoogleRest(
        "http://emu:1/v1", emulator=True, emulator_token="owner", token_source=tokens, http=http
    )
    assert api.post("docs:commit", json={"a": 1}).status_code == 200
    assert seen[0].headers["Authorization"] == "Bearer owner"
    assert str(seen[0].url) == "http://emu:1/v1/docs:commit"
    assert tokens.minted == 0


def test_an_emulator_without_a_token_gets_no_authorization_header() -> None:
    http, seen = recording([200])
    GoogleRest("http://emu:1", emulator=True, http=http).post("t:publish", content="{}")
    assert "Authorization" not in seen[0].headers
    assert seen[0].content == b"{}"


def test_a_401_refreshes_the_token_once_then_the_answer_is_the_callers() -> None:
    http, seen = recording([401, 401, 401])
    tokens = Tokens()
    api = GoogleRest("https://api", emulator=False, token_source=tokens, http=http)
    assert api.post("x", json={}).status_code == 401  # the second 401 is not retried
    assert [r.headers["Authorization"] for r in seen] == ["Bearer token-1", "Bearer token-2"]
    assert tokens.invalidated == 1


def test_redact_removes_the_last_token_sent() -> None:
    http, _ = recording([500])
    api = GoogleRest("https://api", emulator=False, token_source=Tokens(), http=http)
    api.post("x", json={})
    assert api.redact("echoed Bearer token-1 back") == "echoed Bearer *** back"


def test_a_process_has_one_firestore_client_per_project_and_emulator(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from functions.runtime.firestore_rest import FirestoreRest

    monkeypatch.setenv("FIRESTORE_EMULATOR_HOST", "127.0.0.1:9")
    one = FirestoreRest.for_project("demo-one")
    # The store, the rails' shared state and the board all ask: one token, one pool.
    assert FirestoreRest.for_project("demo-one") is one
    assert FirestoreRest.for_project("demo-two") is not one
    monkeypatch.setenv("FIRESTORE_EMULATOR_HOST", "127.0.0.1:10")
    assert FirestoreRest.for_project("demo-one") is not one
