"""Depot kinds and the sub-types of charity sites (慈善阵地), with their Chinese names."""

from __future__ import annotations

from core.registry.depots.models import DepotKind

KIND_LABELS: dict[str, str] = {
    "warehouse": "应急物资仓库",
    "charity_supermarket": "慈善超市",
    "charity_canteen": "慈善食堂",
    "party_service_center": "党群服务中心",
    "civilization_station": "新时代文明实践站(所)",
    "shelter": "避难场所",
    "assembly_point": "应急集合点",
    "charity_site": "慈善阵地",
}

SITE_TYPES: dict[str, str] = {
    # 慈善阵地 of the 2024 text (part 二(三)); 慈善超市/慈善食堂 are kinds of their own.
    "block": "慈善街区",
    "park": "慈善公园",
    "plaza": "慈善广场",
    "building": "慈善楼宇",
    "school": "慈善学校",
    "hospital": "慈善医院",
    "museum": "慈善博物馆",
    # The places the same text says charity sites are built on (依托 …).
    "social_affairs_office": "社会事务办",
    "civil_affairs_service": "民政服务机构",
    "volunteer_station": "志愿服务站",
    "cultural_center": "文化馆",
    "incubation_base": "社会组织培育孵化基地",
}
"""Sub-types of ``kind=charity_site`` (required for it, forbidden for every other kind)."""

OWN_KINDS = {"supermarket": "charity_supermarket", "canteen": "charity_canteen"}
PEOPLE_KINDS = frozenset({DepotKind.shelter, DepotKind.assembly_point})
"""Kinds that must state ``capacity_people`` and default to always open."""
