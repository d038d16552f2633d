"""E-mail addresses in a 承办企业 邮箱 cell (R22): several per cell, each checked, a line break refused.

Pure text rules shared by validation (``check`` warns) and the mail job (which skips what is invalid).
"""

from __future__ import annotations

import re

# One address: local@domain.tld, printable ASCII, no spaces or brackets (what a 邮箱 cell should hold).
_ADDRESS = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
                      r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$")
_SEPARATORS = re.compile(r"[;；,，、\s]+")


def valid_address(text: str) -> bool:
    return bool(_ADDRESS.match(text)) and len(text) <= 254


def parse_addresses(cell: object) -> tuple[list[str], list[str], str | None]:
    """A 邮箱 cell → (valid addresses, invalid ones, a reason the whole cell is refused or None).
    Several addresses may be separated by ; ； , ， 、 or spaces. A line break refuses the cell: it
    is how a header is smuggled into a message, and never how a clerk lists addresses."""
    if cell is None or (isinstance(cell, float) and cell != cell):
        return [], [], "“承办企业”表中没有邮箱"
    text = str(cell)
    if "\n" in text or "\r" in text:
        return [], [], "邮箱单元格中有换行：请每个单元格只填邮箱，多个邮箱用分号分隔"
    parts = [p for p in _SEPARATORS.split(text.strip()) if p]
    if not parts:
        return [], [], "“承办企业”表中没有邮箱"
    valid = list(dict.fromkeys(p for p in parts if valid_address(p)))
    invalid = [p for p in parts if not valid_address(p)]
    return valid, invalid, None
