"""Statistics of 第16条/第21条 and the appendix: cohorts (R11), the three rates (R12–R14),
rate scores (R15), deductions and bonuses (R16), the monthly ranking (R17) and the annual
assessment (R18). One groupby over the ledger; no loop over enterprises' rows.

Conventions:
- A period is the half-open interval [start, end) of 派单时间 (a calendar month or year).
- Everything is judged at ``as_of``: a ticket closed after as_of is open; a visit after it
  has not happened.
- Tickets whose deadline cannot be computed (状态 数据有误) stay in 受理 (received) but are in
  no rate; they are counted in ``invalid`` and listed, never silently dropped (R21).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from . import schema as S
from .clock import FIRST_YEAR, LAST_YEAR
from .errors import InvalidValue
from .params import Params
from .scoring import CODES, LATE_REPLY_CODE, MANUAL_ITEMS, rate_score, score_value

NO_TICKETS_MONTH = "本月无工单"
NO_TICKETS_YEAR = "本年度无接诉即办工作，不参加考核"
RENMINWANG = "人民网领导留言板"


@dataclass(frozen=True)
class Period:
    kind: str                 # "month" | "year"
    label: str                # 2025-12 | 2025
    start: pd.Timestamp
    end: pd.Timestamp         # exclusive

    @property
    def title(self) -> str:
        if self.kind == "month":
            return f"{self.start.year}年{self.start.month}月"
        return f"{self.start.year}年度"

    def previous(self) -> Period:
        if self.kind == "month":
            return month((self.start - pd.DateOffset(months=1)).strftime("%Y-%m"))
        return year(self.start.year - 1)


def month(text: str) -> Period:
    try:
        start = pd.Timestamp(f"{str(text).strip()}-01")
        if len(str(text).strip()) != 7 or not FIRST_YEAR <= start.year <= LAST_YEAR:
            raise ValueError
    except (ValueError, TypeError):
        raise InvalidValue("月份", text, "应为 YYYY-MM，如 2025-12") from None
    return Period("month", start.strftime("%Y-%m"), start, start + pd.DateOffset(months=1))


def year(value) -> Period:
    try:
        y = int(str(value).strip())
        if not FIRST_YEAR <= y <= LAST_YEAR:
            raise ValueError
    except (ValueError, TypeError):
        raise InvalidValue("年度", value, f"应为 {FIRST_YEAR}–{LAST_YEAR} 之间的四位年份，如 2025") from None
    return Period("year", str(y), pd.Timestamp(y, 1, 1), pd.Timestamp(y + 1, 1, 1))


@dataclass
class Report:
    """A bulletin or an assessment: the per-enterprise table plus the lists of 第16条."""

    period: Period
    as_of: pd.Timestamp
    table: pd.DataFrame               # one row per enterprise, CONTRACT §3 keys as columns
    lists: dict[str, pd.DataFrame]    # exempt · on_hold · major · renminwang · overdue · invalid
    overview: dict[str, pd.Series] = field(default_factory=dict)
    params: Params | None = None



def in_period(times: pd.Series, period: Period) -> np.ndarray:
    return ((times >= period.start) & (times < period.end)).fillna(False).to_numpy()


def cohort_mask(t: pd.DataFrame, c: pd.DataFrame, period: Period) -> np.ndarray:
    """R11: dispatched in the period, with an 承办企业, not 已退回, not 不计入考核."""
    return (in_period(t[S.DISPATCHED], period) & t[S.ENTERPRISE].notna().to_numpy()
            & ~c["returned"].to_numpy() & (t[S.NOT_ASSESSED] != "是").to_numpy())


def counts(t: pd.DataFrame, c: pd.DataFrame, period: Period, as_of: pd.Timestamp, params: Params) -> pd.DataFrame:
    """Per-enterprise counts over the period's cohort: one groupby."""
    as_of = pd.Timestamp(as_of)
    m = cohort_mask(t, c, period)
    valid = c[S.DEADLINE].notna().to_numpy()
    closed = c["closed"].to_numpy() & valid
    open_ = ~c["closed"].to_numpy() & valid
    overdue_open = open_ & ~c["on_hold"].to_numpy() & (c[S.DEADLINE] < as_of).to_numpy()
    not_due = open_ & ~overdue_open
    result = t[S.VISIT_RESULT]
    visit_done = (t[S.VISITED].isna() | (t[S.VISITED] <= as_of)).to_numpy() & c["closed"].to_numpy()
    effective = result.isin(("满意", "基本满意", "不满意")).to_numpy() & visit_done
    good = ("满意", "基本满意") if params.basic_satisfied_counts else ("满意",)
    satisfied = result.isin(good).to_numpy() & visit_done
    frame = pd.DataFrame({
        "enterprise": t[S.ENTERPRISE].to_numpy()[m],
        "received": 1,
        "closed": closed[m].astype(int),
        "timely": c["timely_b"].to_numpy()[m].astype(int),
        "overdue_open": overdue_open[m].astype(int),
        "not_due": not_due[m].astype(int),
        "visits": effective[m].astype(int),
        "satisfied": satisfied[m].astype(int),
        "invalid": (~valid)[m].astype(int),
    })
    return frame.groupby("enterprise", sort=False).sum()


