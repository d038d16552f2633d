"""R2–R10 and the statuses, table-driven in the rulebook's own notation."""

import pandas as pd
import pytest
from helpers import run, ticket, ts, typed

from jsjb.core import schema as S
from jsjb.core.calendar import REST, Override, WorkCalendar
from jsjb.core.explain import explain_rows
from jsjb.core.params import Params
from jsjb.core.rules import (
    F_EXT_LATE,
    F_EXT_LIMIT,
    F_HOLD_IGNORED,
    F_HOLD_LONG,
    F_HOLD_REVERSED,
    F_MATERIALS,
    F_REPLY,
    F_RETURN,
)

# (case, ticket fields, params, expected 办理期限)
DEADLINES = [
    ("R2 example: 一般, 5 working days over 国庆", {}, {}, "2023-10-11 23:59:59"),
    ("R2: the hour does not matter", {S.DISPATCHED: "2023-09-28 23:30"}, {}, "2023-10-11 23:59:59"),
    ("R2: dispatched on a holiday", {S.DISPATCHED: "2023-10-01 09:00"}, {}, "2023-10-11 23:59:59"),
    ("R3 紧急 = 1", {S.LIMIT_TYPE: "紧急"}, {}, "2023-10-07 23:59:59"),
    ("R3 民生 = 3", {S.LIMIT_TYPE: "民生"}, {}, "2023-10-09 23:59:59"),
    ("R3 复杂 = 15 over 春节 2024", {S.LIMIT_TYPE: "复杂", S.DISPATCHED: "2024-02-01 10:00"}, {},
     "2024-02-27 23:59:59"),
    ("R3 法定 = end of 法定期限", {S.LIMIT_TYPE: "法定", S.LEGAL_DATE: "2023-11-30"}, {}, "2023-11-30 23:59:59"),
    ("R2 count_start_day=是", {}, {"count_start_day": "是"}, "2023-10-10 23:59:59"),
    ("R2 count_start_day=是 on a holiday", {S.DISPATCHED: "2023-10-01 09:00"}, {"count_start_day": "是"},
     "2023-10-11 23:59:59"),
    ("R3 parameter", {}, {"limit_normal": 3}, "2023-10-09 23:59:59"),
    ("R3 2025 春节: 01-26 is a working Sunday", {S.LIMIT_TYPE: "民生", S.DISPATCHED: "2025-01-24 16:00"}, {},
     "2025-02-05 23:59:59"),
    ("R3 2026 春节: 02-14 is a working Saturday", {S.LIMIT_TYPE: "紧急", S.DISPATCHED: "2026-02-13 11:00"}, {},
     "2026-02-14 23:59:59"),
    ("R4 one extension of 5", {S.EXT1_DAYS: 5}, {}, "2023-10-18 23:59:59"),
    ("R4 two extensions 5 + 10", {S.EXT1_DAYS: 5, S.EXT2_DAYS: 10}, {}, "2023-11-01 23:59:59"),
    ("R4 over the limit is still applied", {S.EXT1_DAYS: 20}, {}, "2023-11-08 23:59:59"),
    ("R6 hold of 2 working days", {S.HOLD_START: "2023-10-09 09:00", S.HOLD_END: "2023-10-10 17:00"}, {},
     "2023-10-13 23:59:59"),
    ("R6 hold over a holiday only", {S.HOLD_START: "2023-09-29 09:00", S.HOLD_END: "2023-10-06 17:00"}, {},
     "2023-10-11 23:59:59"),
    ("R6 hold + R4 extension", {S.EXT1_DAYS: 5, S.HOLD_START: "2023-10-09 09:00",
                                S.HOLD_END: "2023-10-10 17:00"}, {}, "2023-10-20 23:59:59"),
    ("R6 hold_allowed=否 ignores the hold", {S.HOLD_START: "2023-10-09 09:00", S.HOLD_END: "2023-10-10 17:00"},
     {"hold_allowed": "否"}, "2023-10-11 23:59:59"),
    ("R6 an open hold adds nothing yet", {S.HOLD_START: "2023-10-09 09:00"}, {}, "2023-10-11 23:59:59"),
    ("R6 a reversed hold moves nothing", {S.HOLD_START: "2023-10-11 09:00", S.HOLD_END: "2023-10-08 17:00"}, {},
     "2023-10-11 23:59:59"),
    ("R4+R6 hold ended after the request: 10-11 + 5 + 2 (10-16, 10-17)",
     {S.EXT1_DAYS: 5, S.EXT1_AT: "2023-10-11 09:00", S.HOLD_START: "2023-10-16 09:00",
      S.HOLD_END: "2023-10-17 17:00"}, {}, "2023-10-20 23:59:59"),
    ("R4+R6 hold of 6 working days (10-12, 13, 16–19) between the extensions: 10-11 + 16",
     {S.EXT1_DAYS: 5, S.EXT1_AT: "2023-10-09 10:00", S.HOLD_START: "2023-10-12 09:00",
      S.HOLD_END: "2023-10-19 12:00", S.EXT2_DAYS: 5, S.EXT2_AT: "2023-10-19 10:00"}, {}, "2023-11-02 23:59:59"),
]


