"""Tables the server keeps for a page: compact Arrow tables (a 100,000-row ledger with its computed
columns is about 45 MB as Arrow, 145 MB as a pandas frame of Python strings), and the ledger view of
刷新 on top of one — search by 工单编号, filter by 承办企业 and 状态, sort by any column, one page at
a time. Every operation is a whole-column Arrow compute call (no per-row Python) and releases the
GIL, so a clerk paging through 100,000 rows does not slow another clerk's page.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..core import schema as S
from . import render

ROW_NUMBER = "行号"
# 刷新: what a clerk looks for first — the ticket, then what was computed for it, then the rest
LEAD = (S.ID, ROW_NUMBER, S.STATUS, S.DEADLINE, S.TIMELY, S.MATERIALS_DUE, S.REPLY_DUE, S.FLAGS, S.ENTERPRISE,
        S.DISPATCHED, S.LIMIT_TYPE)
PINNED = S.ID             # stays in view when the table scrolls sideways


def compact(frame: pd.DataFrame) -> pa.Table:
    """A frame as an Arrow table; a column Arrow cannot type (mixed values) becomes the texts the
    page would show."""
    arrays = {}
    for name in frame.columns:
        column = frame[name]
        try:
            arrays[str(name)] = pa.array(column, from_pandas=True)
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, TypeError, ValueError):
            arrays[str(name)] = pa.array([render.cell(v, str(name)) or None for v in column], type=pa.string())
    return pa.table(arrays)


def ledger_table(frame: pd.DataFrame) -> pa.Table:
    """刷新's table: the columns of :data:`LEAD` first (those present), then the rest in ledger order."""
    lead = [c for c in LEAD if c in frame.columns]
    return compact(frame[lead + [c for c in frame.columns if c not in lead]])


@dataclass
class Query:
    """What the clerk asked of the ledger view (all from the page's query string)."""

    q: str = ""             # part of a 工单编号
    enterprise: str = ""
    status: str = ""
    sort: str = ""          # a column name; "" keeps the ledger's order
    desc: bool = False
    page: int = 1

    @classmethod
    def of(cls, params: Mapping[str, str]) -> Query:
        try:
            page = int(params.get("page", "1"))
        except ValueError:
            page = 1
        return cls(q=params.get("q", "").strip()[:100], enterprise=params.get("enterprise", "").strip(),
                   status=params.get("status", "").strip(), sort=params.get("sort", "").strip(),
                   desc=params.get("order", "") == "desc", page=page)

    def link(self, **change) -> dict[str, str]:
        """The query string of this view with some parts changed (for links: sort, pages)."""
        values = {"q": self.q, "enterprise": self.enterprise, "status": self.status, "sort": self.sort,
                  "order": "desc" if self.desc else "", "page": str(self.page)}
        values.update({k: str(v) for k, v in change.items()})
        return {k: v for k, v in values.items() if v and not (k == "page" and v == "1")}


@dataclass
class Selection:
    frame: pd.DataFrame       # the rows of this page
    matched: int              # rows that pass the search and filters
    page: int
    pages: int
    start: int                # index of the page's first row among the matched ones


def select(table: pa.Table, query: Query, size: int) -> Selection:
    """The page of ``table`` that ``query`` asks for: filtered, searched, sorted (empty cells last)."""
    mask = None

    def both(m):
        return m if mask is None else pc.and_kleene(mask, m)
    if query.enterprise and S.ENTERPRISE in table.column_names:
        mask = both(pc.equal(table[S.ENTERPRISE], query.enterprise))
    if query.status and S.STATUS in table.column_names:
        mask = both(pc.equal(table[S.STATUS], query.status))
    if query.q and S.ID in table.column_names:
        ids = table[S.ID] if pa.types.is_string(table[S.ID].type) else pc.cast(table[S.ID], pa.string())
        mask = both(pc.match_substring(ids, query.q, ignore_case=True))
    chosen = table.filter(pc.fill_null(mask, False)) if mask is not None else table
    matched = chosen.num_rows
    pages = max(1, math.ceil(matched / size))
    page = min(max(1, query.page), pages)
    start = (page - 1) * size
    if query.sort in chosen.column_names:
        # empty cells last (Arrow's default placement, in either order)
        order = pc.sort_indices(chosen, sort_keys=[(query.sort, "descending" if query.desc else "ascending")])
        part = chosen.take(order.slice(start, size))
    else:
        part = chosen.slice(start, size)
    return Selection(part.to_pandas(), matched, page, pages, start)


def head(table, rows: int) -> pd.DataFrame:
    """The first ``rows`` rows of a kept table (Arrow or pandas) as a frame for the page."""
    if isinstance(table, pd.DataFrame):
        return table.head(rows)
    return table.slice(0, rows).to_pandas()


def rows_of(table) -> int:
    return len(table) if isinstance(table, pd.DataFrame) else table.num_rows


__all__ = ["LEAD", "PINNED", "Query", "Selection", "compact", "head", "ledger_table", "rows_of", "select"]
