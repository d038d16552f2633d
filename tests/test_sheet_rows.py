"""Long lists rendered as sheet rows (jsjb/io/sheet_rows.py) hold exactly what XlsxWriter writes
for the same values cell by cell (the oracle: XlsxWriter's own per-cell path), on the values that
are hard to get right — XML specials, control characters, literal _xHHHH_, blanks kept, formula-
like citizen text (R20), cut long text, NaN/inf, NaT, big and small numbers — and the result opens
in openpyxl, fastexcel (the program's own reader) and LibreOffice."""

from __future__ import annotations

import datetime as dt
import re
import zipfile

import fastexcel
import numpy as np
import pandas as pd
import pytest
from outputs import formulas_in, open_in_libreoffice
from test_book_engines import meaning

from jsjb.io import book as B

TRICKY = ["a & b < c > d", "x\x01y", "literal _x000D_ here", " leading", "trailing ", "=1+1", "+8613800000000",
          "-3", "@SUM(A1)", "", None, "中文\n换行", "tab\there", "长" * 40000, "\x1f", "&amp;"]


def frame() -> pd.DataFrame:
    n = len(TRICKY)
    return pd.DataFrame({
        "诉求内容": TRICKY,
        "件数": [1, 2.5, np.nan, np.inf, -np.inf, -7, 0, 1e20, 1e-7, 2**53, 3, 4, 5, 6, 7, 8][:n],
        "派单时间": pd.to_datetime(["2025-12-01 10:00", None, "2025-12-31 23:59:59", "1900-03-01", "2025-01-01"] * 4,
                                   format="ISO8601")[:n],
        "办结日期": pd.to_datetime(["2025-12-02"] * n),
        "比率": [0.5, None, 1, 0.12345] * 4,
        "状态": pd.Series(["在办", "已办结", None, "超期未办结"] * 4, dtype="string[pyarrow]"),
    })


def write(path, *, cell_by_cell: bool, monkeypatch) -> None:
    if cell_by_cell:                           # XlsxWriter's own path for every cell: the oracle
        monkeypatch.setattr(B._XlsxEngine, "rows", B._XlsxEngine._cells)
    book = B.Book(str(path), engine="xlsxwriter")
    sh = book.sheet("清单")
    sh.title("标题")
    sh.table(frame(), plain=True, percent=["比率"], dates=["办结日期"])
    sh.line("表后的一行")
    sh.print_setup(repeat_row=1)
    other = book.sheet("第二张")
    other.table(frame().iloc[:3], plain=True)
    book.close()
    monkeypatch.undo()


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    base = tmp_path_factory.mktemp("rows")
    with pytest.MonkeyPatch.context() as mp:
        write(base / "rendered.xlsx", cell_by_cell=False, monkeypatch=mp)
        write(base / "cells.xlsx", cell_by_cell=True, monkeypatch=mp)
    return base / "rendered.xlsx", base / "cells.xlsx"


def _undo_openpyxl_gap(m: dict) -> dict:
    """openpyxl undoes the _x005F_ escape in shared strings but not in inline strings (Excel and
    calamine undo it in both): read the rendered text as they do."""
    for sheet in m.values():
        if isinstance(sheet, dict) and "cells" in sheet:
            sheet["cells"] = {k: (v[0].replace("_x005F_", "_") if isinstance(v[0], str) else v[0], *v[1:])
                              for k, v in sheet["cells"].items()}
    return m


def test_rendered_rows_hold_what_xlsxwriter_writes_cell_by_cell(pair):
    rendered, cells = pair
    with zipfile.ZipFile(rendered) as z:
        assert 't="inlineStr"' in z.read("xl/worksheets/sheet1.xml").decode()       # the rendered path ran
    assert _undo_openpyxl_gap(meaning(rendered)) == meaning(cells)
    for sheet in ("清单", "第二张"):                  # calamine (the program's own reader): every value alike
        a = fastexcel.read_excel(str(rendered)).load_sheet(sheet, header_row=None).to_pandas()
        b = fastexcel.read_excel(str(cells)).load_sheet(sheet, header_row=None).to_pandas()
        pd.testing.assert_frame_equal(a, b)


def test_text_stays_text_and_no_row_is_lost(pair):
    rendered, _ = pair
    assert formulas_in(rendered) == []
    column = fastexcel.read_excel(str(rendered)).load_sheet("清单", header_row=1).to_pandas()["诉求内容"]
    texts = [None if pd.isna(v) else v for v in column]
    assert texts[:len(TRICKY)] == [None if t in ("", None) else t if len(t) < 32767 else texts[13] for t in TRICKY]
    assert texts[13].startswith("长" * 100) and len(texts[13]) <= 32767 and texts[-1] == "表后的一行"


def test_the_dimension_covers_the_rows(pair):
    rendered, cells = pair

    def dimension(path):
        with zipfile.ZipFile(path) as z:
            return re.search(r'<dimension ref="[^"]+"/>', z.read("xl/worksheets/sheet1.xml").decode()).group(0)

    assert dimension(rendered) == dimension(cells) == f'<dimension ref="A1:F{2 + len(TRICKY) + 1}"/>'


def test_libreoffice_opens_it(pair):
    rendered, _ = pair
    assert all(open_in_libreoffice([rendered]).values())


def test_column_letters():
    """sheet_rows names its cells with XlsxWriter's xl_col_to_name (e8b81d7); the letters it relies on."""
    from xlsxwriter.utility import xl_col_to_name

    assert [xl_col_to_name(c) for c in (0, 25, 26, 51, 52, 701, 702)] == ["A", "Z", "AA", "AZ", "BA", "ZZ", "AAA"]


def test_a_date_before_march_1900_is_not_in_a_list():
    """Serials are exact from 1900-03-01 on (Excel's leap-year quirk); ticket dates are far later."""
    assert frame()["派单时间"].dropna().min() >= dt.datetime(1900, 3, 1)
