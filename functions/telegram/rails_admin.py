"""/rails (admins): each configured rail's health from functions/payments/health.py: whether
its breaker is open, its start success rate over the last hour and its median latency."""

from __future__ import annotations

from functions import texts
from functions.payments.health import Stats
from functions.providers import registry
from functions.telegram.chat import Context, Reply, reply


def on_rails(ctx: Context, argument: str) -> Reply:
    rt = ctx.runtime
    now = rt.clock.now()
    configured = [spec for spec in registry.specs() if spec.name in rt.rails()]
    if not configured:
        return reply(ctx, texts.text(ctx.language, "payments.rails_none"))
    lines = [
        _line(ctx.language, spec.label, spec.name, rt.health().stats(spec.name, now))
        for spec in configured
    ]
    shown = texts.Html("\n".join(lines))
    return reply(ctx, texts.text(ctx.language, "payments.rails", lines=shown))


def _line(language: str, label: str, name: str, stats: Stats) -> str:
    state = texts.text(language, f"payments.rails_state.{stats.state}")
    if stats.success_percent is None:
        seen = texts.text(language, "payments.rails_no_starts")
    else:
        latency = "-" if stats.p50_ms is None else f"{stats.p50_ms:,} ms"
        seen = texts.text(
            language, "payments.rails_seen", percent=stats.success_percent,
            attempts=stats.attempts, latency=latency,
        )  # fmt: skip
    return texts.text(
        language, "payments.rails_line", rail=label, name=name, state=texts.Html(state),
        seen=texts.Html(seen),
    )  # fmt: skip
