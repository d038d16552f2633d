"""Turning whatever a cell holds into timestamps (R0), for whole columns at once.

Accepted: Excel serial numbers (1900 date system, as int/float or numeric text), ``datetime``,
``date``, ``pandas.Timestamp``, ``numpy.datetime64`` and text such as ``2023-09-28 10:00``,
``2023/9/28``, ``2023.9.28 10:00:00``, ``2023年9月28日``, ``2023年9月28日 10时00分`` and the 12-hour
clock some systems export (``2023/9/28 下午 2:30``, ``2023-09-28 2:30 PM``). Blank cells are missing values, not
errors. Everything is naive local time (Asia/Shanghai); a time zone, if given, is dropped
after conversion to Shanghai time.

Only moments the program can represent and calendar are accepted: years ``YEAR_MIN`` …
``YEAR_MAX`` (``WINDOW``). A value outside them (a typo such as ``3025-03-03``, a placeholder
``9999-12-31``, ``0205-03-03``, a huge serial), an impossible clock time (``9:75``, ``25:00``) or
a date without its day (``2025-03``, ``2025``: no silent first-of-month) is *bad*: NaT plus
``bad`` = True, never an exception. :func:`problem` says why, as an issue code.
"""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pandas as pd

from .codes import DATE_FORMAT, DATE_INCOMPLETE, DATE_RANGE, TIME_OF_DAY, YEAR_MAX, YEAR_MIN

EXCEL_EPOCH = pd.Timestamp("1899-12-30")   # serial 0 in Excel's 1900 date system (serial ≥ 61)
# The window of representable moments (years YEAR_MIN … YEAR_MAX, codes.py). pandas' nanosecond
# timestamps end in 2262; the working-day calendar builds one array over its covered years.
# Anything outside is a typo or a placeholder and is reported, not computed.
WINDOW = (np.datetime64(f"{YEAR_MIN}-01-01T00:00:00", "us"), np.datetime64(f"{YEAR_MAX}-12-31T23:59:59.999999", "us"))
SERIAL_MIN, SERIAL_MAX = 2.0, 109574.999999    # Excel serials of the window (1900-01-01 … 2199-12-31)

_CN = re.compile(r"^\s*(\d{4})\s*[年/.\-]\s*(\d{1,2})\s*[月/.\-]\s*(\d{1,2})\s*日?\s*(.*?)\s*$")
# A text must carry year, month and day before anything else: '2025-03' or '2025' is not a
# date (pandas' ISO parser would read them as the first of the month / year).
_FULL_DATE = r"^\s*\d{4}\s*[年/.\-]\s*\d{1,2}\s*[月/.\-]\s*\d{1,2}(?!\d)"
_ANY_DATE = re.compile(r"^\s*[+-]?(\d+)\s*[年/.\-]\s*(\d{1,2})\s*[月/.\-]\s*(\d{1,2})(?!\d)\s*日?[T\s]*(.*?)\s*$")
_PARTIAL = re.compile(r"^\s*\d{1,4}\s*(?:年|[年/.\-]\s*\d{1,2}\s*月?)\s*$")
_CLOCK = re.compile(r"^(\d{1,2})\s*[:：时点]\s*(\d{1,2})?(?:\s*[:：分]\s*(\d{1,2}(?:\.\d+)?)?)?\s*秒?$")


def _is_text_dtype(values: pd.Series) -> bool:
    return pd.api.types.is_string_dtype(values.dtype) and values.dtype != object


def is_blank(values: pd.Series) -> pd.Series:
    """True where a cell is empty: None, NaN, NaT or only white space."""
    if _is_text_dtype(values):
        return (values.isna() | (values.str.strip() == "")).fillna(True).astype(bool)
    blank = values.isna()
    if values.dtype == object and len(values):
        kind = pd.api.types.infer_dtype(values, skipna=True)
        if kind in ("string", "mixed", "mixed-integer", "mixed-integer-float", "empty"):
            text = values.where(~blank, None).astype("str").str.strip()
            blank = blank | (text == "").fillna(False)
    return blank.astype(bool)


