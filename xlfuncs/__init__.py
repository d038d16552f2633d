"""Cell functions (UDFs) for Excel, through xlwings: CONTRACT §2.

Each function is a thin wrapper: convert the cells (xlfuncs.cells), call the core, return.
Every per-ticket argument takes one cell or a whole column and the result spills a column of
the same length. Bad input never raises out of Excel: the affected cell shows a short
Chinese message beginning with ``#错误：`` that names the argument and the value.

Optional trailing arguments: ``holidays`` — the 节假日 sheet's (日期, 类型[, 说明]) range,
overriding the built-in data (R1); ``params`` — the 参数 sheet's (参数, 值) range (RULES.md
parameters; a row left out keeps its default).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import xlwings as xw

from jsjb.core import codes as C
from jsjb.core import schema as S
from jsjb.core.calendar import NO_YEAR, from_day_number
from jsjb.core.errors import LedgerError
from jsjb.core.ledger import parse_tickets
from jsjb.core.params import Params
from jsjb.core.rules import compute, materials_due, reply_due_of, status_of, timely_of
from jsjb.core.scoring import RATES, rate_score

from .cells import (
    ERROR_PREFIX,
    ArgumentError,
    broadcast,
    calendar,
    fail,
    integers,
    is_blank,
    out_time,
    shape,
    table,
    times,
    today,
)
from .cells import (
    params as read_params,
)

CATEGORY = "接诉即办"
HOLIDAYS_DOC = "可选：“节假日”表的 日期、类型 两列区域（如 节假日!A2:C500），优先于内置的国务院放假调休数据"
AS_OF_DOC = "可选：统计时点（台账模板中为名称“统计时点”，点“刷新”时更新），不填为现在"
PARAMS_DOC = "可选：“参数”表的 参数、值 两列区域（如 参数!A2:B60），不填则用默认参数"
# Every function takes whole columns, so none is volatile (a volatile one reruns after every edit
# in any open workbook): STATUS, TIMELY and FLAGS take "now" from their as_of argument — a cell
# that 刷新 sets (the ledger's name 统计时点, macros.book_io.refresh_formulas); blank = the moment
# of the last recalculation. None runs while the function wizard is open.
# err_to_str: an error cell (#N/A, #VALUE! …) arrives as its text, not as None, so it is reported
# instead of being taken for a blank. Parameter names become VBA parameter names in the wrappers
# xlwings generates: no VBA reserved word (tests/test_addin.py checks).
UDF = {"category": CATEGORY, "call_in_wizard": False}
__all__ = ["JSJB_WORKDAY", "JSJB_NETWORKDAYS", "JSJB_DEADLINE", "JSJB_STATUS", "JSJB_SCORE", "JSJB_EXPLAIN",
           "JSJB_MATERIALS_DUE", "JSJB_REPLY_DUE", "JSJB_TIMELY", "JSJB_FLAGS"]


def _described(template: str):
    """The function's description with the numbers of the parameters' defaults filled in (R-numbers a
    user reads come from jsjb.core.params, never typed twice); the 参数 sheet may change them."""
    from jsjb.core.params import PARAMETERS, display

    def wrap(func):
        values = {p.code: display(p.default) for p in PARAMETERS}
        func.__doc__ = template.format(**values) + "（数值为默认参数，可在“参数”表修改）"
        return func
    return wrap


def _safe(body, *args):
    """Run a UDF body; turn every failure into messages in the result cells (never raise). Messages
    that say how to fix something use Excel's words (jsjb.core.howto), not the command line's."""
    from jsjb.core.howto import door

    with door("excel"):
        return _guarded(body, *args)


def _guarded(body, *args):
    try:
        return body(*args)
    except (ArgumentError, LedgerError) as e:
        n, any_range = _extent(args)
        return fail(str(e), n, any_range)
    except Exception as e:  # noqa: BLE001 - a UDF must never raise out of Excel
        n, any_range = _extent(args)
        return fail(f"计算出错（{type(e).__name__}），请检查输入", n, any_range)


def _extent(args) -> tuple[int, bool]:
    from .cells import cells as flat

    n, any_range = 1, False
    for a in args[:1]:
        try:
            col, was_range = flat(a)
            n, any_range = max(n, len(col)), was_range and len(col) > 1
        except ArgumentError:
            pass
    return n, any_range


def _missing_year_text(year: int) -> str:
    return ERROR_PREFIX + C.message(C.HOLIDAY_YEAR, year=year)


# -- JSJB_WORKDAY ---------------------------------------------------------------------------------
@xw.func(**UDF)
@xw.arg("start", err_to_str=True, doc="开始日期：一个单元格或整列")
@xw.arg("days", err_to_str=True, doc="工作日数：正数向后数，负数向前数，0 返回开始日期本身")
@xw.arg("holidays", err_to_str=True, doc=HOLIDAYS_DOC)
def JSJB_WORKDAY(start, days, holidays=None):
    """开始日期之后第 N 个工作日（开始当日不计），按国务院放假调休安排，含调休上班日。类似 WORKDAY。"""
    return _safe(_workday, start, days, holidays)


def _no_error(errors: list[str | None]) -> np.ndarray:
    return np.array([e is None for e in errors], dtype=bool)


def _calendar_results(n: int, ok: np.ndarray, res: np.ndarray, missing: np.ndarray, convert,
                      errors: list[str | None], any_range: bool):
    """Result cells of a calendar column function: the value, a missing-year message, or the
    input error; blank where the input was blank."""
    out: list[object] = [""] * n
    for i, r, y in zip(np.flatnonzero(ok), res, missing):
        out[i] = _missing_year_text(int(y)) if y != NO_YEAR else convert(r)
    for i, e in enumerate(errors):
        if e:
            out[i] = e
    return shape(out, any_range)


def _day_numbers(ts: pd.Series) -> np.ndarray:
    return ts.to_numpy().astype("datetime64[D]").astype(np.int64)


def _workday(start, days, holidays):
    cols, n, any_range = broadcast({"开始": start, "天数": days})
    cal = calendar(holidays)
    errors: list[str | None] = [None] * n
    ts = times("开始", cols["开始"], errors)
    steps = integers("天数", cols["天数"], errors)
    ok = ts.notna().to_numpy() & _no_error(errors)
    res, missing = cal.add_days(_day_numbers(ts[ok]), steps[ok])
    return _calendar_results(n, ok, res, missing, lambda r: dt.datetime.combine(from_day_number(r), dt.time()),
                             errors, any_range)


# -- JSJB_NETWORKDAYS -----------------------------------------------------------------------------
@xw.func(**UDF)
@xw.arg("start", err_to_str=True, doc="开始日期：一个单元格或整列（计入）")
@xw.arg("end_date", err_to_str=True, doc="结束日期：一个单元格或整列（计入）")
@xw.arg("holidays", err_to_str=True, doc=HOLIDAYS_DOC)
def JSJB_NETWORKDAYS(start, end_date, holidays=None):
    """两个日期之间（首尾都计入）的工作日数，按国务院放假调休安排。类似 NETWORKDAYS。"""
    return _safe(_networkdays, start, end_date, holidays)


def _networkdays(start, end, holidays):
    cols, n, any_range = broadcast({"开始": start, "结束": end})
    cal = calendar(holidays)
    errors: list[str | None] = [None] * n
    a = times("开始", cols["开始"], errors)
    b = times("结束", cols["结束"], errors)
    ok = a.notna().to_numpy() & b.notna().to_numpy() & _no_error(errors)
    res, missing = cal.count_days(_day_numbers(a[ok]), _day_numbers(b[ok]))
    return _calendar_results(n, ok, res, missing, int, errors, any_range)


# -- JSJB_DEADLINE (and the full ledger path it shares with JSJB_FLAGS) ------------------------------
ARG_LABELS = {S.DISPATCHED: "派单时间", S.LIMIT_TYPE: "时限类型", S.LEGAL_DATE: "法定期限", S.EXT1_DAYS: "延期工作日",
              S.HOLD_START: "挂单开始", S.HOLD_END: "挂单结束"}


def _evaluate(raw: pd.DataFrame, cal, prm: Params, as_of):
    """Raw cells by column name → (typed, computed, per-row error text, kept row positions)
    through the core's parse and compute (fully blank rows are not kept)."""
    typed, issues = parse_tickets(raw, first_row=0)
    errors: list[str | None] = [None] * len(raw)
    for issue in issues:
        if errors[issue.row] is None:
            label = ARG_LABELS.get(issue.column, issue.column)
            errors[issue.row] = f"{ERROR_PREFIX}{label}“{issue.value}”{_reason(issue)}"
    kept = typed["_row"].to_numpy()
    computed = compute(typed, prm, cal, pd.Timestamp(as_of))
    return typed, computed, errors, kept


