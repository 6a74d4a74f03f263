"""Simulated behaviour, drawn from the scenario's numpy Generator in a fixed order.

Families (:func:`plan_families`): each household gets a report time — unreachable
(never), within the first ``within_minutes`` (uniform), or later up to ``late_minutes``
(uniform) — and each person one draw per need rule of the scenario (a rule applies to
``anyone``, the ``vulnerable`` — any vulnerability tag — or one tag). Persons with a need
are reported with the rule's ``person_status``, the others ``safe``.

Volunteers (:class:`Answers`): decline with ``decline_rate``; answer after a lognormal
delay with the given median and 90th percentile; travel ``km × terrain_factor /
speed_kmh`` hours, times a road closure's slowdown.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta

import numpy as np

from plans.drills.population import People
from plans.drills.scenario_parts import Families, NeedRule, Volunteers

Z90 = 1.2815515655446004  # the standard normal's 90th percentile


@dataclass
class FamilyPlan:
    """When each household reports (tick; -1 never), what each person says and needs."""

    report_tick: np.ndarray
    status: list[str]
    needs: dict[int, list[NeedRule]] = field(default_factory=dict)

    def due(self, tick: int) -> list[int]:
        """Households reporting at ``tick``, in household order."""
        return [int(h) for h in np.flatnonzero(self.report_tick == tick)]


def applies(rule: NeedRule, tags: frozenset[str]) -> bool:
    if rule.who == "anyone":
        return True
    if rule.who == "vulnerable":
        return bool(tags)
    return rule.who in tags


def draw_needs(
    people: People, rules: Sequence[NeedRule], rng: np.random.Generator
) -> dict[int, list[NeedRule]]:
    """Person index → the rules that fired for them (one draw per person and rule)."""
    out: dict[int, list[NeedRule]] = {}
    n = len(people.person_ids)
    for rule in rules:
        draws = rng.random(n) < rule.rate
        for p in np.flatnonzero(draws):
            if applies(rule, people.tags[p]):
                out.setdefault(int(p), []).append(rule)
    return out


def plan_families(
    people: People,
    families: Families,
    rules: Sequence[NeedRule],
    rng: np.random.Generator,
    tick_seconds: int,
) -> FamilyPlan:
    households = len(people.household_ids)
    u = rng.random(households)
    early = rng.uniform(0, families.within_minutes, households)
    late = rng.uniform(families.within_minutes, families.late_minutes, households)
    minutes = np.where(u < families.unreachable_share + families.within_share, early, late)
    ticks = np.maximum(1, np.ceil(minutes * 60 / tick_seconds)).astype(int)
    ticks[u < families.unreachable_share] = -1
    needs = draw_needs(people, rules, rng)
    status = [needs[p][0].person_status if p in needs else "safe" for p in range(len(people.tags))]
    return FamilyPlan(report_tick=ticks, status=status, needs=needs)


class Answers:
    """A volunteer's answers and travel, drawn one offer at a time."""

    def __init__(
        self, behaviour: Volunteers, rng: np.random.Generator, *, speedup: float = 1.0
    ) -> None:
        """``speedup``: a live drill's; every duration is divided by it (wall time)."""
        self.b, self.rng, self.scale = behaviour, rng, 1 / speedup
        d = behaviour.response_delay
        self.mu = math.log(d.median_s)
        self.sigma = (math.log(d.p90_s) - self.mu) / Z90

    def answer(self) -> tuple[bool, float]:
        """(declines, delay in seconds) for one offer."""
        declines = bool(self.rng.random() < self.b.decline_rate)
        return declines, float(self.rng.lognormal(self.mu, self.sigma)) * self.scale

    def travel_s(self, metres: float, slowdown: float = 1.0) -> float:
        """Seconds to cover ``metres`` of great-circle distance."""
        hours = metres / 1000 * self.b.terrain_factor / self.b.speed_kmh
        return hours * 3600 * slowdown * self.scale

    def minutes(self, minutes: float) -> timedelta:
        """A scenario duration on this drill's clock."""
        return timedelta(minutes=minutes * self.scale)
