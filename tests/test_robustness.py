"""Trust in the input side (#11, #10): a value, a sheet or a file the program cannot use is
reported — row, column and value, or the sheet, or the file — and never crashes a run, never
reads as empty, never exhausts memory (R21). Expected values come from the rulebook and the
workbook as written here, not from the code under test."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import re
import zipfile
from pathlib import Path

import pandas as pd
import pytest
import xlsxwriter
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jsjb.cli import main
from jsjb.core import codes as C
from jsjb.core import schema as S
from jsjb.core.errors import LedgerError, LedgerFileError
from jsjb.core.ledger import Issue, holidays_from_range, params_from_range, parse_holidays, parse_params
from jsjb.io import sheets as sheet_io
from jsjb.io.reader import read_ledger

ENTERPRISE = "东胜区热力有限责任公司"
AS_OF = "2025-04-10T12:00"
D = dt.datetime


# -- building workbooks ------------------------------------------------------------------------
def base_ticket(i: int) -> dict:
    """A valid 一般 ticket dispatched 2025-03-03 10:00 (Monday), closed 2025-03-05."""
    return {S.ID: f"T{i}", S.CHANNEL: "12345热线", S.REQ_TYPE: "投诉", S.CATEGORY: "城乡建设",
            S.CONTENT: "暖气不热", S.CALLER: "张三", S.PHONE: "13800001234", S.ADDRESS: "某小区",
            S.DISPATCHED: D(2025, 3, 3, 10), S.ENTERPRISE: ENTERPRISE, S.FORWARDED: D(2025, 3, 3, 10, 30),
            S.CONFIRMED: D(2025, 3, 3, 11), S.OWN: "是", S.LIMIT_TYPE: "一般", S.CLOSED: D(2025, 3, 5, 16),
            S.VISITED: D(2025, 3, 6, 9), S.VISIT_RESULT: "满意"}


def write_book(path: Path, sheets: dict[str, list[list]], header_of: dict[str, list[str]] | None = None) -> Path:
    """A workbook exactly as given (XlsxWriter): text as text (control characters escaped by
    XlsxWriter), finite numbers as numbers, datetimes as date cells; non-finite floats as text."""
    wb = xlsxwriter.Workbook(str(path))
    date_fmt = wb.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    for name, rows in sheets.items():
        ws = wb.add_worksheet(name)
        for r, row in enumerate(rows):
            for c, v in enumerate(row):
                if v is None:
                    continue
                if isinstance(v, bool):
                    ws.write_boolean(r, c, v)
                elif isinstance(v, (int, float)) and abs(float(v)) < float("inf") and v == v:
                    ws.write_number(r, c, float(v))
                elif isinstance(v, (int, float)):
                    ws.write_string(r, c, str(v))
                elif isinstance(v, dt.datetime) and 1900 <= v.year <= 9999:
                    ws.write_datetime(r, c, v, date_fmt)
                else:
                    ws.write_string(r, c, str(v))
    wb.close()
    return path


def ledger(path: Path, tickets: list[dict], columns=S.INPUT_NAMES, **other) -> Path:
    sheets = {S.SHEET_TICKETS: [list(columns)] + [[t.get(c) for c in columns] for t in tickets],
              S.SHEET_ENTERPRISES: [list(S.ENTERPRISE_COLUMNS), [ENTERPRISE, "热力公司", "李四", "a@example.invalid"]]}
    sheets.update(other)
    return write_book(path, sheets)


def run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as e:             # argparse
            code = e.code if isinstance(e.code, int) else 2
    return code, out.getvalue(), err.getvalue()


def check(path: Path) -> tuple[int, dict]:
    import json

    code, out, _ = run(["check", str(path), "--json", "--as-of", AS_OF])
    return code, json.loads(out)


def by_cell(data: dict, level: str = "errors") -> dict[tuple[int, str], dict]:
    return {(i["row"], i["column"]): i for i in data[level]}


CJK = re.compile(r"[\u4e00-\u9fff]")


# -- (a) values the program cannot represent --------------------------------------------------------
@pytest.mark.parametrize("column, value", [
    (S.DISPATCHED, D(3025, 3, 3, 10)),           # a typo in a date cell
    (S.DISPATCHED, "3025-03-03"),                # the same typed as text
    (S.DISPATCHED, "0205-03-03"),
    (S.LEGAL_DATE, D(9999, 12, 31)),             # placeholder in 法定期限
    (S.CLOSED, "9999-12-31 00:00"),
    (S.HOLD_START, 1e30),                        # a serial no calendar holds
    (S.FORWARDED, float("inf")),
])
def test_a_date_outside_the_representable_years_invalidates_its_row_only(tmp_path, column, value):
    bad = {**base_ticket(2), column: value}
    if column == S.LEGAL_DATE:
        bad[S.LIMIT_TYPE] = "法定"
    p = ledger(tmp_path / "a.xlsx", [base_ticket(1), bad])
    code, data = check(p)
    assert code == 1
    issue = by_cell(data)[(3, column)]
    assert issue["code"] == C.DATE_RANGE
    assert "1900年至2199年" in issue["message"]
    # every job still runs on the other row
    import json
    code, out, err = run(["compute", str(p), "--json", "--as-of", AS_OF])
    assert code in (0, 1) and "Traceback" not in err
    rows = {t["id"]: t for t in json.loads(out)["tickets"]}
    assert rows["T1"]["deadline"] == "2025-03-10T23:59:59"      # 5 working days after Mon 03-03


def test_out_of_range_dates_on_the_holiday_and_adjustment_sheets_are_row_issues(tmp_path):
    p = ledger(tmp_path / "a.xlsx", [base_ticket(1)],
               **{S.SHEET_HOLIDAYS: [list(S.HOLIDAY_COLUMNS), [D(3025, 1, 1), "休息日", "笔误"],
                                     ["9999-12-31", "休息日", "占位"]],
                  S.SHEET_ADJUSTMENTS: [list(S.ADJUSTMENT_COLUMNS), ["0205-03-03", ENTERPRISE, "D1", 1, "x"],
                                        [D(2025, 3, 4), ENTERPRISE, "D1", 1e30, "次数过大"]]})
    code, data = check(p)
    assert code == 1
    got = {(i["sheet"], i["row"], i["column"]): i["code"] for i in data["errors"]}
    assert got[(S.SHEET_HOLIDAYS, 2, "日期")] == C.DATE_RANGE
    assert got[(S.SHEET_HOLIDAYS, 3, "日期")] == C.DATE_RANGE
    assert got[(S.SHEET_ADJUSTMENTS, 2, "日期")] == C.DATE_RANGE
    assert got[(S.SHEET_ADJUSTMENTS, 3, "次数")] == C.NUMBER
    code, _, err = run(["assess", str(p), "--year", "2025", "--as-of", AS_OF, "--out", str(tmp_path / "o"), "-q"])
    assert code in (0, 1) and "Traceback" not in err


@pytest.mark.parametrize("value", [1e30, "1e30", float("inf"), "nan", -3, 0, 2.5, 100000])
def test_an_absurd_extension_is_a_days_error_not_a_missing_holiday_year(tmp_path, value):
    p = ledger(tmp_path / "a.xlsx", [{**base_ticket(1), S.EXT1_DAYS: value, S.EXT1_AT: D(2025, 3, 4, 9)}])
    code, data = check(p)
    assert code == 1
    assert [i["code"] for i in data["errors"]] == [C.DAYS]
    assert data["errors"][0]["column"] == S.EXT1_DAYS
    assert "节假日" not in data["errors"][0]["message"]


@pytest.mark.parametrize("text, code", [
    ("2025-03-03 9:75", C.TIME_OF_DAY), ("2025-03-03 25:00", C.TIME_OF_DAY), ("2025/3/3 23:60", C.TIME_OF_DAY),
    ("2025-03", C.DATE_INCOMPLETE), ("2025年3月", C.DATE_INCOMPLETE), ("2025-02-30", C.DATE_FORMAT),
])
def test_impossible_clock_times_and_partial_dates_are_errors(tmp_path, text, code):
    p = ledger(tmp_path / "a.xlsx", [{**base_ticket(1), S.DISPATCHED: text}])
    status, data = check(p)
    assert status == 1
    issue = by_cell(data)[(2, S.DISPATCHED)]
    assert issue["code"] == code and issue["value"] == text and text in issue["message"]


def test_legal_date_before_dispatch_warns_and_closing_before_dispatch_is_an_error(tmp_path):
    early_legal = {**base_ticket(1), S.LIMIT_TYPE: "法定", S.LEGAL_DATE: D(2025, 3, 1)}
    early_close = {**base_ticket(2), S.CLOSED: D(2025, 3, 2, 9)}
    p = ledger(tmp_path / "a.xlsx", [early_legal, early_close])
    _, data = check(p)
    assert by_cell(data, "warnings")[(2, S.LEGAL_DATE)]["code"] == C.LEGAL_BEFORE_DISPATCH
    assert (2, S.LEGAL_DATE) not in by_cell(data)
    assert by_cell(data)[(3, S.CLOSED)]["code"] == C.TIME_ORDER


# -- (b) sheets that cannot be read, columns that are missing ---------------------------------------
def damaged(src: Path, dst: Path, sheet: str) -> Path:
    """A copy of ``src`` whose worksheet part for ``sheet`` is cut in half (broken XML)."""
    with zipfile.ZipFile(src) as z:
        wb = z.read("xl/workbook.xml").decode()
        rels = z.read("xl/_rels/workbook.xml.rels").decode()
        rid = re.search(rf'<sheet name="{sheet}" sheetId="\d+" r:id="(rId\d+)"', wb).group(1)
        target = re.search(rf'<Relationship Id="{rid}" Type="[^"]+" Target="([^"]+)"', rels).group(1)
        part = "xl/" + target.lstrip("/").removeprefix("xl/")
        with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as w:
            for info in z.infolist():
                data = z.read(info.filename)
                if info.filename == part:
                    data = data[: len(data) // 2] + b"<broken"
                w.writestr(zipfile.ZipInfo(info.filename, info.date_time), data, zipfile.ZIP_DEFLATED)
    return dst


@pytest.fixture
def with_adjustments(tmp_path):
    return ledger(tmp_path / "good.xlsx", [base_ticket(1)],
                  **{S.SHEET_ADJUSTMENTS: [list(S.ADJUSTMENT_COLUMNS), [D(2025, 3, 4), ENTERPRISE, "D7", 1, "曝光"]]})


def test_a_damaged_adjustment_sheet_is_an_error_naming_it(tmp_path, with_adjustments):
    assert len(read_ledger(with_adjustments).adjustments) == 1                 # intact: read
    bad = damaged(with_adjustments, tmp_path / "bad.xlsx", S.SHEET_ADJUSTMENTS)
    with pytest.raises(LedgerFileError, match=S.SHEET_ADJUSTMENTS) as e:
        read_ledger(bad)
    assert e.value.code == C.SHEET_UNREADABLE
    code, _, err = run(["assess", str(bad), "--year", "2025", "--as-of", AS_OF, "--out", str(tmp_path / "o"), "-q"])
    assert code == 2 and S.SHEET_ADJUSTMENTS in err and "Traceback" not in err


def test_a_damaged_ticket_sheet_is_not_reported_as_missing_columns(tmp_path, with_adjustments):
    bad = damaged(with_adjustments, tmp_path / "bad.xlsx", S.SHEET_TICKETS)
    with pytest.raises(LedgerFileError) as e:
        read_ledger(bad)
    assert S.SHEET_TICKETS in str(e.value) and "缺少必需的列" not in str(e.value)


def test_a_missing_optional_sheet_still_defaults(tmp_path):
    p = write_book(tmp_path / "a.xlsx", {S.SHEET_TICKETS: [list(S.INPUT_NAMES),
                                                           [base_ticket(1).get(c) for c in S.INPUT_NAMES]]})
    led = read_ledger(p)
    assert led.adjustments.empty and led.manual.empty and led.params.changed() == {}
    assert [i for i in led.issues if i.level == "error"] == []


def test_a_renamed_contract_column_is_reported_by_check_and_every_job(tmp_path):
    columns = [("办完的时间" if c == S.CLOSED else c) for c in S.INPUT_NAMES]   # no synonym of 办结时间
    ticket = base_ticket(1)
    ticket["办完的时间"] = ticket.pop(S.CLOSED)
    p = ledger(tmp_path / "a.xlsx", [ticket], columns=columns)
    code, data = check(p)
    assert code == 1
    issue = by_cell(data)[(1, S.CLOSED)]
    assert issue["code"] == C.COLUMN_MISSING and "解决率" in issue["message"]
    led = read_ledger(p)
    assert [i.column for i in led.sheet_issues()] == [S.CLOSED]          # what every job shows


def test_every_contract_column_has_a_documented_cost_when_missing():
    optional = {c.name for c in S.INPUT_COLUMNS if not c.required}
    assert set(S.MISSING_COLUMN) == optional
    assert {S.CLOSED, S.DISPATCHED, S.ENTERPRISE, S.LIMIT_TYPE, S.VISIT_RESULT, S.RETURNED} - optional \
        == {S.DISPATCHED, S.LIMIT_TYPE}                                   # required: cannot be missing at all
    for name in (S.ENTERPRISE, S.RETURNED, S.CLOSED, S.VISIT_RESULT, S.NOT_ASSESSED, S.LEGAL_DATE):
        assert S.MISSING_COLUMN[name][0] == "error", name


# -- (c) files that cannot be a ledger ---------------------------------------------------------------
def with_part(src: Path, dst: Path, name: str, data: bytes) -> Path:
    with zipfile.ZipFile(src) as z, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as w:
        for info in z.infolist():
            if info.filename != name:
                w.writestr(zipfile.ZipInfo(info.filename, info.date_time), z.read(info.filename),
                           zipfile.ZIP_DEFLATED)
        w.writestr(name, data, zipfile.ZIP_DEFLATED, compresslevel=9)
    return dst


def test_a_shared_strings_bomb_is_refused_before_reading(tmp_path, with_adjustments):
    """64 MiB of one repeated string packs into well under 1 MB: a ratio no ledger has."""
    body = b"<si><t>" + b"A" * 1000 + b"</t></si>"
    xml = (b'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/'
           b'spreadsheetml/2006/main">' + body * (64 * 1024) + b"</sst>")
    bomb = with_part(with_adjustments, tmp_path / "bomb.xlsx", "xl/sharedStrings.xml", xml)
    assert bomb.stat().st_size < 2 * 1024**2
    with pytest.raises(LedgerFileError) as e:
        read_ledger(bomb)
    assert e.value.code == C.FILE_TOO_LARGE and "sharedStrings" in str(e.value)
    code, _, err = run(["check", str(bomb)])
    assert code == 2 and CJK.search(err) and "Traceback" not in err


def test_a_workbook_unpacking_beyond_the_total_bound_is_refused(tmp_path, with_adjustments, monkeypatch):
    monkeypatch.setattr(sheet_io, "MAX_TOTAL", 10_000)         # the real bound is 2 GiB (see io/sheets.py)
    with pytest.raises(LedgerFileError, match="解压后共") as e:
        read_ledger(with_adjustments)
    assert e.value.code == C.FILE_TOO_LARGE


@pytest.mark.parametrize("content, code, words", [
    (bytes.fromhex("D0CF11E0A1B11AE1") + b"\0" * 600, C.FILE_ENCRYPTED, "加密"),
    (b"PK\x03\x04 but not really a zip", C.FILE_DAMAGED, "无法打开"),
    (b"\x00" * 100, C.FILE_DAMAGED, "无法打开"),
])
def test_non_zip_and_encrypted_files_are_refused_clearly(tmp_path, content, code, words):
    p = tmp_path / "x.xlsx"
    p.write_bytes(content)
    with pytest.raises(LedgerFileError, match=words) as e:
        read_ledger(p)
    assert e.value.code == code
    status, _, err = run(["check", str(p)])
    assert status == 2 and words in err


# -- (d) codes and one range parser ------------------------------------------------------------------
def test_every_issue_carries_a_known_code_and_as_dict_keeps_its_keys(tmp_path):
    rows = [base_ticket(1), {**base_ticket(1), S.DISPATCHED: "下周一"}, {**base_ticket(3), S.LIMIT_TYPE: "特急"},
            {**base_ticket(4), S.ENTERPRISE: "某某公司"}, {**base_ticket(5), S.EXT2_DAYS: 3}]
    p = ledger(tmp_path / "a.xlsx", rows, columns=[c for c in S.INPUT_NAMES if c != S.REMARKS])
    _, data = check(p)
    issues = data["errors"] + data["warnings"]
    assert {i["code"] for i in issues} >= {C.DUPLICATE, C.DATE_FORMAT, C.VOCAB, C.UNKNOWN_ENTERPRISE,
                                           C.EXTENSION_INCOMPLETE, C.COLUMN_MISSING_WARN}
    assert all(i["code"] in C.MESSAGES for i in issues)
    assert all(set(i) == {"sheet", "row", "column", "value", "message", "code"} for i in issues)
    assert Issue(2, S.ID, "x", "m").as_dict()["code"] == ""


def test_errors_have_codes_to_classify_by():
    from jsjb.core.errors import HolidayDataMissing, InvalidRows, ParameterError

    assert HolidayDataMissing(2030).code == "E_HOLIDAY_YEAR"
    assert ParameterError("x", 1, "y").code == "E_PARAMETER"
    assert InvalidRows("x").code == "E_ROWS" and LedgerFileError("x").code == "E_FILE"
    assert LedgerError("x", code="E_SOMETHING").code == "E_SOMETHING"
    assert not hasattr(sheet_io, "OPTIONAL")


HOLIDAY_ROWS = [["日期", "类型", "说明"], [D(2030, 1, 1), "休息日", "元旦"], ["2030-02-02", "工作日", "调休"],
                [None, None, None], ["3030-01-01", "休息日", "笔误"], [D(2030, 5, 1), "放假", "类型错"]]


def test_the_holiday_range_of_a_udf_and_the_sheet_read_alike():
    from xlfuncs import cells

    frame = pd.DataFrame(HOLIDAY_ROWS[1:], columns=HOLIDAY_ROWS[0], dtype=object)
    sheet, sheet_issues = parse_holidays(frame)
    found, range_issues = holidays_from_range(HOLIDAY_ROWS)
    assert [(o.day, o.kind) for o in found] == [(o.day, o.kind) for o in sheet] \
        == [(dt.date(2030, 1, 1), "休息日"), (dt.date(2030, 2, 2), "工作日")]
    assert [(i.row, i.column, i.code) for i in range_issues] == [(i.row, i.column, i.code) for i in sheet_issues] \
        == [(5, "日期", C.DATE_RANGE), (6, "类型", C.VOCAB)]
    assert cells.overrides(HOLIDAY_ROWS[:4]) == tuple(found)
    with pytest.raises(cells.ArgumentError, match="3030-01-01"):
        cells.overrides(HOLIDAY_ROWS)


def test_the_parameter_range_of_a_udf_and_the_sheet_read_alike():
    from xlfuncs import cells

    rows = [["参数", "值"], ["materials_hours", 24], ["limit_normal", None], [None, 3]]
    frame = pd.DataFrame(rows[1:], columns=rows[0], dtype=object)
    assert params_from_range(rows).changed() == parse_params(frame).changed() == {"materials_hours": 24.0}
    assert cells.params(rows).changed() == {"materials_hours": 24.0}
    with pytest.raises(cells.ArgumentError, match="materials_hours"):
        cells.params([["materials_hours", "两天"]])


# -- property: nothing a clerk (or a file) can put in a cell crashes a command ----------------------------
ODD_TEXT = ["3025-03-03", "9999-12-31", "0205-03-03", "2025-03", "2025", "2025-02-30", "2025-03-03 9:75",
            "25:00", "2025年13月1日", "=1+1", "+8613800001234", "-5", "@SUM(A1)", "=HYPERLINK(\"http://x\")",
            "nan", "inf", "-inf", "1e308", "1e-300", "\t=cmd", "\r\n", "0x1F", "45197.5", "TRUE", "#N/A", "　"]
VALUES = st.one_of(
    st.none(),
    st.text(st.characters(exclude_categories=("Cs",)), max_size=20),
    st.sampled_from(ODD_TEXT),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.datetimes(min_value=D(1900, 1, 1), max_value=D(9999, 12, 31)),
    st.sampled_from([v for c in S.INPUT_COLUMNS if c.vocab for v in c.vocab]),
)
EDITS = st.dictionaries(st.sampled_from(S.INPUT_NAMES), VALUES, max_size=6)


@settings(max_examples=20, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(edits=st.lists(EDITS, min_size=3, max_size=3),
       holiday=st.tuples(VALUES, VALUES), adjustment=st.tuples(VALUES, VALUES))
def test_random_cell_values_never_crash_a_command(tmp_path_factory, edits, holiday, adjustment):
    d = tmp_path_factory.mktemp("fuzz")
    tickets = [{**base_ticket(i), **e} for i, e in enumerate(edits, start=1)]
    p = ledger(d / "台账.xlsx", tickets,
               **{S.SHEET_HOLIDAYS: [list(S.HOLIDAY_COLUMNS), [holiday[0], holiday[1], "x"]],
                  S.SHEET_ADJUSTMENTS: [list(S.ADJUSTMENT_COLUMNS), [adjustment[0], ENTERPRISE, "D1", adjustment[1]]]})
    out = d / "out"
    for argv in (["check", str(p), "--json"], ["compute", str(p), "--json"],
                 ["bulletin", str(p), "--month", "2025-03", "--out", str(out)],
                 ["assess", str(p), "--year", "2025", "--out", str(out)],
                 ["dispatch", str(p), "--out", str(out)],
                 ["archive", str(p), "--out", str(out / "归档.xlsx")]):
        code, stdout, stderr = run([*argv, "--as-of", AS_OF])
        assert code in (0, 1, 2), (argv, code, stderr[-2000:])
        assert "Traceback" not in stderr, (argv, stderr[-2000:])
        assert CJK.search(stdout + stderr), argv
