"""Which volunteers a matching batch may use, and for which needs.

A volunteer is loaded when their ``area_path`` lies under an area the incident covers (or a
coordinator pinned them), and is **eligible** at ``now`` when:

* ``status`` is active and :func:`~core.registry.volunteers.availability.is_available`
  (weekly hours, Asia/Shanghai) holds at ``now``;
* ``insurance_valid_until`` ≥ today (Asia/Shanghai, :func:`core.clock.local_today`); no
  insurance on record means not eligible (志愿者保障: nobody is sent uninsured);
* they have a free slot: live (non-withdrawn) assignments < ``max_active_tasks``, counted
  among drill assignments for a drill incident and among real ones for a real incident
  (drill incidents match only against drill volunteers' states);

and **qualifies** for a need (:func:`qualifies`) when their skills include every skill the
need asks for; each such skill listed in :data:`SKILL_CERTS` is backed by a certification of
one of its kinds valid today (no expiry, or expiring today or later); and, if the need names
languages, they speak at least one of them. The travel limit (``max_travel_km``) is applied
by the candidate search.
"""

from __future__ import annotations

import json
import math
import uuid
from collections import OrderedDict, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import local_today
from core.db import chunks, rows_of
from core.geo.local_rows import RowCache, cache_for, micros
from core.incidents.match_models import LIVE_STATUSES, Assignment
from core.registry.volunteers.availability import is_available
from core.registry.volunteers.models import (
    VolunteerCertification,
    VolunteerLanguage,
    VolunteerSkill,
    VolunteerStatus,
)

SKILL_CERTS: dict[str, frozenset[str]] = {
    "first_aid": frozenset({"first_aid_certificate", "nurse_license", "doctor_license"}),
    "medical": frozenset({"doctor_license", "nurse_license"}),
    "driving": frozenset({"driving_license"}),
    "psychological_support": frozenset({"psych_counselor"}),
    "electrical": frozenset({"electrician"}),
    "search_rescue": frozenset({"rescue_team"}),
}
"""Skills that need a valid certification (``CERT_KINDS`` of the volunteer registry): any
one of the kinds listed. A doctor's or nurse's licence also covers first aid."""

LIVE_WINDOW = timedelta(minutes=30)
"""A shared live position younger than this is used instead of the home point."""


@dataclass
class VolunteerRow:
    id: uuid.UUID
    lon: float  # the position the candidate search uses
    lat: float
    home_lon: float
    home_lat: float
    max_travel_m: float
    capacity: int  # free slots before this batch's own pending assignments are counted
    skills: frozenset[str] = frozenset()
    languages: frozenset[str] = frozenset()
    certs: frozenset[str] = frozenset()  # kinds valid today


def qualifies(v: VolunteerRow, skills: Iterable[str], languages: Iterable[str]) -> bool:
    """Skills ⊇ the need's, certified where :data:`SKILL_CERTS` asks, a common language."""
    skills, languages = set(skills), set(languages)
    if not skills <= v.skills:
        return False
    if any(s in SKILL_CERTS and not SKILL_CERTS[s] & v.certs for s in skills):
        return False
    return not languages or bool(languages & v.languages)


_ROSTERS: OrderedDict[tuple[Any, ...], list[int]] = OrderedDict()
ROSTERS_KEPT = 8


def _roster(cache: RowCache, covered: list[str], pins: set[uuid.UUID], day: date) -> list[int]:
    """Row numbers of the active, insured volunteers under ``covered`` (or pinned), in id
    order; worked out again only when a roster column changed (``roster_version``)."""
    key = (cache.roster_version, tuple(sorted(covered)), frozenset(pins), day)  # unique
    found = _ROSTERS.get(key)
    if found is None:
        by_len: dict[int, set[str]] = defaultdict(set)
        for path in covered:
            by_len[len(path)].add(path)
        active = VolunteerStatus.active.value
        found = [
            i
            for i, (vid, (area, status, insured, _, _)) in enumerate(
                zip(cache.ids, cache.roster, strict=True)
            )
            if status == active and insured is not None and insured >= day
            and (any(area[:n] in paths for n, paths in by_len.items()) or vid in pins)
        ]  # fmt: skip
        found.sort(key=cache.rank.__getitem__)
        _ROSTERS[key] = found
        while len(_ROSTERS) > ROSTERS_KEPT:
            _ROSTERS.popitem(last=False)
    return found


