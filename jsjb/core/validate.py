"""Row validation of the ticket ledger: errors (the row cannot be computed or counted
correctly) and warnings (something a clerk should look at). Each finding names the Excel
row, the column and the value (R21: reported, never silently dropped)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import schema as S
from .calendar import NO_YEAR
from .ledger import ERROR, ROW, WARNING, Issue, Ledger


def _fmt(v) -> object:
    if isinstance(v, pd.Timestamp):
        return v.strftime("%Y-%m-%d %H:%M") if (v.hour or v.minute) else v.strftime("%Y-%m-%d")
    return v


def _emit(out: list[Issue], t: pd.DataFrame, mask, column: str, message, level=ERROR):
    mask = np.asarray(mask, dtype=bool)
    if not mask.any():
        return
    rows = t[ROW].to_numpy()[mask]
    values = t[column].to_numpy(dtype=object)[mask] if column in t.columns else [None] * len(rows)
    for row, value in zip(rows, values):
        value = _fmt(value) if not (value is None or (isinstance(value, float) and np.isnan(value))) else None
        text = message(value) if callable(message) else message
        out.append(Issue(int(row), column, value, text, level))


def canonical_enterprises(t: pd.DataFrame, enterprises: pd.DataFrame) -> pd.Series:
    """承办企业 as written (full name or 简称) → full name; unknown names stay as written."""
    alias = {}
    for name, short in zip(enterprises["企业名称"], enterprises["简称"]):
        alias[name] = name
        if short:
            alias.setdefault(short, name)
    col = t[S.ENTERPRISE]
    return col.map(lambda v: alias.get(v, v) if v is not None else None).astype(object)


def validate(ledger: Ledger, computed: pd.DataFrame) -> list[Issue]:
    """All findings for the ledger: parse issues plus the row rules below, sorted by row."""
    t = ledger.tickets
    out: list[Issue] = list(ledger.issues)
    blank = {c: t[c].isna().to_numpy() for c in S.INPUT_NAMES}

    # required fields (a cell already reported as unreadable is not reported again as missing)
    unreadable = {(i.row, i.column) for i in ledger.issues if i.sheet == S.SHEET_TICKETS}
    rows = t[ROW].to_numpy()
    for col in S.INPUT_COLUMNS:
        if col.required:
            reported = np.isin(rows, [r for r, c in unreadable if c == col.name])
            _emit(out, t, blank[col.name] & ~reported, col.name, f"缺少{col.name}（必填）")
    legal = (t[S.LIMIT_TYPE] == "法定").to_numpy()
    _emit(out, t, legal & blank[S.LEGAL_DATE], S.LEGAL_DATE, "时限类型为“法定”时须填写法定期限")
    _emit(out, t, ~legal & ~blank[S.LEGAL_DATE], S.LEGAL_DATE,
          "已填写法定期限，但时限类型不是“法定”，法定期限未被采用", WARNING)

    # duplicate ids
    ids = t[S.ID]
    dup = ids.notna() & ids.duplicated(keep=False)
    if dup.any():
        first_row = t[dup].groupby(S.ID)[ROW].min()
        later = dup & ids.duplicated(keep="first")
        _emit(out, t, later.to_numpy(), S.ID,
              lambda v: f"工单编号“{v}”重复（首次出现在第{int(first_row[v])}行）")

    # time order
    def before(a: str, b: str, text: str, level=ERROR):
        _emit(out, t, (t[a] < t[b]).fillna(False).to_numpy(), a,
              lambda v: f"{a}（{v}）早于{b}：{text}", level)

    before(S.FORWARDED, S.DISPATCHED, "请核对时间")
    before(S.CONFIRMED, S.FORWARDED, "请核对时间")
    before(S.RETURNED, S.DISPATCHED, "请核对时间")
    before(S.CLOSED, S.DISPATCHED, "请核对时间")
    before(S.HOLD_START, S.DISPATCHED, "请核对时间")
    before(S.HOLD_END, S.HOLD_START, "请核对时间")
    before(S.MATERIALS_AT, S.DISPATCHED, "请核对时间")
    before(S.EXT1_AT, S.DISPATCHED, "请核对时间")
    before(S.EXT2_AT, S.EXT1_AT, "请核对时间")
    before(S.VISITED, S.CLOSED, "回访应在办结之后", WARNING)
    _emit(out, t, blank[S.HOLD_START] & ~blank[S.HOLD_END], S.HOLD_END, "有挂单结束时间但缺少挂单开始时间")
    _emit(out, t, ~blank[S.HOLD_START] & blank[S.HOLD_END] & ~blank[S.CLOSED], S.HOLD_END,
          "工单已办结，但挂单尚未结束：请填写挂单结束时间", WARNING)

    # extensions
    for at, days, k in ((S.EXT1_AT, S.EXT1_DAYS, 1), (S.EXT2_AT, S.EXT2_DAYS, 2)):
        _emit(out, t, ~blank[days] & blank[at], at, f"填写了延期{k}工作日但缺少申请时间，无法核对是否提前申请", WARNING)
        _emit(out, t, blank[days] & ~blank[at], days, f"填写了延期{k}申请时间但缺少延期工作日，延期未计入", WARNING)
    _emit(out, t, ~blank[S.EXT2_DAYS] & blank[S.EXT1_DAYS], S.EXT2_DAYS, "有第二次延期但没有第一次延期", WARNING)

    # visits, enterprises
    _emit(out, t, ~blank[S.VISIT_RESULT] & blank[S.CLOSED], S.VISIT_RESULT, "有回访结果但工单未办结", WARNING)
    returned = ~blank[S.RETURNED]
    _emit(out, t, blank[S.ENTERPRISE] & ~returned, S.ENTERPRISE, "未填写承办企业：该工单不计入任何企业的统计", WARNING)
    names = set(ledger.enterprise_names) | set(ledger.enterprises["简称"].dropna())
    if names:
        unknown = ~blank[S.ENTERPRISE] & ~t[S.ENTERPRISE].isin(names).to_numpy()
        _emit(out, t, unknown, S.ENTERPRISE, lambda v: f"“{v}”不在“承办企业”表中，请核对名称或先在该表中添加")

    # calendar coverage (R1)
    miss = computed["missing_year"].to_numpy()
    has = miss != NO_YEAR
    if has.any():
        years = miss[has]
        rows = t[ROW].to_numpy()[has]
        values = t[S.DISPATCHED].to_numpy(dtype=object)[has]
        for row, year, value in zip(rows, years, values):
            out.append(Issue(int(row), S.DISPATCHED, _fmt(pd.Timestamp(value)) if not pd.isna(value) else None,
                             f"缺少{int(year)}年的节假日安排，无法计算期限：请在“节假日”表录入{int(year)}年放假调休安排"))
    out.sort(key=lambda i: (i.sheet != S.SHEET_TICKETS, i.sheet, i.row or 0, S.INPUT_NAMES.index(i.column)
                            if i.column in S.INPUT_NAMES else 99))
    return out
