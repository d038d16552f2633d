"""Reading ledgers by header name, and row validation: each finding names row, column, value."""

import datetime as dt

import pandas as pd
import pytest
from helpers import ENTERPRISE, write_xlsx

from jsjb import jobs
from jsjb.core import schema as S
from jsjb.core.errors import LedgerError, LedgerFileError, ParameterError
from jsjb.io.reader import read_ledger

HEADER = [S.ID, "自用备注列", S.LIMIT_TYPE, S.DISPATCHED, S.ENTERPRISE, S.CLOSED, S.CHANNEL, S.LEGAL_DATE,
          S.EXT1_DAYS, S.EXT1_AT]
D = dt.datetime


def ledger_rows():
    """(excel row → cells) — row 2 onward; a blank row 5 in the middle."""
    return [
        ["A1", "x", "一般", D(2023, 9, 28, 10), ENTERPRISE, D(2023, 10, 10, 9), "12345热线", None, None, None],  # 2 ok
        ["A2", None, "一般", "2023/9/28 10:00", "热力公司", None, "微信", None, None, None],   # 3 ok, 简称, text date
        ["A3", None, "一般", 45197.4166666667, ENTERPRISE, None, None, None, None, None],     # 4 ok, serial date
        [None] * 10,                                                                          # 5 blank: skipped
        [None, None, "一般", D(2023, 9, 28), ENTERPRISE, None, None, None, None, None],       # 6 no id
        ["A7", None, "一般", "下周一", ENTERPRISE, None, None, None, None, None],               # 7 bad date
        ["A8", None, "特急", D(2023, 9, 28), ENTERPRISE, None, "抖音", None, None, None],       # 8 vocab ×2
        ["A1", None, "一般", D(2023, 9, 28), ENTERPRISE, None, None, None, None, None],         # 9 duplicate
        ["A10", None, "一般", D(2023, 9, 28), ENTERPRISE, D(2023, 9, 27), None, None, None, None],  # 10 order
        ["A11", None, "一般", D(2023, 9, 28), "某某公司", None, None, None, None, None],        # 11 unknown ent.
        ["A12", None, "法定", D(2023, 9, 28), ENTERPRISE, None, None, None, None, None],        # 12 法定 no date
        ["A13", None, "一般", D(2026, 12, 28), ENTERPRISE, None, None, None, None, None],       # 13 year 2027
        ["A14", None, "一般", D(2023, 9, 28), ENTERPRISE, None, None, None, "两天", None],      # 14 bad days
        ["A15", None, "一般", D(2023, 9, 28), ENTERPRISE, None, None, None, 5, None],           # 15 warning only
    ]


EXPECTED_ERRORS = {
    (6, S.ID), (7, S.DISPATCHED), (8, S.LIMIT_TYPE), (8, S.CHANNEL), (9, S.ID), (10, S.CLOSED),
    (11, S.ENTERPRISE), (12, S.LEGAL_DATE), (13, S.DISPATCHED), (14, S.EXT1_DAYS),
}


@pytest.fixture
def ledger_file(tmp_path):
    return write_xlsx(tmp_path / "台账.xlsx", {
        "说明": [["这是一张说明表"]],
        S.SHEET_TICKETS: [HEADER, *ledger_rows()],
        S.SHEET_ENTERPRISES: [list(S.ENTERPRISE_COLUMNS), [ENTERPRISE, "热力公司", "张**", "reli@example.invalid"]],
    })


def test_validation_reports_every_bad_row_with_row_column_and_value(ledger_file):
    ev = jobs.evaluate(read_ledger(ledger_file), pd.Timestamp("2023-12-01"))
    got = {(i.row, i.column) for i in ev.errors if i.row != 1}
    assert got == EXPECTED_ERRORS
    by = {(i.row, i.column): i for i in ev.errors}
    assert by[(7, S.DISPATCHED)].value == "下周一" and "下周一" in by[(7, S.DISPATCHED)].message
    assert "第2行" in by[(9, S.ID)].message                              # where the first A1 is
    assert "某某公司" in by[(11, S.ENTERPRISE)].message
    assert "2027" in by[(13, S.DISPATCHED)].message
    assert {(i.row, i.column) for i in ev.warnings if i.row != 1} == {(15, S.EXT1_AT)}


def test_missing_contract_columns_are_reported_on_the_header_row(ledger_file):
    """HEADER lacks most contract columns: those a statistic needs are errors (R21)."""
    ev = jobs.evaluate(read_ledger(ledger_file), pd.Timestamp("2023-12-01"))
    header_errors = {i.column for i in ev.errors if i.row == 1}
    assert {S.RETURNED, S.VISIT_RESULT, S.NOT_ASSESSED, S.HOLD_START, S.HOLD_END, S.EXT2_DAYS} <= header_errors
    assert not header_errors & set(HEADER)
    assert {S.CONTENT, S.REMARKS, S.MATERIALS_AT} <= {i.column for i in ev.warnings if i.row == 1}
    assert all(i.code == "E_COLUMN_MISSING" for i in ev.errors if i.row == 1)


