"""Every read model, each a pure fold of one stream category."""

from functions.projections.balances import balances
from functions.projections.base import Projection

PROJECTIONS: tuple[Projection, ...] = (balances,)
BY_NAME: dict[str, Projection] = {p.name: p for p in PROJECTIONS}
