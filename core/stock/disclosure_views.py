"""Disclosure as CSV (UTF-8 with BOM, so Excel reads Chinese) and as self-contained HTML
pages (zh-CN, inline CSS, system fonts, no scripts or external assets)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from html import escape

from core import clock
from core.registry.depots.kinds import KIND_LABELS
from core.stock.disclosure_schemas import DepotDisclosure, DepotRef, FundDisclosure, FundRef

BOM = "\ufeff"
FUND_CSV = ("month", "category", "kind", "item_code", "item_name", "unit", "amount_fen",
            "quantity")  # fmt: skip
DEPOT_CSV = ("month", "item_code", "item_name", "unit", "received", "distributed",
             "written_off", "transferred_out", "adjusted")  # fmt: skip
KIND_LABELS_FUND = {
    "donation": "捐赠",
    "grant": "资助",
    "purchase": "采购物资",
    "service": "服务支出",
}
IN_KINDS, OUT_KINDS = ("donation", "grant"), ("purchase", "service")


def _csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return BOM + out.getvalue()


def fund_csv(d: FundDisclosure) -> str:
    """One row per month × kind of money (received, spent) and per month × item bought."""
    rows: list[Sequence[object]] = []
    for m in d.months:
        rows += [
            (m.month, "received", k, "", "", "", v, "") for k, v in sorted(m.received_fen.items())
        ]
        rows += [(m.month, "spent", k, "", "", "", v, "") for k, v in sorted(m.spent_fen.items())]
        rows += [(m.month, "goods", "purchase", g.item_code, g.item_name, g.unit, "", g.quantity)
                 for g in m.goods]  # fmt: skip
    return _csv(FUND_CSV, rows)


def depot_csv(d: DepotDisclosure) -> str:
    """One row per month × item."""
    return _csv(DEPOT_CSV, [
        (m.month, f.item_code, f.item_name, f.unit, f.received, f.distributed, f.written_off,
         f.transferred_out, f.adjusted) for m in d.months for f in m.items
    ])  # fmt: skip


def yuan(fen: int) -> str:
    """¥ with thousands separators, from fen."""
    sign, fen = ("-", -fen) if fen < 0 else ("", fen)
    return f"{sign}¥{fen // 100:,}.{fen % 100:02d}"


_CSS = """
body { font-family: system-ui, -apple-system, "PingFang SC", "Microsoft YaHei",
  "WenQuanYi Micro Hei", "Noto Sans CJK SC", sans-serif; margin: 1.5em auto; max-width: 60em;
  padding: 0 1em; color: #222; line-height: 1.5; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 1.5em; }
table { border-collapse: collapse; width: 100%; margin: .5em 0; }
th, td { border: 1px solid #bbb; padding: .25em .5em; text-align: left; }
th { background: #f0f0f0; } td.n { text-align: right; font-variant-numeric: tabular-nums; }
.meta { color: #555; font-size: .9em; } a { color: #0645ad; }
"""


def page(title: str, body: str) -> str:
    now = clock.now().astimezone(clock.LOCAL_TZ).strftime("%Y-%m-%d %H:%M")
    return f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)}</title><style>{_CSS}</style></head><body>
<p class="meta"><a href="/disclosure">信息公开</a></p>
<h1>{escape(title)}</h1>
{body}
<p class="meta">生成于 {now}（北京时间）。不含个人信息；要求匿名的捐赠方显示为“匿名”；
演练数据不计入。</p>
</body></html>
"""


def _table(head: Sequence[str], rows: Iterable[Sequence[str]], numeric_from: int = 99) -> str:
    th = "".join(f"<th>{escape(h)}</th>" for h in head)
    body = "".join(
        "<tr>" + "".join(
            f"<td class='n'>{c}</td>" if i >= numeric_from else f"<td>{c}</td>"
            for i, c in enumerate(r)
        ) + "</tr>" for r in rows
    )  # fmt: skip
    return f"<table><tr>{th}</tr>{body}</table>" if body else "<p>暂无记录。</p>"


def fund_page(d: FundDisclosure) -> str:
    """收支公开 of one fund: totals, money by month and kind, goods bought, donations."""
    f = d.fund
    kinds = IN_KINDS + OUT_KINDS
    months = [
        [m.month, *(yuan(m.received_fen.get(k, 0)) for k in IN_KINDS),
         *(yuan(m.spent_fen.get(k, 0)) for k in OUT_KINDS)] for m in d.months
    ]  # fmt: skip
    goods = [[m.month, escape(g.item_name), escape(g.unit), str(g.quantity)]
             for m in d.months for g in m.goods]  # fmt: skip
    gifts = [[str(x.date), KIND_LABELS_FUND.get(x.kind, x.kind), escape(x.donor),
              yuan(x.amount_fen)] for x in d.donations]  # fmt: skip
    body = f"""<p class="meta">{escape(f.area_name)}（{escape(f.area_code)}）· 发起机构
{escape(f.host_name)} · <a href="/api/v1/disclosure/funds/{f.id}?format=csv">CSV</a> ·
<a href="/api/v1/disclosure/funds/{f.id}">JSON</a></p>
{_table(["收入合计", "支出合计", "当前余额"],
        [[yuan(d.received_fen), yuan(d.spent_fen), yuan(d.balance_fen)]], 0)}
<h2>按月收支</h2>
{_table(["月份", *(KIND_LABELS_FUND[k] for k in kinds)], months, 1)}
<h2>采购物资</h2>
{_table(["月份", "物资", "单位", "数量"], goods, 3)}
<h2>收入明细</h2>
{_table(["日期", "类别", "捐赠方", "金额"], gifts, 3)}"""  # fmt: skip
    return page(f.name, body)


def depot_page(d: DepotDisclosure) -> str:
    """物资公开 of one depot: on hand, and goods in and out by month and item."""
    p = d.depot
    head = ["物资", "单位", "接收", "发放", "报损", "调出", "盘点调整"]

    def cells(f) -> list[str]:
        return [escape(f.item_name), escape(f.unit), *(str(v) for v in (
            f.received, f.distributed, f.written_off, f.transferred_out, f.adjusted))]  # fmt: skip

    months = [[m.month, *cells(f)] for m in d.months for f in m.items]
    body = f"""<p class="meta">{escape(KIND_LABELS.get(p.kind, p.kind))} ·
{escape(p.area_name)}（{escape(p.area_code)}）·
<a href="/api/v1/disclosure/depots/{p.id}?format=csv">CSV</a> ·
<a href="/api/v1/disclosure/depots/{p.id}">JSON</a></p>
<h2>现有库存</h2>
{_table(["物资", "单位", "数量"], [[escape(o.item_name), escape(o.unit), str(o.on_hand)]
                                for o in d.on_hand], 2)}
<h2>合计</h2>
{_table(head, [cells(f) for f in d.totals], 2)}
<h2>按月出入库</h2>
{_table(["月份", *head], months, 3)}"""  # fmt: skip
    return page(p.name, body)


def index_page(
    funds: Sequence[FundRef], depots: Sequence[DepotRef], more_funds: str | None,
    more_depots: str | None,
) -> str:  # fmt: skip
    """Links to every fund's and depot's page (``more_*``: the next page's URL)."""
    fund_rows = [[f"<a href='/disclosure/funds/{f.id}'>{escape(f.name)}</a>",
                  escape(f.area_name), escape(f.host_name)] for f in funds]  # fmt: skip
    depot_rows = [[f"<a href='/disclosure/depots/{p.id}'>{escape(p.name)}</a>",
                   escape(KIND_LABELS.get(p.kind, p.kind)), escape(p.area_name)]
                  for p in depots]  # fmt: skip

    def more(url: str | None) -> str:
        return f"<p><a href='{escape(url)}'>下一页</a></p>" if url else ""

    body = f"""<h2>社区基金收支</h2>
{_table(["基金", "地区", "发起机构"], fund_rows)}{more(more_funds)}
<h2>物资储备与发放</h2>
{_table(["站点", "类型", "地区"], depot_rows)}{more(more_depots)}"""
    return page("信息公开 · 社区慈善应急物资与资金", body)
