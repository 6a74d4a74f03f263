"""Stock-count CSV import: sets lots to the counted figure, finds new lots, all or nothing."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from core.auth.roles import SYSTEM, Principal, Role
from core.cli import app as cli
from core.errors import Invalid
from core.events.models import OutboxEvent
from core.ids import uuid7
from core.stock import reserve
from core.stock.audit import audit
from core.stock.counts import import_counts, read_count_csv
from core.stock.models import Lot, Move
from tests.conftest import bearer_for
from tests.core.stock.test_alerts import cli_db, seed  # noqa: F401  (fixture)
from tests.core.stock.test_ledger import StockWorld, count, days, lot_counts, receive, stock_world

COUNTS = "/api/v1/stock/counts"
HEADER = "depot_id,item_code,counted,lot_id,expires_on,reason\n"


async def _lots(session, w: StockWorld) -> tuple:  # type: ignore[no-untyped-def]
    """(a: 100, 10 reserved; b: 40; c: 20 rice in depot2; b_other: county B)."""
    a, b = await receive(session, w, 100), await receive(session, w, 40, expires_on=days(30))
    c = await receive(session, w, 20, item_id=w.rice, depot_id=w.depot2)
    other = await receive(session, w, 9, depot_id=w.depot_b)
    await reserve.reserve_lines(session=session, actor_id=None, need_id=w.need,
                                lines=[(w.water, w.depot, 10)])  # b expires first  # fmt: skip
    return a, b, c, other


def _csv(*rows: str) -> bytes:
    return (HEADER + "".join(r + "\n" for r in rows)).encode()


async def _written(session) -> tuple[int, int, int]:  # type: ignore[no-untyped-def]
    return await count(session, Lot), await count(session, Move), await count(session, OutboxEvent)


async def test_count_sets_lots_and_receives_new_ones(session) -> None:
    w = await stock_world(session)
    a, b, c, _ = await _lots(session, w)
    rows = read_count_csv(_csv(
        f"{w.depot},WATER-L,97,{a},,破损",       # 3 fewer
        f"{w.depot},WATER-L,40,{b},2099-01-01,",  # as booked (expires_on ignored)
        f"{w.depot2},RICE-KG,25,{c},,",            # 5 more
        f"{w.depot2},WATER-L,12,,{days(60)},新发现",  # a new lot
        f"{w.depot2},RICE-KG,0,,,",                # nothing found, nothing to receive
    ))  # fmt: skip
    done = await import_counts(session=session, principal=None, rows=rows)
    assert (done.adjusted, done.unchanged, len(done.created)) == (2, 2, 1)
    assert await lot_counts(session, a) == (97, 0) and await lot_counts(session, b) == (40, 10)
    assert await lot_counts(session, c) == (25, 0)
    new = (await session.execute(select(Lot).where(Lot.id == done.created[0]))).scalar_one()
    assert (new.on_hand, new.source, new.expires_on, new.depot_id) == (12, "count", days(60),
                                                                       w.depot2)  # fmt: skip
    adjusts = select(Move.lot_id, Move.on_hand_delta, Move.reason).where(Move.kind == "adjust")
    moves = list(await session.execute(adjusts))
    assert sorted(moves, key=lambda m: m[1]) == [(a, -3, "破损"), (c, 5, "stock count")]
    assert (await audit(session=session, principal=SYSTEM)).clean


async def test_every_bad_row_is_named_and_nothing_written(session) -> None:
    w = await stock_world(session)
    a, b, _, other = await _lots(session, w)
    rows = read_count_csv(_csv(
        f"{w.depot},WATER-L,90,{a},,",                 # 0: fine
        "nope,WATER-L,1,,,",                           # 1: depot_id not an id
        f"{w.depot_b},WATER-L,1,,,",                   # 2: depot outside the scope
        f"{w.depot},NOPE,1,,,",                        # 3: unknown item
        f"{w.depot},WATER-L,-1,{a},,",                 # 4: negative (and a counted twice)
        f"{w.depot},WATER-L,9,{b},,",                  # 5: below the 10 reserved
        f"{w.depot},RICE-KG,5,{b},,",                  # 6: the lot holds another item
        f"{w.depot},WATER-L,5,{w.depot},,",            # 7: no such lot
        f"{w.depot},WATER-L,5,,31/12/2030,",           # 8: not an ISO date
        f"{w.depot},WATER-L,5,,{days(-1)},",           # 9: expiry before receipt
        f"{w.depot},WATER-L,2.5,,,",                   # 10: not a whole number
    ))  # fmt: skip
    coord = Principal(user_id=uuid7(), token_id=uuid7(), role=Role.coordinator, scope_path=w.path)
    before = await _written(session)
    with pytest.raises(Invalid) as exc:
        await import_counts(session=session, principal=coord, rows=rows)
    assert [e.loc for e in exc.value.errors] == [
        ("rows", 1, "depot_id"), ("rows", 2, "depot_id"), ("rows", 3, "item_code"),
        ("rows", 4, "counted"), ("rows", 4, "lot_id"), ("rows", 5, "counted"),
        ("rows", 6, "lot_id"), ("rows", 7, "lot_id"), ("rows", 8, "expires_on"),
        ("rows", 9, "expires_on"), ("rows", 10, "counted"),
    ]  # fmt: skip
    assert await _written(session) == before
    assert await lot_counts(session, a) == (100, 0)
    with pytest.raises(Invalid) as exc:  # the lot of county B is not the coordinator's
        rows = read_count_csv(_csv(f"{w.depot_b},WATER-L,1,{other},,"))
        await import_counts(session=session, principal=coord, rows=rows)
    assert [e.loc for e in exc.value.errors] == [("rows", 0, "depot_id"), ("rows", 0, "lot_id")]


@pytest.mark.parametrize(
    ("content", "loc"),
    [(b"depot_id,item_code\nx,y\n", ("file", "counted")), (b"\xff\xfe\x00bad", ("file",)),
     (HEADER.encode(), ("rows",))],
)  # fmt: skip
async def test_bad_files(session, content, loc) -> None:
    await stock_world(session)
    with pytest.raises(Invalid) as exc:
        await import_counts(session=session, principal=None, rows=read_count_csv(content))
    assert loc in [e.loc for e in exc.value.errors]


async def test_count_route(api, session) -> None:
    w = await stock_world(session)
    a, _, _, other = await _lots(session, w)
    coord = await bearer_for(session, role=Role.coordinator, area_code="532922000000",
                             username="coord-a")  # fmt: skip
    auditor = await bearer_for(session, role=Role.auditor, area_code="532922000000",
                               username="aud-a")  # fmt: skip
    good = _csv(f"{w.depot},WATER-L,95,{a},,", f"{w.depot},RICE-KG,3,,,")
    files = {"file": ("count.csv", good, "text/csv")}
    assert (await api.post(COUNTS, files=files, headers=auditor)).status_code == 403
    before = await _written(session)
    bad = _csv(f"{w.depot},WATER-L,95,{a},,", f"{w.depot_b},WATER-L,1,{other},,",
               f"{w.depot},WATER-L,x,,,")  # fmt: skip
    r = await api.post(COUNTS, files={"file": ("count.csv", bad, "text/csv")}, headers=coord)
    assert r.status_code == 422, r.text
    assert [e["loc"] for e in r.json()["errors"]] == [
        ["rows", 1, "depot_id"], ["rows", 1, "lot_id"], ["rows", 2, "counted"]]  # fmt: skip
    r = await api.post(COUNTS, files={"file": ("c.csv", b"lot_id\n1\n", "text/csv")},
                       headers=coord)  # fmt: skip
    assert r.status_code == 422 and ["file", "depot_id"] in [e["loc"] for e in r.json()["errors"]]
    assert await _written(session) == before
    r = await api.post(COUNTS, files=files, headers=coord)
    assert r.status_code == 200, r.text
    assert r.json()["adjusted"] == 1 and len(r.json()["created"]) == 1
    assert await lot_counts(session, a) == (95, 0)


def test_cli_count_import(cli_db, tmp_path) -> None:  # noqa: F811
    async def work(session):  # type: ignore[no-untyped-def]
        w = await stock_world(session)
        return w, await _lots(session, w)

    w, (a, b, _, _) = seed(cli_db, work)
    bad = tmp_path / "bad.csv"
    bad.write_bytes(_csv(f"{w.depot},WATER-L,50,{a},,", f"{w.depot},WATER-L,5,{b},,"))
    runner = CliRunner()
    out = runner.invoke(cli, ["stock", "count-import", str(bad)])
    assert out.exit_code == 1 and "rows.1.counted" in out.output, out.output
    good = tmp_path / "good.csv"
    good.write_bytes(_csv(f"{w.depot},WATER-L,50,{a},,", f"{w.depot},WATER-L,40,{b},,"))
    out = runner.invoke(cli, ["stock", "count-import", str(good), "--json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.output) == {"adjusted": 1, "unchanged": 1, "created": []}

    async def check(session):  # type: ignore[no-untyped-def]
        return await lot_counts(session, a)

    assert seed(cli_db, check) == (50, 0)
    out = runner.invoke(cli, ["stock", "count-import", str(tmp_path / "missing.csv")])
    assert out.exit_code == 1 and "cannot read" in out.output
