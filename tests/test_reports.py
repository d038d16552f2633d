"""The workbooks that leave the office: bulletin, enterprise workbooks, assessment.

Checked end to end through the CLI on a sample ledger: JSON keys (CONTRACT §3), golden
outputs compared semantically, no caller data and no formula in any written file (R19/R20),
every file opens in LibreOffice, and the input ledger's bytes never change (R21)."""

import json
from pathlib import Path

import pytest
from helpers import digest
from outputs import caller_data, cells, formulas_in, leaks, open_in_libreoffice, xml_text

from jsjb.cli import main
from jsjb.core import schema as S
from jsjb.io.reader import read_ledger

GOLDEN = Path(__file__).parent / "golden"
AS_OF = "2026-01-05T10:00"
ENTERPRISE_KEYS = {"enterprise", "received", "closed", "timely", "overdue_open", "visits", "satisfied",
                   "response_rate", "resolution_rate", "satisfaction_rate", "response_score", "resolution_score",
                   "satisfaction_score", "deductions", "bonuses", "manual", "total", "rank"}



@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """One sample ledger; bulletin and assessment written with --json."""
    import contextlib
    import io

    base = tmp_path_factory.mktemp("reports")
    ledger = base / "台账.xlsx"
    assert main(["sample", str(ledger), "--rows", "800", "--seed", "11", "-q"]) == 0
    before = digest(ledger)
    results = {}
    for key, argv in (("bulletin", ["bulletin", str(ledger), "--month", "2025-12"]),
                      ("assess", ["assess", str(ledger), "--year", "2025"])):
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            assert main([*argv, "--as-of", AS_OF, "--out", str(base / "out"), "--json", "-q"]) == 0
        results[key] = json.loads(buf.getvalue())
    assert digest(ledger) == before
    return ledger, base / "out", results


def written(out: Path) -> list[Path]:
    return sorted(out.glob("*.xlsx"))


def test_json_keys_follow_the_contract(run):
    _, _, results = run
    for key in ("bulletin", "assess"):
        data = results[key]
        assert {"period", "as_of", "enterprises", "exempt", "on_hold", "major", "renminwang"} <= set(data)
        assert data["as_of"] == "2026-01-05T10:00:00"
        for e in data["enterprises"]:
            assert ENTERPRISE_KEYS <= set(e)
            for rate in ("response_rate", "resolution_rate", "satisfaction_rate"):
                assert e[rate] is None or 0 <= e[rate] <= 1
    assert results["bulletin"]["period"] == "2025-12" and results["assess"]["period"] == "2025"
    assert all(e["manual"] is None for e in results["bulletin"]["enterprises"])
    assert all(e["manual"] is not None for e in results["assess"]["enterprises"])
    assert len(results["bulletin"]["enterprises"]) == 8


def test_golden_bulletin_and_assessment(run):
    """Golden outputs (regenerate with scripts/update_golden.py after a deliberate change)."""
    _, out, results = run
    for key in ("bulletin", "assess"):
        data = {k: v for k, v in results[key].items() if k != "files"}
        golden = json.loads((GOLDEN / f"{key}.json").read_text(encoding="utf-8"))
        assert data == golden, f"{key} differs from tests/golden/{key}.json"
    for name in ("月通报_2025-12.xlsx", "年度考核_2025.xlsx", "月通报_2025-12_热力公司.xlsx"):
        golden = json.loads((GOLDEN / f"{name}.json").read_text(encoding="utf-8"))
        assert cells(out / name) == golden, name


def test_every_enterprise_gets_its_own_workbook(run):
    _, out, results = run
    files = results["bulletin"]["files"]["enterprises"]
    assert len(files) == 8 and all(Path(p).exists() for p in files.values())
    sheet = cells(Path(files["东胜区热力有限责任公司"]))["工单清单"]
    start = next(i for i, r in enumerate(sheet) if r and r[0] == "工单编号")
    header, mine = sheet[start], sheet[start:]
    assert "来话人" in header and "地址" not in header
    enterprises = {r[header.index("承办企业")] for r in mine[1:]}
    assert enterprises == {"东胜区热力有限责任公司"}
    callers = [r[header.index("来话人")] for r in mine[1:] if r[header.index("来话人")]]
    assert callers and all("*" in c for c in callers)