def _reason(issue) -> str:
    """The short cell text for a parse finding, chosen by its code (never by its message text)."""
    if issue.code in C.DATE_CODES:
        return "不是有效的日期时间"
    if issue.code == C.DAYS:
        return "不是有效的工作日数"
    if issue.code == C.VOCAB:
        column = S.COLUMNS.get(issue.column)
        choices = "、".join(column.vocab) if column is not None and column.vocab else ""
        return f"无效，可选：{choices}" if choices else "无效"
    return "无效"


@xw.func(**UDF)
@xw.arg("dispatched", err_to_str=True, doc="派单时间：一个单元格或整列，如 工单[派单时间]")
@xw.arg("limit_type", err_to_str=True, doc="时限类型：紧急 / 民生 / 一般 / 复杂 / 法定")
@xw.arg("legal_date", err_to_str=True, doc="可选：法定期限（时限类型为“法定”时必填）")
@xw.arg("extension_days", err_to_str=True, doc="可选：已批准的延期工作日合计，如 工单[延期1工作日]+工单[延期2工作日]")
@xw.arg("hold_start", err_to_str=True, doc="可选：挂单开始")
@xw.arg("hold_end", err_to_str=True, doc="可选：挂单结束（挂单期间的工作日首尾都计入，顺延期限）")
@xw.arg("holidays", err_to_str=True, doc=HOLIDAYS_DOC)
@xw.arg("params", err_to_str=True, doc=PARAMS_DOC)
@_described("最终办理期限：派单次日起第 N 个工作日的 23:59:59（紧急{limit_urgent}、民生{limit_livelihood}、"
            "一般{limit_normal}、复杂{limit_complex}），加延期和挂单顺延。")
