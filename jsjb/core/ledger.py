"""A ledger in memory: the typed ticket frame and the other sheets, parsed from raw cells.

The reader (``jsjb.io.reader``) hands over raw sheets as DataFrames of cell values keyed by
header name; everything from there on — types, vocabularies, row numbers, validation — is
here, so the UDFs, macros and CLI all see the same ledger.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from . import schema as S
from .calendar import Override, WorkCalendar
from .errors import InvalidValue, LedgerError
from .params import Params
from .timeconv import is_blank, to_timestamps

ERROR, WARNING = "error", "warning"
ROW = "_row"     # the Excel row number of each ticket, carried as a column


@dataclass(frozen=True)
class Issue:
    """One validation finding: the Excel row, the column, the value and what is wrong."""

    row: int | None
    column: str
    value: object
    message: str
    level: str = ERROR
    sheet: str = S.SHEET_TICKETS

    def as_dict(self) -> dict:
        return {"sheet": self.sheet, "row": self.row, "column": self.column,
                "value": _jsonable(self.value), "message": self.message}

    def text(self) -> str:
        where = f"{self.sheet}第{self.row}行" if self.row else self.sheet
        return f"{where}【{self.column}】：{self.message}"


def _jsonable(v):
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return None
    if isinstance(v, (pd.Timestamp,)):
        return v.isoformat()
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating,)):
        return float(v)
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

    @property
    def enterprise_names(self) -> list[str]:
        return [str(x) for x in self.enterprises["企业名称"].tolist()]


# -- parsing ----------------------------------------------------------------------------------
def _text(col: pd.Series) -> pd.Series:
    """Cells → stripped text (None when blank); whole numbers lose a spurious '.0'."""
    if pd.api.types.is_string_dtype(col.dtype) and col.dtype != object:      # the reader's Arrow text
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


def parse_tickets(raw: pd.DataFrame, first_row: int = S.FIRST_DATA_ROW) -> tuple[pd.DataFrame, list[Issue]]:
    """Raw 工单台账 cells (columns named by header; missing columns allowed) → typed frame.

    Fully blank rows are skipped (they are not tickets); every other row is kept, with its
    Excel row number in column ``_row``. Unreadable cells become missing and are reported.
    """
    issues: list[Issue] = []
    raw = raw.reset_index(drop=True)
    rows = pd.Series(np.arange(len(raw)) + first_row, dtype=np.int64)
    present = [c for c in S.INPUT_NAMES if c in raw.columns]
    if present:
        blank_all = np.logical_and.reduce([is_blank(raw[c]).to_numpy() for c in present])
    else:
        blank_all = np.ones(len(raw), dtype=bool)
    keep = ~blank_all
    raw = raw[keep].reset_index(drop=True)
    rows = rows[keep].reset_index(drop=True)
    out = {}
    for col in S.INPUT_COLUMNS:
        if col.name not in raw.columns:             # an absent column is simply empty
            out[col.name] = _empty(col, len(raw))
            continue
        values = raw[col.name].reset_index(drop=True)
        if col.kind in (S.DATETIME, S.DATE):
            times, bad = to_timestamps(values)
            if col.kind == S.DATE:
                times = times.dt.normalize()
            out[col.name] = times
            for i in np.flatnonzero(bad.to_numpy()):
                issues.append(Issue(int(rows[i]), col.name, values.iloc[i],
                                    f"无法识别的日期时间“{values.iloc[i]}”，请填写如 2024-03-01 09:30 的日期时间"))
        elif col.kind == S.DAYS:
            blank = is_blank(values)
            nums = pd.to_numeric(values.astype(object).where(~blank), errors="coerce")
            bad = (~blank) & (nums.isna() | (nums < 1) | (nums != nums.round()))
            out[col.name] = nums.where(~bad).astype("float64")
            for i in np.flatnonzero(bad.to_numpy()):
                issues.append(Issue(int(rows[i]), col.name, values.iloc[i],
                                    f"“{values.iloc[i]}”不是有效的工作日数，应为不小于1的整数"))
        else:
            text = _text(values)
            if col.vocab:
                wrong = text.notna() & ~text.isin(col.vocab)
                for i in np.flatnonzero(wrong.to_numpy()):
                    issues.append(Issue(int(rows[i]), col.name, text.iloc[i],
                                        f"“{text.iloc[i]}”不在下拉选项中（可选：{'、'.join(col.vocab)}）"))
                text = text.where(~wrong, None)
            out[col.name] = text
    frame = pd.DataFrame(out)
    frame[ROW] = rows.to_numpy()
    return frame, issues


def parse_enterprises(raw: pd.DataFrame | None) -> tuple[pd.DataFrame, list[Issue]]:
    cols = S.ENTERPRISE_COLUMNS
    if raw is None or raw.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in cols}), []
    frame = pd.DataFrame({c: _text(raw[c]) if c in raw.columns else None for c in cols})
    frame["_row"] = np.arange(len(frame)) + 2
    frame = frame[frame["企业名称"].notna()].reset_index(drop=True)
    issues = []
    dup = frame["企业名称"].duplicated(keep="first")
    for _, r in frame[dup].iterrows():
        issues.append(Issue(int(r["_row"]), "企业名称", r["企业名称"], "企业名称重复", sheet=S.SHEET_ENTERPRISES))
    bad_mail = frame["邮箱"].notna() & ~frame["邮箱"].fillna("").str.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+")
    for _, r in frame[bad_mail].iterrows():
        issues.append(Issue(int(r["_row"]), "邮箱", r["邮箱"], "邮箱地址格式不正确", WARNING, S.SHEET_ENTERPRISES))
    return frame.drop(columns="_row"), issues


def parse_holidays(raw: pd.DataFrame | None) -> tuple[list[Override], list[Issue]]:
    if raw is None or raw.empty or "日期" not in raw.columns:
        return [], []
    days, bad = to_timestamps(raw["日期"])
    kinds = _text(raw["类型"]) if "类型" in raw.columns else pd.Series([None] * len(raw), dtype=object)
    notes = _text(raw["说明"]) if "说明" in raw.columns else pd.Series([None] * len(raw), dtype=object)
    out, issues = [], []
    for i in range(len(raw)):
        row = i + 2
        if pd.isna(days.iloc[i]) and kinds.iloc[i] is None and not bad.iloc[i]:
            continue
        if bad.iloc[i] or pd.isna(days.iloc[i]):
            issues.append(Issue(row, "日期", raw["日期"].iloc[i], "无法识别的日期", sheet=S.SHEET_HOLIDAYS))
            continue
        if kinds.iloc[i] not in ("休息日", "工作日"):
            issues.append(Issue(row, "类型", kinds.iloc[i], "类型应为“休息日”或“工作日”", sheet=S.SHEET_HOLIDAYS))
            continue
        out.append(Override(days.iloc[i].date(), kinds.iloc[i], notes.iloc[i] or ""))
    return out, issues


def parse_params(raw: pd.DataFrame | None) -> Params:
    """The 参数 sheet → Params (raises ParameterError naming the parameter)."""
    if raw is None or raw.empty or "参数" not in raw.columns:
        return Params()
    codes = _text(raw["参数"])
    values = raw["值"] if "值" in raw.columns else pd.Series([None] * len(raw))
    overrides = {}
    for code, value in zip(codes, values):
        if code is None or value is None or (isinstance(value, float) and np.isnan(value)) or str(value).strip() == "":
            continue
        overrides[code] = value
    return Params(overrides)


def parse_adjustments(raw: pd.DataFrame | None) -> tuple[pd.DataFrame, list[Issue]]:
    from .scoring import CODES  # codes live with the scoring rules

    empty = pd.DataFrame({"日期": pd.Series(dtype="datetime64[ns]"), "承办企业": pd.Series(dtype=object),
                          "代码": pd.Series(dtype=object), "次数": pd.Series(dtype="float64"),
                          "说明": pd.Series(dtype=object), "_row": pd.Series(dtype=np.int64)})
    if raw is None or raw.empty:
        return empty, []
    raw = raw.reset_index(drop=True)
    get = lambda c: raw[c] if c in raw.columns else pd.Series([None] * len(raw), dtype=object)  # noqa: E731
    days, bad_day = to_timestamps(get("日期"))
    frame = pd.DataFrame({"日期": days, "承办企业": _text(get("承办企业")), "代码": _text(get("代码")),
                          "次数": pd.to_numeric(get("次数"), errors="coerce"), "说明": _text(get("说明")),
                          "_row": np.arange(len(raw)) + 2})
    blank = frame[["日期", "承办企业", "代码"]].isna().all(axis=1) & frame["次数"].isna()
    issues = []
    for i in np.flatnonzero((~blank).to_numpy()):
        r = frame.iloc[i]
        row = int(r["_row"])
        if bad_day.iloc[i] or pd.isna(r["日期"]):
            issues.append(Issue(row, "日期", get("日期").iloc[i], "缺少或无法识别的日期", sheet=S.SHEET_ADJUSTMENTS))
        if r["承办企业"] is None:
            issues.append(Issue(row, "承办企业", None, "缺少承办企业", sheet=S.SHEET_ADJUSTMENTS))
        if r["代码"] not in CODES:
            issues.append(Issue(row, "代码", r["代码"], "代码应为 D1–D7 或 B1–B6（见“加减分”表说明）",
                                sheet=S.SHEET_ADJUSTMENTS))
        count = get("次数").iloc[i]
        if not (pd.isna(count) or str(count).strip() == "") and (pd.isna(r["次数"]) or r["次数"] < 0):
            issues.append(Issue(row, "次数", count, "次数应为非负数", sheet=S.SHEET_ADJUSTMENTS))
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
    get = lambda c: raw[c] if c in raw.columns else pd.Series([None] * len(raw), dtype=object)  # noqa: E731
    frame = pd.DataFrame({"年度": pd.to_numeric(get("年度"), errors="coerce"),
                          "承办企业": _text(get("承办企业")), "_row": np.arange(len(raw)) + 2})
    issues = []
    for item, maximum in MANUAL_ITEMS.items():
        vals = get(item)
        nums = pd.to_numeric(vals, errors="coerce")
        frame[item] = nums
        bad = (~is_blank(vals)) & (nums.isna() | (nums < 0) | (nums > maximum))
        for i in np.flatnonzero(bad.to_numpy()):
            issues.append(Issue(int(frame["_row"].iloc[i]), item, vals.iloc[i],
                                f"“{vals.iloc[i]}”超出范围：{item}应在0到{maximum:g}分之间",
                                sheet=S.SHEET_MANUAL))
    frame = frame[frame["承办企业"].notna() | frame["年度"].notna()].reset_index(drop=True)
    return frame, issues


def build(sheets: dict[str, pd.DataFrame | None], source: str = "") -> Ledger:
    """Raw sheets (name → DataFrame of cells by header) → Ledger.

    Raises LedgerError for what makes the whole ledger unusable (a bad 参数 value, a bad
    节假日 type); row-level problems are collected as issues.
    """
    if sheets.get(S.SHEET_TICKETS) is None:
        raise LedgerError(f"找不到“{S.SHEET_TICKETS}”工作表：请使用 jsjb template 生成的台账模板。")
    issues: list[Issue] = []
    raw = sheets[S.SHEET_TICKETS]
    missing = [c.name for c in S.INPUT_COLUMNS if c.required and c.name not in raw.columns]
    if missing:
        raise LedgerError(f"“{S.SHEET_TICKETS}”表第1行缺少必需的列：{'、'.join(missing)}。"
                          f"请核对表头文字（可参照 jsjb template 生成的模板）。")
    tickets, found = parse_tickets(raw)
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
    adjustments, found = parse_adjustments(sheets.get(S.SHEET_ADJUSTMENTS))
    issues += found
    manual, found = parse_manual(sheets.get(S.SHEET_MANUAL))
    issues += found
    return Ledger(tickets, params, calendar, enterprises, adjustments, manual, issues, source)
