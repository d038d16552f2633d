"""The buttons (macros) through xlwings' remote engine: a JSON book as the calling workbook
(set_mock_caller), asserting on book.json()["actions"] what Excel would apply — and that no
input sheet is ever written."""

import datetime as dt
import re

import pandas as pd
import pytest

import macros
from jsjb.core import schema as S
from jsjb.core.sample import generate

xw = pytest.importorskip("xlwings")
AS_OF = "2026-01-05 10:00"


def to_cells(frame: pd.DataFrame) -> list[list]:
    """A sheet as Office.js sends it: header row, dates as serial numbers, blanks as ''."""
    def one(v):
        if v is None or (isinstance(v, float) and pd.isna(v)) or v is pd.NaT:
            return ""
        if isinstance(v, (pd.Timestamp, dt.datetime)):
            return (pd.Timestamp(v) - pd.Timestamp("1899-12-30")) / pd.Timedelta(days=1)
        return v.item() if hasattr(v, "item") else v
    return [list(frame.columns)] + [[one(v) for v in row] for row in frame.itertuples(index=False)]


def json_book(sheets: dict[str, pd.DataFrame], name="台账.xlsx"):
    data = {"client": "Office.js", "version": xw.__version__,
            "book": {"name": name, "active_sheet_index": 0, "selection": "A1"},
            "sheets": [{"name": k, "values": to_cells(v), "pictures": [], "tables": []} for k, v in sheets.items()],
            "names": []}
    book = xw.Book(json=data)
    book.set_mock_caller()
    return book


@pytest.fixture
def sample_book():
    sample = generate(300, 2025, 21)
    return json_book(sample.sheets)


def written_sheets(book) -> set[str]:
    names = [s.name for s in book.sheets]
    return {names[a["sheet_position"]] for a in book.json()["actions"] if a["func"] == "setValues"}


def alerts(book) -> list[str]:
    return [a["args"][0] for a in book.json()["actions"] if a["func"] == "alert"]


def test_every_button_has_a_function():
    for label, name in macros.BUTTONS.items():
        assert callable(getattr(macros, name)), label
        assert getattr(macros, name).__doc__.startswith(label), name


def test_refresh_writes_only_its_output_sheet(sample_book):
    ev = macros.refresh(as_of=AS_OF)
    assert ev is not None and len(ev.tickets) == 300
    assert written_sheets(sample_book) == {"计算结果", "运行记录"}
    adds = [a["args"] for a in sample_book.json()["actions"] if a["func"] == "addSheet"]
    assert adds and adds[0][1] == "计算结果"
    values = next(a["values"] for a in sample_book.json()["actions"] if a["func"] == "setValues"
                  and len(a["values"]) > 100)
    header = values[0]
    assert header[1:31] == list(S.INPUT_NAMES) and header[31:] == list(S.COMPUTED_COLUMNS)
    statuses = {r[header.index(S.STATUS)] for r in values[1:]}
    assert {"已办结", "已退回"} <= statuses
    for row in values:
        for v in row:
            assert not (isinstance(v, str) and v.startswith(("=", "+", "@"))), v


def test_refresh_escapes_formula_like_citizen_text():
    tickets = pd.DataFrame([{S.ID: "A1", S.DISPATCHED: pd.Timestamp("2025-12-01 10:00"), S.LIMIT_TYPE: "一般",
                             S.CONTENT: "=HYPERLINK(\"http://example.invalid\")", S.REMARKS: "+86 138"}])
    book = json_book({S.SHEET_TICKETS: tickets})
    macros.refresh(as_of=AS_OF)
    cells = [v for a in book.json()["actions"] if a["func"] == "setValues" for r in a["values"] for v in r]
    assert "'=HYPERLINK(\"http://example.invalid\")" in cells and "'+86 138" in cells


def test_bulletin_writes_its_sheet_and_files(sample_book, tmp_path):
    files = macros.bulletin("2025-12", as_of=AS_OF, out=tmp_path)
    assert files and files["bulletin"].exists() and len(files["enterprises"]) == 8
    assert written_sheets(sample_book) == {"月通报", "运行记录"}
    assert any("月通报已生成" in a for a in alerts(sample_book))


