"""The ribbon button 导入工单 (macros.import_tickets) through xlwings' remote engine: the same result as
``jsjb intake --json`` on the same ledger; on confirmation the new tickets' input columns go into the
empty rows below the last ticket, under their own headers — never over an existing row — and the
ledger's Excel table grows over them; without confirmation nothing is appended."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest
from helpers import write_xlsx
from test_macros import alerts, json_book

import macros
from jsjb.cli import main
from jsjb.core import schema as S

xw = pytest.importorskip("xlwings")
HEAT = "东胜区热力有限责任公司"
# the ledger's own layout: a clerk's column (经办人) between input columns, a computed column at the end
HEADER = [S.ID, S.DISPATCHED, "经办人", S.LIMIT_TYPE, S.ENTERPRISE, S.CALLER, S.CLOSED, "办理期限"]
LEDGER = [
    ["A1", dt.datetime(2025, 12, 1, 9), "小王", "一般", HEAT, "张三", dt.datetime(2025, 12, 2, 9), None],
    ["A2", dt.datetime(2025, 12, 3, 9), "小李", "民生", HEAT, "李四", None, None],
    ["A3", dt.datetime(2025, 12, 5, 9), "小王", "一般", HEAT, "王五", None, None],
]
EXPORT = [
    ["工单号", "下派时间", "承办单位", "办理时限", "来电人", "办结时间", "工单状态"],
    ["A1", "2025/12/01 09:00", "热力公司", "一般", "张三", "2025/12/02 10:00", "已办结"],       # 办结时间 differs
    ["B1", "2025年12月4日 14时30分", HEAT, "紧急", "=HYPERLINK(\"x\")", None, "办理中"],          # new
    ["B2", "2025-12-06 08:00:00", HEAT, "一般", "001", None, "办理中"],                            # new
    ["A1", "2025/12/01 09:00", HEAT, "一般", "张三", None, "已办结"],                               # duplicate
    [None, "2025/12/04 09:00", HEAT, "一般", "赵六", None, "办理中"],                              # invalid
]


def book_with_table(rows: list[list]):
    frame = pd.DataFrame(rows, columns=HEADER, dtype=object)
    book = json_book({S.SHEET_TICKETS: frame, S.SHEET_ENTERPRISES: pd.DataFrame(
        [[HEAT, "热力公司", None, None]], columns=list(S.ENTERPRISE_COLUMNS))})
    n = len(rows) + 1
    book.sheets[0].api["tables"] = [{
        "name": "工单", "range_address": f"A1:G{n}", "header_row_range_address": "A1:G1",
        "data_body_range_address": f"A2:G{n}", "total_row_range_address": None, "show_headers": True,
        "show_totals": False, "table_style": "TableStyleLight9", "show_autofilter": True,
        "row_count": n, "column_count": 7}]
    return book


def writes(book, sheet: str) -> list[dict]:
    names = [s.name for s in book.sheets]
    return [a for a in book.json()["actions"] if a["func"] == "setValues" and names[a["sheet_position"]] == sheet]


@pytest.fixture
def files(tmp_path):
    ledger = write_xlsx(tmp_path / "台账.xlsx", {S.SHEET_TICKETS: [HEADER, *LEDGER],
                                               S.SHEET_ENTERPRISES: [list(S.ENTERPRISE_COLUMNS), [HEAT, "热力公司"]]})
    export = write_xlsx(tmp_path / "导出.xlsx", {"Sheet1": EXPORT})
    return ledger, export


def test_the_button_shows_the_same_result_as_the_cli(files, capsys):
    ledger, export = files
    assert main(["intake", str(export), "--ledger", str(ledger), "--json", "-q"]) == 1
    cli = json.loads(capsys.readouterr().out)
    book = book_with_table(LEDGER)
    data = macros.import_tickets(str(export))                     # the engine answers no dialog: not confirmed
    keys = ("new", "changed", "missing_in_export", "duplicates", "invalid", "mapping", "unmapped", "counts")
    assert {k: data[k] for k in keys} == {k: cli[k] for k in keys}
    assert cli["new"] == ["B1", "B2"] and [(c["id"], c["field"]) for c in cli["changed"]] == [("A1", S.CLOSED)]
    assert cli["missing_in_export"] == ["A2", "A3"] and cli["duplicates"] == ["A1"]   # inside 12-01 09:00…12-06 08:00
    assert [d["row"] for d in cli["invalid"]] == [6]
    assert not writes(book, S.SHEET_TICKETS)                      # not confirmed: nothing appended
    report = writes(book, "核对结果")
    assert report and any("新工单 2 张" in str(v) for r in report[0]["values"] for v in r)
    assert "确定追加吗" in " ".join(alerts(book))                 # asked; the engine answers no dialog


def test_on_confirmation_the_new_tickets_are_appended_below_the_last_one(files):
    _, export = files
    book = book_with_table(LEDGER)
    macros.import_tickets(str(export), confirm=True)
    (left, right) = writes(book, S.SHEET_TICKETS)               # two runs: A:B, then D:G (经办人 left alone)
    assert (left["start_row"], left["start_column"]) == (4, 0) and (right["start_row"], right["start_column"]) == (4, 3)
    assert [r[0] for r in left["values"]] == ["B1", "B2"]
    assert left["values"][0][1] == "2025-12-04 14:30:00"          # a datetime (text would carry the apostrophe)
    b1, b2 = right["values"]
    assert b1[:3] == ["紧急", HEAT, "'=HYPERLINK(\"x\")"]           # R20: citizen text stays text
    assert b2[2] == "'001"                                        # Excel would make 001 the number 1
    assert len(b1) == 4                                            # up to 办结时间: not 办理期限
    resize = [a for a in book.json()["actions"] if a["func"] == "resizeTable"]
    assert resize and resize[0]["args"] == [0, "$A$1:$G$6"]
    assert any("已把 2 张新工单追加" in a and "第 5 至 6 行" in a for a in alerts(book))
    assert {a["func"] for a in book.json()["actions"]} <= {"addSheet", "setValues", "clearSheet", "alert",
                                                         "clearContents", "clear", "resizeTable"}


def test_a_row_below_the_last_ticket_that_is_not_empty_is_never_written(files):
    """Only the 经办人 of row 5 is filled (a clerk's note): the ledger's last ticket is row 4 by its input
    columns, so the new rows would land on row 5 — refused, and nothing is written into the table."""
    _, export = files
    book = book_with_table([*LEDGER, [None, None, "待补录", None, None, None, None, None]])
    assert macros.import_tickets(str(export), confirm=True) is None
    assert not writes(book, S.SHEET_TICKETS)
    assert any("第5行已有内容（经办人列）" in a for a in alerts(book))


def test_nothing_new_appends_nothing(files, tmp_path):
    _, _ = files
    export = write_xlsx(tmp_path / "无新.xlsx", {"Sheet1": [EXPORT[0], EXPORT[1]]})
    book = book_with_table(LEDGER)
    data = macros.import_tickets(str(export), confirm=True)
    assert data["new"] == [] and not writes(book, S.SHEET_TICKETS)
    assert any("没有需要追加的新工单" in a for a in alerts(book))


def test_a_bad_export_is_a_chinese_alert(files, tmp_path):
    bad = tmp_path / "坏.xlsx"
    bad.write_bytes(b"nonsense")
    book = book_with_table(LEDGER)
    assert macros.import_tickets(str(bad), confirm=True) is None
    (message,) = alerts(book)
    assert "坏.xlsx" in message and "Traceback" not in message and not writes(book, S.SHEET_TICKETS)


def test_the_question_lists_a_new_ticket_without_enterprise_as_blank(files, tmp_path):
    """A new ticket the system has not yet assigned (承办单位 blank) is listed with an empty 承办企业 —
    never the word "nan" — in the question before appending."""
    export = write_xlsx(tmp_path / "未分派.xlsx", {"Sheet1": [EXPORT[0], ["C1", "2025/12/04 10:00", None, "一般", "某",
                                                                       None, "待分派"]]})
    book = book_with_table(LEDGER)
    data = macros.import_tickets(str(export))
    assert data["new"] == ["C1"]
    (question,) = [a for a in alerts(book) if "确定追加吗" in a]
    line = next(ln for ln in question.splitlines() if ln.startswith("C1"))
    assert line.rstrip() == "C1  2025-12-04 10:00" and "nan" not in question.lower()


def test_a_blank_day_count_is_appended_as_an_empty_cell(tmp_path):
    """延期1工作日 read as a whole-number column: a new ticket without an extension gets an empty cell,
    never the text "<NA>" (which check would then flag)."""
    header = [S.ID, S.DISPATCHED, S.ENTERPRISE, S.LIMIT_TYPE, "延期1申请时间", "延期1工作日"]
    export = write_xlsx(tmp_path / "延期.xlsx", {"Sheet1": [
        header,
        ["D1", "2025/12/04 10:00", HEAT, "一般", "2025/12/05 09:00", 3],
        ["D2", "2025/12/04 11:00", HEAT, "一般", None, None]]})
    rows = [["A1", dt.datetime(2025, 12, 1, 9), HEAT, "一般", None, None]]
    book = json_book({S.SHEET_TICKETS: pd.DataFrame(rows, columns=header, dtype=object),
                      S.SHEET_ENTERPRISES: pd.DataFrame([[HEAT, "热力公司", None, None]],
                                                        columns=list(S.ENTERPRISE_COLUMNS))})
    macros.import_tickets(str(export), confirm=True)
    (written,) = writes(book, S.SHEET_TICKETS)
    assert [r[0] for r in written["values"]] == ["D1", "D2"]
    assert written["values"][0][-1] == 3 and written["values"][1][-1] in ("", None)
    assert "<NA>" not in map(str, [v for r in written["values"] for v in r])
