"""A readable trail of how a deadline came about (JSJB_EXPLAIN): which holidays, weekends and
调休 working days lay on the way, and what each extension and hold added. It walks the same
calendar steps as ``rules.compute`` (R2–R4, R6); a test checks that both always agree."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from .calendar import WorkCalendar
from .params import Params


def _days(cal: WorkCalendar, a: dt.date, b: dt.date) -> str:
    """The special days in (a, b], consecutive days with the same reason merged."""
    runs: list[list] = []
    for day, why in cal.skipped(a, b):
        if runs and runs[-1][2] == why and (day - runs[-1][1]).days == 1:
            runs[-1][1] = day
        else:
            runs.append([day, day, why])
    parts = []
    for first, last, why in runs:
        span = f"{first:%m-%d}" if first == last else f"{first:%m-%d}至{last:%m-%d}"
        parts.append(f"{span}{why}")
    return "、".join(parts)


def explain(cal: WorkCalendar, params: Params, start: pd.Timestamp, limit_type: str, legal: pd.Timestamp | None,
            extension_days: int, hold_start: pd.Timestamp | None, hold_end: pd.Timestamp | None) -> str:
    steps = []
    s = pd.Timestamp(start).date()
    if limit_type == "法定":
        base = pd.Timestamp(legal).date()
        steps.append(f"法定期限 {base:%Y-%m-%d}")
    else:
        n = params.limit_days()[limit_type]
        counts_today = bool(params.count_start_day) and cal.is_workday(s)
        base = cal.add(s, n - 1 if counts_today else n)
        rule = "派单当日计入" if counts_today else "派单当日不计"
        steps.append(f"派单 {pd.Timestamp(start):%Y-%m-%d %H:%M}，{limit_type}{n}个工作日（{rule}）→ {base:%Y-%m-%d}")
        on_the_way = _days(cal, s, base)
        if on_the_way:
            steps.append(f"途经：{on_the_way}")
    current = base
    if extension_days:
        new = cal.add(current, extension_days)
        steps.append(f"延期{extension_days}个工作日 → {new:%Y-%m-%d}" + (f"（途经：{_days(cal, current, new)}）"
                                                                  if _days(cal, current, new) else ""))
        current = new
    if hold_start is not None and not pd.isna(hold_start):
        if not params.hold_allowed:
            steps.append("挂单未计入（参数hold_allowed=否）")
        elif hold_end is None or pd.isna(hold_end):
            steps.append(f"挂单中（自 {pd.Timestamp(hold_start):%Y-%m-%d} 起），结束后按挂单工作日顺延")
        else:
            held = cal.count(pd.Timestamp(hold_start).date(), pd.Timestamp(hold_end).date())
            new = cal.add(current, held)
            steps.append(f"挂单 {pd.Timestamp(hold_start):%Y-%m-%d}至{pd.Timestamp(hold_end):%Y-%m-%d}"
                         f"（{held}个工作日，首尾计入）→ {new:%Y-%m-%d}")
            current = new
    steps.append(f"最终期限 {current:%Y-%m-%d} 23:59:59")
    return "；".join(steps)
