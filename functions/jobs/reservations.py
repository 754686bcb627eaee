"""expire-reservations: release holds whose time passed, so their units are for sale again.

Only lots whose earliest hold is due are read. Idempotent: a release is decided on the lot's
stream, which ignores a hold already released,
sold or not yet due; the order learns of it through the checkout saga.
"""

from __future__ import annotations

from functions.domain import lots
from functions.projections.shop import lots_with_holds_due
from functions.runtime.bootstrap import Runtime
from functions.runtime.pipeline import Trace

BATCH = 500


def expire(rt: Runtime) -> dict[str, int]:
    now = rt.clock.now()
    released = 0
    for lot in lots_with_holds_due(rt.read_models, now, BATCH):
        stream = lots.stream_of(lot.product_id, lot.lot)
        for hold in lot.holds:
            if hold.until > now:
                continue
            key = f"expire-hold:{hold.order_id}"
            release = lots.Release(hold.order_id, "expired", now)
            # Followed inline: the order expires now, not on the subscriber's delivery.
            appended = rt.execute(lots.lots, stream, release, Trace(key, key, stream))
            if appended.events and not appended.duplicate:
                released += 1
    return {"released": released}
