"""Scheduled work, run by name by the `scheduled_job` entry point. Every job is idempotent."""

from collections.abc import Callable

from functions.jobs import payments, relay, reservations
from functions.runtime.bootstrap import Runtime

Job = Callable[[Runtime], dict[str, int]]
JOBS: dict[str, Job] = {
    "relay": relay.run,
    "reconcile-payments": payments.reconcile,
    "expire-payments": payments.expire,
    "expire-reservations": reservations.expire,
}
