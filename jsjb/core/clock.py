"""The one clock of the product (R0): local wall-clock time in Asia/Shanghai, naive.

Every door and job that needs "now" (the default ``as_of``, run-log times, mail dates) asks here.
"""

from __future__ import annotations

import pandas as pd

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
