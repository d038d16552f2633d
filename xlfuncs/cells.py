"""Turning UDF arguments into columns and results back into cells.

An argument arrives as a scalar (one cell), a 1-D list (classic xlwings, one column) or a
2-D list (Office.js / ``ndim=2``). Per-ticket arguments are flattened to one column and
broadcast against each other; the result is a column of the same length (a scalar when every
argument was a single cell). A bad cell becomes a short Chinese message in that result cell.
"""

from __future__ import annotations

import datetime as dt
import math
from functools import lru_cache

import numpy as np
import pandas as pd

from jsjb.core import clock
from jsjb.core.calendar import Override, WorkCalendar
from jsjb.core.errors import LedgerError
from jsjb.core.params import Params
from jsjb.core.timeconv import to_timestamps

ERROR_PREFIX = "#错误："


class ArgumentError(Exception):
    """A whole argument is unusable: every result cell shows the message."""


def cells(value) -> tuple[list, bool]:
    """An argument → (flat list of cell values, was it a range?)."""
    if isinstance(value, (list, tuple)):
        if value and isinstance(value[0], (list, tuple)):          # a 2-D range: rows of cells
            try:
                widths = set(map(len, value))                      # one C-level pass
            except TypeError:
                raise ArgumentError("应为单列区域") from None
            if widths == {1}:
                return [r[0] for r in value], True                 # (a one-character text row is itself)
            if len(value) == 1:
                return list(value[0]), True
            raise ArgumentError("应为单列区域")
        return list(value), True
    if isinstance(value, np.ndarray):
        return cells(value.tolist())
    if isinstance(value, pd.Series):
        return value.tolist(), True
    return [value], False


def table(value) -> list[list]:
    """A 2-D argument (e.g. the 节假日 or 参数 range) → list of rows."""
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        if value and not isinstance(value[0], (list, tuple)):
            return [list(value)]
        return [list(r) for r in value]
    return [[value]]


def broadcast(named: dict[str, object]) -> tuple[dict[str, list], int, bool]:
    """Flatten each argument and broadcast single cells to the common length."""
    cols, any_range = {}, False
    for label, value in named.items():
        cols[label], was_range = cells(value)
        any_range |= was_range and len(cols[label]) > 1
    n = max((len(v) for v in cols.values()), default=1)
    for label, col in cols.items():
        if len(col) == 1 and n > 1:
            cols[label] = col * n
        elif len(col) != n:
            raise ArgumentError(f"“{label}”的行数（{len(col)}）与其他参数（{n}）不一致")
    return cols, n, any_range


def is_blank(v) -> bool:
    return v is None or (isinstance(v, float) and np.isnan(v)) or (isinstance(v, str) and not v.strip())


def times(label: str, col: list, errors: list[str | None]) -> pd.Series:
    """Cells → timestamps; unreadable cells get an error message naming the argument."""
    ts, bad = to_timestamps(pd.Series(col, dtype=object))
    for i in np.flatnonzero(bad.to_numpy()):
        if errors[i] is None:
            errors[i] = f"{ERROR_PREFIX}{label}“{col[i]}”不是有效的日期时间"
    return ts


MAX_COUNT = 100_000   # working days: more than the 300 years of dates the program can represent


def integers(label: str, col: list, errors: list[str | None], *, blank=0) -> np.ndarray:
    out = np.zeros(len(col), dtype=np.int64)
    for i, v in enumerate(col):
        if is_blank(v):
            out[i] = blank
            continue
        try:
            f = float(v)
            if isinstance(v, bool) or not math.isfinite(f) or f != int(f):
                raise ValueError
        except (TypeError, ValueError, OverflowError):
            if errors[i] is None:
                errors[i] = f"{ERROR_PREFIX}{label}“{v}”不是整数"
            continue
        if abs(f) > MAX_COUNT:
            if errors[i] is None:
                errors[i] = f"{ERROR_PREFIX}{label}“{v}”超出范围（绝对值不超过{MAX_COUNT}）"
            continue
        out[i] = int(f)
    return out


def overrides(value) -> tuple[Override, ...]:
    """The optional 节假日 range (日期, 类型[, 说明]), read by the core's one parser of that
    range (the same rules as the 节假日 sheet); a header row and blank rows are skipped. The
    first unusable row makes the whole argument unusable (its message names row and value)."""
    from jsjb.core.ledger import holidays_from_range

    found, issues = holidays_from_range(table(value))
    if issues:
        first = issues[0]
        raise ArgumentError(f"节假日区域第{first.row}行【{first.column}】：{first.message}")
    return found


@lru_cache(maxsize=16)
def _calendar(key: tuple[Override, ...]) -> WorkCalendar:
    return WorkCalendar(key)


def calendar(value) -> WorkCalendar:
    return _calendar(overrides(value))


def params(value) -> Params:
    """The optional 参数 range (参数, 值[, …]), read by the core's one parser of that range
    (the same rules as the 参数 sheet); header and blank rows skipped."""
    from jsjb.core.ledger import params_from_range

    try:
        return params_from_range(table(value))
    except LedgerError as e:
        raise ArgumentError(str(e)) from None


def out_time(t) -> object:
    if t is None or pd.isna(t):
        return ""
    return pd.Timestamp(t).to_pydatetime()


def shape(values: list, any_range: bool):
    """Result column → what Excel receives: a scalar for single cells, else a spilled column."""
    if not any_range and len(values) == 1:
        return values[0]
    return [[v] for v in values]


def fail(message: str, n: int, any_range: bool):
    text = message if message.startswith(ERROR_PREFIX) else ERROR_PREFIX + message
    return shape([text] * max(n, 1), any_range)


def today() -> dt.datetime:
    """Now (R0), as Excel takes a date-time."""
    return clock.now().to_pydatetime()
