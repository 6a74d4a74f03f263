"""Demo relief stock for 漾濞: lots received through the ledger, and a few depot minimums.

Deterministic for a seed; dates count back from today (China date), so the expiry alert
always has something to show. Reserves are sized per resident of the county (counted
after the households are loaded, so a smaller demo gets a smaller reserve), the way
county reserve targets are set. They are the demo's planning choices, set against the
county earthquake plan (3 days; ``plans/templates/earthquake.yaml``) so that readiness
shows real gaps: bottled water (5 L a resident: under 2 of 3 days), self-heating meals,
tents (one for ten residents against one for three) and mats fall short; quilts,
biscuits, milk, soap, family kits, jerrycans, first-aid kits, torches and stretchers
suffice. About 45 % of each item sits in the county reserve (two lots: donated and
bought), 45 % in the township points in proportion to their residents (each weighted up
or down by up to 30 %), and shelf goods also in the county charity supermarket, whose
lots are near expiry (goods turn over there). One lot of biscuits expired a few days ago
and awaits write-off. Quantities are whole packs, rounded up. Township points get
minimums for water and tents of 1.1 × the townships' average, so the under-stocked ones
show below their minimum.
"""

from __future__ import annotations

import math
import random
import uuid
from collections import defaultdict
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.registry.areas.models import Area
from core.registry.depots.models import Depot, DepotKind
from core.registry.households.models import Person
from core.registry.items.models import Item
from core.stock import ledger
from core.stock.models import StockMinimum

# (item code, base units per resident of the county, also in township points)
RESERVE: tuple[tuple[str, float, bool], ...] = (
    ("WATER-BOTTLED-L", 5.0, True),
    ("FOOD-MEAL-SELFHEAT", 2.5, True),
    ("FOOD-BISCUIT-COMP", 3.5, True),
    ("FOOD-MILK-UHT", 1.0, False),
    ("FOOD-NOODLE-INSTANT", 2.0, True),
    ("FOOD-RICE-KG", 2.0, False),
    ("FOOD-OIL-L", 0.1, False),
    ("HYG-SOAP-BATH", 0.3, False),
    ("SHELTER-TENT-12M2", 0.1, True),
    ("BED-QUILT", 1.1, True),
    ("BED-MAT", 0.6, True),
    ("BED-BLANKET", 0.5, False),
    ("HYG-KIT-FAMILY", 0.4, False),
    ("WATER-JERRYCAN-10L", 0.7, False),
    ("WATER-PURIF-TAB", 2.0, False),
    ("MED-FIRST-AID-KIT", 0.12, True),
    ("TOOL-TORCH", 0.4, True),
    ("MED-STRETCHER", 0.015, False),
    ("CLOTH-RAINCOAT", 0.3, False),
)
SUPERMARKET_ITEMS = ("WATER-BOTTLED-L", "FOOD-MILK-UHT", "FOOD-NOODLE-INSTANT", "FOOD-RICE-KG")
MINIMUM_ITEMS = ("WATER-BOTTLED-L", "SHELTER-TENT-12M2")
DONORS = (
    "大理州慈善总会",
    "漾濞县红十字会",
    "漾濞县惠民超市有限公司",
    "漾濞县核桃种植技术协会",
    "昆明市云岭爱心企业联合会",
    "漾濞籍在外务工人员联谊会",
)


def _packs(quantity: float, item: Any) -> int:
    """``quantity`` rounded up to whole packs of the item's largest pack (at least one)."""
    pack = max([int(p["qty"]) for p in item.pack_sizes or []] or [1])
    return max(1, math.ceil(quantity / pack)) * pack


