"""Writing a ledger workbook — the template (empty) or a sample (with data) — from the
core's schema: the 工单台账 table with drop-downs, date formats, frozen header and widths,
and every other sheet of CONTRACT §1 ready to fill.

``workbook/ledger_template.xlsx`` is this module's output for no data; a test regenerates it
and compares semantically.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pandas as pd
import xlsxwriter
from xlsxwriter.utility import xl_col_to_name, xl_rowcol_to_cell

from ..core import schema as S
from ..core.params import PARAMETERS, Params, display
from ..core.scoring import CODES, MANUAL_ITEMS
from .writer import DATE_FMT, DATETIME_FMT, WORKBOOK_OPTIONS, _column_values, atomic_path

TABLE_NAME = "工单"
VALIDATION_ROWS = 5000        # drop-downs reach at least this far below the header
TABLE_LIMIT = 200_000         # above this, no Excel table (XlsxWriter's constant-memory mode)

HOLIDAY_HELP = (
    "何时填写本表：内置节假日数据（chinesecalendar）收录到某一年为止。每年11月前后国务院办公厅公布下一年的"
    "放假调休安排，届时请把下一年的每个放假日（类型=休息日）和调休上班的周末（类型=工作日）逐日录入本表；"
    "只要本表录入了某年的任一日期，系统即认为该年已收录。本表优先于内置数据，也可用于更正个别日期。"
)
def _hours(value: object) -> str:
    return display(value)


def other_sheets_help() -> list[str]:
    """The 使用说明 lines about the sheets besides 工单台账 (shared by both templates)."""
    return [
        "五、其他工作表",
        "承办企业：企业名称、简称、联系人、邮箱（发送通报用）。",
        "节假日：补录或更正放假调休安排。" + HOLIDAY_HELP,
        "参数：规则中的可调参数，修改“值”列即可，“依据”列为规定条款。",
        "加减分：扣分项（D1–D7）和加分项（B1–B6）登记。",
        "考核录入：年度考核的人工评分项目（组织机构、制度建设、知识库建设、重视程度）。",
        "",
        "保密提示（第20条）：本台账含来话人个人信息，请勿外传；系统生成的通报和清单已做脱敏处理。",
    ]


def computed_help(params: Params) -> list[str]:
    """What each computed column means, with the numbers of the parameters in force (#10)."""
    return [
        f"{S.DEADLINE}：最终办理期限（工作日按国务院放假调休安排计算，含延期、挂单）。",
        f"{S.MATERIALS_DUE}：回复材料提交截止时间（期限前{_hours(params.materials_hours)}小时）。",
        f"{S.REPLY_DUE}：企业答复是否本企业工单的时限（转办后{_hours(params.reply_hours)}小时）。",
        f"{S.STATUS}：已退回 / 挂单中 / 已办结 / 超期未办结 / 临期 / 在办。",
        f"{S.TIMELY}：已办结工单是否在期限内办结。",
    ]


def highlight_help(params: Params) -> str:
    return (f"行的底色：红色=超期未办结，黄色=临期（到期前{_hours(params.warning_hours)}小时内），"
            "灰色=挂单中。")


def _help_lines(params: Params | None = None) -> list[str]:
    params = params if params is not None else Params()
    return [
        "接诉即办工单台账 使用说明",
        "",
        "一、台账（工单台账表）",
        "1. 每行一张工单，第1行为表头，请勿改动表头文字；列的顺序可以调整，也可以在右侧增加自用列。",
        "2. 带下拉箭头的列请从下拉选项中选择；日期时间请按“2024-03-01 09:30”格式填写。",
        "3. 必填：工单编号、派单时间、时限类型；时限类型为“法定”时须填写法定期限。",
        "4. 延期：每次延期填写申请时间和批准的工作日数；挂单：填写挂单开始和挂单结束时间。",
        "",
        "二、计算列（台账右侧，灰色表头；每列一个公式，随台账自动延伸，需安装 Excel 加载项）",
        *computed_help(params),
        f"{S.FLAGS}：延期申请逾期、超出延期限制、挂单超期、材料逾期、确认超时、退回超时等提示。",
        highlight_help(params),
        "单元格函数（可在任意单元格使用）：JSJB_WORKDAY(开始,天数) 推算工作日；JSJB_NETWORKDAYS(开始,结束) 计算工作日数；",
        "JSJB_DEADLINE、JSJB_STATUS、JSJB_SCORE(项目,比率)；JSJB_EXPLAIN(派单时间,时限类型,…) 说明期限是怎么算出来的。",
        "单元格显示“#错误：……”时，按提示修改对应的输入即可。",
        "",
        "三、按钮（功能区“接诉即办”选项卡，需安装加载项，见 docs/安装说明.md）",
        "刷新：重新计算并把计算结果写入“计算结果”表（供未安装加载项的同事查看）。",
        "日调度 / 月通报 / 年度考核 / 归档 / 发送通报：生成相应的工作簿，保存在台账所在文件夹。",
        "",
        "四、没有 Excel 加载项时（WPS、信创电脑）",
        "用浏览器版的同名按钮（校验、刷新、日调度、月通报……），或改用计算列为普通公式的通用台账（浏览器版首页“生成通用台账”）；"
        "定时任务由信息化人员按安装说明设置。",
        "",
        *other_sheets_help(),
    ]


def write_ledger(path: str | os.PathLike, sheets: dict[str, pd.DataFrame] | None = None,
                 computed: pd.DataFrame | None = None, *, params: Params | None = None) -> Path:
    """Write a ledger workbook at ``path`` (atomically). ``sheets`` may give 工单台账, 承办企业,
    节假日, 加减分, 考核录入 data as DataFrames keyed by header; missing ones are left empty.
    ``params`` (default: the defaults) fills the 参数 sheet and the numbers of 使用说明."""
    sheets = sheets or {}
    params = params if params is not None else Params()
    tickets = sheets.get(S.SHEET_TICKETS)
    n = 0 if tickets is None else len(tickets)
    constant_memory = n > TABLE_LIMIT

    def write(tmp: str) -> None:
        wb = xlsxwriter.Workbook(tmp, {**WORKBOOK_OPTIONS, "constant_memory": constant_memory})
        wb.set_properties({"title": "接诉即办工单台账", "subject": "12345热线工单台账",
                           "comments": "由 jsjb 生成"})
        f = formats(wb)
        _tickets_sheet(wb, f, tickets, constant_memory, computed)
        other = write_other_sheets(wb, f, sheets, params)
        _as_of_cell(wb, other[S.SHEET_PARAMS])
        write_help(wb, f, _help_lines(params))
        wb.worksheets()[0].activate()
        wb.close()

    return atomic_path(Path(path), write)


def formats(wb) -> dict:
    """The cell formats both ledger templates use."""
    return {
        "head": wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True,
                               "valign": "vcenter", "align": "center"}),
        "dt": wb.add_format({"num_format": DATETIME_FMT}),
        "d": wb.add_format({"num_format": DATE_FMT}),
        "wrap": wb.add_format({"text_wrap": True, "valign": "top"}),
        "title": wb.add_format({"bold": True, "font_size": 14}),
        "note": wb.add_format({"italic": True, "font_color": "#595959", "text_wrap": True}),
        "computed_head": wb.add_format({"bold": True, "bg_color": "#D9D9D9", "border": 1, "text_wrap": True,
                                        "valign": "vcenter", "align": "center"}),
    }


