"""The working-day calendar of R1, vectorised.

Source of the State Council arrangement: the maintained package ``chinesecalendar``
(data 2004 onward, from the annual 国务院办公厅关于部分节假日安排的通知), overridden by the
workbook's 节假日 sheet. A date is a working day unless it is a weekend or a statutory rest
day, except that a weekend made a working day by the notice (调休上班) *is* one. The sheet
wins over the package.

A year is *covered* when the package has data for it or the sheet lists at least one date of
it. Any computation touching an uncovered day raises :class:`HolidayDataMissing` (or, in the
column functions, reports that year for the row) — never a silent guess.

Days are handled as int64 day numbers (days since 1970-01-01). Once per calendar we build,
over the covered span, ``work`` (is the day a working day) and ``cum`` (working days from the
start of the span up to and including the day); adding or counting working days for a whole
column is then a ``searchsorted``/lookup — no per-day Python loop.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property, lru_cache

import numpy as np
import pandas as pd

from .errors import HolidayDataMissing, InvalidValue

REST, WORK = "休息日", "工作日"
NO_YEAR = 0
FESTIVALS = {   # chinesecalendar's English names → the notice's Chinese names
    "New Year's Day": "元旦", "Spring Festival": "春节", "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节", "Dragon Boat Festival": "端午节", "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节", "Anti-Fascist 70th Day": "中国人民抗日战争胜利70周年纪念日",
}   # "no missing year" in the year arrays returned by the column functions


@dataclass(frozen=True)
class Override:
    """One row of the 节假日 sheet."""

    day: dt.date
    kind: str            # 休息日 / 工作日
    note: str = ""


# Reviewed corrections to the package data, each with its source. The sheet still wins.
ERRATA: dict[dt.date, tuple[str, str]] = {
    # 2006年元旦放假安排（国务院办公厅2005年通知）：2005-12-31（星期六）上班。
    # chinesecalendar lists it as a rest day; the holidays package agrees with the notice.
    dt.date(2005, 12, 31): (WORK, "2006年元旦调休上班"),
}


@lru_cache(maxsize=1)
def _package_data() -> tuple[frozenset, frozenset, frozenset]:
    """(rest days, 调休 working days, covered years) from chinesecalendar."""
    from chinese_calendar import constants

    rest = frozenset(d for d in constants.holidays if ERRATA.get(d, (REST,))[0] == REST)
    work = frozenset(constants.workdays) | {d for d, (kind, _) in ERRATA.items() if kind == WORK}
    years = frozenset(range(min(rest).year, max(rest).year + 1))
    return rest, work, years


def _day_numbers(days: Iterable[dt.date]) -> np.ndarray:
    return np.array([d.toordinal() - 719163 for d in days], dtype=np.int64)   # 719163 = 1970-01-01


def day_number(d: dt.date) -> int:
    return d.toordinal() - 719163


def from_day_number(n: int) -> dt.date:
    return dt.date.fromordinal(int(n) + 719163)


class WorkCalendar:
    """Working days per R1 over the covered years, with O(1) column arithmetic."""

    def __init__(self, overrides: Iterable[Override] = (), *, use_package: bool = True):
        overrides = list(overrides)
        for o in overrides:
            if o.kind not in (REST, WORK):
                raise InvalidValue(f"节假日表 {o.day.isoformat()} 的类型", o.kind, "应为“休息日”或“工作日”")
        if use_package:
            pkg_rest, pkg_work, pkg_years = _package_data()
        else:
            pkg_rest, pkg_work, pkg_years = frozenset(), frozenset(), frozenset()
        self.package_years = frozenset(pkg_years)
        self.sheet_years = frozenset(o.day.year for o in overrides)
        self.years = self.package_years | self.sheet_years
        self.overrides = tuple(overrides)
        if not self.years:
            raise HolidayDataMissing(dt.date.today().year)
        first, last = min(self.years), max(self.years)
        self.lo = day_number(dt.date(first, 1, 1))
        self.hi = day_number(dt.date(last, 12, 31))
        span = np.arange(self.lo, self.hi + 1, dtype=np.int64)
        weekday = (span + 3) % 7                       # 1970-01-01 was a Thursday (3)
        work = weekday < 5
        year_of = span.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970
        covered = np.isin(year_of, np.fromiter(self.years, dtype=np.int64))
        if pkg_rest:
            work[np.isin(span, _day_numbers(pkg_rest))] = False
            work[np.isin(span, _day_numbers(pkg_work))] = True
        for o in overrides:
            work[day_number(o.day) - self.lo] = o.kind == WORK
        self.work = work
        self.covered = covered
        self.year_of = year_of
        self.cum = np.cumsum(work, dtype=np.int64)            # working days in [lo, day]
        self.uncovered_cum = np.cumsum(~covered, dtype=np.int64)

    # -- sources ----------------------------------------------------------------------------
    @cached_property
    def _notes(self) -> dict[int, str]:
        """Day number → why it is special (festival name + 放假/调休上班, or the sheet's 说明)."""
        notes: dict[int, str] = {}
        try:
            from chinese_calendar import constants
        except ImportError:  # pragma: no cover - the package is a dependency
            constants = None
        if constants is not None and self.package_years:
            for table, suffix in ((constants.holidays, "放假"), (constants.workdays, "调休上班")):
                for d, name in table.items():
                    notes[day_number(d)] = FESTIVALS.get(str(name), str(name)) + suffix
            for d, (_, why) in ERRATA.items():
                notes[day_number(d)] = why
        for o in self.overrides:
            notes[day_number(o.day)] = o.note or ("节假日表：" + o.kind)
        return notes

    def note(self, d: dt.date) -> str:
        """Why a day is (not) a working day, for explanations."""
        n = day_number(d)
        if n in self._notes:
            return self._notes[n]
        return "周末" if d.weekday() >= 5 else "工作日"

    # -- scalar helpers (raise) -----------------------------------------------------------
    def is_workday(self, d: dt.date) -> bool:
        n = day_number(d)
        self._require(np.array([n]), np.array([n]))
        return bool(self.work[n - self.lo])

    def add(self, d: dt.date, n: int) -> dt.date:
        """The date ``n`` working days after ``d`` (R2: ``d`` itself not counted)."""
        res, year = self.add_days(np.array([day_number(d)]), np.array([int(n)]))
        if year[0] != NO_YEAR:
            raise HolidayDataMissing(int(year[0]))
        return from_day_number(res[0])

    def count(self, a: dt.date, b: dt.date) -> int:
        """Working days from ``a`` to ``b``, both counted (negative if ``b`` < ``a``)."""
        res, year = self.count_days(np.array([day_number(a)]), np.array([day_number(b)]))
        if year[0] != NO_YEAR:
            raise HolidayDataMissing(int(year[0]))
        return int(res[0])

    # -- column functions ---------------------------------------------------------------------
    def add_days(self, days: np.ndarray, n: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Add ``n[i]`` working days to day number ``days[i]``, for whole columns.

        Interval convention (R2, WORKDAY): the start day is not counted; for ``n > 0`` the
        result is the n-th working day *after* the start, for ``n < 0`` the |n|-th working day
        *before* it, and for ``n == 0`` the start itself (working day or not).

        Returns ``(result_days, missing_year)``; where a day on the way is in an uncovered
        year, ``missing_year`` holds that year and the result is meaningless.
        """
        days = np.asarray(days, dtype=np.int64)
        n = np.asarray(n, dtype=np.int64)
        res = days.copy()
        idx = days - self.lo
        inside = (idx >= 0) & (idx < len(self.cum))
        safe = np.clip(idx, 0, len(self.cum) - 1)
        base = self.cum[safe]
        pos, neg = n > 0, n < 0
        # n > 0: the first day j with cum[j] == cum[d] + n
        target_pos = base + n
        # n < 0: the first day j with cum[j] == cum[d-1] - |n| + 1, cum[d-1] = cum[d] - work[d]
        target_neg = base - self.work[safe] + n + 1
        target = np.where(pos, target_pos, np.where(neg, target_neg, 0))
        found = np.searchsorted(self.cum, target, side="left")
        moving = pos | neg
        within = (target >= 1) & (target <= self.cum[-1])
        ok = inside & (~moving | within)
        j = np.clip(found, 0, len(self.cum) - 1)
        res = np.where(moving & ok, j + self.lo, days)
        # coverage: the start and the result and every day in between
        missing = np.full(len(days), NO_YEAR, dtype=np.int64)
        start_year = (days.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970)
        missing[~inside] = start_year[~inside]
        over = inside & moving & ~within
        missing[over & pos] = self.year_of[-1] + 1
        missing[over & neg] = self.year_of[0] - 1
        check = inside & (~moving | within)
        a = np.minimum(safe, j)
        b = np.maximum(safe, j)
        b = np.where(moving, b, safe)
        a = np.where(moving, a, safe)
        gap = check & (self._uncovered_between(a, b) > 0)
        if gap.any():
            missing[gap] = self._first_uncovered_year(a[gap], b[gap])
        return res, missing

    def count_days(self, a_days: np.ndarray, b_days: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Working days from ``a`` to ``b``, both counted (NETWORKDAYS); negative when b < a.

        Returns ``(counts, missing_year)`` as :meth:`add_days` does.
        """
        a_days = np.asarray(a_days, dtype=np.int64)
        b_days = np.asarray(b_days, dtype=np.int64)
        lo_d, hi_d = np.minimum(a_days, b_days), np.maximum(a_days, b_days)
        i, k = lo_d - self.lo, hi_d - self.lo
        inside = (i >= 0) & (k < len(self.cum))
        si, sk = np.clip(i, 0, len(self.cum) - 1), np.clip(k, 0, len(self.cum) - 1)
        counts = self.cum[sk] - self.cum[si] + self.work[si]
        counts = np.where(b_days < a_days, -counts, counts)
        missing = np.full(len(a_days), NO_YEAR, dtype=np.int64)
        years = lambda d: d.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970  # noqa: E731
        out_lo, out_hi = i < 0, k >= len(self.cum)
        missing[out_hi] = years(hi_d[out_hi])
        missing[out_lo] = years(lo_d[out_lo])
        gap = inside & (self._uncovered_between(si, sk) > 0)
        if gap.any():
            missing[gap] = self._first_uncovered_year(si[gap], sk[gap])
        return np.where(inside, counts, 0), missing

    def _uncovered_between(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Uncovered days in span positions [a, b]."""
        before = np.where(a > 0, self.uncovered_cum[np.maximum(a - 1, 0)], 0)
        return self.uncovered_cum[b] - before

    def _first_uncovered_year(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        before = np.where(a > 0, self.uncovered_cum[np.maximum(a - 1, 0)], 0)
        first = np.searchsorted(self.uncovered_cum, before + 1, side="left")
        return self.year_of[first]

    # -- explanation ----------------------------------------------------------------------
    def skipped(self, a: dt.date, b: dt.date) -> list[tuple[dt.date, str]]:
        """Non-working days strictly after ``a`` up to ``b``, and 调休 working weekends, with why."""
        out = []
        d = a + dt.timedelta(days=1)
        while d <= b:
            n = day_number(d) - self.lo
            if 0 <= n < len(self.work):
                if not self.work[n] or d.weekday() >= 5:
                    out.append((d, self.note(d)))
            d += dt.timedelta(days=1)
        return out

    def _require(self, a: np.ndarray, b: np.ndarray) -> None:
        _, missing = self.count_days(a, b)
        bad = missing[missing != NO_YEAR]
        if len(bad):
            raise HolidayDataMissing(int(bad[0]))


def days_of(times: pd.Series) -> np.ndarray:
    """datetime64 column → int64 day numbers (calendar date; NaT gives an undefined value)."""
    return times.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]").astype(np.int64)


def day_ends(days: np.ndarray) -> np.ndarray:
    """Day numbers → datetime64[ns] at 23:59:59 of that day (the end of a working day, R2)."""
    return (days.astype("datetime64[D]").astype("datetime64[ns]")
            + np.timedelta64(86399, "s"))
