"""Writing many formulas fast with XlsxWriter: a column of same-shaped formulas as one *shared
formula* (ECMA-376 Part 1, §18.3.1.40 ``f`` with ``t="shared"``), and formulas without a cached
result.

XlsxWriter's ``write_formula`` runs some thirty regular expressions over every formula (its
future-function and dynamic-array handling) and stores each formula's text: 100,000 formulas of
a few kilobytes cost most of a minute and hundreds of megabytes. A spreadsheet program filling a
formula down stores it once instead: the first cell of the range holds the text and the range
(``<f t="shared" ref="AE2:AE15001" si="0">…</f>``), every other cell only the group's number
(``<f t="shared" si="0"/>``), and each reader (Excel, WPS, LibreOffice, openpyxl) gives every
cell the first cell's formula moved to its own row, as if copied there. Writing that costs one
dictionary entry per cell and a few dozen bytes of XML.

No cell written here carries a cached result, so every program computes the formulas when it
opens the file (Excel recalculates a file XlsxWriter wrote anyway; LibreOffice, by default,
shows the cached values of a file it believes Excel saved — XlsxWriter would store 0).

The worksheet class follows XlsxWriter's documented way of extending it (a ``Worksheet``
subclass given to ``add_worksheet``); it relies on internals that have been stable across
XlsxWriter 1.x–3.x — the cell table ``self.table[row][col]``, ``_check_dimensions``,
``_write_cell``, ``_prepare_formula`` (run once per formula text, not per cell) and the table
list ``self.tables`` — and ``tests/test_formula_sheet.py`` and ``tests/test_plain_ledger.py``
read back what it writes, through openpyxl and through LibreOffice.
"""

from __future__ import annotations

from typing import NamedTuple

import xlsxwriter
from xlsxwriter.utility import xl_col_to_name, xl_rowcol_to_cell
from xlsxwriter.worksheet import Worksheet

_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})


class _Formula(NamedTuple):
    """A formula cell without a cached result. ``si`` None: an ordinary formula (``text``);
    else a member of shared group ``si`` — its first cell holds ``text`` and ``ref``, every other
    cell neither."""

    text: str | None
    format: object
    si: int | None = None
    ref: str | None = None


class FormulaSheet(Worksheet):
    """A worksheet that also writes formulas as shared formulas, or singly without a cached result."""

    def __init__(self):
        super().__init__()
        self._shared_groups = 0
        self._rendered: dict[int, tuple[str, str]] = {}     # id(cell) → its XML before and after the row number
        self._progress = None                               # (callback, every): see report_rows
        self._progress_col, self._last_row = -1, 0

    def report_rows(self, callback, every: int) -> None:
        """While the workbook is saved, call ``callback(row, last_row)`` (0-based) every ``every``
        rows of the first shared formula group written, as its rows' XML is generated."""
        self._progress = (callback, every)

    def write_shared_formula(self, first_row: int, last_row: int, col: int, formula: str, cell_format=None) -> None:
        """``formula`` as written for row ``first_row`` (0-based), filled down to ``last_row``
        in column ``col``: relative references move with the row, ``$`` ones stay. XlsxWriter
        prepares the formula (``_xlfn.`` prefixes where needed) once for the whole range."""
        if last_row < first_row:
            return
        if self._check_dimensions(first_row, col) or self._check_dimensions(last_row, col):
            raise ValueError(f"cell out of the sheet's bounds: row {last_row}, column {col}")
        si = self._shared_groups
        self._shared_groups += 1
        if si == 0:
            self._progress_col, self._last_row = col, last_row
        ref = f"{xl_rowcol_to_cell(first_row, col)}:{xl_rowcol_to_cell(last_row, col)}"
        table = self.table
        table[first_row][col] = _Formula(self._prepare_formula(formula), cell_format, si, ref)
        member = _Formula(None, cell_format, si)          # one object for the whole column
        for row in range(first_row + 1, last_row + 1):
            table[row][col] = member

    def write_uncached_formula(self, row: int, col: int, formula: str, cell_format=None) -> None:
        """One formula without a cached result."""
        if self._check_dimensions(row, col):
            raise ValueError(f"cell out of the sheet's bounds: row {row}, column {col}")
        self.table[row][col] = _Formula(self._prepare_formula(formula), cell_format)

    def add_long_table(self, first_row: int, first_col: int, last_row: int, last_col: int, options: dict) -> None:
        """``add_table`` for a range of many rows: XlsxWriter's ``add_table`` visits every cell of
        the range to refuse overlapping tables and merged cells (a Python loop over rows × columns,
        2 s for 100,000 rows × 41 columns); here the table is added over its header and first row
        (checked as usual) and then given its whole range. Only for a range nothing else overlaps,
        without a total row and without ``data``."""
        if options.get("total_row") or "data" in options:
            raise ValueError("add_long_table: no total row and no data")
        if self._check_dimensions(last_row, last_col, True, True):
            raise ValueError(f"table out of the sheet's bounds: row {last_row}, column {last_col}")
        error = self.add_table(first_row, first_col, min(last_row, first_row + 1), last_col, options)
        if error:
            raise ValueError(f"add_table failed ({error})")
        table = self.tables[-1]
        whole = f"{xl_rowcol_to_cell(first_row, first_col)}:{xl_rowcol_to_cell(last_row, last_col)}"
        table["range"] = table["a_range"] = whole
        if table.get("autofilter"):
            table["autofilter"] = whole

    def set_calculated_columns(self, table_name: str, formulas: dict[str, str]) -> None:
        """Give columns of the table ``table_name`` (added by ``add_table``) their calculated-column
        formula — what Excel fills into a row inserted into the table — without XlsxWriter
        writing that formula into every cell (write the cells with :meth:`write_shared_formula`)."""
        table = next(t for t in self.tables if t.get("name") == table_name)
        by_name = {c["name"]: c for c in table["columns"]}
        for name, formula in formulas.items():
            by_name[name]["formula"] = self._prepare_formula(formula, True)   # as add_table would

    def _write_cell(self, row: int, col: int, cell) -> None:
        if type(cell) is not _Formula:
            super()._write_cell(row, col, cell)
            return
        if self._progress is not None and col == self._progress_col and row % self._progress[1] == 0:
            self._progress[0](row, self._last_row)
        parts = self._rendered.get(id(cell))
        if parts is None:             # rendered once for all the members of a shared group
            style = f' s="{cell.format._get_xf_index()}"' if cell.format is not None else ""
            if cell.si is None:
                body = f"<f>{cell.text.translate(_ESCAPES)}</f>"
            elif cell.text is None:
                body = f'<f t="shared" si="{cell.si}"/>'
            else:
                body = f'<f t="shared" ref="{cell.ref}" si="{cell.si}">{cell.text.translate(_ESCAPES)}</f>'
            parts = (f'<c r="{xl_col_to_name(col)}', f'"{style}>{body}</c>')
            if cell.si is not None and cell.text is None:
                self._rendered[id(cell)] = parts
        self.fh.write(f"{parts[0]}{row + 1}{parts[1]}")


class FormulaWorkbook(xlsxwriter.Workbook):
    """A workbook whose sheets are :class:`FormulaSheet` (never in constant-memory mode: the
    shared groups are written when the workbook closes, not row by row)."""

    worksheet_class = FormulaSheet

    def __init__(self, filename, options: dict | None = None):
        if (options or {}).get("constant_memory"):
            raise ValueError("FormulaWorkbook does not work in constant_memory mode")
        super().__init__(filename, options)
