"""An independent oracle for deadlines, R5 and statuses, checked against the whole-column core.

The oracle below is written from RULES.md alone and shares no code with ``jsjb.core``: it walks
the calendar one day at a time with ``chinese_calendar.is_workday`` (plus the reviewed erratum
2005-12-31 = working day, RULES R1), counts working days, and applies R2, R3, R4, R5 and R6
literally. Hypothesis draws ledgers of random tickets (dispatch times 2004–2026, every limit type,
法定期限, up to two extensions with request times, holds open / ended / reversed) and random
parameters; ``rules.compute`` over the whole column must give, ticket by ticket, the oracle's
deadline, status and R5/R6 flags, and ``explain`` must end at the same deadline as JSJB_DEADLINE.

A reversed hold (挂单结束 before 挂单开始) is a data error (``validate`` reports it); the rules
treat it as void: it moves nothing, never makes a ticket 挂单中, and is flagged
“挂单未计入（挂单结束早于挂单开始）”. The oracle encodes that decision independently.
"""

from __future__ import annotations

import datetime as dt

import chinese_calendar
import pandas as pd
import pytest
from helpers import ENTERPRISE, typed
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from jsjb.core import schema as S
from jsjb.core.explain import explain_rows
from jsjb.core.params import Params
from jsjb.core.rules import F_EXT_LATE, F_HOLD_REVERSED, compute

ONE_DAY = dt.timedelta(days=1)
ERRATUM = {dt.date(2005, 12, 31): True}     # RULES R1: the official notice makes it a working day


class Uncovered(Exception):
    """A day on the way lies in a year without holiday data."""


def is_workday(day: dt.date) -> bool:
    if day in ERRATUM:
        return ERRATUM[day]
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        raise Uncovered(day.year) from None


def nth_workday_after(day: dt.date, n: int) -> dt.date:
    """R2: the n-th working day after ``day`` (``day`` itself not counted); n = 0 → ``day``."""
    found = 0
    while found < n:
        day += ONE_DAY
        if is_workday(day):
            found += 1
    return day


def nth_workday_from(day: dt.date, n: int) -> dt.date:
    """R2 with count_start_day = 是: the start day counts as the first if it is a working day."""
    found = 1 if is_workday(day) else 0
    while found < n:
        day += ONE_DAY
        if is_workday(day):
            found += 1
    return day


def workdays_between(a: dt.date, b: dt.date) -> int:
    """R6: working days from a to b, both counted."""
    count = 0
    while a <= b:
        count += is_workday(a)
        a += ONE_DAY
    return count


def day_end(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(23, 59, 59))


LIMITS = {"紧急": "limit_urgent", "民生": "limit_livelihood", "一般": "limit_normal", "复杂": "limit_complex"}
DEFAULT_LIMITS = {"紧急": 1, "民生": 3, "一般": 5, "复杂": 15}


def oracle(tk: dict, prm: dict, as_of: dt.datetime) -> dict:
    """Deadline (datetime or None), status and R5/R6 flags of one ticket, from RULES.md."""
    sent: dt.datetime = tk["sent"]
    hs, he = tk.get("hold_start"), tk.get("hold_end")
    hold_allowed = prm.get("hold_allowed", True)
    hold_counts = hold_allowed and hs is not None and he is not None and he >= hs
    reversed_hold = hold_allowed and hs is not None and he is not None and he < hs
    exts = [(tk.get("e1"), tk.get("a1")), (tk.get("e2"), tk.get("a2"))]
    out = {"deadline": None, "ext_late": False, "reversed": reversed_hold}
    try:
        # R3 (+R2)
        if tk["limit"] == "法定":
            base = tk["legal"]
        else:
            n = prm.get(LIMITS[tk["limit"]], DEFAULT_LIMITS[tk["limit"]])
            start = sent.date()
            base = nth_workday_from(start, n) if prm.get("count_start_day") else nth_workday_after(start, n)
        held = workdays_between(hs.date(), he.date()) if hold_counts else 0
        # R4 then R6: each step moves the current deadline forward
        deadline = base
        for days, _ in exts:
            if days:
                deadline = nth_workday_after(deadline, days)
        deadline = nth_workday_after(deadline, held)
        is_workday(deadline)      # R1: a date in a year without holiday data is an error, the deadline's too
        # R5: the deadline in force at each request — earlier extensions, holds ended by then
        lead = dt.timedelta(hours=prm.get("extension_request_hours", 24))
        for k, (days, asked) in enumerate(exts):
            if not days or asked is None:
                continue
            in_force = base
            for j in range(k):
                if exts[j][0]:
                    in_force = nth_workday_after(in_force, exts[j][0])
            if hold_counts and he <= asked:
                in_force = nth_workday_after(in_force, held)
            if asked > day_end(in_force) - lead:
                out["ext_late"] = True
        out["deadline"] = day_end(deadline)
    except Uncovered:
        out["ext_late"] = False
    # statuses at as_of (RULES: 挂单中 while started and not ended by as_of)
    closed = tk.get("closed")
    d = out["deadline"]
    if hold_allowed and hs is not None and hs <= as_of and (he is None or he > as_of) and not reversed_hold:
        out["status"] = S.ST_ON_HOLD
    elif closed is not None and closed <= as_of:
        out["status"] = S.ST_CLOSED
    elif d is None:
        out["status"] = S.ST_INVALID
    elif d < as_of:
        out["status"] = S.ST_OVERDUE
    elif d - dt.timedelta(hours=48) <= as_of:
        out["status"] = S.ST_DUE_SOON
    else:
        out["status"] = S.ST_OPEN
    return out


