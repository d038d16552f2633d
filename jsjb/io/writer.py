"""Writing new workbooks: values only, every string as a string cell (R20), atomic (temp file in
the target folder, then rename — R21), formats defined once.

XlsxWriter writes every workbook in the default install. The opt-in extra ``jsjb[fast-writer]``
(rvgsrust-xlsxwriter, a young Rust binding) writes whole-ledger tables and long lists faster, with
the same cells (tests/test_book_engines.py); ``JSJB_WRITER=xlsxwriter`` turns it off again.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..core.display import MAX_CELL_TEXT, fit_cell

DATETIME_FMT = "yyyy-mm-dd hh:mm"
DATE_FMT = "yyyy-mm-dd"
PERCENT_FMT = "0.00%"

WORKBOOK_OPTIONS = {
    "strings_to_formulas": False,   # R20: "=…" typed by a citizen stays text
    "strings_to_urls": False,
    "strings_to_numbers": False,
    "nan_inf_to_errors": True,
    "remove_timezone": True,
}


@dataclass
class Table:
    """One sheet: a DataFrame written as a header row plus values, starting at ``first_row``."""

    name: str
    frame: pd.DataFrame
    title: str | None = None            # a title line above the header
    notes: list[str] = field(default_factory=list)   # lines under the table (e.g. parameters used)
    widths: dict[str, float] = field(default_factory=dict)
    percent: tuple[str, ...] = ()
    dates: tuple[str, ...] = ()        # columns to show as dates (others datetime as date-time)
    landscape: bool = True


def atomic_path(path: Path, write: Callable[[str], None]) -> Path:
    """Run ``write(tmp)`` on a temp file next to ``path``, then rename it onto ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".~jsjb-", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    try:
        write(tmp)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)          # mkstemp makes 0600; outputs are ordinary files
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    return path


def _column_values(col: pd.Series) -> list:
    """A column → Python values for XlsxWriter (None for missing)."""
    if pd.api.types.is_datetime64_any_dtype(col.dtype):
        arr = col.to_numpy(dtype="datetime64[us]")
        mask = np.isnat(arr)
        values = arr.astype(object)
        return [None if m else v for v, m in zip(values, mask)]
    if pd.api.types.is_bool_dtype(col.dtype):
        return ["是" if v else "否" for v in col.to_numpy()]
    if pd.api.types.is_numeric_dtype(col.dtype):
        arr = col.to_numpy(dtype="float64")
        return [None if np.isnan(v) else (int(v) if v.is_integer() and abs(v) < 2**53 else float(v)) for v in arr]
    out = []
    for v in col.to_numpy(dtype=object):
        if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NaT:
            out.append(None)
        elif isinstance(v, bool):
            out.append("是" if v else "否")
        elif isinstance(v, (list, tuple)):
            out.append("；".join(map(str, v)) or None)
        elif isinstance(v, (pd.Timestamp, dt.datetime, dt.date)):
            out.append(pd.Timestamp(v).to_pydatetime())
        elif isinstance(v, (int, float, np.integer, np.floating)):
            out.append(v.item() if hasattr(v, "item") else v)
        else:
            out.append(fit_cell(str(v)))
    return out


def column_cells(col: pd.Series) -> tuple[str, list]:
    """One column as (kind, cell values) for XlsxWriter, converted as a whole (Arrow/NumPy), not
    cell by cell: "date" → Excel serials (written as numbers with a date format, as XlsxWriter's
    write_datetime stores them), "number" → floats, "text" → strings cut to a cell's limit with
    "" as None, "mixed" → :func:`_column_values`. None is a missing value (no cell written)."""
    arr, kind = _arrow_column(col)
    if arr is None:
        return "mixed", _column_values(col)
    return kind, arr.to_pylist()


