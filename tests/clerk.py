"""What a clerk does to a ledger file, done to the file the way a spreadsheet program does it:
type tickets into input cells, insert a row, delete a row, sort the table.

No UNO or macro runtime is installed with the LibreOffice here, so the edits are made with
openpyxl on the file and LibreOffice then opens, recalculates and saves the result. The edits
follow what the programs do to a sheet:

- typing sets input cells only (the computed columns are never touched);
- inserting a row moves the rows below it down one, each formula moved with its relative
  references re-based (openpyxl's Translator: the reference adjustment of every program); the
  table, the drop-downs and the highlighting grow by one row; the new row's computed cells get
  the formula of the row above moved down one row — what Excel's and WPS's tables do with a
  calculated column, and what a LibreOffice clerk does with 向下填充 (Ctrl+D), LibreOffice itself
  leaving an inserted row's cells empty;
- deleting a row moves the rows below it up one (formulas re-based), ranges shrink by one;
- sorting the table reorders whole rows by a key, blanks last (every program puts empty keys
  last), each row's formulas re-based to its new row.

Every moved formula is re-based from the formula the file holds, not regenerated, so a formula
that referred to another row than its own would move wrongly here as it would in a program.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
from openpyxl.formula.translate import Translator
from openpyxl.utils import get_column_letter, range_boundaries
from openpyxl.worksheet.cell_range import MultiCellRange

from jsjb.core import schema as S

TABLE = "工单"


class Ledger:
    """The 工单台账 sheet of a plain ledger, opened for editing."""

    def __init__(self, path: Path):
        self.wb = openpyxl.load_workbook(path)
        self.ws = self.wb[S.SHEET_TICKETS]
        header = [c.value for c in self.ws[1]]
        self.col = {name: j + 1 for j, name in enumerate(header) if name}
        self.inputs = [self.col[name] for name in S.INPUT_NAMES]
        self.formula_cols = [j for j in range(1, len(header) + 1)
                             if isinstance(self.ws.cell(2, j).value, str) and self.ws.cell(2, j).value.startswith("=")]
        assert self.formula_cols, "no formula in row 2"

    # -- looking -------------------------------------------------------------------------------------
    @property
    def table(self):
        return self.ws.tables[TABLE]

    def last_row(self) -> int:
        """The table's last row (its prepared rows included)."""
        return range_boundaries(self.table.ref)[3]

    def last_ticket_row(self) -> int:
        """The last row holding a 工单编号 (1 when there is none)."""
        id_col = self.col[S.ID]
        last = 1
        for r in range(2, self.ws.max_row + 1):
            if self.ws.cell(r, id_col).value not in (None, ""):
                last = r
        return last

    def formulas_row(self, row: int) -> dict[int, str]:
        return {j: self.ws.cell(row, j).value for j in self.formula_cols}

    # -- typing --------------------------------------------------------------------------------------
    def set_as_of(self, moment: dt.datetime) -> None:
        """Fill the 统计时点 cell (参数!J1) with a moment, as 使用说明 tells the clerk to."""
        self.wb[S.SHEET_PARAMS]["J1"].value = moment

    def type_ticket(self, row: int, values: dict) -> None:
        """Type a ticket's input cells into ``row``: only the input columns, empty cells left empty.
        The row must already hold the computed columns' formulas (it is one of the prepared rows)."""
        assert all(isinstance(v, str) and v.startswith("=") for v in self.formulas_row(row).values()), \
            f"row {row} has no formulas: not a prepared row"
        for name, value in values.items():
            assert name in S.INPUT_NAMES, f"{name} is not an input column"
            if value is None:
                continue
            cell = self.ws.cell(row, self.col[name])
            if hasattr(value, "to_pydatetime"):
                value = value.to_pydatetime()
            cell.value = value
            if isinstance(value, dt.datetime):
                cell.number_format = "yyyy-mm-dd hh:mm"

    # -- moving rows ---------------------------------------------------------------------------------
    def _row_cells(self, row: int) -> list:
        width = max(self.col.values())
        return [(self.ws.cell(row, j).value, self.ws.cell(row, j).number_format) for j in range(1, width + 1)]

    def _put(self, row: int, cells: list, origin: int) -> None:
        """Write a row's cells (read from row ``origin``) into ``row``, formulas re-based."""
        for j, (value, number_format) in enumerate(cells, start=1):
            if isinstance(value, str) and value.startswith("=") and origin != row:
                letter = get_column_letter(j)
                value = Translator(value, f"{letter}{origin}").translate_formula(f"{letter}{row}")
            cell = self.ws.cell(row, j)
            cell.value = value
            cell.number_format = number_format

    def _grow(self, by: int) -> None:
        """The table, drop-downs and highlighting end ``by`` rows lower (negative: higher)."""
        def moved(ref: str) -> str:
            c0, r0, c1, r1 = range_boundaries(ref)
            return f"{get_column_letter(c0)}{r0}:{get_column_letter(c1)}{r1 + by}"

        self.table.ref = moved(self.table.ref)
        if self.table.autoFilter is not None:
            self.table.autoFilter.ref = self.table.ref
        for dv in self.ws.data_validations.dataValidation:
            dv.sqref = MultiCellRange(" ".join(moved(str(r)) for r in dv.sqref.ranges))
        rules = self.ws.conditional_formatting
        old = list(rules._cf_rules.items())
        rules._cf_rules.clear()
        for cf, items in old:
            for rule in items:
                rules.add(" ".join(moved(str(r)) for r in cf.sqref.ranges), rule)

    def insert_row(self, at: int) -> None:
        """Insert an empty row above row ``at`` inside the table (see the module's doc)."""
        last = max(self.last_row(), self.ws.max_row)
        for r in range(last, at - 1, -1):
            self._put(r + 1, self._row_cells(r), r)
        above = self._row_cells(at - 1)
        self._put(at, [(v, f) if isinstance(v, str) and v.startswith("=") else (None, "General") for v, f in above],
                  at - 1)
        self._grow(1)

    def delete_row(self, at: int) -> None:
        last = max(self.last_row(), self.ws.max_row)
        for r in range(at + 1, last + 1):
            self._put(r - 1, self._row_cells(r), r)
        for j in range(1, max(self.col.values()) + 1):
            self.ws.cell(last, j).value = None
        self._grow(-1)

    def sort(self, key: str, descending: bool = False) -> None:
        """Sort the table's rows by column ``key`` (blanks last, as every program does)."""
        first, last = 2, self.last_row()
        rows = [(r, self._row_cells(r)) for r in range(first, last + 1)]
        k = self.col[key] - 1

        def sort_key(item):               # numbers (dates) before text, as the programs order them
            v = item[1][k][0]
            if isinstance(v, dt.datetime):
                return (0, (v - dt.datetime(1970, 1, 1)).total_seconds(), "")
            if isinstance(v, (int, float)):
                return (0, float(v), "")
            return (1, 0.0, str(v))

        filled = sorted((x for x in rows if x[1][k][0] not in (None, "")), key=sort_key, reverse=descending)
        blank = [x for x in rows if x[1][k][0] in (None, "")]
        for new, (origin, cells) in enumerate(filled + blank, start=first):
            self._put(new, cells, origin)

    def save(self, path: Path) -> Path:
        self.wb.save(path)
        return path
