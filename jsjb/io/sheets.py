"""A ledger's sheets as Arrow tables (fastexcel: Rust calamine → Arrow), without pandas; and
reading ahead while the rest of the program is still being imported.

Before anything is parsed, the file is checked as a zip archive (:func:`inspect_zip`): not a
zip, encrypted, or parts that would expand beyond a sane size are refused with a Chinese
LedgerFileError — a "zip bomb" must not reach the Rust reader, which aborts the whole process
when an allocation fails.

Reading ahead (:func:`read_ahead`): a command that reads a ledger starts reading it in a
background thread at process start (``jsjb.launch``), before pandas and the jobs are imported.
fastexcel releases the GIL while it parses, so on a machine with two cores the imports (about
0.3 s) cost no wall time. :func:`load_tables` takes the result when it is for the same file
(path, size and modification time unchanged) and otherwise reads as usual; an error met while
reading ahead is raised there, exactly as a direct read would raise it. This module imports
neither pandas nor the jobs, so that reading can start before they load.
"""

from __future__ import annotations

import os
import threading
import zipfile
from concurrent.futures import Future
from pathlib import Path

from ..core import codes as C
from ..core import schema as S
from ..core.errors import LedgerFileError
from ..core.headers import ALIAS_COLUMNS, SHEET_ALIASES, HeaderMap, map_headers, parse_aliases
from ..core.howto import how

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

# The sheets a ledger job reads, and the columns of each (matched after stripping white space).
WANTED = {
    S.SHEET_TICKETS: S.INPUT_NAMES,
    S.SHEET_ENTERPRISES: S.ENTERPRISE_COLUMNS,
    S.SHEET_HOLIDAYS: S.HOLIDAY_COLUMNS,
    S.SHEET_PARAMS: ("参数", "值"),
    S.SHEET_ADJUSTMENTS: S.ADJUSTMENT_COLUMNS,
    S.SHEET_MANUAL: S.MANUAL_COLUMNS,
    SHEET_ALIASES: ALIAS_COLUMNS,          # optional: the export's (or an older ledger's) column names
}
HEADER_KEY = b"jsjb.header"    # Arrow schema metadata of 工单台账: its header as mapped (JSON, see _tickets)


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


def _sheet(reader, name: str, wanted: tuple[str, ...], file: str):
    """One sheet as an Arrow table of text cells, header in row 1, only the wanted columns (the
    first of equal names). A sheet that exists but cannot be read raises LedgerFileError naming
    it (R21: never an empty table).

    Eager loading converts calamine's cells straight to an Arrow record batch (the same values
    as the lazy sheet's ``to_arrow``): measured on the 100,000-row sample, 0.69 s of CPU against
    0.85 s. Loading only the wanted columns (``use_columns``) saves nothing measurable (0.68 s):
    calamine parses every cell of the sheet either way, so the selection is done afterwards."""
    table = _load(reader, name, file)
    names = [str(c).strip() for c in table.column_names]
    keep = [i for i, c in enumerate(names) if c in wanted and c not in names[:i]]
    return table.select(keep).rename_columns([names[i] for i in keep])


def _load(reader, name: str, file: str):
    import pyarrow as pa

    try:
        return pa.Table.from_batches([reader.load_sheet(name, dtypes="string", eager=True)])
    except Exception as e:  # noqa: BLE001 - fastexcel/calamine raise their own types
        raise LedgerFileError(
            f"无法读取{file}中的“{name}”工作表：该表已损坏或内容无法解析（{type(e).__name__}）。"
            f"请在 Excel/WPS 中打开台账，检查该表后另存为 .xlsx 重试。", C.SHEET_UNREADABLE) from e


def _tickets(reader, aliases_table, file: str):
    """The 工单台账 sheet with its header mapped onto the ledger's columns (``core.headers``, ledger
    rules: the template's own names first, then the 列名对照 sheet, then the built-in synonyms — an
    office's older ledger with 工单号, 下派时间 … reads like the template). Only the input columns are
    kept; the header as mapped (the ledger's name, or the text as written for other columns) and what
    was renamed or left out go into the table's schema metadata (:data:`HEADER_KEY`)."""
    import json

    table = _load(reader, S.SHEET_TICKETS, file)
    rows = [] if aliases_table is None else list(zip(*(aliases_table.column(c).to_pylist()
                                                        for c in ALIAS_COLUMNS if c in aliases_table.column_names)))
    aliases = parse_aliases(rows if aliases_table is not None and aliases_table.num_columns == 2 else [])
    headers = ["" if str(c).startswith("__UNNAMED__") else c for c in table.column_names]   # fastexcel's blank header
    hmap: HeaderMap = map_headers(headers, aliases, ledger=True,
                                  where=f"{file}的“{S.SHEET_TICKETS}”表第1行")
    keep = sorted(hmap.columns)
    table = table.select(keep).rename_columns([hmap.columns[i] for i in keep])
    info = {"header": [hmap.columns.get(i, h) for i, h in enumerate(hmap.headers)],
            "renamed": {hmap.headers[i]: [c, hmap.how[i]] for i, c in hmap.columns.items() if hmap.how[i] != "own"},
            "unmapped": hmap.unmapped_names}
    return table.replace_schema_metadata({HEADER_KEY: json.dumps(info, ensure_ascii=False).encode("utf-8")})