def to_timestamps(values) -> tuple[pd.Series, pd.Series]:
    """Convert a column of cell values to ``datetime64[ns]``.

    Returns ``(times, bad)``: ``times`` is NaT where the cell is blank or unusable, and ``bad``
    is True only where a non-blank cell could not be used (unreadable, incomplete, outside the
    window, impossible clock time), so callers can report it — :func:`problem` says why.
    Never raises for any cell value.
    """
    s = values if isinstance(values, pd.Series) else pd.Series(list(values), dtype=object)
    s = s.reset_index(drop=True)
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        local = s.dt.tz_convert("Asia/Shanghai").dt.tz_localize(None) if s.dt.tz else s
        times, outside = _ns(local.to_numpy())
        return pd.Series(times, index=s.index), pd.Series(outside, index=s.index)
    if pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype):
        return _from_serials(s.astype(float))
    if _is_text_dtype(s):
        return _from_text(s)
    fast = _homogeneous(s)
    if fast is not None:
        return fast
    blank = is_blank(s)
    out = pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns]")
    todo = s[~blank]
    if todo.empty:
        return out, pd.Series(False, index=s.index)
    # 1. native date/time objects
    native = todo.map(lambda v: isinstance(v, (dt.date, np.datetime64)) and not isinstance(v, bool))
    native = native.to_numpy(dtype=bool)
    if native.any():
        part = todo[native]
        converted = pd.to_datetime(part.map(_native), errors="coerce")
        out.loc[part.index] = _ns(converted.to_numpy())[0]
    rest = todo[~native]
    # 2. numbers and numeric text: Excel serials (outside the window they stay NaT: bad below)
    numbers = pd.to_numeric(rest.map(_numberish), errors="coerce")
    is_num = numbers.notna().to_numpy()
    if is_num.any():
        times, _ = _from_serials(numbers[is_num])
        out.loc[times.index] = times
    text = rest[~is_num].astype(str).str.strip()
    if len(text):
        out.loc[text.index] = _parse_text(text)
    bad = (~blank) & out.isna()
    return out, bad


def _ns(values) -> tuple[np.ndarray, np.ndarray]:
    """datetime64 values of any unit → datetime64[ns], NaT outside the window; and the mask of
    values that were outside. (Checked in microseconds, which hold any year pandas parses.)"""
    arr = np.asarray(values).astype("datetime64[us]")
    outside = ~np.isnat(arr) & ((arr < WINDOW[0]) | (arr > WINDOW[1]))
    arr = np.where(outside, np.datetime64("NaT", "us"), arr)
    return arr.astype("datetime64[ns]"), outside


READER_FORMAT = "%Y-%m-%d %H:%M:%S"     # how the reader (fastexcel, text mode) renders a date cell


