"""Four rules an independent audit found the product bending (issue #26), each tested from RULES.md:

- R6: a report that names a hold's state judges it at as_of — a hold whose 挂单开始 lies after as_of
  has not begun: neither 挂单中 nor 已结束 (listed as 未开始);
- R21: every period's report names every row without a usable 派单时间, whatever else the row holds;
- R8: a ticket returned within the 3-hour reply window counts as answered — no 确认超时, no 0.1 deduction,
  even when a late 企业确认时间 is entered afterwards;
- R23 (the notice parser) is tested in test_notice.py.
"""

from __future__ import annotations

import openpyxl
import pandas as pd
import pytest
from helpers import ENTERPRISE, sample_ledger, ticket, typed

from jsjb import jobs
from jsjb.core import narrative, stats
from jsjb.core import schema as S
from jsjb.core.calendar import WorkCalendar
from jsjb.core.ledger import parse_adjustments
from jsjb.core.params import Params
from jsjb.core.rules import F_REPLY, compute

DEC = stats.month("2025-12")
AS_OF = "2026-01-05 10:00"


def evaluate(rows, as_of=AS_OF, params=None):
    params = Params(params or {})
    frame = typed(rows)
    c = compute(frame, params, WorkCalendar(), pd.Timestamp(as_of))
    adj, _ = parse_adjustments(pd.DataFrame([], columns=list(S.ADJUSTMENT_COLUMNS)))
    rep = stats.report([ENTERPRISE], frame, c, DEC, pd.Timestamp(as_of), params, adj)
    return frame, c, rep


# -- R6: a hold's state at as_of ---------------------------------------------------------------------------
# (case, 挂单开始, 挂单结束, as_of, params, expected state)
HOLDS = [
    ("begun and ended before as_of", "2025-12-02 10:00", "2025-12-04 10:00", AS_OF, {}, "已结束"),
    ("begun, no end", "2025-12-02 10:00", None, AS_OF, {}, "挂单中"),
    ("begun, end after as_of", "2025-12-02 10:00", "2026-01-06 10:00", AS_OF, {}, "挂单中"),
    ("begun, end exactly at as_of", "2025-12-02 10:00", "2026-01-05 10:00", AS_OF, {}, "已结束"),
    ("begins exactly at as_of", "2026-01-05 10:00", None, AS_OF, {}, "挂单中"),
    ("begins one minute after as_of", "2026-01-05 10:01", None, AS_OF, {}, "未开始"),
    ("begins and ends after as_of", "2026-01-06 10:00", "2026-01-07 10:00", AS_OF, {}, "未开始"),
    ("holds not allowed", "2025-12-02 10:00", "2025-12-04 10:00", AS_OF, {"hold_allowed": "否"}, "未计入"),
]


@pytest.mark.parametrize("case, start, end, as_of, params, expected", HOLDS, ids=[h[0] for h in HOLDS])
def test_a_reported_hold_is_judged_at_as_of(case, start, end, as_of, params, expected):
    fields = {S.DISPATCHED: "2025-12-01 10:00", S.HOLD_START: start}
    if end:
        fields[S.HOLD_END] = end
    frame, c, rep = evaluate([ticket(id="H1", **fields)], as_of, params)
    (i,) = rep.lists["on_hold"]
    assert narrative.hold_state(frame, c, i, rep.as_of) == expected
    row = narrative.list_table("on_hold", frame, c, rep.lists["on_hold"], rep.as_of).rows[0]
    assert row[-1].split("\n")[0] == expected          # the 挂单情况 cell: state, then its dates on lines below


def test_the_draft_names_a_hold_not_yet_begun_as_such():
    rows = [ticket(id="H1", **{S.DISPATCHED: "2025-12-01 10:00", S.HOLD_START: "2025-12-02 10:00",
                               S.HOLD_END: "2025-12-03 10:00"}),
            ticket(id="H2", **{S.DISPATCHED: "2025-12-01 10:00", S.HOLD_START: "2026-01-06 09:00"})]
    frame, c, rep = evaluate(rows)
    text = "".join(p.text for p in narrative.draft(rep, frame, c).body)
    assert "挂单工单2件（已结束1件，未开始1件）" in text
    assert "已结束2件" not in text