def _cell_writer(ws, kind: str, date_format, number_format):
    """The write call for one column's values, chosen once from its kind (not per cell)."""
    if kind == "text":
        return ws.write_string
    if kind == "date":
        return lambda r, c, v: ws.write_number(r, c, v, date_format)
    if kind == "number":
        return lambda r, c, v: ws.write_number(r, c, v, number_format)

    def mixed(r, c, v):
        if isinstance(v, str):
            ws.write_string(r, c, v)
        elif isinstance(v, dt.datetime):
            ws.write_datetime(r, c, v, date_format)
        elif isinstance(v, (int, float)):
            ws.write_number(r, c, v, number_format)
        else:
            ws.write_string(r, c, str(v))
    return mixed


BIG_TABLE = 20_000      # rows above which workbooks are streamed (XlsxWriter constant-memory mode)
CHUNK_ROWS = 50_000     # rows converted to Python values at once (bounds memory on million-row tables)
EXCEL_MAX_ROWS = 1_048_576


def split_for_excel(tables: list[Table], max_rows: int = EXCEL_MAX_ROWS) -> list[Table]:
    """Excel sheets hold 1,048,576 rows; XlsxWriter silently skips rows past that. A table too
    long for one sheet continues on sheets named “名称（续2）”, “名称（续3）”… so no row is lost."""
    out = []
    for t in tables:
        room = max_rows - (3 if t.title else 1) - (len(t.notes) + 2 if t.notes else 0)
        if len(t.frame) <= room:
            out.append(t)
            continue
        for k, start in enumerate(range(0, len(t.frame), room), start=1):
            name = t.name if k == 1 else f"{t.name[:26]}（续{k}）"
            out.append(Table(name, t.frame.iloc[start:start + room], t.title, t.notes, t.widths, t.percent, t.dates,
                             t.landscape))
    return out


def write_tables(path: str | os.PathLike, tables: list[Table], *, constant_memory: bool | None = None) -> Path:
    """Write the tables as sheets of a new workbook at ``path`` (atomically). Large tables are
    streamed row by row (constant memory) unless told otherwise.

    Through XlsxWriter, each column converted to cell values at once (:func:`column_cells`); with
    the opt-in Rust writer (:func:`rust_writer`) through :func:`_write_tables_rust` — the same
    sheets, formats and print setup — except tables it cannot take."""
    if constant_memory is None:
        constant_memory = max((len(t.frame) for t in tables), default=0) > BIG_TABLE
    tables = split_for_excel(tables)
    if rust_writer() is not None and all(_arrow_ready(t.frame) for t in tables):
        try:
            return atomic_path(Path(path), lambda tmp: _write_tables_rust(tmp, tables, constant_memory))
        except _MixedColumn:          # a column of numbers and text mixed: XlsxWriter, cell by cell
            pass

    def write(tmp: str) -> None:
        import xlsxwriter  # here: `compute --json` and other jobs that write nothing do not import it

        wb = xlsxwriter.Workbook(tmp, {**WORKBOOK_OPTIONS, "constant_memory": constant_memory,
                                       "in_memory": not constant_memory})
        fmt_head = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True,
                                  "valign": "vcenter"})
        fmt_title = wb.add_format({"bold": True, "font_size": 14})
        fmt_dt = wb.add_format({"num_format": DATETIME_FMT})
        fmt_d = wb.add_format({"num_format": DATE_FMT})
        fmt_pct = wb.add_format({"num_format": PERCENT_FMT})
        fmt_note = wb.add_format({"italic": True, "font_color": "#595959"})
        for table in tables:
            ws = wb.add_worksheet(table.name)
            row0 = 0
            if table.title:
                ws.write_string(0, 0, table.title, fmt_title)
                row0 = 2
            cols = list(table.frame.columns)
            for j, name in enumerate(cols):
                ws.write_string(row0, j, str(name), fmt_head)
                col = table.frame[name]
                width = table.widths.get(name, 18 if pd.api.types.is_datetime64_any_dtype(col.dtype) else 12)
                fmt = None
                if name in table.dates:
                    fmt = fmt_d
                elif pd.api.types.is_datetime64_any_dtype(col.dtype):
                    fmt = fmt_dt
                elif name in table.percent:
                    fmt = fmt_pct
                ws.set_column(j, j, width, fmt)
            for start in range(0, len(table.frame), CHUNK_ROWS):       # Python objects for one chunk at a time
                part = table.frame.iloc[start:start + CHUNK_ROWS]
                data, writers = [], []
                for c in cols:
                    kind, values = column_cells(part[c])
                    data.append(values)
                    writers.append(_cell_writer(ws, kind, fmt_d if c in table.dates else fmt_dt,
                                                fmt_pct if c in table.percent else None))
                for i, row in enumerate(zip(*data), start=row0 + 1 + start):   # row order: constant-memory safe
                    for j, v in enumerate(row):
                        if v is not None:
                            writers[j](i, j, v)
            _sheet_tail(ws, table, row0, len(cols), fmt_note, rust=False)
        wb.close()

    return atomic_path(Path(path), write)


