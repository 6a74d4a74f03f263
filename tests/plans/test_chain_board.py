"""The chain board (JSON, CSV, printable list) and the report route, through the API."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from sqlalchemy import distinct, func, select, update

from core import clock
from core.auth.models import PersonalDataAccess
from core.incidents.models import Incident
from core.registry.households.models import Household, Person, PersonTag
from plans.overdue import mark_overdue
from tests.plans.chain_users import with_users
from tests.plans.chain_world import START, activate, build, count, written

MIN = timedelta(minutes=1)


@pytest.fixture
async def w(session):
    with clock.use_clock(clock.ManualClock(START)):
        world = await with_users(session, await build(session))
        world.incident, _ = await activate(session, [world.c["C1"], world.c["C2"]])
        world.api = f"/api/v1/incidents/{world.incident}"
    return world


async def _registry(session, community) -> tuple[int, int, int]:
    """(households, persons, vulnerable persons) of a community, from the registry."""
    path = community.area_path
    households = await count(session, Household, Household.area_path == path)
    persons = await count(session, Person, Person.area_path == path)
    vulnerable = await session.scalar(
        select(func.count(distinct(PersonTag.person_id)))
        .join(Person, Person.id == PersonTag.person_id)
        .where(Person.area_path == path)
    )
    return households, persons, int(vulnerable or 0)


async def _report(api, w, who, household, *members) -> dict:
    body = {
        "reports": [
            {
                "household_id": str(w.h[household]),
                "members": [{"person_id": str(w.p[n]), "status": s} for n, s in members],
            }
        ]
    }
    r = await api.post(f"{w.api}/reports", json=body, headers=w.users[who][1])
    assert r.status_code == 200, r.text
    return r.json()


async def test_the_boards_counts_equal_the_registrys(api, session, w) -> None:
    with clock.use_clock(clock.ManualClock(START + 5 * MIN)):
        await _report(api, w, "contact1", "h1", ("老甲", "injured"), ("小乙", "safe"))
        await _report(api, w, "coord_a", "h4", ("己", "safe"))
        r = await api.get(f"{w.api}/board", headers=w.users["coord_a"][1])
    assert r.status_code == 200, r.text
    board = r.json()
    rows = {row["community_code"]: row for row in board["rows"]}
    for code, community, confirmed, v_confirmed in (
        ("532922100101", w.c["C1"], 1, 1),
        ("532922100102", w.c["C2"], 0, 1),
    ):
        households, persons, vulnerable = await _registry(session, community)
        row = rows[code]
        assert row["households"] == {"confirmed": confirmed, "total": households}
        assert row["vulnerable"] == {"confirmed": v_confirmed, "total": vulnerable}
        assert row["persons"]["total"] == persons
    assert board["totals"]["households"] == {"confirmed": 1, "total": 4}
    assert board["overdue"] == [] and board["level"] == "community"


async def test_per_grid_with_the_overdue_list_and_the_oldest(api, session, w) -> None:
    with clock.use_clock(clock.ManualClock(START + 75 * MIN)):
        await mark_overdue(session=session, incident_id=w.incident, due=START + 30 * MIN)
        await mark_overdue(session=session, incident_id=w.incident, due=START + 60 * MIN)
        r = await api.get(
            f"{w.api}/board", params={"community": "532922100101"}, headers=w.users["coord_c1"][1]
        )
    assert r.status_code == 200, r.text
    board = r.json()
    assert board["level"] == "grid"
    grids = {row["grid_code"]: row for row in board["rows"]}
    assert set(grids) == {"g1", "g2"}
    assert grids["g1"]["households"] == {"confirmed": 0, "total": 2}
    assert grids["g1"]["overdue_households"] == 1 and grids["g1"]["oldest_overdue_minutes"] == 45
    assert grids["g2"]["oldest_overdue_minutes"] == 15
    assert board["totals"]["oldest_overdue_at"].startswith("2026-11-23T08:30")
    first, second = board["overdue"]
    assert (first["household_id"], first["minutes_overdue"]) == (str(w.h["h1"]), 45)
    assert first["address"] == "一村 1 号" and first["visit_need_id"] is not None
    assert second["household_id"] == str(w.h["h2"]) and second["grid_code"] == "g2"
    logged = await count(
        session, PersonalDataAccess, PersonalDataAccess.subject_kind == "household"
    )
    assert logged == 2


async def test_addresses_only_for_those_who_may_read_personal_data(api, session, w) -> None:
    with clock.use_clock(clock.ManualClock(START + 40 * MIN)):
        await mark_overdue(session=session, incident_id=w.incident, due=START + 30 * MIN)
        r = await api.get(f"{w.api}/board", headers=w.users["auditor"][1])
    (item,) = r.json()["overdue"]
    assert item["address"] is None and item["household_id"] == str(w.h["h1"])
    assert await count(session, PersonalDataAccess) == 0


async def test_a_grid_worker_sees_their_grids_only(api, w) -> None:
    r = await api.get(
        f"{w.api}/board", params={"community": "532922100101"}, headers=w.users["grid"][1]
    )
    assert r.status_code == 200, r.text
    assert [row["grid_code"] for row in r.json()["rows"]] == ["g1"]


@pytest.mark.parametrize(
    ("who", "status"), [("contact1", 403), ("volunteer", 403), ("coord_b", 404)]
)
async def test_who_may_not_read_the_board(api, w, who, status) -> None:
    for path in ("board", "board.csv", "board/print"):
        r = await api.get(f"{w.api}/{path}", headers=w.users[who][1])
        assert r.status_code == status, (path, r.text)


async def test_an_unknown_community_is_422(api, w) -> None:
    r = await api.get(
        f"{w.api}/board", params={"community": "532923100101"}, headers=w.users["coord_a"][1]
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["loc"] == ["query", "community"]


async def test_the_board_as_csv(api, session, w) -> None:
    with clock.use_clock(clock.ManualClock(START + 40 * MIN)):
        await mark_overdue(session=session, incident_id=w.incident, due=START + 30 * MIN)
        r = await api.get(f"{w.api}/board.csv", headers=w.users["coord_a"][1])
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert [(x["community_code"], x["households_total"], x["vulnerable_total"]) for x in rows] == [
        ("532922100101", "3", "2"),
        ("532922100102", "1", "1"),
    ]
    assert rows[0]["overdue_households"] == "1" and rows[0]["oldest_overdue_minutes"] == "10"
    assert await count(session, PersonalDataAccess) == 0  # counts only: no personal read


async def test_the_printable_list_of_pending_households(api, session, w) -> None:
    with clock.use_clock(clock.ManualClock(START)):
        await _report(api, w, "coord_a", "h2", ("丙", "safe"))
        r = await api.get(
            f"{w.api}/board/print",
            params={"community": "532922100101"},
            headers=w.users["coord_c1"][1],
        )
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    page = r.text
    assert "老甲" in page and "戊" in page and "丙" not in page  # h2 is confirmed
    assert "网格 g1" in page and "网格 g2" not in page
    assert (
        await count(session, PersonalDataAccess, PersonalDataAccess.subject_kind == "person") == 4
    )
    r = await api.get(f"{w.api}/board/print", headers=w.users["auditor"][1])
    assert r.status_code == 200 and "老甲" not in r.text and "成员 member 1" in r.text


async def test_the_report_route_names_the_bad_member_and_writes_nothing(api, session, w) -> None:
    before = await written(session)
    body = {
        "reports": [
            {
                "household_id": str(w.h["h1"]),
                "members": [{"person_id": str(w.p["丙"]), "status": "safe"}],
            }
        ]
    }
    r = await api.post(f"{w.api}/reports", json=body, headers=w.users["coord_a"][1])
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["loc"] == ["body", "reports", 0, "members", 0, "person_id"]
    body["reports"][0]["members"][0]["status"] = "pending"  # not a reportable status
    r = await api.post(f"{w.api}/reports", json=body, headers=w.users["coord_a"][1])
    assert r.status_code == 422
    assert await written(session) == before


async def test_the_report_route_on_a_stood_down_incident_is_409(api, session, w) -> None:
    await session.execute(
        update(Incident)
        .where(Incident.id == w.incident)
        .values(status="stood_down", stood_down_at=START + MIN)
    )
    before = await written(session)
    body = {
        "reports": [
            {
                "household_id": str(w.h["h2"]),
                "members": [{"person_id": str(w.p["丙"]), "status": "safe"}],
            }
        ]
    }
    r = await api.post(f"{w.api}/reports", json=body, headers=w.users["admin"][1])
    assert r.status_code == 409, r.text
    assert await written(session) == before
