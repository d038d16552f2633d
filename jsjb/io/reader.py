"""Reading a ledger workbook with fastexcel (Rust calamine → Arrow), by header names.

Columns may be reordered or extra; sheets are found by name; optional sheets may be missing
(then they default). A sheet that is present but cannot be read is an error naming the sheet
(R21: never silently empty). Every cell is read as text (fastexcel renders dates ISO-style and
numbers plainly), and the core's ``timeconv`` turns dates in any form Excel stores them into
timestamps.

Before anything is parsed, the file is checked as a zip archive (:func:`inspect_zip`): not a
zip, encrypted, or parts that would expand beyond a sane size are refused with a Chinese
LedgerFileError — a "zip bomb" must not reach the Rust reader, which aborts the whole process
when an allocation fails.
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import pandas as pd

from ..core import codes as C
from ..core import schema as S
from ..core.errors import LedgerFileError
from ..core.ledger import Ledger, build

# Size bounds of the zip parts (uncompressed). Measured: a `jsjb sample` ledger of 100,000 rows
# (XlsxWriter, 30 input columns + 6 formula columns) is 11.3 MB on disk and 82.2 MB unpacked —
# sheet1.xml 74.4 MB (ratio 7.6), sharedStrings.xml 7.8 MB (ratio 5.0), total ratio 7.3. A full
# Excel sheet of 1,048,576 rows therefore unpacks to about 862 MB (sheet ≈ 780 MB, strings ≈ 82
# MB), and fastexcel needs about 2.3 GB of memory for it (DESIGN.md). The bounds leave room for
# longer texts (about 2.5× the estimate) and refuse what cannot be a ledger: a 2 MB file whose
# shared strings expand to gigabytes. Real parts compress 5–8×; deflate's maximum is about
# 1030×, so a big part beyond MAX_RATIO is a bomb, not data.
MAX_TOTAL = 2 * 1024**3            # all parts together
MAX_PART = 3 * 1024**3 // 2        # any one part (a sheet, the shared strings)
MAX_RATIO = 100                    # uncompressed ÷ compressed, for parts above RATIO_FLOOR
RATIO_FLOOR = 16 * 1024**2
OLE_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")   # compound file: an encrypted workbook or an old .xls


def check_path(path: str | os.PathLike) -> Path:
    p = Path(path)
    if not p.exists():
        raise LedgerFileError(f"找不到台账文件：{p}")
    if p.is_dir():
        raise LedgerFileError(f"{p} 是文件夹，不是台账文件")
    if p.suffix.lower() not in (".xlsx", ".xlsm"):
        raise LedgerFileError(f"{p.name} 不是 .xlsx 工作簿：请在 Excel/WPS 中另存为“Excel 工作簿(*.xlsx)”后重试")
    return p


def _mb(n: int) -> str:
    return f"{n / 1024**2:,.0f} MB"


def inspect_zip(p: Path) -> None:
    """Refuse, before any big allocation, a file that is not a zip-packaged workbook, is
    encrypted, or whose parts would expand beyond the bounds above (LedgerFileError)."""
    try:
        with open(p, "rb") as f:
            head = f.read(8)
    except OSError as e:
        raise LedgerFileError(f"无法读取台账文件 {p.name}：{e.strerror or e}") from e
    if head == OLE_MAGIC:
        raise LedgerFileError(
            f"{p.name} 是加密（设置了打开密码）的工作簿或旧版 .xls 文件，无法读取："
            f"请在 Excel/WPS 中取消打开密码，并另存为“Excel 工作簿(*.xlsx)”后重试。", C.FILE_ENCRYPTED)
    if not zipfile.is_zipfile(p):
        raise LedgerFileError(
            f"无法打开台账文件 {p.name}：文件已损坏或不是有效的 Excel 工作簿（.xlsx 应为 zip 格式）。"
            f"请在 Excel/WPS 中打开并另存为“Excel 工作簿(*.xlsx)”后重试。", C.FILE_DAMAGED)
    try:
        with zipfile.ZipFile(p) as z:
            parts = z.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as e:
        raise LedgerFileError(f"无法打开台账文件 {p.name}：文件已损坏（zip 目录无法读取）。", C.FILE_DAMAGED) from e
    names = {i.filename for i in parts}
    if "xl/workbook.xml" not in names and not any(n.endswith("/workbook.xml") for n in names):
        raise LedgerFileError(f"{p.name} 不是 Excel 工作簿（缺少工作簿结构）：请使用 .xlsx 格式的台账。", C.FILE_DAMAGED)
    if any(i.flag_bits & 0x1 for i in parts):
        raise LedgerFileError(f"{p.name} 中的内容已加密，无法读取：请取消加密后另存为 .xlsx 重试。", C.FILE_ENCRYPTED)
    total = 0
    for i in parts:
        total += i.file_size
        ratio = i.file_size / max(i.compress_size, 1)
        if i.file_size > MAX_PART or (i.file_size > RATIO_FLOOR and ratio > MAX_RATIO):
            raise LedgerFileError(
                f"{p.name} 中的部件 {i.filename} 解压后达 {_mb(i.file_size)}（压缩比 {ratio:,.0f}:1），"
                f"远超任何台账的正常大小（一百万行台账约 900 MB），可能已损坏或被恶意构造，已拒绝读取。", C.FILE_TOO_LARGE)
    if total > MAX_TOTAL:
        raise LedgerFileError(
            f"{p.name} 解压后共 {_mb(total)}，超过可处理的上限 {_mb(MAX_TOTAL)}"
            f"（一百万行台账约 900 MB）：请删除多余的工作表或拆分台账后重试。", C.FILE_TOO_LARGE)


def _open(p: Path):
    import fastexcel

    inspect_zip(p)
    try:
        return fastexcel.read_excel(str(p))
    except Exception as e:  # fastexcel raises its own error types for every kind of bad file
        raise LedgerFileError(f"无法打开台账文件 {p.name}：文件已损坏或不是有效的 Excel 工作簿（{type(e).__name__}）",
                              C.FILE_DAMAGED) from e


def _sheet(reader, name: str, wanted: tuple[str, ...] | None = None, file: str = "") -> pd.DataFrame:
    """One sheet as text cells (Arrow strings), header in row 1, only the wanted columns
    (matched after stripping white space). Loaded once, every column as text. A sheet that
    exists but cannot be read raises LedgerFileError naming it (never an empty table).

    Eager loading converts calamine's cells straight to an Arrow record batch (the same values
    as the lazy sheet's ``to_arrow``): measured on the 100,000-row sample, 0.69 s of CPU against
    0.85 s. Loading only the wanted columns (``use_columns``) saves nothing measurable (0.68 s):
    calamine parses every cell of the sheet either way, so the selection is done afterwards."""
    import pyarrow as pa

    try:
        table = pa.Table.from_batches([reader.load_sheet(name, dtypes="string", eager=True)])
    except Exception as e:  # noqa: BLE001 - fastexcel/calamine raise their own types
        raise LedgerFileError(
            f"无法读取{file}中的“{name}”工作表：该表已损坏或内容无法解析（{type(e).__name__}）。"
            f"请在 Excel/WPS 中打开台账，检查该表后另存为 .xlsx 重试。", C.SHEET_UNREADABLE) from e
    names = [str(c).strip() for c in table.column_names]
    keep = [i for i, c in enumerate(names) if (wanted is None or c in wanted) and c not in names[:i]]
    table = table.select(keep).rename_columns([names[i] for i in keep])
    return table.to_pandas(types_mapper=_as_pandas_str)


def _as_pandas_str(arrow_type):
    """Arrow strings → pandas' Arrow-backed str dtype (no per-cell Python objects)."""
    import pyarrow as pa

    if pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type):
        return pd.StringDtype("pyarrow", na_value=float("nan"))
    return None


