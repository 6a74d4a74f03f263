"""The plan document: one area's contingency plan (应急预案) for one hazard.

A plan version stores one :class:`PlanDocument` as JSON. The same document is written
in YAML (the classification handbooks in ``plans/templates/`` are such documents) and
validated here. ``PlanDocument.model_json_schema()`` is served at
``GET /api/v1/plans/schema``.

Validation context (``model_validate(data, context=...)``): ``item_codes`` — the item
catalogue codes materials may name (the service passes the ``item`` table's codes; by
default the shipped ``core/registry/items/catalogue.yaml``). Errors name their path, e.g.
``("levels", 1, "thresholds", 0, "at_least")``; see :mod:`plans.checks` for the rules
beyond field types (level order, monotone thresholds, vocabularies, deadlines).
"""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, model_validator

from core.incidents.models import IncidentCategory
from plans.checks import check_document
from plans.vocab import Hazard

Text = Annotated[str, Field(min_length=1, max_length=500)]
Slug = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,39}$")]
Phone = Annotated[str, Field(pattern=r"^\+?[0-9][0-9 -]{4,19}$", description="Duty phone.")]


class _Doc(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Threshold(_Doc):
    """A numeric trigger: the level applies when ``metric`` reaches ``at_least``."""

    metric: str = Field(description="A code of plans.vocab.METRICS (e.g. magnitude, deaths).")
    at_least: float = Field(gt=0, description="The level applies from this value upwards.")
    note: str = Field("", max_length=300, description="Qualifier, e.g. 人口较密集地区.")


class LevelSpec(_Doc):
    """One response level with the conditions that start it and what the community does."""

    level: Literal["I", "II", "III", "IV"] = Field(description="I is the most severe.")
    name: str = Field("", max_length=40, description="特别重大/重大/较大/一般 (filled if empty).")
    triggers: list[Text] = Field(min_length=1, description="Conditions in words (any one).")
    thresholds: list[Threshold] = Field(
        default_factory=list, description="Numeric conditions (any one); optional."
    )
    actions: list[Text] = Field(
        default_factory=list, description="What the community team does at this level."
    )


class TeamRole(_Doc):
    """A role of the community emergency team, held by a position (and a named person)."""

    role: Slug = Field(description="Stable code, unique in the team, e.g. commander.")
    title: str = Field(min_length=1, max_length=60, description="e.g. 总指挥.")
    position: str = Field(min_length=1, max_length=100, description="Held by, e.g. 社区书记.")
    name: str | None = Field(None, max_length=60, description="Current holder (optional).")
    phone: Phone | None = None
    duties: list[Text] = Field(default_factory=list)


class GridWorker(_Doc):
    """The grid worker (网格员) of one grid of the community; relays the chain to households."""

    grid_code: str = Field(min_length=1, max_length=40, description="Grid.code in this area.")
    name: str | None = Field(None, max_length=60)
    phone: Phone | None = None


class FamilyContactRule(_Doc):
    """How families are reached: every household names a contact (家庭联系人)."""

    rule: Text = Field(description="The rule in words, e.g. 每户确定1名家庭联系人.")
    backup_contact_required: bool = Field(True, description="A second contact per household.")
    report_to: Literal["grid_worker", "community_team"] = "grid_worker"
    pair_vulnerable_with_neighbours: bool = Field(
        True, description="Each vulnerable person has neighbours paired to check on them."
    )


class ContactTree(_Doc):
    """Roles and the contact tree: community team → grid workers → family contacts."""

    team: list[TeamRole] = Field(min_length=1, description="The community emergency team.")
    grid_workers: list[GridWorker] = Field(
        default_factory=list, description="One per grid (community plans only)."
    )
    family_contacts: FamilyContactRule
    report_up_minutes: int = Field(
        gt=0, le=1440, description="First report to the level above within this many minutes."
    )


class PlaceRef(_Doc):
    """A depot (shelter or assembly point) of this area or of an area above it."""

    depot_id: uuid.UUID
    note: str = Field("", max_length=300, description="e.g. which grids go there.")


class MaterialNeed(_Doc):
    """Reserve need of one catalogue item: per person-day (consumables) or per person."""

    item_code: str = Field(description="An item catalogue code, e.g. WATER-BOTTLED-L.")
    per_person_day: float | None = Field(None, gt=0, description="Base units/person/day.")
    per_person: float | None = Field(
        None, gt=0, description="Base units/person, once (durables: tents, quilts)."
    )
    note: str = Field("", max_length=300, description="Basis, e.g. the standard cited.")


class PlanDocument(_Doc):
    """A contingency plan for one hazard in one area (community, township, county …)."""

    title: str = Field(min_length=1, max_length=200)
    hazard: Hazard
    category: IncidentCategory | None = Field(
        None, description="Follows from the hazard (filled in if omitted; must agree)."
    )
    summary: str = Field("", max_length=2000, description="适用范围 and principles.")
    source: str = Field("", max_length=4000, description="Sources the content follows.")
    levels: list[LevelSpec] = Field(
        min_length=4, max_length=4, description="Exactly I, II, III, IV in this order."
    )
    contact_tree: ContactTree
    shelters: list[PlaceRef] = Field(default_factory=list, description="Depots of kind shelter.")
    assembly_points: list[PlaceRef] = Field(
        default_factory=list, description="Depots of kind assembly_point (or shelter)."
    )
    supply_days: int = Field(3, ge=1, le=30, description="Days the material reserve covers.")
    materials: list[MaterialNeed] = Field(default_factory=list)
    volunteer_skills: dict[str, float] = Field(
        default_factory=dict,
        description="Volunteers needed per 1,000 residents by skill (core.registry.vocab.SKILLS).",
    )
    checkin_deadlines_minutes: dict[str, int] = Field(
        description="Minutes to confirm a person after activation, by vulnerability tag "
        "(core.registry.vocab.VULNERABILITY_TAGS); 'default' (required) for everyone else."
    )
    self_help_checklist: list[Text] = Field(
        min_length=1, description="The family self-help checklist (家庭自救互救清单)."
    )

    @model_validator(mode="after")
    def _rules(self, info: ValidationInfo) -> PlanDocument:
        context = info.context if isinstance(info.context, dict) else {}
        check_document(self, item_codes=context.get("item_codes"))
        return self
