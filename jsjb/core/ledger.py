"""A ledger in memory: the typed ticket frame and the other sheets, parsed from raw cells.

The reader (``jsjb.io.reader``) hands over raw sheets as DataFrames of cell values keyed by
header name; everything from there on — types, vocabularies, row numbers, validation — is
here, so the UDFs, macros and CLI all see the same ledger.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from . import codes as C
from . import schema as S
from .addresses import parse_addresses
from .calendar import Override, WorkCalendar
from .enterprises import canonical, shared_short_names
from .errors import InvalidValue, LedgerError
from .headers import SHEET_ALIASES, Aliases, describe_how, map_headers, parse_aliases
from .howto import how
from .params import Params
from .timeconv import is_blank, problem, to_timestamps

ERROR, WARNING = "error", "warning"
ROW = "_row"     # the Excel row number of each ticket, carried as a column
MAX_DAYS = 365   # working days in one 延期 cell: more is a typo (the default limits are 15 and 30)
MAX_COUNT = 1000  # 次数 of one 加减分 row: more is a typo (the caps are 10 and 2 points)


@dataclass(frozen=True)
class Issue:
    """One validation finding: the Excel row, the column, the value and what is wrong.

    ``code`` is stable (``codes.py``): doors choose what to show by it, never by the message.
    A finding about a whole column (missing from the header) has row 1, the header row.
    """

    row: int | None
    column: str
    value: object
    message: str
    level: str = ERROR
    sheet: str = S.SHEET_TICKETS
    code: str = ""

    def as_dict(self) -> dict:
        return {"sheet": self.sheet, "row": self.row, "column": self.column,
                "value": _jsonable(self.value), "message": self.message, "code": self.code}

    def text(self) -> str:
        where = f"{self.sheet}第{self.row}行" if self.row else self.sheet
        return f"{where}【{self.column}】：{self.message}"


def issue(code: str, row: int | None, column: str, value: object, sheet: str = S.SHEET_TICKETS,
          level: str | None = None, **fields) -> Issue:
    """An Issue whose message is the code's default template (``codes.MESSAGES``)."""
    text = C.message(code, column=column, value=_show(value), **fields)
    return Issue(row, column, value, text, level or C.level_of(code), sheet, code)


def _show(v) -> str:
    if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NaT:
        return ""
    text = str(v)
    return text if len(text) <= 60 else text[:59] + "…"


def _jsonable(v):
    if v is None or v is pd.NaT or (isinstance(v, float) and np.isnan(v)):
        return None
    if isinstance(v, (pd.Timestamp,)):
        return v.isoformat()
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating,)):
        v = float(v)
    if isinstance(v, float) and not np.isfinite(v):
        return str(v)                                   # JSON has no inf
    return v if isinstance(v, (int, float, str, bool)) else str(v)


@dataclass
class Ledger:
    """Everything a job needs from one ledger workbook."""

    tickets: pd.DataFrame                    # typed; schema columns + ROW
    params: Params
    calendar: WorkCalendar
    enterprises: pd.DataFrame                # 企业名称, 简称, 联系人, 邮箱
    adjustments: pd.DataFrame                # 日期, 承办企业, 代码, 次数, 说明 (typed)
    manual: pd.DataFrame                     # 年度, 承办企业, four items (typed)
    issues: list[Issue] = field(default_factory=list)   # parse issues of every sheet
    source: str = ""
    window: Window | None = None             # None: every ticket; else a report's: only those of
                                             # :func:`in_window`, citizen text Arrow-backed (parse_tickets)
    header: tuple[str, ...] = ()             # 工单台账's header in sheet order, input columns by their
                                             # ledger names (intake lays the rows to paste out by it)
    aliases: Aliases = field(default_factory=Aliases)    # the 列名对照 sheet (core.headers)

    @property
    def enterprise_names(self) -> list[str]:
        return [str(x) for x in self.enterprises["企业名称"].tolist()]

    def sheet_issues(self) -> list[Issue]:
        """Findings about whole sheets or columns (a missing contract column: row 1), which
        every job should show before its result."""
        return [i for i in self.issues if i.row is None or i.row < S.FIRST_DATA_ROW]

    def within(self, window: Window | None) -> Ledger:
        """This ledger with only the tickets of :func:`in_window` (and their issues); itself for None."""
        if window is None:
            return self
        keep = in_window(self.tickets[S.DISPATCHED], window)
        tickets = self.tickets[keep].reset_index(drop=True)
        kept = set(tickets[ROW].tolist())
        issues = [i for i in self.issues if i.sheet != S.SHEET_TICKETS or i.row is None
                  or i.row < S.FIRST_DATA_ROW or i.row in kept]
        return replace(self, tickets=tickets, issues=issues, window=window)