def JSJB_DEADLINE(dispatched, limit_type, legal_date=None, extension_days=None, hold_start=None, hold_end=None,
                  holidays=None, params=None):

    return _safe(_deadline, dispatched, limit_type, legal_date, extension_days, hold_start, hold_end, holidays, params)


def _deadline(dispatched, limit_type, legal_date, extension_days, hold_start, hold_end, holidays, prm):
    cols, n, any_range = broadcast({"派单时间": dispatched, "时限类型": limit_type, "法定期限": legal_date,
                                    "延期工作日": extension_days, "挂单开始": hold_start, "挂单结束": hold_end})
    cal, prm = calendar(holidays), read_params(prm)
    ext = [None if is_blank(v) or _is_zero(v) else v for v in cols["延期工作日"]]
    raw = pd.DataFrame({S.ID: [f"R{i}" for i in range(n)], S.DISPATCHED: cols["派单时间"],
                        S.LIMIT_TYPE: cols["时限类型"], S.LEGAL_DATE: cols["法定期限"], S.EXT1_DAYS: ext,
                        S.HOLD_START: cols["挂单开始"], S.HOLD_END: cols["挂单结束"]}, dtype=object)
    typed, computed, errors, rows = _evaluate(raw, cal, prm, today())
    deadlines = computed[S.DEADLINE].astype(object).to_numpy()      # Timestamps (datetime subclass)
    valid = computed[S.DEADLINE].notna().to_numpy()
    years = computed["missing_year"].to_numpy()
    dispatched = typed[S.DISPATCHED].notna().to_numpy()
    legal = (typed[S.LIMIT_TYPE] == "法定").to_numpy()
    out: list[object] = [""] * n
    for k, i in enumerate(rows.tolist()):
        if errors[i]:
            out[i] = errors[i]
        elif years[k] != NO_YEAR:
            out[i] = _missing_year_text(int(years[k]))
        elif valid[k]:
            out[i] = deadlines[k]
        elif dispatched[k]:
            out[i] = f"{ERROR_PREFIX}时限类型为“法定”时须填写法定期限" if legal[k] else f"{ERROR_PREFIX}缺少时限类型"
    return shape(out, any_range)


