"""R23: which years the holiday data covers, what is missing, which open tickets it blocks,
and that a 节假日 sheet holding the parsed 2027 notice makes 2027 deadlines computable.

Expected deadlines are counted by hand on the (fictional, labelled) 2027 fixture's dates.
"""

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from helpers import d, ticket, typed

from jsjb.core import schema as S
from jsjb.core.calendar import WARN_DAYS, Override, WorkCalendar, coverage
from jsjb.core.errors import HolidayDataMissing
from jsjb.core.notice import parse_notice
from jsjb.core.params import Params
from jsjb.core.rules import compute

FIXTURES = Path(__file__).parent / "fixtures" / "notices"


@pytest.fixture(scope="module")
def cal_2027():
    notice = parse_notice((FIXTURES / "2027.txt").read_text(encoding="utf-8"))
    return WorkCalendar(notice.overrides())


def tickets_end_2026():
    return typed([
        ticket(id="T1", **{S.DISPATCHED: "2026-12-24 10:00"}),                       # due 12-31: fine
        ticket(id="T2", **{S.DISPATCHED: "2026-12-28 09:00"}),                       # needs 2027
        ticket(id="T3", **{S.DISPATCHED: "2026-12-28 09:00", S.CLOSED: "2026-12-29 16:00"}),  # closed
        ticket(id="T4", **{S.DISPATCHED: "2026-12-28 09:00", S.RETURNED: "2026-12-28 11:00"}),  # returned
        ticket(id="T5", **{S.DISPATCHED: "2026-12-30 09:00", S.LIMIT_TYPE: "紧急"}),  # due 12-31: fine
        ticket(id="T6", **{S.DISPATCHED: "2026-12-15 09:00", S.LIMIT_TYPE: "复杂"}),  # 15 days: needs 2027
        ticket(id="T7", **{S.DISPATCHED: "2026-12-29 09:00", S.HOLD_START: "2026-12-30 09:00"}),  # on hold
    ])


def test_builtin_years_and_nothing_missing_mid_year():
    cov = coverage(WorkCalendar(), tickets_end_2026().iloc[:0], None, pd.Timestamp("2026-06-01 09:00"))
    out = cov.as_dict()
    assert out["builtin"] == [2004, 2026]          # chinesecalendar 1.11: 2004–2026
    assert out["sheet"] == [] and out["missing"] == [] and out["affected"] == []
    assert out["covered_until"] == "2026-12-31"
    assert cov.warnings == []


@pytest.mark.parametrize("as_of, warned", [
    ("2026-10-31 23:59", False),   # 61 days before 2026-12-31
    ("2026-11-01 00:00", True),    # 60 days before (30 in November + 30 in December)
    ("2026-12-31 18:00", True),
])
def test_warning_window_opens_60_days_before_the_end(as_of, warned):
    assert WARN_DAYS == 60
    cov = coverage(WorkCalendar(), tickets_end_2026().iloc[:0], None, pd.Timestamp(as_of))
    assert (cov.missing == [2027]) is warned
    assert bool(cov.warnings) is warned
    if warned:
        text = cov.warnings[0]
        assert "2027年" in text and "节假日" in text
        assert "jsjb holidays parse" in text
        assert "目前还没有在办工单受影响" in text


def test_affected_open_tickets_are_named():
    t = tickets_end_2026()
    as_of = pd.Timestamp("2026-12-30 12:00")
    computed = compute(t, Params(), WorkCalendar(), as_of)
    cov = coverage(WorkCalendar(), t, computed, as_of)
    assert cov.as_dict()["missing"] == [2027]
    assert cov.as_dict()["affected"] == ["T2", "T6", "T7"]     # not closed T3, returned T4
    assert cov.affected_by_year == {2027: ["T2", "T6", "T7"]}
    (text,) = cov.warnings
    assert "还有1天" in text and "T2、T6、T7（共3件）" in text
    assert "国务院办公厅关于2027年部分节假日安排的通知" in text
    # computing it here gives the same answer
    assert coverage(WorkCalendar(), t, None, as_of).as_dict() == cov.as_dict()


def test_long_id_lists_are_shortened():
    rows = [ticket(id=f"N{i:03d}", **{S.DISPATCHED: "2026-12-30 09:00"}) for i in range(25)]
    cov = coverage(WorkCalendar(), typed(rows), None, pd.Timestamp("2026-12-30 12:00"))
    assert len(cov.affected) == 25
    assert "N019等25件" in cov.warnings[0] and "N020" not in cov.warnings[0]


def test_past_the_end_of_the_data():
    t = typed([ticket(id="A1", **{S.DISPATCHED: "2027-01-05 09:00"})])
    cov = coverage(WorkCalendar(), t, None, pd.Timestamp("2027-01-05 12:00"))
    assert cov.missing == [2027] and cov.affected == ["A1"]
    assert cov.covered_until is None
    assert "当前日期所在的年份" in cov.warnings[0]


