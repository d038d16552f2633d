"""Long lists as worksheet rows rendered from whole Arrow columns, spliced into a workbook that
XlsxWriter wrote (jsjb.io.book's default engine, for ``Sheet.table(plain=True)``).

XlsxWriter spends about 5 µs of Python per cell (storing it, then writing its XML): 0.9 s of CPU for
the 10,000 × 17 cells of a month's ticket lists at 100,000 tickets a year. Here each column becomes
its cells' XML in a few Arrow calls, and the rows are joined once: the same cells for about a tenth
of that. XlsxWriter still writes everything else of the workbook — the title and header above the
list, formats, widths, print setup, properties — and the list's place in its sheet is left empty;
:func:`splice` then puts the rows into ``<sheetData>`` and widens ``<dimension>``.

What a cell holds is what XlsxWriter would store for the same value (tests/test_book_engines.py
compares the two cell by cell): text as an inline string, never a formula (R20), escaped as
XlsxWriter escapes it (``& < >``; control characters and literal ``_xHHHH_`` as ``_xHHHH_``
escapes; leading or trailing blanks kept with ``xml:space="preserve"``); numbers as numbers; dates
as Excel serials with the column's date format; a missing value as no cell at all.
"""

from __future__ import annotations

import os
import re
import zipfile
from xml.etree import ElementTree

import numpy as np
from xlsxwriter.utility import xl_cell_to_rowcol, xl_col_to_name

_CONTROL = re.compile(r"[\x00-\x08\x0B-\x1F]")
_LITERAL_ESCAPE = re.compile(r"(_x[0-9a-fA-F]{4}_)")
_NEEDS_PYTHON = r"[\x00-\x08\x0B-\x1F]|_x[0-9a-fA-F]{4}_"
_NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
       "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
       "rel": "http://schemas.openxmlformats.org/package/2006/relationships"}


def _escape_one(text: str) -> str:
    """One text as XlsxWriter escapes an inline string: literal _xHHHH_ kept by _x005F_, control
    characters as _xHHHH_, then & < >."""
    text = _LITERAL_ESCAPE.sub(r"_x005F\1", text)
    text = _CONTROL.sub(lambda m: f"_x{ord(m.group(0)):04X}_", text)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _text_cells(arr, refs):
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = arr.cast(pa.string())
    odd = pc.fill_null(pc.match_substring_regex(arr, _NEEDS_PYTHON), False)
    if pc.any(odd).as_py():                    # rare: control characters or literal escapes, in Python
        escaped = pa.array([None if v is None else _escape_one(v) for v in arr.to_pylist()], type=pa.string())
    else:
        escaped = arr
        for char, entity in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;")):
            escaped = pc.replace_substring(escaped, char, entity)
    preserve = pc.fill_null(pc.match_substring_regex(arr, r"^\s|\s$"), False)
    opening = pc.if_else(preserve, pa.scalar('" t="inlineStr"><is><t xml:space="preserve">'),
                         pa.scalar('" t="inlineStr"><is><t>'))
    opening = pc.if_else(pc.is_null(arr), pa.scalar(None, pa.string()), opening)
    return pc.binary_join_element_wise('<c r="', refs, opening, escaped, "</t></is></c>", "")


def _number_cells(arr, refs, style: int | None):
    import pyarrow as pa
    import pyarrow.compute as pc

    head = f'" s="{style}"><v>' if style else '"><v>'
    return pc.binary_join_element_wise('<c r="', refs, pa.scalar(head), pc.cast(arr, pa.string()), "</v></c>", "")


def render(columns: list[tuple[str, object, int | None]], first_row: int) -> str:
    """The ``<row>`` elements of a list whose first row is ``first_row`` (0-based), its columns
    from A on: each (kind "text"/"number"/"date", an Arrow array with nulls for missing values,
    the cell style index of numbers and dates or None)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    n = len(columns[0][1]) if columns else 0
    if not n:
        return ""
    numbers = pa.array(np.arange(first_row + 1, first_row + 1 + n).astype(str))
    cells = []
    for j, (kind, arr, style) in enumerate(columns):
        refs = pc.binary_join_element_wise(xl_col_to_name(j), numbers, "")
        made = _text_cells(arr, refs) if kind == "text" else _number_cells(arr, refs, style)
        cells.append(pc.fill_null(made, ""))
    filled = pc.binary_join_element_wise(*cells, "")
    rows = pc.binary_join_element_wise('<row r="', numbers, '">', filled, "</row>", "")
    return "".join(rows.filter(pc.not_equal(filled, "")).to_pylist())      # no element for an empty row


def _sheet_part(files: dict[str, bytes], sheet: str) -> str:
    """The package part of the worksheet named ``sheet`` (workbook.xml → its relationship)."""
    book = ElementTree.fromstring(files["xl/workbook.xml"])
    rid = next(s.get(f"{{{_NS['r']}}}id") for s in book.iterfind("m:sheets/m:sheet", _NS) if s.get("name") == sheet)
    rels = ElementTree.fromstring(files["xl/_rels/workbook.xml.rels"])
    target = next(r.get("Target") for r in rels.iterfind("rel:Relationship", _NS) if r.get("Id") == rid)
    return target.lstrip("/") if target.startswith("/") else "xl/" + target


def _insert(xml: str, rows: str, first: int, last: int, last_col: int) -> str:
    """``rows`` (sheet rows ``first``..``last``, 1-based) into the sheet's XML, in row order, and
    the ``<dimension>`` widened to cover them."""
    if "<sheetData/>" in xml:
        xml = xml.replace("<sheetData/>", f"<sheetData>{rows}</sheetData>", 1)
    else:
        start, end = xml.index("<sheetData>") + len("<sheetData>"), xml.index("</sheetData>")
        at = end
        for m in re.finditer(r'<row r="(\d+)"', xml[start:end]):
            r = int(m.group(1))
            if first <= r <= last:
                raise ValueError(f"row {r} is already written")
            if r > last:
                at = start + m.start()
                break
        xml = xml[:at] + rows + xml[at:]
    m = re.search(r'<dimension ref="([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?"/>', xml)
    if m:                              # the list starts in column A
        right, bottom = m.group(3) or m.group(1), int(m.group(4) or m.group(2))
        width = xl_cell_to_rowcol(f"{right}1")[1] + 1
        ref = f"A{min(int(m.group(2)), first)}:{xl_col_to_name(max(width - 1, last_col))}{max(bottom, last)}"
        xml = xml[:m.start()] + f'<dimension ref="{ref}"/>' + xml[m.end():]
    return xml


def splice(path: str, lists: list[tuple[str, int, int, int, str]]) -> None:
    """Put rendered rows into the workbook at ``path``: each (sheet name, first row, last row —
    both 1-based —, last column 0-based, the rows' XML). The package is rewritten part by part in
    its order, the worksheet parts changed, the others as they were."""
    with zipfile.ZipFile(path) as z:
        infos = z.infolist()
        files = {i.filename: z.read(i.filename) for i in infos}
    for sheet, first, last, last_col, rows in lists:
        part = _sheet_part(files, sheet)
        files[part] = _insert(files[part].decode("utf-8"), rows, first, last, last_col).encode("utf-8")
    tmp = f"{path}.rows"
    try:
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as out:
            for info in infos:
                out.writestr(zipfile.ZipInfo(info.filename, date_time=info.date_time), files[info.filename],
                             compress_type=zipfile.ZIP_DEFLATED)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