@pytest.mark.parametrize("case, fields, params, expected", DEADLINES, ids=[c[0] for c in DEADLINES])
def test_deadline(case, fields, params, expected):
    out = run([ticket(**fields)], params=Params(params))
    assert out[S.DEADLINE].iloc[0] == ts(expected)


# (case, ticket fields, as_of, params, expected flags)
FLAGS = [
    ("none", {}, "2023-12-01", {}, []),
    ("R4 15 per extension", {S.EXT1_DAYS: 20, S.EXT1_AT: "2023-10-09 10:00"}, "2023-12-01", {}, [F_EXT_LIMIT]),
    ("R4 total cap as a parameter", {S.EXT1_DAYS: 15, S.EXT1_AT: "2023-10-09 10:00", S.EXT2_DAYS: 10,
                                     S.EXT2_AT: "2023-10-30 10:00"}, "2023-12-01",
     {"max_extension_total": 20}, [F_EXT_LIMIT]),
    ("R4 number of extensions as a parameter", {S.EXT1_DAYS: 5, S.EXT1_AT: "2023-10-09 10:00", S.EXT2_DAYS: 5,
                                                S.EXT2_AT: "2023-10-16 10:00"}, "2023-12-01",
     {"max_extensions": 1}, [F_EXT_LIMIT]),
    ("R5 exactly 24 h before is in time", {S.EXT1_DAYS: 5, S.EXT1_AT: "2023-10-10 23:59:59"}, "2023-12-01", {}, []),
    ("R5 later is late", {S.EXT1_DAYS: 5, S.EXT1_AT: "2023-10-11 00:00:00"}, "2023-12-01", {}, [F_EXT_LATE]),
    ("R5 the 2nd extension extends the extended deadline",
     {S.EXT1_DAYS: 5, S.EXT1_AT: "2023-10-09 10:00", S.EXT2_DAYS: 5, S.EXT2_AT: "2023-10-17 10:00"},
     "2023-12-01", {}, []),
    ("R5 the 2nd extension late", {S.EXT1_DAYS: 5, S.EXT1_AT: "2023-10-09 10:00", S.EXT2_DAYS: 5,
                                   S.EXT2_AT: "2023-10-18 08:00"}, "2023-12-01", {}, [F_EXT_LATE]),
    # R5 with a hold: the deadline in force at the request counts only holds ended by then
    ("R5 15 h before, a hold entered after the request does not help",
     {S.EXT1_DAYS: 5, S.EXT1_AT: "2023-10-11 09:00", S.HOLD_START: "2023-10-16 09:00",
      S.HOLD_END: "2023-10-17 17:00"}, "2023-12-01", {}, [F_EXT_LATE]),
    ("R5 a hold ended before the request moves the deadline it extends (10-13 23:59:59)",
     {S.EXT1_DAYS: 5, S.EXT1_AT: "2023-10-11 09:00", S.HOLD_START: "2023-10-09 09:00",
      S.HOLD_END: "2023-10-10 17:00"}, "2023-12-01", {}, []),
    ("R5 a hold ending at the request moment has ended (10-09…10-11: 3 days → 10-16)",
     {S.EXT1_DAYS: 5, S.EXT1_AT: "2023-10-11 09:00", S.HOLD_START: "2023-10-09 09:00",
      S.HOLD_END: "2023-10-11 09:00"}, "2023-12-01", {}, []),
    ("R5 an open hold does not help", {S.EXT1_DAYS: 5, S.EXT1_AT: "2023-10-11 09:00",
                                       S.HOLD_START: "2023-10-09 09:00"}, "2023-10-10 12:00", {}, [F_EXT_LATE]),
    ("R5 2nd request: ext 1 (10-18) + the hold ended before it (10-12, 10-13) → 10-20; 10-19 10:00 in time",
     {S.EXT1_DAYS: 5, S.EXT1_AT: "2023-10-09 10:00", S.HOLD_START: "2023-10-12 09:00",
      S.HOLD_END: "2023-10-13 17:00", S.EXT2_DAYS: 5, S.EXT2_AT: "2023-10-19 10:00"}, "2023-12-01", {}, []),
    ("R5 2nd request: the hold ends after it → deadline in force 10-18, 10-19 10:00 late",
     {S.EXT1_DAYS: 5, S.EXT1_AT: "2023-10-09 10:00", S.HOLD_START: "2023-10-12 09:00",
      S.HOLD_END: "2023-10-19 12:00", S.EXT2_DAYS: 5, S.EXT2_AT: "2023-10-19 10:00"}, "2023-12-01", {},
     [F_EXT_LATE]),
    ("R5 hold_allowed=否: the ended hold does not count either",
     {S.EXT1_DAYS: 5, S.EXT1_AT: "2023-10-11 09:00", S.HOLD_START: "2023-10-09 09:00",
      S.HOLD_END: "2023-10-10 17:00"}, "2023-12-01", {"hold_allowed": "否"}, [F_EXT_LATE, F_HOLD_IGNORED]),
    ("R5 extension_request_hours parameter: 12 h before is enough",
     {S.EXT1_DAYS: 5, S.EXT1_AT: "2023-10-11 09:00"}, "2023-12-01", {"extension_request_hours": 12}, []),
    ("R6 a reversed hold is void and flagged", {S.HOLD_START: "2023-10-11 09:00", S.HOLD_END: "2023-10-08 17:00"},
     "2023-12-01", {}, [F_HOLD_REVERSED]),
    ("R6 a hold ending after as_of is not yet over 3 months",
     {S.HOLD_START: "2023-09-29 09:00", S.HOLD_END: "2024-03-01 09:00"}, "2023-12-01", {}, []),
    ("R6 … and is once as_of passes 3 months", {S.HOLD_START: "2023-09-29 09:00", S.HOLD_END: "2024-03-01 09:00"},
     "2024-01-05", {}, [F_HOLD_LONG]),
    ("R6 hold longer than 3 months", {S.HOLD_START: "2023-09-29 09:00", S.HOLD_END: "2024-01-02 09:00"},
     "2024-02-01", {}, [F_HOLD_LONG]),
    ("R6 exactly 3 months is not over", {S.HOLD_START: "2023-09-29 09:00", S.HOLD_END: "2023-12-29 09:00"},
     "2024-02-01", {}, []),
    ("R6 an open hold running past 3 months", {S.HOLD_START: "2023-09-29 09:00"}, "2024-01-05", {}, [F_HOLD_LONG]),
    ("R6 hold_allowed=否 flags it", {S.HOLD_START: "2023-10-09 09:00", S.HOLD_END: "2023-10-10 17:00"},
     "2023-12-01", {"hold_allowed": "否"}, [F_HOLD_IGNORED]),
    ("R7 materials at the due moment", {S.MATERIALS_AT: "2023-10-09 23:59:59"}, "2023-12-01", {}, []),
    ("R7 materials after it", {S.MATERIALS_AT: "2023-10-10 00:00:00"}, "2023-12-01", {}, [F_MATERIALS]),
    ("R7 materials_hours parameter", {S.MATERIALS_AT: "2023-10-10 00:00:00"}, "2023-12-01",
     {"materials_hours": 24}, []),
    ("R8 reply at 3 h", {S.FORWARDED: "2023-09-28 10:30", S.CONFIRMED: "2023-09-28 13:30"}, "2023-12-01", {}, []),
    ("R8 reply after 3 h", {S.FORWARDED: "2023-09-28 10:30", S.CONFIRMED: "2023-09-28 13:30:01"},
     "2023-12-01", {}, [F_REPLY]),
    ("R8 no reply, past due", {S.FORWARDED: "2023-09-28 10:30"}, "2023-09-28 13:31", {}, [F_REPLY]),
    ("R8 no reply, not yet due", {S.FORWARDED: "2023-09-28 10:30"}, "2023-09-28 13:29", {}, []),
    ("R8 returned in time needs no reply", {S.FORWARDED: "2023-09-28 10:30", S.RETURNED: "2023-09-28 12:00"},
     "2023-12-01", {}, []),
    ("R9 returned at 12 h", {S.RETURNED: "2023-09-28 22:00"}, "2023-12-01", {}, []),
    ("R9 returned after 12 h", {S.RETURNED: "2023-09-28 22:01"}, "2023-12-01", {}, [F_RETURN]),
]


