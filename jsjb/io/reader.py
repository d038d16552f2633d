"""Reading a ledger workbook with fastexcel (Rust calamine → Arrow), by header names.

Columns may be reordered or extra; sheets are found by name; optional sheets may be missing.
Every cell is read as text (fastexcel renders dates ISO-style and numbers plainly), and the
core's ``timeconv`` turns dates in any form Excel stores them into timestamps.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from ..core import schema as S
from ..core.errors import LedgerFileError
from ..core.ledger import Ledger, build

OPTIONAL = (S.SHEET_ENTERPRISES, S.SHEET_HOLIDAYS, S.SHEET_PARAMS, S.SHEET_ADJUSTMENTS, S.SHEET_MANUAL)


def check_path(path: str | os.PathLike) -> Path:
    p = Path(path)
    if not p.exists():
        raise LedgerFileError(f"找不到台账文件：{p}")
    if p.is_dir():
        raise LedgerFileError(f"{p} 是文件夹，不是台账文件")
    if p.suffix.lower() not in (".xlsx", ".xlsm"):
        raise LedgerFileError(f"{p.name} 不是 .xlsx 工作簿：请在 Excel/WPS 中另存为“Excel 工作簿(*.xlsx)”后重试")
    return p


def _open(p: Path):
    import fastexcel

    try:
        return fastexcel.read_excel(str(p))
    except Exception as e:  # fastexcel raises its own error types for every kind of bad file
        raise LedgerFileError(f"无法打开台账文件 {p.name}：文件已损坏或不是有效的 Excel 工作簿（{type(e).__name__}）") from e


def _sheet(reader, name: str, wanted: tuple[str, ...] | None = None) -> pd.DataFrame:
    """One sheet as text cells (Arrow strings), header in row 1, only the wanted columns
    (matched after stripping white space). Loaded once, every column as text."""
    try:
        table = reader.load_sheet_by_name(name, dtypes="string").to_arrow()
    except Exception:
        return pd.DataFrame()
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
    return {name: (_sheet(reader, name, cols) if name in names else None) for name, cols in wanted.items()}


def read_ledger(path: str | os.PathLike) -> Ledger:
    """Read and parse a ledger workbook. The file is opened read-only and never modified."""
    return build(read_sheets(path), source=str(path))
