"""The archive of 第17条 (立卷存档): closed tickets get an archive number, the material
checklist, and the computed columns as values; each year's tickets form that year's ledger.

Archive numbers: ``YYYY-NNNNN`` — the year of 办结时间 and a sequence within that year, in order
of (办结时间, 工单编号). Numbers already given (read back from the previous archive) are kept, and
new tickets continue after that year's highest number, so the same ticket always keeps its
number and a re-run never duplicates one. With no previous archive the numbering depends only
on the ledger and as_of.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import display
from . import schema as S
from .masking import mask_tickets

ARCHIVE_NO = "归档号"


def numbers(t: pd.DataFrame, c: pd.DataFrame, previous: dict[str, str] | None = None) -> pd.Series:
    """Archive numbers for the closed tickets of ``t`` (index aligned; others absent).

    Pass only the rows without validation errors (the jobs layer filters on ``validate``'s
    findings). As a last guard, a ticket whose 办结时间 lies before its 派单时间 — a data error,
    not a closed ticket — never receives a number here either."""
    previous = dict(previous or {})
    closed = (c["closed"].to_numpy() & ~c["returned"].to_numpy() & t[S.ID].notna().to_numpy()
              & (t[S.CLOSED] >= t[S.DISPATCHED]).fillna(False).to_numpy())
    sub = t.loc[closed, [S.ID, S.CLOSED]].copy()
    sub = sub[~sub[S.ID].duplicated(keep="first")]
    sub["_year"] = sub[S.CLOSED].dt.year
    out = pd.Series(index=sub.index, dtype=object)
    known = sub[S.ID].map(previous)
    out[known.notna()] = known[known.notna()]
    used: dict[int, int] = {}
    for number in previous.values():
        year, _, seq = str(number).partition("-")
        if year.isdigit() and seq.isdigit():
            used[int(year)] = max(used.get(int(year), 0), int(seq))
    new = sub[known.isna()].sort_values([S.CLOSED, S.ID], kind="stable")
    for year, group in new.groupby("_year", sort=True):
        start = used.get(int(year), 0)
        seqs = np.arange(start + 1, start + 1 + len(group))
        out[group.index] = [f"{int(year)}-{s:05d}" for s in seqs]
    return out


def checklist(t: pd.DataFrame, index) -> pd.DataFrame:
    """The material checklist of 第17条 (电子工单, 正式回复文件, 佐证材料) from what the ledger
    records: the electronic ticket always exists; the reply file and the evidence are the
    materials of 第13条(1), known to be in when 材料提交时间 is set."""
    submitted = t.loc[index, S.MATERIALS_AT].notna()
    state = np.where(submitted, "已提交", "待补充")
    return pd.DataFrame({"电子工单": "有", "正式回复文件": state, "佐证材料": state}, index=index)


PUBLIC_COLUMNS = tuple(c for c in S.INPUT_NAMES if c not in S.PERSONAL_COLUMNS)


def frames(t: pd.DataFrame, c: pd.DataFrame, numbers: pd.Series) -> dict[str, pd.DataFrame]:
    """The archive's sheets: 归档目录 (closed tickets by archive number) and one 年度台账 per year
    of 派单时间. No caller name, phone or address; free text scrubbed of numbers, e-mail, IP and
    the ticket's own caller data (R19, :func:`mask_tickets`)."""
    masked = mask_tickets(t[[col for col in (*PUBLIC_COLUMNS, *S.PERSONAL_COLUMNS) if col in t]],
                          callers=False)[list(PUBLIC_COLUMNS)]

    def public(index) -> pd.DataFrame:
        frame = masked.loc[index].copy()
        frame[S.DEADLINE] = c.loc[index, S.DEADLINE]
        frame[S.MATERIALS_DUE] = c.loc[index, S.MATERIALS_DUE]
        frame[S.REPLY_DUE] = c.loc[index, S.REPLY_DUE]
        frame[S.STATUS] = c.loc[index, S.STATUS]
        frame[S.TIMELY] = display.yes_no(c.loc[index, S.TIMELY])
        frame[S.FLAGS] = display.joined(c.loc[index, S.FLAGS])
        return frame

    order = numbers.sort_values().index
    catalogue = public(order)
    catalogue.insert(0, ARCHIVE_NO, numbers.loc[order].to_numpy())
    catalogue = pd.concat([catalogue, checklist(t, order)], axis=1)
    out = {"归档目录": catalogue}
    years = t[S.DISPATCHED].dt.year
    for year in sorted(years.dropna().unique().astype(int)):
        index = t.index[(years == year).to_numpy()]
        yearly = public(index)
        yearly.insert(0, ARCHIVE_NO, numbers.reindex(index).to_numpy())
        out[f"{year}年度台账"] = yearly
    return out
