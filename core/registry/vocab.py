"""Controlled vocabularies: volunteer skills, vulnerability tags, languages, sexes.

Codes are stable identifiers stored in the database; labels are for people.
Languages use ISO 639-3 codes where one exists (Yunnan's 25 minority peoples speak
many languages; where a people uses several, the most widespread is listed and the
others can be added here without a migration).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from core.errors import Invalid

SKILLS: dict[str, str] = {
    "first_aid": "急救 first aid",
    "medical": "医疗 medical (doctor, nurse)",
    "search_rescue": "搜救 search and rescue",
    "psychological_support": "心理支持 psychological support",
    "driving": "驾驶 driving (give vehicle_class, e.g. C1, B2, A1)",
    "logistics": "物资后勤 logistics, loading, distribution",
    "elder_care": "助老 elder care",
    "child_care": "儿童照护 child care",
    "disability_support": "助残 support for people with disabilities",
    "construction": "建筑抢修 construction and repair",
    "electrical": "电工 electrical",
    "translation": "翻译 translation (give languages)",
    "cooking": "炊事 cooking for canteens",
    "communications": "通信 radio and communications",
    "social_work": "社会工作 social work",
}

VEHICLE_CLASSES = ("A1", "A2", "A3", "B1", "B2", "C1", "C2", "D", "E")

VULNERABILITY_TAGS: dict[str, str] = {
    "living_alone": "独居 living alone",
    "empty_nest": "空巢 empty-nest elderly",
    "aged_80_plus": "高龄 aged 80 and over",
    "shidu": "失独 bereaved of their only child",
    "left_behind_child": "留守儿童 left-behind child",
    "left_behind_elderly": "留守老人 left-behind elderly",
    "disabled": "残疾 disabled",
    "chronically_ill": "慢性病 chronically ill",
    "pregnant": "孕产妇 pregnant or recently delivered",
    "infant": "婴幼儿 infant (under 3)",
    "dibao": "低保 minimum living allowance",
    "tekun": "特困 extreme poverty support",
    "bedridden": "卧床 bedridden",
    "dialysis": "透析 needs dialysis",
}

LANGUAGES: dict[str, str] = {
    "cmn": "普通话 Mandarin",
    "cmn-yn": "云南方言 Yunnan Mandarin",
    "yue": "粤语 Cantonese",
    "en": "英语 English",
    "iii": "彝语 Yi (Nuosu)",
    "hni": "哈尼语 Hani",
    "bca": "白语 Bai",
    "tdd": "傣语(德宏) Tai Nüa",
    "khb": "傣语(西双版纳) Tai Lü",
    "zyb": "壮语 Zhuang",
    "hmn": "苗语 Hmong",
    "lis": "傈僳语 Lisu",
    "lhu": "拉祜语 Lahu",
    "wbm": "佤语 Wa",
    "nxq": "纳西语 Naxi",
    "ium": "瑶语 Iu Mien",
    "bod": "藏语 Tibetan",
    "kac": "景颇语 Jingpo",
    "blr": "布朗语 Blang",
    "pcc": "布依语 Bouyei",
    "pmi": "普米语 Pumi",
    "acn": "阿昌语 Achang",
    "nuf": "怒语 Nusu",
    "jiu": "基诺语 Jino",
    "mvf": "蒙古语 Mongolian",
    "pll": "德昂语 Palaung (De'ang)",
    "swi": "水语 Sui",
    "duu": "独龙语 Derung",
    "sgn-zh": "中国手语 Chinese Sign Language",
}

SEXES = ("female", "male", "other")


def check_codes(
    values: Iterable[str],
    vocabulary: dict[str, str] | Sequence[str],
    loc: Sequence[str | int],
    what: str,
) -> list[str]:
    """Deduplicated ``values``; 422 naming ``loc + (index,)`` for the first unknown code."""
    out: list[str] = []
    for i, value in enumerate(values):
        if value not in vocabulary:
            raise Invalid.field((*loc, i), f"unknown {what} {value!r}")
        if value not in out:
            out.append(value)
    return out
