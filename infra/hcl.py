"""A small HCL writer: blocks, attributes and values, laid out the way `terraform fmt` does."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TypeAlias

IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class Raw:
    """An expression written as is: `google_pubsub_topic.wallet_events.id`, `null`."""

    text: str


Value: TypeAlias = str | int | bool | Raw | Sequence["Value"] | Mapping[str, "Value"] | None


@dataclass(frozen=True)
class Block:
    """`type "label" … { body }`; body items are (name, value) attributes or nested blocks."""

    type: str
    labels: tuple[str, ...] = ()
    body: Sequence[tuple[str, Value] | Block] = field(default_factory=tuple)


def render(blocks: Sequence[Block]) -> str:
    """The HCL text of top-level blocks, one blank line apart."""
    return "\n".join(_block(b, 0) for b in blocks)


def _block(block: Block, depth: int) -> str:
    pad = "  " * depth
    head = " ".join([block.type, *(json.dumps(label) for label in block.labels)])
    lines = [f"{pad}{head} {{"]
    items = [i for i in block.body if isinstance(i, Block) or i[1] is not None]
    run: list[tuple[str, Value]] = []
    for index, item in enumerate(items):
        if isinstance(item, Block):
            lines += _attributes(run, depth + 1)
            run = []
            if index > 0:
                lines.append("")
            lines.append(_block(item, depth + 1).rstrip("\n"))
        else:
            if index > 0 and isinstance(items[index - 1], Block):
                lines.append("")
            run.append(item)
    lines += _attributes(run, depth + 1)
    lines.append(f"{pad}}}")
    return "\n".join(lines) + "\n"


def _attributes(run: list[tuple[str, Value]], depth: int) -> list[str]:
    pad = "  " * depth
    width = max((len(name) for name, _ in run), default=0)
    return [f"{pad}{name.ljust(width)} = {_value(value, depth)}" for name, value in run]


def _value(value: Value, depth: int) -> str:
    if isinstance(value, Raw):
        return value.text
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value)  # `${…}` stays an interpolation, as intended
    if isinstance(value, Mapping):
        if not value:
            return "{}"
        pad = "  " * (depth + 1)
        keys = [k if IDENTIFIER.match(k) else json.dumps(k) for k in value]
        width = max(len(k) for k in keys)
        body = [
            f"{pad}{k.ljust(width)} = {_value(v, depth + 1)}"
            for k, v in zip(keys, value.values(), strict=True)
        ]
        return "{\n" + "\n".join(body) + "\n" + "  " * depth + "}"
    if value is None:
        return "null"
    items = [_value(v, depth + 1) for v in value]
    if sum(len(i) + 2 for i in items) <= 72:
        return "[" + ", ".join(items) + "]"
    pad = "  " * (depth + 1)
    return "[\n" + "".join(f"{pad}{i},\n" for i in items) + "  " * depth + "]"