def adjustments_for(adjustments: pd.DataFrame, t: pd.DataFrame, c: pd.DataFrame, period: Period,
                    params: Params) -> pd.DataFrame:
    """R16: points from the 加减分 sheet in the period plus the automatic R8 late-reply events,
    per enterprise, capped: columns deductions (≥ 0), bonuses (≥ 0), late_replies (count)."""
    a = adjustments[in_period(adjustments["日期"], period)] if len(adjustments) else adjustments
    points = a["代码"].map({k: v.points for k, v in CODES.items()}).astype(float) * a["次数"].astype(float)
    manual = pd.DataFrame({"enterprise": a["承办企业"].to_numpy(), "points": points.to_numpy()})
    scope_all = params.late_reply_deduction_scope == "全部"
    auto = (in_period(t[S.DISPATCHED], period) & t[S.ENTERPRISE].notna().to_numpy() & c["reply_late"].to_numpy()
            & (scope_all | (t[S.OWN] == "否").to_numpy()))
    auto_frame = pd.DataFrame({"enterprise": t[S.ENTERPRISE].to_numpy()[auto],
                               "points": CODES[LATE_REPLY_CODE].points})
    both = pd.concat([manual, auto_frame], ignore_index=True)
    both["deductions"] = -both["points"].clip(upper=0)
    both["bonuses"] = both["points"].clip(lower=0)
    both["late_replies"] = 0
    both.loc[len(manual):, "late_replies"] = 1
    g = both.groupby("enterprise", sort=False)[["deductions", "bonuses", "late_replies"]].sum()
    g["deductions"] = score_value(g["deductions"].clip(upper=float(params.deduction_cap)))   # never -0 (R16)
    g["bonuses"] = score_value(g["bonuses"].clip(upper=float(params.bonus_cap)))
    return g


def _rate(num: pd.Series, den: pd.Series) -> pd.Series:
    return (num / den.where(den > 0)).astype(float)


def _scores(table: pd.DataFrame, params: Params) -> pd.DataFrame:
    for item, rate, score in (("响应率", "response_rate", "response_score"),
                              ("解决率", "resolution_rate", "resolution_score"),
                              ("满意率", "satisfaction_rate", "satisfaction_score")):
        table[score] = [rate_score(item, None if pd.isna(r) else float(r), params) for r in table[rate]]
    return table


def competition_rank(scores: pd.Series, eligible: pd.Series) -> pd.Series:
    """1, 1, 3 ranking among eligible rows (higher is better); None elsewhere."""
    ranks = scores.where(eligible).round(2).rank(method="min", ascending=False)
    return ranks.astype("Int64").astype(object).where(eligible, None)


def build_table(enterprise_names: list[str], t: pd.DataFrame, c: pd.DataFrame, period: Period,
                as_of: pd.Timestamp, params: Params, adjustments: pd.DataFrame,
                manual: pd.DataFrame | None = None) -> pd.DataFrame:
    """The per-enterprise table of a bulletin (manual is None) or an assessment."""
    n = counts(t, c, period, as_of, params)
    adj = adjustments_for(adjustments, t, c, period, params)
    names = list(dict.fromkeys([*enterprise_names, *n.index, *adj.index]))
    table = pd.DataFrame(index=pd.Index(names, name="enterprise"))
    table = table.join(n).join(adj).fillna(0)
    for col in ("received", "closed", "timely", "overdue_open", "not_due", "visits", "satisfied", "invalid",
                "late_replies"):
        table[col] = table[col].astype(int)
    table["response_rate"] = _rate(table["timely"], table["closed"])
    if params.count_not_due_as_unresolved:
        resolution_den = table["closed"] + table["overdue_open"] + table["not_due"]
    else:
        resolution_den = table["closed"] + table["overdue_open"]
    table["resolution_rate"] = _rate(table["closed"], resolution_den)
    table["satisfaction_rate"] = _rate(table["satisfied"], table["visits"])
    table = _scores(table, params)
    rates = table["response_score"] + table["resolution_score"] + table["satisfaction_score"]
    active = table["received"] > 0
    if manual is None:
        table["manual"] = None
        table["total"] = score_value(rates - table["deductions"] + table["bonuses"])
        table["note"] = np.where(active, "", NO_TICKETS_MONTH)
    else:
        items = manual_items(manual, period)
        table = table.join(items)
        table["manual"] = table[list(MANUAL_ITEMS)].sum(axis=1, min_count=1)
        table["total"] = score_value(table["manual"].fillna(0) + rates - table["deductions"] + table["bonuses"])
        table["note"] = np.where(active, np.where(table["manual"].isna(), "未录入考核项目（按0分计）", ""),
                                 NO_TICKETS_YEAR)
    table["rank"] = competition_rank(table["total"], active)
    table.loc[~active, "total"] = np.nan
    order = table.assign(_r=table["rank"].astype(float).fillna(1e9)).sort_values(["_r"], kind="stable")
    return order.drop(columns="_r").reset_index()


