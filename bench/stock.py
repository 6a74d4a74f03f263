"""Stock reservations: reservations per second with 8 concurrent clients, beside a baseline.

Measured: 8 asyncio tasks, each with its own session and transaction, one reservation of
1 unit per transaction through ``reserve.reserve_lines`` (checks, FEFO, conditional
UPDATE, reservation and ledger rows, outbox event, expiry timer). Baseline, in the same
run and through the same engine: the same statements written by hand — FEFO select,
conditional UPDATE, reservation, reservation-lot, ledger and outbox INSERTs — without the
service layers. Target: the service keeps ≥ 35 % of the baseline, with 0 oversold (Σ
reserved ≤ on hand, every lot equal to its ledger). Also the batch entry point's lines
per second (``reserve_batch``, 500 needs × 2 lines per transaction). SQLite by default;
also PostgreSQL when HUZHU_BENCH_DATABASE_URL names a PostGIS database it may wipe.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import _engines as engines  # bench/ is on sys.path when run as a script
from sqlalchemy import func, insert, literal_column, or_, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.db import Database
from core.errors import Conflict
from core.events.models import OutboxEvent, OutboxStream
from core.events.outbox import current_epoch
from core.ids import uuid7
from core.incidents.models import Incident
from core.incidents.need_models import Need
from core.migrate import upgrade, wipe_postgres
from core.registry.areas.demo import load_demo_areas
from core.registry.areas.models import Area, AreaLevel
from core.registry.depots.models import Depot
from core.registry.items.models import Item
from core.stock import ledger, reserve
from core.stock.models import Lot, Move, Reservation, ReservationLot

CLIENTS, PER_CLIENT = 8, 150
BATCH_NEEDS, BATCHES = 500, 4
FREE = Lot.on_hand - Lot.reserved


@dataclass
class World:
    depot: uuid.UUID
    path: str
    incident: uuid.UUID
    need: uuid.UUID
    items: dict[str, uuid.UUID]
    needs: list[uuid.UUID] = field(default_factory=list)


async def _world(db: Database) -> World:
    now = clock.now()
    async with db.transaction() as s:
        await load_demo_areas(session=s)
        county = await s.scalar(select(Area).where(Area.level == AreaLevel.county).limit(1))
        path = county.area_path
        depot = Depot(name="基准库", kind="warehouse", area_id=county.id, area_path=path,
                      lon=99.95, lat=25.67, address="", opening_hours={}, created_at=now,
                      updated_at=now)  # fmt: skip
        items = {code: Item(code=code, name_zh=code, name_en=code, base_unit="L", pack_sizes=[],
                            category="water", created_at=now, updated_at=now)
                 for code in ("SERVICE", "BASELINE", "WATER", "RICE")}  # fmt: skip
        incident = Incident(title="基准", hazard="earthquake", category="natural_disaster",
                            level=2, mode="real", speedup=1.0, is_drill=False, status="active",
                            area_path=path, declared_at=now, updated_at=now)  # fmt: skip
        s.add_all([depot, incident, *items.values()])
        await s.flush()
        needs = [Need(incident_id=incident.id, area_path=county.area_path, source="coordinator",
                      kind="supplies", skills=[], languages=[], severity=3, lon=99.95, lat=25.67,
                      created_at=now, updated_at=now) for _ in range(BATCH_NEEDS + 1)]  # fmt: skip
        s.add_all(needs)
        await s.flush()
        return World(depot.id, county.area_path, incident.id, needs[0].id,
                     {k: v.id for k, v in items.items()}, [n.id for n in needs[1:]])  # fmt: skip


async def _stock(db: Database, w: World, item: str, total: int, lots: int = 4) -> None:
    async with db.transaction() as s:
        for i in range(lots):
            await ledger.receive(session=s, actor_id=None, depot_id=w.depot, item_id=w.items[item],
                                 quantity=total // lots, received_on=ledger.today(),
                                 expires_on=ledger.today() + timedelta(days=30 + i),
                                 source="donation")  # fmt: skip


async def _service(db: Database, w: World, item: uuid.UUID) -> bool:
    try:
        async with db.transaction() as s:
            await reserve.reserve_lines(session=s, actor_id=None, need_id=w.need,
                                        lines=[(item, w.depot, 1)])  # fmt: skip
        return True
    except Conflict:
        return False


async def _baseline(db: Database, w: World, item: uuid.UUID, epoch: str) -> bool:
    async with db.transaction() as s:
        now, today = clock.now(), ledger.today()
        lots = await s.execute(
            select(Lot.id, FREE)
            .where(Lot.depot_id == w.depot, Lot.item_id == item, Lot.is_drill.is_(False),
                   or_(Lot.expires_on.is_(None), Lot.expires_on >= today), FREE > 0)
            .order_by(Lot.expires_on.is_(None), Lot.expires_on, Lot.received_on, Lot.id)
        )  # fmt: skip
        for lot_id, _ in lots.all():
            took = await s.execute(update(Lot).where(Lot.id == lot_id, FREE >= 1)
                                   .values(reserved=Lot.reserved + 1, updated_at=now))  # fmt: skip
            if took.rowcount == 1:
                break
        else:
            return False
        rid = uuid7()
        await s.execute(insert(Reservation).values(
            id=rid, need_id=w.need, item_id=item, depot_id=w.depot, area_path=w.path, quantity=1,
            issued=0, status="active", is_drill=False, created_at=now, updated_at=now))  # fmt: skip
        await s.execute(
            insert(ReservationLot).values(reservation_id=rid, lot_id=lot_id, quantity=1)
        )
        await s.execute(insert(Move).values(
            lot_id=lot_id, depot_id=w.depot, item_id=item, area_path=w.path, kind="reserve",
            on_hand_delta=0, reserved_delta=1, need_id=w.need, incident_id=w.incident,
            reservation_id=rid, reason="", at=now, is_drill=False))  # fmt: skip
        await _outbox(s, epoch, rid, w)
    return True


async def _outbox(s: AsyncSession, epoch: str, rid: uuid.UUID, w: World) -> None:
    values: dict[str, Any] = {"epoch": epoch, "type": "stock.reserved", "created_at": clock.now(),
                              "payload": {"reservation_id": str(rid), "quantity": 1}}  # fmt: skip
    if s.bind.dialect.name == "postgresql":
        values["txid"] = literal_column("pg_current_xact_id()::text::bigint")
    seq = await s.scalar(insert(OutboxEvent).values(**values).returning(OutboxEvent.seq))
    keys = [f"area:{w.path}", f"incident:{w.incident}"]
    await s.execute(insert(OutboxStream), [{"seq": seq, "stream": k} for k in keys])


async def _clients(one: Any) -> tuple[float, int, int]:
    """Reservations per second over CLIENTS concurrent clients; how many succeeded; and how
    many transactions hit SQLite's busy timeout (retried: nothing was written)."""
    busy = 0

    async def attempt() -> bool:
        nonlocal busy
        while True:
            try:
                return await one()
            except OperationalError as exc:
                if "database is locked" not in str(exc) or busy >= 50:
                    raise
                busy += 1

    async def client() -> int:
        return sum([await attempt() for _ in range(PER_CLIENT)])

    start = time.perf_counter()
    done = sum(await asyncio.gather(*(client() for _ in range(CLIENTS))))
    return done / (time.perf_counter() - start), done, busy


