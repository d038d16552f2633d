"""The one clock of the product (R0): local wall-clock time in Asia/Shanghai, naive.

Every door and job that needs "now" (the default ``as_of``, run-log times, mail dates) asks here.
"""

from __future__ import annotations

import pandas as pd

from .errors import InvalidValue

TIMEZONE = "Asia/Shanghai"

# The years a period (month/year option) may name: the first year of built-in holiday data to a
# far horizon. Dates outside are refused with a message, never guessed.
FIRST_YEAR, LAST_YEAR = 2004, 2100


def now() -> pd.Timestamp:
    """Wall-clock now in Asia/Shanghai, naive, whole seconds (R0)."""
    return pd.Timestamp.now(tz=TIMEZONE).tz_localize(None).floor("s")


def naive_local(t: pd.Timestamp) -> pd.Timestamp:
    """A zoned timestamp → naive Shanghai wall-clock time; a naive one is returned as is."""
    return t.tz_convert(TIMEZONE).tz_localize(None) if t.tzinfo is not None else t


def parse_moment(text: str | None, what: str) -> pd.Timestamp | None:
    """A user's 统计时点 (an ISO date-time, zoned or not) → naive Shanghai time; blank → None (now).
    ``what`` names the option or field in the error (e.g. ``--as-of``)."""
    text = "" if text is None else str(text).strip()
    if not text:
        return None
    try:
        t = naive_local(pd.Timestamp(text))
    except (ValueError, TypeError, OverflowError):
        raise InvalidValue(what, text, "应为日期时间，如 2025-12-31T17:00") from None
    if not FIRST_YEAR <= t.year <= LAST_YEAR:
        raise InvalidValue(what, text, f"年份应在 {FIRST_YEAR}–{LAST_YEAR} 之间")
    return t
