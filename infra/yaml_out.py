"""A small YAML writer for generated files: mappings, lists, scalars, and `|` blocks for
multi-line strings (shell scripts stay readable in review)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import TypeAlias

Node: TypeAlias = str | int | bool | Sequence["Node"] | Mapping[str, "Node"]
PLAIN = re.compile(r"^[A-Za-z_/$][A-Za-z0-9_./:@${}\-]*$")
RESERVED = {"true", "false", "yes", "no", "on", "off", "null", "y", "n", "~"}


def dump(node: Mapping[str, Node]) -> str:
    """The YAML text of a top-level mapping."""
    return "\n".join(_mapping(node, 0)) + "\n"


def _mapping(node: Mapping[str, Node], depth: int) -> list[str]:
    pad = "  " * depth
    lines: list[str] = []
    for key, value in node.items():
        if isinstance(value, Mapping) and value:
            lines += [f"{pad}{key}:", *_mapping(value, depth + 1)]
        elif isinstance(value, list | tuple) and value:
            lines += [f"{pad}{key}:", *_sequence(value, depth + 1)]
        else:
            lines += _scalar_lines(f"{pad}{key}: ", value, depth + 1)
    return lines


def _sequence(items: Sequence[Node], depth: int) -> list[str]:
    pad = "  " * depth
    lines: list[str] = []
    for item in items:
        if isinstance(item, Mapping) and item:
            inner = _mapping(item, depth + 1)
            lines += [f"{pad}- {inner[0].lstrip()}", *inner[1:]]
        else:
            lines += _scalar_lines(f"{pad}- ", item, depth + 1)
    return lines


def _scalar_lines(prefix: str, value: Node, depth: int) -> list[str]:
    if isinstance(value, str) and "\n" in value:
        pad = "  " * depth
        body = [f"{pad}{line}" if line else "" for line in value.rstrip("\n").split("\n")]
        return [f"{prefix}|", *body]
    return [f"{prefix}{_scalar(value)}"]


def _scalar(value: Node) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        plain = PLAIN.match(value) and value.lower() not in RESERVED
        return value if plain else json.dumps(value)
    if isinstance(value, Mapping):
        return "{}"
    return "[]"