def test_no_row_is_lost_and_bad_rows_say_why(ledger_file):
    ev = jobs.evaluate(read_ledger(ledger_file), pd.Timestamp("2023-12-01"))
    out = jobs.compute_json(ev)
    assert len(out["tickets"]) == len(ledger_rows()) - 1 == jobs.check_json(ev)["rows"]
    rows = {t["row"]: t for t in out["tickets"]}
    assert sorted(rows) == [2, 3, 4, *range(6, 16)]
    assert rows[2]["deadline"] == "2023-10-11T23:59:59" and rows[2]["timely"] is True
    assert rows[3]["deadline"] == rows[4]["deadline"] == "2023-10-11T23:59:59"
    assert rows[7]["status"] == S.ST_INVALID and rows[7]["deadline"] is None
    assert rows[7]["flags"][0].startswith("数据有误")
    assert rows[13]["status"] == S.ST_INVALID
    assert rows[11]["deadline"] == "2023-10-11T23:59:59"     # unknown enterprise: still computed, flagged
    assert any(f.startswith("数据有误") for f in rows[11]["flags"])


def test_columns_reordered_or_extra_do_not_matter(tmp_path):
    a = write_xlsx(tmp_path / "a.xlsx", {S.SHEET_TICKETS: [HEADER, *ledger_rows()[:3]]})
    order = list(reversed(range(len(HEADER))))
    b = write_xlsx(tmp_path / "b.xlsx", {S.SHEET_TICKETS: [[HEADER[i] for i in order]]
                                         + [[r[i] for i in order] for r in ledger_rows()[:3]]})
    ja = jobs.compute_json(jobs.evaluate(read_ledger(a), pd.Timestamp("2023-12-01")))
    jb = jobs.compute_json(jobs.evaluate(read_ledger(b), pd.Timestamp("2023-12-01")))
    assert ja == jb and len(ja["tickets"]) == 3


def test_header_cells_with_spaces_are_matched(tmp_path):
    p = write_xlsx(tmp_path / "a.xlsx", {S.SHEET_TICKETS: [[" 工单编号", "派单时间 ", "时限类型"],
                                                          ["X", D(2023, 9, 28, 10), "一般"]]})
    ev = jobs.evaluate(read_ledger(p), pd.Timestamp("2023-12-01"))
    assert not [i for i in ev.errors if i.code != "E_COLUMN_MISSING"]
    assert ev.computed[S.DEADLINE].iloc[0] == pd.Timestamp("2023-10-11 23:59:59")


def test_parameters_and_holidays_sheets_are_applied(tmp_path):
    p = write_xlsx(tmp_path / "a.xlsx", {
        S.SHEET_TICKETS: [[S.ID, S.DISPATCHED, S.LIMIT_TYPE], ["X", D(2026, 12, 28, 10), "一般"]],
        S.SHEET_PARAMS: [["参数", "值", "说明", "依据"], ["limit_normal", 3, "", ""]],
        S.SHEET_HOLIDAYS: [["日期", "类型", "说明"], [D(2027, 1, 1), "休息日", "元旦"]],
    })
    ev = jobs.evaluate(read_ledger(p), pd.Timestamp("2026-12-29"))
    assert not [i for i in ev.errors if i.code != "E_COLUMN_MISSING"]
    assert ev.computed[S.DEADLINE].iloc[0] == pd.Timestamp("2026-12-31 23:59:59")


def test_a_bad_parameter_stops_with_its_name(tmp_path):
    p = write_xlsx(tmp_path / "a.xlsx", {
        S.SHEET_TICKETS: [[S.ID, S.DISPATCHED, S.LIMIT_TYPE]],
        S.SHEET_PARAMS: [["参数", "值"], ["materials_hours", "两天"]],
    })
    with pytest.raises(ParameterError, match="materials_hours"):
        read_ledger(p)


@pytest.mark.parametrize("make, message", [
    (lambda d: d / "nope.xlsx", "找不到"),
    (lambda d: (d / "a.csv").write_text("x") and d / "a.csv", ".xlsx"),
    (lambda d: (d / "bad.xlsx").write_bytes(b"not a zip") and d / "bad.xlsx", "无法打开"),
    (lambda d: write_xlsx(d / "other.xlsx", {"Sheet1": [["a"]]}), S.SHEET_TICKETS),
    (lambda d: d, "文件夹"),
])
def test_unusable_files_give_a_clear_error(tmp_path, make, message):
    with pytest.raises(LedgerFileError, match=message):
        read_ledger(make(tmp_path))


def test_missing_required_columns_are_named(tmp_path):
    p = write_xlsx(tmp_path / "a.xlsx", {S.SHEET_TICKETS: [["编号", S.DISPATCHED]]})
    with pytest.raises(LedgerError, match="工单编号、时限类型"):
        read_ledger(p)
