"""The working-day calendar of R1, vectorised.

Source of the State Council arrangement: the maintained package ``chinesecalendar``
(data 2004 onward, from the annual 国务院办公厅关于部分节假日安排的通知), overridden by the
workbook's 节假日 sheet. A date is a working day unless it is a weekend or a statutory rest
day, except that a weekend made a working day by the notice (调休上班) *is* one. The sheet
wins over the package.

A year is *covered* when the package has data for it or the sheet lists at least one date of
it. Any computation touching an uncovered day raises :class:`HolidayDataMissing` (or, in the
column functions, reports that year for the row) — never a silent guess. :func:`coverage` reports
the covered years, the missing ones open tickets need, and the R23 warnings.

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
from .howto import how

REST, WORK = "休息日", "工作日"
NO_YEAR = 0     # "no missing year" in the year arrays returned by the column functions
FESTIVALS = {   # chinesecalendar's English names → the notice's Chinese names
    "New Year's Day": "元旦", "Spring Festival": "春节", "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节", "Dragon Boat Festival": "端午节", "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节", "Anti-Fascist 70th Day": "中国人民抗日战争胜利70周年纪念日",
}
WARN_DAYS = 60  # R23: warn this many days before the covered years end


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


# -- R23: coverage of the holiday data ---------------------------------------------------------
@dataclass
class Coverage:
    """Which years the calendar covers and what is missing at ``as_of`` (R23).

    ``builtin``: first and last year of the package data (None without it); ``sheet``: years the
    节假日 sheet lists at least one date of; ``missing``: uncovered years that open tickets need,
    plus the year after the covered run once ``as_of`` is within :data:`WARN_DAYS` of its end;
    ``affected``: ids of the open tickets whose deadline needs a missing year (ledger order);
    ``covered_until``: the last day of the covered run of years that holds ``as_of``'s year
    (None when that year itself is uncovered); ``warnings``: Chinese texts for the clerk.
    """

    builtin: tuple[int, int] | None
    sheet: list[int]
    missing: list[int]
    affected: list[str]
    covered_until: dt.date | None
    warnings: list[str]
    affected_by_year: dict[int, list[str]]

    def as_dict(self) -> dict:
        """CONTRACT §3 ``jsjb holidays --json`` (plus ``covered_until`` and ``warnings``)."""
        return {
            "builtin": list(self.builtin) if self.builtin else None,
            "sheet": list(self.sheet),
            "missing": list(self.missing),
            "affected": list(self.affected),
            "covered_until": self.covered_until.isoformat() if self.covered_until else None,
            "warnings": list(self.warnings),
        }


def _id_list(ids: list[str], limit: int = 20) -> str:
    shown = "、".join(ids[:limit])
    return shown + (f"等{len(ids)}件" if len(ids) > limit else f"（共{len(ids)}件）")


def _fix_text(year: int) -> str:
    return (f"国务院办公厅通常在每年11月公布下一年的放假安排。请把《国务院办公厅关于{year}年部分节假日安排的通知》"
            f"录入台账的“节假日”表（日期、类型=休息日/工作日、说明），例如用 "
            f"{how('parse_notice')} 把通知全文转换成表格后粘贴进去。")


def coverage(calendar: WorkCalendar, tickets: pd.DataFrame, computed: pd.DataFrame | None,
             as_of: pd.Timestamp, *, warn_days: int = WARN_DAYS) -> Coverage:
    """R23: coverage report and warnings for a ledger at ``as_of``.

    ``tickets`` is the typed ticket frame; ``computed`` the frame of
    :func:`jsjb.core.rules.compute` for it (computed here with default parameters when None).
    A ticket is *open* when neither closed nor returned by ``as_of`` (on hold counts as open);
    it is *affected* when computing its deadline met an uncovered day — ``compute``'s
    ``missing_year`` column, which already holds, per row and for the whole column at once, the
    first uncovered year its deadline arithmetic touched. No per-row Python work except for
    formatting the affected ids.

    The warning window (R23) opens ``warn_days`` days before the end of the covered run of
    years holding ``as_of`` (as_of on or after 31 December − ``warn_days`` days) and stays open
    after that day has passed.
    """
    from . import schema as S

    as_of = pd.Timestamp(as_of)
    today = as_of.date()
    if computed is None:
        from .params import Params
        from .rules import compute

        computed = compute(tickets, Params(), calendar, as_of)

    years = calendar.years
    next_missing = today.year
    while next_missing in years:
        next_missing += 1
    covered_until = dt.date(next_missing - 1, 12, 31) if next_missing > today.year else None
    days_left = (dt.date(next_missing - 1, 12, 31) - today).days
    in_window = days_left <= warn_days

    if len(computed):
        miss = computed["missing_year"].to_numpy(dtype=np.int64)
        closed = np.asarray(computed["closed"], dtype=bool)
        returned = np.asarray(computed["returned"], dtype=bool)
        hit = (miss != NO_YEAR) & ~closed & ~returned
        ids = tickets[S.ID].reindex(computed.index).to_numpy(dtype=object)[hit]
        hit_years = miss[hit]
    else:
        ids, hit_years = np.array([], dtype=object), np.array([], dtype=np.int64)
    by_year: dict[int, list[str]] = {}
    for y in np.unique(hit_years):
        by_year[int(y)] = [str(i) for i in ids[hit_years == y]]
    missing = sorted(set(by_year) | ({next_missing} if in_window else set()))

    warnings: list[str] = []
    for year in missing:
        affected = by_year.get(year, [])
        if year == next_missing and in_window:
            if covered_until is None:
                head = f"节假日数据未收录{year}年（当前日期所在的年份）的放假调休安排。"
            elif days_left >= 0:
                head = (f"节假日数据只覆盖到{next_missing - 1}年12月31日（还有{days_left}天），"
                        f"尚未收录{year}年的放假调休安排。")
            else:
                head = (f"节假日数据只覆盖到{next_missing - 1}年12月31日（已过{-days_left}天），"
                        f"尚未收录{year}年的放假调休安排。")
        else:
            head = f"节假日数据未收录{year}年的放假调休安排。"
        if affected:
            head += f"以下在办工单的办理期限需要{year}年的数据，目前无法计算：{_id_list(affected)}。"
        else:
            head += f"目前还没有在办工单受影响，但期限跨入{year}年的工单将无法计算办理期限。"
        warnings.append(head + _fix_text(year))

    # R1 counts a year as covered once the sheet lists one date of it; a year whose only sheet
    # dates are in late December most likely came in with the next year's 元旦 arrangement
    # (e.g. "2027年12月31日（星期六）上班" in the 2028 notice) — say so.
    late: dict[int, list[dt.date]] = {}
    for o in calendar.overrides:
        if o.day.year not in calendar.package_years:
            late.setdefault(o.day.year, []).append(o.day)
    for year, days in sorted(late.items()):
        if all(x.month == 12 and x.day >= 25 for x in days):
            warnings.append(
                f"“节假日”表中{year}年只有12月下旬的{len(days)}个日期（多半来自{year + 1}年通知里的元旦安排），"
                f"按规则{year}年已算作收录，但{year}年全年的放假调休安排可能还没有录入。" + _fix_text(year))

    pkg = sorted(calendar.package_years)
    return Coverage(
        builtin=(pkg[0], pkg[-1]) if pkg else None,
        sheet=sorted(calendar.sheet_years),
        missing=missing,
        affected=[str(i) for i in ids],
        covered_until=covered_until,
        warnings=warnings,
        affected_by_year=by_year,
    )
