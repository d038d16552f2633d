"""A small hand-checked ledger: 12 tickets of two enterprises dispatched in September 2025, across
the 2025 国庆/中秋 holiday (10-01…10-08 off; Sunday 09-28 and Saturday 10-11 are 调休 working days).

Every expected figure below was worked out by hand from RULES.md, with the reasoning beside it,
and is compared with what the CLI prints (``jsjb compute|bulletin --json``, CONTRACT §3).
as_of = 2025-10-20 12:00 (Monday).
"""

from __future__ import annotations

import json

import pytest
from helpers import write_xlsx

from jsjb.cli import main
from jsjb.core import schema as S

HEAT, WATER = "东胜区热力有限责任公司", "东胜区水务有限责任公司"
AS_OF = "2025-10-20T12:00"

# id, enterprise, 时限类型, 派单时间, other fields
TICKETS = [
    # A1 一般 Mon 09-01: 09-02,03,04,05,08 → 09-08. Closed 09-05: timely. 满意.
    ("A1", HEAT, "一般", "2025-09-01 09:00", {S.CLOSED: "2025-09-05 16:00", S.VISIT_RESULT: "满意"}),
    # A2 紧急 Fri 09-05 17:00: next working day Mon 09-08. Closed 09-09: late. 不满意.
    ("A2", HEAT, "紧急", "2025-09-05 17:00", {S.CLOSED: "2025-09-09 10:00", S.VISIT_RESULT: "不满意"}),
    # A3 民生 Fri 09-26: 09-28 (working Sunday), 09-29, 09-30 → 09-30. Closed 09-30 20:00: timely. 基本满意.
    ("A3", HEAT, "民生", "2025-09-26 10:00", {S.CLOSED: "2025-09-30 20:00", S.VISIT_RESULT: "基本满意"}),
    # A4 一般 09-29: 09-30, (10-01…08 off) 10-09, 10-10, 10-11 (working Saturday), 10-13 → 10-13. Open: overdue.
    ("A4", HEAT, "一般", "2025-09-29 10:00", {}),
    # A5 复杂 Mon 09-15: 15 working days 09-16…09-30 (12, with 09-28), 10-09, 10-10, 10-11 → base 10-11.
    #    Hold 09-22…09-23 = 2 days, ended before the extension request of 10-02: the deadline in force
    #    then is 10-11 + 2 = 10-14, cutoff 10-13 23:59:59 → in time. Final 10-11 + 5 + 2 = 10-21.
    #    Closed 10-17: timely. Visit 未接通: not effective.
    ("A5", HEAT, "复杂", "2025-09-15 09:00", {S.EXT1_DAYS: 5, S.EXT1_AT: "2025-10-02 10:00",
                                               S.HOLD_START: "2025-09-22 09:00", S.HOLD_END: "2025-09-23 17:00",
                                               S.CLOSED: "2025-10-17 10:00", S.VISIT_RESULT: "未接通"}),
    # A6 一般 Wed 09-10: 09-11,12,15,16,17 → 09-17. Returned after 5 h (< 12 h): 已退回, in no statistic.
    ("A6", HEAT, "一般", "2025-09-10 10:00", {S.RETURNED: "2025-09-10 15:00"}),
    # A7 一般 Fri 09-12: 09-15…09-19 → 09-19. 不计入考核: listed as exempt only.
    ("A7", HEAT, "一般", "2025-09-12 10:00", {S.CLOSED: "2025-09-18 10:00", S.NOT_ASSESSED: "是"}),
    # B1 一般 Tue 09-02: 09-03,04,05,08,09 → 09-09. Closed at 09-09 23:59:59 exactly: timely. 满意.
    ("B1", WATER, "一般", "2025-09-02 11:00", {S.CLOSED: "2025-09-09 23:59:59", S.VISIT_RESULT: "满意"}),
    # B2 民生 Fri 09-19: 09-22, 23, 24 → 09-24. Closed 09-25: late. 满意.
    ("B2", WATER, "民生", "2025-09-19 10:00", {S.CLOSED: "2025-09-25 09:00", S.VISIT_RESULT: "满意"}),
    # B3 一般 Tue 09-30: 10-09, 10, 11, 13, 14 → base 10-14. Hold 10-10 → 10-24 (recorded, after as_of):
    #    12 working days (10-10, 10-11, 10-13…17, 10-20…24) → 10-15…17, 10-20…24, 10-27…30 → 10-30.
    #    At as_of the hold has not ended: 挂单中, in neither part of the 解决率.
    ("B3", WATER, "一般", "2025-09-30 09:00", {S.HOLD_START: "2025-10-10 09:00", S.HOLD_END: "2025-10-24 17:00"}),
    # B4 紧急 Tue 09-30 16:00: next working day 10-09. Closed 10-09 11:00: timely. Forwarded 16:10,
    #    answered 20:00 (3 h 50 min > 3 h) and disowned (是否本企业 否): 确认超时, automatic D5 −0.1.
    ("B4", WATER, "紧急", "2025-09-30 16:00", {S.FORWARDED: "2025-09-30 16:10", S.CONFIRMED: "2025-09-30 20:00",
                                               S.OWN: "否", S.CLOSED: "2025-10-09 11:00"}),
    # B5 一般 Wed 09-24: 09-25, 26, 28, 29, 30 → base 09-30. Extension of 3 requested 09-30 09:00, i.e.
    #    15 h before 09-30 23:59:59 → 延期申请逾期; the hold 10-09…10-10 entered after the request does
    #    not change that (R5). Final 09-30 + 3 + 2 = 10-09, 10, 11, 13, 14 → 10-14. Open: overdue.
    ("B5", WATER, "一般", "2025-09-24 10:00", {S.EXT1_DAYS: 3, S.EXT1_AT: "2025-09-30 09:00",
                                               S.HOLD_START: "2025-10-09 09:00", S.HOLD_END: "2025-10-10 17:00"}),
]

