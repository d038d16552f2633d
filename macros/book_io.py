"""Reading the calling workbook and writing output sheets through the xlwings API.

Output sheets (计算结果, 月通报, 年度考核, 日调度, 归档, 运行记录, 核对结果) are written; the input columns are
never touched (R21). Three deliberate exceptions: 刷新 writes the moment into the named cell 统计时点
and re-enters a computed column's formula where Excel did not bind it (:func:`refresh_formulas`);
导入节假日 appends rows to 节假日 after the clerk confirmed (:func:`append_holiday_rows`, R23); and
导入工单 appends the new tickets below the last ticket after the clerk confirmed (:func:`append_tickets`,
R24) — into empty rows only, never over an existing one.
Text that Excel would not keep as text — a formula start
(R20), or what it converts on entry: "001" → 1, date-like text → a date, long digit strings → a
rounded number, TRUE/FALSE → a boolean — is written with a leading apostrophe, Excel's text marker
(xlwings #1269, #2247). Error cells (#N/A …) are read as their text, not as blanks.
"""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pandas as pd
from xlsxwriter.utility import xl_cell_to_rowcol, xl_col_to_name

from jsjb.core import schema as S
from jsjb.core.errors import LedgerError
from jsjb.core.headers import SHEET_ALIASES, Aliases, map_headers
from jsjb.core.ledger import Ledger, build
from jsjb.core.masking import is_formula_like

INPUT_SHEETS = (S.SHEET_TICKETS, S.SHEET_ENTERPRISES, S.SHEET_HOLIDAYS, S.SHEET_PARAMS, S.SHEET_ADJUSTMENTS,
                S.SHEET_MANUAL, SHEET_ALIASES)
OUTPUT_SHEETS = ("计算结果", "月通报", "年度考核", "日调度", "归档", "运行记录", "核对结果")


def calling_book():
    """The ledger the user is working on: the caller, or — when the caller is the add-in
    itself (RunPython from a ribbon button) — the active workbook."""
    import xlwings as xw

    book = xw.Book.caller()
    if str(book.name).lower().endswith(".xlam"):
        book = xw.books.active
    return book


def sheet_names(book) -> list[str]:
    return [s.name for s in book.sheets]


def read_sheet(book, name: str) -> pd.DataFrame | None:
    """A sheet's used range → DataFrame by header (row 1 of the used range)."""
    if name not in sheet_names(book):
        return None
    rng = book.sheets[name].used_range
    values = rng.options(ndim=2, err_to_str=True).value
    if not values or not values[0]:
        return pd.DataFrame()
    header = ["" if h is None else str(h).strip() for h in values[0]]
    frame = pd.DataFrame(values[1:], columns=header, dtype=object)
    frame = frame.loc[:, [bool(h) for h in header]]
    return frame.loc[:, ~frame.columns.duplicated()]


def read_ledger(book) -> Ledger:
    sheets = {name: read_sheet(book, name) for name in INPUT_SHEETS}
    return build(sheets, source=str(book.name))


def cell(v):
    """One value as Excel should receive it (values only; formula-like text escaped)."""
    if v is None or v is pd.NaT or v is pd.NA:
        return None
    if isinstance(v, float) and np.isnan(v):
        return None
    if isinstance(v, (list, tuple)):
        v = "；".join(map(str, v))
        return v or None
    if isinstance(v, pd.Timestamp):
        return v.to_pydatetime()
    if isinstance(v, np.datetime64):
        return None if np.isnat(v) else pd.Timestamp(v).to_pydatetime()
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating,)):
        return float(v)
    if isinstance(v, np.bool_ | bool):
        return "是" if v else "否"
    if isinstance(v, str) and (is_formula_like(v) or converted_by_excel(v)):
        return "'" + v
    if isinstance(v, (dt.datetime, dt.date, int, float, str)):
        return v
    return str(v)


