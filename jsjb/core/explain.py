"""A readable trail of how a deadline came about (JSJB_EXPLAIN): which holidays, weekends and
调休 working days lay on the way, and what each extension and hold added.

It computes nothing itself: it renders the steps that ``rules.deadline_parts`` recorded while
computing the deadline (``rules.trace``), so the explanation and JSJB_DEADLINE cannot disagree.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from . import schema as S
from .calendar import WorkCalendar
from .params import Params
from .rules import (
    STEP_EXTENSION,
    STEP_HOLD,
    STEP_HOLD_IGNORED,
    STEP_HOLD_OPEN,
    STEP_HOLD_REVERSED,
    STEP_LEGAL,
    STEP_LIMIT,
    Step,
    final_day,
    trace,
)


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


def _on_the_way(cal: WorkCalendar, a: dt.date, b: dt.date) -> str:
    days = _days(cal, a, b)
    return f"（途经：{days}）" if days else ""


def _step_text(cal: WorkCalendar, s: Step) -> list[str]:
    if s.kind == STEP_LEGAL:
        return [f"法定期限 {s.day:%Y-%m-%d}"]
    if s.kind == STEP_LIMIT:
        rule = "派单当日计入" if s.counts_today else "派单当日不计"
        text = [f"派单 {s.at:%Y-%m-%d %H:%M}，{s.label}{s.days}个工作日（{rule}）→ {s.day:%Y-%m-%d}"]
        way = _days(cal, s.at.date(), s.day)
        return text + ([f"途经：{way}"] if way else [])
    if s.kind == STEP_EXTENSION:
        asked = f"（第{s.number}次，{s.at:%Y-%m-%d %H:%M}申请）" if s.at is not None else ""
        return [f"延期{s.days}个工作日{asked} → {s.day:%Y-%m-%d}{_on_the_way(cal, s.before, s.day)}"]
    if s.kind == STEP_HOLD:
        return [f"挂单 {s.start:%Y-%m-%d}至{s.end:%Y-%m-%d}（{s.days}个工作日，首尾计入）→ {s.day:%Y-%m-%d}"]
    if s.kind == STEP_HOLD_OPEN:
        return [f"挂单中（自 {s.start:%Y-%m-%d} 起），结束后按挂单工作日顺延"]
    if s.kind == STEP_HOLD_REVERSED:
        return [f"挂单未计入：挂单结束 {s.end:%Y-%m-%d} 早于挂单开始 {s.start:%Y-%m-%d}，请核对"]
    if s.kind == STEP_HOLD_IGNORED:
        return ["挂单未计入（参数hold_allowed=否）"]
    raise ValueError(s.kind)


def render(cal: WorkCalendar, steps: list[Step]) -> str:
    """One ticket's trace as text, ending with ``最终期限 YYYY-MM-DD 23:59:59``."""
    parts = [text for s in steps for text in _step_text(cal, s)]
    parts.append(f"最终期限 {final_day(steps):%Y-%m-%d} 23:59:59")
    return "；".join(parts)


def explain_rows(t: pd.DataFrame, params: Params, cal: WorkCalendar) -> list[str | None]:
    """The explanation of every row of a typed ticket frame; None where there is no deadline."""
    return [None if steps is None else render(cal, steps) for steps in trace(t, params, cal)]


def explain(cal: WorkCalendar, params: Params, start: pd.Timestamp, limit_type: str, legal: pd.Timestamp | None,
            extension_days: int, hold_start: pd.Timestamp | None, hold_end: pd.Timestamp | None) -> str:
    """One ticket given by JSJB_EXPLAIN's arguments (延期工作日 as a total, as JSJB_DEADLINE takes it).

    Builds the one-row ticket frame and renders its trace; raises ValueError when these
    arguments give no deadline (JSJB_DEADLINE shows the reason in that case)."""
    nat = pd.NaT
    row = {S.DISPATCHED: pd.Timestamp(start), S.LIMIT_TYPE: limit_type,
           S.LEGAL_DATE: nat if legal is None or pd.isna(legal) else pd.Timestamp(legal).normalize(),
           S.EXT1_DAYS: float(extension_days) if extension_days else float("nan"), S.EXT2_DAYS: float("nan"),
           S.EXT1_AT: nat, S.EXT2_AT: nat,
           S.HOLD_START: nat if hold_start is None or pd.isna(hold_start) else pd.Timestamp(hold_start),
           S.HOLD_END: nat if hold_end is None or pd.isna(hold_end) else pd.Timestamp(hold_end)}
    t = pd.DataFrame({k: [v] for k, v in row.items()})
    for col in (S.DISPATCHED, S.LEGAL_DATE, S.EXT1_AT, S.EXT2_AT, S.HOLD_START, S.HOLD_END):
        t[col] = t[col].astype("datetime64[ns]")
    t[S.LIMIT_TYPE] = t[S.LIMIT_TYPE].astype(object)
    (text,) = explain_rows(t, params, cal)
    if text is None:
        raise ValueError("这些参数无法得出办理期限")
    return text