def test_no_caller_data_and_no_formula_in_any_written_workbook(run):
    ledger, out, _ = run
    secrets = caller_data(read_ledger(ledger).tickets)
    assert secrets["name"] and secrets["phone"] and secrets["address"]
    files = written(out)
    assert len(files) == 10
    for f in files:
        assert leaks(f, secrets) == []
        assert formulas_in(f) == [], f.name


def test_citizen_text_that_looks_like_a_formula_stays_text(tmp_path):
    """R20 and R19 on a hand-made ledger: formula-like text in lists is a string cell, and
    numbers inside free text are scrubbed."""
    import openpyxl
    from helpers import ENTERPRISE, write_xlsx

    evil = '=HYPERLINK("http://example.invalid","点击")'
    ledger = write_xlsx(tmp_path / "a.xlsx", {S.SHEET_TICKETS: [
        [S.ID, S.DISPATCHED, S.LIMIT_TYPE, S.ENTERPRISE, S.CONTENT, S.CALLER, S.PHONE],
        ["A1", "2025-12-01 10:00", "一般", ENTERPRISE, evil, "欧阳娜娜", "13912345678"],
        ["A2", "2025-12-01 10:00", "一般", ENTERPRISE, "@SUM(1,2) 请回电13912345678", "张三", "13912345678"],
    ]})
    assert main(["bulletin", str(ledger), "--month", "2025-12", "--as-of", AS_OF, "--out", str(tmp_path / "o"),
                 "-q"]) == 0
    for f in sorted((tmp_path / "o").glob("*.xlsx")):
        assert formulas_in(f) == []
        assert "13912345678" not in xml_text(f) and "欧阳娜娜" not in xml_text(f)
    wb = openpyxl.load_workbook(tmp_path / "o" / "月通报_2025-12.xlsx")
    ws = wb["超期未办结工单"]
    values = [c for row in ws.iter_rows() for c in row if c.value in (evil,)]
    assert values and all(c.data_type == "s" for c in values)
    texts = [c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str) and c.value.startswith("@SUM")]
    assert texts == ["@SUM(1,2) 请回电139****5678"]
    own = openpyxl.load_workbook(next((tmp_path / "o").glob("月通报_2025-12_*.xlsx")))["工单清单"]
    assert {c.value for row in own.iter_rows() for c in row} >= {"欧阳**", "139****5678"}


def test_every_written_workbook_opens_in_libreoffice(run):
    _, out, _ = run
    opened = open_in_libreoffice(written(out))
    assert all(opened.values()), [p.name for p, ok in opened.items() if not ok]


def test_assessment_rejects_manual_items_above_their_maximum(tmp_path, capsys):
    from helpers import ENTERPRISE, write_xlsx

    ledger = write_xlsx(tmp_path / "a.xlsx", {
        S.SHEET_TICKETS: [[S.ID, S.DISPATCHED, S.LIMIT_TYPE, S.ENTERPRISE], ["A", "2025-03-03 10:00", "一般", ENTERPRISE]],
        S.SHEET_MANUAL: [list(S.MANUAL_COLUMNS), [2025, ENTERPRISE, 5, 12, 10, 10]],
    })
    assert main(["assess", str(ledger), "--year", "2025", "--out", str(tmp_path), "-q"]) == 2
    err = capsys.readouterr().err
    assert "考核录入" in err and "制度建设" in err and "12" in err
    assert not (tmp_path / "年度考核_2025.xlsx").exists()


def test_tables_longer_than_an_excel_sheet_continue_on_further_sheets():
    import pandas as pd

    from jsjb.io.writer import Table, split_for_excel

    frame = pd.DataFrame({"a": range(25)})
    parts = split_for_excel([Table("归档目录", frame, title="标题", notes=["说明"])], max_rows=10)
    assert [p.name for p in parts] == ["归档目录"] + [f"归档目录（续{k}）" for k in range(2, 8)]   # 4 rows fit
    assert sum(len(p.frame) for p in parts) == 25
    assert all(len(p.frame) + 3 + 3 <= 10 for p in parts)
    assert pd.concat([p.frame for p in parts])["a"].tolist() == list(range(25))
