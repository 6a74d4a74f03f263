"""The board as CSV and the printable list of pending households (plain HTML, no assets),
for teams without phones. Times are shown in Asia/Shanghai; CSV times are ISO 8601 UTC."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import datetime
from html import escape

from core import clock
from plans.board_print import PrintedHousehold
from plans.chain_schemas import Board

CSV_COLUMNS = (
    "community_code", "community_name", "grid_code", "households_confirmed", "households_total",
    "vulnerable_confirmed", "vulnerable_total", "persons_confirmed", "persons_total",
    "overdue_households", "oldest_overdue_at", "oldest_overdue_minutes",
)  # fmt: skip
STATUS_LABELS = {
    "pending": "待报 pending",
    "overdue": "超时 overdue",
    "confirmed": "已确认 confirmed",
    "safe": "平安 safe",
    "injured": "受伤 injured",
    "needs_help": "需帮助 needs help",
    "missing": "失踪 missing",
    "unreachable": "联系不上 unreachable",
}
MARKS = ("平安", "受伤", "需帮助", "失踪", "联系不上")


def _utc(at: datetime | None) -> str:
    return "" if at is None else at.isoformat().replace("+00:00", "Z")


def board_csv(board: Board) -> str:
    """One line per row of the board (communities, or grids of one community)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for r in board.rows:
        writer.writerow([
            r.community_code or "", r.name or "", r.grid_code or "", r.households.confirmed,
            r.households.total, r.vulnerable.confirmed, r.vulnerable.total, r.persons.confirmed,
            r.persons.total, r.overdue_households, _utc(r.oldest_overdue_at),
            "" if r.oldest_overdue_minutes is None else r.oldest_overdue_minutes,
        ])  # fmt: skip
    return out.getvalue()


def _local(at: datetime) -> str:
    return at.astimezone(clock.LOCAL_TZ).strftime("%m-%d %H:%M")


def _household(h: PrintedHousehold, n: int) -> str:
    where = escape(h.address) if h.address else "（地址不公开 address withheld）"
    code = escape(h.household_code or "")
    head = f"<tr class='hh'><td>{n}</td><td colspan='3'>{code} {where}</td>"
    head += f"<td colspan='{len(MARKS) + 1}'>{escape(STATUS_LABELS.get(h.status, h.status))}</td>"
    lines = [head + "</tr>"]
    boxes = "".join(f"<td class='box'>☐ {m}</td>" for m in MARKS)
    for i, m in enumerate(h.members, 1):
        name = escape(m.name) if m.name else f"成员 member {i}"
        late = " ⚠" if m.overdue else ""
        lines.append(
            f"<tr><td></td><td>{name}</td><td>{escape(STATUS_LABELS.get(m.status, m.status))}"
            f"</td><td>{_local(m.deadline_at)}{late}</td>{boxes}<td class='note'></td></tr>"
        )
    return "\n".join(lines)


def print_page(*, title: str, at: datetime, households: Sequence[PrintedHousehold]) -> str:
    """Pending households grouped by community and grid, with boxes to tick on paper."""
    groups: dict[tuple[str, str], list[PrintedHousehold]] = {}
    for h in households:
        groups.setdefault((h.community_code, h.grid_code or "—"), []).append(h)
    header = "<tr><th>#</th><th>成员 member</th><th>状态 status</th><th>时限 deadline</th>"
    header += "".join(f"<th>{m}</th>" for m in MARKS) + "<th>备注 note</th></tr>"
    sections = []
    for (community, grid), items in groups.items():
        rows = "\n".join(_household(h, n) for n, h in enumerate(items, 1))
        sections.append(
            f"<section><h2>社区 {escape(community)} · 网格 {escape(grid)} ({len(items)})</h2>"
            f"<table>{header}\n{rows}</table></section>"
        )
    body = "\n".join(sections) or "<p>全部已确认 every household is confirmed.</p>"
    return f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{escape(title)}</title>
<style>
body {{ font-family: sans-serif; font-size: 11pt; margin: 1cm; }}
table {{ border-collapse: collapse; width: 100%; margin-bottom: 1em; }}
th, td {{ border: 1px solid #444; padding: 2px 4px; vertical-align: top; }}
tr.hh td {{ background: #eee; font-weight: bold; }}
td.box {{ white-space: nowrap; }} td.note {{ min-width: 8em; }}
h2 {{ font-size: 13pt; }}
@media print {{ section + section {{ page-break-before: always; }} }}
</style></head><body>
<h1>{escape(title)}</h1>
<p>打印时间 printed {_local(at)} (Asia/Shanghai) ·
待确认户数 households to confirm: {len(households)}</p>
{body}
</body></html>
"""
