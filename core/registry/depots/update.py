"""PATCH of a depot: merge the changes, check the result like a new depot, apply."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.auth.roles import Principal
from core.errors import ErrorList, Invalid
from core.events.outbox import emit
from core.registry.depots.batch import raise_errors
from core.registry.depots.models import Depot, DepotKind
from core.registry.depots.rules import check_depots, depot_event
from core.registry.depots.schemas import DepotCreate, DepotUpdate, area_code_of

_PLAIN = ("name", "site_type", "address", "owner_org_id", "capacity_people", "phone")


async def apply_update(
    *, session: AsyncSession, principal: Principal, depot: Depot, data: DepotUpdate
) -> None:
    """Apply ``data`` to ``depot`` (in the principal's scope) or raise 422 naming fields.

    Changing ``kind`` away from ``charity_site`` clears ``site_type`` unless the patch
    sets it. The owner is checked only when the patch names one, the point only when
    the point or the area changes (a point outside the new area's boundary is reported
    on ``area_code`` when only the area changed, else on ``lon``).
    """
    fields = set(data.model_fields_set)
    if not fields:
        return
    if ("lon" in fields) != ("lat" in fields):
        missing = "lat" if "lon" in fields else "lon"
        raise Invalid.field(("body", missing), "give lon and lat together")
    checked = _merged(depot, data, fields)
    probe = checked
    if "owner_org_id" not in fields:  # an unchanged owner is not checked again
        probe = checked.model_copy(update={"owner_org_id": None})
    errors = ErrorList()
    point_field = "area_code" if "area_code" in fields and "lon" not in fields else "lon"
    (placed,) = await check_depots(
        session=session,
        principal=principal,
        rows=[probe],
        prefixes=[("body",)],
        errors=errors,
        point_field=point_field,
        points=bool(fields & {"area_code", "lon", "lat"}),
    )
    raise_errors(errors)
    assert placed is not None and checked.opening_hours is not None
    old_path = depot.area_path
    for name in _PLAIN:
        setattr(depot, name, getattr(checked, name))
    depot.kind = checked.kind.value
    depot.area_id, depot.area_path = placed.area_id, placed.area_path
    depot.lon, depot.lat = checked.lon, checked.lat
    depot.opening_hours = checked.opening_hours.stored()
    depot.updated_at = clock.now()
    await session.flush()
    moved = old_path != depot.area_path
    extra = {"moved_from": old_path} if moved else {}
    event = depot_event("depot.updated", depot, fields=sorted(fields), **extra)
    streams = [*event.streams, f"area:{old_path}"] if moved else event.streams
    await emit(session, type=event.type, data=event.data, streams=streams)


def _merged(depot: Depot, data: DepotUpdate, fields: set[str]) -> DepotCreate:
    """The depot as it would be after the patch, validated by :class:`DepotCreate`."""
    current: dict[str, Any] = {
        "name": depot.name,
        "kind": depot.kind,
        "site_type": depot.site_type,
        "area_code": area_code_of(depot.area_path),
        "lon": depot.lon,
        "lat": depot.lat,
        "address": depot.address,
        "owner_org_id": depot.owner_org_id,
        "capacity_people": depot.capacity_people,
        "phone": depot.phone,
        "opening_hours": depot.opening_hours,
    }
    patch = data.model_dump(include=fields, exclude_unset=True)
    if "kind" in fields and data.kind is not DepotKind.charity_site and "site_type" not in fields:
        patch["site_type"] = None
    try:
        return DepotCreate.model_validate({**current, **patch})
    except ValidationError as exc:
        errors = ErrorList()
        for err in exc.errors():
            errors.add(("body", *err["loc"]), err["msg"].removeprefix("Value error, "))
        raise_errors(errors)
        raise  # unreachable: raise_errors raised