def _is_zero(v) -> bool:
    try:
        return float(v) == 0
    except (TypeError, ValueError):
        return False


# -- JSJB_STATUS --------------------------------------------------------------------------------------
@xw.func(**UDF)
@xw.arg("deadline", err_to_str=True, doc="办理期限：JSJB_DEADLINE 的结果（一个单元格或整列）")
@xw.arg("closed", err_to_str=True, doc="办结时间")
@xw.arg("returned", err_to_str=True, doc="可选：退回时间")
@xw.arg("hold_start", err_to_str=True, doc="可选：挂单开始")
@xw.arg("hold_end", err_to_str=True, doc="可选：挂单结束")
@xw.arg("as_of", err_to_str=True, doc=AS_OF_DOC)
@xw.arg("params", err_to_str=True, doc=PARAMS_DOC)
@_described("工单状态：已退回 / 挂单中 / 已办结 / 超期未办结 / 临期（到期前{warning_hours}小时内）/ 在办。")
def JSJB_STATUS(deadline, closed, returned=None, hold_start=None, hold_end=None, as_of=None, params=None):
    return _safe(_status, deadline, closed, returned, hold_start, hold_end, as_of, params)


def _status(deadline, closed, returned, hold_start, hold_end, as_of, prm):
    cols, n, any_range = broadcast({"办理期限": deadline, "办结时间": closed, "退回时间": returned,
                                    "挂单开始": hold_start, "挂单结束": hold_end})
    prm = read_params(prm)
    errors: list[str | None] = [None] * n
    when = _as_of(as_of)
    deadline_error = [isinstance(v, str) and v.startswith(ERROR_PREFIX) for v in cols["办理期限"]]
    dl = times("办理期限", [None if bad else v for v, bad in zip(cols["办理期限"], deadline_error)], errors)
    series = {k: times(k, cols[k], errors) for k in ("办结时间", "退回时间", "挂单开始", "挂单结束")}
    st = status_of(dl, series["办结时间"], series["退回时间"], series["挂单开始"], series["挂单结束"], when, prm)
    empty = [is_blank(cols["办理期限"][i]) and pd.isna(series["退回时间"].iloc[i]) for i in range(n)]
    out = [e or ("" if blank else str(s)) for e, blank, s in zip(errors, empty, st.status)]
    return shape(out, any_range)


def _as_of(value) -> pd.Timestamp:
    from .cells import cells as flat

    col, _ = flat(value)
    if len(col) != 1:
        raise ArgumentError("统计时点应为一个单元格")
    if is_blank(col[0]):
        return pd.Timestamp(today())
    errors: list[str | None] = [None]
    ts = times("统计时点", col, errors)
    if errors[0]:
        raise ArgumentError(errors[0])
    return ts.iloc[0]


# -- JSJB_SCORE ---------------------------------------------------------------------------------------
@xw.func(**UDF)
@xw.arg("item", err_to_str=True, doc="项目：响应率 / 解决率 / 满意率")
@xw.arg("rate", err_to_str=True, doc="比率：0 到 1 之间（或 95%），空白或“无数据”按参数表（默认满分）")
@xw.arg("params", err_to_str=True, doc=PARAMS_DOC)
@_described("三率得分：响应率×{response_points}、解决率×{resolution_points}、满意率×{satisfaction_points}"
            "（不足百分点的按比例得分）。")
def JSJB_SCORE(item, rate, params=None):

    return _safe(_score, item, rate, params)


def _score(item, rate, prm):
    cols, n, any_range = broadcast({"项目": item, "比率": rate})
    prm = read_params(prm)
    out: list[object] = []
    for it, r in zip(cols["项目"], cols["比率"]):
        it = "" if is_blank(it) else str(it).strip()
        if it not in RATES:
            out.append(f"{ERROR_PREFIX}项目“{it}”应为 响应率、解决率 或 满意率")
            continue
        try:
            value = _rate(r)
            out.append(rate_score(it, value, prm))
        except (ValueError, LedgerError):
            out.append(f"{ERROR_PREFIX}比率“{r}”应在 0 到 1 之间（或 0% 到 100%）")
    return shape(out, any_range)