def write_other_sheets(wb, f, sheets: dict, params: Params) -> dict:
    """承办企业, 节假日, 参数, 加减分, 考核录入 (CONTRACT §1), in this order; returns them by name."""
    out = {}
    out[S.SHEET_ENTERPRISES] = _simple_sheet(wb, f, S.SHEET_ENTERPRISES, S.ENTERPRISE_COLUMNS,
                                             sheets.get(S.SHEET_ENTERPRISES), widths=(34, 12, 10, 28))
    ws = _simple_sheet(wb, f, S.SHEET_HOLIDAYS, S.HOLIDAY_COLUMNS, sheets.get(S.SHEET_HOLIDAYS),
                       widths=(12, 10, 30), dates=("日期",))
    ws.data_validation(1, 1, 2000, 1, {"validate": "list", "source": list(S.HOLIDAY_KINDS)})
    ws.write_string(0, 4, HOLIDAY_HELP, f["note"])
    ws.set_column(4, 4, 60)
    out[S.SHEET_HOLIDAYS] = ws
    out[S.SHEET_PARAMS] = _params_sheet(wb, f, params)
    ws = _simple_sheet(wb, f, S.SHEET_ADJUSTMENTS, S.ADJUSTMENT_COLUMNS, sheets.get(S.SHEET_ADJUSTMENTS),
                       widths=(12, 34, 8, 8, 36), dates=("日期",))
    ws.data_validation(1, 2, 5000, 2, {"validate": "list", "source": list(CODES)})
    ws.write_string(0, 6, "代码", f["head"])
    ws.write_string(0, 7, "分值", f["head"])
    ws.write_string(0, 8, "事项", f["head"])
    ws.write_string(0, 9, "依据", f["head"])
    for i, c in enumerate(CODES.values(), start=1):
        ws.write_string(i, 6, c.code)
        ws.write_number(i, 7, c.points)
        ws.write_string(i, 8, c.label)
        ws.write_string(i, 9, c.article)
    ws.set_column(8, 8, 30)
    ws.set_column(9, 9, 30)
    out[S.SHEET_ADJUSTMENTS] = ws
    ws = _simple_sheet(wb, f, S.SHEET_MANUAL, S.MANUAL_COLUMNS, sheets.get(S.SHEET_MANUAL),
                       widths=(8, 34, 10, 10, 12, 10))
    for j, (item, maximum) in enumerate(MANUAL_ITEMS.items(), start=2):
        ws.data_validation(1, j, 2000, j, {"validate": "decimal", "criteria": "between",
                                           "minimum": 0, "maximum": maximum,
                                           "error_title": "超出分值范围",
                                           "error_message": f"{item}应在0到{maximum:g}分之间"})
    out[S.SHEET_MANUAL] = ws
    return out