async def _oversold(db: Database, item: uuid.UUID) -> int:
    """Units promised beyond stock or off the ledger (0 when all is well)."""
    async with db.reader() as s:
        bad = 0
        for lot_id, on_hand, reserved in await s.execute(
            select(Lot.id, Lot.on_hand, Lot.reserved).where(Lot.item_id == item)
        ):
            ledger_sums = await ledger.ledger_balance(session=s, lot_id=lot_id)
            bad += max(0, reserved - on_hand) + int(ledger_sums != (on_hand, reserved))
        held = await s.scalar(select(func.coalesce(func.sum(Reservation.quantity), 0))
                              .where(Reservation.item_id == item))  # fmt: skip
        lots = await s.scalar(select(func.sum(Lot.reserved)).where(Lot.item_id == item))
        return bad + abs(int(held) - int(lots or 0))


async def run(url: str, label: str) -> None:
    db = Database(url)
    try:
        if not db.is_sqlite:
            await wipe_postgres(db)
        await upgrade(db)
        w = await _world(db)
        attempts = CLIENTS * PER_CLIENT
        for item in ("SERVICE", "BASELINE"):
            await _stock(db, w, item, attempts)
        async with db.reader() as s:
            epoch = await current_epoch(s)
        base_item, svc_item = w.items["BASELINE"], w.items["SERVICE"]
        baseline, base_ok, base_busy = await _clients(lambda: _baseline(db, w, base_item, epoch))
        service, svc_ok, svc_busy = await _clients(lambda: _service(db, w, svc_item))
        oversold = await _oversold(db, svc_item) + await _oversold(db, base_item)
        lines = await _batch(db, w)
        oversold += await _oversold(db, w.items["WATER"]) + await _oversold(db, w.items["RICE"])
    finally:
        await db.dispose()
    print(f"[{label}] baseline, same statements by hand, {CLIENTS} clients: {baseline:8.0f} res/s"
          f" ({base_ok}/{attempts} reserved)")  # fmt: skip
    print(f"[{label}] reserve_lines, {CLIENTS} clients:                   {service:8.0f} res/s"
          f" ({svc_ok}/{attempts} reserved)")  # fmt: skip
    ratio = service / baseline
    verdict = "meets" if ratio >= 0.35 else "BELOW"
    print(f"[{label}] ratio service / baseline:                   {ratio:8.0%} "
          f"({verdict} the 35 % target)")  # fmt: skip
    print(f"[{label}] reserve_batch, {BATCH_NEEDS} needs x 2 lines a transaction:"
          f" {lines:8.0f} lines/s")  # fmt: skip
    print(f"[{label}] oversold or off-ledger units:                {oversold:8d}")
    print(f"[{label}] busy timeouts retried (baseline, service):   {base_busy:4d}, {svc_busy}")
    if oversold or svc_ok != attempts or base_ok != attempts:
        raise SystemExit(f"[{label}] stock check failed")


async def _batch(db: Database, w: World) -> float:
    total = BATCH_NEEDS * BATCHES
    for item in ("WATER", "RICE"):
        await _stock(db, w, item, total)
    requests = [(n, [(w.items["WATER"], w.depot, 1), (w.items["RICE"], w.depot, 1)])
                for n in w.needs]  # fmt: skip
    start = time.perf_counter()
    for _ in range(BATCHES):
        async with db.transaction() as s:
            done = await reserve.reserve_batch(session=s, actor_id=None, requests=requests)
        assert all(d.ok for d in done)
    return 2 * total / (time.perf_counter() - start)


if __name__ == "__main__":
    engines.main(run)
