"""Terraform blocks for the topology's topics, push subscriptions and functions."""

from __future__ import annotations

from infra import deployment as d
from infra import terraform_rails as rails
from infra.hcl import Block, Raw, Value
from infra.topology import Function, Subscription

APIS = Raw("[google_project_service.enabled]")


def topic_ref(topic: str) -> Raw:
    return Raw(f"google_pubsub_topic.{d.tf_name(topic)}.id")


def uri(fn: str) -> Raw:
    """The function's URL, as an expression."""
    return Raw(f"google_cloudfunctions2_function.{fn}.service_config[0].uri")


def url(fn: str) -> str:
    """The function's URL, interpolated into a string."""
    return f"${{{uri(fn).text}}}"


def topic(name: str) -> Block:
    body: list[tuple[str, Value]] = [
        ("name", name),
        ("labels", Raw("local.labels")),
        ("depends_on", APIS),
    ]
    return Block("resource", ("google_pubsub_topic", d.tf_name(name)), body)


def subscription(sub: Subscription) -> list[Block]:
    name = d.tf_name(sub.name)
    push = Block(
        "push_config",
        body=[
            (
                "push_endpoint",
                f"{url(sub.function)}/projects/${{var.project_id}}/topics/{sub.topic}",
            ),
            Block(
                "oidc_token",
                body=[
                    ("service_account_email", Raw("google_service_account.pusher.email")),
                    ("audience", uri(sub.function)),
                ],
            ),
        ],
    )
    body: list[tuple[str, Value] | Block] = [
        ("name", sub.name),
        ("topic", topic_ref(sub.topic)),
        ("ack_deadline_seconds", sub.ack_deadline_s),
        ("enable_message_ordering", sub.ordered),
        ("message_retention_duration", "604800s"),
        ("labels", Raw("local.labels")),
        push,
        # Dead-letter topics are quiet for months; the default expiry would delete them.
        Block("expiration_policy", body=[("ttl", "")]),
        Block("retry_policy", body=[("minimum_backoff", "10s"), ("maximum_backoff", "600s")]),
    ]
    if sub.filter:
        body.insert(2, ("filter", sub.filter))  # only the event types the function acts on
    blocks = [Block("resource", ("google_pubsub_subscription", name), body)]
    if sub.dead_letter_topic is not None:
        body.append(
            Block(
                "dead_letter_policy",
                body=[
                    ("dead_letter_topic", topic_ref(sub.dead_letter_topic)),
                    ("max_delivery_attempts", sub.max_delivery_attempts),
                ],
            )
        )
        # Pub/Sub's own agent moves messages: it publishes to the topic, acks the source.
        blocks += [
            Block(
                "resource",
                ("google_pubsub_topic_iam_member", f"{name}_dead_letters_in"),
                [
                    ("topic", topic_ref(sub.dead_letter_topic)),
                    ("role", "roles/pubsub.publisher"),
                    ("member", Raw("local.pubsub_agent")),
                ],
            ),
            Block(
                "resource",
                ("google_pubsub_subscription_iam_member", f"{name}_dead_letters_out"),
                [
                    ("subscription", Raw(f"google_pubsub_subscription.{name}.id")),
                    ("role", "roles/pubsub.subscriber"),
                    ("member", Raw("local.pubsub_agent")),
                ],
            ),
        ]
    return blocks


def function(fn: Function, callbacks: str | None = d.CALLBACKS) -> Block:
    """The function; `callbacks` is the entry point whose URL payments start with (None
    when the topology has none)."""
    secrets: list[Block] = [
        Block(
            "secret_environment_variables",
            body=[
                ("key", d.env_var(s)),
                ("project_id", Raw("var.project_id")),
                ("secret", Raw(f"google_secret_manager_secret.{s}.secret_id")),
                ("version", "latest"),
            ],
        )
        for s in fn.secrets
    ]
    if fn.uses_rails:
        secrets.append(_rail_secrets())
    service = Block(
        "service_config",
        body=[
            ("available_memory", d.memory(fn)),
            ("available_cpu", d.cpu(fn)),
            ("timeout_seconds", fn.timeout_s),
            ("min_instance_count", fn.min_instances),
            ("max_instance_count", fn.max_instances),
            ("max_instance_request_concurrency", fn.concurrency),
            ("ingress_settings", "ALLOW_INTERNAL_ONLY" if d.internal_only(fn) else "ALLOW_ALL"),
            ("all_traffic_on_latest_revision", True),
            ("service_account_email", Raw(f"google_service_account.{fn.family}.email")),
            ("environment_variables", _environment(fn, callbacks)),
            *secrets,
        ],
    )
    source = Block(
        "source",
        body=[
            Block(
                "storage_source",
                body=[
                    ("bucket", Raw("google_storage_bucket.source.name")),
                    ("object", Raw("google_storage_bucket_object.source.name")),
                ],
            )
        ],
    )
    build = Block(
        "build_config",
        body=[
            ("runtime", d.RUNTIME),
            ("entry_point", fn.entry_point),
            ("service_account", Raw("google_service_account.builder.id")),
            source,
        ],
    )
    # Cloud Build rolls out new code (cloudbuild.yaml); Terraform must not roll it back.
    lifecycle = Block(
        "lifecycle",
        body=[
            ("ignore_changes", Raw("[build_config[0].source, build_config[0].docker_repository]"))
        ],
    )
    accessors = [
        Raw(f"google_secret_manager_secret_iam_member.{fn.family}_{s}") for s in fn.secrets
    ]
    if fn.uses_rails:
        readers = rails.accessor(fn.family)
        accessors.append(Raw(f"google_secret_manager_secret_iam_member.{readers}"))
    return Block(
        "resource",
        ("google_cloudfunctions2_function", fn.entry_point),
        [
            ("name", d.service_name(fn)),
            ("location", Raw("var.region")),
            ("description", f"Soko {fn.entry_point} ({fn.trigger})"),
            ("labels", Raw("local.labels")),
            build,
            service,
            lifecycle,
            ("depends_on", [Raw("google_project_service.enabled"), *accessors]),
        ],
    )


def _rail_secrets() -> Block:
    """Each enabled rail's secrets, mounted where its settings read them."""
    return Block(
        "dynamic",
        ("secret_environment_variables",),
        [
            ("for_each", Raw(rails.MOUNTED)),
            Block(
                "content",
                body=[
                    ("key", Raw("secret_environment_variables.key")),
                    ("project_id", Raw("var.project_id")),
                    (
                        "secret",
                        Raw(f"{rails.SECRETS}[secret_environment_variables.value].secret_id"),
                    ),
                    ("version", "latest"),
                ],
            ),
        ],
    )


def _environment(fn: Function, callbacks: str | None) -> Raw:
    """Every function's plain settings; where rails are used, the enabled rails' too, and
    the URL of the function receiving callbacks, which payments are started with (a setting
    may override it: a domain in front of that function)."""
    if not fn.uses_rails:
        return Raw(rails.ENVIRONMENT)
    if callbacks is None or fn.entry_point == callbacks:
        return Raw(rails.RAIL_ENVIRONMENT)  # its own URL would be a cycle; it starts none
    base = f"{{ SOKO_PUBLIC_BASE_URL = {uri(callbacks).text} }}"
    return Raw(f"merge({base}, {rails.RAIL_ENVIRONMENT})")
