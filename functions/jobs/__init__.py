"""Scheduled work by name, as the contexts declare it; run by the `scheduled_job` entry point.

A job's module is imported when the job first runs, so running the relay never imports the
shop's reservations code. Every job is idempotent."""

from collections.abc import Callable

from functions.contexts import JOBS as DECLARED
from functions.contexts.base import Job as Declared
from functions.runtime.bootstrap import Runtime

Job = Callable[[Runtime], dict[str, int]]


def _runner(job: Declared) -> Job:
    def run(rt: Runtime) -> dict[str, int]:
        return job.run.resolve()(rt)

    return run


JOBS: dict[str, Job] = {name: _runner(job) for name, job in DECLARED.items()}
