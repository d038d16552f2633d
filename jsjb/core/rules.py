"""Time rules R2–R10, statuses and flags, for a whole ledger at once.

Conventions (RULES.md):
- R2: a period of N working days ends at 23:59:59 of the N-th working day *after* the calendar
  date of the start; the start day is not counted (unless ``count_start_day``), whatever the hour.
- R6: hold length = working days from 挂单开始 to 挂单结束, *both dates counted* (NETWORKDAYS).
- Natural-hour limits (R5, R7, R8, R9) are exact durations on the wall clock.
- "Late" means strictly after the due moment; at the due moment is on time.
- Events after ``as_of`` have not happened yet: a 办结时间 later than as_of is still open.

Extension order (R4/R5): extension k extends the deadline in force when it was requested —
the R3 deadline moved by the hold and by the extensions before k.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import schema as S
from .calendar import NO_YEAR, WorkCalendar, day_ends, days_of
from .params import Params

_H = pd.Timedelta(hours=1)

# flag labels (RULES.md: they begin with the rule's name and may add the article)
F_EXT_LATE = "延期申请逾期（第13条）"
F_EXT_LIMIT = "超出延期限制（第13条）"
F_HOLD_LONG = "挂单超期（第13条）"
F_HOLD_IGNORED = "挂单未计入（参数hold_allowed=否）"
F_MATERIALS = "材料逾期（第13条）"
F_REPLY = "确认超时（第21条）"
F_RETURN = "退回超时（第14条）"


def compute(t: pd.DataFrame, params: Params, cal: WorkCalendar, as_of: pd.Timestamp) -> pd.DataFrame:
    """Deadlines, statuses and flags for every row of the typed ticket frame ``t``.

    Returns a frame on ``t``'s index: the computed columns of CONTRACT §1 (办理期限, 材料截止,
    确认时限, 状态, 是否及时, 提示 as a list of flag labels) and helper columns the statistics
    use (missing_year, hold_days, ext_total, closed, returned, on_hold, reply_late, timely_b).
    """
    n = len(t)
    idx = t.index
    as_of = pd.Timestamp(as_of)
    dispatched = t[S.DISPATCHED]
    has_start = dispatched.notna().to_numpy()
    limit_type = t[S.LIMIT_TYPE]

    # -- R3: base deadline (a day number) ---------------------------------------------------
    limits = limit_type.map(params.limit_days()).astype("float64").to_numpy()
    start_day = days_of(dispatched)
    steps = np.nan_to_num(limits, nan=0).astype(np.int64)
    if params.count_start_day:
        on_work = np.zeros(n, dtype=bool)
        inside = has_start & (start_day >= cal.lo) & (start_day <= cal.hi)
        on_work[inside] = cal.work[start_day[inside] - cal.lo]
        steps = steps - on_work
    by_count = has_start & ~np.isnan(limits)
    base = np.zeros(n, dtype=np.int64)
    missing_year = np.full(n, NO_YEAR, dtype=np.int64)
    if by_count.any():
        r, y = cal.add_days(start_day[by_count], steps[by_count])
        base[by_count], missing_year[by_count] = r, y
    legal = (limit_type == "法定").to_numpy() & t[S.LEGAL_DATE].notna().to_numpy()
    base[legal] = days_of(t[S.LEGAL_DATE])[legal]
    base_ok = by_count | (legal & has_start)

    # -- R6: hold -----------------------------------------------------------------------------
    h_start, h_end = t[S.HOLD_START], t[S.HOLD_END]
    has_hold = h_start.notna().to_numpy()
    hold_done = has_hold & h_end.notna().to_numpy() & (h_end >= h_start).fillna(False).to_numpy()
    hold_days = np.zeros(n, dtype=np.int64)
    if params.hold_allowed and hold_done.any():
        c, y = cal.count_days(days_of(h_start)[hold_done], days_of(h_end)[hold_done])
        hold_days[hold_done] = c
        missing_year[hold_done] = np.where(missing_year[hold_done] == NO_YEAR, y, missing_year[hold_done])

    # -- R4: extensions -----------------------------------------------------------------------
    e1 = t[S.EXT1_DAYS].fillna(0).to_numpy(dtype=np.int64)
    e2 = t[S.EXT2_DAYS].fillna(0).to_numpy(dtype=np.int64)
    ext_total = e1 + e2
    shift = ext_total + hold_days
    final = base.copy()
    ok = base_ok & (missing_year == NO_YEAR)
    if ok.any():
        r, y = cal.add_days(base[ok], shift[ok])
        final[ok] = r
        missing_year[ok] = y
    valid = base_ok & (missing_year == NO_YEAR)
    deadline = pd.Series(np.where(valid, day_ends(final), np.datetime64("NaT")), index=idx,
                         dtype="datetime64[ns]")

    ext_count = (e1 > 0).astype(int) + (e2 > 0).astype(int)
    over_limit = ((ext_count > params.max_extensions)
                  | (e1 > params.max_extension_days) | (e2 > params.max_extension_days)
                  | (ext_total > params.max_extension_total))

    # -- R5: each extension request ≥ 24 h before the deadline it extends ----------------------
    ext_late = np.zeros(n, dtype=bool)
    lead = pd.Timedelta(hours=float(params.extension_request_hours))
    for at_col, days, before in ((S.EXT1_AT, e1, hold_days), (S.EXT2_AT, e2, hold_days + e1)):
        asked = t[at_col]
        rows = valid & (days > 0) & asked.notna().to_numpy()
        if rows.any():
            ref, _ = cal.add_days(base[rows], before[rows])
            due = pd.Series(day_ends(ref)) - lead
            ext_late[rows] = (asked[rows].to_numpy() > due.to_numpy())

    # -- R6 flags and the hold in progress ------------------------------------------------------
    hold_until = h_end.where(h_end.notna(), as_of)
    hold_long = has_hold & (hold_until > h_start + pd.DateOffset(months=int(params.hold_max_months))).to_numpy()
    hold_ignored = has_hold & (not params.hold_allowed)

    # -- R7: materials --------------------------------------------------------------------------
    mat_due = materials_due(deadline, dispatched, params)
    mat_late = (t[S.MATERIALS_AT] > mat_due).fillna(False).to_numpy()

    # -- R8: ownership reply ------------------------------------------------------------------------
    reply_due = reply_due_of(t[S.FORWARDED], params)
    confirmed = t[S.CONFIRMED]
    returned_at = t[S.RETURNED]
    reply_late_answer = (confirmed > reply_due).fillna(False).to_numpy()
    returned_in_time = (returned_at <= reply_due).fillna(False).to_numpy()
    reply_missing = (confirmed.isna().to_numpy() & (reply_due < as_of).fillna(False).to_numpy()
                     & ~returned_in_time)
    reply_late = reply_late_answer | reply_missing

    # -- R9: return -------------------------------------------------------------------------------
    return_late = (returned_at > dispatched + pd.Timedelta(hours=float(params.return_hours))).fillna(False).to_numpy()

    # -- statuses (as_of) ---------------------------------------------------------------------------
    closed_at = t[S.CLOSED]
    st = status_of(deadline, closed_at, returned_at, h_start, h_end, as_of, params)
    closed = st.closed
    status = st.status
    timely = timely_of(deadline, closed_at, st)
    timely_b = (timely == True)  # noqa: E712 - object array of True/False/None

    flag_cols = {
        F_EXT_LATE: ext_late, F_EXT_LIMIT: over_limit, F_HOLD_LONG: hold_long,
        F_HOLD_IGNORED: hold_ignored, F_MATERIALS: mat_late, F_REPLY: reply_late, F_RETURN: return_late,
    }
    flags = _flag_lists(flag_cols, n)

    out = pd.DataFrame({
        S.DEADLINE: deadline,
        S.MATERIALS_DUE: mat_due,
        S.REPLY_DUE: reply_due,
        S.STATUS: status,
        S.TIMELY: timely,
        S.FLAGS: flags,
        "missing_year": missing_year,
        "hold_days": hold_days,
        "ext_total": ext_total,
        "closed": closed,
        "returned": st.returned,
        "on_hold": st.on_hold,
        "reply_late": reply_late,
        "timely_b": timely_b,
    }, index=idx)
    return out


def _flag_lists(flag_cols: dict[str, np.ndarray], n: int) -> list[list[str]]:
    """Boolean flag columns → one list of labels per row (rows without flags share no list)."""
    labels = list(flag_cols)
    matrix = np.column_stack([flag_cols[k] for k in labels]) if labels else np.zeros((n, 0), bool)
    any_flag = matrix.any(axis=1)
    flags: list[list[str]] = [[] for _ in range(n)]
    for i in np.flatnonzero(any_flag):
        flags[i] = [labels[j] for j in np.flatnonzero(matrix[i])]
    return flags


def materials_due(deadline: pd.Series, dispatched: pd.Series, params: Params) -> pd.Series:
    """R7: materials are due ``materials_hours`` before the final deadline, or at the deadline
    itself where that moment falls before 派单时间."""
    due = deadline - pd.Timedelta(hours=float(params.materials_hours))
    return due.where(~(due < dispatched), deadline)


def reply_due_of(forwarded: pd.Series, params: Params) -> pd.Series:
    """R8: the ownership reply is due ``reply_hours`` (natural) after 转办时间."""
    return forwarded + pd.Timedelta(hours=float(params.reply_hours))


def timely_of(deadline: pd.Series, closed_at: pd.Series, st: Statuses) -> np.ndarray:
    """R10: True/False for tickets closed by as_of (and not returned) with a deadline; None else.
    Closed at the deadline moment itself is in time."""
    judged = st.closed & ~st.returned & ~np.isnat(deadline.to_numpy(dtype="datetime64[ns]"))
    on_time = (closed_at <= deadline).fillna(False).to_numpy()
    out = np.full(len(deadline), None, dtype=object)
    out[judged] = on_time[judged]
    return out


@dataclass
class Statuses:
    status: np.ndarray
    closed: np.ndarray      # 办结时间 ≤ as_of
    returned: np.ndarray    # 退回时间 ≤ as_of
    on_hold: np.ndarray     # hold started by as_of, not ended, and holds allowed


def status_of(deadline: pd.Series, closed_at: pd.Series, returned_at: pd.Series,
              hold_start: pd.Series, hold_end: pd.Series, as_of: pd.Timestamp,
              params: Params) -> Statuses:
    """The status of RULES.md at ``as_of``, in its order of precedence:
    已退回 · 挂单中 · 已办结 · (数据有误: no deadline) · 超期未办结 · 临期 · 在办."""
    as_of = np.datetime64(pd.Timestamp(as_of))
    returned = returned_at.to_numpy(dtype="datetime64[ns]") <= as_of
    hs = hold_start.to_numpy(dtype="datetime64[ns]")
    on_hold = (~np.isnat(hs) & np.isnat(hold_end.to_numpy(dtype="datetime64[ns]"))
               & (hs <= as_of) & bool(params.hold_allowed))
    closed = closed_at.to_numpy(dtype="datetime64[ns]") <= as_of
    dl = deadline.to_numpy(dtype="datetime64[ns]")
    valid = ~np.isnat(dl)
    overdue = valid & (dl < as_of)
    soon = valid & (dl - np.timedelta64(int(float(params.warning_hours) * 3600), "s") <= as_of)
    status = np.select(
        [returned, on_hold, closed, ~valid, overdue, soon],
        [S.ST_RETURNED, S.ST_ON_HOLD, S.ST_CLOSED, S.ST_INVALID, S.ST_OVERDUE, S.ST_DUE_SOON],
        default=S.ST_OPEN,
    )
    return Statuses(status, closed, returned, on_hold)
