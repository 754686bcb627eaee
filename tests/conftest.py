"""Fixtures shared by every tier. Adapters are chosen per test through `bootstrap`."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from functions.runtime import bootstrap
from functions.runtime.bootstrap import Runtime
from functions.runtime.memory import FixedClock
from tests import builders


@pytest.fixture
def memory_runtime() -> Iterator[Runtime]:
    """A memory-backed runtime installed as the process's runtime for the test."""
    rt = bootstrap.build(builders.settings())
    rt.clock = FixedClock()
    bootstrap.install(rt)
    yield rt
    bootstrap.install(None)