# -- the Rust writer (rust_xlsxwriter through its Python binding) ----------------------------------------
# Measured on the 100,000-row sample (37 columns): compute --out writes its sheet in 2.1 s instead of
# 12 s with XlsxWriter. The binding writes Arrow columns in Rust: text is always a text cell (R20: never
# a formula, URL or number), null cells are left empty, numbers are numbers. Dates go as Excel serials
# with the column's own date format (its automatic date format would add seconds).
EXCEL_EPOCH = np.datetime64("1899-12-30T00:00:00", "us")


class _MixedColumn(Exception):
    """A column the Rust writer cannot take as one Arrow type (the workbook goes to XlsxWriter)."""


def rust_writer():
    """The Rust writer's module when the opt-in extra is installed and not turned off
    (``JSJB_WRITER=xlsxwriter``); else None: XlsxWriter writes the same workbook."""
    if os.environ.get("JSJB_WRITER", "").lower() == "xlsxwriter":
        return None
    try:
        import rvgsrust_xlsxwriter
    except ImportError:
        return None
    return rvgsrust_xlsxwriter


def _arrow_ready(frame: pd.DataFrame) -> bool:
    """Column names the Rust writer can key formats by (text, unique)."""
    names = [str(c) for c in frame.columns]
    return len(set(names)) == len(names)


