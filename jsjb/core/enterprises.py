"""承办企业 (R22): who is who, and the name each enterprise's files carry.

An enterprise's workbooks and mail are found by a tag in the file name (its 简称, cleaned for the file
system). Two enterprises must never share a tag, or one would receive the other's figures: a 简称
that another enterprise also uses is an error (:func:`shared_short_names`, reported by validation),
and :func:`file_tags` falls back to the full name — made unique — wherever tags would still collide,
also after cleaning (``X/Y`` and ``X_Y``).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

NAME, SHORT = "企业名称", "简称"
UNNAMED = "未命名"


def safe_name(text: str) -> str:
    """Text usable in a file name on Windows and Linux (reserved characters and spaces → _)."""
    return re.sub(r'[\\/:*?"<>|\s]+', "_", str(text)).strip("_") or UNNAMED


def _short(value) -> str | None:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    text = str(value).strip()
    return text or None


def shared_short_names(enterprises: pd.DataFrame) -> dict[str, tuple[str, str]]:
    """Enterprises whose 简称 another enterprise also uses: name → (简称, the others, quoted and joined)."""
    by_short: dict[str, list[str]] = {}
    for name, short in zip(enterprises[NAME], enterprises[SHORT]):
        if _short(short):
            by_short.setdefault(_short(short), []).append(str(name))
    out = {}
    for short, names in by_short.items():
        if len(names) > 1:
            for n in names:
                out[n] = (short, "、".join(f"“{o}”" for o in names if o != n))
    return out


def short_names(enterprises: pd.DataFrame) -> dict[str, str]:
    """企业名称 → the 简称 a 公文 may call it by after naming it in full: only a 简称 that is set,
    differs from the name and no other enterprise uses (a shared one would leave the reader guessing)."""
    shared = shared_short_names(enterprises)
    out = {}
    for name, short in zip(enterprises[NAME], enterprises[SHORT]):
        s = _short(short)
        if s and str(name) not in shared and s != str(name):
            out[str(name)] = s
    return out


def file_tags(enterprises: pd.DataFrame) -> dict[str, str]:
    """企业名称 → the tag its file names carry: the cleaned 简称, else the cleaned name; the full name
    wherever tags would collide, numbered (in sheet order) if even those collide."""
    names = [str(n) for n in enterprises[NAME]]
    shared = shared_short_names(enterprises)
    wanted = {n: safe_name(_short(s) if _short(s) and n not in shared else n)
              for n, s in zip(names, enterprises[SHORT])}
    counts = pd.Series(list(wanted.values()), dtype=object).value_counts()
    tags: dict[str, str] = {}
    used: set[str] = set()
    for n in names:
        tag = wanted[n] if counts[wanted[n]] == 1 else safe_name(n)
        base, k = tag, 2
        while tag in used:
            tag, k = f"{base}_{k}", k + 1
        used.add(tag)
        tags[n] = tag
    return tags


def canonical(col: pd.Series, enterprises: pd.DataFrame) -> pd.Series:
    """承办企业 as written in the tickets (full name or 简称) → the full name; unknown names and blanks
    stay as written. A shared 简称 names its first enterprise here — and is an error in validation."""
    alias: dict[str, str] = {}
    for name, short in zip(enterprises[NAME], enterprises[SHORT]):
        alias[str(name)] = str(name)
        if _short(short):
            alias.setdefault(_short(short), str(name))
    codes, written = pd.factorize(col, use_na_sentinel=True)    # once per distinct name, not per ticket
    full = np.array([alias.get(w, w) for w in written] + [None], dtype=object)
    return pd.Series(full[codes], index=col.index, dtype=object)    # code -1 (blank) → the trailing None
