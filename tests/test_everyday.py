"""日调度 and 归档: the rules (table-driven), the CLI end to end, stable archive numbers, no
caller data in any output, and the input ledger's bytes unchanged after every command."""

import json
from pathlib import Path

import pandas as pd
import pytest
from helpers import ENTERPRISE, digest, sample_ledger, ticket, typed
from outputs import caller_data, formulas_in, leaks, open_in_libreoffice

from jsjb.cli import main
from jsjb.core import dispatch
from jsjb.core import schema as S
from jsjb.core.archive import numbers
from jsjb.core.calendar import WorkCalendar
from jsjb.core.params import Params
from jsjb.core.rules import compute
from jsjb.io.reader import read_ledger

AS_OF = "2023-10-10 12:00"      # a 一般 ticket dispatched 2023-09-28 10:00 is due 2023-10-11 23:59:59


def listed(rows, as_of=AS_OF):
    t = typed(rows)
    c = compute(t, Params(), WorkCalendar(), pd.Timestamp(as_of))
    dl = dispatch.build(t, c, Params(), pd.Timestamp(as_of))
    return {t.at[i, S.ID]: r for i, r in zip(dl.items.index, dl.items["reason"])}, dl


# (case, ticket fields, as_of, expected most urgent reason or None)
CASES = [
    ("overdue", {}, "2023-10-12 08:00", "超期未办结"),
    ("due soon", {S.MATERIALS_AT: "2023-10-09 10:00"}, AS_OF, "临期"),
    ("materials due soon", {}, "2023-10-09 12:00", "材料将到期"),
    ("extension request deadline ahead (always also 临期)", {S.MATERIALS_AT: "2023-10-09 10:00"}, "2023-10-10 08:00",
     "临期"),
    ("no ownership reply", {S.FORWARDED: "2023-09-28 10:30"}, "2023-09-28 14:00", "未确认归属"),
    ("on hold", {S.HOLD_START: "2023-10-01 09:00"}, AS_OF, "挂单中"),
    ("closed tickets are not listed", {S.CLOSED: "2023-10-09 10:00"}, "2023-10-12 08:00", None),
    ("returned tickets are not listed", {S.RETURNED: "2023-09-28 12:00"}, "2023-10-12 08:00", None),
    ("nothing to do yet", {S.MATERIALS_AT: "2023-10-02 10:00", S.FORWARDED: "2023-09-28 10:30",
                           S.CONFIRMED: "2023-09-28 11:00"}, "2023-10-05 10:00", None),
]


@pytest.mark.parametrize("case, fields, as_of, reason", CASES, ids=[c[0] for c in CASES])
def test_dispatch_reasons(case, fields, as_of, reason):
    got, _ = listed([ticket(**fields)], as_of)
    assert got.get("T1") == reason


def test_the_extension_request_deadline_is_among_the_reasons():
    _, dl = listed([ticket(**{S.MATERIALS_AT: "2023-10-09 10:00"})], "2023-10-10 08:00")
    assert dl.items["reasons"].iloc[0] == ["临期（剩余 40小时）",
                                           "如需延期须在 10-10 23:59 前申请（到期前24小时，第13条）"]


def listed_with(rows, as_of, params: dict):
    t = typed(rows)
    prm = Params(params)
    c = compute(t, prm, WorkCalendar(), pd.Timestamp(as_of))
    return dispatch.build(t, c, prm, pd.Timestamp(as_of))


def test_materials_long_overdue_are_materials_overdue_not_due_soon():
    """Materials due 2023-10-09 23:59:59 (48 h before 10-11 23:59:59); as_of 359 days and 1 s
    later (2023-10-09 + 366 − 7 days = 2024-10-02); the deadline itself passed 357 days ago."""
    _, dl = listed([ticket()], "2024-10-03 00:00")
    assert dl.items["reasons"].iloc[0] == ["超期未办结（已超 357天）",
                                           "材料逾期（应于 2023-10-09 23:59 前提交，已超 359天，第13条）"]


def test_materials_overdue_before_the_deadline():
    _, dl = listed([ticket()], "2023-10-10 08:00")
    assert dl.items["reasons"].iloc[0] == ["临期（剩余 40小时）", "材料逾期（应于 10-09 23:59 前提交，已超 8小时，第13条）",
                                           "如需延期须在 10-10 23:59 前申请（到期前24小时，第13条）"]
    assert dl.items["reason"].iloc[0] == "临期" and dl.items["priority"].iloc[0] == dispatch.REASONS.index("临期")


