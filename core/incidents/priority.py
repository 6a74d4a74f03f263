"""Need priority: severity, the vulnerability of the people concerned, and waiting time.

The formula (higher is more urgent)::

    P = 10 · severity  +  V  +  min(30, minutes waited / 10)

* ``severity`` is 1–5 as reported (SOS defaults to 4), so it gives 10–50 points and
  dominates: a step of severity outweighs anything but a large difference in V.
* ``V`` (vulnerability, 0–20) comes from the vulnerability tags of the person the
  need is for, or of every member of the household when no person is named
  (:func:`vulnerability_score`): the largest tag weight plus half of all the other
  weights, capped at 20. Weights per tag:

  ======================  ======  ========================  ======
  tag                     weight  tag                       weight
  ======================  ======  ========================  ======
  bedridden 卧床           12      living_alone 独居          6
  dialysis 透析            12      chronically_ill 慢性病     5
  aged_80_plus 高龄        10      left_behind_elderly 留守   5
  disabled 残疾            8       shidu 失独                 4
  infant 婴幼儿            8       empty_nest 空巢            3
  pregnant 孕产妇          8       dibao 低保                 2
  left_behind_child 留守   6       tekun 特困                 2
  ======================  ======  ========================  ======

* waiting adds one point per 10 minutes since the need was raised, at most 30
  (reached after 5 hours): old needs climb, so nobody waits forever behind new
  severe ones. A need put back to ``open`` keeps its original waiting time.

Priority is stored when a need is created (0 minutes waited) and recomputed for the
open and matched needs of an incident by :func:`refresh_priorities`, one UPDATE over the
incident's waiting needs. A matching batch calls it when :data:`REFRESH_EVERY` has passed
since its worker's last refresh of the incident (a batch a coordinator runs by hand,
always), not every second. A refresh rewrites only the needs whose stored value has
fallen :data:`REFRESH_STEP` (half a point: five minutes of waiting) behind, so each
waiting need is written about once per five minutes — not every need on every batch (on
PostgreSQL every rewritten row is a new row version). Just after a refresh every stored
value lags by less than half a point, and five minutes add at most half a point more: the
stored value, for lists and sorting, lags by less than one point (plus the time between
two batches); matching computes the exact one itself. A refresh emits no event: it
changes no state, only a derived number, and would flood the streams every minute.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Float, cast, extract, func, literal, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import UtcDateTime
from core.incidents.need_models import Need, NeedStatus

SEVERITY_WEIGHT = 10.0
MAX_VULNERABILITY = 20.0
OTHER_TAGS_FACTOR = 0.5
MINUTES_PER_POINT = 10.0
MAX_WAITING_BONUS = 30.0
REFRESH_STEP = 0.5
"""How far a stored priority may fall behind before a refresh rewrites it."""
REFRESH_EVERY = timedelta(minutes=5)
"""How often a worker's batches refresh an incident's stored priorities (at most)."""
REFRESHED = (NeedStatus.open.value, NeedStatus.matched.value)
"""Statuses whose priority still moves with waiting time."""

TAG_WEIGHTS: dict[str, float] = {
    "bedridden": 12,
    "dialysis": 12,
    "aged_80_plus": 10,
    "disabled": 8,
    "infant": 8,
    "pregnant": 8,
    "living_alone": 6,
    "left_behind_child": 6,
    "chronically_ill": 5,
    "left_behind_elderly": 5,
    "shidu": 4,
    "empty_nest": 3,
    "dibao": 2,
    "tekun": 2,
}


def severity_weight(severity: int) -> float:
    """Points for a severity of 1–5: ten per step."""
    return SEVERITY_WEIGHT * severity


def waiting_bonus(minutes: float) -> float:
    """One point per 10 minutes waited, never negative, at most 30."""
    return min(MAX_WAITING_BONUS, max(0.0, minutes) / MINUTES_PER_POINT)


def vulnerability_score(tags: Iterable[str]) -> float:
    """V from vulnerability tags (repeats count: two members aged 80+ weigh more than one).

    The largest weight plus half the sum of the others, capped at 20; unknown tags
    weigh nothing. No tags: 0.
    """
    weights = sorted((TAG_WEIGHTS.get(t, 0.0) for t in tags), reverse=True)
    if not weights:
        return 0.0
    score = weights[0] + OTHER_TAGS_FACTOR * sum(weights[1:])
    return float(min(MAX_VULNERABILITY, score))


def priority(severity: int, vulnerability: float, waited_minutes: float) -> float:
    """``10·severity + vulnerability + min(30, waited_minutes / 10)``."""
    return severity_weight(severity) + vulnerability + waiting_bonus(waited_minutes)


def _minutes_waited(now: datetime, dialect: str) -> Any:
    """SQL for the minutes between ``need.created_at`` and ``now``."""
    at = literal(now, UtcDateTime())
    if dialect == "postgresql":
        return cast(extract("epoch", at - Need.created_at), Float) / 60.0
    return (func.julianday(at) - func.julianday(Need.created_at)) * 1440.0


def priority_sql(now: datetime, dialect: str) -> Any:
    """:func:`priority` as a SQL expression over ``need`` columns at time ``now``."""
    minutes = _minutes_waited(now, dialect)
    if dialect == "postgresql":
        bonus = func.least(MAX_WAITING_BONUS, func.greatest(0.0, minutes) / MINUTES_PER_POINT)
    else:
        bonus = func.min(MAX_WAITING_BONUS, func.max(0.0, minutes) / MINUTES_PER_POINT)
    return SEVERITY_WEIGHT * Need.severity + Need.vulnerability + bonus


async def refresh_priorities(
    *, session: AsyncSession, incident_id: uuid.UUID, now: datetime
) -> int:
    """Recompute the priority of the incident's open and matched needs at ``now`` where
    the stored one is :data:`REFRESH_STEP` or more behind.

    One UPDATE whatever the number of needs; returns how many rows it touched.
    ``updated_at`` is left alone (no one changed the need) and no event is emitted.
    """
    dialect = session.bind.dialect.name
    current = priority_sql(now, dialect)
    stmt = (
        update(Need)
        .where(
            Need.incident_id == incident_id,
            Need.status.in_(REFRESHED),
            current - Need.priority >= REFRESH_STEP,
        )
        .values(priority=current)
        .execution_options(synchronize_session=False)
    )
    result = await session.execute(stmt)
    return int(result.rowcount or 0)
