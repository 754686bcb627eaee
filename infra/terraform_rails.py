"""Terraform for the payment rails and the deployment's plain settings, from the rails' specs.

Every registered rail's secrets get a Secret Manager secret (`soko-mpesa-passkey`) whether
or not this deployment collects on the rail: a secret without versions costs nothing, and
enabling the rail is then its entry in `var.rails`. Only the rails `var.rails` names reach
the functions that use rails (`Function.uses_rails`): their secrets are mounted there, their
plain settings set there, and those functions' families may read exactly those secrets
(infra/terraform_iam.py); every other function gets neither. `var.settings` holds the plain
settings every function shares (admins, Stars, manual transfers, the default currency).

Nothing here names a rail: a new rail's spec adds its secrets, its settings and its place in
the variables' validations. The validations hold literals, not locals, because Terraform
before 1.9 lets a validation read only its own variable.
"""

from __future__ import annotations

from collections.abc import Sequence

from functions.providers.spec import RailSpec
from functions.runtime.settings import ENV_PREFIX
from infra import deployment as d
from infra.hcl import Block, Raw, Value

# One secret per rail secret, by its Settings name: google_secret_manager_secret.rails["…"].
SECRETS = "google_secret_manager_secret.rails"
# The enabled rails' secrets, env var -> secret name: what is mounted, and who may read it.
MOUNTED = "local.mounted_rail_secrets"
ENVIRONMENT = "local.environment"  # every function's plain settings
RAIL_ENVIRONMENT = "local.rail_environment"  # and, where rails are used, the rails'
MOUNTED_EXPR = "merge([for rail in keys(var.rails) : local.rail_secrets[rail]]...)"
ENABLED_SETTINGS_EXPR = (
    "merge([for rail, settings in var.rails :"
    " { for name, value in settings : local.rail_settings[rail][name] => value }]...)"
)
# The deployment's own variables come last, so no setting can point a function elsewhere.
ENVIRONMENT_EXPR = "merge(var.settings, local.core_environment)"
RAIL_ENVIRONMENT_EXPR = "merge(var.settings, local.enabled_rail_settings, local.core_environment)"


def accessor(family: str) -> str:
    """The binding letting a family read the enabled rails' secrets (for each of them)."""
    return f"{family}_rails"


def blocks(specs: Sequence[RailSpec]) -> list[Block]:
    """The `rails` and `settings` inputs, the locals the functions read, the rails' secrets."""
    return [rails_variable(specs), settings_variable(specs), environments(specs), secrets(specs)]


def secrets(specs: Sequence[RailSpec]) -> Block:
    """A Secret Manager secret per secret of every registered rail; the operator adds its
    versions (docs/deploy.md), so no value is in the code or the Terraform state."""
    # Objects, not `name = "id"`: checkov's secret scan takes `…_secret = "…"` for a value.
    each: dict[str, Value] = {
        s: {"rail": spec.name, "secret_id": d.secret_id(s)}
        for spec in specs
        for s in spec.secret_names()
    }
    return Block(
        "resource",
        tuple(SECRETS.split(".")),
        [
            ("for_each", each),
            ("secret_id", Raw("each.value.secret_id")),
            ("labels", Raw("merge(local.labels, { rail = each.value.rail })")),
            Block("replication", body=[Block("auto")]),
            ("depends_on", Raw("[google_project_service.enabled]")),
        ],
    )