# -- random ledgers ---------------------------------------------------------------------------------
minutes = st.integers(0, 24 * 60 - 1).map(lambda m: dt.timedelta(minutes=m))


@st.composite
def tickets(draw) -> dict:
    day = draw(st.dates(min_value=dt.date(2004, 1, 1), max_value=dt.date(2026, 12, 31)))
    sent = dt.datetime.combine(day, dt.time()) + draw(minutes)
    tk = {"sent": sent, "limit": draw(st.sampled_from(["紧急", "民生", "一般", "复杂", "法定"]))}
    if tk["limit"] == "法定":
        tk["legal"] = day + dt.timedelta(days=draw(st.integers(0, 60)))
    for k in (1, 2):
        if draw(st.booleans()):
            tk[f"e{k}"] = draw(st.integers(1, 20))
            if draw(st.integers(0, 4)):
                tk[f"a{k}"] = sent + dt.timedelta(hours=draw(st.integers(0, 24 * 40)))
    if tk.get("a1") and tk.get("a2") and tk["a2"] < tk["a1"]:
        tk["a1"], tk["a2"] = tk["a2"], tk["a1"]
    kind = draw(st.sampled_from(["none", "open", "ended", "ended", "reversed"]))
    if kind != "none":
        tk["hold_start"] = sent + dt.timedelta(days=draw(st.integers(0, 40))) + draw(minutes)
        if kind == "ended":
            tk["hold_end"] = tk["hold_start"] + dt.timedelta(days=draw(st.integers(0, 30))) + draw(minutes)
        elif kind == "reversed":
            tk["hold_end"] = tk["hold_start"] - dt.timedelta(days=draw(st.integers(1, 10)))
    if draw(st.booleans()):
        tk["closed"] = sent + dt.timedelta(hours=draw(st.integers(0, 24 * 60)))
    return tk


params_strategy = st.fixed_dictionaries({}, optional={
    "count_start_day": st.booleans(),
    "hold_allowed": st.booleans(),
    "limit_normal": st.integers(1, 10),
    "limit_urgent": st.integers(1, 3),
    "extension_request_hours": st.integers(0, 72),
})


def raw_row(k: int, tk: dict) -> dict:
    row = {S.ID: f"T{k}", S.ENTERPRISE: ENTERPRISE, S.DISPATCHED: tk["sent"], S.LIMIT_TYPE: tk["limit"]}
    names = {"legal": S.LEGAL_DATE, "e1": S.EXT1_DAYS, "a1": S.EXT1_AT, "e2": S.EXT2_DAYS, "a2": S.EXT2_AT,
             "hold_start": S.HOLD_START, "hold_end": S.HOLD_END, "closed": S.CLOSED}
    for key, column in names.items():
        if tk.get(key) is not None:
            row[column] = tk[key]
    return row


def as_params(prm: dict) -> Params:
    return Params({k: ("是" if v else "否") if isinstance(v, bool) else v for k, v in prm.items()})