def _from_text(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Fast path for a column of text cells (the reader's Arrow strings): all vectorised.
    Cells in the reader's own date rendering are parsed by Arrow in one pass; only the rest
    (serial numbers, other spellings) go through the general parser."""
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = pc.utf8_trim_whitespace(pa.array(s, type=pa.string()))
    fast = pc.strptime(arr, format=READER_FORMAT, unit="s", error_is_null=True)
    times, outside = _ns(fast.to_numpy(zero_copy_only=False))
    parsed = pd.Series(times, index=s.index)
    rest = (parsed.isna() & s.notna()).to_numpy() & ~outside
    out_bad = pd.Series(outside, index=s.index)
    if not rest.any():
        return parsed, out_bad
    times, bad = _from_text_general(s[rest])
    parsed[rest] = times.to_numpy()
    out_bad[rest] = bad.to_numpy()
    return parsed, out_bad


def _from_text_general(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    text = s.str.strip()
    blank = (text.isna() | (text == "")).fillna(True).astype(bool).to_numpy()
    out = pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns]")
    numeric = text.str.fullmatch(r"\d+(?:\.\d+)?").fillna(False).astype(bool).to_numpy() & ~blank
    if numeric.any():
        times, _ = _from_serials(pd.to_numeric(text[numeric]).astype(float))
        out[numeric] = times.to_numpy()
    rest = ~numeric & ~blank
    if rest.any():
        out[rest] = _parse_text(text[rest]).to_numpy()
    bad = pd.Series(~blank & out.isna().to_numpy(), index=s.index)
    return out, bad


def _parse_text(text: pd.Series) -> pd.Series:
    """Date-time texts → datetime64[ns]: ISO fast path, zoned texts to Shanghai time, then loose
    forms. Texts without year, month and day, and moments outside the window, give NaT."""
    text = text.astype(object).where(text.notna(), "").astype(str)
    parsed = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
    full = text.str.contains(_FULL_DATE, regex=True).to_numpy(dtype=bool)
    zoned = full & text.str.contains(r"(?:Z|[+-]\d\d:?\d\d)$", regex=True).to_numpy(dtype=bool)
    plain = full & ~zoned
    if plain.any():
        local = pd.to_datetime(text[plain], format="ISO8601", errors="coerce")
        parsed[plain] = _ns(local.to_numpy())[0]
    if zoned.any():
        utc = pd.to_datetime(text[zoned], format="ISO8601", errors="coerce", utc=True)
        local = utc.dt.tz_convert("Asia/Shanghai").dt.tz_localize(None)
        parsed[zoned] = _ns(local.to_numpy())[0]
    missed = full & parsed.isna().to_numpy()
    if missed.any():
        parsed[missed] = _ns(np.array([_loose(x) for x in text[missed]], dtype="datetime64[us]"))[0]
    return parsed


def _homogeneous(s: pd.Series) -> tuple[pd.Series, pd.Series] | None:
    """Whole-column fast paths for object columns of one kind (what a UDF usually receives):
    all numbers (Excel serials), all text, or all datetimes — with blanks (None, NaN, '')."""
    filled = s[~(s.isna() | (s == "")).to_numpy()]
    if filled.empty:
        return None
    kind = pd.api.types.infer_dtype(filled, skipna=True)
    if kind in ("floating", "integer", "mixed-integer-float"):
        numbers = pd.Series(np.nan, index=s.index, dtype=float)
        try:
            numbers[filled.index] = filled.astype(float)
        except (OverflowError, ValueError, TypeError):    # e.g. an int beyond float range
            return None
        times, bad = _from_serials(numbers)
        return times, bad
    if kind == "string":
        text = pd.Series(s.where(s.notna(), None), dtype="str")
        return _from_text(text)
    if kind in ("datetime", "datetime64"):
        times = pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns]")
        try:
            try:
                converted = pd.to_datetime(filled, errors="coerce")
            except (ValueError, TypeError, OverflowError):       # mixed zones, odd objects
                converted = pd.to_datetime(filled.map(_native), errors="coerce")
            if getattr(converted.dt, "tz", None) is not None:
                converted = converted.dt.tz_convert("Asia/Shanghai").dt.tz_localize(None)
        except (ValueError, TypeError, OverflowError):
            return None
        times[filled.index] = _ns(converted.to_numpy())[0]
        return times, pd.Series(False, index=s.index) | (times.isna() & s.index.isin(filled.index))
    return None


def _native(v):
    """A native date/time cell → a naive Timestamp (Shanghai), NaT if it cannot be one."""
    try:
        if isinstance(v, dt.datetime) and v.tzinfo is not None:
            return pd.Timestamp(v).tz_convert("Asia/Shanghai").tz_localize(None)
        if isinstance(v, dt.date) and not isinstance(v, dt.datetime):
            return pd.Timestamp(v.year, v.month, v.day)
        return pd.Timestamp(v)
    except (ValueError, OverflowError, TypeError):
        return pd.NaT


def _numberish(v):
    if isinstance(v, bool):
        return None
    if isinstance(v, (int, np.integer)):
        return float(v) if abs(v) < 1e300 else float("inf")
    if isinstance(v, (float, np.floating)):
        return v
    if isinstance(v, str) and re.fullmatch(r"\s*\d+(\.\d+)?\s*", v):
        return v
    return None


def _from_serials(numbers: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Excel serials → timestamps; a serial outside the window (or not finite) is bad."""
    ok = numbers.between(SERIAL_MIN, SERIAL_MAX)
    secs = (numbers.where(ok) * 86400.0).round()
    times = EXCEL_EPOCH + pd.to_timedelta(secs, unit="s")
    return times.astype("datetime64[ns]"), numbers.notna() & ~ok


# A 12-hour clock as Chinese Excel/WPS and some systems export it: 下午 2:30, 上午10时, 2:30 PM.
_MERIDIEM_BEFORE = re.compile(r"^(上午|早上|凌晨|中午|下午|晚上|AM|PM|A\.M\.|P\.M\.)\s*(.+)$", re.I)
_MERIDIEM_AFTER = re.compile(r"^(.+?)\s*(AM|PM|A\.M\.|P\.M\.)$", re.I)
_AFTERNOON = ("下午", "晚上", "PM", "P.M.")


def _clock(rest: str) -> tuple[int, int, float] | None:
    """'10:30', '10:30:05.5', '10时30分', '10点', '下午 2:30', '2:30 PM' → (h, m, s) on the 24-hour
    clock (not range-checked, except that a 12-hour time past 12 is impossible: hour 99);
    None when it is not a clock time at all."""
    rest = re.sub(r"(?:Z|[+-]\d\d:?\d\d)$", "", rest.strip()).strip()
    meridiem = None
    m = _MERIDIEM_BEFORE.match(rest)
    if m:
        meridiem, rest = m.group(1).upper(), m.group(2)
    else:
        m = _MERIDIEM_AFTER.match(rest)
        if m:
            rest, meridiem = m.group(1), m.group(2).upper()
    m = _CLOCK.match(rest)
    if not m:
        return None
    h, mi, sec = m.groups()
    hour = int(h)
    if meridiem is not None:
        if not 0 <= hour <= 12 or (meridiem == "晚上" and hour == 12):
            hour = 99                                     # 下午 14:00 is no time of day; 晚上12点: of which day?
        elif meridiem in _AFTERNOON:
            hour = hour + 12 if hour < 12 else 12
        elif meridiem == "中午":
            hour = hour + 12 if hour < 11 else hour       # 中午12:30 → 12:30, 中午1点 → 13:00
        elif hour == 12:
            hour = 0                                      # 上午12:10 / 12:10 AM → 00:10
    return hour, int(mi or 0), float(sec or 0)


def _valid_clock(c: tuple[int, int, float]) -> bool:
    return 0 <= c[0] < 24 and 0 <= c[1] < 60 and 0 <= c[2] < 60


def _loose(text: str):
    """Slow path for the few texts the ISO parser rejects: 2023/9/28, 2023年9月28日 10:00…
    Returns a datetime64[us] (NaT when unusable: impossible date or clock, outside the window)."""
    m = _CN.match(text)
    if not m:
        return np.datetime64("NaT", "us")
    y, mo, d, rest = m.groups()
    if not YEAR_MIN <= int(y) <= YEAR_MAX:
        return np.datetime64("NaT", "us")
    try:
        base = dt.datetime(int(y), int(mo), int(d))
    except ValueError:
        return np.datetime64("NaT", "us")
    if not rest:
        return np.datetime64(base, "us")
    c = _clock(rest)
    if c is None or not _valid_clock(c):
        return np.datetime64("NaT", "us")
    return np.datetime64(base + dt.timedelta(hours=c[0], minutes=c[1], seconds=c[2]), "us")


def problem(value) -> str:
    """Why a cell that :func:`to_timestamps` marked bad cannot be used: an issue code
    (``codes.DATE_RANGE``, ``DATE_INCOMPLETE``, ``TIME_OF_DAY`` or ``DATE_FORMAT``)."""
    if isinstance(value, bool):
        return DATE_FORMAT
    if isinstance(value, (dt.date, np.datetime64)):
        return DATE_RANGE                               # a real date, but outside the window
    if isinstance(value, (int, float, np.integer, np.floating)):
        return DATE_RANGE                               # a serial outside the window, or not finite
    text = str(value).strip()
    if re.fullmatch(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?|[+-]?(?:inf|infinity|nan)", text, re.I):
        return DATE_RANGE
    m = _ANY_DATE.match(text)
    if m:
        y, _, _, rest = m.groups()
        if not YEAR_MIN <= int(y) <= YEAR_MAX:
            return DATE_RANGE
        c = _clock(rest) if rest else None
        if c is not None and not _valid_clock(c):
            return TIME_OF_DAY
        return DATE_FORMAT                              # e.g. 2025-02-30, or unreadable time text
    if _PARTIAL.match(text):
        return DATE_INCOMPLETE
    return DATE_FORMAT


def iso(t) -> str | None:
    """ISO text of a timestamp (seconds precision), None for NaT."""
    if t is None or pd.isna(t):
        return None
    return pd.Timestamp(t).isoformat(timespec="seconds")