@pytest.mark.parametrize("case, fields, as_of, params, expected", FLAGS, ids=[c[0] for c in FLAGS])
def test_flags(case, fields, as_of, params, expected):
    out = run([ticket(**fields)], as_of=as_of, params=Params(params))
    assert out[S.FLAGS].iloc[0] == expected


def test_flag_labels_begin_with_the_rulebook_names():
    names = ("延期申请逾期", "超出延期限制", "挂单超期", "挂单", "材料逾期", "确认超时", "退回超时")
    for label in (F_EXT_LATE, F_EXT_LIMIT, F_HOLD_LONG, F_HOLD_IGNORED, F_MATERIALS, F_REPLY, F_RETURN):
        assert label.startswith(names), label


def test_materials_due_and_reply_due():
    out = run([ticket(**{S.FORWARDED: "2023-09-28 10:30"}),
               ticket(id="T2", **{S.LIMIT_TYPE: "紧急", S.DISPATCHED: "2024-03-04 10:00"})])
    assert out[S.MATERIALS_DUE].iloc[0] == ts("2023-10-09 23:59:59")     # 48 h before the deadline
    assert out[S.REPLY_DUE].iloc[0] == ts("2023-09-28 13:30")
    # 紧急: 48 h before the deadline is before dispatch → due at the deadline itself
    assert out[S.DEADLINE].iloc[1] == ts("2024-03-05 23:59:59")
    assert out[S.MATERIALS_DUE].iloc[1] == ts("2024-03-05 23:59:59")
    assert pd.isna(out[S.REPLY_DUE].iloc[1])


