"""Turning whatever a cell holds into timestamps (R0), for whole columns at once.

Accepted: Excel serial numbers (1900 date system, as int/float or numeric text), ``datetime``,
``date``, ``pandas.Timestamp``, ``numpy.datetime64`` and text such as ``2023-09-28 10:00``,
``2023/9/28``, ``2023.9.28 10:00:00`` or ``2023年9月28日``. Blank cells are missing values, not
errors. Everything is naive local time (Asia/Shanghai); a time zone, if given, is dropped
after conversion to Shanghai time.
"""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pandas as pd

EXCEL_EPOCH = pd.Timestamp("1899-12-30")   # serial 0 in Excel's 1900 date system (serial ≥ 61)
SERIAL_MIN, SERIAL_MAX = 1.0, 2958465.999999   # 1900-01-01 … 9999-12-31
_SECOND = np.timedelta64(1, "s")

_CN = re.compile(r"^\s*(\d{4})\s*[年/.\-]\s*(\d{1,2})\s*[月/.\-]\s*(\d{1,2})\s*日?\s*(.*?)\s*$")


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

    Returns ``(times, bad)``: ``times`` is NaT where the cell is blank or unreadable, and ``bad``
    is True only where a non-blank cell could not be read, so callers can report it.
    """
    s = values if isinstance(values, pd.Series) else pd.Series(list(values), dtype=object)
    s = s.reset_index(drop=True)
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        out = s.dt.tz_convert("Asia/Shanghai").dt.tz_localize(None) if s.dt.tz else s
        return out.astype("datetime64[ns]"), pd.Series(False, index=s.index)
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
        out.loc[part.index] = pd.to_datetime(part.map(_native), errors="coerce")
    rest = todo[~native]
    # 2. numbers and numeric text: Excel serials
    numbers = pd.to_numeric(rest.map(_numberish), errors="coerce")
    is_num = numbers.notna().to_numpy()
    if is_num.any():
        times, bad_serial = _from_serials(numbers[is_num])
        out.loc[times.index] = times
        # an out-of-range serial stays NaT and is reported as bad below
    text = rest[~is_num].astype(str).str.strip()
    if len(text):
        out.loc[text.index] = _parse_text(text)
    bad = (~blank) & out.isna()
    return out, bad


READER_FORMAT = "%Y-%m-%d %H:%M:%S"     # how the reader (fastexcel, text mode) renders a date cell


def _from_text(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Fast path for a column of text cells (the reader's Arrow strings): all vectorised.
    Cells in the reader's own date rendering are parsed by Arrow in one pass; only the rest
    (serial numbers, other spellings) go through the general parser."""
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = pc.utf8_trim_whitespace(pa.array(s, type=pa.string()))
    fast = pc.strptime(arr, format=READER_FORMAT, unit="s", error_is_null=True)
    parsed = pd.Series(fast.to_numpy(zero_copy_only=False), index=s.index).astype("datetime64[ns]")
    rest = (parsed.isna() & s.notna()).to_numpy()
    if not rest.any():
        return parsed, pd.Series(False, index=s.index)
    times, bad = _from_text_general(s[rest])
    parsed[rest] = times.to_numpy()
    out_bad = pd.Series(False, index=s.index)
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
    """Date-time texts → datetime64: ISO fast path, zoned texts to Shanghai time, then loose forms."""
    zoned = text.str.contains(r"(?:Z|[+-]\d\d:?\d\d)$", regex=True).to_numpy(dtype=bool)
    parsed = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
    if (~zoned).any():
        parsed[~zoned] = pd.to_datetime(text[~zoned], format="ISO8601", errors="coerce")
    if zoned.any():
        utc = pd.to_datetime(text[zoned], format="ISO8601", errors="coerce", utc=True)
        parsed[zoned] = utc.dt.tz_convert("Asia/Shanghai").dt.tz_localize(None)
    missed = parsed.isna().to_numpy()
    if missed.any():
        parsed[missed] = text[missed].map(_loose).astype("datetime64[ns]")
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
        numbers[filled.index] = filled.astype(float)
        times, bad = _from_serials(numbers)
        return times, bad
    if kind == "string":
        text = pd.Series(s.where(s.notna(), None), dtype="str")
        return _from_text(text)
    if kind in ("datetime", "datetime64"):
        times = pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns]")
        converted = pd.to_datetime(filled, errors="coerce")
        if getattr(converted.dt, "tz", None) is not None:
            converted = converted.dt.tz_convert("Asia/Shanghai").dt.tz_localize(None)
        times[filled.index] = converted.astype("datetime64[ns]")
        return times, pd.Series(False, index=s.index) | (times.isna() & s.index.isin(filled.index))
    return None


def _native(v):
    if isinstance(v, dt.datetime) and v.tzinfo is not None:
        return pd.Timestamp(v).tz_convert("Asia/Shanghai").tz_localize(None)
    if isinstance(v, dt.date) and not isinstance(v, dt.datetime):
        return pd.Timestamp(v.year, v.month, v.day)
    return v


def _numberish(v):
    if isinstance(v, bool):
        return None
    if isinstance(v, (int, float, np.integer, np.floating)):
        return v
    if isinstance(v, str) and re.fullmatch(r"\s*\d+(\.\d+)?\s*", v):
        return v
    return None


def _from_serials(numbers: pd.Series) -> tuple[pd.Series, pd.Series]:
    ok = numbers.between(SERIAL_MIN, SERIAL_MAX)
    secs = (numbers.where(ok) * 86400.0).round()
    times = EXCEL_EPOCH + pd.to_timedelta(secs, unit="s")
    return times.astype("datetime64[ns]"), numbers.notna() & ~ok


def _loose(text: str):
    """Slow path for the few texts the ISO parser rejects: 2023/9/28, 2023年9月28日 10:00…"""
    m = _CN.match(text)
    if not m:
        return pd.NaT
    y, mo, d, rest = m.groups()
    rest = rest.replace("时", ":").replace("点", ":").replace("分", ":").replace("秒", "").rstrip(":")
    try:
        base = pd.Timestamp(int(y), int(mo), int(d))
        if not rest:
            return base
        parts = [int(p) for p in rest.split(":")]
        if len(parts) > 3 or not (0 <= parts[0] < 24):
            return pd.NaT
        parts += [0] * (3 - len(parts))
        return base + pd.Timedelta(hours=parts[0], minutes=parts[1], seconds=parts[2])
    except (ValueError, TypeError):
        return pd.NaT


def iso(t) -> str | None:
    """ISO text of a timestamp (seconds precision), None for NaT."""
    if t is None or pd.isna(t):
        return None
    return pd.Timestamp(t).isoformat(timespec="seconds")
