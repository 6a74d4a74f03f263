"""A plausible population for the demo county, generated deterministically from a seed.

Figures (approximate planning values, documented so drills can be judged against them):

* Age structure — Yunnan, 7th national census (2020): 0–14 years 19.6 %, 15–59 years
  65.5 %, 60 and over 14.9 % (65 and over 10.8 %). The generated county comes out a
  little older (about 17 % aged 60+, 22 % aged 0–14), as rural counties are.
* Household size — Yunnan family households average about 2.9 persons (2020 census);
  drawn from 1: 18 %, 2: 27 %, 3: 22 %, 4: 17 %, 5: 10 %, 6: 6 %.
* Peoples of 漾濞彝族自治县 — mostly Yi and Han, with Bai and Hui minorities; drawn as
  Yi 45 %, Han 45 %, Bai 8 %, Hui 2 %. Yi and Bai households speak their language and
  Yunnan Mandarin; 30 % of Yi elders speak only Yi.
* Vulnerability tags — aged_80_plus, infant (under 3) and living_alone (one person,
  60+) follow from the ages; empty_nest: households of persons 60+ only;
  left_behind_child: a child under 16 with no adult aged 20–59 at home (rural);
  disabled 6.3 % of persons (2006 national sample survey on disability: 6.34 %);
  chronically_ill 60 % of persons 60+ and 15 % of 40–59 (national health surveys
  report about three in four elders with a chronic disease; we use a lower planning
  figure); pregnant 4 % of women 20–39; dibao 6 % of rural and 2 % of urban households;
  tekun 5 % of elders living alone; shidu 0.5 % of elderly couples; bedridden 3 % of 80+.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry

from core.demo.names import person_name, phone
from core.geo.distance import EARTH_RADIUS_M

REFERENCE_YEAR = 2026
SIZES = ((1, 18), (2, 27), (3, 22), (4, 17), (5, 10), (6, 6))
PEOPLES = (("yi", 45), ("han", 45), ("bai", 8), ("hui", 2))
# Urban communities without a published boundary still have grids (网格); their
# households name theirs. Communities with a boundary get grids by point-in-polygon.
UNBOUNDED_GRIDS = ("01", "02", "03")


@dataclass(frozen=True)
class CommunitySite:
    """Where a community's households are: inside ``area`` (its own boundary, or its
    township's when it has none), around a centre."""

    code: str
    name: str
    urban: bool
    area: BaseGeometry
    has_boundary: bool


@dataclass
class PersonSpec:
    name: str
    birth_year: int
    sex: str
    tags: list[str]
    languages: list[str]
    phone: str | None


@dataclass
class HouseholdSpec:
    code: str
    community_code: str
    address: str
    lon: float
    lat: float
    members: list[PersonSpec] = field(default_factory=list)
    contact_index: int = 0
    grid_code: str | None = None


def _weighted(rng: random.Random, table: tuple[tuple[object, int], ...]) -> object:
    return rng.choices([v for v, _ in table], weights=[w for _, w in table])[0]


def _age(rng: random.Random, band: str) -> int:
    low, high = {"child": (0, 14), "adult": (20, 59), "young": (15, 19), "elder": (60, 95)}[band]
    if band == "elder":  # fewer of the oldest
        return min(high, low + int(rng.expovariate(1 / 9)))
    return rng.randint(low, high)


def _ages(rng: random.Random, size: int, rural: bool) -> list[int]:
    if size == 1:
        return [_age(rng, "elder" if rng.random() < 0.35 else "adult")]
    if size == 2 and rng.random() < 0.30:
        return [_age(rng, "elder"), _age(rng, "elder")]
    if rural and size >= 3 and rng.random() < 0.12:  # grandparents with left-behind children
        return [_age(rng, "elder"), _age(rng, "elder")] + [
            _age(rng, "child") for _ in range(size - 2)
        ]
    ages = [_age(rng, "adult"), _age(rng, "adult")]
    for _ in range(size - 2):
        ages.append(_age(rng, _weighted(rng, (("child", 55), ("elder", 20), ("young", 25)))))
    return ages


def _point_near(rng: random.Random, site: CommunitySite, centre: Point, sigma_m: float) -> Point:
    for _ in range(200):
        d_lat = math.degrees(rng.gauss(0, sigma_m) / EARTH_RADIUS_M)
        d_lon = math.degrees(
            rng.gauss(0, sigma_m) / (EARTH_RADIUS_M * math.cos(math.radians(centre.y)))
        )
        candidate = Point(round(centre.x + d_lon, 6), round(centre.y + d_lat, 6))
        if site.area.covers(candidate):
            return candidate
    return centre