# A report's tickets: [start, end) of 派单时间 (R11's periods; a bulletin takes its month and the one
# before, for the month-on-month figures).
Window = tuple[pd.Timestamp, pd.Timestamp]


def in_window(dispatched: pd.Series, window: Window) -> np.ndarray:
    """The tickets a report over ``window`` can need: dispatched in [start, end), or with no usable
    派单时间 (a report lists those as 数据有误). Every rule is a rule of one ticket, so a report over
    these tickets equals the report over all of them."""
    start, end = window
    return (dispatched.isna() | ((dispatched >= start) & (dispatched < end))).to_numpy(dtype=bool)


# -- parsing ----------------------------------------------------------------------------------
def _is_arrow_text(col: pd.Series) -> bool:
    """The reader's columns: Arrow-backed text — pandas' ``str`` dtype with pyarrow storage, or
    ``pd.ArrowDtype`` of an Arrow string type (the reader's 工单台账, converted without a copy)."""
    if isinstance(col.dtype, pd.ArrowDtype):
        import pyarrow as pa

        t = col.dtype.pyarrow_dtype
        return pa.types.is_string(t) or pa.types.is_large_string(t)
    return pd.api.types.is_string_dtype(col.dtype) and col.dtype != object and getattr(col.dtype, "storage", "") == "pyarrow"


def _arrow_clean(col: pd.Series):
    """An Arrow-backed text column → its Arrow array, white space stripped, blank cells null.
    Done by Arrow compute in one pass per column (measured: 3 ms for 100,000 cells of 诉求内容,
    against 13 ms for pandas' ``str.strip`` and ``where``)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = pc.utf8_trim_whitespace(pa.array(col.array))
    return pc.if_else(pc.equal(arr, ""), pa.scalar(None, arr.type), arr)


CITIZEN_TEXT = frozenset(S.FREE_TEXT_COLUMNS + S.PERSONAL_COLUMNS)   # 诉求内容, 备注, 来话人, 联系电话, 地址
THREADED_CLEAN_ROWS = 50_000    # from this many rows on, two threads clean the text and parse the date columns


def _cleaned(raw: pd.DataFrame, columns: list[str]) -> dict:
    """:func:`_arrow_clean` of each column. Arrow's kernels run without the GIL, so on a big ledger
    two threads share the columns (measured on 1,000,000 rows × 30 columns: 1.5 s → 0.8 s)."""
    if len(raw) < THREADED_CLEAN_ROWS or len(columns) < 2:
        return {c: _arrow_clean(raw[c]) for c in columns}
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(2) as pool:
        return dict(zip(columns, pool.map(lambda c: _arrow_clean(raw[c]), columns)))


def _arrow_text(arr) -> pd.Series:
    """A cleaned Arrow text array as pandas' Arrow-backed str (NaN where blank), no Python objects."""
    return pd.Series(pd.StringDtype("pyarrow", na_value=float("nan")).__from_arrow__(arr))


def _objects(arr, index=None, *, few: bool = False) -> pd.Series:
    """A cleaned Arrow text array → text as Python objects, None where blank (what the rules,
    the validation and the doors work with). ``few``: a column of few distinct values (a
    vocabulary, the enterprises) makes one Python string per distinct value and shares it
    (measured on 100,000 cells: 2–3 ms against 5–10 ms)."""
    if not few:
        return pd.Series(arr.to_numpy(zero_copy_only=False), index=index, dtype=object)
    import pyarrow.compute as pc

    encoded = pc.dictionary_encode(arr).combine_chunks() if hasattr(arr, "chunks") else pc.dictionary_encode(arr)
    values = np.append(encoded.dictionary.to_numpy(zero_copy_only=False).astype(object), None)
    codes = encoded.indices.fill_null(len(values) - 1).to_numpy(zero_copy_only=False)
    return pd.Series(values[codes], index=index, dtype=object)


