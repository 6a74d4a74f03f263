"""Moving a household (new point, community or grid): placement again, members follow."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from core.auth.roles import Principal
from core.errors import FieldError, Invalid
from core.registry.areas.models import Grid
from core.registry.households.access import may_write
from core.registry.households.create import detail_of
from core.registry.households.models import Household, Person
from core.registry.households.placement import Spot, place
from core.registry.households.schemas import HouseholdUpdate

MOVE_FIELDS = frozenset({"lon", "lat", "community_code", "grid_code"})


async def move_household(
    session: AsyncSession,
    principal: Principal,
    household: Household,
    data: HouseholdUpdate,
    fields: set[str],
) -> None:
    """Re-place ``household`` (lon/lat degrees, WGS-84) by the rules of placement.

    The community stays unless ``community_code`` is given (``null`` derives it from
    the point); a grid without boundary is kept while the community stays, otherwise
    the grid is derived again unless ``grid_code`` is given. Members' ``area_path``
    follows the household. Raises :class:`Invalid` naming ``("body", field)``.
    """
    if ("lon" in fields) != ("lat" in fields):
        missing = "lat" if "lon" in fields else "lon"
        raise Invalid.field(("body", missing), "give lon and lat together")
    lon = float(data.lon if data.lon is not None else household.lon)
    lat = float(data.lat if data.lat is not None else household.lat)
    current = household.area_path.rstrip("/").rsplit("/", 1)[-1]
    community = data.community_code if "community_code" in fields else current
    grid_code = data.grid_code
    if "grid_code" not in fields and community == current and household.grid_id is not None:
        grid = await session.get(Grid, household.grid_id)
        grid_code = grid.code if grid is not None and grid.boundary is None else None
    spot = Spot(lon, lat, community, grid_code)
    (where,), problems = await place(session=session, principal=principal, spots=[spot])
    if problems:
        errors = [FieldError(("body", p.field), p.msg) for p in problems]
        raise Invalid(detail_of(errors), errors=errors)
    assert where is not None
    if not may_write(principal, area_path=where.area_path, grid_id=where.grid_id):
        raise Invalid.field(("body", "grid_code"), "grid workers keep households in their grids")
    if where.area_path != household.area_path:
        await session.execute(
            update(Person)
            .where(Person.household_id == household.id)
            .values(area_path=where.area_path)
        )
    household.lon, household.lat = lon, lat
    household.community_id, household.grid_id = where.community_id, where.grid_id
    household.area_path = where.area_path
