"""R1/R2: the working-day calendar, table-driven in ISO dates, plus properties."""

import datetime as dt

import numpy as np
import pytest
from helpers import d
from hypothesis import given
from hypothesis import strategies as st

from jsjb.core.calendar import REST, WORK, Override, WorkCalendar, day_number, from_day_number
from jsjb.core.errors import HolidayDataMissing


@pytest.mark.parametrize("day, working", [
    # 调休 working weekends (the State Council notices)
    ("2023-10-07", True), ("2023-10-08", True),          # 国庆/中秋 2023
    ("2024-02-04", True), ("2024-02-18", True),          # 春节 2024
    ("2025-01-26", True), ("2025-02-08", True),          # 春节 2025
    ("2026-02-14", True), ("2026-02-28", True),          # 春节 2026
    ("2005-12-31", True),                                # the errata: official notice says working
    # statutory rest days on weekdays
    ("2023-09-29", False), ("2023-10-02", False), ("2023-10-06", False),
    ("2024-02-12", False), ("2025-01-28", False), ("2025-02-04", False), ("2026-02-16", False),
    ("2025-10-08", False),
    # ordinary days
    ("2023-09-28", True), ("2023-09-30", False), ("2024-03-02", False), ("2024-03-04", True),
])
def test_is_workday(calendar, day, working):
    assert calendar.is_workday(d(day)) is working


@pytest.mark.parametrize("start, n, expected", [
    ("2023-09-28", 5, "2023-10-11"),     # RULES R2 example: 10-07, 10-08 are 调休 working days
    ("2023-09-28", 1, "2023-10-07"),
    ("2023-09-28", 0, "2023-09-28"),
    ("2023-10-01", 0, "2023-10-01"),     # 0 → the start's date even on a holiday
    ("2023-10-01", 1, "2023-10-07"),
    ("2024-02-08", 1, "2024-02-09"),
    ("2024-02-09", 1, "2024-02-18"),     # 春节 2024: 02-10…17 off, 02-18 (Sunday) working
    ("2025-01-24", 1, "2025-01-26"),     # 春节 2025: 01-26 (Sunday) working
    ("2025-01-27", 1, "2025-02-05"),
    ("2026-02-13", 1, "2026-02-14"),     # 春节 2026: 02-14 (Saturday) working
    ("2026-02-14", 1, "2026-02-24"),
    ("2023-10-11", -5, "2023-09-28"),
    ("2023-10-09", -1, "2023-10-08"),
    ("2023-10-07", -1, "2023-09-28"),
    ("2024-12-31", 3, "2025-01-06"),     # across a year end (01-01 off)
    ("2025-12-30", 15, "2026-01-21"),
])
def test_add_working_days(calendar, start, n, expected):
    assert calendar.add(d(start), n) == d(expected)


@pytest.mark.parametrize("a, b, count", [
    ("2023-09-28", "2023-10-11", 6),     # both ends counted (NETWORKDAYS)
    ("2023-10-11", "2023-09-28", -6),
    ("2023-09-29", "2023-10-06", 0),
    ("2023-10-07", "2023-10-07", 1),
    ("2023-10-01", "2023-10-01", 0),
    ("2024-02-01", "2024-02-29", 18),
])
def test_count_working_days(calendar, a, b, count):
    assert calendar.count(d(a), d(b)) == count


def test_uncovered_year_is_an_error_naming_the_year_and_the_fix(calendar):
    with pytest.raises(HolidayDataMissing) as e:
        calendar.add(d("2026-12-28"), 5)
    assert e.value.year == 2027
    assert "2027" in str(e.value) and "节假日" in str(e.value)
    with pytest.raises(HolidayDataMissing) as e:
        calendar.add(d("2003-06-02"), 1)
    assert e.value.year == 2003


def test_the_sheet_covers_a_new_year_and_wins_over_the_package():
    overrides = [Override(d("2027-01-01"), REST, "元旦"), Override(d("2023-10-09"), REST, "测试：临时休息")]
    cal = WorkCalendar(overrides)
    assert 2027 in cal.years and 2027 in cal.sheet_years
    assert cal.add(d("2026-12-31"), 1) == d("2027-01-04")
    assert cal.add(d("2023-09-28"), 5) == d("2023-10-12")        # 10-09 now a rest day
    assert WorkCalendar([Override(d("2023-10-07"), REST)]).add(d("2023-09-28"), 1) == d("2023-10-08")
    assert WorkCalendar([Override(d("2024-03-02"), WORK)]).is_workday(d("2024-03-02"))