def _rate(r) -> float | None:
    if is_blank(r) or (isinstance(r, str) and r.strip() == "无数据"):
        return None
    if isinstance(r, bool):
        raise ValueError(r)
    text = str(r).strip()
    value = float(text[:-1]) / 100 if text.endswith("%") else float(text)
    if not 0 <= value <= 1:
        raise ValueError(r)
    return value


# -- JSJB_MATERIALS_DUE, JSJB_REPLY_DUE, JSJB_TIMELY --------------------------------------------------
@xw.func(**UDF)
@xw.arg("deadline", err_to_str=True, doc="办理期限：JSJB_DEADLINE 的结果")
@xw.arg("dispatched", err_to_str=True, doc="派单时间")
@xw.arg("params", err_to_str=True, doc=PARAMS_DOC)
@_described("回复材料截止时间：办理期限前{materials_hours}小时；若早于派单时间，则为办理期限本身（第13条）。")
def JSJB_MATERIALS_DUE(deadline, dispatched, params=None):
    return _safe(_materials, deadline, dispatched, params)


def _materials(deadline, dispatched, prm):
    cols, n, any_range = broadcast({"办理期限": deadline, "派单时间": dispatched})
    errors: list[str | None] = [None] * n
    passthrough = [v if isinstance(v, str) and v.startswith(ERROR_PREFIX) else None for v in cols["办理期限"]]
    dl = times("办理期限", [None if p else v for v, p in zip(cols["办理期限"], passthrough)], errors)
    disp = times("派单时间", cols["派单时间"], errors)
    due = materials_due(dl, disp, read_params(prm))
    out = [p or e or out_time(d) for p, e, d in zip(passthrough, errors, due)]
    return shape(out, any_range)


@xw.func(**UDF)
@xw.arg("forwarded", err_to_str=True, doc="转办时间：一个单元格或整列")
@xw.arg("params", err_to_str=True, doc=PARAMS_DOC)
@_described("企业答复是否本企业工单的时限：转办后{reply_hours}小时（第21条）。")
def JSJB_REPLY_DUE(forwarded, params=None):
    return _safe(_reply_due, forwarded, params)


def _reply_due(forwarded, prm):
    cols, n, any_range = broadcast({"转办时间": forwarded})
    errors: list[str | None] = [None] * n
    due = reply_due_of(times("转办时间", cols["转办时间"], errors), read_params(prm))
    return shape([e or out_time(d) for e, d in zip(errors, due)], any_range)


@xw.func(**UDF)
@xw.arg("deadline", err_to_str=True, doc="办理期限：JSJB_DEADLINE 的结果")
@xw.arg("closed", err_to_str=True, doc="办结时间")
@xw.arg("returned", err_to_str=True, doc="可选：退回时间（已退回的工单不判断）")
@xw.arg("as_of", err_to_str=True, doc=AS_OF_DOC)
def JSJB_TIMELY(deadline, closed, returned=None, as_of=None):
    """是否及时办结：已办结工单在办理期限（含）之前办结为“是”，否则“否”；未办结为空。"""
    return _safe(_timely, deadline, closed, returned, as_of)


def _timely(deadline, closed, returned, as_of):
    cols, n, any_range = broadcast({"办理期限": deadline, "办结时间": closed, "退回时间": returned})
    errors: list[str | None] = [None] * n
    bad_deadline = [isinstance(v, str) and v.startswith(ERROR_PREFIX) for v in cols["办理期限"]]
    dl = times("办理期限", [None if b else v for v, b in zip(cols["办理期限"], bad_deadline)], errors)
    cl = times("办结时间", cols["办结时间"], errors)
    rt = times("退回时间", cols["退回时间"], errors)
    none = pd.Series(pd.NaT, index=dl.index, dtype="datetime64[ns]")
    st = status_of(dl, cl, rt, none, none, _as_of(as_of), Params())
    verdict = timely_of(dl, cl, st)
    out = [e or ("" if v is None else ("是" if v else "否")) for e, v in zip(errors, verdict)]
    return shape(out, any_range)