def _text(col: pd.Series) -> pd.Series:
    """Cells → stripped text (None when blank); whole numbers lose a spurious '.0'."""
    if _is_arrow_text(col):                                                   # the reader's Arrow text
        return _objects(_arrow_clean(col), col.index)
    if pd.api.types.is_string_dtype(col.dtype) and col.dtype != object:      # other text dtypes
        text = col.str.strip()
        text = text.where(text != "")
        return text.astype(object).where(text.notna(), None)

    if pd.api.types.infer_dtype(col, skipna=True) in ("string", "empty"):       # all text: vectorised
        text = pd.Series(col.where(col.notna(), None), dtype="str").str.strip()
        text = text.where(text != "")
        return text.astype(object).where(text.notna(), None)

    def one(v):
        if v is None or (isinstance(v, float) and np.isnan(v)):
            return None
        if isinstance(v, float) and v.is_integer():
            v = int(v)
        text = str(v).strip()
        return text or None
    out = col.map(one).astype(object)
    return out.where(out.notna(), None)         # pandas may infer str and turn None into NaN


def _empty(col: S.Column, n: int) -> pd.Series:
    if col.kind in (S.DATETIME, S.DATE):
        return pd.Series(pd.NaT, index=range(n), dtype="datetime64[ns]")
    if col.kind == S.DAYS:
        return pd.Series(np.nan, index=range(n), dtype="float64")
    return pd.Series([None] * n, dtype=object)


def parse_tickets(raw: pd.DataFrame, first_row: int = S.FIRST_DATA_ROW, *,
                  window: Window | None = None, keep: np.ndarray | None = None) -> tuple[pd.DataFrame, list[Issue]]:
    """Raw 工单台账 cells (columns named by header; missing columns allowed) → typed frame.

    Fully blank rows are skipped (they are not tickets); every other row is kept, with its
    Excel row number in column ``_row``. Unreadable cells become missing and are reported.
    ``window``: only the tickets of :func:`in_window` are parsed (派单时间 first, then every column
    of those rows) — a month's report needs a fraction of a year's ledger; and the citizen's text
    (:data:`CITIZEN_TEXT`), which a report only masks into its lists, stays Arrow-backed text (NaN
    where blank) instead of becoming Python objects (1,000,000 rows: 0.45 s).
    ``keep``: a mask of the rows to parse at all (intake: the tickets an export can concern); the
    others are left out before anything is parsed, the kept ones keep their Excel row numbers.
    """
    issues: list[Issue] = []
    raw = raw.reset_index(drop=True)
    rows = pd.Series(np.arange(len(raw)) + first_row, dtype=np.int64)
    if keep is not None and not keep.all():
        raw = raw[keep].reset_index(drop=True)
        rows = rows[keep].reset_index(drop=True)
    if window is not None and S.DISPATCHED in raw.columns:
        # 派单时间 first, then every column of the rows kept (a blank row has no 派单时间 and is kept
        # here, to be skipped below like any blank row)
        col = raw[S.DISPATCHED]
        times, _ = _parse_column(_COLUMN[S.DISPATCHED], raw, {S.DISPATCHED: _arrow_clean(col)} if _is_arrow_text(col)
                                 else {}, rows)
        keep = in_window(times, window)
        if not keep.all():
            raw = raw[keep].reset_index(drop=True)
            rows = rows[keep].reset_index(drop=True)
    present = [c for c in S.INPUT_NAMES if c in raw.columns]
    cleaned = _cleaned(raw, [c for c in present if _is_arrow_text(raw[c])])       # the reader's text
    if present:
        blank_all = np.logical_and.reduce([cleaned[c].is_null().to_numpy(zero_copy_only=False) if c in cleaned
                                           else is_blank(raw[c]).to_numpy() for c in present])
    else:
        blank_all = np.ones(len(raw), dtype=bool)
    keep = ~blank_all
    if not keep.all():                       # copy the columns only when there are blank rows to skip
        raw = raw[keep].reset_index(drop=True)
        rows = rows[keep].reset_index(drop=True)
        cleaned = {c: arr.filter(keep) for c, arr in cleaned.items()}
    out = {}
    stamped = _timestamps(raw)
    citizen_text = CITIZEN_TEXT if window is not None else frozenset()
    for col in S.INPUT_COLUMNS:
        out[col.name], found = _parse_column(col, raw, cleaned, rows, stamped.get(col.name), citizen_text)
        issues += found
    out[ROW] = pd.Series(rows.to_numpy())
    return pd.DataFrame(out, copy=False), issues          # the columns as they are: no consolidating copy


