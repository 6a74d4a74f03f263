"""Plan vocabularies: hazards (incident types), their categories, response levels, metrics.

Codes are stable identifiers stored in plan documents and incidents; labels are for people.
"""

from __future__ import annotations

from enum import StrEnum

from core.incidents.models import IncidentCategory


class Hazard(StrEnum):
    """The incident type a plan (and a classification handbook) is written for."""

    earthquake = "earthquake"  # 地震
    flood = "flood"  # 洪涝(暴雨、山洪)
    landslide_debris_flow = "landslide_debris_flow"  # 滑坡、泥石流等地质灾害
    forest_fire = "forest_fire"  # 森林草原火灾
    drought = "drought"  # 干旱
    accident = "accident"  # 事故灾难(道路交通、危险化学品、建筑火灾 …)
    public_health = "public_health"  # 突发公共卫生事件


HAZARD_LABELS: dict[Hazard, str] = {
    Hazard.earthquake: "地震 earthquake",
    Hazard.flood: "洪涝 flood (rainstorm, flash flood)",
    Hazard.landslide_debris_flow: "滑坡泥石流 landslide and debris flow",
    Hazard.forest_fire: "森林草原火灾 forest and grassland fire",
    Hazard.drought: "干旱 drought",
    Hazard.accident: "事故灾难 accident disaster",
    Hazard.public_health: "公共卫生事件 public-health event",
}

HAZARD_CATEGORY: dict[Hazard, IncidentCategory] = {
    Hazard.earthquake: IncidentCategory.natural_disaster,
    Hazard.flood: IncidentCategory.natural_disaster,
    Hazard.landslide_debris_flow: IncidentCategory.natural_disaster,
    Hazard.forest_fire: IncidentCategory.natural_disaster,
    Hazard.drought: IncidentCategory.natural_disaster,
    Hazard.accident: IncidentCategory.accident,
    Hazard.public_health: IncidentCategory.public_health,
}

LEVELS = ("I", "II", "III", "IV")
"""Response levels in order, I the most severe (特别重大) to IV the least (一般)."""

LEVEL_NAMES = {"I": "特别重大", "II": "重大", "III": "较大", "IV": "一般"}

METRICS: dict[str, str] = {
    "magnitude": "地震震级 magnitude (M)",
    "deaths": "死亡和失踪人数 dead and missing (persons)",
    "seriously_injured": "重伤(含急性中毒)人数 seriously injured incl. acute poisoning (persons)",
    "economic_loss_10k_yuan": "直接经济损失 direct economic loss (10,000 yuan)",
    "threatened_people": "受威胁人数 people under threat (persons)",
    "relocated_people": "紧急转移安置人数 people relocated (persons)",
    "burned_forest_ha": "受害森林面积 forest burned (hectares)",
    "flood_return_period_years": "洪水重现期 flood return period (years)",
    "water_shortage_pct": "供水短缺率 water-supply shortfall (percent)",
    "poisoned_people": "一次中毒人数 people poisoned in one event (persons)",
    "cases": "病例数 cases (persons)",
}
"""Numeric trigger metrics. Every threshold means "at least this much"; a higher value is
always worse, so a more severe level never has a lower threshold than a less severe one."""

DEFAULT_CLASS = "default"
"""The check-in deadline key for everyone without a vulnerability tag listed in the plan."""