def test_assess_writes_its_sheet_and_file(sample_book, tmp_path):
    path = macros.assess("2025", as_of=AS_OF, out=tmp_path)
    assert path.exists() and path.name == "年度考核_2025.xlsx"
    assert written_sheets(sample_book) == {"年度考核", "运行记录"}


def test_bad_input_gives_a_chinese_alert_and_writes_nothing():
    tickets = pd.DataFrame([{S.ID: "A1", S.DISPATCHED: pd.Timestamp("2025-12-01 10:00"), S.LIMIT_TYPE: "一般"}])
    params = pd.DataFrame([{"参数": "materials_hours", "值": "两天"}])
    book = json_book({S.SHEET_TICKETS: tickets, S.SHEET_PARAMS: params})
    assert macros.refresh() is None
    assert written_sheets(book) == set()
    (message,) = alerts(book)
    assert "materials_hours" in message and "两天" in message and "Traceback" not in message


def test_a_missing_ledger_sheet_is_an_alert():
    book = json_book({"Sheet1": pd.DataFrame({"a": [1]})})
    macros.refresh()
    (message,) = alerts(book)
    assert "工单台账" in message
    assert "ledger_template.xlsx" in message and "jsjb " not in message    # Excel's words, not a command


def test_an_unsaved_ledger_asks_to_be_saved(sample_book):
    assert macros.bulletin("2025-12", as_of=AS_OF) is None
    assert "请先保存" in alerts(sample_book)[0]
    assert written_sheets(sample_book) == set()


def test_rows_with_errors_are_reported_in_the_alert():
    tickets = pd.DataFrame([{S.ID: "A1", S.DISPATCHED: pd.Timestamp("2025-12-01 10:00"), S.LIMIT_TYPE: "一般"},
                            {S.ID: "A2", S.DISPATCHED: "下周", S.LIMIT_TYPE: "一般"}]).reindex(columns=list(S.INPUT_NAMES))
    book = json_book({S.SHEET_TICKETS: tickets})
    macros.refresh(as_of=AS_OF)
    assert written_sheets(book) == {"计算结果", "运行记录"}
    assert "第3行" in alerts(book)[0] and "下周" in alerts(book)[0]


def log_rows(book) -> list[list]:
    names = [s.name for s in book.sheets]
    return [r for a in book.json()["actions"] if a["func"] == "setValues" and names[a["sheet_position"]] == "运行记录"
            for r in a["values"]]


def test_dispatch_button(sample_book, tmp_path):
    files = macros.dispatch(as_of=AS_OF, out=tmp_path)
    assert files["office"].exists() and files["enterprises"]
    assert written_sheets(sample_book) == {"日调度", "运行记录"}
    assert any(r[1] == "日调度" for r in log_rows(sample_book))
    assert "需督办" in alerts(sample_book)[0]


def test_archive_button_keeps_numbers_on_rerun(sample_book, tmp_path):
    from jsjb.io.everyday import read_numbers

    path = macros.archive(as_of=AS_OF, out=tmp_path)
    first = read_numbers(path)
    assert first and all(re.fullmatch(r"202[56]-\d{5}", v) for v in first.values())
    macros.archive(as_of=AS_OF, out=tmp_path)
    assert read_numbers(path) == first
    assert "本次新编号 0 件" in alerts(sample_book)[-1]
    assert written_sheets(sample_book) == {"归档", "运行记录"}


def test_send_bulletin_button_dry_run(sample_book, tmp_path):
    macros.bulletin("2025-12", as_of=AS_OF, out=tmp_path)
    report = macros.send_bulletin("2025-12", out=tmp_path, dry_run=True)
    assert len(report.sent) == 7 and [k["enterprise"] for k in report.skipped] == ["东胜区新能源充电服务有限公司"]
    assert len(list((tmp_path / "待发送邮件").glob("*.eml"))) == 7
    assert "没有邮箱" in alerts(sample_book)[-1]