_COLUMN = {c.name: c for c in S.INPUT_COLUMNS}


def _timestamps(raw: pd.DataFrame) -> dict[str, tuple[pd.Series, pd.Series]]:
    """On a big ledger, :func:`to_timestamps` of the date columns in two threads (Arrow parses
    without the GIL; 1,000,000 rows × 13 columns: 0.62 s → 0.45 s); else nothing (parsed in turn)."""
    dates = [c.name for c in S.INPUT_COLUMNS if c.kind in (S.DATETIME, S.DATE) and c.name in raw.columns]
    if len(raw) < THREADED_CLEAN_ROWS or len(dates) < 2:
        return {}
    from concurrent.futures import ThreadPoolExecutor

    columns = [raw[name].reset_index(drop=True) for name in dates]
    with ThreadPoolExecutor(2) as pool:
        return dict(zip(dates, pool.map(to_timestamps, columns)))


def _parse_column(col: S.Column, raw: pd.DataFrame, cleaned: dict, rows: pd.Series,
                  stamped: tuple[pd.Series, pd.Series] | None = None,
                  citizen_text: frozenset = frozenset()) -> tuple[pd.Series, list[Issue]]:
    """One input column's cells → its typed values and the issues of its unusable cells
    (``stamped``: a date column's :func:`to_timestamps`, when already done; ``citizen_text``:
    columns kept as Arrow-backed text, see :func:`parse_tickets`)."""
    issues: list[Issue] = []
    if col.name not in raw.columns:             # an absent column is simply empty
        return _empty(col, len(raw)), issues
    values = raw[col.name].reset_index(drop=True)
    if col.kind in (S.DATETIME, S.DATE):
        times, bad = stamped if stamped is not None else to_timestamps(values)
        if col.kind == S.DATE:
            times = times.dt.normalize()
        for i in np.flatnonzero(bad.to_numpy()):
            issues.append(issue(problem(values.iloc[i]), int(rows[i]), col.name, values.iloc[i]))
        return times, issues
    if col.kind == S.DAYS:
        nums, bad = _numbers(values, minimum=1, maximum=MAX_DAYS, whole=True)
        for i in np.flatnonzero(bad.to_numpy()):
            issues.append(issue(C.DAYS, int(rows[i]), col.name, values.iloc[i], maximum=MAX_DAYS))
        return nums.where(~bad).astype("float64"), issues
    if col.name in cleaned and col.name in citizen_text:    # a report's ledger: shown only masked, in lists
        return _arrow_text(cleaned[col.name]), issues
    few = bool(col.vocab) or col.name == S.ENTERPRISE
    text = _objects(cleaned[col.name], few=few) if col.name in cleaned else _text(values)
    if col.vocab:
        wrong = (_outside_vocab(cleaned[col.name], col.vocab) if col.name in cleaned
                 else text.notna() & ~text.isin(col.vocab))
        for i in np.flatnonzero(wrong.to_numpy()):
            issues.append(issue(C.VOCAB, int(rows[i]), col.name, text.iloc[i], choices="、".join(col.vocab)))
        text = text.where(~wrong, None)
    return text, issues