async def load_volunteers(
    session: AsyncSession,
    is_drill: bool,
    covered: list[str],
    pins: set[uuid.UUID],
    now: datetime,
) -> dict[uuid.UUID, VolunteerRow]:
    """The eligible volunteers (available, insured, with a free slot): the roster in scope
    comes from the cached volunteer rows (:mod:`core.geo.local_rows`, brought up to date
    by one query), and slots, skills, languages and certifications are read only for
    those available now (at night a few hundred of thousands)."""
    day = local_today()
    cache = cache_for(session, "volunteer")
    await cache.refresh(session)  # exact: every row of the table, as this session sees it
    open_now: dict[str | None, bool] = {}  # a roster shares a handful of weekly schedules
    available = []
    for i in _roster(cache, covered, pins, day):
        schedule = cache.roster[i][3]
        ok = open_now.get(schedule)
        if ok is None:
            hours = json.loads(schedule) if schedule else None
            ok = open_now[schedule] = is_available(hours or {}, now)
        if ok:
            available.append(i)
    ids = [cache.ids[i] for i in available]
    busy: dict[uuid.UUID, int] = {}
    skills: dict[uuid.UUID, set[str]] = defaultdict(set)
    langs: dict[uuid.UUID, set[str]] = defaultdict(set)
    certs: dict[uuid.UUID, set[str]] = defaultdict(set)
    for part in chunks(ids):
        busy.update(
            await rows_of(
                session,
                select(Assignment.volunteer_id, func.count())
                .where(
                    Assignment.volunteer_id.in_(part),
                    Assignment.status.in_(LIVE_STATUSES),
                    Assignment.is_drill == is_drill,
                )
                .group_by(Assignment.volunteer_id),
            )
        )
        for vid, skill in await rows_of(
            session,
            select(VolunteerSkill.volunteer_id, VolunteerSkill.skill).where(
                VolunteerSkill.volunteer_id.in_(part)
            ),
        ):
            skills[vid].add(skill)
        for vid, lang in await rows_of(
            session,
            select(VolunteerLanguage.volunteer_id, VolunteerLanguage.language).where(
                VolunteerLanguage.volunteer_id.in_(part)
            ),
        ):
            langs[vid].add(lang)
        for vid, kind in await rows_of(
            session,
            select(VolunteerCertification.volunteer_id, VolunteerCertification.kind).where(
                VolunteerCertification.volunteer_id.in_(part),
                or_(
                    VolunteerCertification.expires_on.is_(None),
                    VolunteerCertification.expires_on >= day,
                ),
            ),
        ):
            certs[vid].add(kind)
    out: dict[uuid.UUID, VolunteerRow] = {}
    fresh = micros(now - LIVE_WINDOW)
    for i, vid in zip(available, ids, strict=True):
        home = float(cache.lon[i]), float(cache.lat[i])
        live = int(cache.live_at[i]) >= fresh and not math.isnan(cache.live_lon[i])
        lon, lat = (float(cache.live_lon[i]), float(cache.live_lat[i])) if live else home
        free = int(cache.roster[i][4]) - int(busy.get(vid, 0))
        out[vid] = VolunteerRow(vid, lon, lat, *home, float(cache.limit_m[i]), free,
                                frozenset(skills[vid]), frozenset(langs[vid]),
                                frozenset(certs[vid]))  # fmt: skip
    return out