# -- R21: rows without a usable 派单时间 are named by every period's report -----------------------------
@pytest.fixture(scope="module")
def awkward(tmp_path_factory):
    """A sample ledger whose rows 2–5 have no usable 派单时间, each holding something else."""
    path = sample_ledger(tmp_path_factory.mktemp("r21"), 300, 5, "台账.xlsx")
    wb = openpyxl.load_workbook(path)
    ws = wb[S.SHEET_TICKETS]
    col = {c.value: c.column for c in ws[1]}
    ids = {}
    for r, (dispatched, what) in enumerate([(None, "closed"), ("2025-13-45 08:00", "closed"),
                                            (None, "returned"), (None, "open")], start=2):
        ws.cell(r, col[S.DISPATCHED]).value = dispatched
        ws.cell(r, col[S.RETURNED]).value = "2025-12-01 10:00" if what == "returned" else None
        ws.cell(r, col[S.CLOSED]).value = "2025-12-05 10:00" if what == "closed" else None
        for name in (S.HOLD_START, S.HOLD_END):
            ws.cell(r, col[name]).value = None
        ids[r] = ws.cell(r, col[S.ID]).value
    wb.save(path)
    return path, ids


@pytest.mark.parametrize("month", ["2025-03", "2025-12", "2026-01"])
@pytest.mark.parametrize("only_period", [False, True])
def test_every_bulletin_names_every_row_without_a_usable_dispatch_time(awkward, month, only_period):
    path, ids = awkward
    data = jobs.bulletin(path, month, as_of="2026-02-10T10:00", write=False, only_period=only_period).data
    listed = {(i["row"], i["id"]) for i in data["invalid"]}
    assert set(ids.items()) <= listed


def test_the_annual_assessment_names_them_too(awkward):
    path, ids = awkward
    data = jobs.assess(path, 2025, as_of="2026-02-10T10:00", only_period=True, out_dir=path.parent / "a").data
    assert set(ids.items()) <= {(i["row"], i["id"]) for i in data["invalid"]}


# -- R8: a return within the reply window is the answer ------------------------------------------------
FORWARDED = "2025-12-01 10:00"       # reply due 13:00 (3 natural hours)


def late_reply(returned, confirmed, own="否"):
    fields = {S.DISPATCHED: "2025-12-01 09:30", S.FORWARDED: FORWARDED, S.OWN: own}
    if returned:
        fields[S.RETURNED] = returned
    if confirmed:
        fields[S.CONFIRMED] = confirmed
    frame, c, rep = evaluate([ticket(id="R1", **fields)])
    flagged = any(str(f).startswith("确认超时") for f in c.at[0, S.FLAGS])
    table = rep.table.set_index("enterprise")
    return flagged, float(table.at[ENTERPRISE, "deductions"])


# (case, 退回时间, 企业确认时间, flagged, deduction)
REPLIES = [
    ("returned in the window, late confirmation entered later", "2025-12-01 12:00", "2025-12-01 15:00", False, 0.0),
    ("returned exactly at the 3-hour mark", "2025-12-01 13:00", "2025-12-01 15:00", False, 0.0),
    ("returned in the window, never confirmed", "2025-12-01 12:59", None, False, 0.0),
    ("returned one minute late, confirmed late", "2025-12-01 13:01", "2025-12-01 15:00", True, 0.1),
    ("returned late, never confirmed", "2025-12-01 13:01", None, True, 0.1),
    ("not returned, confirmed late", None, "2025-12-01 13:01", True, 0.1),
    ("not returned, confirmed in time", None, "2025-12-01 13:00", False, 0.0),
]


@pytest.mark.parametrize("case, returned, confirmed, flagged, deduction", REPLIES, ids=[r[0] for r in REPLIES])
def test_a_return_within_the_reply_window_counts_as_the_answer(case, returned, confirmed, flagged, deduction):
    assert late_reply(returned, confirmed) == (flagged, deduction)
    assert F_REPLY.startswith("确认超时")