def _outside_vocab(arr, vocab: tuple[str, ...]) -> pd.Series:
    """Filled cells of a cleaned Arrow text column that are not in ``vocab`` (Arrow's hash lookup)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    inside = pc.is_in(arr, value_set=pa.array(vocab, type=arr.type))
    return pd.Series(pc.and_(pc.is_valid(arr), pc.invert(inside)).to_numpy(zero_copy_only=False))


def _numbers(values: pd.Series, *, minimum: float, maximum: float, whole: bool = False
             ) -> tuple[pd.Series, pd.Series]:
    """Cells → float64 and the mask of non-blank cells that are not a finite number in
    [minimum, maximum] (and whole, if asked). Huge, negative, NaN/inf text are all bad."""
    values = values.reset_index(drop=True)
    blank = is_blank(values)
    nums = pd.Series(np.nan, index=values.index, dtype="float64")
    filled = ~blank.to_numpy()
    if filled.any():             # per cell, but only the filled ones (延期 cells are mostly blank)
        cells = values[filled].astype(object)
        nums[filled] = pd.to_numeric(cells.map(_plain_number), errors="coerce").astype("float64").to_numpy()
    with np.errstate(invalid="ignore"):
        bad = (~blank) & ~(np.isfinite(nums) & (nums >= minimum) & (nums <= maximum))
        if whole:
            bad |= (~blank) & (nums != nums.round())
    return nums, bad.fillna(True).astype(bool) & ~blank


def _plain_number(v):
    """A cell as a number pandas can coerce (bools and text like 'nan'/'inf' are not numbers)."""
    if v is None or isinstance(v, bool):
        return None
    if isinstance(v, (int, np.integer)):
        return float(v) if abs(v) < 1e300 else float("inf")
    if isinstance(v, (float, np.floating)):
        return v
    text = str(v).strip()
    try:
        f = float(text)
    except (ValueError, OverflowError):
        return None
    return f if text.lower().lstrip("+-") not in ("nan", "inf", "infinity") else None


def parse_enterprises(raw: pd.DataFrame | None) -> tuple[pd.DataFrame, list[Issue]]:
    cols = S.ENTERPRISE_COLUMNS
    if raw is None or raw.empty or "企业名称" not in raw.columns:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in cols}), []
    raw = raw.reset_index(drop=True)
    frame = pd.DataFrame({c: _text(raw[c]) if c in raw.columns else pd.Series([None] * len(raw), dtype=object)
                          for c in cols})
    frame["_row"] = np.arange(len(frame)) + 2
    frame = frame[frame["企业名称"].notna()].reset_index(drop=True)
    issues = []
    first = frame.groupby("企业名称")["_row"].min()
    dup = frame["企业名称"].duplicated(keep="first")
    for _, r in frame[dup].iterrows():
        issues.append(issue(C.DUPLICATE, int(r["_row"]), "企业名称", r["企业名称"], S.SHEET_ENTERPRISES,
                            first=int(first[r["企业名称"]])))
    for row, cell in zip(frame["_row"], frame["邮箱"]):
        if cell is None:
            continue
        _, invalid, refused = parse_addresses(cell)
        if refused or invalid:
            issues.append(issue(C.EMAIL, int(row), "邮箱", cell, S.SHEET_ENTERPRISES,
                                detail=refused or f"无效的地址：{'、'.join(invalid)}"))
    # R22: the 简称 names an enterprise's files and mail; two enterprises must not share one
    shared = shared_short_names(frame)
    for row, name in zip(frame["_row"], frame["企业名称"]):
        if name in shared:
            short, others = shared[name]
            issues.append(issue(C.DUPLICATE_SHORT, int(row), "简称", short, S.SHEET_ENTERPRISES,
                                name=name, other=others))
    return frame.drop(columns="_row"), issues


def _column(raw: pd.DataFrame, name: str) -> pd.Series:
    return raw[name] if name in raw.columns else pd.Series([None] * len(raw), dtype=object)


def parse_holidays(raw: pd.DataFrame | None, first_row: int = 2) -> tuple[list[Override], list[Issue]]:
    """The 节假日 sheet (日期, 类型, 说明) → overrides, and issues for the rows that cannot be
    used (those rows are left out; the rest apply). Blank rows are skipped. The one parser of
    this range: the UDFs' 节假日 argument goes through :func:`holidays_from_range`."""
    if raw is None or raw.empty or "日期" not in raw.columns:
        return [], []
    raw = raw.reset_index(drop=True)
    cells = _column(raw, "日期")
    days, bad = to_timestamps(cells)
    kinds = _text(_column(raw, "类型"))
    notes = _text(_column(raw, "说明"))
    out, issues = [], []
    for i in range(len(raw)):
        row = i + first_row
        if pd.isna(days.iloc[i]) and kinds.iloc[i] is None and not bad.iloc[i]:
            continue
        if bad.iloc[i]:
            issues.append(issue(problem(cells.iloc[i]), row, "日期", cells.iloc[i], S.SHEET_HOLIDAYS))
            continue
        if pd.isna(days.iloc[i]):
            issues.append(issue(C.REQUIRED, row, "日期", None, S.SHEET_HOLIDAYS))
            continue
        if kinds.iloc[i] not in S.HOLIDAY_KINDS:
            issues.append(issue(C.VOCAB, row, "类型", kinds.iloc[i], S.SHEET_HOLIDAYS,
                                choices="、".join(S.HOLIDAY_KINDS)))
            continue
        out.append(Override(days.iloc[i].date(), kinds.iloc[i], notes.iloc[i] or ""))
    return out, issues


