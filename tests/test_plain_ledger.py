"""The plain ledger (#13): native formulas, recalculated by a real engine (LibreOffice headless),
must show what the core computes (`jsjb compute --json`) at the same 统计时点 — every row.

The oracle is the CLI's JSON (jsjb.core.rules via jsjb.cli), independent of the formulas.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import os
import re
import zipfile
from pathlib import Path

import clerk
import openpyxl
import pandas as pd
import pytest
from lo import recalculated

from jsjb.cli import main
from jsjb.core import schema as S
from jsjb.core.params import PARAMETERS, Params
from jsjb.core.sample import generate
from jsjb.io.ledger_book import write_ledger
from jsjb.io.plain_book import (
    HELPERS,
    N_AS_OF,
    N_COVERED,
    PLAIN_COLUMNS,
    SHEET_CALENDAR,
    param_name,
    read_ledger_sheets,
    row_formulas,
    write_plain_ledger,
)


# -- helpers -----------------------------------------------------------------------------------------
def core_json(ledger: Path, as_of: dt.datetime) -> dict[int, dict]:
    """The oracle: `jsjb compute LEDGER --as-of T --json`, by Excel row."""
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        code = main(["compute", str(ledger), "--as-of", as_of.isoformat(timespec="seconds"), "--json"])
    assert code in (0, 1), buf.getvalue()[:500]
    return {t["row"]: t for t in json.loads(buf.getvalue())["tickets"]}


def plain_values(path: Path) -> dict[int, dict]:
    """The computed cells of a recalculated plain ledger, by Excel row."""
    ws = openpyxl.load_workbook(path, data_only=True, read_only=True)[S.SHEET_TICKETS]
    rows = ws.iter_rows(values_only=True)
    header = list(next(rows))
    assert header[:len(PLAIN_COLUMNS)] == list(PLAIN_COLUMNS)
    idx = {name: header.index(name) for name in S.COMPUTED_COLUMNS}
    out = {}
    for r, row in enumerate(rows, start=2):
        out[r] = {name: row[j] for name, j in idx.items()}
    return out


def _second(v: dt.datetime) -> str:
    return (v + dt.timedelta(microseconds=500_000)).replace(microsecond=0).isoformat()


def _moment(v) -> str | None:
    """A plain cell → ISO second (dates), or None for anything that is not a date (text, blank)."""
    return _second(v) if isinstance(v, dt.datetime) else None


def mismatches(core: dict[int, dict], plain: dict[int, dict]) -> list[str]:
    """Every row the core computes, compared with the formulas' values in the same row; a row
    without 工单编号 shows nothing (CONTRACT §3: jsjb check reports it), and so does every row
    the core skips as blank."""
    bad = []
    for row, t in core.items():
        p = plain[row]
        if t["id"] in (None, ""):
            if any(v not in (None, "") for v in p.values()):
                bad.append(f"row {row} without 工单编号 shows {p}")
            continue
        got = {
            "deadline": _moment(p[S.DEADLINE]),
            "materials_due": _moment(p[S.MATERIALS_DUE]),
            "reply_due": _moment(p[S.REPLY_DUE]),
            "status": p[S.STATUS],
            "timely": {"是": True, "否": False}.get(p[S.TIMELY]),
            "flags": [f for f in (p[S.FLAGS] or "").split("；") if f],
        }
        want = {k: t[k] for k in got}
        want["flags"] = [f for f in t["flags"] if not f.startswith("数据有误")]
        for k in got:
            if got[k] != want[k]:
                bad.append(f"row {row} {t['id']} {k}: plain {p} ≠ core {want[k]!r}")
        if t["deadline"] is None:          # never a wrong date: text explains
            assert not isinstance(p[S.DEADLINE], dt.datetime | int | float), (row, p)
    for row, p in plain.items():           # rows the core skips (blank) show nothing
        if row not in core:
            assert all(v in (None, "") for v in p.values()), (row, p)
    return bad


def compare(source: Path, plain: Path, tmp: Path, as_of: dt.datetime, *, recalc: bool = True) -> tuple[dict, dict]:
    core = core_json(source, as_of)
    values = plain_values(recalculated(plain, tmp / "lo", recalc=recalc))
    bad = mismatches(core, values)
    assert not bad, f"{len(bad)} mismatches, e.g.:\n" + "\n".join(bad[:15])
    return core, values


# -- the bundled sample ----------------------------------------------------------------------------------
def _sample_case(tmp: Path, rows: int, year: int = 2025):
    sample = generate(rows, year)
    source = tmp / "sample.xlsx"
    write_ledger(source, sample.sheets)
    sheets, params = read_ledger_sheets(source)
    plain = tmp / "plain.xlsx"
    write_plain_ledger(plain, sheets, params=params, as_of=sample.as_of.to_pydatetime())
    return source, plain, sample.as_of.to_pydatetime()


def test_sample_ledger_recalculated_by_libreoffice_equals_core(tmp_path):
    source, plain, as_of = _sample_case(tmp_path, 3000)
    before = source.read_bytes()
    core, values = compare(source, plain, tmp_path, as_of)
    assert source.read_bytes() == before                       # --from never touches the original
    statuses = {t["status"] for t in core.values()}
    assert {S.ST_CLOSED, S.ST_OPEN, S.ST_RETURNED}.issubset(statuses), statuses
    assert len(core) == 3000
    flagged = sum(1 for t in core.values() if t["flags"])
    assert flagged > 50                                       # the sample exercises the flags
    with_hold = sum(1 for p in values.values() if p[S.STATUS] == S.ST_ON_HOLD)
    print(f"plain ledger = core on {len(core)} rows ({flagged} with flags, {with_hold} on hold)")


def test_libreoffice_default_settings_compute_it_too(tmp_path):
    """A clerk's LibreOffice recalculates nothing on load by default: the file carries no cached
    results, so the formulas are computed on opening all the same."""
    source, plain, as_of = _sample_case(tmp_path, 1000)
    core, _ = compare(source, plain, tmp_path, as_of, recalc=False)
    assert len(core) == 1000


@pytest.mark.skipif(not os.environ.get("JSJB_SLOW"), reason="slow: set JSJB_SLOW=1 (10,000 rows)")
def test_ten_thousand_rows(tmp_path):
    source, plain, as_of = _sample_case(tmp_path, 10_000)
    core, _ = compare(source, plain, tmp_path, as_of)
    assert len(core) == 10_000


# -- table-driven edge cases -------------------------------------------------------------------------------
T = pd.Timestamp
EDGE = [   # (工单编号, 派单时间, 时限类型, extra columns)
    ("春节跨越", T("2025-01-24 16:00"), "一般", {}),
    ("国庆跨越", T("2025-09-30 09:00"), "复杂", {S.EXT1_AT: T("2025-10-20 10:00"), S.EXT1_DAYS: 5}),
    ("年末跨年", T("2025-12-30 10:00"), "复杂", {}),
    ("调休上班2005", T("2005-12-30 10:00"), "紧急", {}),
    ("法定", T("2025-03-01 10:00"), "法定", {S.LEGAL_DATE: T("2025-05-03")}),
    ("法定加延期", T("2025-03-01 10:00"), "法定", {S.LEGAL_DATE: T("2025-05-03"), S.EXT1_DAYS: 2,
                                                    S.EXT1_AT: T("2025-04-20 09:00")}),
    ("法定缺日期", T("2025-03-01 10:00"), "法定", {}),
    ("挂单已结束", T("2025-04-01 09:00"), "一般", {S.HOLD_START: T("2025-04-02 10:00"),
                                                 S.HOLD_END: T("2025-04-08 15:00")}),
    ("挂单后延期", T("2025-04-01 09:00"), "一般", {S.HOLD_START: T("2025-04-02 10:00"), S.HOLD_END: T("2025-04-03 15:00"),
                                                 S.EXT1_AT: T("2025-04-14 10:00"), S.EXT1_DAYS: 3,
                                                 S.EXT2_AT: T("2025-04-18 10:00"), S.EXT2_DAYS: 15}),
    ("延期申请晚", T("2025-06-03 09:00"), "紧急", {S.EXT1_AT: T("2025-06-04 20:00"), S.EXT1_DAYS: 16}),
    ("挂单中", T("2025-12-01 09:00"), "一般", {S.HOLD_START: T("2025-12-03 10:00")}),
    ("挂单结束在统计后", T("2025-11-01 09:00"), "一般", {S.HOLD_START: T("2025-11-03 10:00"),
                                                    S.HOLD_END: T("2026-01-20 10:00")}),
    ("挂单超期", T("2025-06-01 09:00"), "复杂", {S.HOLD_START: T("2025-06-02 10:00"),
                                              S.HOLD_END: T("2025-09-03 10:00")}),
    ("挂单倒置", T("2025-06-01 09:00"), "一般", {S.HOLD_START: T("2025-06-05 10:00"),
                                              S.HOLD_END: T("2025-06-02 10:00")}),
    ("临期", T("2025-12-31 09:00"), "紧急", {}),
    ("超期", T("2025-12-01 09:00"), "紧急", {}),
    ("及时办结", T("2025-03-03 09:00"), "一般", {S.CLOSED: T("2025-03-10 23:59:59"),
                                             S.MATERIALS_AT: T("2025-03-09 10:00")}),
    ("逾期办结", T("2025-03-03 09:00"), "一般", {S.CLOSED: T("2025-03-11 00:00:01")}),
    ("确认超时", T("2025-03-03 09:00"), "一般", {S.FORWARDED: T("2025-03-03 09:30"),
                                             S.CONFIRMED: T("2025-03-03 13:00"), S.OWN: "否"}),
    ("未确认", T("2025-12-31 09:00"), "一般", {S.FORWARDED: T("2025-12-31 09:30")}),
    ("退回在确认时限内", T("2025-03-03 09:00"), "一般", {S.FORWARDED: T("2025-03-03 09:30"), S.RETURNED: T("2025-03-03 11:00"),
                                                  S.CONFIRMED: T("2025-03-03 15:00"), S.OWN: "否"}),
    ("退回正好3小时", T("2025-03-03 09:00"), "一般", {S.FORWARDED: T("2025-03-03 09:30"), S.RETURNED: T("2025-03-03 12:30")}),
    ("退回超时", T("2025-03-03 09:00"), "一般", {S.RETURNED: T("2025-03-04 09:00"),
                                             S.FORWARDED: T("2025-03-03 09:10")}),
    ("办结在统计后", T("2025-12-29 09:00"), "民生", {S.CLOSED: T("2026-01-08 10:00")}),
    ("缺时限类型", T("2025-03-03 09:00"), None, {}),
    ("坏时限类型", T("2025-03-03 09:00"), "特急", {}),
    ("坏延期数", T("2025-03-03 09:00"), "一般", {S.EXT1_DAYS: "三天", S.EXT2_DAYS: 2.5}),
    ("坏日期", "2025-13-45 10:00", "一般", {}),
    ("缺派单时间", None, "一般", {}),
    ("2003年", T("2003-12-29 10:00"), "一般", {}),
    ("跨入2027", T("2026-12-22 10:00"), "复杂", {}),
    ("2027年", T("2027-03-01 10:00"), "一般", {S.FORWARDED: T("2027-03-01 10:05")}),
    ("法定2027", T("2026-12-01 10:00"), "法定", {S.LEGAL_DATE: T("2027-02-01")}),
]
AS_OF = dt.datetime(2026, 1, 5, 10, 0)
NOTICE_2027 = [   # a fictional 2027 arrangement, as a clerk would paste it from `jsjb holidays parse`
    *[(T("2027-01-01") + pd.Timedelta(days=k), "休息日", "元旦") for k in range(3)],
    *[(T("2027-02-05") + pd.Timedelta(days=k), "休息日", "春节") for k in range(8)],
    (T("2027-02-14"), "工作日", "春节调休上班"), (T("2027-02-20"), "工作日", "春节调休上班"),
]


def edge_sheets(holidays=()) -> dict:
    rows = []
    for k, (tid, sent, kind, extra) in enumerate(EDGE):
        if k == 3:
            rows.append({})                    # a blank row inside the table
        rows.append({S.ID: tid, S.DISPATCHED: sent, S.LIMIT_TYPE: kind, S.ENTERPRISE: "测试企业", **extra})
    frame = pd.DataFrame(rows, columns=list(S.INPUT_NAMES)).astype(object)
    frame = frame.where(frame.notna(), None)
    hol = pd.DataFrame(list(holidays), columns=list(S.HOLIDAY_COLUMNS)) if holidays else None
    return {S.SHEET_TICKETS: frame, S.SHEET_HOLIDAYS: hol}


def _edge(tmp: Path, name: str, holidays=(), params: Params | None = None, spare: int = S.PLAIN_SPARE_ROWS):
    source = tmp / f"{name}_src.xlsx"
    write_ledger(source, edge_sheets(holidays), params=params)
    sheets, read_params = read_ledger_sheets(source)
    plain = tmp / f"{name}.xlsx"
    write_plain_ledger(plain, sheets, params=read_params, as_of=AS_OF, spare=spare)
    return source, plain


def test_edge_cases_equal_core(tmp_path):
    source, plain = _edge(tmp_path, "edge")
    core, values = compare(source, plain, tmp_path, AS_OF)
    by_id = {t["id"]: values[r] for r, t in core.items()}
    assert by_id["跨入2027"][S.DEADLINE] == "缺少2027年节假日安排"
    assert by_id["2027年"][S.DEADLINE] == "缺少2027年节假日安排"
    assert by_id["2003年"][S.DEADLINE] == "缺少2003年节假日安排"
    assert by_id["2027年"][S.STATUS] == S.ST_INVALID
    assert by_id["坏日期"][S.DEADLINE] == "缺少派单时间"       # a text date is no date: clear text
    assert by_id["春节跨越"][S.DEADLINE] == dt.datetime(2025, 2, 7, 23, 59, 59)    # 2025 notice: 01-26 上班, 01-28…02-04 放假
    assert by_id["调休上班2005"][S.DEADLINE] == dt.datetime(2005, 12, 31, 23, 59, 59)
    blank = [p for r, p in values.items() if r not in core and r < max(core)]
    assert len(blank) == 1 and all(v in (None, "") for v in blank[0].values())


def test_pasting_next_years_notice_extends_the_calendar(tmp_path):
    source, plain = _edge(tmp_path, "y2027", holidays=NOTICE_2027, spare=20)
    core, values = compare(source, plain, tmp_path, AS_OF)
    by_id = {t["id"]: values[r] for r, t in core.items()}
    assert isinstance(by_id["跨入2027"][S.DEADLINE], dt.datetime)
    # 2027-03-01 (Monday) + 5 working days, no holiday in between → 2027-03-08
    assert by_id["2027年"][S.DEADLINE] == dt.datetime(2027, 3, 8, 23, 59, 59)
    covered = openpyxl.load_workbook(recalculated(plain, tmp_path / "cov"), data_only=True)[SHEET_CALENDAR]["M1"].value
    assert covered == dt.datetime(2027, 12, 31)


def _set_param(path: Path, code: str, value: float | str) -> None:
    """Change one 值 cell on 参数 in the file itself, as a clerk would in the sheet."""
    row = [p.code for p in PARAMETERS].index(code) + 2
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
        items = {n: z.read(n) for n in names}
    wbxml = items["xl/workbook.xml"].decode()
    sheets = re.findall(r'<sheet name="([^"]+)" sheetId="\d+" r:id="rId(\d+)"', wbxml)
    index = [n for n, _ in sheets].index(S.SHEET_PARAMS) + 1
    part = f"xl/worksheets/sheet{index}.xml"
    xml = items[part].decode()
    cell = re.search(rf'<c r="B{row}"[^>]*?(?:/>|>.*?</c>)', xml).group(0)
    style = re.search(r' s="\d+"', cell)
    new = (f'<c r="B{row}"{style.group(0) if style else ""}><v>{value}</v></c>' if isinstance(value, (int, float))
           else f'<c r="B{row}"{style.group(0) if style else ""} t="inlineStr"><is><t>{value}</t></is></c>')
    items[part] = xml.replace(cell, new).encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for n in names:
            z.writestr(n, items[n])


@pytest.mark.parametrize("code,value", [("limit_normal", 7), ("materials_hours", 24), ("warning_hours", 240),
                                        ("count_start_day", "是"), ("hold_allowed", "否"), ("reply_hours", 1)])
def test_parameter_changed_on_the_sheet(tmp_path, code, value):
    source, plain = _edge(tmp_path, "p", spare=20)
    _set_param(plain, code, value)                                     # the sheet, not the generator
    changed = tmp_path / "src_changed.xlsx"
    write_ledger(changed, edge_sheets(), params=Params({code: value}))   # the core reads the same value
    core, _ = compare(changed, plain, tmp_path, AS_OF)
    default = core_json(source, AS_OF)
    assert any(core[r] != default[r] for r in core), f"{code}={value} changed nothing"


def _prepared_rows(ws) -> int:
    """The last row whose computed and helper columns all hold their formula for that row (each
    row's own formula, as every reader expands the shared formulas)."""
    cols = {name: PLAIN_COLUMNS.index(name) + 1 for name in (*S.COMPUTED_COLUMNS, *HELPERS)}
    last = 1
    for r, row in enumerate(ws.iter_rows(min_row=2, max_col=len(PLAIN_COLUMNS), values_only=True), start=2):
        want = row_formulas(r)
        got = {name: row[j - 1] for name, j in cols.items()}
        if all(v is None for v in got.values()):
            break
        assert got == {name: "=" + want[name] for name in cols}, f"row {r}"
        last = r
    return last


def _ranges(ws) -> tuple[str, set[str], set[str]]:
    """The table's range, the drop-downs' and the highlighting's ranges."""
    dv = {str(r) for v in ws.data_validations.dataValidation for r in v.sqref.ranges}
    cf = {str(r) for c in ws.conditional_formatting for r in c.sqref.ranges}
    return ws.tables["工单"].ref, dv, cf


def test_workbook_structure(tmp_path):
    path = tmp_path / "empty.xlsx"
    write_plain_ledger(path)
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == [S.SHEET_TICKETS, S.SHEET_ENTERPRISES, S.SHEET_HOLIDAYS, S.SHEET_PARAMS,
                             S.SHEET_ADJUSTMENTS, S.SHEET_MANUAL, SHEET_CALENDAR, S.SHEET_HELP]
    ws = wb[S.SHEET_TICKETS]
    table = ws.tables["工单"]
    assert [c.name for c in table.tableColumns] == list(PLAIN_COLUMNS)
    calc = {c.name: c.calculatedColumnFormula.attr_text for c in table.tableColumns if c.calculatedColumnFormula}
    assert calc == {name: row_formulas(2)[name] for name in (*S.COMPUTED_COLUMNS, *HELPERS)}   # Excel fills new rows
    # CONTRACT §3: at least 5,000 prepared rows, inside the table, with drop-downs and highlighting
    assert S.PLAIN_SPARE_ROWS >= 5000
    last = 1 + S.PLAIN_SPARE_ROWS
    assert _prepared_rows(ws) == last
    ref, dv, cf = _ranges(ws)
    assert ref == f"A1:AO{last}"
    assert {"B2", "C2", "D2", "I2", "M2", "O2", "R2", "Z2", "AA2", "AB2"} <= {r.split(":")[0] for r in dv}
    assert all(r.endswith(str(last)) for r in dv) and cf == {f"A2:AJ{last}"}
    rules = [r.formula[0] for rs in ws.conditional_formatting._cf_rules.values() for r in rs]
    assert rules == ['$AH2="超期未办结"', '$AH2="临期"', '$AH2="挂单中"']
    names = set(wb.defined_names)
    assert {N_AS_OF, N_COVERED} | {param_name(p.code) for p in PARAMETERS} <= names
    text = " ".join(row_formulas(2).values())
    for banned in ("JSJB_", "ANCHORARRAY", "LAMBDA", "LET(", "_xlfn", "TEXTJOIN", "XLOOKUP", "FILTER("):
        assert banned not in text
    for name, formula in row_formulas(2).items():          # a row without 工单编号 costs one comparison
        assert formula.startswith('IF($A2="","",'), name
    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n).decode() for n in z.namelist() if n.startswith("xl/worksheets/sheet")}
    for part, xml in parts.items():                          # no cached 0 for LibreOffice to show
        assert not re.search(r"(</f>|<f [^>]*/>)<v>", xml), part
    tickets = parts["xl/worksheets/sheet1.xml"]             # each column's formula is stored once
    assert len(re.findall(r'<f t="shared" ref="', tickets)) == len(S.COMPUTED_COLUMNS) + len(HELPERS)
    assert tickets.count("<f>") == 0
    assert tickets.count("日历累计") == sum(f.count("日历累计") for f in row_formulas(2).values())
    help_text = "\n".join(str(r[0]) for r in wb[S.SHEET_HELP].iter_rows(values_only=True) if r[0])
    for word in ("统计时点", "已收录至", "jsjb check", "48小时", "3小时", "做不到", f"{S.PLAIN_SPARE_ROWS:,} 行"):
        assert word in help_text, word
    assert "复制上一行" not in help_text