# (deadline, status, timely, flags) per ticket at as_of — by hand, see the comments above
COMPUTED = {
    "A1": ("2025-09-08T23:59:59", "已办结", True, []),
    "A2": ("2025-09-08T23:59:59", "已办结", False, []),
    "A3": ("2025-09-30T23:59:59", "已办结", True, []),
    "A4": ("2025-10-13T23:59:59", "超期未办结", None, []),
    "A5": ("2025-10-21T23:59:59", "已办结", True, []),
    "A6": ("2025-09-17T23:59:59", "已退回", None, []),
    "A7": ("2025-09-19T23:59:59", "已办结", True, []),
    "B1": ("2025-09-09T23:59:59", "已办结", True, []),
    "B2": ("2025-09-24T23:59:59", "已办结", False, []),
    "B3": ("2025-10-30T23:59:59", "挂单中", None, []),
    "B4": ("2025-10-09T23:59:59", "已办结", True, ["确认超时（第21条）"]),
    "B5": ("2025-10-14T23:59:59", "超期未办结", None, ["延期申请逾期（第13条）"]),
}

# 加减分: 热力 D1 × 2 (−0.2); 水务 B4 群众表扬 × 1 (+0.1); plus 水务's automatic D5 (−0.1) from B4.
ADJUSTMENTS = [["2025-09-20", HEAT, "D1", 2, "拖沓敷衍"], ["2025-09-15", WATER, "B4", 1, "群众表扬"]]

# 热力 cohort A1–A5 (A6 returned, A7 exempt): closed A1 A2 A3 A5 = 4, timely A1 A3 A5 = 3, overdue open A4.
#   响应率 3/4 → 20 × 0.75 = 15.00 · 解决率 4/(4+1) → 16.00 · 满意率: effective visits A1 A2 A3 (A5 未接通),
#   satisfied A1 A3 (基本满意 counts) = 2/3 → 25 × 2/3 = 16.67 · total 15 + 16 + 16.67 − 0.2 = 47.47.
# 水务 cohort B1–B5: closed B1 B2 B4 = 3, timely B1 B4 = 2, overdue open B5 (B3 on hold: in neither).
#   响应率 2/3 → 13.33 · 解决率 3/(3+1) → 15.00 · 满意率 2/2 → 25.00 · −0.1 + 0.1 → total 53.33.
# Ranking: 水务 53.33 first, 热力 47.47 second.
ENTERPRISES = [
    {"enterprise": WATER, "received": 5, "closed": 3, "timely": 2, "overdue_open": 1, "visits": 2, "satisfied": 2,
     "response_rate": 2 / 3, "resolution_rate": 0.75, "satisfaction_rate": 1.0, "response_score": 13.33,
     "resolution_score": 15.0, "satisfaction_score": 25.0, "deductions": 0.1, "bonuses": 0.1, "manual": None,
     "total": 53.33, "rank": 1},
    {"enterprise": HEAT, "received": 5, "closed": 4, "timely": 3, "overdue_open": 1, "visits": 3, "satisfied": 2,
     "response_rate": 0.75, "resolution_rate": 0.8, "satisfaction_rate": 2 / 3, "response_score": 15.0,
     "resolution_score": 16.0, "satisfaction_score": 16.67, "deductions": 0.2, "bonuses": 0.0, "manual": None,
     "total": 47.47, "rank": 2},
]
LISTS = {"exempt": ["A7"], "on_hold": ["A5", "B3", "B5"], "major": [], "renminwang": []}