def parse_params(raw: pd.DataFrame | None) -> Params:
    """The 参数 sheet (参数, 值) → Params (raises ParameterError naming the parameter). A row
    without a code or a value keeps the default. The one parser of this range: the UDFs'
    参数 argument goes through :func:`params_from_range`."""
    if raw is None or raw.empty or "参数" not in raw.columns:
        return Params()
    codes = _text(raw["参数"])
    values = _column(raw, "值")
    overrides = {}
    for code, value in zip(codes, values):
        if code is None or value is None or (isinstance(value, float) and np.isnan(value)) or str(value).strip() == "":
            continue
        overrides[code] = value
    return Params(overrides)


def _range_frame(rows, columns: tuple[str, ...]) -> tuple[pd.DataFrame, int]:
    """A worksheet range as rows of cells → a frame with ``columns`` (extra cells ignored,
    short rows padded) and the range row number of its first data row: a header row (its
    first cell is the first column's name) is skipped wherever it is."""
    if rows is None:
        rows = []
    elif not isinstance(rows, (list, tuple)):
        rows = [[rows]]
    elif rows and not isinstance(rows[0], (list, tuple)):
        rows = [rows]
    width = len(columns)
    data = [(list(r) + [None] * width)[:width] for r in rows
            if not (len(r) and isinstance(r[0], str) and r[0].strip() == columns[0])]
    first = 1 if not (rows and len(rows[0]) and isinstance(rows[0][0], str)
                      and rows[0][0].strip() == columns[0]) else 2
    return pd.DataFrame(data, columns=list(columns), dtype=object), first


def holidays_from_range(rows) -> tuple[tuple[Override, ...], list[Issue]]:
    """The 节假日 range of a UDF argument (rows of 日期, 类型[, 说明]) → overrides and issues,
    by the same rules as the 节假日 sheet; ``Issue.row`` counts from the range's first row."""
    frame, first = _range_frame(rows, S.HOLIDAY_COLUMNS)
    found, issues = parse_holidays(frame, first_row=first)
    return tuple(found), issues


def params_from_range(rows) -> Params:
    """The 参数 range of a UDF argument (rows of 参数, 值[, …]) → Params, by the same rules as
    the 参数 sheet (raises ParameterError naming the parameter)."""
    frame, _ = _range_frame(rows, S.PARAM_COLUMNS[:2])
    return parse_params(frame)


def parse_adjustments(raw: pd.DataFrame | None) -> tuple[pd.DataFrame, list[Issue]]:
    from .scoring import CODES  # codes live with the scoring rules

    empty = pd.DataFrame({"日期": pd.Series(dtype="datetime64[ns]"), "承办企业": pd.Series(dtype=object),
                          "代码": pd.Series(dtype=object), "次数": pd.Series(dtype="float64"),
                          "说明": pd.Series(dtype=object), "_row": pd.Series(dtype=np.int64)})
    if raw is None or raw.empty:
        return empty, []
    raw = raw.reset_index(drop=True)
    day_cells, count_cells = _column(raw, "日期"), _column(raw, "次数")
    days, bad_day = to_timestamps(day_cells)
    counts, bad_count = _numbers(count_cells, minimum=0, maximum=MAX_COUNT)
    frame = pd.DataFrame({"日期": days, "承办企业": _text(_column(raw, "承办企业")), "代码": _text(_column(raw, "代码")),
                          "次数": counts.where(~bad_count), "说明": _text(_column(raw, "说明")),
                          "_row": np.arange(len(raw)) + 2})
    blank = (frame[["日期", "承办企业", "代码"]].isna().all(axis=1) & is_blank(count_cells).to_numpy()
             & ~bad_day.to_numpy())
    issues = []
    where = dict(sheet=S.SHEET_ADJUSTMENTS)
    for i in np.flatnonzero((~blank).to_numpy()):
        r = frame.iloc[i]
        row = int(r["_row"])
        if bad_day.iloc[i]:
            issues.append(issue(problem(day_cells.iloc[i]), row, "日期", day_cells.iloc[i], **where))
        elif pd.isna(r["日期"]):
            issues.append(issue(C.REQUIRED, row, "日期", None, **where))
        if r["承办企业"] is None:
            issues.append(issue(C.REQUIRED, row, "承办企业", None, **where))
        if r["代码"] not in CODES:
            issues.append(issue(C.VOCAB, row, "代码", r["代码"], choices="D1–D7、B1–B6（见“加减分”表说明）", **where))
        if bad_count.iloc[i]:
            issues.append(issue(C.NUMBER, row, "次数", count_cells.iloc[i], expected=f"0到{MAX_COUNT}之间的数", **where))
    frame["次数"] = frame["次数"].fillna(1.0)
    bad_rows = {i.row for i in issues}
    frame = frame[~blank & ~frame["_row"].isin(bad_rows)].reset_index(drop=True)
    return frame, issues


