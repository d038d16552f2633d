"""R11–R18: cohorts, the three rates, scores, deductions/bonuses, ranking, assessment."""

import pandas as pd
import pytest
from helpers import ENTERPRISE, ticket, typed

from jsjb.core import schema as S
from jsjb.core import stats
from jsjb.core.calendar import WorkCalendar
from jsjb.core.ledger import parse_adjustments, parse_manual
from jsjb.core.params import Params
from jsjb.core.rules import compute

OTHER = "东胜区水务有限责任公司"
THIRD = "东胜区公共交通有限责任公司"
DEC = stats.month("2025-12")
AS_OF = "2026-01-05 10:00"

# A December ticket dispatched 12-01 10:00 (一般): deadline 2025-12-08 23:59:59.
BASE = {S.DISPATCHED: "2025-12-01 10:00"}


def t(i, **fields):
    return ticket(id=f"T{i}", **{**BASE, **fields})


def closed(i, when="2025-12-05 10:00", **fields):
    return t(i, **{S.CLOSED: when, **fields})


def report(rows, *, params=None, as_of=AS_OF, period=DEC, adjustments=None, manual=None, names=(ENTERPRISE,)):
    params = Params(params or {})
    frame = typed(rows)
    c = compute(frame, params, WorkCalendar(), pd.Timestamp(as_of))
    adj, issues = parse_adjustments(pd.DataFrame(adjustments or [], columns=list(S.ADJUSTMENT_COLUMNS)))
    assert not issues
    man = None
    if manual is not None:
        man, issues = parse_manual(pd.DataFrame(manual, columns=list(S.MANUAL_COLUMNS)))
        assert not issues
    rep = stats.report(list(names), frame, c, period, pd.Timestamp(as_of), params, adj, man)
    return rep


def row(rep, name=ENTERPRISE) -> dict:
    return rep.table.set_index("enterprise").loc[name].to_dict()


# (case, rows, params, expected subset of the enterprise's row)
CASES = [
    ("R11 only the period's tickets", [closed(1), closed(2, **{S.DISPATCHED: "2025-11-30 23:59:59"}),
                                       closed(3, **{S.DISPATCHED: "2025-12-31 23:59:59"}, **{S.CLOSED: "2026-01-02"}),
                                       closed(4, **{S.DISPATCHED: "2026-01-01 00:00:00"}, **{S.CLOSED: "2026-01-02"})],
     {}, {"received": 2, "closed": 2}),
    ("R11 returned and exempt tickets leave the statistics",
     [closed(1), t(2, **{S.RETURNED: "2025-12-01 12:00"}), closed(3, **{S.NOT_ASSESSED: "是"})],
     {}, {"received": 1, "closed": 1}),
    ("R12 timely ÷ closed", [closed(1), closed(2, "2025-12-08 23:59:59"), closed(3, "2025-12-09 00:00")],
     {}, {"closed": 3, "timely": 2, "response_rate": 2 / 3, "response_score": 13.33}),
    ("R12 a closing after as_of is not a closing",
     [closed(1), closed(2, "2026-01-06 09:00")], {}, {"closed": 1, "overdue_open": 1}),
    ("R13 closed ÷ (closed + overdue open)", [closed(1), t(2), t(3, **{S.DISPATCHED: "2025-12-31 10:00"})],
     {}, {"closed": 1, "overdue_open": 1, "resolution_rate": 0.5, "resolution_score": 10.0}),
    ("R13 a ticket on hold is in neither", [closed(1), t(2, **{S.HOLD_START: "2025-12-02 10:00"})],
     {}, {"resolution_rate": 1.0, "overdue_open": 0}),
    ("R13 count_not_due_as_unresolved", [closed(1), t(2), t(3, **{S.DISPATCHED: "2025-12-31 10:00"}),
                                         t(4, **{S.HOLD_START: "2025-12-02 10:00"})],
     {"count_not_due_as_unresolved": "是"}, {"resolution_rate": 0.25}),
    ("R14 effective visits only", [closed(1, **{S.VISIT_RESULT: "满意"}), closed(2, **{S.VISIT_RESULT: "不满意"}),
                                   closed(3, **{S.VISIT_RESULT: "未接通"}), closed(4)],
     {}, {"visits": 2, "satisfied": 1, "satisfaction_rate": 0.5, "satisfaction_score": 12.5}),
    ("R14 基本满意 counts by default", [closed(1, **{S.VISIT_RESULT: "基本满意"}), closed(2, **{S.VISIT_RESULT: "不满意"})],
     {}, {"satisfied": 1}),
    ("R14 basic_satisfied_counts=否", [closed(1, **{S.VISIT_RESULT: "基本满意"}),
                                      closed(2, **{S.VISIT_RESULT: "满意"})],
     {"basic_satisfied_counts": "否"}, {"satisfied": 1, "satisfaction_rate": 0.5}),
    ("R14 a visit after as_of has not happened",
     [closed(1, **{S.VISIT_RESULT: "满意", S.VISITED: "2026-01-06 09:00"})], {}, {"visits": 0}),
    ("R15 no data → full marks", [t(1, **{S.DISPATCHED: "2025-12-31 10:00"})], {},
     {"closed": 0, "response_rate": None, "response_score": 20.0, "resolution_score": 20.0,
      "satisfaction_score": 25.0, "total": 65.0}),
    ("R15 no data → 0 with empty_rate_full_marks=否", [t(1, **{S.DISPATCHED: "2025-12-31 10:00"})],
     {"empty_rate_full_marks": "否"}, {"response_score": 0.0, "total": 0.0}),
    ("R15 points as parameters", [closed(1, "2025-12-09 00:00")], {"response_points": 30},
     {"response_score": 0.0, "total": 45.0}),
    ("R21 an invalid row stays received but is in no rate",
     [closed(1), t(2, **{S.DISPATCHED: "2025-12-28 10:00", S.LIMIT_TYPE: "法定"})], {},
     {"received": 2, "closed": 1, "invalid": 1, "resolution_rate": 1.0}),
]