def test_from_ledger_prepares_spare_rows_below_the_last_ticket(tmp_path):
    source = tmp_path / "src.xlsx"
    write_ledger(source, edge_sheets())                      # 31 tickets and a blank row among them
    n = len(EDGE) + 1
    for spare, last in ((None, 1 + n + S.PLAIN_SPARE_ROWS), (7, 1 + n + 7), (0, 1 + n)):
        plain = tmp_path / f"plain_{spare}.xlsx"
        _cli_template(plain, "--plain", "--from", source, *(("--spare", spare) if spare is not None else ()))
        ws = openpyxl.load_workbook(plain)[S.SHEET_TICKETS]
        assert ws.cell(1 + n, 1).value == EDGE[-1][0]        # the last ticket, then the prepared rows
        assert _prepared_rows(ws) == last, spare
        ref, dv, cf = _ranges(ws)
        assert ref == f"A1:AO{last}" and cf == {f"A2:AJ{last}"} and all(r.endswith(str(last)) for r in dv)


def test_help_numbers_follow_the_parameters(tmp_path):
    path = tmp_path / "p.xlsx"
    write_plain_ledger(path, params=Params({"materials_hours": 36, "reply_hours": 2}))
    text = "\n".join(str(r[0]) for r in openpyxl.load_workbook(path)[S.SHEET_HELP].iter_rows(values_only=True) if r[0])
    assert "期限前36小时" in text and "转办后2小时" in text