def parse_manual(raw: pd.DataFrame | None) -> tuple[pd.DataFrame, list[Issue]]:
    from .scoring import MANUAL_ITEMS

    cols = list(S.MANUAL_COLUMNS)
    if raw is None or raw.empty:
        frame = pd.DataFrame({c: pd.Series(dtype=object) for c in cols})
        frame["_row"] = pd.Series(dtype=np.int64)
        return frame, []
    raw = raw.reset_index(drop=True)
    years, bad_year = _numbers(_column(raw, "年度"), minimum=C.YEAR_MIN, maximum=C.YEAR_MAX, whole=True)
    frame = pd.DataFrame({"年度": years.where(~bad_year), "承办企业": _text(_column(raw, "承办企业")),
                          "_row": np.arange(len(raw)) + 2})
    issues = []
    where = dict(sheet=S.SHEET_MANUAL)
    for i in np.flatnonzero(bad_year.to_numpy()):
        issues.append(issue(C.NUMBER, int(frame["_row"].iloc[i]), "年度", _column(raw, "年度").iloc[i],
                            expected=f"{C.YEAR_MIN}到{C.YEAR_MAX}之间的年份", **where))
    for item, maximum in MANUAL_ITEMS.items():
        vals = _column(raw, item)
        nums, bad = _numbers(vals, minimum=0, maximum=maximum)
        frame[item] = nums.where(~bad)
        for i in np.flatnonzero(bad.to_numpy()):
            issues.append(issue(C.NUMBER, int(frame["_row"].iloc[i]), item, vals.iloc[i],
                                expected=f"0到{maximum:g}分之间的数（超出范围）", **where))
    frame = frame[frame["承办企业"].notna() | frame["年度"].notna()].reset_index(drop=True)
    return frame, issues


def missing_columns(sheets: dict[str, pd.DataFrame | None]) -> list[Issue]:
    """Contract columns absent from a sheet's header (R21: reported, never silently empty):
    工单台账 by the table ``schema.MISSING_COLUMN``; the other sheets, where present and not
    empty, by ``schema.SHEET_REQUIRED``. Each finding is on row 1, the header row."""
    out = []
    raw = sheets.get(S.SHEET_TICKETS)
    if raw is not None:
        for name, (level, needed) in S.MISSING_COLUMN.items():
            if name not in raw.columns:
                code = C.COLUMN_MISSING if level == ERROR else C.COLUMN_MISSING_WARN
                out.append(issue(code, 1, name, None, needed=needed))
    for sheet, required in S.SHEET_REQUIRED.items():
        raw = sheets.get(sheet)
        if raw is None or len(raw.columns) == 0:
            continue
        for name in required:
            if name not in raw.columns:
                out.append(issue(C.COLUMN_MISSING, 1, name, None, sheet, needed=f"“{sheet}”表的各行"))
    return out