def test_no_button_writes_an_input_sheet(sample_book, tmp_path):
    from macros.book_io import INPUT_SHEETS

    macros.refresh(as_of=AS_OF)
    macros.dispatch(as_of=AS_OF, out=tmp_path)
    macros.archive(as_of=AS_OF, out=tmp_path)
    macros.bulletin("2025-12", as_of=AS_OF, out=tmp_path)
    macros.assess("2025", as_of=AS_OF, out=tmp_path)
    assert not written_sheets(sample_book) & set(INPUT_SHEETS)
    assert {a["func"] for a in sample_book.json()["actions"]} <= {"addSheet", "setValues", "clearSheet", "alert",
                                                                "clearContents", "clear"}


def test_import_holidays_appends_the_notice_rows_only_after_confirmation(tmp_path):
    """R23: the one input sheet a button may change — 节假日 — and only when the clerk confirms."""
    from pathlib import Path

    notice = Path(__file__).parent / "fixtures" / "notices" / "2027.txt"
    holidays = pd.DataFrame({"日期": [pd.Timestamp("2026-10-01")], "类型": ["休息日"], "说明": ["国庆节"]})
    tickets = pd.DataFrame([{S.ID: "A1", S.DISPATCHED: pd.Timestamp("2026-12-28 10:00"), S.LIMIT_TYPE: "一般"}])
    book = json_book({S.SHEET_TICKETS: tickets.reindex(columns=list(S.INPUT_NAMES)), S.SHEET_HOLIDAYS: holidays})
    assert macros.import_holidays(str(notice)) == []          # the engine answers no dialog: nothing is written
    assert written_sheets(book) == set()
    rows = macros.import_holidays(str(notice), confirm=True)
    assert rows and all(r["date"].startswith("2027") for r in rows)
    writes = [a for a in book.json()["actions"] if a["func"] == "setValues"]
    assert written_sheets(book) == {S.SHEET_HOLIDAYS}
    (write,) = writes
    assert write["start_row"] == 2 and len(write["values"]) == len(rows)       # under the existing row
    assert {v[1] for v in write["values"]} <= {"休息日", "工作日"}


def test_bulletin_button_can_write_the_gongwen_draft(sample_book, tmp_path):
    files = macros.bulletin("2025-12", as_of=AS_OF, out=tmp_path, docx=True)
    assert files["docx"].name == "月通报_2025-12.docx" and files["docx"].exists()
    assert any("月通报已生成" in a for a in alerts(sample_book))


def test_import_holidays_reports_dates_the_sheet_holds_with_the_other_type():
    """The sheet wins (R1): a date it holds with the other 类型 is not appended but shown in the question."""
    from pathlib import Path

    from jsjb import jobs

    notice = Path(__file__).parent / "fixtures" / "notices" / "2027.txt"
    rows = jobs.notice(notice).data["rows"]
    clash = next(r for r in rows if r["type"] == "休息日")
    holidays = pd.DataFrame({"日期": [pd.Timestamp(clash["date"])], "类型": ["工作日"], "说明": ["录入有误"]})
    book = json_book({S.SHEET_HOLIDAYS: holidays})
    assert macros.import_holidays(str(notice)) == []                 # asked, not confirmed: nothing written
    assert f"{clash['date']}：通知为休息日，表中为工作日" in alerts(book)[0] and written_sheets(book) == set()
    new = macros.import_holidays(str(notice), confirm=True)
    assert clash["date"] not in {r["date"] for r in new} and len(new) == len(rows) - 1


def test_self_test_reports_what_doctor_compares(sample_book, tmp_path, monkeypatch):
    """macros.self_test — the Python end of doctor's button path — reads the calling ledger like a
    button and writes the interpreter, versions, the calling workbook and the process kind."""
    import json
    import sys

    import jsjb

    report = tmp_path / "自检.json"
    got = macros.self_test(str(report))
    written = json.loads(report.read_text(encoding="utf-8"))
    assert written == got
    assert written["executable"] == sys.executable and written["book"] == "台账.xlsx" and written["tickets"] == 300
    assert written["xlwings"] == xw.__version__ and written["jsjb"] == jsjb.__version__
    assert written["warm"] is True                     # no --from_xl: the UDF server's process
    assert not sample_book.json()["actions"]            # it only reads
    monkeypatch.setattr(sys, "argv", ["-c", "--wb=台账.xlsx", "--from_xl=1", "--hwnd=1"])
    assert macros.self_test(str(report))["warm"] is False