def test_texts_and_horizons_follow_the_parameters():
    row = ticket(**{S.MATERIALS_AT: "2023-10-09 10:00"})
    # R5 with 36 h: 2023-10-11 23:59:59 − 36 h = 10-10 11:59:59, within the 24 h look-ahead
    dl = listed_with([row], "2023-10-10 08:00", {"extension_request_hours": 36})
    assert dl.items["reasons"].iloc[0][-1] == "如需延期须在 10-10 11:59 前申请（到期前36小时，第13条）"
    # a 2 h look-ahead does not reach 11:59:59 (about 4 h ahead)
    dl = listed_with([row], "2023-10-10 08:00", {"extension_request_hours": 36, "dispatch_lookahead_hours": 2})
    assert dl.items["reasons"].iloc[0] == ["临期（剩余 40小时）"]
    # materials due 2023-10-09 23:59:59 are 12 h ahead of 10-09 12:00: listed with 24 h, not with 6 h
    assert listed_with([ticket()], "2023-10-09 12:00", {}).items["reason"].iloc[0] == "材料将到期"
    assert listed_with([ticket()], "2023-10-09 12:00", {"dispatch_lookahead_hours": 6}).items.empty
    # R8 with 5 h: forwarded 10:30 → due 15:30; at 16:30 one hour late (the 17:00 answer comes later)
    late = ticket(**{S.FORWARDED: "2023-09-28 10:30", S.CONFIRMED: "2023-09-28 17:00"})
    dl = listed_with([late], "2023-09-28 16:30", {"reply_hours": 5})
    assert dl.items["reasons"].iloc[0] == ["未确认归属（转办后5小时未答复，已超时 1小时，第21条）"]


def test_no_extension_reason_once_no_extension_is_left():
    # 5 + 5 days: 10-11 → 10-18 → 10-25 23:59:59; two extensions used (max_extensions = 2)
    two = ticket(**{S.EXT1_DAYS: 5, S.EXT1_AT: "2023-10-09 10:00", S.EXT2_DAYS: 5, S.EXT2_AT: "2023-10-16 10:00",
                    S.MATERIALS_AT: "2023-10-20 10:00"})
    _, dl = listed([two], "2023-10-24 08:00")
    assert dl.items["reasons"].iloc[0] == ["临期（剩余 40小时）"]
    one = ticket(**{S.EXT1_DAYS: 5, S.EXT1_AT: "2023-10-09 10:00", S.MATERIALS_AT: "2023-10-13 10:00"})
    _, dl = listed([one], "2023-10-17 08:00")      # due 10-18 23:59:59; request by 10-17 23:59:59
    assert dl.items["reasons"].iloc[0] == ["临期（剩余 40小时）",
                                           "如需延期须在 10-17 23:59 前申请（到期前24小时，第13条）"]


def test_legend_renders_the_parameters_in_force():
    assert dispatch.legend(Params()) == (
        "1 超期未办结 · 2 未确认归属（转办后3小时未答复是否本企业） · 3 临期（48小时内到期） · "
        "4 材料逾期（回复材料应在期限前48小时提交） · 5 材料将到期（24小时内截止） · "
        "6 延期申请将截止（须在期限前24小时申请，24小时内截止） · 7 挂单中")
    text = dispatch.legend(Params({"reply_hours": 2, "warning_hours": 72, "materials_hours": 36,
                                   "dispatch_lookahead_hours": 12, "extension_request_hours": 30}))
    assert "转办后2小时" in text and "72小时内到期" in text and "前36小时提交" in text
    assert "前30小时申请，12小时内截止" in text and "5 材料将到期（12小时内截止）" in text


def test_a_hold_ended_after_as_of_is_still_on_hold_in_the_list():
    row = ticket(**{S.HOLD_START: "2023-10-09 09:00", S.HOLD_END: "2023-10-20 17:00"})
    got, _ = listed([row], "2023-10-12 08:00")
    assert got["T1"] == "挂单中"


def test_dispatch_order_and_counts():
    rows = [ticket(id="late2", **{S.DISPATCHED: "2023-09-20 10:00"}), ticket(id="late1"),
            ticket(id="hold", **{S.HOLD_START: "2023-10-01 09:00"}),
            ticket(id="other", **{S.ENTERPRISE: "东胜区水务有限责任公司"})]
    got, dl = listed(rows, "2023-10-12 08:00")
    assert list(dl.items.index.map(lambda i: rows[i][S.ID])) == ["late2", "late1", "hold", "other"]
    assert dl.counts.loc[ENTERPRISE, "超期未办结"] == 2 and dl.counts.loc[ENTERPRISE, "合计"] == 3
    hold = dl.items[dl.items["reason"] == "挂单中"].iloc[0]
    assert hold["hold_days"] == pytest.approx(10.96, abs=0.01) and "挂单中（已 11 天）" in hold["reasons"]


def test_a_ticket_closed_before_dispatch_gets_no_archive_number():
    rows = [ticket(id="A", **{S.CLOSED: "2023-10-05 10:00"}), ticket(id="X", **{S.CLOSED: "2023-09-27 10:00"})]
    t = typed(rows)
    c = compute(t, Params(), WorkCalendar(), pd.Timestamp("2024-02-01"))
    got = numbers(t, c)
    assert dict(zip(t.loc[got.index, S.ID], got)) == {"A": "2023-00001"}


