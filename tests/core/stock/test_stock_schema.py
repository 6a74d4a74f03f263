"""The stock tables enforce their invariants in the database itself, on both engines."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import delete, insert, text, update
from sqlalchemy.exc import DBAPIError, IntegrityError

from core import clock
from core.db import Database
from core.registry.depots.models import Depot
from core.registry.items.models import Item
from core.stock.models import FundMove, Lot, Move
from tests.factories import two_counties


async def _lot(session) -> Lot:  # type: ignore[no-untyped-def]
    world = await two_counties(session)
    now = clock.now()
    depot = Depot(name="库", kind="warehouse", area_id=world.county_a.id,
                  area_path=world.county_a.area_path, lon=99.95, lat=25.67, address="",
                  opening_hours={}, created_at=now, updated_at=now)  # fmt: skip
    item = Item(code="WATER-L", name_zh="饮用水", name_en="Water", base_unit="L", pack_sizes=[],
                category="water", created_at=now, updated_at=now)  # fmt: skip
    session.add_all([depot, item])
    await session.flush()
    lot = Lot(depot_id=depot.id, item_id=item.id, area_path=depot.area_path, on_hand=50,
              reserved=0, received_on=date(2026, 11, 1), expires_on=date(2027, 11, 1),
              source="donation", created_at=now, updated_at=now)  # fmt: skip
    session.add(lot)
    await session.flush()
    return lot


async def test_reserved_never_exceeds_on_hand(session) -> None:
    lot = await _lot(session)
    with pytest.raises(IntegrityError):
        async with session.begin_nested():
            await session.execute(update(Lot).where(Lot.id == lot.id).values(reserved=51))
    with pytest.raises(IntegrityError):
        async with session.begin_nested():
            await session.execute(
                update(Lot).where(Lot.id == lot.id).values(on_hand=-1, reserved=0)
            )
    # The conditional update of DESIGN.md "Known traps" touches no row when stock is short.
    short = await session.execute(
        update(Lot).where(Lot.id == lot.id, Lot.on_hand - Lot.reserved >= 60).values(
            reserved=Lot.reserved + 60)
    )  # fmt: skip
    assert short.rowcount == 0


async def test_expiry_before_receipt_is_refused(session) -> None:
    lot = await _lot(session)
    with pytest.raises(IntegrityError):
        async with session.begin_nested():
            await session.execute(
                update(Lot).where(Lot.id == lot.id).values(expires_on=date(2026, 10, 1))
            )


async def test_ledger_rows_cannot_be_changed_or_deleted(database: Database, session) -> None:
    lot = await _lot(session)
    await session.execute(
        insert(Move).values(lot_id=lot.id, depot_id=lot.depot_id, item_id=lot.item_id,
                            area_path=lot.area_path, kind="receive", on_hand_delta=50,
                            reserved_delta=0, reason="", at=clock.now(), is_drill=False)
    )  # fmt: skip
    for statement in (
        update(Move).values(on_hand_delta=500),
        delete(Move),
    ):
        with pytest.raises((IntegrityError, DBAPIError), match="append-only"):
            async with session.begin_nested():
                await session.execute(statement)
    assert await session.scalar(text("SELECT on_hand_delta FROM stock_move")) == 50


async def test_fund_ledger_is_append_only(session) -> None:
    from core.registry.orgs.models import CommunityFund, Organization

    world = await two_counties(session)
    now = clock.now()
    org = Organization(name="慈善总会", kind="charity_organization", registration="registered",
                       area_id=world.county_a.id, area_path=world.county_a.area_path,
                       public_fundraising=True, created_at=now, updated_at=now)  # fmt: skip
    session.add(org)
    await session.flush()
    fund = CommunityFund(name="慈善总会苍山西镇同心社区基金", zihao="同心", host_org_id=org.id,
                         area_id=world.township_a.id, area_path=world.township_a.area_path,
                         created_at=now, updated_at=now)  # fmt: skip
    session.add(fund)
    await session.flush()
    await session.execute(
        insert(FundMove).values(fund_id=fund.id, kind="donation", amount_fen=100_00,
                                description="", at=now, is_drill=False)
    )  # fmt: skip
    with pytest.raises(IntegrityError):
        async with session.begin_nested():
            await session.execute(
                insert(FundMove).values(fund_id=fund.id, kind="donation", amount_fen=0,
                                        description="", at=now, is_drill=False)
            )  # fmt: skip
    with pytest.raises((IntegrityError, DBAPIError), match="append-only"):
        async with session.begin_nested():
            await session.execute(update(FundMove).values(amount_fen=1))
