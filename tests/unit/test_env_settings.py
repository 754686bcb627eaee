"""EnvSettings reads what pydantic-settings read for Soko, without importing it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import BaseModel, Field, SecretStr, ValidationError

from functions.runtime.env_settings import EnvConfig, EnvSettings
from functions.runtime.settings import Settings

pytestmark = pytest.mark.unit
ROOT = Path(__file__).parents[2]


class Tier(BaseModel):
    price: int


class Sample(EnvSettings):
    model_config = EnvConfig(env_prefix="SOKO_SAMPLE_", frozen=True, extra="ignore")

    name: str = "plain"
    count: int = Field(default=1, ge=0)
    rate: float | None = None
    enabled: bool = False
    key: SecretStr | None = None
    limits: dict[str, int] = {}
    ids: frozenset[int] = frozenset()
    codes: tuple[str, ...] = ()
    tiers: dict[str, Tier] = {}
    maybe_list: list[int] | None = None
    host: str | None = Field(default=None, validation_alias="SAMPLE_HOST")


def test_plain_fields_are_the_text_converted_by_pydantic() -> None:
    found = Sample.from_env(
        {
            "SOKO_SAMPLE_NAME": "shop",
            "SOKO_SAMPLE_COUNT": "7",
            "SOKO_SAMPLE_RATE": "2.5",
            "SOKO_SAMPLE_ENABLED": "true",
            "SOKO_SAMPLE_KEY": "s3cret",
        }
    )
    assert (found.name, found.count, found.rate, found.enabled) == ("shop", 7, 2.5, True)
    assert found.key is not None
    assert found.key.get_secret_value() == "s3cret"
    assert "s3cret" not in repr(found)


def test_collections_and_models_are_json() -> None:
    found = Sample.from_env(
        {
            "SOKO_SAMPLE_LIMITS": '{"KES": 100, "UGX": 5000}',
            "SOKO_SAMPLE_IDS": "[1, 2, 2]",
            "SOKO_SAMPLE_CODES": '["a", "b"]',
            "SOKO_SAMPLE_TIERS": '{"gold": {"price": 900}}',
            "SOKO_SAMPLE_MAYBE_LIST": "[3]",
        }
    )
    assert found.limits == {"KES": 100, "UGX": 5000}
    assert found.ids == frozenset({1, 2})
    assert found.codes == ("a", "b")
    assert found.tiers == {"gold": Tier(price=900)}
    assert found.maybe_list == [3]


def test_names_are_case_insensitive_and_an_alias_is_read_without_the_prefix() -> None:
    found = Sample.from_env({"soko_sample_name": "lower", "SAMPLE_HOST": "localhost:8085"})
    assert found.name == "lower"
    assert found.host == "localhost:8085"
    assert Sample.from_env({"SOKO_SAMPLE_HOST": "ignored"}).host is None


def test_unset_variables_keep_the_defaults_and_others_are_ignored() -> None:
    found = Sample.from_env({"SOKO_OTHER_NAME": "x", "PATH": "/bin"})
    assert found == Sample()


@pytest.mark.parametrize(
    ("variable", "text"),
    [
        ("SOKO_SAMPLE_COUNT", "many"),
        ("SOKO_SAMPLE_COUNT", "-1"),
        ("SOKO_SAMPLE_LIMITS", "{not json"),
        ("SOKO_SAMPLE_LIMITS", '{"KES": "lots"}'),
        ("SOKO_SAMPLE_IDS", '"1,2"'),
    ],
)
def test_a_malformed_value_is_a_validation_error_naming_the_field(variable: str, text: str) -> None:
    with pytest.raises(ValidationError) as raised:
        Sample.from_env({variable: text})
    field = variable.removeprefix("SOKO_SAMPLE_").lower()
    assert field in str(raised.value)


def test_the_constructor_never_reads_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOKO_SAMPLE_NAME", "from-env")
    assert Sample().name == "plain"
    assert Sample(name="given").name == "given"
    assert Sample.from_env().name == "from-env"  # the process environment by default


def test_env_variable_names_what_is_read() -> None:
    assert Sample.env_variable("limits") == "SOKO_SAMPLE_LIMITS"
    assert Sample.env_variable("host") == "SAMPLE_HOST"
    assert Settings.env_variable("admin_ids") == "SOKO_ADMIN_IDS"
    assert Settings.env_variable("pubsub_emulator_host") == "PUBSUB_EMULATOR_HOST"


def test_settings_are_frozen() -> None:
    found = Sample.from_env({})
    with pytest.raises(ValidationError):
        found.name = "changed"  # type: ignore[misc]


def test_soko_settings_read_the_deployment_s_variables() -> None:
    found = Settings.from_env(
        {
            "SOKO_BACKEND": "memory",
            "SOKO_ADMIN_IDS": "[42, 7]",
            "SOKO_RATE_PER_MINUTE": "30",
            "SOKO_STARS_ENABLED": "1",
            "PUBSUB_EMULATOR_HOST": "localhost:8085",
        }
    )
    assert found.admin_ids == frozenset({42, 7})
    assert found.rate_per_minute == 30.0
    assert found.stars_enabled is True
    assert found.pubsub_emulator_host == "localhost:8085"
    with pytest.raises(ValidationError, match="backend"):
        Settings.from_env({})


def test_no_entry_point_imports_pydantic_settings() -> None:
    probe = (
        "import sys, functions.main\n"
        "from functions.runtime.settings import Settings\n"
        "Settings.from_env({'SOKO_BACKEND': 'memory'})\n"
        "print(any(m.startswith('pydantic_settings') for m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"