def community_centre(site: CommunitySite, *, seed: int) -> Point:
    """Where the community's houses cluster: the same for a seed, whoever asks."""
    rng = random.Random(f"{seed}:{site.code}")
    if site.has_boundary:
        return site.area.representative_point()
    min_lon, min_lat, max_lon, max_lat = site.area.bounds
    for _ in range(200):
        p = Point(rng.uniform(min_lon, max_lon), rng.uniform(min_lat, max_lat))
        if site.area.buffer(-0.01).covers(p):
            return p
    return site.area.representative_point()


def _languages(rng: random.Random, people: str, age: int) -> list[str]:
    if people == "yi":
        return ["iii"] if age >= 60 and rng.random() < 0.3 else ["iii", "cmn-yn"]
    if people == "bai":
        return ["bca", "cmn-yn"]
    return ["cmn-yn", "cmn"] if age < 40 else ["cmn-yn"]


def _tags(rng: random.Random, age: int, sex: str, ages: list[int], rural: bool) -> list[str]:
    tags = []
    if age >= 80:
        tags.append("aged_80_plus")
        if rng.random() < 0.03:
            tags.append("bedridden")
    if age < 3:
        tags.append("infant")
    if age >= 60 and len(ages) == 1:
        tags.append("living_alone")
    if age >= 60 and min(ages) >= 60 and len(ages) > 1:
        tags.append("empty_nest")
    if age < 16 and rural and not any(20 <= a <= 59 for a in ages):
        tags.append("left_behind_child")
    if rng.random() < 0.063:
        tags.append("disabled")
    if (age >= 60 and rng.random() < 0.60) or (40 <= age < 60 and rng.random() < 0.15):
        tags.append("chronically_ill")
    if sex == "female" and 20 <= age <= 39 and rng.random() < 0.04:
        tags.append("pregnant")
    return tags


def generate_households(
    sites: list[CommunitySite], *, seed: int, total: int
) -> list[HouseholdSpec]:
    """``total`` households spread over ``sites`` (urban communities get 1.5× weight)."""
    rng = random.Random(seed)
    weights = [1.5 if s.urban else 1.0 for s in sites]
    counts = [int(total * w / sum(weights)) for w in weights]
    counts[0] += total - sum(counts)
    households: list[HouseholdSpec] = []
    for site, count in zip(sites, counts, strict=True):
        centre = community_centre(site, seed=seed)
        for n in range(count):
            households.append(_household(rng, site, centre, n))
    return households


def _household(rng: random.Random, site: CommunitySite, centre: Point, n: int) -> HouseholdSpec:
    rural = not site.urban
    people = str(_weighted(rng, PEOPLES))
    size = int(_weighted(rng, SIZES))
    ages = _ages(rng, size, rural)
    point = _point_near(rng, site, centre, 350.0 if site.urban else 900.0)
    members = []
    for age in ages:
        sex = rng.choice(("female", "male"))
        members.append(
            PersonSpec(
                name=person_name(rng, people),
                birth_year=REFERENCE_YEAR - age,
                sex=sex,
                tags=_tags(rng, age, sex, ages, rural),
                languages=_languages(rng, people, age),
                phone=phone(rng) if age >= 16 and rng.random() < 0.85 else None,
            )
        )
    _household_tags(rng, members, ages, rural)
    adults = [i for i, a in enumerate(ages) if a >= 18] or [0]
    contact = max(adults, key=lambda i: (members[i].phone is not None, -abs(ages[i] - 45)))
    return HouseholdSpec(
        code=f"{site.code}-{n + 1:04d}",
        community_code=site.code,
        address=f"{site.name}{n // 40 + 1}组{n % 40 + 1}号",
        lon=point.x,
        lat=point.y,
        members=members,
        contact_index=contact,
        grid_code=None if site.has_boundary or rural else UNBOUNDED_GRIDS[n % len(UNBOUNDED_GRIDS)],
    )


def _household_tags(
    rng: random.Random, members: list[PersonSpec], ages: list[int], rural: bool
) -> None:
    if rng.random() < (0.06 if rural else 0.02):
        for m in members:
            m.tags.append("dibao")
    if len(ages) == 1 and ages[0] >= 60 and rng.random() < 0.05:
        members[0].tags.append("tekun")
    if len(ages) == 2 and min(ages) >= 60 and rng.random() < 0.005:
        for m in members:
            m.tags.append("shidu")