# Text Excel turns into a number, date, time or boolean when it is entered: digits with signs,
# separators, currency, percent, exponent; dates and times (2025-01-02, 1/2, 10:30, 2025年1月2日,
# 3-Jan); TRUE/FALSE. Matching a little more than Excel converts is harmless (the marker is invisible).
_CONVERTIBLE = re.compile(r"[\s\d+\-.,/:%$¥￥()eE年月日时分秒]*\d[\s\d+\-.,/:%$¥￥()eE年月日时分秒]*"
                          r"|[\s\d\-/]*(?i:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*[\s\d\-/,]*"
                          r"|(?i:true|false)|.*(?i:\d\s*(?:am|pm))")


def converted_by_excel(text: str) -> bool:
    """Would Excel store this text as something else than the same text?"""
    return bool(text) and _CONVERTIBLE.fullmatch(text.strip()) is not None


def frame_values(frame: pd.DataFrame) -> list[list]:
    cols = [frame[c].tolist() for c in frame.columns]
    rows = [list(map(str, frame.columns))]
    rows += [[cell(v) for v in row] for row in zip(*cols)]
    return rows


def write_sheet(book, name: str, blocks: list[list[list]]):
    """Replace the content of output sheet ``name`` with the given blocks of rows (stacked,
    one blank row between blocks). Creates the sheet after the last one if missing."""
    if name not in OUTPUT_SHEETS:
        raise ValueError(f"{name} is not an output sheet")
    if name in sheet_names(book):
        sheet = book.sheets[name]
        sheet.clear()
    else:
        sheet = book.sheets.add(name, after=book.sheets[len(book.sheets) - 1])
    row = 1
    for block in blocks:
        if not block:
            continue
        width = max(len(r) for r in block)
        padded = [list(r) + [None] * (width - len(r)) for r in block]
        sheet.range((row, 1)).value = padded
        row += len(padded) + 1
    return sheet


def append_holiday_rows(book, rows: list[list]) -> None:
    """Append (日期, 类型, 说明) rows under the last used row of 节假日 — the one input sheet a button may
    change, and only after the user confirmed (R23). Creates the sheet with its header if missing."""
    if S.SHEET_HOLIDAYS in sheet_names(book):
        sheet = book.sheets[S.SHEET_HOLIDAYS]
        last = sheet.used_range.last_cell.row
        if last == 1 and sheet.range((1, 1)).value is None:
            sheet.range((1, 1)).value = [list(S.HOLIDAY_COLUMNS)]
    else:
        sheet = book.sheets.add(S.SHEET_HOLIDAYS, after=book.sheets[len(book.sheets) - 1])
        sheet.range((1, 1)).value = [list(S.HOLIDAY_COLUMNS)]
        last = 1
    sheet.range((last + 1, 1)).value = [[cell(v) for v in row] for row in rows]


def append_tickets(book, rows: pd.DataFrame, first: int, aliases: Aliases | None = None) -> int:
    """Write ``rows`` (the new tickets, columns by the ledger's input names) into 工单台账 from sheet row
    ``first`` on, each column under its header (the sheet's own order; headers mapped as the reader maps
    them), input columns only — a computed or clerk's column between them is left alone. Refuses
    (LedgerError) when any cell of those rows, from the first to the last input column, already holds
    something (a clerk's note too): an existing row is never changed.
    Grows the sheet's Excel table over the new rows. Returns ``first``."""
    sheet = book.sheets[S.SHEET_TICKETS]
    width = sheet.used_range.last_cell.column
    header = sheet.range((1, 1), (1, width)).options(ndim=1).value or []
    columns = map_headers(["" if h is None else str(h) for h in header], aliases, ledger=True).columns
    spots = sorted((j, name) for j, name in columns.items() if name in rows.columns)
    n = len(rows)
    if not n or not spots:
        return first
    last = first + n - 1
    lo, hi = spots[0][0] + 1, spots[-1][0] + 1
    present = sheet.range((first, lo), (last, hi)).options(ndim=2, err_to_str=True).value or []
    taken = [(first + i, j) for i, row in enumerate(present) for j, v in enumerate(row, start=lo)
             if v not in (None, "")]
    if taken:
        r, j = taken[0]
        name = header[j - 1] if j - 1 < len(header) and header[j - 1] else f"第{j}"
        raise LedgerError(f"“{S.SHEET_TICKETS}”表第{r}行已有内容（{name}列），新工单不会写在已有的行上："
                          f"请检查该表末尾的行后重试。")
    runs: list[list[tuple[int, str]]] = []
    for j, name in spots:                         # contiguous runs of input columns: one write each
        if runs and runs[-1][-1][0] == j - 1:
            runs[-1].append((j, name))
        else:
            runs.append([(j, name)])
    for run in runs:
        values = [[cell(v) for v in row] for row in zip(*(rows[name].tolist() for _, name in run))]
        sheet.range((first, run[0][0] + 1)).value = values
    _grow_tables(sheet, last)
    return first