def test_archive_numbers_are_stable_and_never_duplicated():
    rows = [ticket(id="B", **{S.CLOSED: "2023-10-05 10:00"}), ticket(id="A", **{S.CLOSED: "2023-10-05 10:00"}),
            ticket(id="C", **{S.CLOSED: "2024-01-03 10:00"}), ticket(id="D")]
    t = typed(rows)
    c = compute(t, Params(), WorkCalendar(), pd.Timestamp("2024-02-01"))
    first = numbers(t, c)
    assert dict(zip(t.loc[first.index, S.ID], first)) == {"A": "2023-00001", "B": "2023-00002", "C": "2024-00001"}
    # D closes later, backdated before A and B: existing numbers stay, D continues the sequence
    rows[3][S.CLOSED] = "2023-10-01 09:00"
    t = typed(rows)
    c = compute(t, Params(), WorkCalendar(), pd.Timestamp("2024-02-01"))
    again = numbers(t, c, dict(zip(t.loc[first.index, S.ID], first)))
    assert dict(zip(t.loc[again.index, S.ID], again)) == {"A": "2023-00001", "B": "2023-00002", "C": "2024-00001",
                                                           "D": "2023-00003"}


# -- end to end through the CLI ---------------------------------------------------------------
AS_OF_SAMPLE = "2026-01-05T10:00"



@pytest.fixture(scope="module")
def ledger(tmp_path_factory):
    return sample_ledger(tmp_path_factory.mktemp("everyday"), 900, 5)


def run_json(capsys, argv) -> dict:
    assert main([*argv, "--json", "-q"]) == 0
    return json.loads(capsys.readouterr().out)


def test_dispatch_cli(ledger, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("JSJB_LOG", str(tmp_path / "log.csv"))
    before = digest(ledger)
    data = run_json(capsys, ["dispatch", str(ledger), "--as-of", AS_OF_SAMPLE, "--out", str(tmp_path)])
    assert digest(ledger) == before
    assert data["as_of"] == "2026-01-05T10:00:00" and data["items"]
    assert all({"id", "enterprise", "status", "deadline", "flags"} <= set(i) for i in data["items"])
    assert {i["status"] for i in data["items"]} <= {"超期未办结", "临期", "在办", "挂单中"}
    files = [Path(data["files"]["office"]), *map(Path, data["files"]["enterprises"].values())]
    assert all(f.exists() for f in files)
    secrets = caller_data(read_ledger(ledger).tickets)
    for f in files:
        assert leaks(f, secrets) == [] and formulas_in(f) == []
    assert all(open_in_libreoffice(files[:3]).values())
    from jsjb.io.runlog import read

    (entry,) = read(tmp_path / "log.csv")
    assert entry["任务"] == "日调度" and entry["工单数"] == str(len(data["items"]))


def test_archive_cli_rerun_and_growth(ledger, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("JSJB_LOG", str(tmp_path / "log.csv"))
    out = tmp_path / "归档.xlsx"
    before = digest(ledger)
    first = run_json(capsys, ["archive", str(ledger), "--as-of", AS_OF_SAMPLE, "--out", str(out)])
    assert first["new"] == first["archived"] > 0 and first["years"] == ["2025年度台账"]
    from jsjb.io.everyday import read_numbers

    numbers1 = read_numbers(out)
    again = run_json(capsys, ["archive", str(ledger), "--as-of", AS_OF_SAMPLE, "--out", str(out)])
    assert again["new"] == 0 and read_numbers(out) == numbers1
    assert len(set(numbers1.values())) == len(numbers1)                      # no duplicates
    earlier = run_json(capsys, ["archive", str(ledger), "--as-of", "2025-12-01T00:00", "--out", str(tmp_path / "e.xlsx")])
    assert earlier["archived"] < first["archived"]
    assert digest(ledger) == before
    secrets = caller_data(read_ledger(ledger).tickets)
    assert leaks(out, secrets) == [] and formulas_in(out) == []
    import openpyxl

    wb = openpyxl.load_workbook(out, read_only=True)
    assert wb.sheetnames == ["归档目录", "2025年度台账"]
    header = [c.value for c in next(wb["归档目录"].iter_rows(min_row=3, max_row=3))]
    assert header[0] == "归档号" and {"电子工单", "正式回复文件", "佐证材料", S.DEADLINE, S.STATUS} <= set(header)
    assert not {S.CALLER, S.PHONE, S.ADDRESS} & set(header)
    assert [r["任务"] for r in __import__("jsjb.io.runlog", fromlist=["read"]).read(tmp_path / "log.csv")] == \
        ["归档"] * 3