# -- a clerk at work: typing, inserting, deleting, sorting; LibreOffice saving in between --------------
def _cli_template(*argv) -> None:
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(io.StringIO()):
        code = main(["template", *map(str, argv)])
    assert code == 0, buf.getvalue()


def _edge_tickets(prefix: str = "") -> list[dict]:
    """The EDGE table as rows a clerk types (input columns only)."""
    return [{S.ID: prefix + tid, S.DISPATCHED: sent, S.LIMIT_TYPE: kind, S.ENTERPRISE: "测试企业", **extra}
            for tid, sent, kind, extra in EDGE]


def _sample_tickets(rows: int, seed: int, prefix: str) -> list[dict]:
    """Tickets of another sample, renamed: what arrives after the ledger was built."""
    frame = generate(rows, 2025, seed).sheets[S.SHEET_TICKETS]
    out = []
    for record in frame.to_dict("records"):
        typed = {k: (None if v is None or v is pd.NaT or (isinstance(v, float) and v != v) else v)
                 for k, v in record.items() if k in S.INPUT_NAMES}
        typed[S.ID] = prefix + str(typed[S.ID])
        out.append(typed)
    return out


def _at_work(book: clerk.Ledger, typed: list[dict], insert_at: int, inserted: dict, *, delete_at: int | None = None,
             sort_desc: bool | None = None) -> dict[str, int]:
    """Type ``typed`` into the first empty rows, insert a row above ``insert_at`` and type ``inserted``
    into it, then delete row ``delete_at`` and sort by 派单时间 when asked; returns where the typed
    tickets were before the sort (for the test's messages)."""
    first = book.last_ticket_row() + 1
    rows = {}
    for k, ticket in enumerate(typed):
        book.type_ticket(first + k, ticket)
        rows[ticket[S.ID]] = first + k
    book.insert_row(insert_at)
    book.type_ticket(insert_at, inserted)
    rows[inserted[S.ID]] = insert_at
    if delete_at is not None:
        book.delete_row(delete_at)
    if sort_desc is not None:
        book.sort(S.DISPATCHED, descending=sort_desc)
    return rows


