"""Reading an export of the 接诉即办 system (R24, CONTRACT §6) into :class:`~jsjb.core.intake.Grid` s:
every sheet's cells as text, with the sheet row and column of its first cell.

Accepted: Excel workbooks (.xlsx, .xlsm, .xls — the old binary format — and .ods) through fastexcel
(Rust calamine, the ledger's reader), and CSV/text tables in UTF-8 (with or without BOM), UTF-16
(Excel's "Unicode text") or GBK/GB18030, separated by commas, tabs, semicolons or bars. The file's content
decides, not its name: a web page saved as ``.xls`` (a common "export to Excel") is refused with the
fix. In an .xlsx, merged cells are filled with their value over the whole merged area (a header merged
over two rows, a group title over several columns); elsewhere the header search does without.

Cells become text as fastexcel renders them: whole numbers without ``.0`` (ids, phone numbers
stored as numbers), date cells as ``YYYY-MM-DD HH:MM:SS`` (to the second); CSV cells in Excel's
``="…"`` text form unwrapped. The core parses the rest.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
import zipfile
from pathlib import Path

from ..core import codes as C
from ..core.errors import LedgerFileError
from ..core.intake import Grid
from .sheets import MAX_PART, MAX_RATIO, MAX_TOTAL, OLE_MAGIC, RATIO_FLOOR

ZIP_MAGIC = b"PK\x03\x04"
MAX_TEXT_BYTES = 512 * 1024**2      # a CSV export beyond this is no day's or month's tickets
SEPARATORS = (",", "\t", ";", "|")
RESAVE = "请在 Excel/WPS 中打开它，另存为“Excel 工作簿(*.xlsx)”后再导入"


def _refuse(p: Path, reason: str, code: str = C.EXPORT_FORMAT) -> LedgerFileError:
    return LedgerFileError(f"无法读取导出文件“{p.name}”：{reason}", code)


def read_grids(path: str | os.PathLike) -> list[Grid]:
    """Every sheet of the export at ``path`` as a Grid (a CSV file is one Grid with no sheet name).
    Raises LedgerFileError (Chinese, naming the file) for a missing file, a file that is no
    workbook or CSV, a damaged or encrypted workbook, an unknown text encoding."""
    p = Path(path)
    if not p.exists():
        raise LedgerFileError(f"找不到导出文件：{p}")
    if p.is_dir():
        raise LedgerFileError(f"{p} 是文件夹，不是导出文件")
    try:
        with open(p, "rb") as f:
            head = f.read(4096)
    except OSError as e:
        raise _refuse(p, e.strerror or str(e), C.FILE) from e
    if not head:
        raise _refuse(p, "文件是空的。", C.FILE_DAMAGED)
    if head.startswith(ZIP_MAGIC):
        _check_zip(p)
        return _workbook(p)
    if head.startswith(OLE_MAGIC):
        return _workbook(p, old=True)
    if _looks_like_html(head):
        raise _refuse(p, f"它实际上是网页（HTML）格式，不是 Excel 工作簿（有的系统“导出 Excel”会生成这种文件）。{RESAVE}。")
    if p.suffix.lower() in (".xlsx", ".xlsm", ".ods") and not _utf16(head):      # (an old .xls may be text)
        raise _refuse(p, f"文件已损坏或不是有效的 Excel 工作簿。{RESAVE}。", C.FILE_DAMAGED)
    return [_csv(p)]


def _looks_like_html(head: bytes) -> bool:
    text = head.lstrip(codecs.BOM_UTF8).lstrip().lower()
    return text.startswith((b"<!doctype html", b"<html", b"<table", b"<?xml")) or b"<html" in text[:512]


def _utf16(head: bytes) -> bool:
    return head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))


def _check_zip(p: Path) -> None:
    """A zip-packaged workbook within the size bounds of ``io.sheets`` (no zip bomb reaches the reader)."""
    try:
        with zipfile.ZipFile(p) as z:
            parts = z.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as e:
        raise _refuse(p, f"文件已损坏（zip 目录无法读取）。{RESAVE}。", C.FILE_DAMAGED) from e
    names = {i.filename for i in parts}
    if not ({"xl/workbook.xml", "content.xml"} & names or any(n.endswith("/workbook.xml") for n in names)):
        raise _refuse(p, "它是 zip 压缩包，但不是 Excel 工作簿（没有工作簿结构）。请选择接诉即办系统导出的工单文件。",
                      C.FILE_DAMAGED)
    if any(i.flag_bits & 0x1 for i in parts):
        raise _refuse(p, "文件内容已加密。请取消加密后另存为 .xlsx 再导入。", C.FILE_ENCRYPTED)
    total = sum(i.file_size for i in parts)
    for i in parts:
        ratio = i.file_size / max(i.compress_size, 1)
        if i.file_size > MAX_PART or (i.file_size > RATIO_FLOOR and ratio > MAX_RATIO):
            raise _refuse(p, f"其中的部件 {i.filename} 解压后过大（压缩比 {ratio:,.0f}:1），可能已损坏或被恶意构造，已拒绝读取。",
                          C.FILE_TOO_LARGE)
    if total > MAX_TOTAL:
        raise _refuse(p, "解压后超过可处理的上限。请按日期分批导出后再导入。", C.FILE_TOO_LARGE)


# -- workbooks -------------------------------------------------------------------------------------------
def _workbook(p: Path, old: bool = False) -> list[Grid]:
    """Every sheet as cell texts through fastexcel (Rust calamine, the ledger's reader): .xlsx, .xlsm,
    .xls and .ods. ``skip_rows=0`` keeps the leading empty rows, so row k is sheet row k + 1; the
    first column's ``absolute_index`` places the columns. Merged areas come from the .xlsx XML."""
    import fastexcel

    try:
        reader = fastexcel.read_excel(str(p))
    except Exception as e:  # noqa: BLE001 - fastexcel raises its own error types for every bad file
        if old:
            raise _refuse(p, "它是加密（设置了打开密码）的工作簿，或已损坏的旧版 .xls 文件。"
                             f"请在 Excel/WPS 中取消打开密码，{RESAVE[2:]}。", C.FILE_ENCRYPTED) from e
        raise _refuse(p, f"文件已损坏或不是有效的 Excel 工作簿（{type(e).__name__}）。{RESAVE}。", C.FILE_DAMAGED) from e
    merges = {} if old else _xlsx_merges(p)
    grids = []
    for name in reader.sheet_names:
        try:
            sheet = reader.load_sheet(name, header_row=None, dtypes="string", skip_rows=0)
            info = sheet.available_columns()
            col0 = info[0].absolute_index if info else 0
            table = sheet.to_arrow() if info else None
        except Exception as e:  # noqa: BLE001
            raise LedgerFileError(f"无法读取导出文件“{p.name}”中的“{name}”工作表：该表已损坏或内容无法解析"
                                  f"（{type(e).__name__}）。{RESAVE}。", C.SHEET_UNREADABLE) from e
        if table is None or table.num_rows == 0:
            grids.append(Grid(str(name), [], row0=1, col0=0))
            continue
        columns = [col.to_pylist() for col in table.columns]
        rows = [list(r) for r in zip(*columns)]
        _fill_merged(rows, merges.get(str(name), ()), (0, col0))
        grids.append(Grid(str(name), rows, row0=1, col0=col0))
    return grids


def _cell_at(ref: str) -> tuple[int, int]:
    """'B3' → (2, 1): 0-based row and column (XlsxWriter's reading of a cell reference)."""
    from xlsxwriter.utility import xl_cell_to_rowcol

    return xl_cell_to_rowcol(ref.replace("$", ""))


def _xlsx_merges(p: Path) -> dict[str, list[tuple[tuple[int, int], tuple[int, int]]]]:
    """The merged areas of each sheet of an .xlsx (``<mergeCell ref="B3:F3"/>``), 0-based corners;
    empty for a package that is not laid out as Excel's (an .ods) or cannot be read."""
    from xml.sax.saxutils import unescape

    out: dict[str, list] = {}
    try:
        with zipfile.ZipFile(p) as z:
            names = set(z.namelist())
            if "xl/workbook.xml" not in names:
                return out
            book = z.read("xl/workbook.xml").decode("utf-8", "replace")
            rels = z.read("xl/_rels/workbook.xml.rels").decode("utf-8", "replace") \
                if "xl/_rels/workbook.xml.rels" in names else ""
            targets = {m.group(1): m.group(2) for m in re.finditer(
                r'<Relationship\b[^>]*?\bId="([^"]+)"[^>]*?\bTarget="([^"]+)"', rels)}
            targets.update({m.group(2): m.group(1) for m in re.finditer(
                r'<Relationship\b[^>]*?\bTarget="([^"]+)"[^>]*?\bId="([^"]+)"', rels)})
            for m in re.finditer(r'<sheet\b([^>]*)/?>', book):
                attrs = m.group(1)
                name = re.search(r'\bname="([^"]*)"', attrs)
                rid = re.search(r'\br:id="([^"]*)"', attrs) or re.search(r'\b\w+:id="([^"]*)"', attrs)
                if not name or not rid or rid.group(1) not in targets:
                    continue
                target = targets[rid.group(1)].lstrip("/")
                part = target if target.startswith("xl/") else f"xl/{target}"
                if part not in names:
                    continue
                xml = z.read(part).decode("utf-8", "replace")
                areas = [tuple(_cell_at(c) for c in ref.split(":")) for ref in
                         re.findall(r'<mergeCell\b[^>]*\bref="([A-Z$]+\d+:[A-Z$]+\d+)"', xml)]
                if areas:
                    out[unescape(name.group(1), {"&quot;": '"', "&apos;": "'"})] = areas
    except (OSError, KeyError, zipfile.BadZipFile, AttributeError):
        return {}
    return out


def _fill_merged(rows: list[list[str | None]], merged, start: tuple[int, int]) -> None:
    """Give every cell of a merged area its top-left cell's value (a header merged over two rows, a
    group title over several columns, an 承办单位 merged over the rows of its tickets)."""
    r0, c0 = start
    for (top, left), (bottom, right) in merged:
        t, l_ = top - r0, left - c0
        if t < 0 or l_ < 0 or t >= len(rows):
            continue
        value = rows[t][l_] if l_ < len(rows[t]) else None
        if value is None:
            continue
        for r in range(t, min(bottom - r0, len(rows) - 1) + 1):
            row = rows[r]
            if len(row) <= right - c0:
                row.extend([None] * (right - c0 + 1 - len(row)))
            for c in range(l_, right - c0 + 1):
                if row[c] is None:
                    row[c] = value


# -- CSV -------------------------------------------------------------------------------------------------
def _decode(p: Path, data: bytes) -> str:
    """The text of a CSV: UTF-8 with a byte-order mark, UTF-16 (its mark), else UTF-8, else GBK — a
    file that claims an encoding and breaks it is refused like one in no encoding at all."""
    if data.startswith(codecs.BOM_UTF8):
        attempts = [(data[len(codecs.BOM_UTF8):], "utf-8")]
    elif _utf16(data):
        attempts = [(data, "utf-16")]
    else:
        attempts = [(data, "utf-8"), (data, "gb18030")]     # GB18030 reads every GBK file
    for raw, encoding in attempts:
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise _refuse(p, "无法识别文件的文字编码（既不是 UTF-8，也不是 GBK）。请在 Excel/WPS 中打开它，另存为 .xlsx 或"
                     "“CSV UTF-8”后再导入。", C.EXPORT_ENCODING)


def _separator(text: str) -> str:
    lines = [line for line in text.splitlines()[:30] if line.strip()]
    counts = {sep: sum(line.count(sep) for line in lines) for sep in SEPARATORS}
    best = max(SEPARATORS, key=lambda sep: counts[sep])
    return best if counts[best] else ","


def _csv_cell(v: str) -> str | None:
    if not v:
        return None
    if len(v) >= 3 and v.startswith('="') and v.endswith('"'):       # Excel's text form: ="000123"
        v = v[2:-1]
    return v if v.strip() else None


def _csv(p: Path) -> Grid:
    if p.stat().st_size > MAX_TEXT_BYTES:
        raise _refuse(p, "文件过大。请按日期分批导出后再导入。", C.FILE_TOO_LARGE)
    try:
        data = p.read_bytes()
    except OSError as e:
        raise _refuse(p, e.strerror or str(e), C.FILE) from e
    text = _decode(p, data)
    if "\x00" in text:
        raise _refuse(p, f"它既不是 Excel 工作簿，也不是 CSV 文本表格。{RESAVE}。", C.EXPORT_FORMAT)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_separator(text))
    try:
        rows = [[_csv_cell(v) for v in row] for row in reader]
    except csv.Error as e:
        raise _refuse(p, f"CSV 格式有误（{e}）。{RESAVE}。", C.EXPORT_FORMAT) from e
    return Grid("", rows, row0=1, col0=0)


