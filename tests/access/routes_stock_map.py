"""Depots with their stock (issue "Relief stock": the map's stock layer) in the access matrix.

Alerts, minimums, the audit and the count import answer no ``{"items": …}`` list of
objects with ids: they are in NOT_SCOPED, their scope tested in tests/core/stock.
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from core.registry.areas.models import Area
from tests.access.matrix import ListRoute, factory
from tests.access.routes_stock import _lot


@factory("stock_depot")
async def _stock_depot(session: AsyncSession, county: Area) -> uuid.UUID:
    """A depot holding one lot."""
    return (await _lot(session, county))[1]


LIST_ROUTES = [
    ListRoute("/api/v1/stock/depots", "stock_depot"),
]