def header_info(table) -> dict:
    """What :func:`_tickets` recorded about the 工单台账 header of ``table`` (empty for other tables):
    ``header`` (as mapped, sheet order), ``renamed`` {header: column} and ``unmapped`` [headers]."""
    import json

    meta = (table.schema.metadata or {}).get(HEADER_KEY)
    return json.loads(meta.decode("utf-8")) if meta else {}


# header_info of the ledgers read lately, by file identity: `template --from` lists what it could not
# map without reading the old ledger a second time
_HEADERS: dict[tuple, dict] = {}


def read_header_info(path: str | os.PathLike) -> dict:
    """:func:`header_info` of the ledger at ``path``: from its last read when the file is unchanged, else
    read now."""
    p = check_path(path)
    key = _identity(p)
    if key not in _HEADERS:
        _read_tables(p)
    return _HEADERS.get(key, {})


def _read_tables(p: Path) -> dict:
    reader = _open(p)
    names = set(reader.sheet_names)
    if S.SHEET_TICKETS not in names:
        raise LedgerFileError(
            f"{p.name} 中没有“{S.SHEET_TICKETS}”工作表（现有：{'、'.join(reader.sheet_names)}）。"
            f"请使用本工具的台账模板（{how('template')}），或将工单所在的工作表命名为“{S.SHEET_TICKETS}”。")
    aliases = _sheet(reader, SHEET_ALIASES, ALIAS_COLUMNS, p.name) if SHEET_ALIASES in names else None
    out = {name: (_sheet(reader, name, cols, p.name) if name in names else None) for name, cols in WANTED.items()
           if name not in (S.SHEET_TICKETS, SHEET_ALIASES)}
    tickets = _tickets(reader, aliases, p.name)
    key = _identity(p)
    if key is not None:
        if len(_HEADERS) >= 8:
            _HEADERS.pop(next(iter(_HEADERS)))
        _HEADERS[key] = header_info(tickets)
    return {S.SHEET_TICKETS: tickets, **out, SHEET_ALIASES: aliases}


# -- reading ahead ---------------------------------------------------------------------------------
_AHEAD: dict[tuple, Future] = {}
_AHEAD_LOCK = threading.Lock()


def _identity(p: Path) -> tuple | None:
    try:
        st = p.stat()
        return (str(p.resolve()), st.st_mtime_ns, st.st_size)
    except OSError:
        return None


def read_ahead(path: str | os.PathLike) -> None:
    """Start reading the ledger at ``path`` in a background thread (nothing happens if it is not a
    file). The thread is a daemon: a command that ends early (a wrong option) does not wait for it."""
    p = Path(path)
    key = _identity(p)
    if key is None or not p.is_file():
        return
    future: Future = Future()

    def run():
        try:
            future.set_result(_read_tables(check_path(p)))
        except BaseException as e:  # noqa: BLE001 - handed to whoever takes the result
            future.set_exception(e)

    with _AHEAD_LOCK:
        _AHEAD[key] = future
    threading.Thread(target=run, name="jsjb-read-ahead", daemon=True).start()


def load_tables(path: str | os.PathLike) -> dict:
    """The wanted sheets of a ledger as Arrow tables (None for an optional sheet that is absent):
    the read started ahead for this very file (same size and modification time) when there is one,
    else a fresh read. Raises LedgerFileError for a file that is not a readable ledger."""
    p = check_path(path)
    key = _identity(p)
    with _AHEAD_LOCK:
        future = _AHEAD.pop(key, None) if key is not None else None
    if future is not None:
        return future.result()
    return _read_tables(p)


# Commands whose positional .xlsx argument is the ledger they read (`mail` names it with --ledger);
# an .xlsx after --out is an output, never read ahead.
READING_COMMANDS = frozenset({"check", "compute", "bulletin", "assess", "dispatch", "archive", "holidays", "mail",
                              "intake"})
NAMED_LEDGER = frozenset({"intake"})      # commands whose ledger is only the value of --ledger


def ledger_argument(argv: list[str]) -> str | None:
    """The ledger a command line will read, guessed before argparse runs (a wrong guess only costs
    a read that nobody takes): the value of --ledger for `intake` (its first argument is the
    system's export), else the first existing .xlsx/.xlsm argument that is not an --out value."""
    if not argv or argv[0] not in READING_COMMANDS:
        return None
    if argv[0] in NAMED_LEDGER:
        for k, arg in enumerate(argv):
            value = argv[k + 1] if arg == "--ledger" and k + 1 < len(argv) else (
                arg.split("=", 1)[1] if arg.startswith("--ledger=") else None)
            if value and value.lower().endswith((".xlsx", ".xlsm")) and os.path.isfile(value):
                return value
        return None
    previous = ""
    for arg in argv[1:]:
        if previous != "--out" and not arg.startswith("-") and arg.lower().endswith((".xlsx", ".xlsm")) \
                and os.path.isfile(arg):
            return arg
        previous = arg
    return None
