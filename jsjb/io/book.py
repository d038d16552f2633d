"""Small report workbooks written top to bottom — the bulletin, each enterprise's workbook, the
assessment, the dispatch lists — on one of two engines with the same cells: XlsxWriter (the
default install), or the Rust writer (``rvgsrust_xlsxwriter``) where the opt-in extra
``jsjb[fast-writer]`` is installed (:func:`jsjb.io.writer.rust_writer`).

A workbook with custom document properties — an enterprise's own workbook carries its owner mark
(R22) as one — is always written by XlsxWriter: the Rust binding cannot write them.

Long ticket lists (``Sheet.table(plain=True)``) are converted column by column (Arrow/NumPy) and
written in one call on the Rust engine, cell by cell from ready lists on XlsxWriter; titles,
key/value blocks and small tables are written cell by cell on either engine. Every text is a text
cell, never a formula (R20); numbers are numbers; date-times are Excel serials with a date format
(what XlsxWriter's write_datetime stores too).

``JSJB_WRITER=xlsxwriter`` turns the Rust writer off (the tests compare the two).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from xlsxwriter.utility import xl_col_to_name

from . import sheet_rows
from .writer import (
    DATE_FMT,
    DATETIME_FMT,
    PERCENT_FMT,
    WORKBOOK_OPTIONS,
    _arrow_column,
    _column_values,
    column_cells,
    rust_writer,
)

_BORDER = {"border": 1, "valign": "vcenter"}
FORMATS = {           # one definition per look, on either engine
    "title": {"bold": True, "font_size": 16},
    "h2": {"bold": True, "font_size": 12},
    "plain": {},
    "note": {"italic": True, "font_color": "#595959"},
    "head": {**_BORDER, "bold": True, "bg_color": "#DDEBF7", "text_wrap": True, "align": "center"},
    "cell": _BORDER,
    "number": {**_BORDER, "num_format": "0.00"},
    "percent": {**_BORDER, "num_format": PERCENT_FMT},
    "datetime": {**_BORDER, "num_format": DATETIME_FMT},
    "date": {**_BORDER, "num_format": DATE_FMT},
    "datetime_plain": {"num_format": DATETIME_FMT},
    "date_plain": {"num_format": DATE_FMT},
}
_RUST_FORMAT = {     # FORMATS key → the Rust writer's Format method
    "bold": "set_bold", "italic": "set_italic", "text_wrap": "set_text_wrap", "border": "set_border",
    "font_size": "set_font_size", "font_color": "set_font_color", "valign": "set_vertical_align",
    "bg_color": "set_background_color", "align": "set_align", "num_format": "set_num_format",
}
_SWITCHES = {"bold", "italic", "text_wrap"}
FOOTER = "&C第 &P 页，共 &N 页"
MARGINS = (0.4, 0.4, 0.6, 0.6)        # left, right, top, bottom (inches); header and footer stay 0.3
EXCEL_EPOCH = dt.datetime(1899, 12, 30)     # serials of dates from 1900-03-01 on (Excel's 1900 leap-year quirk)


def engine_name() -> str:
    """"rust" where the opt-in Rust writer is installed (unless JSJB_WRITER=xlsxwriter), else "xlsxwriter"."""
    return "xlsxwriter" if rust_writer() is None else "rust"


def _range(sheet: str, first_row: int, col: int, last_row: int) -> str:
    """A one-column range as a chart reference, e.g. '月通报'!$B$10:$B$17 (0-based arguments)."""
    letter = xl_col_to_name(col)
    return f"'{sheet.replace(chr(39), chr(39) * 2)}'!${letter}${first_row + 1}:${letter}${last_row + 1}"


def _serial(v: dt.datetime) -> float:
    """A date-time as an Excel serial, exactly as XlsxWriter computes it (days + seconds ÷ 86400)."""
    delta = v - EXCEL_EPOCH
    return delta.days + (delta.seconds + delta.microseconds / 1e6) / 86400.0


class _XlsxEngine:
    """XlsxWriter (pure Python): every cell through its API."""

    def __init__(self, tmp: str, properties: dict, custom: dict):
        import xlsxwriter  # here: jobs that write no workbook do not pay its import

        # in_memory: parts assembled in memory, not in temporary files (measured: 9 bulletin workbooks
        # spent 0.2 s of 1.0 s creating and deleting 107 temporary files).
        self.wb = xlsxwriter.Workbook(tmp, {**WORKBOOK_OPTIONS, "in_memory": True})
        self.wb.set_properties(properties)
        for name, value in custom.items():
            self.wb.set_custom_property(name, value)
        self.formats = {k: self.wb.add_format(spec) for k, spec in FORMATS.items()}
        self.path = tmp
        self.names: dict[int, str] = {}          # id(worksheet) → its name
        self.lists: list[tuple] = []              # rendered long lists, spliced in after close (sheet_rows)

    def sheet(self, name: str):
        ws = self.wb.add_worksheet(name)
        self.names[id(ws)] = name
        return ws

    def text(self, ws, r, c, s, f):
        ws.write_string(r, c, s, self.formats[f])

    def number(self, ws, r, c, v, f):
        ws.write_number(r, c, v, self.formats[f])

    def blank(self, ws, r, c, f):
        ws.write_blank(r, c, None, self.formats[f])

    def date(self, ws, r, c, v, f):
        ws.write_datetime(r, c, v, self.formats[f])

    def row_height(self, ws, r, h):
        ws.set_row(r, h)

    def width(self, ws, c, w):
        ws.set_column(c, c, w)

    def freeze(self, ws, r, c):
        ws.freeze_panes(r, c)

    def print_setup(self, ws, last_row, last_col, repeat_row):
        ws.set_landscape()
        ws.set_paper(9)
        ws.fit_to_pages(1, 0)
        ws.center_horizontally()
        left, right, top, bottom = MARGINS
        ws.set_margins(left=left, right=right, top=top, bottom=bottom)
        ws.set_footer(FOOTER)
        ws.print_area(0, 0, last_row, last_col)
        if repeat_row is not None:
            ws.repeat_rows(repeat_row)

    def chart(self, ws, sheet_name, row, col, spec):
        chart = self.wb.add_chart({"type": "column"})
        first, label_col, last = spec["categories"]
        for name, value_col in spec["series"]:
            chart.add_series({"name": name, "categories": [sheet_name, first, label_col, last, label_col],
                              "values": [sheet_name, first, value_col, last, value_col]})
        chart.set_title({"name": spec["title"]})
        chart.set_y_axis({"num_format": spec["y_format"], "min": spec["y_min"], "max": spec["y_max"]})
        chart.set_legend({"position": "bottom"})
        chart.set_size({"width": spec["width"], "height": spec["height"]})
        ws.insert_chart(row, col, chart)

    def rows(self, ws, first_row, frame: pd.DataFrame, date_fmt: dict, num_fmt: dict):
        """A long list: values only where a cell has one (no borders); dates in ``date_fmt`` (column →
        format, default date-time), numbers in ``num_fmt`` (column → format, default none).
        Columns converted whole and rendered as the sheet's rows (:mod:`jsjb.io.sheet_rows`), put in
        place when the workbook is closed; a column of numbers and text mixed goes cell by cell."""
        columns = []
        for name in frame.columns:
            arr, kind = _arrow_column(frame[name])
            if arr is None:
                return self._cells(ws, first_row, frame, date_fmt, num_fmt)
            key = date_fmt.get(name, "datetime_plain") if kind == "date" else num_fmt.get(name) if kind == "number" else None
            # the style index XlsxWriter gives the format (the one its own cells would carry)
            columns.append((kind, arr, self.formats[key]._get_xf_index() if key else None))
        if len(frame):
            self.lists.append((self.names[id(ws)], first_row + 1, first_row + len(frame), len(columns) - 1,
                               sheet_rows.render(columns, first_row)))

    def _cells(self, ws, first_row, frame: pd.DataFrame, date_fmt: dict, num_fmt: dict):
        for j, name in enumerate(frame.columns):
            kind, values = column_cells(frame[name])
            f_date = self.formats[date_fmt.get(name, "datetime_plain")]
            f_num = self.formats[num_fmt[name]] if name in num_fmt else None
            if kind == "text":
                write, f = ws.write_string, None
            elif kind in ("date", "number"):
                write, f = ws.write_number, f_date if kind == "date" else f_num
            else:
                for i, v in enumerate(values, start=first_row):
                    if isinstance(v, str):
                        ws.write_string(i, j, v)
                    elif isinstance(v, dt.datetime):
                        ws.write_datetime(i, j, v, f_date)
                    elif v is not None:
                        ws.write_number(i, j, v, f_num)
                continue
            for i, v in enumerate(values, start=first_row):
                if v is not None:
                    write(i, j, v, f)

    def close(self):
        self.wb.close()
        if self.lists:
            sheet_rows.splice(self.path, self.lists)


class _RustEngine:
    """The Rust writer: long lists as Arrow columns in one call, everything else cell by cell."""

    def __init__(self, tmp: str, properties: dict):
        import rvgsrust_xlsxwriter  # the opt-in extra (chosen by engine_name, or asked for by a test)

        self.rx = rvgsrust_xlsxwriter
        self.wb = self.rx.Workbook(tmp)
        self.wb.set_properties(**properties)
        self.formats = {k: self._format(spec) for k, spec in FORMATS.items()}

    def _format(self, spec: dict):
        """An XlsxWriter-style format dict (:data:`FORMATS`) as the Rust writer's Format."""
        f = self.wb.add_format()
        for key, value in spec.items():
            method = getattr(f, _RUST_FORMAT[key])          # a key without a mapping is a KeyError here
            if key == "border":
                f = method("thin")                          # XlsxWriter's border 1
            elif key in _SWITCHES:
                f = method() if value else f
            else:
                f = method(value)
        return f

    def sheet(self, name: str):
        return self.wb.add_worksheet(name)

    def text(self, ws, r, c, s, f):
        ws.write(r, c, str(s), self.formats[f])          # a str is always a text cell, never a formula

    def number(self, ws, r, c, v, f):
        ws.write(r, c, float(v), self.formats[f])

    def blank(self, ws, r, c, f):
        ws.set_cell_format(r, c, self.formats[f])

    def date(self, ws, r, c, v, f):
        ws.write(r, c, _serial(v), self.formats[f])

    def row_height(self, ws, r, h):
        ws.set_row_height(r, h)

    def width(self, ws, c, w):
        ws.set_column_width(c, w)

    def freeze(self, ws, r, c):
        ws.freeze_panes(r, c)

    def print_setup(self, ws, last_row, last_col, repeat_row):
        ws.set_landscape()
        ws.set_paper_size(9)                             # A4
        ws.set_print_fit_to_pages(1, 0)
        ws.set_print_center_horizontally(True)
        ws.set_margins(*MARGINS, 0.3, 0.3)
        ws.set_footer(FOOTER)
        ws.set_print_area(0, 0, last_row, last_col)
        if repeat_row is not None:
            ws.set_repeat_rows(repeat_row, repeat_row)

    def chart(self, ws, sheet_name, row, col, spec):
        rx = self.rx
        chart = rx.Chart("column")
        first, label_col, last = spec["categories"]
        for name, value_col in spec["series"]:
            series = rx.ChartSeries()
            series.set_name(name)
            series.set_categories(_range(sheet_name, first, label_col, last))
            series.set_values(_range(sheet_name, first, value_col, last))
            chart.push_series(series)
        chart.set_title_name(spec["title"])
        chart.set_y_axis_num_format(spec["y_format"])
        chart.set_y_axis_min(spec["y_min"])
        chart.set_y_axis_max(spec["y_max"])
        chart.set_legend_position("bottom")
        chart.set_width(spec["width"])
        chart.set_height(spec["height"])
        ws.insert_chart(row, col, chart)

    def rows(self, ws, first_row, frame: pd.DataFrame, date_fmt: dict, num_fmt: dict):
        import pyarrow as pa

        names = [f"c{j}" for j in range(frame.shape[1])]     # the header is written by the caller
        arrays, column_formats, mixed = [], {}, []
        for j, name in enumerate(frame.columns):
            arr, kind = _arrow_column(frame[name])
            if arr is None:                                  # numbers and text mixed: cell by cell below
                mixed.append(j)
                arr = pa.nulls(len(frame), pa.string())
            elif kind == "date":
                column_formats[names[j]] = self.formats[date_fmt.get(name, "datetime_plain")]
            elif kind == "number" and name in num_fmt:
                column_formats[names[j]] = self.formats[num_fmt[name]]
            arrays.append(arr)
        if len(frame):
            ws.write_dataframe(first_row, 0, pa.Table.from_arrays(arrays, names=names), write_header=False,
                               column_formats=column_formats or None)
        for j in mixed:
            name = frame.columns[j]
            for i, v in enumerate(_column_values(frame[name]), start=first_row):
                if isinstance(v, str):
                    ws.write(i, j, v)
                elif isinstance(v, dt.datetime):
                    self.date(ws, i, j, v, date_fmt.get(name, "datetime_plain"))
                elif v is not None:
                    ws.write(i, j, float(v), self.formats[num_fmt[name]] if name in num_fmt else None)

    def close(self):
        self.wb.close()


