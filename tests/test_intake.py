"""Intake and reconciliation (R24, CONTRACT §6): exports of the 接诉即办 system in several spellings —
headers, times, encodings, extra columns, blank rows, merged header rows, .xlsx/.xls/.csv — classified
row by row. The expected values are written by hand from R24 for one small ledger and one set of
logical export rows (below), never taken from the code under test."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from helpers import digest, load_script, write_xlsx

from jsjb import jobs
from jsjb.cli import main
from jsjb.core import codes as C
from jsjb.core import schema as S
from jsjb.core.errors import HeaderConflict, LedgerError
from jsjb.core.headers import map_headers, normalize, parse_aliases

HEAT, WATER = "东胜区热力有限责任公司", "东胜区水务有限责任公司"
LEDGER_COLUMNS = [S.ID, S.CALLER, S.PHONE, S.DISPATCHED, S.ENTERPRISE, S.LIMIT_TYPE, S.CLOSED, S.VISIT_RESULT, S.CONTENT]
LEDGER_ROWS = [
    ["A001", "张三丰", "13700000001", "2025-12-01 09:00", HEAT, "一般", "2025-12-03 10:00", "满意", "反映暖气不热"],
    ["A002", "李小明", "13700000002", "2025-12-02 10:30", WATER, "民生", None, None, "反映停水未通知"],
    ["A003", "王娜娜", "13700000003", "2025-12-03 14:00", HEAT, "一般", "2025-12-05 16:00", "基本满意", "反映管道漏水"],
    ["A004", "赵建华", "13700000004", "2025-12-04 08:00", WATER, "一般", None, None, "反映水质浑浊"],     # not exported
    ["A005", "刘秀英", "13700000005", "2025-11-20 09:00", HEAT, "一般", None, None, "咨询供暖费"],        # before the span
    ["A006", "陈德胜", "13700000006", "2025-12-10 09:00", WATER, "一般", None, None, "反映井盖缺失"],      # after the span
    ["A007", "杨文静", "13700000007", "2025-12-05 11:00", HEAT, "一般", None, None, "反映暖气漏水"],
    ["A008", "黄志文", "13700000008", "2025-12-05 10:00:40", WATER, "一般", None, None, "反映水压低"],
]
ENTERPRISES = [list(S.ENTERPRISE_COLUMNS), [HEAT, "热力公司", "王经理", None], [WATER, "水务公司", "李经理", None]]


def T(text: str) -> dt.datetime:  # noqa: N802
    return dt.datetime.fromisoformat(text)


# The export's logical rows, in ledger terms (None: a blank line). By R24, against the ledger above:
#  r1  A001 with spaces, 承办单位 as the 简称              → the same ticket, no difference
#  r2  A002 dispatched an hour later                         → changed 派单时间
#  r3  A003 closed a day later                               → changed 办结时间
#  r4  Ａ００７ (full-width)                                  → the same ticket as A007, no difference
#  r5  A008 at 10:00 (the ledger: 10:00:40)                  → equal to the minute
#  r6  N001                                                  → new
#  r7  A002 again                                            → duplicate; r2 counts
#  --  blank line                                            → not a row
#  r8  no 工单号                                              → invalid
#  r9  N002 with 2025-12-32                                  → invalid (unreadable 派单时间)
#  r10 N003 without 派单时间                                  → invalid
# The span is r1..r6: 2025-12-01 09:00 … 2025-12-08 09:15 → A004 is missing; A005, A006 lie outside.
ROWS = [
    dict(id=" A001 ", caller="张三丰", phone="13700000001", at=T("2025-12-01 09:00"), ent="热力公司", limit="一般",
         closed=T("2025-12-03 10:00"), visit="满意", content="反映暖气不热"),
    dict(id="A002", caller="李小明", phone="13700000002", at=T("2025-12-02 11:30"), ent=WATER, limit="民生",
         closed=None, visit=None, content="反映停水未通知"),
    dict(id="A003", caller="王娜娜", phone="13700000003", at=T("2025-12-03 14:00"), ent=HEAT, limit="一般",
         closed=T("2025-12-06 16:00"), visit="基本满意", content="反映管道漏水"),
    dict(id="Ａ００７", caller="杨文静", phone="13700000007", at=T("2025-12-05 11:00"), ent=HEAT, limit="一般",
         closed=None, visit=None, content="反映暖气漏水"),
    dict(id="A008", caller="黄志文", phone="13700000008", at=T("2025-12-05 10:00"), ent=WATER, limit="一般",
         closed=None, visit=None, content="反映水压低"),
    dict(id="N001", caller="钱多多", phone="13700000009", at=T("2025-12-08 09:15"), ent=HEAT, limit="紧急",
         closed=None, visit=None, content="反映小区停暖"),
    dict(id="A002", caller="李小明", phone="13700000002", at=T("2025-12-02 10:30"), ent=WATER, limit="民生",
         closed=None, visit=None, content="反映停水未通知"),
    None,
    dict(id=None, caller="孙一", phone=None, at=T("2025-12-06 09:00"), ent=HEAT, limit="一般",
         closed=None, visit=None, content="无编号"),
    dict(id="N002", caller="周二", phone=None, at="2025-12-32 10:00", ent=HEAT, limit="一般",
         closed=None, visit=None, content="日期有误"),
    dict(id="N003", caller="吴三", phone=None, at=None, ent=HEAT, limit="一般", closed=None, visit=None, content="无派单时间"),
]
KEYS = ("id", "caller", "phone", "at", "ent", "limit", "closed", "visit", "content")
INVALID_OFFSETS = (8, 9, 10)        # positions of r8, r9, r10 after the first data row (the blank line counts)
EXPECTED = {
    "new": ["N001"],
    "changed": [("A002", S.DISPATCHED, "2025-12-02T10:30:00", "2025-12-02T11:30:00"),
                ("A003", S.CLOSED, "2025-12-05T16:00:00", "2025-12-06T16:00:00")],
    "missing_in_export": ["A004"],
    "duplicates": ["A002"],
}


def serial(t: dt.datetime) -> float:
    """Excel's serial number of a moment (1900 date system), by the standard library."""
    return (t - dt.datetime(1899, 12, 30)).total_seconds() / 86400