def _check(edited: Path, tmp: Path, as_of: dt.datetime, ids: list[str]) -> Path:
    """LibreOffice recalculates ``edited``; every row equals the core on the same file; the typed ids
    are among the computed tickets. Returns LibreOffice's saved copy."""
    core = core_json(edited, as_of)
    saved = recalculated(edited, tmp)
    values = plain_values(saved)
    bad = mismatches(core, values)
    assert not bad, f"{len(bad)} mismatches, e.g.:\n" + "\n".join(bad[:15])
    computed = {t["id"]: values[r] for r, t in core.items()}
    for tid in ids:
        assert tid in computed, tid
        assert computed[tid][S.STATUS] not in (None, ""), (tid, computed[tid])
    return saved


def test_clerk_types_into_a_from_ledger_inserts_sorts_and_libreoffice_saves(tmp_path):
    """`template --plain --from`: tickets typed below the last one, into a row inserted mid-table,
    after deleting a row and sorting — computed by LibreOffice as the core computes them; then the
    same again on the file as LibreOffice saved it (its own formulas, no calculated columns)."""
    old = tmp_path / "old.xlsx"
    write_ledger(old, generate(300, 2025).sheets)
    plain = tmp_path / "plain.xlsx"
    _cli_template(plain, "--plain", "--from", old, "--spare", 80)
    book = clerk.Ledger(plain)
    assert book.last_row() == 301 + 80 and book.last_ticket_row() == 301
    book.set_as_of(AS_OF)
    typed = _edge_tickets("新")
    inserted = {**typed[0], S.ID: "插入行工单"}
    _at_work(book, typed, insert_at=120, inserted=inserted, delete_at=40, sort_desc=True)
    edited = book.save(tmp_path / "edited.xlsx")
    saved = _check(edited, tmp_path / "lo1", AS_OF, [t[S.ID] for t in typed] + ["插入行工单"])

    again = clerk.Ledger(saved)                      # LibreOffice's file: type, insert, sort once more
    ref, dv, cf = _ranges(again.ws)                  # it kept the table, drop-downs and highlighting
    last = 1 + 300 + 80                              # (one row inserted, one deleted)
    assert ref == f"A1:AO{last}" and cf == {f"A2:AJ{last}"} and all(r.endswith(str(last)) for r in dv)
    more = _sample_tickets(25, 7, "续")
    _at_work(again, more, insert_at=200, inserted={**more[0], S.ID: "再插入"}, sort_desc=False)
    edited = again.save(tmp_path / "edited2.xlsx")
    _check(edited, tmp_path / "lo2", AS_OF, [t[S.ID] for t in more] + ["再插入"])


