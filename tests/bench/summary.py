"""The one table `make bench` ends with: each figure beside the floor measured in the same run.

A benchmark's `main` prints its own detail and returns its headline `Figure`s; the table puts
them side by side so a reader sees every target and whether this run met it. Ratios are to a
floor from the same process and the same minute, never to a number remembered from another
machine: the machines are shared and noisy (the figures are printed, never asserted).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Figure:
    """`value` in `unit`; with a `floor`, the ratio value/floor is held to `target` (at most)."""

    name: str
    value: float
    unit: str
    floor_name: str = ""
    floor: float | None = None
    target: float | None = None

    @property
    def ratio(self) -> float | None:
        if self.floor is None or self.floor <= 0:
            return None
        return self.value / self.floor

    @property
    def verdict(self) -> str:
        if self.ratio is None or self.target is None:
            return "-"
        return "met" if self.ratio <= self.target else "MISSED"


def render(figures: Sequence[Figure]) -> str:
    """The table as text, one row per figure."""
    header = (
        f"{'figure':<52} {'value':>10} {'floor':>10} {'ratio':>8} {'target':>8}  result  floor is"
    )
    lines = [
        f"summary ({os.cpu_count()} cores, load {os.getloadavg()[0]:.1f} at the end)",
        header,
        "-" * len(header),
    ]
    for f in figures:
        floor = "" if f.floor is None else _number(f.floor, f.unit)
        ratio = "" if f.ratio is None else f"{f.ratio:.2f}x"
        target = "" if f.target is None else f"<={f.target:g}x"
        lines.append(
            f"{f.name:<52} {_number(f.value, f.unit):>10} {floor:>10} {ratio:>8} {target:>8}  "
            f"{f.verdict:<6}  {f.floor_name}"
        )
    return "\n".join(lines)


def _number(value: float, unit: str) -> str:
    if unit in ("ms", "us"):
        return f"{value:.1f} {unit}"
    return f"{value:g} {unit}".strip()
