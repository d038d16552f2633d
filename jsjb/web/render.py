"""Turning job results into what a page shows: formatted tables, masked findings, and charts as
inline SVG made here (no chart library, nothing for the browser to download). Every text goes
through the template's autoescape or :func:`html.escape` — never into markup unescaped."""

from __future__ import annotations

import math
from dataclasses import dataclass
from html import escape

import numpy as np
import pandas as pd
from markupsafe import Markup

from ..core import masking
from ..core import schema as S

PERCENT_COLUMNS = ("响应率", "解决率", "满意率")
LISTS = (("overdue", "超期未办结工单"), ("exempt", "申请不计入考核工单"), ("on_hold", "挂单工单"),
         ("major", "重大、疑难工单"), ("renminwang", "人民网领导留言板工单"), ("invalid", "数据有误、未计入三率的工单"))
STATUS_CLASS = {S.ST_OVERDUE: "st-overdue", S.ST_DUE_SOON: "st-soon", S.ST_ON_HOLD: "st-hold",
                S.ST_INVALID: "st-invalid"}


def cell(value, column: str = "") -> str:
    """One value as the page shows it."""
    if value is None or value is pd.NaT or value is pd.NA:
        return ""
    if isinstance(value, float | np.floating) and math.isnan(value):
        return ""
    if isinstance(value, bool | np.bool_):
        return "是" if value else "否"
    if isinstance(value, pd.Timestamp):
        return f"{value:%Y-%m-%d %H:%M}"
    if isinstance(value, list | tuple):
        return "；".join(str(v) for v in value)
    if isinstance(value, np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating):
        if column in PERCENT_COLUMNS:
            return pct(float(value))
        return f"{float(value):.2f}".rstrip("0").rstrip(".") if float(value) != int(value) else str(int(value))
    return str(value)


def pct(v) -> str:
    return "无数据" if v is None else f"{v:.2%}"


@dataclass
class Table:
    """A table ready for the template: headers, rows of texts, and each row's CSS class."""

    name: str
    headers: list[str]
    rows: list[list[str]]
    classes: list[str]
    total: int = 0            # rows before any limit

    @property
    def truncated(self) -> bool:
        return self.total > len(self.rows)


def table(name: str, frame: pd.DataFrame, limit: int | None = None, start: int = 0, total: int | None = None) -> Table:
    """``frame`` (rows ``start`` … ``start + limit``) as texts; ``total``: the rows of the whole list
    when ``frame`` holds only its first ones."""
    total = len(frame) if total is None else total
    part = frame.iloc[start:start + limit] if limit is not None else frame
    columns = [str(c) for c in part.columns]
    rows = [[cell(v, c) for v, c in zip(r, columns)] for r in part.itertuples(index=False, name=None)]
    classes = [STATUS_CLASS.get(s, "") for s in part[S.STATUS]] if S.STATUS in part else [""] * len(rows)
    return Table(name, columns, rows, classes, total)


def masked(frame: pd.DataFrame) -> pd.DataFrame:
    """R19 on a table shown outside the ledger view: caller columns masked, free text scrubbed."""
    if any(c in frame for c in (*S.PERSONAL_COLUMNS, *S.FREE_TEXT_COLUMNS)):
        return masking.mask_tickets(frame)
    return frame


def issue_value(column: str, value) -> str:
    """A finding's value as the check page shows it (R19: no caller data outside the ledger view)."""
    if value is None:
        return ""
    if column == S.CALLER:
        return masking.mask_name(value) or ""
    if column == S.PHONE:
        return masking.mask_phone(value) or ""
    if column == S.ADDRESS:
        return masking.ADDRESS_MASK
    text = str(value)
    return masking.scrub_text(text) or "" if (column in S.FREE_TEXT_COLUMNS or column not in S.COLUMNS) else text


# -- charts ------------------------------------------------------------------------------------------
COLOURS = {"response_rate": "#2f6db5", "resolution_rate": "#3b9a57", "satisfaction_rate": "#d98a1c"}
RATE_LABELS = {"response_rate": "响应率", "resolution_rate": "解决率", "satisfaction_rate": "满意率"}


def _text(x, y, s, anchor="middle", cls="", extra="") -> str:
    c = f' class="{cls}"' if cls else ""
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}"{c}{extra}>{escape(str(s))}</text>'


