"""The stock ledger: receive, transfer, adjust, write-off; balances equal the ledger sums."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.errors import Conflict, Invalid, NotFound
from core.events.models import OutboxEvent, OutboxStream
from core.incidents.need_models import Need
from core.registry.depots.models import Depot
from core.registry.items.models import Item
from core.stock import ledger
from core.stock.models import Lot, Move
from tests.core.incidents.needs_world import make_incident
from tests.factories import two_counties


@dataclass
class StockWorld:
    depot: uuid.UUID  # county A
    depot2: uuid.UUID  # county A, another site
    depot_b: uuid.UUID  # county B
    water: uuid.UUID
    rice: uuid.UUID
    incident: uuid.UUID
    need: uuid.UUID  # real
    drill_need: uuid.UUID
    path: str  # county A's area path


async def make_item(session: AsyncSession, code: str) -> uuid.UUID:
    now = clock.now()
    item = Item(code=code, name_zh=code, name_en=code, base_unit="L", pack_sizes=[],
                category="water", created_at=now, updated_at=now)  # fmt: skip
    session.add(item)
    await session.flush()
    return item.id


async def make_need(
    session: AsyncSession, incident: uuid.UUID, path: str, drill: bool
) -> uuid.UUID:
    now = clock.now()
    need = Need(incident_id=incident, area_path=path, source="coordinator", kind="supplies",
                skills=[], languages=[], severity=3, lon=99.95, lat=25.67, is_drill=drill,
                created_at=now, updated_at=now)  # fmt: skip
    session.add(need)
    await session.flush()
    return need.id


async def stock_world(session: AsyncSession) -> StockWorld:
    tc = await two_counties(session)
    now = clock.now()
    depots = [
        Depot(name=name, kind="warehouse", area_id=county.id, area_path=county.area_path,
              lon=lon, lat=lat, address="", opening_hours={}, created_at=now, updated_at=now)
        for name, county, lon, lat in [("甲库", tc.county_a, 99.95, 25.67),
                                       ("乙库", tc.county_a, 99.96, 25.68),
                                       ("祥云库", tc.county_b, 100.6, 25.4)]
    ]  # fmt: skip
    session.add_all(depots)
    await session.flush()
    water, rice = await make_item(session, "WATER-L"), await make_item(session, "RICE-KG")
    incident = await make_incident(session, [tc.township_a])
    drill = await make_incident(session, [tc.township_a], drill=True, title="演练")
    path = tc.county_a.area_path
    return StockWorld(
        depots[0].id, depots[1].id, depots[2].id, water, rice, incident,
        await make_need(session, incident, path, False),
        await make_need(session, drill, path, True), path,
    )  # fmt: skip


def days(n: int) -> date:
    return ledger.today() + timedelta(days=n)


async def lot_counts(session: AsyncSession, lot_id: uuid.UUID) -> tuple[int, int]:
    row = (await session.execute(select(Lot.on_hand, Lot.reserved).where(Lot.id == lot_id))).one()
    return int(row[0]), int(row[1])


async def count(session: AsyncSession, model: type) -> int:
    return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def receive(session: AsyncSession, w: StockWorld, q: int = 100, **kw) -> uuid.UUID:  # type: ignore[no-untyped-def]
    args = {"depot_id": w.depot, "item_id": w.water, "received_on": days(-10),
            "expires_on": days(300), "source": "donation", **kw}  # fmt: skip
    return await ledger.receive(session=session, actor_id=None, quantity=q, **args)


async def assert_ledger_matches(session: AsyncSession, lot_id: uuid.UUID) -> None:
    assert await ledger.ledger_balance(session=session, lot_id=lot_id) == await lot_counts(
        session, lot_id
    )


async def test_receive_writes_lot_move_and_event(session) -> None:
    w = await stock_world(session)
    lot = await receive(session, w, 120, donor="张三", donor_anonymous=True)
    assert await lot_counts(session, lot) == (120, 0)
    await assert_ledger_matches(session, lot)
    kind = await session.scalar(select(Move.kind).where(Move.lot_id == lot))
    assert kind == "receive"
    ev = await session.scalar(select(OutboxEvent).order_by(OutboxEvent.seq.desc()).limit(1))
    assert ev.type == "stock.received" and ev.payload["quantity"] == 120
    assert "张三" not in str(ev.payload)  # no personal data in events
    streams = set(
        await session.scalars(select(OutboxStream.stream).where(OutboxStream.seq == ev.seq))
    )
    assert streams == {f"area:{w.path}"}


@pytest.mark.parametrize(
    ("change", "loc"),
    [
        ({"quantity": 0}, "quantity"),
        ({"quantity": -5}, "quantity"),
        ({"item_id": uuid.uuid4()}, "item_id"),
        ({"depot_id": uuid.uuid4()}, "depot_id"),
        ({"expires_on": days(-20)}, "expires_on"),
        ({"source": "stolen"}, "source"),
    ],
)
async def test_receive_bad_input_names_field_and_writes_nothing(session, change, loc) -> None:
    w = await stock_world(session)
    args = {"depot_id": w.depot, "item_id": w.water, "received_on": days(-10),
            "expires_on": days(300), "source": "donation", "quantity": 10, **change}  # fmt: skip
    with pytest.raises(Invalid) as err:
        await ledger.receive(session=session, actor_id=None, **args)
    assert err.value.errors[0].loc == (loc,)
    assert (await count(session, Lot), await count(session, Move)) == (0, 0)


async def test_transfer_moves_free_stock_to_a_new_lot(session) -> None:
    w = await stock_world(session)
    lot = await receive(session, w, 50, expires_on=days(30))
    new = await ledger.transfer(session=session, actor_id=None, lot_id=lot,
                                to_depot_id=w.depot_b, quantity=20)  # fmt: skip
    assert await lot_counts(session, lot) == (30, 0)
    assert await lot_counts(session, new) == (20, 0)
    row = (await session.execute(select(Lot.depot_id, Lot.expires_on, Lot.source, Lot.area_path)
                                 .where(Lot.id == new))).one()  # fmt: skip
    assert (row.depot_id, row.expires_on, row.source) == (w.depot_b, days(30), "donation")
    moves = list(await session.execute(select(Move.kind, Move.transfer_id).where(
        Move.kind.in_(["transfer_out", "transfer_in"]))))  # fmt: skip
    assert sorted(k for k, _ in moves) == ["transfer_in", "transfer_out"]
    assert moves[0][1] is not None and moves[0][1] == moves[1][1]
    for lot_id in (lot, new):
        await assert_ledger_matches(session, lot_id)


async def test_transfer_refuses_same_depot_and_more_than_free(session) -> None:
    w = await stock_world(session)
    lot = await receive(session, w, 10)
    before = await count(session, Move)
    with pytest.raises(Invalid) as err:
        await ledger.transfer(session=session, actor_id=None, lot_id=lot, to_depot_id=w.depot,
                              quantity=1)  # fmt: skip
    assert err.value.errors[0].loc == ("to_depot_id",)
    with pytest.raises(Conflict) as conflict:
        await ledger.transfer(session=session, actor_id=None, lot_id=lot,
                              to_depot_id=w.depot2, quantity=11)  # fmt: skip
    assert conflict.value.status == 409 and conflict.value.extra["available"] == 10
    with pytest.raises(NotFound):
        await ledger.transfer(session=session, actor_id=None, lot_id=uuid.uuid4(),
                              to_depot_id=w.depot2, quantity=1)  # fmt: skip
    assert await count(session, Move) == before and await count(session, Lot) == 1
    assert await lot_counts(session, lot) == (10, 0)


async def test_adjust_and_write_off(session) -> None:
    w = await stock_world(session)
    lot = await receive(session, w, 40)
    await ledger.adjust(session=session, actor_id=None, lot_id=lot, delta=5, reason="盘点")
    await ledger.adjust(session=session, actor_id=None, lot_id=lot, delta=-3, reason="盘点")
    await ledger.write_off(session=session, actor_id=None, lot_id=lot, quantity=2, reason="damaged")
    assert await lot_counts(session, lot) == (40, 0)
    await assert_ledger_matches(session, lot)
    types = list(await session.scalars(select(OutboxEvent.type).order_by(OutboxEvent.seq)))
    assert types[-3:] == ["stock.adjusted", "stock.adjusted", "stock.written_off"]


async def test_adjust_and_write_off_refuse_bad_input(session) -> None:
    w = await stock_world(session)
    lot = await receive(session, w, 5)
    before = await count(session, Move)
    for kwargs, loc in [
        ({"delta": 0, "reason": "x"}, "delta"),
        ({"delta": 2, "reason": " "}, "reason"),
    ]:
        with pytest.raises(Invalid) as err:
            await ledger.adjust(session=session, actor_id=None, lot_id=lot, **kwargs)
        assert err.value.errors[0].loc == (loc,)
    with pytest.raises(Invalid) as err:
        await ledger.write_off(session=session, actor_id=None, lot_id=lot, quantity=1, reason="meh")
    assert err.value.errors[0].loc == ("reason",)
    with pytest.raises(Conflict) as conflict:
        await ledger.adjust(session=session, actor_id=None, lot_id=lot, delta=-6, reason="盘点")
    assert conflict.value.extra["available"] == 5
    with pytest.raises(Conflict):
        await ledger.write_off(session=session, actor_id=None, lot_id=lot, quantity=6,
                               reason="expired")  # fmt: skip
    assert await count(session, Move) == before
    assert await lot_counts(session, lot) == (5, 0)