def test_clerk_types_into_a_blank_template_then_libreoffice_saves(tmp_path):
    blank = tmp_path / "blank.xlsx"
    _cli_template(blank, "--plain", "--spare", 60)
    book = clerk.Ledger(blank)
    assert book.last_row() == 61 and book.last_ticket_row() == 1
    book.set_as_of(AS_OF)
    typed = _edge_tickets()
    _at_work(book, typed, insert_at=10, inserted={**typed[5], S.ID: "插入行工单"})
    edited = book.save(tmp_path / "edited.xlsx")
    saved = _check(edited, tmp_path / "lo1", AS_OF, [t[S.ID] for t in typed] + ["插入行工单"])

    again = clerk.Ledger(saved)
    more = _sample_tickets(15, 3, "续")
    _at_work(again, more, insert_at=5, inserted={**more[1], S.ID: "再插入"}, delete_at=20, sort_desc=False)
    edited = again.save(tmp_path / "edited2.xlsx")
    _check(edited, tmp_path / "lo2", AS_OF, [t[S.ID] for t in more] + ["再插入"])


# -- words for the clerk who reads the sheet -------------------------------------------------------------
@pytest.mark.parametrize("door, present, absent", [
    ("web", "生成通用台账", "jsjb "),          # built by the browser door: pages, never a command to type
    ("cli", "jsjb template 新台账.xlsx --plain --from 本台账.xlsx", "生成通用台账"),
])
def test_the_instructions_speak_the_words_of_the_door_that_built_the_ledger(tmp_path, door, present, absent):
    from jsjb.core import howto
    from jsjb.io.plain_book import write_plain_from

    path = tmp_path / "plain.xlsx"
    with howto.door(door):
        write_plain_from(path, spare=3)
    wb = openpyxl.load_workbook(path, read_only=True)
    text = "\n".join(str(v) for name in (S.SHEET_HELP, SHEET_CALENDAR)
                     for row in wb[name].iter_rows(values_only=True) for v in row if isinstance(v, str))
    assert present in text
    assert absent not in text


def test_a_number_no_cell_can_hold_keeps_its_text():
    """R21 in template --plain --from: "inf" or "1e999" typed into a day count is no number a cell can
    hold; it is kept as the clerk typed it (and check names it), not dropped."""
    from jsjb.core import schema as S_
    from jsjb.io.plain_book import _typed

    got = _typed(pd.Series(["3", "inf", "1e999", "", None, "三"], dtype=object), S_.DAYS)
    assert got.tolist() == [3.0, "inf", "1e999", None, None, "三"]