# (case, ticket fields, as_of, status, 是否及时)
STATUSES = [
    ("在办", {}, "2023-10-09 23:59:58", S.ST_OPEN, None),
    ("临期: inside the last 48 h", {}, "2023-10-09 23:59:59", S.ST_DUE_SOON, None),
    ("超期未办结", {}, "2023-10-12 00:00:00", S.ST_OVERDUE, None),
    ("已办结 in time", {S.CLOSED: "2023-10-11 23:59:59"}, "2023-12-01", S.ST_CLOSED, True),
    ("已办结 late", {S.CLOSED: "2023-10-12 00:00:00"}, "2023-12-01", S.ST_CLOSED, False),
    ("closed after as_of is still open", {S.CLOSED: "2023-10-11 10:00"}, "2023-10-10 09:00", S.ST_DUE_SOON, None),
    ("已退回", {S.RETURNED: "2023-09-28 15:00"}, "2023-12-01", S.ST_RETURNED, None),
    ("已退回 beats 已办结", {S.RETURNED: "2023-09-28 15:00", S.CLOSED: "2023-09-29 10:00"}, "2023-12-01",
     S.ST_RETURNED, None),
    ("挂单中: no overdue judgement", {S.HOLD_START: "2023-10-09 09:00"}, "2023-12-01", S.ST_ON_HOLD, None),
    ("a hold not yet started", {S.HOLD_START: "2023-10-10 09:00"}, "2023-10-10 08:00", S.ST_DUE_SOON, None),
    ("after the hold the clock runs again", {S.HOLD_START: "2023-10-09 09:00", S.HOLD_END: "2023-10-10 17:00"},
     "2023-10-12 12:00", S.ST_DUE_SOON, None),
    ("R6 inside a hold whose end is recorded later: 挂单中",
     {S.HOLD_START: "2023-10-09 09:00", S.HOLD_END: "2023-10-20 17:00"}, "2023-10-12 12:00", S.ST_ON_HOLD, None),
    ("R6 at the recorded end the hold is over (10-11 + 10 working days 10-09…10-20 = 10-25)",
     {S.HOLD_START: "2023-10-09 09:00", S.HOLD_END: "2023-10-20 17:00"}, "2023-10-20 17:00", S.ST_OPEN, None),
    ("R6 … and overdue after 10-25", {S.HOLD_START: "2023-10-09 09:00", S.HOLD_END: "2023-10-20 17:00"},
     "2023-10-26 00:00", S.ST_OVERDUE, None),
    ("R6 hold_allowed=否 is never 挂单中", {S.HOLD_START: "2023-10-09 09:00"}, "2023-10-12 12:00", S.ST_OVERDUE,
     None),
    ("R6 a reversed hold is never 挂单中", {S.HOLD_START: "2023-10-11 09:00", S.HOLD_END: "2023-10-08 17:00"},
     "2023-10-11 12:00", S.ST_DUE_SOON, None),
]