def write_help(wb, f, lines: list[str]):
    ws = wb.add_worksheet(S.SHEET_HELP)
    ws.set_column(0, 0, 110, f["wrap"])
    for i, line in enumerate(lines):
        ws.write_string(i, 0, line, f["title"] if i == 0 else None)
    return ws


HOLIDAYS_REF = "'节假日'!$A$2:$C$3000"
PARAMS_REF = "'参数'!$A$2:$B$200"


def _col(name: str) -> str:
    return f"{TABLE_NAME}[{name}]"


AS_OF_NAME = S.AS_OF_NAME    # the named cell the status columns judge at; the 刷新 button writes the moment


def _as_of_cell(wb, ws) -> None:
    """参数!J1, named 统计时点: blank until 刷新 writes the moment (blank = the time of the last
    recalculation). The column functions are not volatile, so editing elsewhere never recomputes all."""
    ws.write_string(0, 8, AS_OF_NAME)
    ws.write_blank(0, 9, None)
    ws.write_string(1, 8, "状态、是否及时、提示按此时刻判断；点“刷新”按钮更新为当前时刻，也可手工填写某一时刻。")
    wb.define_name(AS_OF_NAME, f"='{S.SHEET_PARAMS}'!$J$1")


def computed_formulas() -> dict[str, str]:
    """One spilling formula per computed column (row 2, just right of the table): each calls
    a UDF of ``xlfuncs`` over whole table columns, so it grows with the table."""
    first = len(S.INPUT_COLUMNS)
    anchor = xl_rowcol_to_cell(1, first)                 # 办理期限, e.g. AE2
    deadline = f"ANCHORARRAY({anchor})"                  # Excel shows it as AE2#
    return {
        S.DEADLINE: (f"=JSJB_DEADLINE({_col(S.DISPATCHED)},{_col(S.LIMIT_TYPE)},{_col(S.LEGAL_DATE)},"
                     f"{_col(S.EXT1_DAYS)}+{_col(S.EXT2_DAYS)},{_col(S.HOLD_START)},{_col(S.HOLD_END)},"
                     f"{HOLIDAYS_REF},{PARAMS_REF})"),
        S.MATERIALS_DUE: f"=JSJB_MATERIALS_DUE({deadline},{_col(S.DISPATCHED)},{PARAMS_REF})",
        S.REPLY_DUE: f"=JSJB_REPLY_DUE({_col(S.FORWARDED)},{PARAMS_REF})",
        S.STATUS: (f"=JSJB_STATUS({deadline},{_col(S.CLOSED)},{_col(S.RETURNED)},{_col(S.HOLD_START)},"
                   f"{_col(S.HOLD_END)},{AS_OF_NAME},{PARAMS_REF})"),
        S.TIMELY: f"=JSJB_TIMELY({deadline},{_col(S.CLOSED)},{_col(S.RETURNED)},{AS_OF_NAME})",
        S.FLAGS: f"=JSJB_FLAGS({TABLE_NAME}[#All],{HOLIDAYS_REF},{PARAMS_REF},{AS_OF_NAME})",
    }


