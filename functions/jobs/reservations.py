"""expire-reservations: release holds whose time passed, so their units are for sale again.

Only lots whose earliest hold is due are read. Idempotent: a release is decided on the lot's
stream, which ignores a hold already released,
sold or not yet due; the order learns of it through the checkout saga.
"""

from __future__ import annotations

from functions.domain import lots
from functions.jobs.payments import as_time
from functions.runtime.bootstrap import Runtime
from functions.runtime.pipeline import Trace
from functions.shop.saga import run_saga

BATCH = 500


def expire(rt: Runtime) -> dict[str, int]:
    now = rt.clock.now()
    released = 0
    for doc in rt.read_models.find_due("stock", "next_hold_until", now, BATCH):
        stream = lots.stream_of(str(doc["product_id"]), int(doc["lot"]))
        for order_id, hold in dict(doc["holds"]).items():
            if as_time(hold["until"]) > now:
                continue
            key = f"expire-hold:{order_id}"
            appended = rt.pipeline.execute(
                lots.lots, stream, lots.Release(order_id, "expired", now), Trace(key, key, stream)
            )
            if appended.events and not appended.duplicate:
                released += 1
                run_saga(rt, appended.events)  # the order expires now, not on redelivery
    return {"released": released}
