"""The self-contained HTML of a drill or incident report: inline CSS, plots and map as
data URIs, no script, no external URL (it works offline, DESIGN.md Promises)."""

from __future__ import annotations

import re
from html import escape
from typing import Any

from plans.drills.kpi_table import HEADLINES, MissingKey, value_of

NUMBER = re.compile(r"^[+-]?[\d,]+(\.\d+)?%?$")
CSS = """
body{font-family:"WenQuanYi Micro Hei","Noto Sans CJK SC","Microsoft YaHei",sans-serif;
margin:2em;color:#222;max-width:1100px}
h1{font-size:1.5em}h2{font-size:1.2em;border-bottom:1px solid #ccc;padding-bottom:.2em}
table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ddd;padding:.25em .6em}
th{background:#f3f3f3;text-align:left}td.n{text-align:right;font-variant-numeric:tabular-nums}
img{max-width:100%;display:block;margin:.5em 0 1.5em}
.better{background:#dff0d8}.worse{background:#f2dede}.muted{color:#888}
"""


LEVELS = {1: "Ⅰ级 I", 2: "Ⅱ级 II", 3: "Ⅲ级 III", 4: "Ⅳ级 IV"}
"""Response levels as a coordinator writes them."""
SHOWN = frozenset({"hazard", "level", "mode"})
"""Meta keys the run table already shows from the incident itself."""


def fmt(value: Any, unit: str = "") -> str:
    """A KPI value for people: shares as %, None as —."""
    if value is None:
        return "—"
    if unit == "share" and isinstance(value, int | float):
        return f"{100 * value:.1f}%"
    if isinstance(value, float):
        return f"{value:,.2f}".rstrip("0").rstrip(".")
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def fmt_delta(value: Any, unit: str = "") -> str:
    """A difference with its sign (shares in percentage points)."""
    if not isinstance(value, int | float) or value == 0:
        return fmt(value, unit if unit != "share" else "")
    text = f"{100 * value:.1f} pp" if unit == "share" else fmt(value)
    return text if value < 0 else f"+{text}"


def table(head: list[str], rows: list[list[Any]], classes: list[str] | None = None) -> str:
    """An HTML table; numbers right-aligned, every cell escaped."""
    out = ["<table><tr>", *(f"<th>{escape(h)}</th>" for h in head), "</tr>"]
    for i, row in enumerate(rows):
        cls = f' class="{classes[i]}"' if classes and classes[i] else ""
        out.append(f"<tr{cls}>")
        for cell in row:
            numeric = isinstance(cell, int | float) or NUMBER.match(str(cell))
            out.append(f"<td{' class=n' if numeric else ''}>{escape(str(cell))}</td>")
        out.append("</tr>")
    out.append("</table>")
    return "".join(out)


def page(title: str, body: list[str]) -> str:
    return (
        '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{CSS}</style></head><body>"
        + "".join(body) + "</body></html>"
    )  # fmt: skip


def headline_rows(kpis: dict[str, Any]) -> list[list[Any]]:
    rows = []
    for h in HEADLINES:
        try:
            value = value_of(kpis, h.key)
        except MissingKey:
            continue
        rows.append([h.label, fmt(value, h.unit), h.unit if h.unit != "share" else ""])
    return rows


def meta_lists(meta: dict[str, Any]) -> list[str]:
    """Lists of records in the meta (e.g. the plan versions a drill exercised) as tables."""
    out = []
    for key, value in meta.items():
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            head = list(dict.fromkeys(k for v in value for k in v))
            rows = [[fmt(v.get(h)) for h in head] for v in value]
            out += [f"<h3>{escape(key)}</h3>", table(head, rows)]
    return out


def render(meta: dict[str, Any], kpis: dict[str, Any], plots: dict[str, str], map_uri: str) -> str:
    """The report page: meta, the KPI table, detail tables, plots and the map."""
    inc = kpis["incident"]
    title = f"{inc['title']} — 演练与事件报告 KPI report"
    body = [f"<h1>{escape(title)}</h1>"]
    info = [["incident", inc["id"]], ["hazard", inc["hazard"]],
            ["level", LEVELS.get(inc["level"], inc["level"])], ["mode", inc["mode"]],
            ["start", inc["start"]], ["until", inc["until"]],
            *([k, str(v) if k == "seed" else fmt(v)] for k, v in meta.items()
              if not isinstance(v, dict | list) and k not in SHOWN)]  # fmt: skip
    body += ["<h2>概况 Run</h2>", table(["项目 item", "值 value"], info), *meta_lists(meta)]
    body += ["<h2>关键指标 KPIs</h2>", table(["KPI", "value", "unit"], headline_rows(kpis))]
    bands = kpis["needs_by_band"]
    body += ["<h2>按优先级 Needs by priority band</h2>", table(
        ["band", "raised", "met", "cancelled", "unmet", "met share", "p50 min", "p90 min", "max"],
        [[b, r["raised"], r["met"], r["cancelled"], r["unmet"], fmt(r["met_share"], "share"),
          *(fmt(r["fulfil_minutes"][p]) for p in ("p50", "p90", "max"))]
         for b, r in bands.items()])]  # fmt: skip
    body += ["<h2>未满足物资 Unmet needs by item</h2>", table(
        ["item", "name", "unit", "needs", "quantity"],
        [[u["item"], u["name"], u["unit"], u["needs"], u["quantity"]]
         for u in kpis["unmet_by_item"]])]  # fmt: skip
    body += ["<h2>物资可用天数 Days of stock left</h2>", table(
        ["depot", "item", "consumed", "available", "per day", "days left"],
        [[d["name"], i["item"], i["consumed"], i["available"], fmt(i["per_day"]),
          fmt(i["days_left"])] for d in kpis["stock"] for i in d["items"]])]  # fmt: skip
    d = kpis["dispatch"]
    body += ["<h2>派单与志愿者 Dispatch and volunteers</h2>",
             table(["", ""], [[k, fmt(v, "share" if k.endswith(("share", "utilisation")) else "")]
                              for k, v in d.items()])]  # fmt: skip
    body.append("<h2>随时间 Over time</h2>")
    for name, uri in plots.items():
        body.append(f'<h3>{escape(name)}</h3><img alt="{escape(name)}" src="{uri}">')
    body += ["<h2>地图 Map of needs and coverage</h2>",
             f'<img alt="map of needs and coverage" src="{map_uri}">']  # fmt: skip
    return page(title, body)
