"""Shadow stock: a live drill gets copies of the real lots it may use; real lots stay put."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from core.app import create_app
from core.incidents import hooks
from core.incidents.need_models import Need
from core.incidents.service import open_mutual_aid
from core.registry.areas.models import Area
from core.registry.depots.models import Depot
from core.stock import ledger, reserve
from core.stock.models import Lot, Move
from core.stock.shadow import ancestor_paths, copy_shadow_lots, shadow_for_live_drill
from tests.core.stock.test_ledger import StockWorld, stock_world


async def _receive(session, w: StockWorld, depot, item, quantity: int, **kw):
    return await ledger.receive(session=session, actor_id=None, depot_id=depot, item_id=item,
                                quantity=quantity, received_on=ledger.today() - timedelta(days=10),
                                source="donation", **kw)  # fmt: skip


async def _real_state(session) -> list[tuple]:
    lots = await session.execute(select(Lot.id, Lot.on_hand, Lot.reserved)
                                 .where(Lot.is_drill.is_(False)).order_by(Lot.id))  # fmt: skip
    moves = await session.scalar(select(func.count()).select_from(Move)
                                 .where(Move.is_drill.is_(False)))  # fmt: skip
    return [*lots.all(), moves]


async def _drill_incident(session, w: StockWorld):
    return await session.scalar(select(Need.incident_id).where(Need.id == w.drill_need))


async def test_ancestor_paths_stop_at_the_county() -> None:
    township = "530000000000/532900000000/532922000000/532922100000/"
    assert ancestor_paths(township) == ["530000000000/532900000000/532922000000/"]
    assert ancestor_paths("530000000000/532900000000/532922000000/") == []
    assert ancestor_paths(township + "532922100001/") == [
        "530000000000/532900000000/532922000000/",
        township,
    ]


async def test_a_live_drill_copies_free_real_stock_of_its_area_only(session) -> None:
    w = await stock_world(session)
    water = await _receive(session, w, w.depot, w.water, 10,
                           expires_on=ledger.today() + timedelta(days=30))  # fmt: skip
    await _receive(session, w, w.depot2, w.rice, 4)  # no expiry
    await _receive(session, w, w.depot, w.rice, 6, expires_on=ledger.today() - timedelta(days=1))
    await _receive(session, w, w.depot_b, w.water, 7)  # county B: outside the drill's area
    await reserve.reserve_lines(session=session, actor_id=None, need_id=w.need,
                                lines=[(w.water, w.depot, 3)])  # fmt: skip
    before = await _real_state(session)
    drill = await _drill_incident(session, w)

    await shadow_for_live_drill(session=session, incident_id=drill, hazard="earthquake",
                                community_ids=[])  # fmt: skip

    shadows = (await session.scalars(select(Lot).where(Lot.is_drill.is_(True)))).all()
    got = sorted((s.depot_id == w.depot, s.item_id == w.water, s.on_hand) for s in shadows)
    assert got == [(False, False, 4), (True, True, 7)]  # free water only; expired rice not
    water_shadow = next(s for s in shadows if s.item_id == w.water)
    assert water_shadow.shadow_of == water and water_shadow.drill_incident_id == drill
    assert water_shadow.reserved == 0 and water_shadow.area_path == w.path
    for s in shadows:
        assert await ledger.ledger_balance(session=session, lot_id=s.id) == (s.on_hand, 0)
    assert await _real_state(session) == before


async def test_a_drill_need_reserves_shadow_stock_and_real_lots_stay_unchanged(session) -> None:
    w = await stock_world(session)
    await _receive(session, w, w.depot, w.water, 10)
    drill = await _drill_incident(session, w)
    assert await copy_shadow_lots(session=session, incident_id=drill, area_path=w.path) == 1
    before = await _real_state(session)
    [line] = await reserve.reserve_lines(session=session, actor_id=None, need_id=w.drill_need,
                                         lines=[(w.water, w.depot, 8)], is_drill=True)  # fmt: skip
    [take] = line.lots
    shadow = await session.get(Lot, take.lot_id, populate_existing=True)
    assert shadow.is_drill and shadow.reserved == 8
    assert await _real_state(session) == before


async def test_a_real_incident_gets_no_shadow_stock_and_the_app_registers_the_hook(
    session,
) -> None:
    w = await stock_world(session)
    await _receive(session, w, w.depot, w.water, 10)
    await shadow_for_live_drill(session=session, incident_id=w.incident, hazard="earthquake",
                                community_ids=[])  # fmt: skip
    assert await session.scalar(select(func.count()).select_from(Lot)
                                .where(Lot.is_drill.is_(True))) == 0  # fmt: skip
    create_app(background=False)
    assert shadow_for_live_drill in hooks.activation_hooks()


async def _area_code_of(session, depot) -> str:
    return await session.scalar(select(Area.code).join(Depot, Depot.area_id == Area.id)
                                .where(Depot.id == depot))  # fmt: skip


async def _shadows(session, drill) -> list[tuple]:
    rows = await session.execute(select(Lot.shadow_of, Lot.on_hand)
                                 .where(Lot.drill_incident_id == drill))  # fmt: skip
    return sorted(rows.all())


async def test_areas_opened_for_mutual_aid_in_a_live_drill_get_shadow_stock_once(session) -> None:
    w = await stock_world(session)
    water_a = await _receive(session, w, w.depot, w.water, 10)
    water_b = await _receive(session, w, w.depot_b, w.water, 7)  # county B
    drill = await _drill_incident(session, w)
    await shadow_for_live_drill(session=session, incident_id=drill, hazard="earthquake",
                                community_ids=[])  # fmt: skip
    assert await _shadows(session, drill) == [(water_a, 10)]
    rice_a = await _receive(session, w, w.depot2, w.rice, 5)  # after the drill began
    before = await _real_state(session)

    await open_mutual_aid(session=session, principal=None, incident_id=drill,
                          area_codes=[await _area_code_of(session, w.depot_b)])  # fmt: skip
    assert await _shadows(session, drill) == sorted([(water_a, 10), (water_b, 7)])
    # county A holds the drill's own area: only the lot not yet shadowed is copied
    await open_mutual_aid(session=session, principal=None, incident_id=drill,
                          area_codes=[await _area_code_of(session, w.depot)])  # fmt: skip
    assert await _shadows(session, drill) == sorted([(water_a, 10), (water_b, 7), (rice_a, 5)])
    for s in (await session.scalars(select(Lot).where(Lot.drill_incident_id == drill))).all():
        assert s.is_drill and s.reserved == 0
        assert await ledger.ledger_balance(session=session, lot_id=s.id) == (s.on_hand, 0)
    assert await _real_state(session) == before


async def test_mutual_aid_for_a_real_incident_copies_nothing(session) -> None:
    w = await stock_world(session)
    await _receive(session, w, w.depot_b, w.water, 7)
    await open_mutual_aid(session=session, principal=None, incident_id=w.incident,
                          area_codes=[await _area_code_of(session, w.depot_b)])  # fmt: skip
    assert await session.scalar(select(func.count()).select_from(Lot)
                                .where(Lot.is_drill.is_(True))) == 0  # fmt: skip
