"""Point columns on both engines: lon/lat with range checks; on PostGIS a generated,
GiST-indexed geography column that answers KNN and ST_DWithin spherically."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import Column, MetaData, Table, Uuid, insert, text
from sqlalchemy.exc import IntegrityError

from core.db import Database, postgis_point_ddl
from core.geo.shapes import PointMixin, point_checks

metadata = MetaData()
probe = Table(
    "point_probe",
    metadata,
    Column("id", Uuid, primary_key=True),
    *[
        Column(name, PointMixin.__dict__[name].column.type, nullable=False)
        for name in ("lon", "lat")
    ],
    *point_checks(),
)


@pytest.fixture
async def probe_table(database: Database):
    async with database.engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
        if not database.is_sqlite:
            for statement in postgis_point_ddl("point_probe"):
                await conn.execute(text(statement))
    yield probe
    async with database.engine.begin() as conn:
        await conn.run_sync(metadata.drop_all)


async def test_out_of_range_point_is_refused_by_the_database(database: Database, probe_table):
    async with database.writer() as s:
        with pytest.raises(IntegrityError):
            await s.execute(insert(probe_table).values(id=uuid.uuid4(), lon=181.0, lat=25.0))
        await s.rollback()
        with pytest.raises(IntegrityError):
            await s.execute(insert(probe_table).values(id=uuid.uuid4(), lon=100.0, lat=-91.0))


@pytest.mark.only_engine("postgresql")
async def test_generated_geography_answers_knn_and_dwithin(database: Database, probe_table):
    # 漾濞 county seat, a point ~1.1 km east, and one ~55 km north.
    points = {"seat": (99.955, 25.670), "near": (99.966, 25.670), "far": (99.955, 26.170)}
    ids = {name: uuid.uuid4() for name in points}
    async with database.transaction() as s:
        await s.execute(
            insert(probe_table),
            [{"id": ids[n], "lon": lon, "lat": lat} for n, (lon, lat) in points.items()],
        )
    async with database.reader() as s:
        geog_type = await s.scalar(
            text("SELECT type FROM geography_columns WHERE f_table_name = 'point_probe'")
        )
        assert geog_type == "Point"
        here = "ST_SetSRID(ST_MakePoint(99.955, 25.670), 4326)::geography"
        order = (
            (await s.execute(text(f"SELECT id FROM point_probe ORDER BY geog <-> {here}")))
            .scalars()
            .all()
        )
        assert order == [ids["seat"], ids["near"], ids["far"]]
        within = (
            (
                await s.execute(
                    text(f"SELECT id FROM point_probe WHERE ST_DWithin(geog, {here}, 2000, false)")
                )
            )
            .scalars()
            .all()
        )
        assert set(within) == {ids["seat"], ids["near"]}
        await s.execute(text("SET LOCAL enable_seqscan = off"))
        plan = "\n".join(
            (
                await s.execute(
                    text(
                        "EXPLAIN SELECT id FROM point_probe "
                        f"WHERE ST_DWithin(geog, {here}, 2000, false)"
                    )
                )
            ).scalars()
        )
        index = await s.scalar(
            text("SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_point_probe_geog'")
        )
    assert "USING gist (geog)" in index
    assert "ix_point_probe_geog" in plan  # the spherical predicate can use the GiST index
