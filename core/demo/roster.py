"""A demo volunteer roster (deterministic for a seed).

Skill shares are planning guesses for a rural Yunnan county with an active volunteer
federation: logistics 40 %, first aid 35 %, driving 25 % (mostly C1), elder care 20 %,
search and rescue 10 %, construction 10 %, cooking 10 %, translation 8 % (minority
languages), child care 8 %, medical 6 %, psychological support 5 %, electrical 4 %,
communications 4 %. Dates count from the day the demo is loaded: a tenth of first-aid
certificates and a fifth of insurance policies have lapsed by then, so drills see the
constraints bite, and the rest stay valid for months.
"""

from __future__ import annotations

import math
import random
import uuid
from datetime import date, timedelta

from shapely.geometry import Point

from core.demo.names import person_name, phone
from core.demo.population import CommunitySite, community_centre
from core.geo.distance import EARTH_RADIUS_M
from core.registry.volunteers.schemas import CertificationIn, VolunteerCreate

SKILL_SHARES = (
    ("logistics", 0.40),
    ("first_aid", 0.35),
    ("driving", 0.25),
    ("elder_care", 0.20),
    ("search_rescue", 0.10),
    ("construction", 0.10),
    ("cooking", 0.10),
    ("translation", 0.08),
    ("child_care", 0.08),
    ("medical", 0.06),
    ("psychological_support", 0.05),
    ("electrical", 0.04),
    ("communications", 0.04),
)
WEEKDAY_EVENINGS = {d: [["18:00", "22:00"]] for d in ("mon", "tue", "wed", "thu", "fri")} | {
    "sat": [["08:00", "20:00"]],
    "sun": [["08:00", "20:00"]],
}
AVAILABILITY = (
    ({"always": True}, 15),
    (WEEKDAY_EVENINGS, 45),
    ({"sat": [["07:00", "21:00"]], "sun": [["07:00", "21:00"]]}, 20),
    ({d: [["08:00", "18:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}, 20),
)


def _pick(rng: random.Random, table: tuple) -> object:
    return rng.choices([v for v, _ in table], weights=[w for _, w in table])[0]


def _home(rng: random.Random, site: CommunitySite, centre: Point) -> tuple[float, float]:
    """A home about 600 m (1 sigma) from the community centre, inside its area."""
    metres_per_degree_lat = math.radians(1) * EARTH_RADIUS_M
    metres_per_degree_lon = metres_per_degree_lat * math.cos(math.radians(centre.y))
    for _ in range(200):
        lon = round(centre.x + rng.gauss(0, 600) / metres_per_degree_lon, 6)
        lat = round(centre.y + rng.gauss(0, 600) / metres_per_degree_lat, 6)
        if site.area.covers(Point(lon, lat)):
            return lon, lat
    return centre.x, centre.y


def volunteers(
    sites: list[CommunitySite], *, seed: int, count: int, org_ids: list[uuid.UUID], today: date
) -> list[VolunteerCreate]:
    """``count`` volunteers living in ``sites``, members of ``org_ids`` (teams); dates
    relative to ``today``."""
    rng = random.Random(f"{seed}:volunteers")
    out = []
    for i in range(count):
        site = sites[i % len(sites)]
        centre = community_centre(site, seed=seed)
        lon, lat = _home(rng, site, centre)
        people = rng.choices(("yi", "han", "bai"), weights=(45, 47, 8))[0]
        skills = [s for s, share in SKILL_SHARES if rng.random() < share] or ["logistics"]
        languages = {"yi": ["iii", "cmn-yn", "cmn"], "bai": ["bca", "cmn-yn", "cmn"]}.get(
            people, ["cmn-yn", "cmn"]
        )
        if "translation" in skills and people == "han":
            skills.remove("translation")
        certs = []
        if "first_aid" in skills and rng.random() < 0.6:
            lapsed = rng.random() < 0.1
            certs.append(
                CertificationIn(
                    kind="first_aid_certificate",
                    issued_by="中国红十字会",
                    expires_on=today
                    + timedelta(days=-rng.randint(30, 500) if lapsed else rng.randint(200, 1100)),
                )
            )
        if "driving" in skills:
            certs.append(
                CertificationIn(kind="driving_license", expires_on=today + timedelta(days=1500))
            )
        out.append(
            VolunteerCreate(
                name=person_name(rng, people),
                phone=phone(rng),
                org_id=org_ids[i % len(org_ids)] if org_ids else None,
                area_code=site.code,
                lon=lon,
                lat=lat,
                skills=skills,
                vehicle_class=rng.choice(("C1", "C1", "C1", "B2")) if "driving" in skills else None,
                languages=languages,
                certifications=certs,
                availability=_pick(rng, AVAILABILITY),
                max_travel_km=rng.choice((5.0, 10.0, 10.0, 20.0, 30.0)),
                insurance_valid_until=today
                + timedelta(
                    days=rng.randint(60, 400) if rng.random() < 0.8 else -rng.randint(1, 250)
                ),
                hours_served=round(rng.expovariate(1 / 40), 1),
            )
        )
    return out
