"""Import of a stock count (盘点) from CSV: every row or none.

Columns ``depot_id``, ``item_code``, ``counted`` and optionally ``lot_id``,
``expires_on`` (ISO date), ``reason``; others are ignored. A row with ``lot_id`` sets
that real lot's on-hand to ``counted`` through :func:`core.stock.ledger.adjust` (no move
when it already matches; a count below what is reserved is a row error); a row without
``lot_id`` receives a new lot with source ``count`` (a count of 0 is skipped). Errors name
``("rows", i, column)``, ``i`` counting data rows from 0; all are listed in one 422 and
nothing is written. Lots, depots and items are looked up in one query each.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.auth.roles import SYSTEM, Principal, actor
from core.auth.scope import in_scope
from core.errors import Conflict, ErrorList, FieldError, Invalid
from core.registry.depots.models import Depot
from core.registry.items.models import Item
from core.stock import ledger
from core.stock.access import ensure_writer
from core.stock.models import Lot, LotSource

REQUIRED = ("depot_id", "item_code", "counted")
DEFAULT_REASON = "stock count"
MAX_COUNT = 2_000_000_000
_CHUNK = 5000


@dataclass(frozen=True, slots=True)
class CountSummary:
    adjusted: int = 0
    unchanged: int = 0
    created: list[uuid.UUID] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Row:
    depot_id: uuid.UUID
    item_id: uuid.UUID
    counted: int
    lot_id: uuid.UUID | None
    expires_on: date | None
    reason: str


def read_count_csv(content: bytes) -> list[dict[str, str]]:
    """The rows of a UTF-8 CSV; 422 naming ``file`` (unreadable) or ``file.<column>``."""
    try:
        text = content.decode("utf-8-sig")
        reader = csv.DictReader(io.StringIO(text, newline=""))
        rows = list(reader)
    except (UnicodeDecodeError, csv.Error) as exc:
        raise Invalid.field(("file",), f"not a UTF-8 CSV file: {exc}") from exc
    names = [n.strip() for n in reader.fieldnames or []]
    missing = [c for c in REQUIRED if c not in names]
    if missing:
        errors = [FieldError(("file", c), f"missing column {c}") for c in missing]
        raise Invalid(f"the CSV file lacks column(s) {', '.join(missing)}", errors=errors)
    return [{(k or "").strip(): (v or "").strip() for k, v in r.items()} for r in rows]


def _uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


async def _rows_in(session: AsyncSession, stmt: Any, column: Any, keys: set[Any]) -> list[Any]:
    """``stmt`` filtered by ``column IN keys``, in chunks (bound-parameter limits)."""
    keys_list, out = sorted(keys, key=str), []
    for start in range(0, len(keys_list), _CHUNK):
        out += list(
            await session.execute(stmt.where(column.in_(keys_list[start : start + _CHUNK])))
        )
    return out


async def _lookup(session: AsyncSession, rows: Sequence[dict[str, str]]) -> tuple[Any, Any, Any]:
    """(depot id → area path, item code → id, lot id → lot row) for ids named in ``rows``."""
    depot_ids = {u for r in rows if (u := _uuid(r.get("depot_id", "")))}
    lot_ids = {u for r in rows if (u := _uuid(r.get("lot_id", "")))}
    codes = {r.get("item_code", "") for r in rows}
    depots = await _rows_in(session, select(Depot.id, Depot.area_path), Depot.id, depot_ids)
    items = await _rows_in(session, select(Item.code, Item.id), Item.code, codes)
    lots = await _rows_in(session, select(*Lot.__table__.c), Lot.id, lot_ids)
    return dict(depots), dict(items), {r.id: r for r in lots}


def _check(
    i: int, row: dict[str, str], principal: Principal, found: tuple[Any, Any, Any],
    seen: dict[uuid.UUID, int], errors: ErrorList,
) -> _Row | None:  # fmt: skip
    """The row, or None after recording each of its errors."""
    depots, items, lots = found
    n = len(errors.errors)
    depot_id = _uuid(row.get("depot_id", ""))
    if depot_id is None or not in_scope(principal, depots.get(depot_id)):
        errors.add(("rows", i, "depot_id"), f"no depot {row.get('depot_id', '')!r}")
    item_id = items.get(row.get("item_code", ""))
    if item_id is None:
        errors.add(("rows", i, "item_code"), f"unknown item code {row.get('item_code', '')!r}")
    raw = row.get("counted", "")
    counted = int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 12 else None
    if counted is None or counted > MAX_COUNT:
        counted = None
        errors.add(("rows", i, "counted"), "counted must be a whole number, 0 or more")
    expires_on = None
    if row.get("expires_on"):
        try:
            expires_on = date.fromisoformat(row["expires_on"])
        except ValueError:
            errors.add(("rows", i, "expires_on"), "expected a date like 2026-12-31")
    lot_id = None
    if row.get("lot_id"):
        lot_id = _uuid(row["lot_id"])
        lot = lots.get(lot_id)
        if lot is None or lot.is_drill or not in_scope(principal, lot.area_path):
            errors.add(("rows", i, "lot_id"), f"no lot {row['lot_id']!r}")
        elif lot_id in seen:
            errors.add(("rows", i, "lot_id"), f"lot counted twice (row {seen[lot_id]} too)")
        elif None not in (depot_id, item_id) and (lot.depot_id, lot.item_id) != (depot_id, item_id):
            errors.add(("rows", i, "lot_id"), "the lot holds another item or is in another depot")
        elif counted is not None and counted < lot.reserved:
            errors.add(("rows", i, "counted"), f"below the {lot.reserved} reserved on this lot")
        if lot is not None:
            seen.setdefault(lot.id, i)
    elif expires_on is not None and expires_on < ledger.today():
        errors.add(("rows", i, "expires_on"), "expiry is before receipt (today)")
    if len(errors.errors) > n:
        return None
    reason = row.get("reason") or DEFAULT_REASON
    return _Row(depot_id, item_id, counted, lot_id, expires_on, reason)  # type: ignore[arg-type]


async def import_counts(
    *, session: AsyncSession, principal: Principal | None, rows: Sequence[dict[str, str]]
) -> CountSummary:
    """Apply every row of a stock count in one savepoint, or raise 422 writing nothing."""
    principal = principal or SYSTEM
    ensure_writer(principal)
    errors = ErrorList()
    if not rows:
        errors.add(("rows",), "no rows to import")
    found = await _lookup(session, rows)
    seen: dict[uuid.UUID, int] = {}
    checked = [_check(i, r, principal, found, seen, errors) for i, r in enumerate(rows)]
    errors.raise_if_any("the stock count has errors; nothing was imported")
    good = [r for r in checked if r is not None]
    who, today = actor(principal), ledger.today()
    adjusted, unchanged, created = 0, 0, []
    async with session.begin_nested():
        for row in good:
            if row.lot_id is None:
                if row.counted == 0:
                    unchanged += 1
                    continue
                created.append(await ledger.receive(
                    session=session, actor_id=who, depot_id=row.depot_id, item_id=row.item_id,
                    quantity=row.counted, received_on=today, expires_on=row.expires_on,
                    source=LotSource.count.value, reason=row.reason))  # fmt: skip
                continue
            delta = row.counted - found[2][row.lot_id].on_hand
            if delta == 0:
                unchanged += 1
                continue
            await ledger.adjust(session=session, actor_id=who, lot_id=row.lot_id, delta=delta,
                                reason=row.reason)  # fmt: skip
            adjusted += 1
        await _ensure_counted(session, good)
    return CountSummary(adjusted, unchanged, created)


async def _ensure_counted(session: AsyncSession, rows: Sequence[_Row]) -> None:
    """409 (rolling the count back) if a counted lot changed while the count was applied."""
    want = {r.lot_id: r.counted for r in rows if r.lot_id is not None}
    now = dict(await _rows_in(session, select(Lot.id, Lot.on_hand), Lot.id, set(want)))
    moved = sorted(str(k) for k, v in want.items() if now.get(k) != v)
    if moved:
        raise Conflict("lots changed while the count was applied; count again", lot_ids=moved)
