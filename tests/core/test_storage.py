"""Storage basics on both engines: migrations, UTC times, polygons, points, SQLite pragmas."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from shapely.geometry import MultiPolygon, Polygon
from sqlalchemy import select, text

from core.db import Database, rows_of
from core.migrate import current_revision, head_revision
from core.registry.areas.models import Area, AreaLevel
from tests.factories import make_area


async def test_migrated_to_head(database: Database) -> None:
    assert await current_revision(database) == head_revision()


async def test_times_come_back_aware_utc(session) -> None:
    local = datetime(2026, 5, 21, 21, 48, tzinfo=timezone(timedelta(hours=8)))
    area = await make_area(session, code="530000000000", name="云南省", level=AreaLevel.province)
    area.created_at = local
    await session.flush()
    area_id = area.id
    session.expire_all()
    loaded = await session.get(Area, area_id)
    assert loaded.created_at == local
    assert loaded.created_at.tzinfo is not None
    assert loaded.created_at.utcoffset() == timedelta(0)


async def test_naive_time_is_refused(session) -> None:
    area = await make_area(session, code="530000000000", name="云南省", level=AreaLevel.province)
    area.updated_at = datetime(2026, 1, 1)
    with pytest.raises(Exception, match="naive datetime"):
        await session.flush()


async def test_polygon_round_trip_and_bbox(session) -> None:
    ring = [(99.9, 25.6), (100.0, 25.6), (100.0, 25.7), (99.9, 25.7), (99.9, 25.6)]
    shape = MultiPolygon([Polygon(ring)])
    area = await make_area(
        session, code="530000000000", name="云南省", level=AreaLevel.province, boundary=shape
    )
    area_id = area.id
    session.expire_all()
    loaded = await session.get(Area, area_id)
    assert loaded.boundary.equals(shape)
    assert (loaded.min_lon, loaded.min_lat, loaded.max_lon, loaded.max_lat) == (
        99.9,
        25.6,
        100.0,
        25.7,
    )


@pytest.mark.only_engine("postgresql")
async def test_postgis_column_types_and_gist_indexes(session) -> None:
    ring = [(99.9, 25.6), (100.0, 25.6), (100.0, 25.7), (99.9, 25.7), (99.9, 25.6)]
    await make_area(
        session,
        code="530000000000",
        name="云南省",
        level=AreaLevel.province,
        boundary=MultiPolygon([Polygon(ring)]),
    )
    kind = await session.scalar(
        text(
            "SELECT type FROM geometry_columns "
            "WHERE f_table_name = 'area' AND f_geometry_column = 'boundary'"
        )
    )
    assert kind == "MULTIPOLYGON"
    covers = await session.scalar(
        text("SELECT ST_Covers(boundary, ST_SetSRID(ST_MakePoint(99.95, 25.65), 4326)) FROM area")
    )
    assert covers is True
    indexes = set(
        await session.scalars(
            text("SELECT indexname FROM pg_indexes WHERE indexdef ILIKE '%USING gist%'")
        )
    )
    assert {"ix_area_boundary", "ix_grid_boundary"} <= indexes


async def test_sqlite_pragmas_and_immediate_writes(tmp_path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path}/p.db", busy_timeout_ms=1234)
    try:
        async with db.writer() as s:
            assert (await s.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
            assert (await s.execute(text("PRAGMA foreign_keys"))).scalar() == 1
            assert (await s.execute(text("PRAGMA busy_timeout"))).scalar() == 1234
            assert (await s.execute(text("PRAGMA cache_size"))).scalar() == -64 * 1024
            # BEGIN IMMEDIATE took the write lock: another writer cannot start.
            other = Database(f"sqlite+aiosqlite:///{tmp_path}/p.db", busy_timeout_ms=50,
                             cache_mb=8)  # fmt: skip
            try:
                async with other.writer() as s2:
                    with pytest.raises(Exception, match="locked"):
                        await s2.execute(text("SELECT 1"))
                # …while a reader still can.
                async with other.reader() as r:
                    assert (await r.execute(text("SELECT 1"))).scalar() == 1
                    assert (await r.execute(text("PRAGMA cache_size"))).scalar() == -8 * 1024
            finally:
                await other.dispose()
    finally:
        await db.dispose()


async def test_rows_of_reads_columns_after_flushing_pending_changes(session) -> None:
    prov = await make_area(session, code="530000000000", name="云南省", level=AreaLevel.province)
    prov.name = "云南"  # pending, not flushed
    rows = await rows_of(session, select(Area.id, Area.name).where(Area.code == prov.code))
    assert [tuple(r) for r in rows] == [(prov.id, "云南")]
    assert rows[0].name == "云南"


async def test_area_rows_visible_by_prefix(session) -> None:
    prov = await make_area(session, code="530000000000", name="云南省", level=AreaLevel.province)
    pref = await make_area(
        session, code="532900000000", name="大理州", level=AreaLevel.prefecture, parent=prov
    )
    rows = (
        await session.scalars(select(Area.code).where(Area.area_path.startswith(pref.area_path)))
    ).all()
    assert rows == ["532900000000"]
    assert datetime.now(UTC) > prov.created_at - timedelta(seconds=5)
