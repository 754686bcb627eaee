"""The `scheduled_job` entry point's work: authenticate the scheduler, run one named job."""

from __future__ import annotations

from typing import Any

import flask

from functions.http import BadRequest, answer, json_body, secret_matches
from functions.jobs import JOBS
from functions.runtime.bootstrap import runtime

SECRET_HEADER = "X-Soko-Scheduler-Secret"  # noqa: S105  (a header name)


def serve(request: flask.Request) -> Any:
    """POST {"job": name}: 401 without the scheduler secret, 400 for an unknown job."""
    rt = runtime()
    if not secret_matches(
        request.headers.get(SECRET_HEADER), rt.settings.secret("scheduler_secret")
    ):
        return answer(401, "unauthorized")
    try:
        name = json_body(request, rt.settings.max_body_bytes).get("job")
    except BadRequest as err:
        return answer(400, str(err))
    job = JOBS.get(name) if isinstance(name, str) else None
    if job is None:
        return answer(400, f"unknown job; known: {', '.join(sorted(JOBS))}")
    return {"job": name, **job(rt)}, 200
