"""Every read model, each a pure fold of one stream category."""

from functions.projections.balances import balances
from functions.projections.base import Projection
from functions.projections.payments import payments_view
from functions.projections.shop import orders_view, products_view, stock_view

PROJECTIONS: tuple[Projection, ...] = (
    balances,
    payments_view,
    products_view,
    stock_view,
    orders_view,
)
BY_NAME: dict[str, Projection] = {p.name: p for p in PROJECTIONS}
