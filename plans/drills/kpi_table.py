"""The headline KPIs a report tabulates and a comparison sets side by side, each with
its label, unit and which direction is better.

``better`` is ``"lower"`` (times, unmet needs, overdue check-ins, declines, expiries,
re-offers), ``"higher"`` (shares within a time, needs met, households confirmed, days of
stock left) or ``None`` (volume figures with no good direction: offers, needs raised,
travel, utilisation — a busy roster can be good or overstretched).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Headline:
    key: str  # dotted path into the KPIs, or a name for a derived figure
    label: str
    unit: str
    better: str | None


def _min_days(k: dict[str, Any]) -> Any:
    known = [d["days_left"] for d in k.get("stock", []) if d.get("days_left") is not None]
    return min(known) if known else None


DERIVED: dict[str, Callable[[dict[str, Any]], Any]] = {"stock.min_days_left": _min_days}


_TABLE = """
chain.vulnerable_minutes.p50 | 易受损人员确认用时 p50 | vulnerable accounted for, p50 | min | lower
chain.vulnerable_minutes.p90 | 易受损人员确认用时 p90 | vulnerable accounted for, p90 | min | lower
chain.vulnerable_minutes.max | 全部易受损人员确认 | all vulnerable accounted for | min | lower
chain.vulnerable_within.30 | 30 分钟内确认 | accounted within 30 min | share | higher
chain.vulnerable_within.60 | 60 分钟内确认 | accounted within 60 min | share | higher
chain.vulnerable_within.120 | 120 分钟内确认 | accounted within 120 min | share | higher
chain.vulnerable_persons | 易受损人员 | vulnerable persons |  |
chain.households_confirmed | 已确认家庭 | households confirmed |  | higher
chain.overdue_households_total | 逾期家庭 | households overdue |  | lower
chain.overdue_persons_total | 逾期人员 | persons overdue |  | lower
needs.raised | 需求 | needs raised |  |
needs.met | 已满足 | needs met |  | higher
needs.unmet | 未满足 | needs unmet |  | lower
needs_by_band.P1.met_share | P1 满足率 | P1 met share | share | higher
needs_by_band.P1.fulfil_minutes.p50 | P1 满足用时 p50 | P1 time to fulfil, p50 | min | lower
needs_by_band.P2.met_share | P2 满足率 | P2 met share | share | higher
needs_by_band.P2.fulfil_minutes.p50 | P2 满足用时 p50 | P2 time to fulfil, p50 | min | lower
needs_by_band.P3.met_share | P3 满足率 | P3 met share | share | higher
needs_by_band.P3.fulfil_minutes.p50 | P3 满足用时 p50 | P3 time to fulfil, p50 | min | lower
needs_by_band.P4.met_share | P4 满足率 | P4 met share | share | higher
needs_by_band.P4.fulfil_minutes.p50 | P4 满足用时 p50 | P4 time to fulfil, p50 | min | lower
dispatch.offers | 派单 | offers |  |
dispatch.re_offers | 重新派单 | re-offers |  | lower
dispatch.declined | 拒绝 | declines |  | lower
dispatch.expired | 超时 | expiries |  | lower
dispatch.accept_share | 接单率 | accept share | share | higher
dispatch.utilisation | 志愿者利用率 | volunteer utilisation | share |
dispatch.travel_km | 行程 | travel | km |
stock.min_days_left | 物资最短可用天数 | fewest days of stock left | days | higher
"""


def _rows() -> list[Headline]:
    rows = []
    for line in _TABLE.strip().splitlines():
        key, zh, en, unit, better = (cell.strip() for cell in line.split("|"))
        rows.append(Headline(key, f"{zh} {en}", unit, better or None))
    return rows


HEADLINES: tuple[Headline, ...] = tuple(_rows())


class MissingKey(KeyError):
    """A headline key absent from a KPI dict (names the dotted path)."""


def value_of(kpis: dict[str, Any], key: str) -> Any:
    """The value at dotted ``key`` (or a derived figure); MissingKey when absent."""
    if key in DERIVED:
        return DERIVED[key](kpis)
    node: Any = kpis
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            raise MissingKey(key)
        node = node[part]
    return node


def verdict(a: Any, b: Any, better: str | None) -> str:
    """How ``b`` compares with ``a``: ``better``, ``worse``, ``same``, or ``""`` (no
    direction, or a value missing)."""
    if not isinstance(a, int | float) or not isinstance(b, int | float):
        return "same" if a == b else ""
    if a == b:
        return "same"
    if better is None:
        return ""
    return "better" if (b < a) == (better == "lower") else "worse"
