"""Reading a ledger workbook into pandas frames, by header names, and parsing it (``core.ledger``).

Columns may be reordered or extra, and named as the 接诉即办 system or an office's older ledger names
them (工单号, 下派时间 …: ``core.headers``, the ledger's 列名对照 sheet); sheets are found by name;
optional sheets may be missing (then they default). The sheets arrive as Arrow tables from :mod:`jsjb.io.sheets` (which checks
the file, refuses zip bombs and may already have read it ahead); every cell is text (fastexcel
renders dates ISO-style and numbers plainly), and the core's ``timeconv`` turns dates in any form
Excel stores them into timestamps. Text columns stay Arrow-backed (no per-cell Python objects).
"""

from __future__ import annotations

import os

import pandas as pd

from ..core import schema as S
from ..core.ledger import Ledger, Window, build
from .sheets import header_info, load_tables


def _as_pandas_str(arrow_type):
    """Arrow strings → pandas' Arrow-backed str dtype (no per-cell Python objects)."""
    import pyarrow as pa

    if pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type):
        return pd.StringDtype("pyarrow", na_value=float("nan"))
    return None


def _as_arrow_str(arrow_type):
    """Arrow strings → pandas' ArrowDtype of the same Arrow type: no conversion at all (the str
    dtype casts every column to large_string: 0.6 s at 1,000,000 rows). For the 工单台账 sheet of
    a ledger being parsed, whose text ``core.ledger.parse_tickets`` works on as Arrow arrays."""
    import pyarrow as pa

    if pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type):
        return pd.ArrowDtype(arrow_type)
    return None


def read_sheets(path: str | os.PathLike, *, tickets_as_arrow: bool = False) -> dict[str, pd.DataFrame | None]:
    """The ledger's sheets as frames of text cells (None for an optional sheet that is absent).
    ``tickets_as_arrow``: the 工单台账 sheet's text as ``pd.ArrowDtype`` (see :func:`_as_arrow_str`)."""
    out = {}
    for name, table in load_tables(path).items():
        if table is None:
            out[name] = None
            continue
        frame = table.to_pandas(types_mapper=_as_arrow_str if tickets_as_arrow and name == S.SHEET_TICKETS
                                else _as_pandas_str)
        if name == S.SHEET_TICKETS:
            frame.attrs.update(header_info(table))     # the header as mapped (core.headers), for intake
        out[name] = frame
    return out


def read_ledger(path: str | os.PathLike, window: Window | None = None) -> Ledger:
    """Read and parse a ledger workbook (``window``: only the tickets a report over it needs,
    ``core.ledger.in_window``). The file is opened read-only and never modified."""
    return build(read_sheets(path, tickets_as_arrow=True), source=str(path), window=window)


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
