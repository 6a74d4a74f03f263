"""Each eligibility rule of matching keeps a volunteer out (DESIGN.md Matching).

Every case puts a volunteer ruled out by one rule right at the need and an eligible one
about 2 km away: the far one must be proposed.
"""

from __future__ import annotations

from tests.core.incidents.match_world import (
    HERE,
    busy_with,
    match_world,
    need,
    proposed,
    run,
    today_plus,
    volunteer,
)

FAR = 0.02  # degrees of latitude ≈ 2.2 km


async def _far_one_wins(
    session,
    database,
    *,
    bad: dict,
    good: dict | None = None,
    need_kw: dict | None = None,
    drill: bool = False,
) -> None:
    w = await match_world(session)
    near = await volunteer(session, w, HERE[0], HERE[1] + 0.001, **bad)
    far = await volunteer(session, w, HERE[0], HERE[1] + FAR, **(good or {}))
    n = await need(session, w, drill=drill, **(need_kw or {}))
    summary = await run(session, database, w.drill if drill else w.real)
    assert summary.assigned == 1, summary
    assert await proposed(session, n) == {n: far}, "the ruled-out volunteer was proposed"
    assert near != far


async def test_the_nearest_eligible_volunteer_is_proposed(session, database) -> None:
    w = await match_world(session)
    near = await volunteer(session, w, HERE[0], HERE[1] + 0.001)
    await volunteer(session, w, HERE[0], HERE[1] + FAR)
    n = await need(session, w)
    summary = await run(session, database, w.real)
    assert (summary.tasks, summary.assigned, summary.matched) == (1, 1, 1)
    assert await proposed(session, n) == {n: near}


async def test_unavailable_now(session, database) -> None:
    await _far_one_wins(session, database, bad={"availability": {}})


async def test_not_active(session, database) -> None:
    await _far_one_wins(session, database, bad={"status": "suspended"})


async def test_insurance_expired(session, database) -> None:
    await _far_one_wins(session, database, bad={"insurance": today_plus(-1)})


async def test_no_insurance_on_record(session, database) -> None:
    await _far_one_wins(session, database, bad={"insurance": None})


async def test_insurance_valid_through_today(session, database) -> None:
    w = await match_world(session)
    v = await volunteer(session, w, insurance=today_plus(0))
    n = await need(session, w)
    await run(session, database, w.real)
    assert await proposed(session, n) == {n: v}


async def test_certification_expired(session, database) -> None:
    skill = {"skills": ("first_aid",)}
    await _far_one_wins(
        session,
        database,
        need_kw=skill,
        bad={**skill, "certs": {"first_aid_certificate": today_plus(-1)}},
        good={**skill, "certs": {"first_aid_certificate": today_plus(30)}},
    )


async def test_certified_skill_without_certificate(session, database) -> None:
    skill = {"skills": ("driving",)}
    await _far_one_wins(
        session,
        database,
        need_kw=skill,
        bad=skill,
        good={**skill, "certs": {"driving_license": None}},
    )


async def test_wrong_skill(session, database) -> None:
    await _far_one_wins(
        session,
        database,
        need_kw={"skills": ("cooking",)},
        bad={"skills": ("logistics",)},
        good={"skills": ("cooking", "logistics")},
    )


async def test_wrong_language(session, database) -> None:
    await _far_one_wins(
        session,
        database,
        need_kw={"languages": ("iii", "hni")},
        bad={"languages": ("cmn",)},
        good={"languages": ("cmn", "hni")},
    )


async def test_too_far_for_their_own_limit(session, database) -> None:
    w = await match_world(session)
    await volunteer(session, w, HERE[0], HERE[1] + 0.03, max_km=2.0)  # ≈ 3.3 km away
    far = await volunteer(session, w, HERE[0], HERE[1] + 0.04, max_km=20.0)  # ≈ 4.4 km
    n = await need(session, w)
    await run(session, database, w.real)
    assert await proposed(session, n) == {n: far}


async def test_busy_with_another_task(session, database) -> None:
    w = await match_world(session)
    near = await volunteer(session, w, HERE[0], HERE[1] + 0.001)
    far = await volunteer(session, w, HERE[0], HERE[1] + FAR)
    await busy_with(session, w, near)
    n = await need(session, w)
    await run(session, database, w.real)
    assert await proposed(session, n) == {n: far}


async def test_max_active_tasks_allows_a_second(session, database) -> None:
    w = await match_world(session)
    near = await volunteer(session, w, HERE[0], HERE[1] + 0.001, max_active=2)
    await volunteer(session, w, HERE[0], HERE[1] + FAR)
    await busy_with(session, w, near)
    n = await need(session, w)
    await run(session, database, w.real)
    assert await proposed(session, n) == {n: near}


async def test_outside_the_covered_areas(session, database) -> None:
    await _far_one_wins(session, database, bad={"area": "C3"})


async def test_mutual_aid_area_is_covered(session, database) -> None:
    w = await match_world(session)
    v = await volunteer(session, w, area="C2")
    n = await need(session, w)
    await run(session, database, w.real)
    assert await proposed(session, n) == {n: v}


async def test_drill_and_real_assignments_are_counted_apart(session, database) -> None:
    w = await match_world(session)
    v = await volunteer(session, w)
    await busy_with(session, w, v, drill=False)  # busy for real work only
    real = await need(session, w)
    drill = await need(session, w, drill=True)
    assert (await run(session, database, w.real)).assigned == 0
    assert (await run(session, database, w.drill)).assigned == 1
    assert await proposed(session) == {drill: v}
    assert real not in await proposed(session)


async def test_busy_in_a_drill_leaves_real_work_free(session, database) -> None:
    w = await match_world(session)
    v = await volunteer(session, w)
    await busy_with(session, w, v, drill=True)
    n = await need(session, w)
    assert (await run(session, database, w.real)).assigned == 1
    assert await proposed(session, n) == {n: v}