def _serials(col: pd.Series) -> np.ndarray:
    """datetime64 → Excel serial days (float64, NaN for NaT), computed as XlsxWriter does:
    whole days plus the seconds of the day ÷ 86400."""
    us = (col.to_numpy(dtype="datetime64[us]") - EXCEL_EPOCH).astype("timedelta64[us]").astype(np.int64)
    days, rest = np.divmod(us, 86_400_000_000)
    out = days + (rest // 1_000_000 + (rest % 1_000_000) / 1e6) / 86400.0
    return np.where(np.isnat(col.to_numpy(dtype="datetime64[us]")), np.nan, out)


def _sheet_tail(ws, table: Table, row0: int, ncols: int, fmt_note, *, rust: bool) -> None:
    """What follows a table in either writer: its notes, the frozen header row, the filter, and an A4
    print setup repeating the header (the two libraries name the same calls differently)."""
    last = row0 + len(table.frame)
    write = ws.write if rust else ws.write_string
    for k, line in enumerate(table.notes):
        write(last + 2 + k, 0, line, fmt_note)
    if ncols:
        ws.freeze_panes(row0 + 1, 0)
        if len(table.frame):
            ws.autofilter(row0, 0, last, ncols - 1)
    if table.landscape:
        ws.set_landscape()
    if rust:
        ws.set_paper_size(9)   # A4
        ws.set_print_fit_to_pages(1, 0)
        ws.set_repeat_rows(row0, row0)
    else:
        ws.set_paper(9)
        ws.fit_to_pages(1, 0)
        ws.repeat_rows(row0)


def _fit_texts(arr):
    """An Arrow text column as cells hold it: "" → blank, over-long texts cut with a visible note."""
    import pyarrow as pa
    import pyarrow.compute as pc

    long = pc.fill_null(pc.greater(pc.utf8_length(arr), MAX_CELL_TEXT), False)
    if pc.any(long).as_py():
        arr = pa.array([fit_cell(v) if v is not None else None for v in arr.to_pylist()], type=pa.string())
    return pc.if_else(pc.equal(arr, ""), pa.scalar(None, pa.string()), arr)


def _arrow_column(col: pd.Series):
    """One column → (Arrow array, kind) for the Rust writer, kind "date", "number" or "text";
    (None, None) when its values are of mixed kinds."""
    import pyarrow as pa

    if pd.api.types.is_datetime64_any_dtype(col.dtype):
        return pa.array(_serials(col), from_pandas=True), "date"
    if pd.api.types.is_numeric_dtype(col.dtype) and not pd.api.types.is_bool_dtype(col.dtype):
        values = col.to_numpy(dtype="float64", na_value=np.nan)
        return pa.array(np.where(np.isfinite(values), values, np.nan), from_pandas=True), "number"
    if col.dtype == object or pd.api.types.is_string_dtype(col.dtype):
        try:                                # text and missing only: straight to Arrow
            arr = pa.array(col.to_numpy(dtype=object), type=pa.string(), from_pandas=True)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            pass                            # numbers, dates, lists, booleans among the text: below
        else:
            return _fit_texts(arr), "text"
    values = _column_values(col)            # 是/否, joined lists; None for missing
    kinds = {type(v) for v in values if v is not None}
    if kinds <= {str}:
        return _fit_texts(pa.array(values, type=pa.string())), "text"
    if kinds <= {int, float}:
        return pa.array([None if v is None else float(v) for v in values], type=pa.float64()), "number"
    if kinds <= {dt.datetime}:
        return pa.array(_serials(pd.Series(values, dtype="datetime64[us]")), from_pandas=True), "date"
    return None, None


def _write_tables_rust(tmp: str, tables: list[Table], constant_memory: bool) -> None:
    import pyarrow as pa

    rx = rust_writer()
    wb = rx.Workbook(tmp)

    def fmt():
        return wb.add_format()

    fmt_head = (fmt().set_bold().set_background_color("#DDEBF7").set_border("thin").set_text_wrap()
                .set_vertical_align("vcenter"))
    fmt_title = fmt().set_bold().set_font_size(14)
    fmt_dt = fmt().set_num_format(DATETIME_FMT)
    fmt_d = fmt().set_num_format(DATE_FMT)
    fmt_pct = fmt().set_num_format(PERCENT_FMT)
    fmt_note = fmt().set_italic().set_font_color("#595959")
    for table in tables:
        ws = wb.add_worksheet(table.name, constant_memory=constant_memory)
        row0 = 0
        if table.title:
            ws.write(0, 0, table.title, fmt_title)
            row0 = 2
        cols = list(table.frame.columns)
        names = [str(c) for c in cols]
        column_fmt = {}
        for j, name in enumerate(cols):
            col = table.frame[name]
            is_dt = pd.api.types.is_datetime64_any_dtype(col.dtype)
            ws.set_column_width(j, table.widths.get(name, 18 if is_dt else 12))
            f = fmt_d if name in table.dates else fmt_dt if is_dt else fmt_pct if name in table.percent else None
            if f is not None:
                ws.set_column_format(j, f)
                column_fmt[str(name)] = f
        for j, name in enumerate(names):
            ws.write(row0, j, name, fmt_head)
        for start in range(0, len(table.frame), CHUNK_ROWS):       # Arrow columns for one chunk at a time
            part = table.frame.iloc[start:start + CHUNK_ROWS]
            arrays, formats = [], {}
            for j, name in enumerate(cols):
                arr, kind = _arrow_column(part[name])
                if arr is None:
                    raise _MixedColumn(name)
                if kind == "date":
                    formats[names[j]] = fmt_d if name in table.dates else fmt_dt
                elif names[j] in column_fmt:
                    formats[names[j]] = column_fmt[names[j]]
                arrays.append(arr)
            ws.write_dataframe(row0 + 1 + start, 0, pa.Table.from_arrays(arrays, names=names), write_header=False,
                               column_formats=formats or None)
        _sheet_tail(ws, table, row0, len(cols), fmt_note, rust=True)
    wb.close()
