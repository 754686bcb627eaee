"""Settings read from environment variables: a pydantic model and one classmethod.

Why not pydantic-settings: importing it costs ~50 ms of every cold start (it pulls in
dotenv, argparse and the CLI, secrets-dir and cloud sources we never use), and what Soko
needs is small and fixed:

- a field `name` of a class whose `model_config` says `env_prefix="SOKO_X_"` is read from
  `SOKO_X_NAME`, a field with a `validation_alias` from exactly that variable; the names
  are case-insensitive, as in pydantic-settings;
- a collection or model field (dict, list, tuple, set, frozenset, a model) holds JSON, every
  other field the plain text, which pydantic validates and converts as usual;
- a value given to the constructor is used as given: only `from_env()` reads the
  environment, so a test that builds settings by hand never sees the machine's variables.

A malformed value, JSON included, is a pydantic ValidationError naming the field.
"""

from __future__ import annotations

import json
import os
import types
import typing
from collections.abc import Mapping
from typing import Any, Self

from pydantic import BaseModel, ConfigDict
from pydantic.fields import FieldInfo

_COLLECTIONS = (dict, list, tuple, set, frozenset, Mapping)


class EnvConfig(ConfigDict, total=False):
    """pydantic's model config with the variables' prefix."""

    env_prefix: str


class EnvSettings(BaseModel):
    """A settings class: subclasses declare fields and `model_config = EnvConfig(...)`."""

    model_config = EnvConfig(frozen=True, extra="ignore", defer_build=True)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Self:
        """The settings from `environ` (the process environment by default), validated."""
        found = os.environ if environ is None else environ
        by_lower_name = {key.lower(): value for key, value in found.items()}
        values: dict[str, Any] = {}
        for name, field in cls.model_fields.items():
            variable = cls.env_variable(name).lower()
            if variable in by_lower_name:
                key = field.validation_alias if isinstance(field.validation_alias, str) else name
                values[key] = _decoded(field, by_lower_name[variable])
        return cls.model_validate(values)

    @classmethod
    def env_variable(cls, name: str) -> str:
        """The environment variable a field is read from, as the docs and infra spell it."""
        alias = cls.model_fields[name].validation_alias
        if isinstance(alias, str):
            return alias
        prefix = str(cls.model_config.get("env_prefix", ""))
        return f"{prefix}{name}".upper()


def _decoded(field: FieldInfo, text: str) -> Any:
    """JSON for a collection or model field; text that is no JSON is left for pydantic to
    refuse with the field's name (a dict field given "x" says it wants a dictionary)."""
    if not _holds_json(field.annotation):
        return text
    try:
        return json.loads(text)
    except ValueError:
        return text


def _holds_json(annotation: Any) -> bool:
    origin = typing.get_origin(annotation)
    if origin is typing.Union or origin is types.UnionType:
        return any(_holds_json(arg) for arg in typing.get_args(annotation))
    if origin is not None:
        annotation = origin
    if not isinstance(annotation, type):
        return False
    return issubclass(annotation, _COLLECTIONS) or issubclass(annotation, BaseModel)
