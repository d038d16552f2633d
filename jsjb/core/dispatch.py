"""The daily dispatch list (日调度, 第16条): the open tickets that need attention at ``as_of``,
with the reasons, grouped by enterprise, most urgent first.

Reasons (a ticket may have several; its most urgent one orders it):
  1 超期未办结        — open, not on hold, deadline passed (R10)
  2 未确认归属        — no ownership reply and 3 h since 转办时间 have passed (R8)
  3 临期              — open, inside the last ``warning_hours`` before the deadline
  4 材料将到期        — no materials yet and they are due within ``lookahead_hours`` or overdue (R7)
  5 延期申请将截止    — the last moment to request an extension (deadline − 24 h, R5) is within
                        ``lookahead_hours`` and still ahead
  6 挂单中            — on hold (R6), with how long it has been held
Returned and closed tickets are never listed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import schema as S
from .params import Params

LOOKAHEAD_HOURS = 24   # "due soon" horizon for materials and extension requests (one working day's notice)
REASONS = ("超期未办结", "未确认归属", "临期", "材料将到期", "延期申请将截止", "挂单中")


@dataclass
class DispatchList:
    as_of: pd.Timestamp
    items: pd.DataFrame       # one row per ticket listed: index of the ticket frame + columns below
    counts: pd.DataFrame      # enterprise × reason counts (+ 合计)


def _hours(delta: pd.Series) -> pd.Series:
    return delta.dt.total_seconds() / 3600


def _fmt_hours(h: float) -> str:
    if h >= 48:
        return f"{h / 24:.0f}天"
    return f"{max(h, 0):.0f}小时"


def build(t: pd.DataFrame, c: pd.DataFrame, params: Params, as_of: pd.Timestamp,
          lookahead_hours: float = LOOKAHEAD_HOURS) -> DispatchList:
    as_of = pd.Timestamp(as_of)
    ahead = pd.Timedelta(hours=lookahead_hours)
    open_ = ~c["closed"].to_numpy() & ~c["returned"].to_numpy() & t[S.DISPATCHED].notna().to_numpy() \
        & (t[S.DISPATCHED] <= as_of).fillna(False).to_numpy()
    on_hold = c["on_hold"].to_numpy()
    status = c[S.STATUS].to_numpy()
    deadline = c[S.DEADLINE]
    reply_missing = (t[S.CONFIRMED].isna() & t[S.FORWARDED].notna() & (c[S.REPLY_DUE] < as_of)).to_numpy()
    no_materials = t[S.MATERIALS_AT].isna().to_numpy()
    materials_soon = no_materials & (c[S.MATERIALS_DUE] <= as_of + ahead).fillna(False).to_numpy()
    last_request = deadline - pd.Timedelta(hours=float(params.extension_request_hours))
    request_soon = ((last_request > as_of) & (last_request <= as_of + ahead)).fillna(False).to_numpy()
    reasons = {
        "超期未办结": open_ & (status == S.ST_OVERDUE),
        "未确认归属": open_ & reply_missing,
        "临期": open_ & (status == S.ST_DUE_SOON),
        "材料将到期": open_ & ~on_hold & materials_soon & (status != S.ST_INVALID),
        "延期申请将截止": open_ & ~on_hold & request_soon,
        "挂单中": open_ & on_hold,
    }
    matrix = np.column_stack([reasons[r] for r in REASONS])
    listed = matrix.any(axis=1)
    idx = t.index[listed]
    m = matrix[listed]
    first = m.argmax(axis=1)                      # most urgent reason (REASONS order)
    overdue_h = _hours(as_of - deadline[listed]).to_numpy()
    left_h = _hours(deadline[listed] - as_of).to_numpy()
    reply_late_h = _hours(as_of - c.loc[idx, S.REPLY_DUE]).to_numpy()
    held_days = ((as_of - t.loc[idx, S.HOLD_START]).dt.total_seconds() / 86400).to_numpy()
    mat_due = c.loc[idx, S.MATERIALS_DUE]
    texts = []
    for k in range(len(idx)):
        parts = []
        for j, reason in enumerate(REASONS):
            if not m[k, j]:
                continue
            if reason == "超期未办结":
                parts.append(f"超期未办结（已超 {_fmt_hours(overdue_h[k])}）")
            elif reason == "未确认归属":
                parts.append(f"未确认归属（已超时 {_fmt_hours(reply_late_h[k])}，第21条）")
            elif reason == "临期":
                parts.append(f"临期（剩余 {_fmt_hours(left_h[k])}）")
            elif reason == "材料将到期":
                parts.append(f"材料将到期（{mat_due.iloc[k]:%m-%d %H:%M} 截止，第13条）")
            elif reason == "延期申请将截止":
                parts.append(f"如需延期须在 {last_request.loc[idx[k]]:%m-%d %H:%M} 前申请（第13条）")
            else:
                parts.append(f"挂单中（已 {held_days[k]:.0f} 天）")
        texts.append(parts)
    # within a reason: the most overdue / the least time left first
    urgency = np.where(first == 0, -overdue_h, left_h)
    items = pd.DataFrame({
        "enterprise": t.loc[idx, S.ENTERPRISE].fillna("（未分派）").to_numpy(),
        "reason": [REASONS[j] for j in first],
        "rank": first,
        "urgency": np.nan_to_num(urgency, nan=0.0),
        "reasons": texts,
        "hold_days": np.where(m[:, REASONS.index("挂单中")], held_days, np.nan),
    }, index=idx)
    counts = pd.DataFrame(m, columns=list(REASONS), index=idx)
    counts["enterprise"] = items["enterprise"].to_numpy()
    table = counts.groupby("enterprise")[list(REASONS)].sum().astype(int)
    table["合计"] = counts.groupby("enterprise").size()
    table = table.sort_values(["超期未办结", "合计"], ascending=False, kind="stable")
    # enterprises in the summary's order (most overdue first), then most urgent reason, then time
    items["group"] = items["enterprise"].map({name: k for k, name in enumerate(table.index)})
    items = items.sort_values(["group", "rank", "urgency"], kind="stable").drop(columns="group")
    return DispatchList(as_of, items, table)
