"""Terraform IAM for the topology: one service account per function family, holding only
what its functions use, and who may invoke each function."""

from __future__ import annotations

from functions.runtime.topics import topic_of_category
from infra import deployment as d
from infra import terraform_rails as rails
from infra.hcl import Block, Raw
from infra.topology import TOPOLOGY, Function, Topology

RUN_INVOKER = "roles/run.invoker"


def member(family: str) -> str:
    return f"serviceAccount:${{google_service_account.{family}.email}}"


def identities(topology: Topology = TOPOLOGY) -> list[Block]:
    """Per family: the account, Firestore use, publishing to event topics, its secrets
    (and, where its functions use rails, the enabled rails')."""
    blocks: list[Block] = []
    for family, fns in d.families(topology).items():
        names = ", ".join(f.entry_point for f in fns)
        blocks.append(
            Block(
                "resource",
                ("google_service_account", family),
                [
                    ("account_id", d.account_id(family)),
                    ("display_name", f"Soko {family} functions ({names})"),
                ],
            )
        )
        blocks.append(
            Block(
                "resource",
                ("google_service_account_iam_member", f"{family}_deployed_by_deployer"),
                [
                    ("service_account_id", Raw(f"google_service_account.{family}.name")),
                    ("role", "roles/iam.serviceAccountUser"),
                    ("member", member("deployer")),
                ],
            )
        )
        blocks.append(
            Block(
                "resource",
                ("google_project_iam_member", f"{family}_firestore"),
                [
                    ("project", Raw("var.project_id")),
                    ("role", "roles/datastore.user"),
                    ("member", member(family)),
                ],
            )
        )
        topics = sorted({topic_of_category(c) for f in fns for c in f.publishes})
        blocks += [
            Block(
                "resource",
                ("google_pubsub_topic_iam_member", f"{family}_publishes_{d.tf_name(t)}"),
                [
                    ("topic", Raw(f"google_pubsub_topic.{d.tf_name(t)}.id")),
                    ("role", "roles/pubsub.publisher"),
                    ("member", member(family)),
                ],
            )
            for t in topics
        ]
        secrets = sorted({s for f in fns for s in f.secrets})
        blocks += [
            Block(
                "resource",
                ("google_secret_manager_secret_iam_member", f"{family}_{s}"),
                [
                    ("secret_id", Raw(f"google_secret_manager_secret.{s}.id")),
                    ("role", "roles/secretmanager.secretAccessor"),
                    ("member", member(family)),
                ],
            )
            for s in secrets
        ]
        if any(f.uses_rails for f in fns):
            blocks.append(rail_secrets_reader(family))
    return blocks


def rail_secrets_reader(family: str) -> Block:
    """Read access to each secret the family's functions mount: the enabled rails'."""
    return Block(
        "resource",
        ("google_secret_manager_secret_iam_member", rails.accessor(family)),
        [
            ("for_each", Raw(rails.MOUNTED)),
            ("secret_id", Raw(f"{rails.SECRETS}[each.value].id")),
            ("role", "roles/secretmanager.secretAccessor"),
            ("member", member(family)),
        ],
    )


def invokers(topology: Topology = TOPOLOGY) -> list[Block]:
    """Who may call each function: anyone only where `public`, else the one caller it has."""
    blocks: list[Block] = []
    for fn in topology.functions:
        for label, who, for_each in _callers(fn, topology):
            body = [
                ("for_each", for_each),
                ("project", Raw("var.project_id")),
                ("location", Raw("var.region")),
                # A function's Cloud Run service has the function's name.
                ("name", Raw(f"google_cloudfunctions2_function.{fn.entry_point}.name")),
                ("role", RUN_INVOKER),
                ("member", who),
            ]
            name = f"{fn.entry_point}_{label}"
            blocks.append(Block("resource", ("google_cloud_run_v2_service_iam_member", name), body))
    return blocks


def _callers(fn: Function, topology: Topology) -> list[tuple[str, str | Raw, Raw | None]]:
    callers: list[tuple[str, str | Raw, Raw | None]] = []
    if fn.public:
        callers.append(("public", "allUsers", None))
    if any(s.function == fn.entry_point for s in topology.subscriptions):
        callers.append(("pusher", member("pusher"), None))
    if any(s.function == fn.entry_point for s in topology.schedules):
        callers.append(("scheduler", member("scheduler"), None))
    if fn.trigger == "http" and not fn.public:
        # People (var.operators) and the deployer's post-deploy smoke test.
        callers.append(("operators", Raw("each.value"), Raw("toset(local.operators)")))
    return callers