def test_a_gap_year_between_covered_years_is_an_error():
    cal = WorkCalendar([Override(d("2028-01-01"), REST)])
    assert cal.add(d("2028-03-01"), 1) == d("2028-03-02")
    with pytest.raises(HolidayDataMissing) as e:
        cal.add(d("2026-12-30"), 3)
    assert e.value.year == 2027
    with pytest.raises(HolidayDataMissing) as e:
        cal.count(d("2026-06-01"), d("2028-02-01"))
    assert e.value.year == 2027


def test_column_functions_report_missing_years_per_row(calendar):
    days = np.array([day_number(d("2023-09-28")), day_number(d("2026-12-30")), day_number(d("2003-01-01"))])
    res, missing = calendar.add_days(days, np.array([5, 5, 1]))
    assert from_day_number(res[0]) == d("2023-10-11")
    assert list(missing) == [0, 2027, 2003]


def test_explanation_names_the_holidays(calendar):
    skipped = dict(calendar.skipped(d("2023-09-28"), d("2023-10-11")))
    assert skipped[d("2023-09-29")] == "中秋节放假"
    assert skipped[d("2023-10-07")] == "国庆节调休上班"


# -- the data package against the other one, 2004–2026 ---------------------------------------
def test_package_agrees_with_the_holidays_package_except_the_documented_day(calendar):
    """chinesecalendar (primary) vs holidays (cross-check), every day 2004–2026.

    The two packages disagree only on 2005-12-31; the official notice makes it a working day,
    which our errata table applies, so after it the two agree everywhere.
    """
    holidays = pytest.importorskip("holidays")
    cn = holidays.China(years=range(2004, 2027))
    weekend_work = set(cn.weekend_workdays)
    disagree = []
    day = dt.date(2004, 1, 1)
    while day <= dt.date(2026, 12, 31):
        theirs = day in weekend_work or (day.weekday() < 5 and day not in cn)
        if theirs != calendar.is_workday(day):
            disagree.append(day)
        day += dt.timedelta(days=1)
    assert disagree == []
    # without our errata the packages disagree on exactly that day
    from chinese_calendar import is_workday as pkg_is_workday
    assert pkg_is_workday(d("2005-12-31")) is False and d("2005-12-31") in weekend_work


@pytest.mark.parametrize("year", range(2004, 2027))
def test_invariants_per_year(calendar, year):
    """调休 working days fall on weekends; a year has a plausible number of working days."""
    days = [dt.date(year, 1, 1) + dt.timedelta(i) for i in range((dt.date(year + 1, 1, 1) - dt.date(year, 1, 1)).days)]
    working = [x for x in days if calendar.is_workday(x)]
    assert 246 <= len(working) <= 252
    for x in working:
        if x.weekday() >= 5:
            assert "调休" in calendar.note(x)


# -- properties ----------------------------------------------------------------------------
dates = st.dates(min_value=dt.date(2004, 3, 1), max_value=dt.date(2026, 6, 30))


def naive_add(cal, start: dt.date, n: int) -> dt.date:
    day, step, left = start, (1 if n > 0 else -1), abs(n)
    while left:
        day += dt.timedelta(days=step)
        if cal.is_workday(day):
            left -= 1
    return day


@given(dates, st.integers(min_value=-40, max_value=40))
def test_add_agrees_with_a_day_by_day_count(calendar, start, n):
    assert calendar.add(start, n) == naive_add(calendar, start, n)


@given(dates, st.integers(min_value=1, max_value=60))
def test_counting_back_what_was_added(calendar, start, n):
    end = calendar.add(start, n)
    assert calendar.count(start + dt.timedelta(days=1), end) == n
    assert calendar.is_workday(end)
    assert calendar.add(end, -n) <= start


@given(dates, st.integers(min_value=0, max_value=50), st.integers(min_value=0, max_value=50))
def test_add_is_monotonic_and_composes(calendar, start, a, b):
    lo, hi = sorted((a, b))
    assert calendar.add(start, lo) <= calendar.add(start, hi)
    if a > 0:
        assert calendar.add(calendar.add(start, a), b) == calendar.add(start, a + b)


@given(dates, dates)
def test_count_agrees_with_a_day_by_day_count(calendar, a, b):
    lo, hi = sorted((a, b))
    naive = sum(calendar.is_workday(lo + dt.timedelta(i)) for i in range((hi - lo).days + 1))
    assert calendar.count(a, b) == (naive if a <= b else -naive)


@given(st.lists(st.tuples(dates, st.integers(min_value=-30, max_value=30)), min_size=1, max_size=30))
def test_the_column_function_equals_the_scalar_one(calendar, pairs):
    days = np.array([day_number(s) for s, _ in pairs])
    ns = np.array([n for _, n in pairs])
    res, missing = calendar.add_days(days, ns)
    assert (missing == 0).all()
    assert [from_day_number(r) for r in res] == [calendar.add(s, n) for s, n in pairs]