@pytest.fixture(scope="module")
def ledger(tmp_path_factory):
    header = list(S.INPUT_NAMES)
    rows = []
    for tid, enterprise, limit, sent, fields in TICKETS:
        values = {S.ID: tid, S.ENTERPRISE: enterprise, S.LIMIT_TYPE: limit, S.DISPATCHED: sent, **fields}
        rows.append([values.get(c) for c in header])
    path = tmp_path_factory.mktemp("golden") / "台账.xlsx"
    return write_xlsx(path, {
        S.SHEET_TICKETS: [header, *rows],
        S.SHEET_ENTERPRISES: [["企业名称", "简称", "联系人", "邮箱"], [HEAT, "热力公司", None, None],
                              [WATER, "水务公司", None, None]],
        S.SHEET_ADJUSTMENTS: [list(S.ADJUSTMENT_COLUMNS), *ADJUSTMENTS],
    })


def run_json(capsys, argv) -> dict:
    capsys.readouterr()
    assert main([*argv, "--json", "-q"]) == 0
    return json.loads(capsys.readouterr().out)


def test_each_ticket(ledger, capsys):
    data = run_json(capsys, ["compute", str(ledger), "--as-of", AS_OF])
    got = {t["id"]: (t["deadline"], t["status"], t["timely"], t["flags"]) for t in data["tickets"]}
    assert got == COMPUTED


def test_bulletin(ledger, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("JSJB_LOG", str(tmp_path / "log.csv"))
    data = run_json(capsys, ["bulletin", str(ledger), "--month", "2025-09", "--as-of", AS_OF,
                             "--out", str(tmp_path)])
    assert data["period"] == "2025-09"
    keys = list(ENTERPRISES[0])
    got = [{k: e[k] for k in keys} for e in data["enterprises"]]
    assert [g["enterprise"] for g in got] == [WATER, HEAT]
    for g, want in zip(got, ENTERPRISES):
        for k, v in want.items():
            assert g[k] == (pytest.approx(v, abs=1e-9) if isinstance(v, float) else v), (want["enterprise"], k)
    assert {k: data[k] for k in LISTS} == LISTS


def test_no_negative_zero_in_the_printed_scores(tmp_path, capsys, monkeypatch):
    """An enterprise with only a bonus has no deduction: 0.0, never -0.0 (printed as "-0")."""
    import math

    monkeypatch.setenv("JSJB_LOG", str(tmp_path / "log.csv"))
    path = write_xlsx(tmp_path / "b.xlsx", {
        S.SHEET_TICKETS: [[S.ID, S.DISPATCHED, S.LIMIT_TYPE, S.ENTERPRISE, S.CLOSED],
                          ["A1", "2025-09-01 09:00", "一般", HEAT, "2025-09-05 16:00"]],
        S.SHEET_ENTERPRISES: [["企业名称", "简称"], [HEAT, "热力公司"]],
        S.SHEET_ADJUSTMENTS: [list(S.ADJUSTMENT_COLUMNS), ["2025-09-15", HEAT, "B4", 1, "群众表扬"]],
    })
    capsys.readouterr()
    assert main(["bulletin", str(path), "--month", "2025-09", "--as-of", AS_OF, "--out", str(tmp_path),
                 "--json", "-q"]) == 0
    text = capsys.readouterr().out
    (heat,) = json.loads(text)["enterprises"]
    assert heat["deductions"] == 0.0 and math.copysign(1.0, heat["deductions"]) == 1.0
    assert heat["bonuses"] == 0.1 and heat["total"] == 65.1        # 20 + 20 + 25 (no visit: full marks) + 0.1
    assert "-0.0" not in text