COMPUTED_WIDTHS = {S.DEADLINE: 17, S.MATERIALS_DUE: 17, S.REPLY_DUE: 17, S.STATUS: 11, S.TIMELY: 9, S.FLAGS: 36}
HIGHLIGHTS = ((S.ST_OVERDUE, "#F8CBAD"), (S.ST_DUE_SOON, "#FFE699"), (S.ST_ON_HOLD, "#D9D9D9"))


def ticket_columns(wb, f):
    """A new 工单台账 sheet with the widths and date formats of the input and computed columns."""
    ws = wb.add_worksheet(S.SHEET_TICKETS)
    first = len(S.INPUT_COLUMNS)
    for j, col in enumerate(S.INPUT_COLUMNS):
        fmt = f["dt"] if col.kind == S.DATETIME else f["d"] if col.kind == S.DATE else None
        ws.set_column(j, j, col.width, fmt)
    for k, name in enumerate(S.COMPUTED_COLUMNS):
        fmt = f["dt"] if name in (S.DEADLINE, S.MATERIALS_DUE, S.REPLY_DUE) else None
        ws.set_column(first + k, first + k, COMPUTED_WIDTHS[name], fmt)
    return ws


def _tickets_sheet(wb, f, tickets: pd.DataFrame | None, constant_memory: bool,
                   computed: pd.DataFrame | None = None) -> None:
    """The 工单台账 sheet. ``computed`` (documentation pictures only) writes the computed
    columns as values instead of the formulas, to show what Excel displays with the add-in."""
    ws = ticket_columns(wb, f)
    cols = S.INPUT_COLUMNS
    first = len(cols)
    n = 0 if tickets is None else len(tickets)
    ws.set_row(0, 30)
    for j, col in enumerate(cols):
        ws.write_string(0, j, col.name, f["head"])
    for k, name in enumerate(S.COMPUTED_COLUMNS):
        ws.write_string(0, first + k, name, f["computed_head"])
    formulas = computed_formulas()
    if computed is None:       # first: in constant-memory mode rows go in order, columns in any order
        for k, name in enumerate(S.COMPUTED_COLUMNS):
            ws.write_dynamic_array_formula(1, first + k, 1, first + k, formulas[name],
                                           f["dt"] if name in (S.DEADLINE, S.MATERIALS_DUE, S.REPLY_DUE) else None)
    if n:
        columns = [c.name for c in cols]
        formats = [f["d"] if c.kind == S.DATE else f["dt"] for c in cols]
        frame = tickets
        if computed is not None:
            frame = pd.concat([tickets.reindex(columns=columns), computed[list(S.COMPUTED_COLUMNS)]], axis=1)
            columns += list(S.COMPUTED_COLUMNS)
            formats += [f["dt"]] * len(S.COMPUTED_COLUMNS)
        write_rows(ws, frame, columns, formats)
    last = max(n, 1)
    if not constant_memory:
        ws.add_table(0, 0, last, first - 1, {
            "name": TABLE_NAME, "style": "Table Style Light 9",
            "columns": [{"header": c.name, "header_format": f["head"]} for c in cols],
        })
    else:
        ws.autofilter(0, 0, n, first - 1)
    span = max(n + 1, VALIDATION_ROWS)
    input_validations(ws, span)
    highlight_statuses(wb, ws, first + S.COMPUTED_COLUMNS.index(S.STATUS), span, first + len(S.COMPUTED_COLUMNS) - 1)
    ws.freeze_panes(1, 1)


