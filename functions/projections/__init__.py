"""Every read model, each a pure fold of one stream category."""

from functions.projections.balances import balances
from functions.projections.base import Projection
from functions.projections.payments import payments_view

PROJECTIONS: tuple[Projection, ...] = (balances, payments_view)
BY_NAME: dict[str, Projection] = {p.name: p for p in PROJECTIONS}
