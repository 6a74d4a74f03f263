"""The report's plots, drawn with matplotlib (Agg, imported lazily) as base64 PNG data
URIs, so the HTML needs no file beside it and no network. Labels in Chinese and English
use the system's "WenQuanYi Micro Hei" when installed (DESIGN.md: Fonts)."""

from __future__ import annotations

import base64
import io
from typing import Any

CJK_FONT = "WenQuanYi Micro Hei"


def pyplot() -> Any:
    """matplotlib's pyplot on the Agg backend, with a CJK font when the system has one."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import font_manager
    from matplotlib import pyplot as plt

    names = {f.name for f in font_manager.fontManager.ttflist}
    fonts = [CJK_FONT] if CJK_FONT in names else []
    plt.rcParams.update({"font.sans-serif": [*fonts, "DejaVu Sans"], "font.family": "sans-serif",
                         "axes.unicode_minus": False})  # fmt: skip
    return plt


def data_uri(fig: Any) -> str:
    """The figure as a PNG data URI (no metadata: the same figure gives the same bytes)."""
    plt = pyplot()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _lines(title: str, t: list[int], lines: dict[str, list[int]], ylabel: str) -> str:
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7.0, 3.0))
    for label, values in lines.items():
        ax.plot(t, values, label=label)  # the state at each bucket edge
    ax.set(title=title, xlabel="分钟 minutes from start", ylabel=ylabel)
    ax.grid(alpha=0.3)
    ax.legend(loc="best", fontsize=8)
    return data_uri(fig)


def _bars(title: str, labels: list[str], series: dict[str, list[float]], xlabel: str) -> str:
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7.0, 0.4 * max(3, len(labels)) + 0.8))
    left = [0.0] * len(labels)
    for name, values in series.items():
        ax.barh(labels, values, left=left, label=name)
        left = [a + b for a, b in zip(left, values, strict=True)]
    ax.invert_yaxis()
    ax.set(title=title, xlabel=xlabel)
    if len(series) > 1:
        ax.legend(loc="best", fontsize=8)
    return data_uri(fig)


def plots(kpis: dict[str, Any]) -> dict[str, str]:
    """Title → PNG data URI of every plot of the report."""
    s, out = kpis["series"], {}
    out["家庭与易受损人员确认 Households confirmed and vulnerable persons accounted for"] = _lines(
        "确认进度 Accounted over time", s["t_minutes"],
        {"家庭 households confirmed": s["households_confirmed"],
         "易受损人员 vulnerable accounted": s["vulnerable_accounted"]}, "count")  # fmt: skip
    out["逾期 Overdue check-ins"] = _lines(
        "逾期家庭 Overdue households", s["t_minutes"],
        {"overdue households": s["overdue_households"]}, "households")  # fmt: skip
    out["需求 Needs open and met"] = _lines(
        "需求 Needs", s["t_minutes"],
        {"open 未满足": s["needs_open"], "met 已满足": s["needs_met"]}, "needs")  # fmt: skip
    bands = kpis["needs_by_band"]
    out["按优先级 Needs by priority band"] = _bars(
        "按优先级 By priority band", list(bands),
        {k: [float(b[k]) for b in bands.values()] for k in ("met", "unmet", "cancelled")},
        "needs")  # fmt: skip
    unmet = kpis["unmet_by_item"][:12]
    if unmet:
        out["未满足物资 Unmet needs by item"] = _bars(
            "未满足物资 Unmet by item", [f"{u['name']} ({u['unit']})" for u in unmet],
            {"quantity": [float(u["quantity"]) for u in unmet]}, "quantity")  # fmt: skip
    depots = [d for d in kpis["stock"] if d["days_left"] is not None][:15]
    if depots:
        out["物资可用天数 Days of stock left"] = _bars(
            "物资可用天数 Days of stock left per depot", [d["name"] for d in depots],
            {"days": [float(d["days_left"]) for d in depots]}, "days")  # fmt: skip
    return out
