"""The Terraform in infra/terraform, parsed with python-hcl2 into plain values for tests."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import hcl2

TERRAFORM = Path(__file__).parents[2] / "infra" / "terraform"
REFERENCE = re.compile(r"\$\{([a-z0-9_]+)\.([a-z0-9_]+)")


@dataclass(frozen=True)
class Terraform:
    resources: dict[tuple[str, str], dict[str, Any]]
    outputs: dict[str, dict[str, Any]]
    variables: dict[str, dict[str, Any]]
    locals: dict[str, Any]

    def of_type(self, kind: str) -> dict[str, dict[str, Any]]:
        """Resources of one type by name."""
        return {name: body for (k, name), body in self.resources.items() if k == kind}

    def exists(self, reference: str) -> bool:
        """Whether an expression like `${google_pubsub_topic.x.id}` names a declared resource."""
        match = REFERENCE.match(reference)
        return match is not None and (match[1], match[2]) in self.resources


def plain(value: Any) -> Any:
    """hcl2 keeps string quotes and marks blocks; drop both."""
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    if isinstance(value, dict):
        return {plain(k): plain(v) for k, v in value.items() if k != "__is_block__"}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def block(body: dict[str, Any], name: str) -> dict[str, Any]:
    """The single nested block `name` of a resource body."""
    blocks = body[name]
    assert isinstance(blocks, list), name
    assert len(blocks) == 1, name
    return dict(blocks[0])


@cache
def load(directory: Path = TERRAFORM) -> Terraform:
    return parse(*(path.read_text() for path in sorted(directory.glob("*.tf"))))


def parse(*texts: str) -> Terraform:
    """The resources, outputs, variables and locals of Terraform files' texts."""
    resources: dict[tuple[str, str], dict[str, Any]] = {}
    outputs: dict[str, dict[str, Any]] = {}
    variables: dict[str, dict[str, Any]] = {}
    locals_: dict[str, Any] = {}
    for text in texts:
        parsed = plain(hcl2.loads(text))
        for group in parsed.get("resource", []):
            for kind, named in group.items():
                for name, body in named.items():
                    assert (kind, name) not in resources, f"{kind}.{name} declared twice"
                    resources[(kind, name)] = body
        for group in parsed.get("output", []):
            outputs.update(group)
        for group in parsed.get("variable", []):
            variables.update(group)
        for group in parsed.get("locals", []):
            locals_.update({k: v for k, v in group.items() if not k.startswith("__")})
    return Terraform(resources, outputs, variables, locals_)
