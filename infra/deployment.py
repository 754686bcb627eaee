"""How each topology function runs in the cloud, shared by the Terraform and Cloud Build
generators so that the two deployments of one function cannot disagree."""

from __future__ import annotations

from functions.providers.spec import RailSpec
from functions.runtime.settings import ENV_PREFIX
from infra.topology import TOPOLOGY, Function, Topology

RUNTIME = "python311"
# The secrets of Settings itself (main.tf); each rail's come from its spec (terraform_rails).
CORE_SECRETS = ("bot_token", "webhook_secret", "scheduler_secret")
SCHEDULER_SECRET_HEADER = "X-Soko-Scheduler-Secret"  # noqa: S105  (a header name)
# The entry point serving <its URL>/payments/<rail>/…: the functions that start payments
# are given its URL as SOKO_PUBLIC_BASE_URL, and the outputs name it.
CALLBACKS = "payment_webhook"


def secret_id(secret: str) -> str:
    """The Secret Manager id of a Settings-style secret name: `mpesa_passkey` ->
    `soko-mpesa-passkey`."""
    return f"soko-{secret.replace('_', '-')}"


def context_secrets(topology: Topology = TOPOLOGY) -> tuple[str, ...]:
    """The secrets the contexts' functions mount beyond Settings' own (`referrals_secret`):
    generated.tf makes each one a Secret Manager secret with a random first version."""
    mounted = dict.fromkeys(s for fn in topology.functions for s in fn.secrets)
    return tuple(s for s in mounted if s not in CORE_SECRETS)


# Secret Manager secret ids, by the Settings field each one is mounted into.
SECRET_IDS: dict[str, str] = {s: secret_id(s) for s in (*CORE_SECRETS, *context_secrets())}


def service_name(fn: Function) -> str:
    """The Cloud Run function's name: lowercase letters, digits and hyphens."""
    return fn.entry_point.replace("_", "-")


def env_var(secret: str) -> str:
    """The variable a secret is mounted into (what Settings reads)."""
    return f"{ENV_PREFIX}{secret.upper()}"


def rail_settings(spec: RailSpec) -> dict[str, str]:
    """A rail's plain settings, each variable by the name `var.rails` gives it (its settings
    field: `shortcode` -> SOKO_MPESA_SHORTCODE); its secrets are mounted instead."""
    if spec.settings is None:
        return {}
    mounted = {env_var(s) for s in spec.secret_names()}
    fields = zip(spec.settings.model_fields, spec.setting_names(), strict=True)
    return {field: variable for field, variable in fields if variable not in mounted}


def account_id(family: str) -> str:
    """The service account id of a function family."""
    return f"soko-{family}"


def memory(fn: Function) -> str:
    return f"{fn.memory_mb}Mi"


def cpu(fn: Function) -> str | None:
    """Cloud Run serves more than one request at a time only with at least one whole vCPU."""
    return "1" if fn.concurrency > 1 else None


def internal_only(fn: Function) -> bool:
    """Pub/Sub pushes and Cloud Scheduler calls count as internal traffic of the project."""
    return fn.trigger != "http"


def environment(project: str, region: str) -> dict[str, str]:
    """Plain settings every function gets; `project` and `region` may be expressions."""
    return {
        "SOKO_BACKEND": "firestore",
        "SOKO_GCP_PROJECT": project,
        # Ordered delivery needs every publish of a key to reach one region.
        "SOKO_PUBSUB_ENDPOINT": f"https://{region}-pubsub.googleapis.com",
        # functions-framework labels each log line with the request's execution id.
        "LOG_EXECUTION_ID": "true",
    }


def families(topology: Topology = TOPOLOGY) -> dict[str, tuple[Function, ...]]:
    """Functions by the service account they share."""
    grouped: dict[str, tuple[Function, ...]] = {}
    for fn in topology.functions:
        grouped[fn.family] = (*grouped.get(fn.family, ()), fn)
    return grouped


def tf_name(name: str) -> str:
    """A Terraform resource name for a topology name: `wallet-events` -> `wallet_events`."""
    return name.replace("-", "_")