# Each spelling: header names (for KEYS, then an extra column), how a time is written, the file kind.
SPELLINGS = {
    "xlsx-date-cells": (["工单号", "来电人", "来电号码", "下派时间", "承办单位", "办理时限", "办结时间", "回访满意度", "问题描述",
                         "工单状态"], lambda t: t, "xlsx"),
    "csv-utf8-bom-slashes": (["工单编码", "诉求人", "来电号码", "派单日期", "主办单位", "时限", "办结日期", "满意度", "来电内容",
                              "序号"], lambda t: f"{t:%Y/%m/%d %H:%M}", "utf-8-sig"),
    "csv-gbk-chinese-tabs": (["工单号", "来电人", "电话", "交办时间", "承办单位", "办理时限", "办结时间", "回访满意度",
                              "问题描述", "备用"], lambda t: f"{t.year}年{t.month}月{t.day}日 {t.hour}时{t.minute:02d}分", "gbk"),
    "csv-utf8-serials": (["工单编号", "来话人", "联系电话", "派单时间", "承办企业", "时限类型", "办结时间", "回访结果",
                          "诉求内容", "工单状态"], serial, "utf-8"),
    "csv-gbk-12-hour": (["工单号", "来电人", "来电号码", "下派时间", "承办单位", "办理时限", "办结时间", "回访满意度", "问题描述",
                         "工单状态"], lambda t: f"{t:%Y/%m/%d} {'上午' if t.hour < 12 else '下午'} {t.hour % 12 or 12}:{t:%M}",
                        "gbk"),
}


def cells(row: dict, spell) -> list:
    out = []
    for k in KEYS:
        v = row[k]
        out.append(spell(v) if isinstance(v, dt.datetime) else v)
    return out


def write_export(path: Path, names: list[str], spell, kind: str) -> Path:
    rows = [None if r is None else [*cells(r, spell), "已受理"] for r in ROWS]
    if kind == "xlsx":
        return write_xlsx(path, {"Sheet1": [names, *[r or [] for r in rows]]})
    sep = "\t" if "tabs" in path.stem else ","
    with open(path, "w", encoding=kind, newline="") as f:
        w = csv.writer(f, delimiter=sep)
        w.writerow(names)
        for r in rows:
            w.writerow([] if r is None else ["" if v is None else (f'="{v}"' if kind == "utf-8" and r.index(v) == 0 else v)
                                             for v in r])
    return path