# -- writing a sample export (`jsjb sample --export`) -------------------------------------------------------
def write_sample_export(path: str | os.PathLike, export) -> Path:
    """A :class:`~jsjb.core.sample.SampleExport` as the system writes it: ``.xlsx`` with a title line,
    group titles merged over two header rows (the ungrouped names merged down both), date cells and
    text times mixed; ``.csv`` as one header row and the rows, UTF-8 with BOM. Atomic (R21)."""
    from .writer import atomic_path

    p = Path(path)
    if p.suffix.lower() == ".csv":
        return atomic_path(p, lambda tmp: _write_csv(tmp, export))
    return atomic_path(p, lambda tmp: _write_xlsx(tmp, export))


def _plain(v) -> str:
    if v is None or (isinstance(v, float) and v != v):
        return ""
    if hasattr(v, "strftime"):
        return v.strftime("%Y-%m-%d %H:%M")
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _write_csv(tmp: str, export) -> None:
    with open(tmp, "w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f)
        w.writerow(export.header)
        for row in export.rows:
            w.writerow([] if row is None else [_plain(v) for v in row])


def _write_xlsx(tmp: str, export) -> None:
    import xlsxwriter

    from .writer import WORKBOOK_OPTIONS

    wb = xlsxwriter.Workbook(tmp, WORKBOOK_OPTIONS)
    ws = wb.add_worksheet("工单列表")
    head = wb.add_format({"bold": True, "align": "center", "valign": "vcenter", "border": 1, "bg_color": "#F2F2F2"})
    title = wb.add_format({"bold": True, "font_size": 14, "align": "center"})
    when = wb.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    header = list(export.header)
    ws.merge_range(0, 0, 0, len(header) - 1, export.title, title)
    grouped: dict[int, str] = {}
    for label, first, last in export.groups:
        a, b = header.index(first), header.index(last)
        ws.merge_range(1, a, 1, b, label, head)
        for j in range(a, b + 1):
            grouped[j] = label
    for j, name in enumerate(header):
        if j in grouped:
            ws.write_string(2, j, name, head)
        else:
            ws.merge_range(1, j, 2, j, name, head)
        ws.set_column(j, j, 40 if name == "问题描述" else 17 if "时间" in name else 12)
    for i, row in enumerate(export.rows, start=3):
        if row is None:
            continue
        for j, v in enumerate(row):
            if v is None or (isinstance(v, float) and v != v):
                continue
            if hasattr(v, "to_pydatetime"):
                ws.write_datetime(i, j, v.to_pydatetime(), when)
            elif isinstance(v, (int, float)):
                ws.write_number(i, j, v)
            else:
                ws.write_string(i, j, str(v))
    ws.freeze_panes(3, 2)
    wb.close()


# -- the intake's output (`jsjb intake --out`) ------------------------------------------------------------
def write_intake(path: str | os.PathLike, paste, report, summary: list[str]) -> Path:
    """The workbook of an intake: sheet 工单台账 — the new tickets in the ledger's column order with
    the header in row 1, values typed (times as date-times, 法定期限 as a date), ready to paste below
    the ledger's last row — and sheet 核对结果, every difference (masked, R19), under the summary."""
    from ..core import schema as S
    from .writer import Table, write_tables

    dates = tuple(c for c in paste.columns if c in S.COLUMNS and S.COLUMNS[c].kind == S.DATE)
    widths = {c: S.COLUMNS[c].width for c in paste.columns if c in S.COLUMNS}
    tables = [Table(S.SHEET_TICKETS, paste, widths=widths, dates=dates),
              Table("核对结果", report, title=summary[0] if summary else None, notes=summary[1:],
                    widths={"工单编号": 16, "字段": 12, "台账中的值": 22, "系统中的值": 22, "导出文件位置": 16,
                            "说明": 60})]
    return write_tables(path, tables, constant_memory=False)