def environments(specs: Sequence[RailSpec]) -> Block:
    """Each rail's secrets (env var -> secret) and plain settings (name -> env var), what
    `var.rails` enables of them, and the two environments built from them."""
    core: dict[str, Value] = dict(d.environment("${var.project_id}", "${var.region}"))
    core["SOKO_GCP_PROJECT"] = Raw("var.project_id")
    rail_secrets: dict[str, Value] = {
        spec.name: {d.env_var(s): s for s in spec.secret_names()} for spec in specs
    }
    rail_settings: dict[str, Value] = {spec.name: d.rail_settings(spec) for spec in specs}
    return Block(
        "locals",
        body=[
            ("core_environment", core),
            ("rail_secrets", rail_secrets),
            ("rail_settings", rail_settings),
            (MOUNTED.removeprefix("local."), Raw(MOUNTED_EXPR)),
            ("enabled_rail_settings", Raw(ENABLED_SETTINGS_EXPR)),
            (ENVIRONMENT.removeprefix("local."), Raw(ENVIRONMENT_EXPR)),
            (RAIL_ENVIRONMENT.removeprefix("local."), Raw(RAIL_ENVIRONMENT_EXPR)),
        ],
    )


def rails_variable(specs: Sequence[RailSpec]) -> Block:
    names = [spec.name for spec in specs]
    known = _validation(
        f"alltrue([for rail in keys(var.rails) : contains({_list(names)}, rail)])",
        f"Each rail in var.rails is one of: {', '.join(names)}.",
    )
    description = (
        "The payment rails this deployment collects on, each with its plain settings:"
        ' { mpesa = { shortcode = "174379", consumer_key = "..." } }. Add the versions of a'
        " rail's secrets before enabling it (docs/deploy.md)."
    )
    return Block(
        "variable",
        ("rails",),
        [
            ("description", description),
            ("type", Raw("map(map(string))")),
            ("default", {}),
            known,
            *(_settings_of(spec) for spec in specs),
        ],
    )


def _settings_of(spec: RailSpec) -> Block:
    """Refuses a setting the rail does not read, and so a secret given as a plain setting."""
    names = list(d.rail_settings(spec))
    secrets = ", ".join(d.secret_id(s) for s in spec.secret_names()) or "none"
    given = f'keys(lookup(var.rails, "{spec.name}", {{}}))'
    return _validation(
        f"alltrue([for name in {given} : contains({_list(names)}, name)])",
        f"The settings of rails.{spec.name} are: {', '.join(names) or 'none'}. Its secrets"
        f" ({secrets}) are versions added to Secret Manager, not settings.",
    )


def settings_variable(specs: Sequence[RailSpec]) -> Block:
    secrets = [d.env_var(s) for s in d.SECRET_IDS]  # Settings' own and the contexts'
    secrets += [d.env_var(s) for spec in specs for s in spec.secret_names()]
    rails = [v for spec in specs for v in d.rail_settings(spec).values()]
    own = [name for name in d.environment("", "") if name.startswith(ENV_PREFIX)]
    refusals = [
        (secrets, "A secret is mounted from Secret Manager, never given as a plain setting."),
        (rails, "A rail's settings go in var.rails, which also enables the rail."),
        (own, f"The deployment sets {', '.join(own)} itself."),
    ]
    description = (
        "Plain settings every function gets, by variable:"
        ' { SOKO_ADMIN_IDS = "[123456789]", SOKO_STARS_ENABLED = "true" } (docs/deploy.md).'
    )
    pattern = f"^{ENV_PREFIX}[A-Z0-9_]+$"
    return Block(
        "variable",
        ("settings",),
        [
            ("description", description),
            ("type", Raw("map(string)")),
            ("default", {}),
            _validation(
                f'alltrue([for name in keys(var.settings) : can(regex("{pattern}", name))])',
                f"Each setting is a {ENV_PREFIX}* variable.",
            ),
            *(
                _validation(
                    f"length(setintersection(keys(var.settings), {_list(names)})) == 0", message
                )
                for names, message in refusals
                if names
            ),
        ],
    )


def _validation(condition: str, message: str) -> Block:
    return Block("validation", body=[("condition", Raw(condition)), ("error_message", message)])


def _list(names: Sequence[str]) -> str:
    """An HCL list of string literals: `["mpesa", "pakasir"]`."""
    return "[" + ", ".join(f'"{n}"' for n in names) + "]"
