"""How computed values look in every output (workbooks, sheets written by buttons, pages):
one home for the few conventions, so the doors cannot drift apart.

- a missing value is an empty cell (None);
- a yes/no answer (是否及时) is 是 / 否;
- a list of flags or reasons is joined with the full-width semicolon "；";
- a text longer than a spreadsheet cell holds (32,767 characters) is cut with a visible note, never
  silently (R21).
"""

from __future__ import annotations

import pandas as pd

SEPARATOR = "；"
YES, NO = "是", "否"


def yes_no(col: pd.Series) -> pd.Series:
    """True/False/None → 是/否/None (object dtype)."""
    return col.map({True: YES, False: NO}).astype(object)


def joined(col: pd.Series) -> list:
    """A column of lists → one text per row ("a；b"), None for an empty list."""
    return [SEPARATOR.join(items) or None for items in col]


def join(items) -> str | None:
    return SEPARATOR.join(items) or None


MAX_CELL_TEXT = 32_767                      # characters an Excel/WPS cell holds
TRUNCATED = "…（全文超过单元格上限32767字，以下已截断，全文见台账）"


def fit_cell(text: str) -> str:
    """``text`` as a cell can hold it: unchanged, or cut with :data:`TRUNCATED` at the end."""
    if len(text) <= MAX_CELL_TEXT:
        return text
    return text[: MAX_CELL_TEXT - len(TRUNCATED)] + TRUNCATED
