"""The hazard vocabulary of incidents and the category (突发事件类别) each belongs to.

Categories follow the four kinds of the national emergency plan: 自然灾害, 事故灾难,
公共卫生事件, 社会安全事件. ``other`` names its category explicitly.
"""

from __future__ import annotations

from core.incidents.models import IncidentCategory

HAZARDS: dict[str, IncidentCategory | None] = {
    "earthquake": IncidentCategory.natural_disaster,  # 地震
    "flood": IncidentCategory.natural_disaster,  # 洪涝
    "landslide_debris_flow": IncidentCategory.natural_disaster,  # 滑坡泥石流
    "forest_fire": IncidentCategory.natural_disaster,  # 森林草原火灾
    "drought": IncidentCategory.natural_disaster,  # 干旱
    "accident": IncidentCategory.accident,  # 事故灾难
    "public_health": IncidentCategory.public_health,  # 公共卫生事件
    "other": None,  # the declarer names the category
}


def category_problem(hazard: str, category: IncidentCategory | None) -> str | None:
    """Why ``category`` does not fit ``hazard`` (None if it does, or may be derived)."""
    expected = HAZARDS[hazard]
    if expected is None and category is None:
        return "hazard other needs a category: " + ", ".join(c.value for c in IncidentCategory)
    if expected is not None and category is not None and category is not expected:
        return f"hazard {hazard} is in category {expected.value}"
    return None


def category_of(hazard: str, category: IncidentCategory | None) -> IncidentCategory:
    """The category of an incident (checked by :func:`category_problem` first)."""
    expected = HAZARDS[hazard]
    result = expected or category
    assert result is not None
    return result