def _norm(v):
    if isinstance(v, float) and pd.isna(v):
        return None
    return v


@pytest.mark.parametrize("case, rows, params, expected", CASES, ids=[c[0] for c in CASES])
def test_rates_and_scores(case, rows, params, expected):
    got = row(report(rows, params=params))
    for key, value in expected.items():
        if isinstance(value, float):
            assert _norm(got[key]) == pytest.approx(value), key
        else:
            assert _norm(got[key]) == value, key


def test_deductions_bonuses_and_caps():
    adjustments = [("2025-12-03", ENTERPRISE, "D1", 2, ""), ("2025-12-04", ENTERPRISE, "B5", 1, ""),
                   ("2025-11-30", ENTERPRISE, "D7", 1, "上月的不计"), ("2025-12-10", OTHER, "D7", 12, ""),
                   ("2025-12-10", OTHER, "B6", 3, "")]
    rep = report([closed(1), closed(2, **{S.ENTERPRISE: OTHER})], adjustments=adjustments, names=(ENTERPRISE, OTHER))
    mine, other = row(rep), row(rep, OTHER)
    assert mine["deductions"] == pytest.approx(0.2) and mine["bonuses"] == pytest.approx(0.5)
    assert mine["total"] == pytest.approx(65 - 0.2 + 0.5)
    assert other["deductions"] == 10 and other["bonuses"] == 2          # R16 caps


def test_automatic_late_reply_deductions_r8():
    late = {S.FORWARDED: "2025-12-01 10:30", S.CONFIRMED: "2025-12-01 14:00"}
    rows = [closed(1, **late, **{S.OWN: "是"}),
            t(2, **late, **{S.OWN: "否", S.RETURNED: "2025-12-01 15:00"}),     # stands even when returned
            closed(3, **{S.FORWARDED: "2025-12-01 10:30", S.CONFIRMED: "2025-12-01 12:00", S.OWN: "否"})]
    assert row(report(rows))["deductions"] == pytest.approx(0.1)
    assert row(report(rows))["late_replies"] == 1
    assert row(report(rows, params={"late_reply_deduction_scope": "全部"}))["deductions"] == pytest.approx(0.2)


