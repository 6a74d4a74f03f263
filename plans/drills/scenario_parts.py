"""The parts of a drill scenario (pydantic v2); :mod:`plans.drills.scenario` assembles them.

Every model forbids unknown fields, so a misspelt key is an error naming it. Rates are
probabilities in [0, 1]; times are minutes after the declaration unless a field says
seconds; distances km; speeds km/h.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from core.incidents.need_models import NeedKind
from core.registry.vocab import SKILLS, VULNERABILITY_TAGS


def _share(value: float) -> float:
    if not 0 <= value <= 1:
        raise ValueError("must be between 0 and 1")
    return value


Share = Annotated[float, AfterValidator(_share)]
Minutes = Annotated[float, Field(ge=0, le=7 * 24 * 60, allow_inf_nan=False)]
Positive = Annotated[float, Field(gt=0, allow_inf_nan=False)]
ItemCode = Annotated[str, Field(pattern=r"^[A-Z0-9][A-Z0-9-]{1,39}$")]
DEMO_COUNTY = "532922000000"
CLASSES = ("anyone", "vulnerable", *VULNERABILITY_TAGS)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Centre(Strict):
    lon: Annotated[float, Field(ge=-180, le=180)]
    lat: Annotated[float, Field(ge=-90, le=90)]


class Where(Strict):
    """Epicentre + radius (km), or a GeoJSON polygon (lon/lat degrees, WGS-84)."""

    centre: Centre | None = None
    radius_km: Annotated[float, Field(gt=0, le=300)] | None = None
    polygon: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _one_shape(self) -> Where:
        circle = self.centre is not None or self.radius_km is not None
        if self.polygon is not None and circle:
            raise ValueError("give either polygon or centre and radius_km, not both")
        if self.polygon is None and (self.centre is None or self.radius_km is None):
            raise ValueError("give centre and radius_km, or polygon")
        return self


class Population(Strict):
    """``generate``: the demo county generator (seeded); ``registry``: the source database's
    households, persons, volunteers, depots and lots, copied read-only."""

    source: Literal["generate", "registry"] = "generate"
    area: Annotated[str, Field(pattern=r"^\d{12}$")] = "532922000000"
    households: Annotated[int, Field(ge=1, le=200_000)] = 300
    volunteers: Annotated[int, Field(ge=1, le=20_000)] = 60

    @field_validator("area")
    @classmethod
    def _generated_area(cls, value: str, info: ValidationInfo) -> str:
        if info.data.get("source") == "generate" and value != DEMO_COUNTY:
            raise ValueError(f"the generator makes the demo county {DEMO_COUNTY} (漾濞)")
        return value


class NeedItem(Strict):
    item_code: ItemCode
    quantity: Annotated[int, Field(ge=1, le=100_000)]


class NeedRule(Strict):
    """Each person of class ``who`` in the hazard's area raises this need with probability
    ``rate`` (drawn once per person and rule), reported with their household's report."""

    kind: NeedKind
    who: Literal[CLASSES] = "anyone"  # type: ignore[valid-type]
    rate: Share
    severity: Annotated[int, Field(ge=1, le=5)] = 3
    items: list[NeedItem] = Field(default_factory=list, max_length=20)
    skills: list[Literal[tuple(SKILLS)]] = Field(default_factory=list)  # type: ignore[valid-type]
    person_status: Literal["injured", "needs_help", "missing"] = "needs_help"


class Families(Strict):
    """A share ``within_share`` of households reports in the first ``within_minutes`` (uniform),
    ``unreachable_share`` never does; the rest report between then and ``late_minutes``."""

    within_minutes: Positive = 60
    within_share: Share = 0.7
    unreachable_share: Share = 0.1
    late_minutes: Positive = 240

    @model_validator(mode="after")
    def _shares(self) -> Families:
        if self.within_share + self.unreachable_share > 1:
            raise ValueError("within_share + unreachable_share must be at most 1")
        if self.late_minutes < self.within_minutes:
            raise ValueError("late_minutes must be at least within_minutes")
        return self


class Delay(Strict):
    """A lognormal response delay given by its median and 90th percentile (seconds)."""

    median_s: Positive = 60
    p90_s: Positive = 240

    @model_validator(mode="after")
    def _order(self) -> Delay:
        if self.p90_s < self.median_s:
            raise ValueError("p90_s must be at least median_s")
        return self


class Volunteers(Strict):
    """Who is on duty, how fast they answer and travel; on site ``service_minutes``."""

    on_duty_share: Share = 0.6
    response_delay: Delay = Delay()
    decline_rate: Share = 0.1
    speed_kmh: Annotated[float, Field(gt=0, le=200)] = 25
    terrain_factor: Annotated[float, Field(ge=1, le=10)] = 1.4
    pickup_minutes: Minutes = 5
    service_minutes: Minutes = 15


class StockLine(Strict):
    """Extra stock received at every depot of ``depot_kind`` before the declaration."""

    depot_kind: str = "warehouse"
    item_code: ItemCode
    quantity: Annotated[int, Field(ge=1, le=10_000_000)]


class Stock(Strict):
    """The population's lots (generated or copied), plus ``add``: lines received on top."""

    add: list[StockLine] = Field(default_factory=list)


class Inject(Strict):
    """A scripted event at ``at_minutes``: ``aftershock`` raises ``needs`` anew (rates per
    person of the area); ``road_closed`` makes travel into ``where`` ``slowdown`` times
    slower, or volunteers decline it when ``unreachable``; ``depot_lost`` writes off the
    lots of the depot named ``depot`` (or the ``depot_kind`` one nearest the centre) and
    takes it out of service."""

    at_minutes: Minutes
    kind: Literal["aftershock", "road_closed", "depot_lost"]
    needs: list[NeedRule] = Field(default_factory=list)
    where: Where | None = None
    slowdown: Annotated[float, Field(ge=1, le=100)] = 2.0
    unreachable: bool = False
    depot: str | None = None
    depot_kind: str = "warehouse"

    @model_validator(mode="after")
    def _fields(self) -> Inject:
        if self.kind == "aftershock" and not self.needs:
            raise ValueError("an aftershock needs needs (rules as in the scenario's needs)")
        if self.kind == "road_closed" and self.where is None:
            raise ValueError("a road_closed inject needs where (centre + radius_km, or polygon)")
        return self
