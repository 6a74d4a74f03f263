"""The gaps of a readiness report, each said in Chinese and English."""

from __future__ import annotations

from core.registry.vocab import SKILLS
from plans.readiness_schemas import GapRead, MaterialRead, ShelterRead, VolunteerSkillRead

UNITS_ZH = {"L": "升", "kg": "千克", "piece": "件", "meal": "份", "pack": "包", "box": "盒",
            "bar": "块", "set": "套", "can": "罐", "tablet": "片", "pair": "双", "bottle": "瓶",
            "sachet": "袋"}  # fmt: skip


def _skill_names(skill: str) -> tuple[str, str]:
    """(Chinese, English) of a skill code: its vocabulary label is ``"急救 first aid"``."""
    zh, _, en = SKILLS.get(skill, f"{skill} {skill}").partition(" ")
    return zh, en.split(" (")[0] or skill


def material_gap(m: MaterialRead, supply_days: int) -> GapRead:
    unit = m.base_unit
    zu = UNITS_ZH.get(unit, unit)
    if m.basis == "per_person_day":
        days = 0.0 if m.days_of_supply is None else m.days_of_supply
        zh = (
            f"{m.name_zh}可供{days:g}天，预案要求{supply_days}天"
            f"(需{m.need}{zu}，现有{m.available}{zu})，缺{m.shortfall}{zu}"
        )
        en = (
            f"{m.name_en}: {days:g} days of supply against the plan's {supply_days} "
            f"(need {m.need} {unit}, have {m.available}); short {m.shortfall} {unit}"
        )
    else:
        zh = (
            f"{m.name_zh}按每人{m.rate:g}{zu}需{m.need}{zu}，现有{m.available}{zu}，"
            f"缺{m.shortfall}{zu}"
        )
        en = (
            f"{m.name_en}: {m.rate:g} {unit} per person needs {m.need} {unit}, "
            f"have {m.available}; short {m.shortfall} {unit}"
        )
    return GapRead(kind="material", what=m.item_code, unit=unit, have=m.available, need=m.need,
                   shortfall=m.shortfall, message_zh=zh, message_en=en)  # fmt: skip


def volunteer_gap(v: VolunteerSkillRead) -> GapRead:
    zh_name, en_name = _skill_names(v.skill)
    zh = (
        f"{zh_name}志愿者按每千人{v.per_thousand:g}人需{v.required}人，"
        f"在册且保险有效{v.counted}人，缺{v.shortfall}人"
    )
    en = (
        f"Volunteers for {en_name}: {v.per_thousand:g} per 1,000 residents needs "
        f"{v.required}, {v.counted} active and insured; short {v.shortfall}"
    )
    return GapRead(kind="volunteers", what=v.skill, unit="person", have=v.counted,
                   need=v.required, shortfall=v.shortfall, message_zh=zh,
                   message_en=en)  # fmt: skip


def shelter_gap(s: ShelterRead) -> GapRead:
    zh = (
        f"预案所列{s.shelters}处避难场所可容纳{s.capacity}人，辖区常住{s.need}人，"
        f"缺{s.shortfall}人的安置容量"
    )
    en = (
        f"The plan's {s.shelters} shelter(s) hold {s.capacity} people against "
        f"{s.need} residents; room for {s.shortfall} more is needed"
    )
    return GapRead(kind="shelter", what="shelter_capacity", unit="person", have=s.capacity,
                   need=s.need, shortfall=s.shortfall, message_zh=zh,
                   message_en=en)  # fmt: skip
