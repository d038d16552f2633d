"""Row validation of the ticket ledger: errors (the row cannot be computed or counted
correctly) and warnings (something a clerk should look at). Each finding names the Excel
row, the column and the value (R21: reported, never silently dropped)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import codes as C
from . import schema as S
from .calendar import NO_YEAR
from .ledger import ROW, Issue, Ledger, issue


def _fmt(v) -> object:
    if isinstance(v, pd.Timestamp):
        return v.strftime("%Y-%m-%d %H:%M") if (v.hour or v.minute) else v.strftime("%Y-%m-%d")
    return v


def _emit(out: list[Issue], t: pd.DataFrame, mask, column: str, code: str, **fields):
    """One issue of ``code`` per row where ``mask``; a callable field gets the cell's value."""
    mask = np.asarray(mask, dtype=bool)
    if not mask.any():
        return
    rows = t[ROW].to_numpy()[mask]
    values = t[column].to_numpy(dtype=object)[mask] if column in t.columns else [None] * len(rows)
    for row, value in zip(rows, values):
        value = None if value is None or pd.isna(value) else _fmt(value)
        extra = {k: (f(value) if callable(f) else f) for k, f in fields.items()}
        out.append(issue(code, int(row), column, value, **extra))


class _Blank(dict):
    """Column → its blank cells (a boolean array), each worked out when first asked for."""

    def __init__(self, t: pd.DataFrame):
        super().__init__()
        self.t = t

    def __missing__(self, column: str) -> np.ndarray:
        self[column] = self.t[column].isna().to_numpy()
        return self[column]


def validate(ledger: Ledger, computed: pd.DataFrame) -> list[Issue]:
    """All findings for the ledger: parse issues plus the row rules below, sorted by row."""
    t = ledger.tickets
    out: list[Issue] = list(ledger.issues)
    blank = _Blank(t)

    # required fields (a cell already reported as unreadable is not reported again as missing)
    unreadable = {(i.row, i.column) for i in ledger.issues if i.sheet == S.SHEET_TICKETS}
    rows = t[ROW].to_numpy()
    for col in S.INPUT_COLUMNS:
        if col.required:
            reported = np.isin(rows, [r for r, c in unreadable if c == col.name])
            _emit(out, t, blank[col.name] & ~reported, col.name, C.REQUIRED)
    legal = (t[S.LIMIT_TYPE] == "法定").to_numpy()
    legal_cell = np.isin(rows, [r for r, c in unreadable if c == S.LEGAL_DATE])
    _emit(out, t, legal & blank[S.LEGAL_DATE] & ~legal_cell, S.LEGAL_DATE, C.LEGAL_DATE_MISSING)
    _emit(out, t, ~legal & ~blank[S.LEGAL_DATE], S.LEGAL_DATE, C.LEGAL_DATE_UNUSED)
    # a statutory date before the dispatch: the ticket is overdue from the start — possible, but
    # most often a typo (年份); the deadline is computed as written
    _emit(out, t, legal & (t[S.LEGAL_DATE] < t[S.DISPATCHED].dt.normalize()).fillna(False).to_numpy(),
          S.LEGAL_DATE, C.LEGAL_BEFORE_DISPATCH)

    # duplicate ids
    ids = t[S.ID]
    dup = ids.notna() & ids.duplicated(keep=False)
    if dup.any():
        first_row = t[dup].groupby(S.ID)[ROW].min()
        later = dup & ids.duplicated(keep="first")
        _emit(out, t, later.to_numpy(), S.ID, C.DUPLICATE, first=lambda v: int(first_row[v]))

    # time order (办结时间 before 派单时间 is an error: the row is invalid and, downstream, gets
    # no archive number)
    def before(a: str, b: str, code=C.TIME_ORDER, **fields):
        _emit(out, t, (t[a] < t[b]).fillna(False).to_numpy(), a, code, other=b, **fields)

    before(S.FORWARDED, S.DISPATCHED)
    before(S.CONFIRMED, S.FORWARDED)
    before(S.RETURNED, S.DISPATCHED)
    before(S.CLOSED, S.DISPATCHED)
    before(S.HOLD_START, S.DISPATCHED)
    before(S.HOLD_END, S.HOLD_START)
    before(S.MATERIALS_AT, S.DISPATCHED)
    before(S.EXT1_AT, S.DISPATCHED)
    before(S.EXT2_AT, S.EXT1_AT)
    before(S.VISITED, S.CLOSED, C.TIME_ORDER_WARN, hint="回访应在办结之后")
    _emit(out, t, blank[S.HOLD_START] & ~blank[S.HOLD_END], S.HOLD_END, C.HOLD_END_ONLY)
    _emit(out, t, ~blank[S.HOLD_START] & blank[S.HOLD_END] & ~blank[S.CLOSED], S.HOLD_END, C.HOLD_STILL_OPEN)

    # extensions
    for at, days, k in ((S.EXT1_AT, S.EXT1_DAYS, 1), (S.EXT2_AT, S.EXT2_DAYS, 2)):
        _emit(out, t, ~blank[days] & blank[at], at, C.EXTENSION_INCOMPLETE,
              detail=f"填写了延期{k}工作日但缺少申请时间，无法核对是否提前申请")
        _emit(out, t, blank[days] & ~blank[at], days, C.EXTENSION_INCOMPLETE,
              detail=f"填写了延期{k}申请时间但缺少延期工作日，延期未计入")
    _emit(out, t, ~blank[S.EXT2_DAYS] & blank[S.EXT1_DAYS], S.EXT2_DAYS, C.EXTENSION_INCOMPLETE,
          detail="有第二次延期但没有第一次延期")

    # visits, enterprises
    _emit(out, t, ~blank[S.VISIT_RESULT] & blank[S.CLOSED], S.VISIT_RESULT, C.VISIT_NOT_CLOSED)
    returned = ~blank[S.RETURNED]
    _emit(out, t, blank[S.ENTERPRISE] & ~returned, S.ENTERPRISE, C.NO_ENTERPRISE)
    names = set(ledger.enterprise_names) | set(ledger.enterprises["简称"].dropna())
    if names:
        unknown = ~blank[S.ENTERPRISE] & ~t[S.ENTERPRISE].isin(names).to_numpy()
        _emit(out, t, unknown, S.ENTERPRISE, C.UNKNOWN_ENTERPRISE)

    # calendar coverage (R1)
    miss = computed["missing_year"].to_numpy()
    has = miss != NO_YEAR
    if has.any():
        years = miss[has]
        rows = t[ROW].to_numpy()[has]
        values = t[S.DISPATCHED].to_numpy(dtype=object)[has]
        for row, year, value in zip(rows, years, values):
            out.append(issue(C.HOLIDAY_YEAR, int(row), S.DISPATCHED,
                             _fmt(pd.Timestamp(value)) if not pd.isna(value) else None, year=int(year)))
    out.sort(key=lambda i: (i.sheet != S.SHEET_TICKETS, i.sheet, i.row or 0, S.INPUT_NAMES.index(i.column)
                            if i.column in S.INPUT_NAMES else 99))
    return out