class Book:
    """A new workbook at ``tmp`` (the caller renames it into place: writer.atomic_path), with the
    document properties given (author, comments, subject) and ``custom`` document properties
    (name → text; such a workbook is always written by XlsxWriter)."""

    def __init__(self, tmp: str, *, engine: str | None = None, custom: dict | None = None, **properties):
        if custom or (engine or engine_name()) != "rust":
            self.engine = _XlsxEngine(tmp, properties, custom or {})
        else:
            self.engine = _RustEngine(tmp, properties)

    def sheet(self, name: str) -> Sheet:
        return Sheet(self, name)

    def close(self) -> None:
        self.engine.close()


class Sheet:
    """A worksheet written top to bottom: titles, lines, key/value blocks, tables and a chart.
    ``row`` is the next free row (0-based)."""

    def __init__(self, book: Book, name: str):
        self.e = book.engine
        self.name = name
        self.ws = self.e.sheet(name)
        self.row = 0
        self.max_col = 0

    # single cells
    def text(self, r: int, c: int, value: str, fmt: str = "plain") -> None:
        """A text cell; an empty text is a blank cell with the format (on both engines alike)."""
        if value == "":
            self.e.blank(self.ws, r, c, fmt)
        else:
            self.e.text(self.ws, r, c, value, fmt)

    def number(self, r: int, c: int, value: float, fmt: str = "cell") -> None:
        self.e.number(self.ws, r, c, value, fmt)

    # blocks, each moving ``row`` on
    def title(self, text: str) -> None:
        self.e.row_height(self.ws, self.row, 24)
        self.text(self.row, 0, text, "title")
        self.row += 1

    def line(self, text: str, fmt: str = "plain") -> None:
        self.text(self.row, 0, text, fmt)
        self.row += 1

    def heading(self, text: str) -> None:
        self.row += 1
        self.text(self.row, 0, text, "h2")
        self.row += 1

    def table(self, frame: pd.DataFrame, *, percent=(), number=(), dates=(), plain: bool = False) -> tuple[int, int]:
        """Write a header and rows; returns (header row, last row). ``plain`` (long ticket lists):
        no cell borders and empty cells left unwritten — the whole list in one call on the Rust
        engine."""
        head = self.row
        for j, name in enumerate(frame.columns):
            self.text(head, j, str(name), "head")
        if plain:
            self.e.rows(self.ws, head + 1, frame, {name: "date_plain" for name in frame.columns if name in dates},
                        {name: "percent" if name in percent else "number" for name in frame.columns
                         if name in percent or name in number})
        else:
            for j, name in enumerate(frame.columns):
                fmt = "percent" if name in percent else "number" if name in number else "cell"
                date_fmt = "date" if name in dates else "datetime"
                for i, v in enumerate(_column_values(frame[name]), start=head + 1):
                    if v is None:
                        self.e.blank(self.ws, i, j, "cell")
                    elif isinstance(v, str):
                        self.text(i, j, v, "cell")
                    elif isinstance(v, dt.datetime):
                        self.e.date(self.ws, i, j, v, date_fmt)
                    else:
                        self.number(i, j, v, fmt)
        self.row = head + len(frame) + 1
        self.max_col = max(self.max_col, len(frame.columns) - 1)
        return head, head + len(frame)

    def pairs(self, pairs: list[tuple[str, object]], *, percent=()) -> None:
        """A two-column block of label → value."""
        self.text(self.row, 0, "项目", "head")
        self.text(self.row, 1, "本企业", "head")
        for label, value in pairs:
            self.row += 1
            self.text(self.row, 0, label, "cell")
            if isinstance(value, str):
                self.text(self.row, 1, value, "cell")
            elif value is None or (isinstance(value, float) and np.isnan(value)):
                self.e.blank(self.ws, self.row, 1, "cell")
            else:
                fmt = "percent" if label in percent else "number" if float(value) != int(value) else "cell"
                self.number(self.row, 1, float(value), fmt)
        self.row += 1
        self.max_col = max(self.max_col, 1)

    def column_chart(self, row: int, col: int, *, categories: tuple[int, int, int], series: list[tuple[str, int]],
                     title: str, y_format: str = "0%", y_min: float = 0, y_max: float = 1,
                     width: int = 900, height: int = 320) -> None:
        """A column chart of this sheet's cells: ``categories`` = (first row, column, last row) of the
        labels, each series (name, column) over the same rows; legend at the bottom."""
        self.e.chart(self.ws, self.name, row, col, {
            "categories": categories, "series": series, "title": title, "y_format": y_format,
            "y_min": y_min, "y_max": y_max, "width": width, "height": height})

    def widths(self, widths: list[float]) -> None:
        for j, w in enumerate(widths):
            self.e.width(self.ws, j, w)

    def freeze(self, row: int, col: int) -> None:
        self.e.freeze(self.ws, row, col)

    def print_setup(self, repeat_row: int | None = None) -> None:
        """A4 landscape, fit to the page width, centred, page numbers in the footer, the written
        area as print area, ``repeat_row`` (a table header) on every page."""
        self.e.print_setup(self.ws, max(self.row - 1, 0), self.max_col, repeat_row)

