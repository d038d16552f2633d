"""The plain ledger (issue #13): a ledger whose computed columns are native formulas that Excel,
WPS and LibreOffice all evaluate — no add-in, no dynamic arrays, no LAMBDA/LET.

How the deadline arithmetic of R1–R3 becomes spreadsheet formulas:

- A sheet ``日历`` lists every day from 2004-01-01 to the end of ``calendar_until`` (default
  2035) with the built-in arrangement (chinesecalendar, as the core uses it), the 节假日 sheet's
  entry for that day (a lookup: the sheet wins), the working-day flag and the running count of
  working days — the same cumulative index :class:`jsjb.core.calendar.WorkCalendar` builds.
  Day ``d`` sits in row ``d − 日历首日 + 2``, so the count of a day is a direct INDEX.
- "The first day whose running count reaches T" is ``日历首日 + MATCH(T−1, 日历累计, 1)``: an
  approximate (binary-search) MATCH in every program, since the count never decreases.
- A year counts as covered when the built-in data or the 节假日 sheet has it (R1). The named cell
  ``已收录至`` is the last day of the covered years counted from 2004 without a gap; a deadline
  that needs a later day shows the text “缺少YYYY年节假日安排” instead of a date.
- The parameters are read from the 参数 sheet through one named cell per parameter
  (``参数_<code>``, the sheet's column “公式取值”: the value, or the default where 值 is empty).
- The moment statuses are judged at is the named cell ``统计时点`` (default ``=NOW()``).

Every formula is generated here. Functions used: IF, AND, OR, NOT, ISNUMBER, ISTEXT, INDEX,
MATCH, INT, MOD, YEAR, DATE, WEEKDAY, EDATE, NOW, SUM, COUNTIFS, IFERROR, LOWER, TRIM, VALUE, MID
— all in WPS's list.

New tickets (issue #21): the computed columns hold their formula in every row of the Excel table
工单, which reaches ``spare`` rows (default 5,000, ``--spare``) below the last ticket; the
drop-downs and the highlighting cover the same rows. A row without 工单编号 shows "" and costs
one comparison (every formula tests the id first), so a clerk types a ticket into the next empty
row in any program and sees it computed; each formula refers to its own row and to named cells
only, so inserting (Excel and WPS tables fill the new row), sorting and deleting rows keep every
row right, also in the copy LibreOffice saves (which keeps the table and the formulas but drops
the table's calculated-column definitions).

Each column's formula is written once, as a shared formula over all its rows
(:mod:`jsjb.io.formula_sheet`), without a cached result: every program computes it on opening
(LibreOffice would otherwise show XlsxWriter's cached 0 until a hard recalculation), and writing
costs about as much as writing the same number of values.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
from xlsxwriter.utility import xl_col_to_name

from ..core import codes as C
from ..core import schema as S
from ..core.calendar import WorkCalendar, day_number
from ..core.errors import InvalidValue, LedgerError
from ..core.howto import how
from ..core.ledger import parse_params
from ..core.params import BOOL, FALSE_WORDS, LIMIT_CODES, NUMBER, PARAMETERS, TRUE_WORDS, Params, display
from ..core.timeconv import to_timestamps
from .formula_sheet import FormulaWorkbook
from .ledger_book import (
    TABLE_NAME,
    computed_help,
    formats,
    highlight_help,
    highlight_statuses,
    input_validations,
    other_sheets_help,
    ticket_columns,
    write_help,
    write_other_sheets,
)
from .writer import WORKBOOK_OPTIONS, _column_values, atomic_path

SHEET_CALENDAR = "日历"
CALENDAR_FIRST = dt.date(2004, 1, 1)
CALENDAR_UNTIL = 2035          # last year of the 日历 sheet (weekday rule where no holiday data)
EXCEL_1970 = 25569             # Excel's serial number of 1970-01-01 (day number 0 of jsjb.core.calendar)
SPARE_ROWS = S.PLAIN_SPARE_ROWS  # rows prepared below the last ticket (CONTRACT §3; --spare)
MAX_ROWS = 1_048_576           # rows of a worksheet
PROGRESS_ROWS = 10_000         # rows between two progress lines

Progress = Callable[[str], None]


def _quiet(_: str) -> None:
    pass

# named cells and ranges
N_AS_OF = S.AS_OF_NAME
N_COVERED = "已收录至"
N_CAL_FIRST = "日历首日"
N_CAL_WORK = "日历工作日"
N_CAL_CUM = "日历累计"


def param_name(code: str) -> str:
    return f"参数_{code}"


# helper columns after the six computed ones (inside the table, grey header)
H_HOLD = "挂单工作日"
H_EXT1 = "延期1有效工作日"
H_EXT2 = "延期2有效工作日"
H_BASE = "基准累计"
H_DAY = "期限日"
HELPERS = (H_HOLD, H_EXT1, H_EXT2, H_BASE, H_DAY)
PLAIN_COLUMNS = (*S.INPUT_NAMES, *S.COMPUTED_COLUMNS, *HELPERS)


def _letters() -> dict[str, str]:
    return {name: xl_col_to_name(j) for j, name in enumerate(PLAIN_COLUMNS)}


def _missing(year_expr: str) -> str:
    return f'"{C.MISSING_YEAR_HEAD}"&({year_expr})&"{C.MISSING_YEAR_TAIL}"'


def row_formulas(row: int) -> dict[str, str]:
    """The formula of every computed and helper column for Excel row ``row`` (1-based).

    The same formula, with the row number changed, fills the whole column: it is the table's
    calculated-column formula, written once as a shared formula (:mod:`jsjb.io.formula_sheet`).
    Every formula refers to its own row (and to named cells elsewhere) only, so rows may be
    inserted, sorted and deleted; a row whose 工单编号 is empty shows "" without any further work."""
    c = {name: f"{letter}{row}" for name, letter in _letters().items()}
    P = param_name  # noqa: N806
    ds, lt, legal = c[S.DISPATCHED], c[S.LIMIT_TYPE], c[S.LEGAL_DATE]
    hs, he = c[S.HOLD_START], c[S.HOLD_END]
    e1, e2 = c[H_EXT1], c[H_EXT2]
    hold, base, day = c[H_HOLD], c[H_BASE], c[H_DAY]
    dl = c[S.DEADLINE]
    beyond = _missing(f"YEAR({N_COVERED})+1")

    def cum(d: str) -> str:
        return f"INDEX({N_CAL_CUM},INT({d})-{N_CAL_FIRST}+1)"

    def work(d: str) -> str:
        return f"INDEX({N_CAL_WORK},INT({d})-{N_CAL_FIRST}+1)"

    def reach(target: str) -> str:         # the first day whose running count reaches target
        return f"{N_CAL_FIRST}+MATCH({target}-1,{N_CAL_CUM},1)"

    def covered(d: str, then: str) -> str:  # day d must lie in the covered span
        return (f"IF(INT({d})<{N_CAL_FIRST},{_missing(f'YEAR({d})')},"
                f"IF(INT({d})>{N_COVERED},{beyond},{then}))")

    def valid_days(v: str) -> str:          # R4 day counts: whole numbers ≥ 1, else ignored (as the core)
        return f"IF(ISNUMBER({v}),IF(AND({v}>=1,{v}=INT({v})),{v},0),0)"

    *firsts, (_, last_code) = LIMIT_CODES.items()       # nested IFs; the last type is the fallback
    limit = P(last_code)
    for kind, code in reversed(firsts):
        limit = f'IF({lt}="{kind}",{P(code)},{limit})'

    known = "OR(" + ",".join(f'{lt}="{k}"' for k in LIMIT_CODES) + ")"
    f = {}
    # R6: a hold counts once it has ended (end ≥ start, holds allowed): working days, both ends counted
    f[H_HOLD] = (f"IF(AND({P('hold_allowed')},ISNUMBER({hs}),ISNUMBER({he})),IF({he}>={hs},"
                 + covered(hs, covered(he, f"{cum(he)}-{cum(hs)}+{work(hs)}")) + ",0),0)")
    f[H_EXT1] = valid_days(c[S.EXT1_DAYS])
    f[H_EXT2] = valid_days(c[S.EXT2_DAYS])
    # R2/R3: running count of the base deadline (法定: of the legal date itself)
    f[H_BASE] = (f'IF(NOT(ISNUMBER({ds})),"缺少派单时间",'
                 f'IF({lt}="法定",IF(NOT(ISNUMBER({legal})),"缺少法定期限",' + covered(legal, cum(legal)) + "),"
                 f'IF(NOT({known}),IF({lt}="","缺少时限类型","时限类型有误"),'
                 + covered(ds, f"{cum(ds)}-IF({P('count_start_day')},{work(ds)},0)+{limit}") + ")))")
    # R4 + R6: the deadline day = base moved by extensions and hold (a 法定 date unmoved stays itself)
    shift = f"{e1}+{e2}+{hold}"
    f[H_DAY] = (f"IF(ISTEXT({base}),{base},IF(ISTEXT({hold}),{hold},"
                f'IF(AND({lt}="法定",{shift}=0),INT({legal}),{reach(f"{base}+{shift}")})))')
    f[S.DEADLINE] = f"IF(ISTEXT({day}),{day},IF({day}>{N_COVERED},{beyond},{day}+86399/86400))"
    # R7, R8
    mh = f"{P('materials_hours')}/24"
    f[S.MATERIALS_DUE] = f'IF(ISNUMBER({dl}),IF({dl}-{mh}<{ds},{dl},{dl}-{mh}),"")'
    fw = c[S.FORWARDED]
    f[S.REPLY_DUE] = f'IF(ISNUMBER({fw}),{fw}+{P("reply_hours")}/24,IF({fw}="","","转办时间有误"))'
    # statuses (order of precedence of RULES.md)
    now, ret, closed = N_AS_OF, c[S.RETURNED], c[S.CLOSED]
    f[S.STATUS] = (f'IF(AND(ISNUMBER({ret}),{ret}<={now}),"{S.ST_RETURNED}",'
                   f'IF(AND({P("hold_allowed")},ISNUMBER({hs}),{hs}<={now},OR(NOT(ISNUMBER({he})),{he}>{now})),'
                   f'"{S.ST_ON_HOLD}",'
                   f'IF(AND(ISNUMBER({closed}),{closed}<={now}),"{S.ST_CLOSED}",'
                   f'IF(NOT(ISNUMBER({dl})),"{S.ST_INVALID}",'
                   f'IF({dl}<{now},"{S.ST_OVERDUE}",'
                   f'IF({dl}-{P("warning_hours")}/24<={now},"{S.ST_DUE_SOON}","{S.ST_OPEN}"))))))')
    f[S.TIMELY] = (f'IF(AND(ISNUMBER({closed}),{closed}<={now},ISNUMBER({dl}),'
                   f'NOT(AND(ISNUMBER({ret}),{ret}<={now}))),IF({closed}<={dl},"是","否"),"")')
    f[S.FLAGS] = _flags_formula(c, reach, now)
    # a row without 工单编号 shows nothing, and costs one comparison: the id is tested first
    no_id = f'${c[S.ID]}=""'
    return {name: f'IF({no_id},"",{f[name]})' for name in (*S.COMPUTED_COLUMNS, *HELPERS)}


def _flags_formula(c: dict[str, str], reach, now: str) -> str:
    """提示: the rule flags of jsjb.core.rules (labels and order as there), joined by “；”.
    Data errors (数据有误：…) are not repeated here: jsjb check lists them."""
    from ..core import rules as R

    P = param_name  # noqa: N806
    ds, lt, legal = c[S.DISPATCHED], c[S.LIMIT_TYPE], c[S.LEGAL_DATE]
    hs, he, dl = c[S.HOLD_START], c[S.HOLD_END], c[S.DEADLINE]
    e1, e2, hold, base = c[H_EXT1], c[H_EXT2], c[H_HOLD], c[H_BASE]
    lead = f"{P('extension_request_hours')}/24"

    def before(k: int, at: str) -> str:
        """R5: the deadline in force when extension k was requested: the base moved by the
        earlier extension and by the hold if it had ended by then."""
        ended = f"IF(AND(ISNUMBER({he}),ISNUMBER({at}),{he}<={at}),{hold},0)"
        shift = ended if k == 1 else f"{e1}+{ended}"
        return f'IF(AND({lt}="法定",{shift}=0),INT({legal}),{reach(f"{base}+{shift}")})'

    def late(k: int) -> str:
        at, days = (c[S.EXT1_AT], e1) if k == 1 else (c[S.EXT2_AT], e2)
        return f"AND({days}>0,ISNUMBER({at}),{at}>{before(k, at)}+86399/86400-{lead})"

    ext_late = f"IF(ISNUMBER({dl}),OR({late(1)},{late(2)}),FALSE)"
    over = (f"OR(({e1}>0)+({e2}>0)>{P('max_extensions')},{e1}>{P('max_extension_days')},"
            f"{e2}>{P('max_extension_days')},{e1}+{e2}>{P('max_extension_total')})")
    until = f"IF(AND(ISNUMBER({he}),{he}<={now}),{he},{now})"
    hold_long = (f"IF(ISNUMBER({hs}),IF(AND(ISNUMBER({he}),{he}<{hs}),FALSE,"
                 f"{until}>EDATE(INT({hs}),{P('hold_max_months')})+MOD({hs},1)),FALSE)")
    ignored = f"AND(NOT({P('hold_allowed')}),ISNUMBER({hs}))"
    reversed_ = f"AND({P('hold_allowed')},ISNUMBER({hs}),ISNUMBER({he}),{he}<{hs})"
    mat, mdue = c[S.MATERIALS_AT], c[S.MATERIALS_DUE]
    materials = f"IF(AND(ISNUMBER({mat}),ISNUMBER({mdue})),{mat}>{mdue},FALSE)"
    conf, rdue, ret = c[S.CONFIRMED], c[S.REPLY_DUE], c[S.RETURNED]
    reply = (f"IF(ISNUMBER({rdue}),AND(OR(AND(ISNUMBER({conf}),{conf}>{rdue}),AND(NOT(ISNUMBER({conf})),{rdue}<{now})),"
             f"NOT(AND(ISNUMBER({ret}),{ret}<={rdue}))),FALSE)")   # R8: a return in the window answers
    returned = f"IF(AND(ISNUMBER({ret}),ISNUMBER({ds})),{ret}>{ds}+{P('return_hours')}/24,FALSE)"
    parts = ((R.F_EXT_LATE, ext_late), (R.F_EXT_LIMIT, over), (R.F_HOLD_LONG, hold_long),
             (R.F_HOLD_IGNORED, ignored), (R.F_HOLD_REVERSED, reversed_), (R.F_MATERIALS, materials),
             (R.F_REPLY, reply), (R.F_RETURN, returned))
    return "MID(" + "&".join(f'IF({cond},"；{label}","")' for label, cond in parts) + ",2,1000)"


# -- the 参数 sheet's "公式取值" column ---------------------------------------------------------------


def _param_value_formula(p, row: int) -> str:
    v = f"$B${row}"
    text = f'LOWER(TRIM({v}&""))'
    if p.kind == BOOL:
        default = "TRUE" if p.default else "FALSE"
        yes = "OR(" + ",".join(f'{text}="{w}"' for w in TRUE_WORDS) + ")"
        no = "OR(" + ",".join(f'{text}="{w}"' for w in FALSE_WORDS) + ")"
        return f'=IF(TRIM({v}&"")="",{default},IF({yes},TRUE,IF({no},FALSE,"参数有误")))'
    if p.kind == NUMBER:
        return (f'=IF(TRIM({v}&"")="",{display(p.default)},IF(ISNUMBER({v}),{v},'
                f'IFERROR(VALUE(TRIM({v})),"参数有误")))')
    return f'=IF(TRIM({v}&"")="","{p.default}",TRIM({v}))'


# -- reading an existing ledger for --from ------------------------------------------------------------
def read_ledger_sheets(path: str | os.PathLike) -> tuple[dict[str, pd.DataFrame | None], Params]:
    """An existing ledger's sheets for ``jsjb template --plain --from LEDGER``: the tickets and the
    other sheets (承办企业, 节假日, 加减分, 考核录入) as frames of cell values, dates and day counts
    typed where they parse and kept as the original text where they do not (nothing is dropped
    or guessed), plus the parameters in force from its 参数 sheet. The file is only read."""
    from .reader import read_sheets

    raw = read_sheets(path)
    try:
        params = parse_params(raw.get(S.SHEET_PARAMS))
    except LedgerError as e:                     # ParameterError names the parameter and value
        raise LedgerError(f"原台账的参数表有误：{e}") from e
    out: dict[str, pd.DataFrame | None] = {}
    kinds = {c.name: c.kind for c in S.INPUT_COLUMNS}
    typed = {
        S.SHEET_TICKETS: kinds,
        S.SHEET_HOLIDAYS: {"日期": S.DATE},
        S.SHEET_ADJUSTMENTS: {"日期": S.DATE, "次数": "number"},
        S.SHEET_MANUAL: {"年度": "number", **{k: "number" for k in S.MANUAL_COLUMNS[2:]}},
        S.SHEET_ENTERPRISES: {},
    }
    for name, types in typed.items():
        frame = raw.get(name)
        if frame is None:
            out[name] = None
            continue
        frame = frame.reset_index(drop=True)
        conv = {}
        for col in frame.columns:
            conv[col] = _typed(frame[col], types.get(col, S.TEXT))
        frame = pd.DataFrame(conv, index=frame.index)
        keep = ~frame.isna().all(axis=1)
        if name == S.SHEET_TICKETS:         # trailing blank rows only: rows keep their numbers
            last = np.flatnonzero(keep.to_numpy())
            frame = frame.iloc[: (last[-1] + 1 if len(last) else 0)]
        else:
            frame = frame[keep]
        out[name] = frame.reset_index(drop=True)
    return out, params


def _typed(col: pd.Series, kind: str) -> pd.Series:
    """Text cells → dates / numbers where they parse; anything else stays the original text, and
    blank cells are missing. Whole columns at once: a column whose every filled cell parses comes
    back typed (``datetime64``, ``float64``), one with unreadable cells as objects (the parsed
    values beside the original text of the others)."""
    text = col.astype(object)
    blank = col.isna().to_numpy() | (col.astype("string").str.strip().fillna("") == "").to_numpy()
    if kind in (S.DATETIME, S.DATE):
        times, bad = to_timestamps(col.where(~blank, None).reset_index(drop=True))
        if kind == S.DATE:
            times = times.dt.normalize()
        typed = times.set_axis(col.index)
    elif kind in (S.DAYS, "number"):
        typed = pd.to_numeric(text.where(~blank, None), errors="coerce").astype("float64")
        bad = ~np.isfinite(typed.to_numpy()) & ~blank          # "inf", "1e999": no number a cell can hold
        typed = typed.where(~bad)
    else:
        return text.where(~blank, None)
    bad = np.asarray(bad, dtype=bool)
    if not bad.any():
        return typed
    mixed = typed.astype(object).where(typed.notna(), None)
    mixed[bad] = text[bad]
    return mixed


# -- writing -----------------------------------------------------------------------------------------
def _builtin_days(until: int) -> tuple[np.ndarray, dict[int, str], frozenset[int]]:
    """Day numbers of the 日历 sheet, the built-in arrangement of the days where it differs
    from the weekday rule (休息日/工作日), and the years the built-in data covers."""
    cal = WorkCalendar()
    first = day_number(CALENDAR_FIRST)
    last = day_number(dt.date(until, 12, 31))
    days = np.arange(first, last + 1, dtype=np.int64)
    special: dict[int, str] = {}
    for d in days:
        if cal.lo <= d <= cal.hi and cal.covered[d - cal.lo]:
            weekday_work = (d + 3) % 7 < 5
            w = bool(cal.work[d - cal.lo])
            if w != weekday_work:
                special[int(d)] = "工作日" if w else "休息日"
    return days, special, cal.package_years


def write_plain_ledger(path: str | os.PathLike, sheets: dict[str, pd.DataFrame | None] | None = None, *,
                       params: Params | None = None, as_of: dt.datetime | pd.Timestamp | None = None,
                       calendar_until: int = CALENDAR_UNTIL, spare: int = SPARE_ROWS,
                       progress: Progress = _quiet) -> Path:
    """Write the plain ledger at ``path`` (atomically): the ledger of CONTRACT §1 whose computed
    columns are native formulas (see the module's doc). ``sheets`` as for
    :func:`jsjb.io.ledger_book.write_ledger` (e.g. from :func:`read_ledger_sheets`); ``params``
    fills the 参数 sheet; ``as_of`` fixes the named cell 统计时点 (default: the formula =NOW());
    ``calendar_until`` is the last year of the 日历 sheet; ``spare``: rows ready for new tickets
    below the last one (formulas, drop-downs, highlighting, inside the table); ``progress``
    receives a line per sheet and per block of rows."""
    sheets = sheets or {}
    params = params if params is not None else Params()
    tickets = sheets.get(S.SHEET_TICKETS)
    n = 0 if tickets is None else len(tickets)
    if calendar_until < 2026:
        raise ValueError("calendar_until must be at least 2026")
    if spare < 0 or n + spare + 1 > MAX_ROWS:
        raise InvalidValue("预留空白行（--spare）", str(spare),
                           f"应在 0 到 {MAX_ROWS - 1 - n} 之间：{n} 张工单加表头和空白行不能超过工作表的 {MAX_ROWS:,} 行")

    def write(tmp: str) -> None:
        wb = FormulaWorkbook(tmp, {**WORKBOOK_OPTIONS, "constant_memory": False})
        wb.set_properties({"title": "接诉即办工单台账（通用公式版）", "subject": "12345热线工单台账",
                           "comments": "由 jsjb 生成：计算列为 Excel、WPS、LibreOffice 通用的普通公式"})
        f = formats(wb)
        f["helper_head"] = wb.add_format({"bold": True, "bg_color": "#EDEDED", "font_color": "#7F7F7F",
                                          "border": 1, "text_wrap": True, "valign": "vcenter", "align": "center"})
        f["helper"] = wb.add_format({"font_color": "#7F7F7F"})
        f["label"] = wb.add_format({"bold": True, "bg_color": "#FFF2CC", "border": 1})
        f["setting"] = wb.add_format({"num_format": "yyyy-mm-dd hh:mm", "bg_color": "#FFF2CC", "border": 1})
        f["setting_d"] = wb.add_format({"num_format": "yyyy-mm-dd", "bg_color": "#FFF2CC", "border": 1})
        _plain_tickets_sheet(wb, f, tickets, n, spare, progress)
        progress("写入承办企业、节假日、参数、加减分、考核录入表")
        others = write_other_sheets(wb, f, sheets, params)
        _plain_params(wb, f, others[S.SHEET_PARAMS], as_of)
        progress(f"写入{SHEET_CALENDAR}表（{CALENDAR_FIRST.year}–{calendar_until} 年每一天）")
        _calendar_sheet(wb, f, calendar_until)
        write_help(wb, f, _plain_help(params, calendar_until, spare))
        wb.worksheets()[0].activate()
        progress("保存文件（生成并压缩工作表）")
        wb.close()

    return atomic_path(Path(path), write)


def _plain_tickets_sheet(wb, f, tickets: pd.DataFrame | None, n: int, spare: int, progress: Progress) -> None:
    """工单台账: the tickets' input cells, then every computed and helper column as one shared
    formula over the tickets and ``spare`` rows below them; the Excel table 工单, the drop-downs
    and the highlighting cover the same rows (2 … n + spare + 1), so a ticket typed into any of
    them is inside the table, sorted and filtered with the others, and computed at once."""
    ws = ticket_columns(wb, f)
    cols = S.INPUT_COLUMNS
    first = len(cols)
    h0 = first + len(S.COMPUTED_COLUMNS)
    for k, name in enumerate(HELPERS):
        ws.set_column(h0 + k, h0 + k, 10, f["d"] if name == H_DAY else f["helper"])
    ws.set_row(0, 30)
    last = max(n + spare, 1)             # 0-based index of the last prepared row (Excel row last + 1)
    for lo in range(0, n, PROGRESS_ROWS):
        hi = min(n, lo + PROGRESS_ROWS)
        progress(f"写入{S.SHEET_TICKETS}：第 {lo + 1}–{hi} 张工单（共 {n} 张）")
        _write_inputs(ws, tickets.iloc[lo:hi], lo + 1, f)
    progress(f"写入{S.SHEET_TICKETS}：计算列公式（第 2–{last + 1} 行，其中预留空白行 {last - n} 行）")
    template = row_formulas(2)
    columns = [{"header": c.name, "header_format": f["head"]} for c in cols]
    for name in (*S.COMPUTED_COLUMNS, *HELPERS):
        columns.append({"header": name,
                        "header_format": f["helper_head"] if name in HELPERS else f["computed_head"]})
    ws.add_long_table(0, 0, last, len(PLAIN_COLUMNS) - 1, {"name": TABLE_NAME, "style": "Table Style Light 9",
                                                            "columns": columns})
    ws.set_calculated_columns(TABLE_NAME, {name: template[name] for name in (*S.COMPUTED_COLUMNS, *HELPERS)})
    dt_cols = (S.DEADLINE, S.MATERIALS_DUE, S.REPLY_DUE)
    for name in (*S.COMPUTED_COLUMNS, *HELPERS):
        fmt = f["dt"] if name in dt_cols else f["d"] if name == H_DAY else f["helper"] if name in HELPERS else None
        ws.write_shared_formula(1, last, PLAIN_COLUMNS.index(name), template[name], fmt)
    input_validations(ws, last)
    highlight_statuses(wb, ws, PLAIN_COLUMNS.index(S.STATUS), last, first + len(S.COMPUTED_COLUMNS) - 1)
    ws.freeze_panes(1, 1)
    ws.report_rows(lambda row, end: progress(f"保存{S.SHEET_TICKETS}：第 {row + 1}/{end + 1} 行"), PROGRESS_ROWS)


def _write_inputs(ws, frame: pd.DataFrame, first_row: int, f) -> None:
    """The input columns of ``frame`` from 0-based row ``first_row`` on, column by column: dates
    as Excel serial numbers with the column's date format, numbers as numbers, text as text
    (R20: never a formula), bool as 是/否; blank cells stay empty. Typed columns (``datetime64``,
    numbers) are converted whole; only object columns are looked at cell by cell."""
    epoch = np.datetime64("1899-12-30", "ns")
    day = np.timedelta64(86_400_000_000_000, "ns")
    for j, col in enumerate(S.INPUT_COLUMNS):
        if col.name not in frame.columns:
            continue
        values = frame[col.name]
        fmt = f["d"] if col.kind == S.DATE else f["dt"]
        if pd.api.types.is_datetime64_any_dtype(values.dtype):
            serial = (values.to_numpy(dtype="datetime64[ns]") - epoch) / day
            for i in np.flatnonzero(~np.isnan(serial)).tolist():
                ws.write_number(first_row + i, j, serial[i], fmt)
        elif pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype):
            numbers = values.to_numpy(dtype="float64")
            for i in np.flatnonzero(np.isfinite(numbers)).tolist():
                ws.write_number(first_row + i, j, numbers[i])
        else:
            for i, v in enumerate(_column_values(values)):
                if v is None:
                    continue
                if isinstance(v, str):
                    ws.write_string(first_row + i, j, v)
                elif isinstance(v, dt.datetime):
                    ws.write_datetime(first_row + i, j, v, fmt)
                else:
                    ws.write_number(first_row + i, j, v)


def _plain_params(wb, f, ws, as_of) -> None:
    """The 参数 sheet of the plain ledger: a 公式取值 column (the value the formulas use) with one
    named cell per parameter, and the named cell 统计时点."""
    col = 6
    ws.write_string(0, col, "公式取值", f["computed_head"])
    ws.set_column(col, col, 10)
    for i, p in enumerate(PARAMETERS, start=1):
        ws.write_uncached_formula(i, col, _param_value_formula(p, i + 1))
        wb.define_name(param_name(p.code), f"='{S.SHEET_PARAMS}'!${xl_col_to_name(col)}${i + 1}")
    ws.write_string(0, 8, N_AS_OF, f["label"])
    if as_of is None:
        ws.write_uncached_formula(0, 9, "=NOW()", f["setting"])
    else:
        ws.write_datetime(0, 9, pd.Timestamp(as_of).to_pydatetime(), f["setting"])
    ws.write_string(1, 8, "统计时点：判断状态（超期、临期、挂单中、已办结）的时刻。默认=NOW()即当前时刻；"
                          "如需按某一时刻统计，直接填入日期时间，恢复时重新输入 =NOW()。", f["note"])
    ws.set_column(8, 8, 12)
    ws.set_column(9, 9, 17)
    wb.define_name(N_AS_OF, f"='{S.SHEET_PARAMS}'!$J$1")


def _calendar_sheet(wb, f, until: int) -> None:
    days, special, pkg_years = _builtin_days(until)
    ws = wb.add_worksheet(SHEET_CALENDAR)
    heads = ("日期", "内置安排", "节假日表", "工作日", "累计工作日")
    for j, (h, w) in enumerate(zip(heads, (12, 10, 10, 8, 11))):
        ws.write_string(0, j, h, f["head"] if j < 1 else f["computed_head"])
        ws.set_column(j, j, w, f["d"] if j == 0 else None)
    hol = f"'{S.SHEET_HOLIDAYS}'"
    last = len(days)                   # 0-based row of the last day
    serials = days + EXCEL_1970       # Excel's serial number of each day (1900 date system)
    for i, serial in enumerate(serials.tolist(), start=1):
        ws.write_number(i, 0, serial, f["d"])
    for d, kind in special.items():
        ws.write_string(int(d - days[0]) + 1, 1, kind)
    ws.write_shared_formula(1, last, 2, f'=IFERROR(INDEX({hol}!$B:$B,MATCH(A2,{hol}!$A:$A,0))&"","")')
    ws.write_shared_formula(1, last, 3, '=IF(C2="工作日",1,IF(C2="休息日",0,IF(B2="工作日",1,'
                                        'IF(B2="休息日",0,IF(WEEKDAY(A2,2)<6,1,0)))))')
    # running count without a row-to-row chain (deep chains defeat lazy evaluation on load):
    # a year's first day sums from the top, the other days from their year's first day
    for year in range(CALENDAR_FIRST.year, until + 1):
        r0 = day_number(dt.date(year, 1, 1)) - days[0] + 1          # 0-based row of 1 January
        r1 = day_number(dt.date(year, 12, 31)) - days[0] + 1
        ws.write_uncached_formula(r0, 4, f"=SUM($D$2:D{r0 + 1})")
        ws.write_shared_formula(r0 + 1, r1, 4, f"=E${r0 + 1}+SUM(D${r0 + 2}:D{r0 + 2})")
    wb.define_name(N_CAL_FIRST, f"='{SHEET_CALENDAR}'!$A$2")
    wb.define_name(N_CAL_WORK, f"='{SHEET_CALENDAR}'!$D$2:$D${last + 1}")
    wb.define_name(N_CAL_CUM, f"='{SHEET_CALENDAR}'!$E$2:$E${last + 1}")
    # coverage per year (R1): built-in data, or at least one valid row of that year on 节假日
    for j, (h, w) in enumerate(zip(("年份", "内置数据", "节假日表行数", "已收录"), (8, 9, 12, 8)), start=6):
        ws.write_string(0, j, h, f["head"])
        ws.set_column(j, j, w)
    years = range(CALENDAR_FIRST.year, until + 1)
    for i, y in enumerate(years, start=1):
        ws.write_number(i, 6, y)
        ws.write_string(i, 7, "是" if y in pkg_years else "否")
    yl = len(years)
    ws.write_shared_formula(1, yl, 8, "=" + "+".join(
        f'COUNTIFS({hol}!$A:$A,">="&DATE(G2,1,1),{hol}!$A:$A,"<"&DATE(G2+1,1,1),{hol}!$B:$B,"{k}")'
        for k in S.HOLIDAY_KINDS))
    ws.write_shared_formula(1, yl, 9, '=IF(OR(H2="是",I2>0),"是","否")')
    ws.write_string(0, 11, N_COVERED, f["label"])
    ws.write_uncached_formula(0, 12, f'=IFERROR(DATE(INDEX($G$2:$G${yl + 1},MATCH("否",$J$2:$J${yl + 1},0))-1,12,31),'
                                     f"DATE({until},12,31))", f["setting_d"])
    ws.set_column(11, 11, 10)
    ws.set_column(12, 12, 12)
    wb.define_name(N_COVERED, f"='{SHEET_CALENDAR}'!$M$1")
    notes = (
        "本表由本工具生成，请勿改动公式。“工作日”列：节假日表有该日则按节假日表，否则按内置安排（国务院放假调休通知），"
        "再否则按星期（周一至周五上班）。",
        "已收录至：从2004年起连续收录到的最后一天。某年未收录（内置数据和节假日表都没有）时，需要该年日期的期限显示"
        "“缺少YYYY年节假日安排”，不会给出错误日期。每年11月前后把下一年的放假调休安排逐日录入“节假日”表即可。",
        f"日期只到{until}年12月31日：更远的年份请重新生成本台账（{how('regenerate_plain')}）。",
    )
    for k, line in enumerate(notes, start=1):
        ws.write_string(k, 11, line)
    ws.freeze_panes(1, 1)


def _plain_help(params: Params, until: int, spare: int = SPARE_ROWS) -> list[str]:
    P = param_name  # noqa: N806
    return [
        "接诉即办工单台账（通用公式版）使用说明",
        "",
        "一、台账（工单台账表）",
        "1. 每行一张工单，第1行为表头，请勿改动表头文字和右侧计算列的公式。新工单直接填在已有工单下方的空行里："
        f"生成台账时已在表格内预留 {spare:,} 行，计算列的公式、下拉选项和底色都已就绪，填入工单编号等内容即自动计算，"
        "不需要复制公式；没有工单编号的行什么也不显示。",
        "2. 排序、筛选、删除行都不影响计算（每行的公式只引用本行）。一般不必插入行：新工单填在下方空行，"
        "需要按时间排列时按派单时间排序即可（空行总排在最后）。在表格中间插入行时，Excel、WPS 的表格会自动为新行"
        f"带出计算列的公式；LibreOffice 不会，插入后请选中上一行的{S.DEADLINE}到{H_DAY}各列，向下填充到新行（Ctrl+D）。",
        f"3. 预留的空行快用完时，{how('regenerate_plain')}，重新生成一份"
        f"（工单和其他各表原样带过去，另预留 {SPARE_ROWS:,} 行空行），或把最后一行的计算列向下填充。",
        "4. 带下拉箭头的列请从下拉选项中选择；日期时间请按“2024-03-01 09:30”格式填写（须为日期，不能是文字）。",
        "5. 必填：工单编号、派单时间、时限类型；时限类型为“法定”时须填写法定期限。",
        "6. 延期：每次延期填写申请时间和批准的工作日数；挂单：填写挂单开始和挂单结束时间。",
        "",
        "二、计算列（台账右侧，灰色表头；普通公式，Excel、WPS、LibreOffice 打开即可计算，不需要加载项）",
        *computed_help(params),
        f"{S.FLAGS}：延期申请逾期、超出延期限制、挂单超期、挂单未计入、材料逾期、确认超时、退回超时。",
        highlight_help(params),
        f"浅灰色表头的 {'、'.join(HELPERS)} 是辅助列（挂单计入的工作日数、有效的延期工作日数、"
        "基准期限在日历表中的累计工作日数、期限日期），供计算列引用，请勿删除。",
        "期限显示“缺少YYYY年节假日安排”：该年的放假调休安排尚未收录，请在“节假日”表录入该年安排；"
        "显示“缺少派单时间”“时限类型有误”等：按提示补正该行数据。",
        "",
        "三、参数和统计时点",
        f"参数表“值”列可修改，计算列立即按新值重算；“公式取值”列是公式实际使用的值（“值”为空时取默认值），"
        f"以名称 {P('materials_hours')}、{P('warning_hours')} 等引用。",
        f"统计时点（参数表J1，名称“{N_AS_OF}”）：判断状态的时刻，默认 =NOW() 即打开或重算时的当前时刻；"
        "填入某一日期时间即按该时刻统计。",
        f"日历表：2004年至{until}年每一天是否工作日及累计工作日数，工作日按“节假日”表、内置放假安排、星期依次判断；"
        f"名称“{N_COVERED}”为已收录放假安排的最后一天。",
        "",
        "四、通用公式版做不到的事（请用浏览器版或 Excel 加载项）",
        "1. 数据校验：日期写成文字、下拉值不合规等问题只在计算列显示为“数据有误”或提示文字，完整的逐行原因请"
        f"{how('check')}。提示列不含“数据有误：……”的校验信息；填了内容却没有工单编号的行不显示计算结果，"
        "“校验”照常报告缺少工单编号。",
        "2. 节假日表中同一日期录入多次时，公式取第一行，浏览器版和加载项取最后一行；节假日表的日期须为日期格式。",
        "3. 某年未收录而其后某年已收录时，公式一律视为从该年起未收录（浏览器版和加载项只对涉及该年的期限报错）。",
        f"4. 月通报、年度考核、日调度、归档、发送通报：{how('reports')}。期限怎么算出来的（JSJB_EXPLAIN）需加载项。",
        "",
        *other_sheets_help(),
    ]


def write_plain_from(path: str | os.PathLike, source: str | os.PathLike | None = None, *,
                     as_of: dt.datetime | pd.Timestamp | None = None, spare: int = SPARE_ROWS,
                     progress: Progress = _quiet) -> Path:
    """``jsjb template PATH --plain [--from LEDGER] [--spare N]`` in one call: the plain ledger at
    ``path``, filled from ``source`` (its tickets, other sheets and parameters) when given, with
    ``spare`` prepared rows below the last ticket. The source is only read; writing onto it is
    refused (R21). Whether ``path`` may be replaced at all (``--force``) is the caller's decision."""
    if source is None:
        return write_plain_ledger(path, as_of=as_of, spare=spare, progress=progress)
    if Path(path).resolve() == Path(source).resolve():
        raise LedgerError(f"不能把通用公式版台账写到原台账 {Path(source).name} 上：请换一个文件名（原台账不会被修改）。")
    progress(f"读取原台账 {source}")
    sheets, params = read_ledger_sheets(source)
    return write_plain_ledger(path, sheets, params=params, as_of=as_of, spare=spare, progress=progress)