def manual_items(manual: pd.DataFrame, period: Period) -> pd.DataFrame:
    """R18: the 考核录入 rows of the year, one per enterprise (a later row wins)."""
    rows = manual[manual["年度"] == int(period.label)] if len(manual) else manual
    cols = list(MANUAL_ITEMS)
    if rows is None or rows.empty:
        return pd.DataFrame(columns=cols, index=pd.Index([], name="enterprise"), dtype=float)
    rows = rows.drop_duplicates("承办企业", keep="last").set_index("承办企业")
    rows.index.name = "enterprise"
    return rows[cols].astype(float)


def ticket_lists(t: pd.DataFrame, c: pd.DataFrame, period: Period) -> dict[str, pd.DataFrame]:
    """The lists of 第16条 for the period (rows of the ticket frame + computed columns)."""
    dispatched = in_period(t[S.DISPATCHED], period)
    kept = dispatched & ~c["returned"].to_numpy()
    status = c[S.STATUS].to_numpy()
    masks = {
        "exempt": kept & (t[S.NOT_ASSESSED] == "是").to_numpy(),
        "on_hold": kept & t[S.HOLD_START].notna().to_numpy(),
        "major": kept & t[S.MAJOR_DIFFICULT].notna().to_numpy(),
        "renminwang": kept & (t[S.CHANNEL] == RENMINWANG).to_numpy(),
        "overdue": kept & (status == S.ST_OVERDUE),
        # R21: a row without a usable 派单时间 belongs to no period, so every period names it
        "invalid": (dispatched & (status == S.ST_INVALID)) | t[S.DISPATCHED].isna().to_numpy(),
    }
    return {k: t.index[m] for k, m in masks.items()}


def overview(t: pd.DataFrame, c: pd.DataFrame, period: Period) -> dict[str, pd.Series]:
    """Volumes by channel, type and category for the period (all tickets dispatched in it,
    returned ones included), and the same totals for the previous period."""
    m = in_period(t[S.DISPATCHED], period)
    prev = in_period(t[S.DISPATCHED], period.previous())
    sub = t[m]
    out = {
        "来源渠道": sub[S.CHANNEL].fillna("未填").value_counts().reindex([*S.CHANNELS, "未填"]).dropna().astype(int),
        "诉求类型": sub[S.REQ_TYPE].fillna("未填").value_counts().reindex([*S.REQUEST_TYPES, "未填"]).dropna().astype(int),
        "诉求类别": sub[S.CATEGORY].fillna("未填").value_counts().reindex([*S.CATEGORIES, "未填"]).dropna().astype(int),
    }
    returned = c["returned"].to_numpy()
    out["环比"] = pd.Series({
        "本期受理": int(m.sum()), "上期受理": int(prev.sum()),
        "本期退回": int((m & returned).sum()), "上期退回": int((prev & returned).sum()),
    })
    return out


def report(enterprise_names: list[str], t: pd.DataFrame, c: pd.DataFrame, period: Period, as_of: pd.Timestamp,
           params: Params, adjustments: pd.DataFrame, manual: pd.DataFrame | None = None, *,
           volumes: bool = True) -> Report:
    """The report of a period; ``volumes=False`` leaves out the :func:`overview` (the assessment's
    workbook does not show it; its 公文 draft does)."""
    table = build_table(enterprise_names, t, c, period, as_of, params, adjustments, manual)
    return Report(period, pd.Timestamp(as_of), table, ticket_lists(t, c, period),
                  overview(t, c, period) if volumes else {}, params)
