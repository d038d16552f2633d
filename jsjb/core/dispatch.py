"""The daily dispatch list (日调度, 第16条): the open tickets that need attention at ``as_of``,
with the reasons, grouped by enterprise, most urgent first.

Every moment it uses is one ``rules.compute`` computed (办理期限, 材料截止, 确认时限, the R5 cutoff
``next_request_by``, ``reply_overdue``, ``materials_pending``, ``on_hold``): nothing here
recomputes a rule. Every number shown comes from the parameters in force (:func:`legend`).

Reasons (a ticket may have several; its most urgent one — the first in ``REASONS`` — orders it).
``items["priority"]`` is that reason's index in ``REASONS`` (0 = most urgent; shown to people as
priority + 1, the numbers below).
  1 超期未办结        — open, not on hold, deadline passed (状态 超期未办结)
  2 未确认归属        — no ownership answer by as_of, ``reply_hours`` after 转办时间 passed (R8)
  3 临期              — open, inside the last ``warning_hours`` before the deadline (状态 临期)
  4 材料逾期          — no materials by as_of and their due moment (R7) has passed
  5 材料将到期        — no materials yet, due within ``dispatch_lookahead_hours``
  6 延期申请将截止    — the last moment to request a further extension (deadline −
                        ``extension_request_hours``, R5) is within ``dispatch_lookahead_hours``
  7 挂单中            — on hold (R6), with how long it has been held
Returned and closed tickets are never listed; 4–6 are not judged while a ticket is on hold.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import schema as S
from .params import Params, display

REASONS = ("超期未办结", "未确认归属", "临期", "材料逾期", "材料将到期", "延期申请将截止", "挂单中")


@dataclass
class DispatchList:
    as_of: pd.Timestamp
    items: pd.DataFrame       # one row per ticket listed: index of the ticket frame + columns below
    counts: pd.DataFrame      # enterprise × reason counts (+ 合计)
    legend: str = ""          # the reasons with the parameters in force (:func:`legend`)


def legend(params: Params) -> str:
    """The numbered reasons with the numbers in force, e.g. for a sheet's header line."""
    ahead = display(params.dispatch_lookahead_hours)
    notes = {
        "未确认归属": f"转办后{display(params.reply_hours)}小时未答复是否本企业",
        "临期": f"{display(params.warning_hours)}小时内到期",
        "材料逾期": f"回复材料应在期限前{display(params.materials_hours)}小时提交",
        "材料将到期": f"{ahead}小时内截止",
        "延期申请将截止": f"须在期限前{display(params.extension_request_hours)}小时申请，{ahead}小时内截止",
    }
    return " · ".join(f"{k} {r}" + (f"（{notes[r]}）" if r in notes else "") for k, r in enumerate(REASONS, 1))


def _hours(delta: pd.Series) -> np.ndarray:
    return (delta.dt.total_seconds() / 3600).to_numpy()


def _fmt_hours(h: float) -> str:
    if h >= 48:
        return f"{h / 24:.0f}天"
    return f"{max(h, 0):.0f}小时"


def _fmt_moment(when: pd.Timestamp, as_of: pd.Timestamp) -> str:
    return f"{when:%m-%d %H:%M}" if when.year == as_of.year else f"{when:%Y-%m-%d %H:%M}"