def test_missing_year_needed_outside_the_window():
    # a 法定 deadline in 2027 moved by an extension needs 2027 even in June 2026
    t = typed([ticket(id="L1", **{S.DISPATCHED: "2026-06-01 09:00", S.LIMIT_TYPE: "法定",
                                  S.LEGAL_DATE: "2027-03-01", S.EXT1_DAYS: 5})])
    cov = coverage(WorkCalendar(), t, None, pd.Timestamp("2026-06-02 09:00"))
    assert cov.missing == [2027] and cov.affected == ["L1"]
    assert cov.warnings[0].startswith("节假日数据未收录2027年")


def test_a_gap_year_is_missing_even_when_a_later_year_is_on_the_sheet():
    cal = WorkCalendar([Override(d("2028-01-01"), "休息日", "元旦")])
    t = typed([ticket(id="G1", **{S.DISPATCHED: "2026-12-30 09:00"})])
    cov = coverage(cal, t, None, pd.Timestamp("2026-12-01 09:00"))
    assert cov.sheet == [2028]
    assert cov.missing == [2027] and cov.affected == ["G1"]


def test_sheet_with_the_2027_notice_covers_2027(cal_2027):
    t = tickets_end_2026()
    cov = coverage(cal_2027, t, None, pd.Timestamp("2026-12-30 12:00"))
    assert cov.as_dict()["sheet"] == [2027]
    assert cov.missing == [] and cov.affected == [] and cov.warnings == []
    assert cov.covered_until == dt.date(2027, 12, 31)


@pytest.mark.parametrize("dispatched, limit, due", [
    # hand counts on the 2027 fixture (元旦 01-01…03; 春节 02-05…12, 01-31 and 02-20 上班)
    ("2026-12-28 09:00", "一般", "2027-01-05"),   # 12-29,30,31, (01-01…03 off), 01-04, 01-05
    ("2026-12-15 09:00", "复杂", "2027-01-06"),   # 12 working days to 12-31, then 01-04,05,06
    ("2027-02-04 10:00", "一般", "2027-02-19"),   # 02-05…14 off, 02-15…19
    ("2027-02-18 10:00", "一般", "2027-02-24"),   # 02-19, 02-20 (Saturday, 上班), 02-22,23,24
    ("2027-01-29 10:00", "民生", "2027-02-02"),   # 01-31 (Sunday, 上班), 02-01, 02-02
    ("2027-06-08 10:00", "紧急", "2027-06-10"),   # 06-09 端午 (Wednesday, 放假1天)
    ("2027-09-30 10:00", "一般", "2027-10-13"),   # 10-01…07 off; 10-08, 10-09 (Sat, 上班), 10-11, 12, 13
])
def test_2027_deadlines_with_the_sheet(cal_2027, dispatched, limit, due):
    t = typed([ticket(id="X", **{S.DISPATCHED: dispatched, S.LIMIT_TYPE: limit})])
    out = compute(t, Params(), cal_2027, pd.Timestamp("2027-01-01"))
    assert out[S.DEADLINE].iloc[0] == pd.Timestamp(due + " 23:59:59")
    assert out["missing_year"].iloc[0] == 0
    # and without the sheet the same ticket cannot be computed (R1: never a silent guess)
    bare = compute(t, Params(), WorkCalendar(), pd.Timestamp("2027-01-01"))
    assert bare["missing_year"].iloc[0] == 2027 and pd.isna(bare[S.DEADLINE].iloc[0])


def test_2027_scalar_calendar(cal_2027):
    assert cal_2027.add(d("2027-02-04"), 1) == d("2027-02-15")
    assert cal_2027.is_workday(d("2027-01-31")) and not cal_2027.is_workday(d("2027-09-15"))
    assert cal_2027.count(d("2027-10-01"), d("2027-10-09")) == 2      # 10-08 and 10-09
    with pytest.raises(HolidayDataMissing):
        WorkCalendar().add(d("2026-12-31"), 1)


def test_a_year_with_only_late_december_sheet_dates_is_suspicious():
    # the 2028 notice may list "2027年12月31日（周五）…"; alone it makes 2027 "covered" (R1)
    cal = WorkCalendar([Override(d("2027-12-31"), "休息日", "元旦")])
    cov = coverage(cal, typed([ticket(id="Z", **{S.DISPATCHED: "2026-12-30 09:00"})]), None,
                   pd.Timestamp("2026-12-30 12:00"))
    assert cov.missing == [] and cov.affected == []          # covered by the rule…
    assert len(cov.warnings) == 1                              # …but the clerk is told
    assert "2027年只有12月下旬的1个日期" in cov.warnings[0]
    # a year with its whole notice on the sheet gives no such warning
    full = WorkCalendar(parse_notice((FIXTURES / "2027.txt").read_text(encoding="utf-8")).overrides())
    assert coverage(full, typed([]), None, pd.Timestamp("2027-03-01")).warnings == []
