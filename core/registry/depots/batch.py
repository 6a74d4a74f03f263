"""The set-based create behind the one-item API, the import and the demo generator."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.auth.roles import SYSTEM, Principal
from core.errors import ErrorList, FieldError, Invalid
from core.events.outbox import emit_many
from core.ids import uuid7
from core.registry.depots.models import Depot
from core.registry.depots.rules import Loc, Placed, check_depots, depot_event, ensure_writer
from core.registry.depots.schemas import DepotCreate

MAX_REPORTED_ERRORS = 500


async def create_batch(
    *,
    session: AsyncSession,
    principal: Principal | None,
    rows: Sequence[DepotCreate],
    prefixes: Sequence[Loc],
    errors: ErrorList | None = None,
    source: str = "api",
) -> list[uuid.UUID]:
    """Check all ``rows``, then insert them in one statement; one ``depot.created`` each.

    ``errors`` may carry errors found earlier (e.g. rows that failed the schema); if
    any error is found nothing is written and :class:`~core.errors.Invalid` lists them
    all, each located by ``prefixes[i] + (field,)``. Points are WGS-84 degrees.
    """
    principal = principal or SYSTEM
    ensure_writer(principal)
    errors = errors if errors is not None else ErrorList()
    placed = await check_depots(
        session=session, principal=principal, rows=rows, prefixes=prefixes, errors=errors
    )
    raise_errors(errors)
    if not rows:
        return []
    now = clock.now()
    ids = sorted(uuid7() for _ in rows)  # lists go by id: keep row order within a batch
    values = [
        _values(row, where, id_, now) for row, where, id_ in zip(rows, placed, ids, strict=True)
    ]
    await session.execute(insert(Depot), values)
    await emit_many(session, [depot_event("depot.created", v, source=source) for v in values])
    return [v["id"] for v in values]


def _values(row: DepotCreate, where: Placed | None, id_: uuid.UUID, now: Any) -> dict[str, Any]:
    assert where is not None and row.opening_hours is not None
    return {
        "id": id_,
        "name": row.name,
        "kind": row.kind.value,
        "site_type": row.site_type,
        "owner_org_id": row.owner_org_id,
        "area_id": where.area_id,
        "area_path": where.area_path,
        "address": row.address,
        "opening_hours": row.opening_hours.stored(),
        "capacity_people": row.capacity_people,
        "phone": row.phone,
        "lon": row.lon,
        "lat": row.lat,
        "created_at": now,
        "updated_at": now,
    }


def raise_errors(errors: ErrorList) -> None:
    """Raise :class:`Invalid` with every error, rows in file order, at most 500 shown."""
    if not errors.errors:
        return
    bad = sorted(errors.errors, key=_row_of)
    rows = {_row_of(e) for e in bad} - {-1}
    if rows:
        detail = f"{len(rows)} row(s) have errors; nothing was written"
    else:
        detail = "invalid fields: " + ", ".join(".".join(map(str, e.loc)) for e in bad)
    if len(bad) > MAX_REPORTED_ERRORS:
        detail += f" (first {MAX_REPORTED_ERRORS} of {len(bad)} errors shown)"
    raise Invalid(detail, errors=bad[:MAX_REPORTED_ERRORS])


def _row_of(error: FieldError) -> int:
    loc = error.loc
    return loc[1] if len(loc) > 1 and loc[0] == "rows" and isinstance(loc[1], int) else -1