@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None, max_examples=120)
@example(ledger=[{"sent": dt.datetime(2026, 12, 1, 10), "limit": "法定", "legal": dt.date(2027, 1, 1)}], prm={},
         as_of_days=0, as_of_minutes=dt.timedelta(0))       # a 法定期限 in a year without holiday data (found)
@given(ledger=st.lists(tickets(), min_size=1, max_size=25), prm=params_strategy,
       as_of_days=st.integers(-5, 90), as_of_minutes=minutes)
def test_core_equals_the_day_by_day_oracle(calendar, ledger, prm, as_of_days, as_of_minutes):
    as_of = ledger[0]["sent"] + dt.timedelta(days=as_of_days) + as_of_minutes
    t = typed([raw_row(k, tk) for k, tk in enumerate(ledger)])
    params = as_params(prm)
    got = compute(t, params, calendar, pd.Timestamp(as_of))
    texts = explain_rows(t, params, calendar)
    for k, tk in enumerate(ledger):
        want = oracle(tk, prm, as_of)
        deadline = got[S.DEADLINE].iloc[k]
        where = f"ticket {k}: {tk} params {prm} as_of {as_of}"
        if want["deadline"] is None:
            assert pd.isna(deadline), where
            assert got["missing_year"].iloc[k] != 0, where
            assert texts[k] is None, where
        else:
            assert deadline == pd.Timestamp(want["deadline"]), where
            assert texts[k].endswith(f"最终期限 {want['deadline']:%Y-%m-%d} 23:59:59"), where
            assert (F_EXT_LATE in got[S.FLAGS].iloc[k]) == want["ext_late"], where
        assert got[S.STATUS].iloc[k] == want["status"], where
        assert (F_HOLD_REVERSED in got[S.FLAGS].iloc[k]) == want["reversed"], where


@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None, max_examples=40)
@given(ledger=st.lists(tickets(), min_size=1, max_size=8))
def test_explain_and_deadline_udfs_agree(ledger):
    """JSJB_EXPLAIN ends at JSJB_DEADLINE's date for every cell of a column (延期 as a total)."""
    import xlfuncs

    def col(key):
        return [[tk.get(key) if tk.get(key) is not None else ""] for tk in ledger]

    ext = [[(tk.get("e1") or 0) + (tk.get("e2") or 0)] for tk in ledger]
    args = (col("sent"), col("limit"), [[tk["legal"] if "legal" in tk else ""] for tk in ledger], ext,
            col("hold_start"), col("hold_end"))
    deadlines = xlfuncs.JSJB_DEADLINE(*args)
    texts = xlfuncs.JSJB_EXPLAIN(*args)
    deadlines = deadlines if isinstance(deadlines, list) else [[deadlines]]
    texts = texts if isinstance(texts, list) else [[texts]]
    for (d,), (text,), tk in zip(deadlines, texts, ledger):
        if isinstance(d, dt.datetime):
            assert text.endswith(f"最终期限 {d:%Y-%m-%d} 23:59:59"), (tk, d, text)
            want = oracle({k: v for k, v in tk.items() if k not in ("a1", "a2")}, {}, tk["sent"])["deadline"]
            assert d == want, (tk, d, want)
        else:
            assert text == d, (tk, d, text)      # the same message where there is no deadline


# -- the oracle itself, on the rulebook's examples ---------------------------------------------------
@pytest.mark.parametrize("tk, prm, expected", [
    ({"sent": dt.datetime(2023, 9, 28, 10), "limit": "一般"}, {}, "2023-10-11 23:59:59"),      # R2's example
    ({"sent": dt.datetime(2023, 9, 28, 10), "limit": "一般"}, {"count_start_day": True}, "2023-10-10 23:59:59"),
    ({"sent": dt.datetime(2005, 12, 30, 10), "limit": "紧急"}, {}, "2005-12-31 23:59:59"),     # the erratum
    ({"sent": dt.datetime(2026, 12, 30, 10), "limit": "一般"}, {}, None),                      # 2027 uncovered
    ({"sent": dt.datetime(2026, 12, 1, 10), "limit": "法定", "legal": dt.date(2027, 1, 1)}, {}, None),  # R1: likewise
])
def test_the_oracle_on_known_cases(tk, prm, expected):
    got = oracle(tk, prm, tk["sent"])["deadline"]
    assert got == (None if expected is None else dt.datetime.fromisoformat(expected))