async def load_demo_stock(*, session: AsyncSession, county_code: str, seed: int) -> int:
    """Receive the demo lots into the county's depots and set minimums; returns the lots."""
    rng = random.Random(f"{seed}:stock")
    county = await session.scalar(select(Area.area_path).where(Area.code == county_code))
    if county is None:
        return 0
    under = Depot.area_path.startswith(county, autoescape=True)
    depots = list(await session.execute(
        select(Depot.id, Depot.kind, Depot.area_path).where(under, Depot.kind.in_(
            (DepotKind.warehouse.value, DepotKind.charity_supermarket.value)))
        .order_by(Depot.area_path, Depot.name)
    ))  # fmt: skip
    main = next(d.id for d in depots if d.kind == "warehouse" and d.area_path == county)
    shop = next((d.id for d in depots if d.kind == "charity_supermarket"), None)
    towns = [d for d in depots if d.kind == "warehouse" and d.area_path != county]
    residents = await _residents(session, county)
    total = sum(residents.values())
    if total == 0:
        return 0
    weights = [
        sum(n for p, n in residents.items() if p.startswith(t.area_path)) * rng.uniform(0.7, 1.3)
        for t in towns
    ]
    codes = [code for code, _, _ in RESERVE]
    items = {i.code: i for i in await session.scalars(select(Item).where(Item.code.in_(codes)))}
    today = ledger.today()
    lots = 0
    minimums: dict[str, list[tuple[uuid.UUID, int]]] = defaultdict(list)
    for code, per_resident, in_towns in RESERVE:
        item = items.get(code)
        if item is None:
            continue
        amount = per_resident * total
        central = amount if not in_towns else amount * 0.55
        if shop is not None and code in SUPERMARKET_ITEMS:
            lots += await _lot(session, rng, item, shop, _packs(central * 0.15, item), today, True)
            central *= 0.85
        for share in (0.6, 0.4):
            lots += await _lot(session, rng, item, main, _packs(central * share, item), today)
        if in_towns and towns:
            rest = amount - amount * 0.55
            for town, weight in zip(towns, weights, strict=True):
                quantity = _packs(rest * weight / sum(weights), item)
                lots += await _lot(session, rng, item, town.id, quantity, today)
                minimums[code].append((town.id, quantity))
    lots += await _expired_biscuits(session, items.get("FOOD-BISCUIT-COMP"), main, today)
    await _minimums(session, items, minimums)
    return lots


async def _residents(session: AsyncSession, county_path: str) -> dict[str, int]:
    """Residents per community path (one GROUP BY)."""
    rows = await session.execute(
        select(Person.area_path, func.count())
        .where(Person.area_path.startswith(county_path, autoescape=True))
        .group_by(Person.area_path)
    )
    return {path: int(n) for path, n in rows}


async def _lot(
    session: AsyncSession, rng: random.Random, item: Any, depot_id: uuid.UUID, quantity: int,
    today: date, soon: bool = False,
) -> int:  # fmt: skip
    """Receive one lot: donated (a quarter of donors anonymous) or bought; returns 1."""
    shelf = item.shelf_life_days
    if shelf:
        old = soon or rng.random() < 0.1
        age = shelf - rng.randint(5, 28) if old else rng.randint(10, shelf * 3 // 5)
        received, expires = today - timedelta(days=age), today - timedelta(days=age - shelf)
    else:
        received, expires = today - timedelta(days=rng.randint(30, 720)), None
    donated = rng.random() < 0.55
    await ledger.receive(
        session=session, actor_id=None, depot_id=depot_id, item_id=item.id, quantity=quantity,
        received_on=received, expires_on=expires, source="donation" if donated else "purchase",
        donor=rng.choice(DONORS) if donated else None,
        donor_anonymous=donated and rng.random() < 0.25, reason="demo reserve",
    )  # fmt: skip
    return 1


async def _expired_biscuits(
    session: AsyncSession, item: Any, depot_id: uuid.UUID, today: date
) -> int:
    """A lot that expired six days ago and waits to be written off (never counted)."""
    if item is None or not item.shelf_life_days:
        return 0
    expires = today - timedelta(days=6)
    await ledger.receive(
        session=session, actor_id=None, depot_id=depot_id, item_id=item.id,
        quantity=_packs(1, item), received_on=expires - timedelta(days=item.shelf_life_days),
        expires_on=expires, source="donation", donor=DONORS[1], reason="demo reserve",
    )  # fmt: skip
    return 1


async def _minimums(
    session: AsyncSession, items: dict[str, Any], held: dict[str, list[tuple[uuid.UUID, int]]]
) -> None:
    """Township minimums of 1.1 × the townships' average for :data:`MINIMUM_ITEMS`."""
    rows = []
    for code in MINIMUM_ITEMS:
        if code not in items or not held.get(code):
            continue
        average = sum(q for _, q in held[code]) / len(held[code])
        minimum = _packs(average * 1.1, items[code])
        rows += [{"depot_id": d, "item_id": items[code].id, "minimum": minimum}
                 for d, _ in held[code]]  # fmt: skip
    if rows:
        await session.execute(insert(StockMinimum), rows)
