"""UUIDs read back on SQLite through the fast reader are the UUIDs written."""

from __future__ import annotations

import pickle
import uuid
from pathlib import Path

from sqlalchemy import Column, MetaData, Table, Uuid, insert, select, text

from core import db_uuid
from core.db import Database
from core.db_uuid import HexUuid, uuid_from_hex
from core.ids import uuid7


def test_the_32_digit_form_gives_the_same_uuid() -> None:
    for u in [uuid.uuid4() for _ in range(200)] + [uuid7(), uuid.UUID(int=0)]:
        made = uuid_from_hex(u.hex)
        assert made == u and hash(made) == hash(u) and str(made) == str(u)
        assert made.version == u.version and made.is_safe == u.is_safe
        assert pickle.loads(pickle.dumps(made)) == u
    u = uuid.uuid4()
    assert uuid_from_hex(str(u)) == u  # any other spelling: the general constructor


def test_a_repeated_id_is_the_kept_object_and_the_kept_ids_are_bounded(monkeypatch) -> None:
    monkeypatch.setattr(db_uuid, "_kept", {})
    monkeypatch.setattr(db_uuid, "MAX_KEPT", 100)
    u = uuid.uuid4()
    first = uuid_from_hex(u.hex)
    again = uuid_from_hex("".join(list(u.hex)))  # an equal string, another object
    assert again is first and again == u
    made = [uuid.uuid4() for _ in range(250)]
    assert [uuid_from_hex(m.hex) for m in made] == made
    assert 0 < len(db_uuid._kept) <= 100


async def test_sqlite_reads_uuid_columns_back_equal(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'u.sqlite'}")
    things = Table("thing", MetaData(), Column("id", Uuid, primary_key=True),
                   Column("other", Uuid, nullable=True))  # fmt: skip
    written = [uuid7() for _ in range(50)]
    dashed = uuid.uuid4()
    try:
        async with db.engine.begin() as conn:
            await conn.run_sync(things.metadata.create_all)
            await conn.execute(insert(things), [{"id": u, "other": None} for u in written])
            await conn.execute(text("INSERT INTO thing (id) VALUES (:v)"), {"v": str(dashed)})
        assert isinstance(things.c.id.type.dialect_impl(db.engine.dialect), HexUuid)
        async with db.reader() as session:
            rows = list(await session.execute(select(things.c.id, things.c.other)))
            found = await session.scalar(select(things.c.id).where(things.c.id == written[7]))
    finally:
        await db.dispose()
    assert sorted(r.id for r in rows) == sorted([*written, dashed])
    assert all(type(r.id) is uuid.UUID and r.other is None for r in rows)
    assert found == written[7]
