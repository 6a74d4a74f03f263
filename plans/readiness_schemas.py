"""Shapes of a plan's readiness report (counts only: no personal data)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Literal

from pydantic import BaseModel, Field


class PopulationRead(BaseModel):
    persons: int = Field(description="Persons living in households of the area and below.")
    households: int = Field(description="Households with at least one resident.")
    vulnerable: int = Field(description="Persons with at least one vulnerability tag.")
    by_tag: dict[str, int] = Field(description="Persons per vulnerability tag (every tag).")


class MaterialRead(BaseModel):
    item_code: str
    name_zh: str
    name_en: str
    base_unit: str
    basis: Literal["per_person_day", "per_person"]
    rate: float = Field(description="Base units per person (per day for per_person_day).")
    available: int = Field(description="On hand − reserved of real, unexpired lots.")
    need: int = Field(description="Base units the plan asks for (supply_days × daily need).")
    days_of_supply: float | None = Field(description="per_person_day items; null: nobody.")
    coverage: float | None = Field(description="per_person items: available / need per head.")
    gap: bool
    shortfall: int


class VolunteerSkillRead(BaseModel):
    skill: str
    per_thousand: float
    required: int = Field(description="ceil(per_thousand × persons / 1000).")
    active: int = Field(description="Active volunteers of the area with the skill.")
    counted: int = Field(description="Of those, insured today: the ones readiness counts.")
    gap: bool
    shortfall: int


class ShelterRead(BaseModel):
    shelters: int = Field(description="Shelters the plan lists.")
    capacity: int = Field(description="Sum of their capacity_people.")
    need: int = Field(description="The whole population of the area.")
    gap: bool
    shortfall: int


class GapRead(BaseModel):
    kind: Literal["material", "volunteers", "shelter"]
    what: str = Field(description="Item code, skill code, or shelter_capacity.")
    unit: str
    have: int
    need: int
    shortfall: int
    message_zh: str
    message_en: str


class ReadinessRead(BaseModel):
    plan_id: uuid.UUID
    version_id: uuid.UUID
    version: int
    status: str
    title: str
    hazard: str
    area_code: str
    area_name: str
    as_of: date = Field(description="China date the stock expiry and insurance are judged on.")
    supply_days: int
    population: PopulationRead
    materials: list[MaterialRead]
    volunteers: list[VolunteerSkillRead]
    shelters: ShelterRead
    gaps: list[GapRead]