def build(sheets: dict[str, pd.DataFrame | None], source: str = "", *, window: Window | None = None,
          keep: np.ndarray | None = None) -> Ledger:
    """Raw sheets (name → DataFrame of cells by header) → Ledger (``window``: only the tickets a
    report over it needs, :func:`in_window`; ``keep``: only the rows of this mask, :func:`parse_tickets`).

    Raises LedgerError for what makes the whole ledger unusable (no 工单台账, a required column
    missing, a bad 参数 value); row-level problems and missing contract columns are collected
    as issues, and the rows that have them are left out of what they would falsify.
    """
    if sheets.get(S.SHEET_TICKETS) is None:
        raise LedgerError(f"找不到“{S.SHEET_TICKETS}”工作表：请使用本工具的台账模板（{how('template')}）。")
    raw = sheets[S.SHEET_TICKETS]
    aliases, alias_issues = _aliases(sheets.get(SHEET_ALIASES))
    raw, header, renamed = _mapped(raw, aliases, source)
    missing = [c.name for c in S.INPUT_COLUMNS if c.required and c.name not in raw.columns]
    if missing:
        raise LedgerError(f"“{S.SHEET_TICKETS}”表第1行缺少必需的列：{'、'.join(missing)}。"
                          f"请核对表头文字（可参照本工具的台账模板：{how('template')}）。")
    issues: list[Issue] = missing_columns({**sheets, S.SHEET_TICKETS: raw}) + alias_issues + [
        issue(C.COLUMN_RENAMED, 1, column, name, how=rule) for name, (column, rule) in renamed.items()]
    tickets, found = parse_tickets(raw, window=window, keep=keep)
    issues += found
    params = parse_params(sheets.get(S.SHEET_PARAMS))
    overrides, found = parse_holidays(sheets.get(S.SHEET_HOLIDAYS))
    issues += found
    try:
        calendar = WorkCalendar(overrides)
    except InvalidValue as e:   # pragma: no cover - parse_holidays already checks the kinds
        raise LedgerError(str(e)) from e
    enterprises, found = parse_enterprises(sheets.get(S.SHEET_ENTERPRISES))
    issues += found
    tickets[S.ENTERPRISE] = canonical(tickets[S.ENTERPRISE], enterprises)     # full names from here on
    adjustments, found = parse_adjustments(sheets.get(S.SHEET_ADJUSTMENTS))
    issues += found
    manual, found = parse_manual(sheets.get(S.SHEET_MANUAL))
    issues += found
    return Ledger(tickets, params, calendar, enterprises, adjustments, manual, issues, source, window, header, aliases)


def aliases_of(sheets: dict[str, pd.DataFrame | None]) -> Aliases:
    """The ledger's 列名对照 sheet as read (rows it cannot use are in ``problems``)."""
    return _aliases(sheets.get(SHEET_ALIASES))[0]


def _aliases(raw: pd.DataFrame | None) -> tuple[Aliases, list[Issue]]:
    """The 列名对照 sheet (系统列名, 台账列名) → Aliases, and an issue per row it cannot use."""
    if raw is None or raw.empty or not {"系统列名", "台账列名"} <= set(raw.columns):
        return Aliases(), []
    aliases = parse_aliases(zip(raw["系统列名"].tolist(), raw["台账列名"].tolist()))
    return aliases, [Issue(row, "台账列名", None, text, ERROR, SHEET_ALIASES, C.ALIAS) for row, text in aliases.problems]


def _mapped(raw: pd.DataFrame, aliases: Aliases, source: str) -> tuple[pd.DataFrame, tuple[str, ...], dict]:
    """工单台账 with its header mapped onto the ledger's columns (``core.headers``, ledger rules) —
    the reader has done it already (``raw.attrs``); a frame from elsewhere (a button's book) is mapped
    here. Returns the frame, the sheet's header as mapped, and {header: (column, how)} of the headers
    read under another name."""
    if "header" in raw.attrs:
        renamed = {h: (c, describe_how(how)) for h, (c, how) in raw.attrs.get("renamed", {}).items()}
        header = tuple(raw.attrs["header"])
        raw = raw.copy(deep=False)
        raw.attrs = {}                  # pandas copies attrs on every operation: read once, then dropped
        return raw, header, renamed
    columns = [str(c) for c in raw.columns]
    if all(c in S.COLUMNS or c == ROW for c in columns):
        return raw, tuple(columns), {}
    hmap = map_headers(columns, aliases, ledger=True, where=f"{source or '台账'}的“{S.SHEET_TICKETS}”表第1行")
    keep = sorted(hmap.columns)
    out = raw.iloc[:, keep].copy()
    out.columns = [hmap.columns[i] for i in keep]
    renamed = {hmap.headers[i]: (c, describe_how(hmap.how[i])) for i, c in hmap.columns.items() if hmap.how[i] != "own"}
    return out, tuple(hmap.columns.get(i, h) for i, h in enumerate(hmap.headers)), renamed