def test_competition_ranking_and_enterprises_without_tickets():
    rows = [closed(1), closed(2, **{S.ENTERPRISE: OTHER}),
            closed(3, "2025-12-09 10:00", **{S.ENTERPRISE: THIRD}), closed(4, **{S.ENTERPRISE: THIRD})]
    rep = report(rows, names=(ENTERPRISE, OTHER, THIRD, "东胜区空闲公司"))
    ranks = dict(zip(rep.table["enterprise"], rep.table["rank"]))
    assert ranks[ENTERPRISE] == ranks[OTHER] == 1
    assert ranks[THIRD] == 3
    assert ranks["东胜区空闲公司"] is None
    idle = row(rep, "东胜区空闲公司")
    assert idle["note"] == stats.NO_TICKETS_MONTH and idle["received"] == 0
    assert list(rep.table["enterprise"])[-1] == "东胜区空闲公司"


def test_annual_assessment():
    year = stats.year("2025")
    manual = [(2025, ENTERPRISE, 5, 10, 10, 10), (2024, OTHER, 1, 1, 1, 1)]
    rows = [closed(1), closed(2, **{S.ENTERPRISE: OTHER}), closed(3, **{S.ENTERPRISE: OTHER})]
    adjustments = [("2025-03-01", ENTERPRISE, "B6", 5, ""), ("2025-04-01", ENTERPRISE, "D7", 2, "")]
    rep = report(rows, period=year, manual=manual, adjustments=adjustments, names=(ENTERPRISE, OTHER, THIRD))
    mine, other, third = row(rep), row(rep, OTHER), row(rep, THIRD)
    assert mine["manual"] == 35 and mine["total"] == pytest.approx(35 + 65 - 2 + 2)
    assert mine["total"] <= 102
    assert pd.isna(other["manual"]) and other["total"] == 65 and "未录入" in other["note"]
    assert third["rank"] is None and third["note"] == stats.NO_TICKETS_YEAR


def test_manual_item_above_its_maximum_is_an_error_naming_the_item():
    _, issues = parse_manual(pd.DataFrame([(2025, ENTERPRISE, 6, 10, 10, 10)], columns=list(S.MANUAL_COLUMNS)))
    assert len(issues) == 1 and issues[0].column == "组织机构" and "5" in issues[0].message


def test_lists_of_article_16():
    rows = [closed(1, **{S.NOT_ASSESSED: "是"}), t(2, **{S.HOLD_START: "2025-12-02 10:00"}),
            closed(3, **{S.MAJOR_DIFFICULT: "重大"}), closed(4, **{S.CHANNEL: "人民网领导留言板"}), t(5),
            t(6, **{S.RETURNED: "2025-12-01 11:00", S.CHANNEL: "人民网领导留言板"})]
    rep = report(rows)
    ids = {k: sorted(typed(rows).loc[v, S.ID]) for k, v in rep.lists.items()}
    assert ids == {"exempt": ["T1"], "on_hold": ["T2"], "major": ["T3"], "renminwang": ["T4"],
                   "overdue": ["T5"], "invalid": []}


def test_overview_and_month_on_month():
    rows = [closed(1), closed(2, **{S.DISPATCHED: "2025-11-10 10:00"}), closed(3, **{S.CHANNEL: "微信"})]
    rep = report(rows)
    assert dict(rep.overview["环比"]) == {"本期受理": 2, "上期受理": 1, "本期退回": 0, "上期退回": 0}
    assert rep.overview["来源渠道"].to_dict() == {"微信": 1, "未填": 1}


@pytest.mark.parametrize("text", ["2025-13", "2025", "12月", ""])
def test_bad_month(text):
    with pytest.raises(Exception, match="月份"):
        stats.month(text)