def input_validations(ws, span: int) -> None:
    """Drop-downs and checks of the input columns (A…AD), rows 2…span+1."""
    for j, col in enumerate(S.INPUT_COLUMNS):
        if col.vocab:
            ws.data_validation(1, j, span, j, {
                "validate": "list", "source": list(col.vocab),
                "error_title": f"{col.name}取值不正确", "error_message": "请从下拉选项中选择：" + "、".join(col.vocab)})
        elif col.kind == S.DAYS:
            ws.data_validation(1, j, span, j, {"validate": "integer", "criteria": ">=", "value": 1,
                                               "error_title": "工作日数不正确", "error_message": "请填写不小于1的整数"})
        elif col.kind in (S.DATETIME, S.DATE):
            ws.data_validation(1, j, span, j, {"validate": "date", "criteria": "between",
                                               "minimum": dt.date(2000, 1, 1), "maximum": dt.date(2099, 12, 31),
                                               "error_type": "warning", "error_title": "日期时间格式",
                                               "error_message": "请填写日期时间，如 2024-03-01 09:30"})


def highlight_statuses(wb, ws, status_col: int, span: int, last_col: int) -> None:
    """Row colours by 状态: overdue red, due soon yellow, on hold grey (HIGHLIGHTS)."""
    letter = xl_col_to_name(status_col)
    for status, color in HIGHLIGHTS:
        ws.conditional_format(1, 0, span, last_col, {
            "type": "formula", "criteria": f'=${letter}2="{status}"',
            "format": wb.add_format({"bg_color": color})})


def _simple_sheet(wb, f, name, columns, frame, *, widths=(), dates=()):
    ws = wb.add_worksheet(name)
    for j, c in enumerate(columns):
        ws.write_string(0, j, c, f["head"])
        ws.set_column(j, j, widths[j] if j < len(widths) else 12, f["d"] if c in dates else None)
    if frame is not None and len(frame):
        write_rows(ws, frame, columns, [f["d"]] * len(columns))
    ws.freeze_panes(1, 0)
    return ws


def write_rows(ws, frame: pd.DataFrame, columns, date_formats) -> None:
    """``frame``'s ``columns`` (missing ones blank) as values from row 2 on: text as text (R20),
    date-times with ``date_formats[j]``, numbers as numbers; blanks stay empty."""
    n = len(frame)
    data = [_column_values(frame[c]) if c in frame.columns else [None] * n for c in columns]
    for i, row in enumerate(zip(*data), start=1):
        for j, v in enumerate(row):
            if v is None:
                continue
            if isinstance(v, str):
                ws.write_string(i, j, v)
            elif isinstance(v, dt.datetime):
                ws.write_datetime(i, j, v, date_formats[j])
            else:
                ws.write_number(i, j, v)


def _params_sheet(wb, f, params: Params | None = None):
    """The 参数 sheet: one row per parameter (code, value in force, description, article, …),
    in the order of PARAMETERS: row i+2 holds PARAMETERS[i]."""
    params = params if params is not None else Params()
    ws = wb.add_worksheet(S.SHEET_PARAMS)
    for j, (c, w) in enumerate(zip(S.PARAM_COLUMNS + ("单位", "规则"), (30, 10, 56, 40, 8, 8))):
        ws.write_string(0, j, c, f["head"])
        ws.set_column(j, j, w)
    for i, p in enumerate(PARAMETERS, start=1):
        ws.write_string(i, 0, p.code)
        current = params[p.code]
        value = display(current)
        if isinstance(current, (int, float)) and not isinstance(current, bool):
            ws.write_number(i, 1, current)
        else:
            ws.write_string(i, 1, value)
        if p.kind == "是/否":
            ws.data_validation(i, 1, i, 1, {"validate": "list", "source": ["是", "否"]})
        elif p.choices:
            ws.data_validation(i, 1, i, 1, {"validate": "list", "source": list(p.choices)})
        ws.write_string(i, 2, p.description)
        ws.write_string(i, 3, p.article)
        ws.write_string(i, 4, p.unit)
        ws.write_string(i, 5, p.rule)
    ws.freeze_panes(1, 1)
    return ws