# -- JSJB_FLAGS ---------------------------------------------------------------------------------------
@xw.func(**UDF)
@xw.arg("ledger", err_to_str=True, doc="整张台账（含表头），如 工单[#全部]")
@xw.arg("holidays", err_to_str=True, doc=HOLIDAYS_DOC)
@xw.arg("params", err_to_str=True, doc=PARAMS_DOC)
@xw.arg("as_of", err_to_str=True, doc=AS_OF_DOC)
def JSJB_FLAGS(ledger, holidays=None, params=None, as_of=None):
    """每张工单的提示：延期申请逾期、超出延期限制、挂单超期、材料逾期、确认超时、退回超时（注明条款）。"""
    return _safe(_flags, ledger, holidays, params, as_of)


def _flags(ledger, holidays, prm, as_of):
    rows = table(ledger)
    if len(rows) < 2:
        return ""
    header = [str(h).strip() if h is not None else "" for h in rows[0]]
    width = len(header)
    raw = pd.DataFrame([(list(r) + [None] * width)[:width] for r in rows[1:]], columns=header, dtype=object)
    raw = raw.loc[:, ~raw.columns.duplicated()]
    typed, computed, errors, kept = _evaluate(raw, calendar(holidays), read_params(prm), _as_of(as_of))
    out: list[object] = [""] * len(raw)
    for k, i in enumerate(kept):
        flags = computed[S.FLAGS].iloc[k]
        text = "；".join(flags)
        if errors[i]:
            text = errors[i] + ("；" + text if text else "")
        out[i] = text
    return [[v] for v in out] if len(out) > 1 else out[0]


# -- JSJB_EXPLAIN -------------------------------------------------------------------------------------
@xw.func(**UDF)
@xw.arg("dispatched", err_to_str=True, doc="派单时间")
@xw.arg("limit_type", err_to_str=True, doc="时限类型：紧急 / 民生 / 一般 / 复杂 / 法定")
@xw.arg("legal_date", err_to_str=True, doc="可选：法定期限")
@xw.arg("extension_days", err_to_str=True, doc="可选：已批准的延期工作日合计")
@xw.arg("hold_start", err_to_str=True, doc="可选：挂单开始")
@xw.arg("hold_end", err_to_str=True, doc="可选：挂单结束")
@xw.arg("holidays", err_to_str=True, doc=HOLIDAYS_DOC)
@xw.arg("params", err_to_str=True, doc=PARAMS_DOC)
def JSJB_EXPLAIN(dispatched, limit_type, legal_date=None, extension_days=None, hold_start=None, hold_end=None,
                 holidays=None, params=None):
    """说明办理期限是怎么算出来的：跳过了哪些节假日和周末、哪些调休日上班、延期和挂单各顺延多少。"""
    return _safe(_explain, dispatched, limit_type, legal_date, extension_days, hold_start, hold_end, holidays,
                 params)


def _explain(dispatched, limit_type, legal_date, extension_days, hold_start, hold_end, holidays, prm):
    from jsjb.core.explain import explain

    deadlines = _deadline(dispatched, limit_type, legal_date, extension_days, hold_start, hold_end, holidays, prm)
    cols, n, any_range = broadcast({"派单时间": dispatched, "时限类型": limit_type, "法定期限": legal_date,
                                    "延期工作日": extension_days, "挂单开始": hold_start, "挂单结束": hold_end})
    results = [r[0] for r in deadlines] if isinstance(deadlines, list) else [deadlines]
    cal, prm = calendar(holidays), read_params(prm)
    out = []
    for i in range(n):
        if not isinstance(results[i], dt.datetime):
            out.append(results[i])
            continue
        errors: list[str | None] = [None] * 4
        start = times("派单时间", [cols["派单时间"][i]], errors).iloc[0]
        legal = times("法定期限", [cols["法定期限"][i]], errors).iloc[0]
        hs = times("挂单开始", [cols["挂单开始"][i]], errors).iloc[0]
        he = times("挂单结束", [cols["挂单结束"][i]], errors).iloc[0]
        ext = integers("延期工作日", [cols["延期工作日"][i]], errors)[0]
        out.append(explain(cal, prm, start, str(cols["时限类型"][i]).strip(), legal, int(ext), hs, he))
    return shape(out, any_range)