@pytest.fixture(scope="module")
def ledger(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("intake")
    return write_xlsx(base / "台账.xlsx", {S.SHEET_TICKETS: [LEDGER_COLUMNS, *LEDGER_ROWS],
                                          S.SHEET_ENTERPRISES: ENTERPRISES})


def run_json(capsys, argv: list[str]) -> tuple[int, dict | None, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    lines = [line for line in out.splitlines() if line.startswith("{")]
    return code, (json.loads(lines[-1]) if lines else None), err


def check_against_r24(data: dict, first_row: int, sheet: str = "") -> None:
    assert data["new"] == EXPECTED["new"]
    assert [(c["id"], c["field"], c["ledger"], c["export"]) for c in data["changed"]] == EXPECTED["changed"]
    assert data["missing_in_export"] == EXPECTED["missing_in_export"]
    assert data["duplicates"] == EXPECTED["duplicates"]
    assert [(d["sheet"], d["row"]) for d in data["invalid"]] == [(sheet, first_row + k) for k in INVALID_OFFSETS]
    reasons = [d["reason"] for d in data["invalid"]]
    assert "缺少工单编号" in reasons[0] and "2025-12-32" in reasons[1] and "缺少派单时间" in reasons[2]
    assert data["duplicate_rows"][0]["rows"] == [first_row + 1, first_row + 6]
    assert data["span"] == ["2025-12-01T09:00:00", "2025-12-08T09:15:00"]


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_every_row_is_classified_as_r24_says(spelling, ledger, tmp_path, capsys):
    names, spell, kind = SPELLINGS[spelling]
    export = write_export(tmp_path / f"{spelling}.{'xlsx' if kind == 'xlsx' else 'csv'}", names, spell, kind)
    before = digest(ledger)
    code, data, err = run_json(capsys, ["intake", str(export), "--ledger", str(ledger), "--json", "-q"])
    assert code == 1, err
    check_against_r24(data, first_row=2, sheet="Sheet1" if kind == "xlsx" else "")
    assert data["unmapped"] == [names[-1]]                          # the extra column, listed
    assert set(data["mapping"].values()) == {S.ID, S.CALLER, S.PHONE, S.DISPATCHED, S.ENTERPRISE, S.LIMIT_TYPE,
                                             S.CLOSED, S.VISIT_RESULT, S.CONTENT}
    assert digest(ledger) == before                                 # R24: intake never changes the ledger


def merged_export(path: Path) -> Path:
    """The system's look: a title merged over the columns, a blank row, group titles merged over two
    header rows (the ungrouped names merged down both), text and date cells mixed, extra columns."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "工单"
    names = ["序号", "工单号", "来电人", "来电号码", "下派时间", "承办单位", "办理时限", "办结时间", "回访满意度", "问题描述",
             "状态"]
    ws.cell(1, 1, "东胜区接诉即办系统工单导出")
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(names))
    groups = {"来电信息": (3, 4), "办理信息": (5, 9)}
    grouped = {j for a, b in groups.values() for j in range(a, b + 1)}
    for label, (a, b) in groups.items():
        ws.cell(3, a, label)
        ws.merge_cells(start_row=3, start_column=a, end_row=3, end_column=b)
    for j, name in enumerate(names, start=1):
        if j in grouped:
            ws.cell(4, j, name)
        else:
            ws.cell(3, j, name)
            ws.merge_cells(start_row=3, start_column=j, end_row=4, end_column=j)
    r = 5
    for k, row in enumerate(ROWS):
        if row is not None:
            values = cells(row, (lambda t: f"{t:%Y-%m-%d %H:%M:%S}") if k % 2 else (lambda t: t))
            for j, v in enumerate([k + 1, *values[:-1], values[-1], "已受理"], start=1):
                if v is not None:
                    ws.cell(r, j, v)
        r += 1
    wb.save(path)
    return path


def test_a_merged_two_row_header_under_a_title(ledger, tmp_path, capsys):
    export = merged_export(tmp_path / "导出.xlsx")
    code, data, _ = run_json(capsys, ["intake", str(export), "--ledger", str(ledger), "--json", "-q"])
    assert code == 1
    check_against_r24(data, first_row=5, sheet="工单")
    assert data["sheets"] == [{"sheet": "工单", "header_rows": [4, 4]}]      # row 4 holds every name (merged down)
    assert data["unmapped"] == ["序号", "状态"]


def test_an_old_xls_export(ledger, tmp_path, capsys):
    """.xls (BIFF8), as LibreOffice writes it from the same sheet: read by python-calamine."""
    from lo import convert

    xls = convert(merged_export(tmp_path / "导出.xlsx"), tmp_path / "xls", "xls")
    assert xls.read_bytes()[:8] == bytes.fromhex("D0CF11E0A1B11AE1")
    code, data, _ = run_json(capsys, ["intake", str(xls), "--ledger", str(ledger), "--json", "-q"])
    assert code == 1
    check_against_r24(data, first_row=5, sheet="工单")


def test_a_two_row_header_in_a_csv_without_merges(ledger, tmp_path, capsys):
    """Group titles in row 1, the names under them in row 2; the ungrouped names stand in row 1 only."""
    upper = ["工单号", "来电信息", "", "办理信息", "", "", "", "", "问题描述", "状态"]
    lower = ["", "来电人", "来电号码", "下派时间", "承办单位", "办理时限", "办结时间", "回访满意度", "", ""]
    path = tmp_path / "两行表头.csv"
    with open(path, "w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f)
        w.writerow(upper)
        w.writerow(lower)
        for row in ROWS:
            w.writerow([] if row is None else [*cells(row, lambda t: f"{t:%Y-%m-%d %H:%M}"), "已受理"])
    code, data, _ = run_json(capsys, ["intake", str(path), "--ledger", str(ledger), "--json", "-q"])
    assert code == 1
    check_against_r24(data, first_row=3)
    assert data["sheets"] == [{"sheet": "", "header_rows": [1, 2]}]


def test_a_first_data_row_without_an_id_is_an_invalid_row_not_a_second_header_row(ledger, tmp_path, capsys):
    """R24: a data row whose 工单编号 is blank, right under the header, adds no column to it: it is an
    invalid row of its own (named by its sheet row), not part of a two-row header."""
    path = write_xlsx(tmp_path / "首行无编号.xlsx", {"工单列表": [
        ["工单号", "下派时间", "承办单位"],
        [None, "2025-12-02 10:00", "热力公司"],
        ["N1", "2025-12-02 11:00", "热力公司"]]})
    code, data, _ = run_json(capsys, ["intake", str(path), "--ledger", str(ledger), "--json", "-q"])
    assert data["sheets"] == [{"sheet": "工单列表", "header_rows": [1, 1]}]
    assert [d["row"] for d in data["invalid"]] == [2] and data["new"] == ["N1"]
    assert data["counts"]["rows"] == 2


def test_rows_in_several_sheets_are_all_read(ledger, tmp_path, capsys):
    """An export split over two sheets (the old .xls row limit): every sheet with a 工单号 header counts;
    a sheet without one is named in a note, never silently read as tickets."""
    names = SPELLINGS["xlsx-date-cells"][0]
    rows = [None if r is None else [*cells(r, lambda t: t), "已受理"] for r in ROWS]
    export = write_xlsx(tmp_path / "分表.xlsx", {"第1页": [names, *rows[:4]], "第2页": [names, *[r or [] for r in rows[4:]]],
                                                "说明": [["本表由系统导出"]]})
    code, data, err = run_json(capsys, ["intake", str(export), "--ledger", str(ledger), "--json"])
    assert code == 1
    assert data["new"] == EXPECTED["new"] and data["missing_in_export"] == EXPECTED["missing_in_export"]
    assert [(d["sheet"], d["row"]) for d in data["invalid"]] == [("第2页", 6), ("第2页", 7), ("第2页", 8)]
    assert data["duplicate_rows"] == [{"id": "A002", "sheet": "第1页", "rows": [3, 4]}]
    assert "说明" in err and "没有找到“工单编号”列" in err


# -- what the output holds ---------------------------------------------------------------------------------
def test_out_holds_the_rows_to_paste_in_the_ledgers_column_order_with_real_dates(tmp_path, capsys):
    """The ledger's own layout: an extra column in the middle stays blank; 法定期限 a date; 延期 a number."""
    columns = [S.ID, S.DISPATCHED, "经办人", S.LIMIT_TYPE, S.LEGAL_DATE, S.EXT1_DAYS, S.CALLER, S.ENTERPRISE,
               "办理期限"]
    ledger = write_xlsx(tmp_path / "台账.xlsx", {S.SHEET_TICKETS: [columns, ["A1", "2025-12-01 09:00", "小王", "一般",
                                                                             None, None, "张三", HEAT, None]]})
    export = write_xlsx(tmp_path / "导出.xlsx", {"Sheet1": [
        ["工单号", "下派时间", "办理时限", "法定期限", "延期工作日", "来电人", "承办单位", "其他"],
        ["A1", "2025-12-01 09:00", "一般", None, None, "张三", HEAT, "x"],
        ["B7", "2025年12月2日 14时30分", "法定", "2026/1/15", "5", "=SUM(1,2)", "热力公司", "y"],
        ["B8", T("2025-12-03 08:05"), "星期三", None, None, "李四", HEAT, "z"]]})
    out = tmp_path / "新工单.xlsx"
    code, data, _ = run_json(capsys, ["intake", str(export), "--ledger", str(ledger), "--out", str(out), "--json", "-q"])
    assert code == 1 and data["new"] == ["B7", "B8"] and data["file"] == str(out)
    ws = openpyxl.load_workbook(out)[S.SHEET_TICKETS]
    rows = list(ws.iter_rows(values_only=True))
    assert list(rows[0]) == columns[:-1]                        # up to the last input column (办理期限 is computed)
    b7, b8 = rows[1], rows[2]
    assert b7 == ("B7", T("2025-12-02 14:30"), None, "法定", T("2026-01-15"), 5, "=SUM(1,2)", "热力公司")
    assert b8[1] == T("2025-12-03 08:05") and b8[3] == "星期三"     # a value outside the drop-down kept as written
    cell = ws.cell(2, 7)
    assert cell.data_type == "s"                                   # R20: citizen text stays text
    assert ws.cell(2, 2).is_date and ws.cell(2, 2).number_format == "yyyy-mm-dd hh:mm"
    assert ws.cell(2, 5).is_date and ws.cell(2, 5).number_format == "yyyy-mm-dd"
    assert [w["column"] for w in data["warnings"]] == [S.LIMIT_TYPE] and data["warnings"][0]["row"] == 4
    report = list(openpyxl.load_workbook(out)["核对结果"].iter_rows(values_only=True))
    assert report[0][0].startswith("导出文件“导出.xlsx”：3 行") and report[2][0] == "类别"
    categories = [r[0] for r in report[3:] if r[1]]
    assert categories == ["新工单", "新工单", "无法识别的值"]


def test_out_refuses_an_existing_file_without_force(ledger, tmp_path, capsys):
    names, spell, kind = SPELLINGS["xlsx-date-cells"]
    export = write_export(tmp_path / "导出.xlsx", names, spell, kind)
    out = tmp_path / "结果.xlsx"
    out.write_bytes(b"not ours")
    code, _, err = run_json(capsys, ["intake", str(export), "--ledger", str(ledger), "--out", str(out)])
    assert code == 2 and "已存在" in err and "--force" in err and out.read_bytes() == b"not ours"
    code, _, _ = run_json(capsys, ["intake", str(export), "--ledger", str(ledger), "--out", str(out), "--force", "-q"])
    assert code == 1 and openpyxl.load_workbook(out).sheetnames == [S.SHEET_TICKETS, "核对结果"]
    code, _, err = run_json(capsys, ["intake", str(export), "--ledger", str(ledger), "--out", str(ledger), "--force"])
    assert code == 2 and "不能覆盖" in err


def test_the_report_lists_every_difference_masked(tmp_path):
    """核对结果 and --json: caller data differing between the two is shown masked (R19: beyond the rows to
    paste); a column the ledger's sheet does not have is not compared."""
    ledger = write_xlsx(tmp_path / "台账.xlsx", {S.SHEET_TICKETS: [
        [S.ID, S.DISPATCHED, S.LIMIT_TYPE, S.CALLER, S.PHONE, S.ADDRESS, S.CONTENT],
        ["A001", "2025-12-01 09:00", "一般", "张三丰", "13700000001", None, "反映暖气不热"]]})
    rows = [["工单号", "下派时间", "来电人", "来电号码", "事发地址", "问题描述", "回访满意度"],
            ["A001", "2025-12-01 09:00", "张三", "13900000001", "天骄路1号", "张三丰反映暖气不热，电话13700000001", "满意"]]
    export = write_xlsx(tmp_path / "导出.xlsx", {"Sheet1": rows})
    r = jobs.intake(export, ledger)
    changed = {c["field"]: (c["ledger"], c["export"]) for c in r.data["changed"]}
    assert set(changed) == {S.CALLER, S.PHONE, S.ADDRESS, S.CONTENT}          # 回访结果: not in the ledger's sheet
    assert changed[S.CALLER] == ("张**", "张*")
    assert changed[S.PHONE] == ("137****0001", "139****0001")
    assert changed[S.ADDRESS] == (None, "[地址已隐去]")
    assert "13700000001" not in changed[S.CONTENT][1] and "张三丰" not in changed[S.CONTENT][1]
    text = json.dumps(r.data, ensure_ascii=False) + r.tables["核对结果"].to_csv()
    for secret in ("张三丰", "13700000001", "13900000001", "天骄路1号"):
        assert secret not in text
    report = r.tables["核对结果"]
    assert list(report["类别"]) == ["不一致"] * 4
    assert list(report["字段"]) == [S.CONTENT, S.CALLER, S.PHONE, S.ADDRESS]         # the ledger's column order


def test_nothing_to_do_exits_0(ledger, tmp_path, capsys):
    """An export that agrees with the ledger: 派单时间 equal to the minute, text equal after trimming."""
    export = write_xlsx(tmp_path / "一致.xlsx", {"Sheet1": [
        ["工单号", "下派时间", "承办单位", "来电人"],
        ["A007", "2025-12-05 11:00", f"  {HEAT} ", " 杨文静"],
        ["A008", "2025/12/5 10:00", "水务公司", "黄志文"]]})
    code, data, err = run_json(capsys, ["intake", str(export), "--ledger", str(ledger), "--json"])
    assert code == 0 and data["counts"] == {"rows": 2, "new": 0, "matched": 2, "repeated": 0, "invalid": 0, "changed": 0,
                                            "changed_tickets": 0, "missing_in_export": 0, "duplicates": 0}
    assert main(["intake", str(export), "--ledger", str(ledger), "-q"]) == 0
    assert "台账与导出文件一致，无需处理" in capsys.readouterr().out


def test_the_text_output_names_the_counts(ledger, tmp_path, capsys):
    names, spell, kind = SPELLINGS["xlsx-date-cells"]
    export = write_export(tmp_path / "导出.xlsx", names, spell, kind)
    assert main(["intake", str(export), "--ledger", str(ledger), "-q"]) == 1
    out = capsys.readouterr().out
    assert "新工单 1 张" in out and "不一致 2 处" in out and "导出中没有 1 张" in out and "无效行 3 行" in out
    assert "台账中已有 5 张" in out and "多出 1 行" in out        # r1–r5: A001 A002 A003 A007 A008; r7 repeats A002
    assert "台账“工单台账”表第 10 行起" in out                     # 8 tickets: header + rows 2–9


# -- bad input: a clear Chinese message naming file, sheet, row and column; exit 2; nothing written ---------
def test_a_file_that_is_no_workbook(ledger, tmp_path, capsys):
    for name, data, words in [
        ("导出.xlsx", b"%PDF-1.4 not a workbook", "不是有效的 Excel 工作簿"),
        ("导出.xls", b"<html><body><table><tr><td>\xe5\xb7\xa5\xe5\x8d\x95\xe5\x8f\xb7</td></tr></table></body></html>",
         "网页（HTML）"),
        ("导出.csv", b"\xff\xfe\x00" * 0 + bytes([0x81, 0x20, 0xfe, 0x20, 0x80]) * 10, "文字编码"),
        ("空.csv", b"", "空的"),
        ("坏的UTF8.csv", b"\xef\xbb\xbf" + "工单号,下派时间\n".encode() + b"\xff\xfe\xc3\n", "文字编码"),  # BOM, bad bytes
        ("奇数UTF16.csv", b"\xff\xfe" + "工单号".encode("utf-16-le") + b"\x41", "文字编码"),            # odd length
    ]:
        path = tmp_path / name
        path.write_bytes(data)
        code, _, err = run_json(capsys, ["intake", str(path), "--ledger", str(ledger)])
        assert code == 2 and name in err and words in err, (name, err)
        assert "Traceback" not in err


def test_no_id_column_found(ledger, tmp_path, capsys):
    export = write_xlsx(tmp_path / "导出.xlsx", {"统计表": [["单位", "件数"], ["热力公司", 3]]})
    code, _, err = run_json(capsys, ["intake", str(export), "--ledger", str(ledger)])
    assert code == 2 and "导出.xlsx" in err and "统计表" in err and "工单编号" in err and "工单号" in err
    assert "列名对照" in err


def test_a_header_mapped_twice_names_both(ledger, tmp_path, capsys):
    export = write_xlsx(tmp_path / "导出.xlsx", {"Sheet1": [["工单号", "下派时间", "交办时间"], ["A1", "2025-12-01 09:00",
                                                                                            "2025-12-01 09:00"]]})
    code, _, err = run_json(capsys, ["intake", str(export), "--ledger", str(ledger)])
    assert code == 2 and "“下派时间”（B列）" in err and "“交办时间”（C列）" in err and "派单时间" in err
    assert "导出.xlsx" in err and "Sheet1" in err and "第1行" in err


def test_a_header_mapped_twice_is_named_by_its_sheet_columns(ledger, tmp_path, capsys):
    """The same conflict in a sheet whose table starts in column C (two blank columns before it)."""
    export = write_xlsx(tmp_path / "导出.xlsx", {"Sheet1": [
        [None, None, "工单号", "下派时间", "交办时间"], [None, None, "A1", "2025-12-01 09:00", "2025-12-01 09:00"]]})
    code, _, err = run_json(capsys, ["intake", str(export), "--ledger", str(ledger)])
    assert code == 2 and "“下派时间”（D列）" in err and "“交办时间”（E列）" in err


def test_no_dispatch_column(ledger, tmp_path, capsys):
    export = write_xlsx(tmp_path / "导出.xlsx", {"Sheet1": [["序号"], [], ["工单号", "承办单位"], ["A1", HEAT]]})
    code, _, err = run_json(capsys, ["intake", str(export), "--ledger", str(ledger)])
    assert code == 2 and "第3行" in err and "派单时间" in err and "下派时间" in err


def test_an_unreadable_time_names_file_sheet_row_and_column(ledger, tmp_path, capsys):
    export = write_xlsx(tmp_path / "导出.xlsx", {"系统导出": [["标题"], ["工单号", "下派时间"], ["Z9", "2025-02-30 10:00"]]})
    code, data, _ = run_json(capsys, ["intake", str(export), "--ledger", str(ledger), "--json", "-q"])
    assert code == 1
    (bad,) = data["invalid"]
    assert bad == {"sheet": "系统导出", "row": 3, "id": "Z9", "column": S.DISPATCHED, "reason": bad["reason"]}
    assert bad["reason"].startswith("导出文件“导出.xlsx”的“系统导出”表第3行【派单时间】：") and "2025-02-30" in bad["reason"]


def test_a_missing_export_file(ledger, tmp_path, capsys):
    code, _, err = run_json(capsys, ["intake", str(tmp_path / "无.xlsx"), "--ledger", str(ledger)])
    assert code == 2 and "找不到导出文件" in err


# -- the mapping ---------------------------------------------------------------------------------------------
def test_the_contracts_synonyms():
    """CONTRACT §6's list, each mapped as written there."""
    pairs = {"工单号": S.ID, "工单编码": S.ID, "下派时间": S.DISPATCHED, "派单日期": S.DISPATCHED, "交办时间": S.DISPATCHED,
             "承办单位": S.ENTERPRISE, "主办单位": S.ENTERPRISE, "问题描述": S.CONTENT, "来电内容": S.CONTENT,
             "来电人": S.CALLER, "诉求人": S.CALLER, "来电号码": S.PHONE, "事发地址": S.ADDRESS, "办理时限": S.LIMIT_TYPE,
             "回访满意度": S.VISIT_RESULT}
    for header, column in pairs.items():
        assert map_headers([header]).mapping == {header: column}


def test_no_synonym_is_ambiguous_or_names_a_computed_column():
    from jsjb.core.headers import SYNONYMS

    seen = {}
    for column, names in SYNONYMS.items():
        for name in names:
            key = normalize(name)
            assert key not in seen, (name, column, seen.get(key))
            assert key not in {normalize(n) for n in (*S.INPUT_NAMES, *S.COMPUTED_COLUMNS)}, name
            seen[key] = column


@pytest.mark.parametrize("headers, ledger, expected, unmapped", [
    (["工单号", "下 派\n时间", "＊承办单位："], False,
     {"工单号": S.ID, "下 派\n时间": S.DISPATCHED, "＊承办单位：": S.ENTERPRISE}, []),
    (["工单编号", "工单号"], False, {"工单编号": S.ID}, ["工单号"]),          # the own name beats a synonym
    (["工单号", "工单号"], False, {"工单号": S.ID}, ["工单号"]),              # the same text twice: the first
    (["备注", "说明"], True, {"备注": S.REMARKS}, ["说明"]),
    (["序号", "状态"], False, {}, ["序号", "状态"]),
])
def test_map_headers(headers, ledger, expected, unmapped):
    m = map_headers(headers, ledger=ledger)
    assert m.mapping == expected and m.unmapped_names == unmapped


def test_a_conflict_names_both_headers_and_their_columns():
    with pytest.raises(HeaderConflict) as e:
        map_headers(["工单号", "来电人", "诉求人"], where="x.csv第1行")
    assert e.value.code == C.HEADER_TWICE
    assert "“来电人”（B列）" in str(e.value) and "“诉求人”（C列）" in str(e.value) and "来话人" in str(e.value)


def test_the_alias_sheet_overrides_and_extends():
    aliases = parse_aliases([("受理时间", "派单时间"), ("派单时间", "转办时间"), ("办理时限", "不导入"), ("", ""),
                             ("紧急程度", "时限类型")])
    m = map_headers(["工单号", "受理时间", "派单时间", "办理时限", "紧急程度"], aliases)
    assert m.mapping == {"工单号": S.ID, "受理时间": S.DISPATCHED, "派单时间": S.FORWARDED, "紧急程度": S.LIMIT_TYPE}
    assert m.unmapped_names == ["办理时限"]
    # for the ledger's own header, its own names stay first
    assert map_headers(["派单时间", "受理时间"], aliases, ledger=True).mapping == {"派单时间": S.DISPATCHED}


def test_bad_alias_rows_are_named_by_row():
    aliases = parse_aliases([("甲", "派单时间"), ("乙", "派单日"), ("", "工单编号"), ("甲", "办结时间")])
    rows = [r for r, _ in aliases.problems]
    assert rows == [3, 4, 5] and "派单日" in aliases.problems[0][1]
    with pytest.raises(LedgerError, match="第3行"):
        aliases.check()


def test_the_ledgers_alias_sheet_is_used_for_the_export(tmp_path, capsys):
    ledger = write_xlsx(tmp_path / "台账.xlsx", {
        S.SHEET_TICKETS: [[S.ID, S.DISPATCHED, S.LIMIT_TYPE], ["A1", "2025-12-01 09:00", "一般"]],
        "列名对照": [["系统列名", "台账列名"], ["受理号", "工单编号"], ["分派时刻", "派单时间"], ["办理时限", "不导入"]]})
    export = write_xlsx(tmp_path / "导出.xlsx", {"Sheet1": [["受理号", "分派时刻", "办理时限"],
                                                            ["A1", "2025-12-01 09:00", "2025-12-08 09:00"]]})
    code, data, _ = run_json(capsys, ["intake", str(export), "--ledger", str(ledger), "--json", "-q"])
    assert code == 0 and data["mapping"] == {"受理号": S.ID, "分派时刻": S.DISPATCHED} and data["unmapped"] == ["办理时限"]
    bad = write_xlsx(tmp_path / "坏.xlsx", {S.SHEET_TICKETS: [[S.ID, S.DISPATCHED, S.LIMIT_TYPE]],
                                            "列名对照": [["系统列名", "台账列名"], ["受理号", "编号"]]})
    code, _, err = run_json(capsys, ["intake", str(export), "--ledger", str(bad)])
    assert code == 2 and "列名对照" in err and "第2行" in err and "编号" in err


def test_a_ledger_with_other_column_names_reads_with_a_warning(tmp_path, capsys):
    """The reader maps an older ledger's names for every command; each renamed header is a warning."""
    ledger = write_xlsx(tmp_path / "旧台账.xlsx", {S.SHEET_TICKETS: [
        ["工单号", "下派时间", "办理时限", "承办单位", "办结日期"],
        ["X1", "2025-12-01 09:00", "一般", HEAT, "2025-12-02 09:00"]]})
    code, data, _ = run_json(capsys, ["check", str(ledger), "--json", "-q", "--as-of", "2025-12-20T10:00"])
    renamed = {w["value"]: w["column"] for w in data["warnings"] if w["code"] == C.COLUMN_RENAMED}
    assert renamed == {"工单号": S.ID, "下派时间": S.DISPATCHED, "办理时限": S.LIMIT_TYPE, "承办单位": S.ENTERPRISE,
                       "办结日期": S.CLOSED}
    missing = {e["column"] for e in data["errors"] if e["code"] == C.COLUMN_MISSING}
    assert missing and not missing & set(renamed.values())
    assert [e for e in data["errors"] if e["code"] != C.COLUMN_MISSING] == []


@pytest.mark.parametrize("plain", [False, True], ids=["addin", "plain"])
def test_template_from_a_ledger_with_other_column_names(plain, tmp_path, capsys):
    old = write_xlsx(tmp_path / "旧台账.xlsx", {S.SHEET_TICKETS: [
        ["序号", "工单号", "下派时间", "办理时限", "来电人", "处理情况", "办理期限"],
        [1, "X1", T("2025-12-01 09:00"), "一般", "张三", "已处理", None]],
        S.SHEET_ENTERPRISES: ENTERPRISES})
    before = digest(old)
    new = tmp_path / "新台账.xlsx"
    code, _, err = run_json(capsys, ["template", str(new), "--from", str(old), *(["--plain"] if plain else [])])
    assert code == 0 and digest(old) == before
    assert "工单号→工单编号" in err and "以下列无法对应到台账的列，其内容未复制：序号、处理情况" in err
    ws = openpyxl.load_workbook(new)[S.SHEET_TICKETS]
    header = [c.value for c in ws[1]]
    row = {h: ws.cell(2, j + 1).value for j, h in enumerate(header)}
    assert row[S.ID] == "X1" and row[S.DISPATCHED] == T("2025-12-01 09:00") and row[S.CALLER] == "张三"
    assert row[S.LIMIT_TYPE] == "一般"
    r = jobs.template(tmp_path / "again.xlsx", source=old, plain=plain)
    assert r.data["unmapped"] == ["序号", "处理情况"] and r.data["mapping"]["下派时间"] == S.DISPATCHED


# -- the time spellings of the system (core.timeconv) ----------------------------------------------------------
@pytest.mark.parametrize("text, expected", [
    ("2025/12/01 10:00", "2025-12-01 10:00"),
    ("2025-12-01 10:00:00", "2025-12-01 10:00"),
    ("2025年12月1日 10时00分", "2025-12-01 10:00"),
    ("2025年12月1日10点30分", "2025-12-01 10:30"),
    ("45992.4166666667", "2025-12-01 10:00"),
    ("2025-12-01 10:00:00.0", "2025-12-01 10:00"),
    ("2025/12/1 下午 2:30", "2025-12-01 14:30"),
    ("2025/12/1 上午 12:10", "2025-12-01 00:10"),
    ("2025-12-01 2:30 PM", "2025-12-01 14:30"),
    ("2025年12月1日 中午12时30分", "2025-12-01 12:30"),
    ("2025年12月1日 晚上8点", "2025-12-01 20:00"),
    ("2025/12/1 下午 14:30", None),
    ("2025/12/1 晚上12:00", None),          # midnight, but of which day? refused, not read as noon
    ("2025/12/1 12:00 PM", "2025-12-01 12:00"),
    ("2025/12/1 下午12:30", "2025-12-01 12:30"),
    ("2025-12-32 10:00", None),
])
def test_time_spellings(text, expected):
    from jsjb.core.timeconv import to_timestamps

    times, bad = to_timestamps(pd.Series([text], dtype="str"))
    if expected is None:
        assert bad.iloc[0] and pd.isna(times.iloc[0])
    else:
        assert not bad.iloc[0] and times.iloc[0].floor("min") == pd.Timestamp(expected)


# -- the sample export -------------------------------------------------------------------------------------------
def test_the_sample_export_is_found_as_planted(tmp_path, capsys):
    """`jsjb sample --export`: the system's column names and look; intake finds exactly what was planted
    (the generator's own record of it, built apart from the reconciliation)."""
    from jsjb.core.sample import export_from, generate

    ledger, export = tmp_path / "台账.xlsx", tmp_path / "导出.xlsx"
    assert main(["sample", str(ledger), "--export", str(export), "--rows", "800", "--seed", "7", "-q"]) == 0
    planted = export_from(generate(800, 2025, 7), seed=7)
    code, data, _ = run_json(capsys, ["intake", str(export), "--ledger", str(ledger), "--json", "-q"])
    assert code == 1
    assert data["new"] == planted.new
    assert sorted((c["id"], c["field"]) for c in data["changed"]) == sorted(planted.changed)
    assert sorted(data["missing_in_export"]) == sorted(planted.missing)
    assert data["duplicates"] == planted.duplicates
    assert len(data["invalid"]) == len(planted.invalid) == 2
    assert data["unmapped"] == ["序号", "工单状态"]
    only = tmp_path / "只导出.csv"
    assert main(["sample", "--export", str(only), "--rows", "800", "--seed", "7", "-q"]) == 0
    code, again, _ = run_json(capsys, ["intake", str(only), "--ledger", str(ledger), "--json", "-q"])
    assert again["new"] == data["new"] and again["changed"] == [dict(c, sheet="", row=c["row"] - 2) for c in data["changed"]]


def test_the_sample_export_is_deterministic_and_fictional(tmp_path):
    from jsjb.core.sample import export_from, generate

    a = export_from(generate(500, 2025, 3), seed=3)
    b = export_from(generate(500, 2025, 3), seed=3)
    c = export_from(generate(500, 2025, 4), seed=4)
    assert a.rows == b.rows and a.rows != c.rows
    phones = {r[7] for r in a.rows if r and r[7]}
    assert phones and all(len(p) == 11 for p in phones)
    assert main(["sample", "--export", str(tmp_path / "x.txt"), "-q"]) == 2
    assert main(["sample", "-q"]) == 2


def test_the_intake_doc_lists_the_synonyms_in_force():
    """docs/导入工单.md holds the table scripts/render_intake_doc.py renders from core.headers."""
    module = load_script("render_intake_doc")
    text = module.DOC.read_text(encoding="utf-8")
    assert module.rendered(text) == text, "run: python scripts/render_intake_doc.py"
    assert "| 派单时间 | 下派时间、派单日期、交办时间" in text


def test_only_the_tickets_an_export_concerns_are_parsed_and_the_result_is_the_same(tmp_path):
    """A file ledger parses only the rows the export's ids and 派单时间 span can concern (core.intake.
    needed_rows); the result equals the one over the whole ledger read first (a button's or the
    browser's ledger)."""
    from jsjb.io.reader import read_ledger

    ledger, export = tmp_path / "台账.xlsx", tmp_path / "导出.xlsx"
    assert main(["sample", str(ledger), "--export", str(export), "--rows", "3000", "--export-rows", "200", "-q"]) == 0
    part = jobs.intake(export, ledger)
    whole = jobs.intake(export, jobs.Source(read_ledger(ledger), ledger))
    assert part.data == whole.data
    assert len(part.detail.export.tickets) > 200 and part.data["paste_at_row"] == 3002
    assert part.data["counts"]["new"] > 0 and part.data["changed"] and part.data["missing_in_export"]


def test_a_ledger_header_mapped_twice_is_named_by_every_command(tmp_path, capsys):
    """Two of an older ledger's columns that both stand for 来话人 (and no 来话人 column): no guess."""
    ledger = write_xlsx(tmp_path / "旧台账.xlsx", {S.SHEET_TICKETS: [
        [S.ID, S.DISPATCHED, S.LIMIT_TYPE, "来电人", "诉求人"], ["X1", "2025-12-01 09:00", "一般", "张三", "张三"]]})
    code, _, err = run_json(capsys, ["check", str(ledger)])
    assert code == 2 and "“来电人”（D列）" in err and "“诉求人”（E列）" in err and "旧台账.xlsx" in err and "第1行" in err


from hypothesis import HealthCheck, given  # noqa: E402
from hypothesis import settings as hsettings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

CELLS = st.one_of(st.none(), st.sampled_from(["工单号", "下派时间", "承办单位", "来电人", "A001", "2025-12-01 09:00",
                                              "2025/13/45", "=1+1", "", "　", "合计", "Ａ００１", "45992.5"]),
                  st.text(max_size=8))


@hsettings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.lists(CELLS, max_size=6), max_size=8))
def test_any_csv_is_read_or_refused_in_chinese(rows, ledger, tmp_path_factory):
    """Whatever a CSV holds, intake classifies it or refuses it with a LedgerError — never a traceback."""
    path = tmp_path_factory.mktemp("fuzz") / "导出.csv"
    with open(path, "w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows([["" if v is None else v for v in r] for r in rows])
    try:
        r = jobs.intake(path, ledger)
    except LedgerError as e:
        assert str(e) and "Traceback" not in str(e)
        return
    c = r.data["counts"]
    blank = sum(1 for row in rows if not any(v and v.strip() for v in row))
    header = 1 if r.data["sheets"] else 0
    assert c["new"] + c["matched"] + c["repeated"] + c["invalid"] == c["rows"]     # every row, once
    assert c["rows"] <= len(rows) - blank - header or not r.data["sheets"]
