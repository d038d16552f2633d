"""jsjb.io.formula_sheet: shared formulas and uncached formulas written through XlsxWriter, read back
as every row's own formula (openpyxl expands shared formulas as Excel does) and computed by
LibreOffice. Expected values are hand-computed from the cells written."""

from __future__ import annotations

import re
import zipfile

import openpyxl
from lo import recalculated

from jsjb.io.formula_sheet import FormulaWorkbook


def _book(path, rows: int = 6):
    wb = FormulaWorkbook(str(path))
    ws = wb.add_worksheet("s")
    ws.write_number(0, 0, 100)                                  # A1: an absolute reference
    for r in range(1, rows + 1):                                # A2…: 1, 2, 3, …
        ws.write_number(r, 0, r)
    ws.write_shared_formula(1, rows, 1, "=A2*2+$A$1")          # B2:B7
    ws.write_shared_formula(1, rows, 2, '=IF(A2>3,"大","小")&B2')   # C: text, refers to the shared B
    ws.write_uncached_formula(0, 3, f"=SUM(B2:B{rows + 1})")    # D1
    ws.write_shared_formula(2, 1, 4, "=1")                      # an empty range writes nothing
    seen = []
    ws.report_rows(lambda row, last: seen.append((row, last)), 2)
    wb.close()
    return seen


def test_each_row_gets_its_own_formula_and_no_cached_result(tmp_path):
    path = tmp_path / "f.xlsx"
    seen = _book(path)
    assert seen == [(2, 6), (4, 6), (6, 6)]                     # while saving, every 2nd row of the first group
    ws = openpyxl.load_workbook(path)["s"]
    assert [ws.cell(r, 2).value for r in range(2, 8)] == [f"=A{r}*2+$A$1" for r in range(2, 8)]
    assert [ws.cell(r, 3).value for r in range(2, 8)] == [f'=IF(A{r}>3,"大","小")&B{r}' for r in range(2, 8)]
    assert ws["D1"].value == "=SUM(B2:B7)" and ws["E3"].value is None and ws["B8"].value is None
    xml = zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml").decode()
    assert len(re.findall(r'<f t="shared" ref="B2:B7" si="0">', xml)) == 1
    assert len(re.findall(r'<f t="shared" si="0"/>', xml)) == 5           # B3:B7 hold only the group number
    assert not re.search(r"(</f>|<f [^>]*/>)<v>", xml)                    # nothing cached: computed on opening


def test_libreoffice_computes_the_shared_formulas(tmp_path):
    path = tmp_path / "f.xlsx"
    _book(path)
    ws = openpyxl.load_workbook(recalculated(path, tmp_path / "lo", recalc=False), data_only=True)["s"]
    assert [ws.cell(r, 2).value for r in range(2, 8)] == [102, 104, 106, 108, 110, 112]
    assert [ws.cell(r, 3).value for r in range(2, 8)] == ["小102", "小104", "小106", "大108", "大110", "大112"]
    assert ws["D1"].value == 642