@pytest.mark.parametrize("case, fields, as_of, status, timely", STATUSES, ids=[c[0] for c in STATUSES])
def test_status(case, fields, as_of, status, timely):
    params = Params({"hold_allowed": "否"}) if "hold_allowed=否" in case else None
    out = run([ticket(**fields)], as_of=as_of, params=params)
    assert out[S.STATUS].iloc[0] == status
    assert out[S.TIMELY].iloc[0] is timely


def test_warning_hours_parameter():
    out = run([ticket()], as_of="2023-10-10 23:59:59", params=Params({"warning_hours": 12}))
    assert out[S.STATUS].iloc[0] == S.ST_OPEN


def test_an_uncovered_year_makes_the_row_invalid_not_the_ledger():
    out = run([ticket(), ticket(id="T2", **{S.DISPATCHED: "2026-12-28 10:00"})], as_of="2026-12-29")
    assert out[S.STATUS].tolist() == [S.ST_CLOSED if False else S.ST_OVERDUE, S.ST_INVALID]
    assert out["missing_year"].tolist() == [0, 2027]
    assert pd.isna(out[S.DEADLINE].iloc[1])
    cal = WorkCalendar([Override(pd.Timestamp("2027-01-01").date(), REST, "元旦")])
    out = run([ticket(id="T2", **{S.DISPATCHED: "2026-12-28 10:00"})], as_of="2026-12-29", calendar=cal)
    assert out[S.DEADLINE].iloc[0] == ts("2027-01-05 23:59:59")


def test_rows_are_independent():
    """A whole column gives the same answers as the rows one by one."""
    rows = [ticket(id=f"T{i}", **fields) for i, (_, fields, *_r) in enumerate(DEADLINES) if not _r[0]]
    together = run(rows)[S.DEADLINE].tolist()
    alone = [run([r])[S.DEADLINE].iloc[0] for r in rows]
    assert together == alone


def test_flag_for_a_reversed_hold_names_the_rule():
    assert F_HOLD_REVERSED.startswith("挂单") and "早于" in F_HOLD_REVERSED