def read_sheets(path: str | os.PathLike) -> dict[str, pd.DataFrame | None]:
    p = check_path(path)
    reader = _open(p)
    names = set(reader.sheet_names)
    if S.SHEET_TICKETS not in names:
        raise LedgerFileError(
            f"{p.name} 中没有“{S.SHEET_TICKETS}”工作表（现有：{'、'.join(reader.sheet_names)}）。"
            f"请使用 jsjb template 生成的台账模板，或将工单所在的工作表命名为“{S.SHEET_TICKETS}”。")
    wanted = {
        S.SHEET_TICKETS: S.INPUT_NAMES,
        S.SHEET_ENTERPRISES: S.ENTERPRISE_COLUMNS,
        S.SHEET_HOLIDAYS: S.HOLIDAY_COLUMNS,
        S.SHEET_PARAMS: ("参数", "值"),
        S.SHEET_ADJUSTMENTS: S.ADJUSTMENT_COLUMNS,
        S.SHEET_MANUAL: S.MANUAL_COLUMNS,
    }
    return {name: (_sheet(reader, name, cols, p.name) if name in names else None) for name, cols in wanted.items()}


def read_ledger(path: str | os.PathLike) -> Ledger:
    """Read and parse a ledger workbook. The file is opened read-only and never modified."""
    return build(read_sheets(path), source=str(path))


def sheet_names(path: str | os.PathLike) -> list[str] | None:
    """The sheet names of a workbook without loading it (its xl/workbook.xml), or None when the file
    is not a readable workbook. Used to recognise a job's own earlier output before replacing it."""
    import re
    import zipfile

    try:
        with zipfile.ZipFile(path) as z:
            xml = z.read("xl/workbook.xml").decode("utf-8", "replace")
    except (OSError, KeyError, zipfile.BadZipFile):
        return None
    from xml.sax.saxutils import unescape

    return [unescape(n, {"&quot;": '"', "&apos;": "'"}) for n in re.findall(r'<sheet\b[^>]*\bname="([^"]*)"', xml)]