def _grow_tables(sheet, last: int) -> None:
    """The Excel table (ListObject) of 工单台账 extended down to row ``last`` when it ends above it."""
    try:
        tables = list(sheet.tables)
    except Exception:  # noqa: BLE001 - an engine without tables
        return
    for table in tables:
        try:
            rng = table.range
            if rng.row == 1 and rng.last_cell.row < last:
                table.resize(sheet.range((1, rng.column), (last, rng.last_cell.column)))
        except Exception:  # noqa: BLE001 - the rows are written; a table that cannot grow is cosmetic
            continue


_ANCHOR = re.compile(r"(?:_xlfn\.)?ANCHORARRAY\(\$?([A-Z]{1,3})\$?(\d+)\)")


def excel_formula(file_formula: str, columns: dict[str, int] | None = None) -> str:
    """A formula as stored in the file (XlsxWriter's ``ANCHORARRAY(AE2)``) → as typed in Excel
    (``AE2#``). A spill reference names another computed column (办理期限) by its place in the
    template; ``columns`` (header → 1-based column of the ledger at hand) moves it to where that
    column stands now — the clerk may have added or moved columns (README)."""
    template = [*S.INPUT_NAMES, *S.COMPUTED_COLUMNS]

    def anchor(m: re.Match) -> str:
        col, row = m.group(1), m.group(2)
        index = xl_cell_to_rowcol(f"{col}1")[1] + 1
        if columns and index <= len(template) and template[index - 1] in columns:
            col = xl_col_to_name(columns[template[index - 1]] - 1)
        return f"{col}{row}#"

    return _ANCHOR.sub(anchor, file_formula)


def refresh_formulas(book, when) -> list[str]:
    """刷新's part in the computed columns of 工单台账: write ``when`` into the cell named 统计时点 (when
    the ledger has it; the non-volatile column functions that take it recompute), and re-enter a
    column's spilling formula where it is missing, shows #NAME? (a function name Excel did not bind
    to the add-in when the file was written by another program), or — without 统计时点 — to make
    STATUS/TIMELY/FLAGS take the current time. Each column is found by its header, and a formula
    that reads another computed column (办理期限's spill) is pointed at where that column stands.
    Returns the computed columns re-entered."""
    from jsjb.jobs import ledger_formulas

    stamped = False
    try:
        book.names[S.AS_OF_NAME].refers_to_range.value = when
        stamped = True
    except Exception:  # noqa: BLE001 - a ledger without the name (older template)
        pass
    sheet = book.sheets[S.SHEET_TICKETS]
    header = sheet.range((1, 1)).expand("right").options(ndim=1).value or []
    columns = {str(name).strip(): col for col, name in enumerate(header, start=1) if name not in (None, "")}
    formulas = ledger_formulas()
    redone = []
    for name, col in columns.items():
        if name not in formulas:
            continue
        anchor = sheet.range((2, col))
        wanted = excel_formula(formulas[name], columns)
        current = str(anchor.formula2 or "")
        value = anchor.options(err_to_str=True).value
        if not stamped or not current.startswith("=JSJB_") or value == "#NAME?":
            anchor.formula2 = wanted
            redone.append(name)
    return redone