def test_next_extension_request_cutoff_and_recorded_cutoffs():
    rows = [ticket(), ticket(id="T2", **{S.EXT1_DAYS: 5, S.EXT1_AT: "2023-10-09 10:00", S.EXT2_DAYS: 5,
                                         S.EXT2_AT: "2023-10-16 10:00"}),
            ticket(id="T3", **{S.EXT1_DAYS: 30, S.EXT1_AT: "2023-10-09 10:00"})]
    out = run(rows)
    assert out["next_request_by"].iloc[0] == ts("2023-10-10 23:59:59")      # 24 h before 10-11 23:59:59
    assert pd.isna(out["next_request_by"].iloc[1])                           # two extensions used
    assert pd.isna(out["next_request_by"].iloc[2])                           # the 30-day total used
    assert out["ext1_request_by"].iloc[1] == ts("2023-10-10 23:59:59")
    assert out["ext2_request_by"].iloc[1] == ts("2023-10-17 23:59:59")      # before 10-18 23:59:59
    assert pd.isna(out["ext1_request_by"].iloc[0])


# -- the trace JSJB_EXPLAIN renders (hand-written expected texts) -------------------------------------
EXPLAINED = [
    ("steps in the order they took effect: the hold ended before the extension was requested",
     {S.EXT1_DAYS: 5, S.EXT1_AT: "2023-10-11 09:00", S.HOLD_START: "2023-10-09 09:00",
      S.HOLD_END: "2023-10-10 17:00"}, {},
     "派单 2023-09-28 10:00，一般5个工作日（派单当日不计）→ 2023-10-11；"
     "途经：09-29中秋节放假、09-30至10-06国庆节放假、10-07至10-08国庆节调休上班；"
     "挂单 2023-10-09至2023-10-10（2个工作日，首尾计入）→ 2023-10-13；"
     "延期5个工作日（第1次，2023-10-11 09:00申请） → 2023-10-20（途经：10-14至10-15周末）；"
     "最终期限 2023-10-20 23:59:59"),
    ("a reversed hold: the deadline JSJB_DEADLINE gives, with the reason",
     {S.HOLD_START: "2023-10-11 09:00", S.HOLD_END: "2023-10-08 17:00"}, {},
     "派单 2023-09-28 10:00，一般5个工作日（派单当日不计）→ 2023-10-11；"
     "途经：09-29中秋节放假、09-30至10-06国庆节放假、10-07至10-08国庆节调休上班；"
     "挂单未计入：挂单结束 2023-10-08 早于挂单开始 2023-10-11，请核对；最终期限 2023-10-11 23:59:59"),
    ("法定 and count_start_day do not mix; an open hold",
     {S.LIMIT_TYPE: "法定", S.LEGAL_DATE: "2023-10-20", S.HOLD_START: "2023-10-16 09:00"},
     {"count_start_day": "是"},
     "法定期限 2023-10-20；挂单中（自 2023-10-16 起），结束后按挂单工作日顺延；最终期限 2023-10-20 23:59:59"),
    ("count_start_day on a working day", {S.DISPATCHED: "2023-10-09 16:00", S.LIMIT_TYPE: "紧急"},
     {"count_start_day": "是"}, "派单 2023-10-09 16:00，紧急1个工作日（派单当日计入）→ 2023-10-09；"
     "最终期限 2023-10-09 23:59:59"),
]


@pytest.mark.parametrize("case, fields, params, expected", EXPLAINED, ids=[c[0] for c in EXPLAINED])
def test_explain_renders_the_steps(case, fields, params, expected):
    t = typed([ticket(**fields)])
    (text,) = explain_rows(t, Params(params), WorkCalendar())
    assert text == expected


def test_no_explanation_without_a_deadline():
    t = typed([ticket(**{S.DISPATCHED: "2026-12-28 10:00"}), ticket(id="T2", **{S.LIMIT_TYPE: None})])
    assert explain_rows(t, Params(), WorkCalendar()) == [None, None]