def build(t: pd.DataFrame, c: pd.DataFrame, params: Params, as_of: pd.Timestamp) -> DispatchList:
    """The dispatch list of the typed tickets ``t`` with their computed columns ``c``
    (``rules.compute`` at the same ``as_of``)."""
    as_of = pd.Timestamp(as_of)
    ahead = pd.Timedelta(hours=float(params.dispatch_lookahead_hours))
    open_ = ~c["closed"].to_numpy() & ~c["returned"].to_numpy() & t[S.DISPATCHED].notna().to_numpy() \
        & (t[S.DISPATCHED] <= as_of).fillna(False).to_numpy()
    on_hold = c["on_hold"].to_numpy()
    status = c[S.STATUS].to_numpy()
    pending = c["materials_pending"].to_numpy()
    mat_due = c[S.MATERIALS_DUE]
    materials_late = pending & (mat_due < as_of).fillna(False).to_numpy()
    materials_soon = pending & ((mat_due >= as_of) & (mat_due <= as_of + ahead)).fillna(False).to_numpy()
    request_by = c["next_request_by"]
    request_soon = ((request_by > as_of) & (request_by <= as_of + ahead)).fillna(False).to_numpy()
    judged = open_ & ~on_hold
    reasons = {
        "超期未办结": open_ & (status == S.ST_OVERDUE),
        "未确认归属": open_ & c["reply_overdue"].to_numpy(),
        "临期": open_ & (status == S.ST_DUE_SOON),
        "材料逾期": judged & materials_late,
        "材料将到期": judged & materials_soon,
        "延期申请将截止": judged & request_soon,
        "挂单中": open_ & on_hold,
    }
    # the moment each reason is about: the earliest (most overdue / least time left) comes first
    moments = {
        "超期未办结": c[S.DEADLINE], "未确认归属": c[S.REPLY_DUE], "临期": c[S.DEADLINE],
        "材料逾期": mat_due, "材料将到期": mat_due, "延期申请将截止": request_by, "挂单中": t[S.HOLD_START],
    }
    matrix = np.column_stack([reasons[r] for r in REASONS])
    listed = matrix.any(axis=1)
    idx = t.index[listed]
    m = matrix[listed]
    first = m.argmax(axis=1)                      # most urgent reason (REASONS order)
    since = {r: _hours(moments[r][listed] - as_of) for r in REASONS}   # hours from as_of (negative: past)
    reply_h = display(params.reply_hours)
    texts = []
    for k in range(len(idx)):
        parts = []
        for j, reason in enumerate(REASONS):
            if not m[k, j]:
                continue
            h = since[reason][k]
            if reason == "超期未办结":
                parts.append(f"超期未办结（已超 {_fmt_hours(-h)}）")
            elif reason == "未确认归属":
                parts.append(f"未确认归属（转办后{reply_h}小时未答复，已超时 {_fmt_hours(-h)}，第21条）")
            elif reason == "临期":
                parts.append(f"临期（剩余 {_fmt_hours(h)}）")
            elif reason == "材料逾期":
                parts.append(f"材料逾期（应于 {_fmt_moment(mat_due.loc[idx[k]], as_of)} 前提交，"
                             f"已超 {_fmt_hours(-h)}，第13条）")
            elif reason == "材料将到期":
                parts.append(f"材料将到期（{_fmt_moment(mat_due.loc[idx[k]], as_of)} 截止，第13条）")
            elif reason == "延期申请将截止":
                parts.append(f"如需延期须在 {_fmt_moment(request_by.loc[idx[k]], as_of)} 前申请"
                             f"（到期前{display(params.extension_request_hours)}小时，第13条）")
            else:
                parts.append(f"挂单中（已 {-h / 24:.0f} 天）")
        texts.append(parts)
    urgency = np.array([since[REASONS[j]][k] for k, j in enumerate(first)], dtype=float)
    hold_col = REASONS.index("挂单中")
    items = pd.DataFrame({
        "enterprise": t.loc[idx, S.ENTERPRISE].fillna("（未分派）").to_numpy(),
        "reason": [REASONS[j] for j in first],
        "priority": first,
        "urgency": np.nan_to_num(urgency, nan=0.0),
        "reasons": texts,
        "hold_days": np.where(m[:, hold_col], -since["挂单中"] / 24, np.nan),
    }, index=idx)
    counts = pd.DataFrame(m, columns=list(REASONS), index=idx)
    counts["enterprise"] = items["enterprise"].to_numpy()
    table = counts.groupby("enterprise")[list(REASONS)].sum().astype(int)
    table["合计"] = counts.groupby("enterprise").size()
    table = table.sort_values(["超期未办结", "合计"], ascending=False, kind="stable")
    # enterprises in the summary's order (most overdue first), then most urgent reason, then time
    items["group"] = items["enterprise"].map({name: k for k, name in enumerate(table.index)})
    items = items.sort_values(["group", "priority", "urgency"], kind="stable").drop(columns="group")
    return DispatchList(as_of, items, table, legend(params))