def _legend(x: float, y: float) -> list[str]:
    out = []
    for k, key in enumerate(RATE_LABELS):
        out.append(f'<rect x="{x + k * 90:.1f}" y="{y - 10:.1f}" width="12" height="12" fill="{COLOURS[key]}"/>')
        out.append(_text(x + k * 90 + 16, y, RATE_LABELS[key], "start", "legend"))
    return out


def enterprise_chart(enterprises: list[dict], title: str) -> Markup:
    """Grouped bars: each enterprise's 三率 (0–100 %); a rate without data has no bar ("无数据")."""
    rows = [e for e in enterprises if e["received"]]
    n = max(len(rows), 1)
    left, top, group, height = 60, 40, 3 * 14 + 18, 220
    width = left + n * group + 20
    bottom = top + height
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="chart-enterprises" role="img" '
           f'viewBox="0 0 {width} {bottom + 150}" width="{width}" height="{bottom + 150}">',
           f'<title>{escape(title)}</title>']
    for k in range(0, 101, 20):
        y = bottom - height * k / 100
        out.append(f'<line x1="{left}" x2="{width - 10}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>')
        out.append(_text(left - 6, y + 4, f"{k}%", "end", "axis"))
    for i, e in enumerate(rows):
        x0 = left + i * group + 9
        for j, key in enumerate(RATE_LABELS):
            v = e[key]
            value = "" if v is None else f"{v:.6f}"
            h = 0 if v is None else height * v
            out.append(f'<rect class="bar" x="{x0 + j * 14:.1f}" y="{bottom - h:.1f}" width="12" height="{h:.1f}" '
                       f'fill="{COLOURS[key]}" data-enterprise="{escape(e["enterprise"])}" data-rate="{key}" '
                       f'data-value="{value}"><title>{escape(e["enterprise"])} {RATE_LABELS[key]} {pct(v)}</title></rect>')
        label = e["enterprise"]
        short = label if len(label) <= 8 else label[:7] + "…"
        cx, cy = x0 + 21, bottom + 10
        out.append(_text(cx, cy, short, "end", "axis", f' transform="rotate(-45 {cx:.1f} {cy:.1f})"'))
    out += _legend(left, 22)
    out.append("</svg>")
    return Markup("".join(out))


def trend_chart(points: list[dict]) -> Markup:
    """Lines: the 全区 三率 of the last months (``points``: period, received, and the three rates)."""
    n = max(len(points), 1)
    left, top, step, height = 60, 40, 64, 220
    width = left + n * step + 20
    bottom = top + height
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="chart-trend" role="img" '
           f'viewBox="0 0 {width} {bottom + 40}" width="{width}" height="{bottom + 40}">',
           "<title>近12个月全区三率趋势</title>"]
    for k in range(0, 101, 20):
        y = bottom - height * k / 100
        out.append(f'<line x1="{left}" x2="{width - 10}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>')
        out.append(_text(left - 6, y + 4, f"{k}%", "end", "axis"))
    for i, p in enumerate(points):
        out.append(_text(left + i * step + step / 2, bottom + 18, p["period"], "middle", "axis"))
        out.append(_text(left + i * step + step / 2, bottom + 34, f"受理{p['received']}", "middle", "axis small"))
    for key in RATE_LABELS:
        xy = [(left + i * step + step / 2, bottom - height * p[key]) for i, p in enumerate(points) if p[key] is not None]
        if len(xy) > 1:
            out.append(f'<polyline fill="none" stroke="{COLOURS[key]}" stroke-width="2" '
                       f'points="{" ".join(f"{x:.1f},{y:.1f}" for x, y in xy)}"/>')
        for i, p in enumerate(points):
            if p[key] is None:
                continue
            x, y = left + i * step + step / 2, bottom - height * p[key]
            out.append(f'<circle class="point" cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{COLOURS[key]}" '
                       f'data-period="{escape(p["period"])}" data-rate="{key}" data-value="{p[key]:.6f}">'
                       f'<title>{escape(p["period"])} {RATE_LABELS[key]} {pct(p[key])}</title></circle>')
    out += _legend(left, 22)
    out.append("</svg>")
    return Markup("".join(out))
