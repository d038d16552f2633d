"""The `jsjb` command line: every command's help, exit codes, JSON shapes, and that the
input ledger is never modified."""

import json
import subprocess
import sys

import openpyxl
import pytest
from helpers import ENTERPRISE, digest, write_xlsx

from jsjb.cli import build_parser, main
from jsjb.core import schema as S

AS_OF = "2026-01-05T10:00"



@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    path = tmp_path_factory.mktemp("s") / "样例.xlsx"
    assert main(["sample", str(path), "--rows", "600", "--seed", "7", "-q"]) == 0
    return path


@pytest.fixture
def bad_ledger(tmp_path):
    return write_xlsx(tmp_path / "bad.xlsx", {S.SHEET_TICKETS: [
        [S.ID, S.DISPATCHED, S.LIMIT_TYPE, S.ENTERPRISE],
        ["A1", "2023-09-28 10:00", "一般", ENTERPRISE],
        ["A2", "不知道", "一般", ENTERPRISE],
    ]})


def run_json(capsys, argv):
    code = main(argv)
    out = capsys.readouterr().out
    return code, json.loads(out)


def test_every_command_and_option_has_chinese_help(capsys):
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    assert {"template", "sample", "check", "compute", "demo"} <= set(sub.choices)
    for name, cmd in sub.choices.items():
        assert cmd.description and any("\u4e00" <= ch <= "\u9fff" for ch in cmd.description), name
        for action in cmd._actions:
            assert action.help and any("\u4e00" <= ch <= "\u9fff" for ch in action.help), (name, action.dest)
        with pytest.raises(SystemExit) as e:
            main([name, "--help"])
        assert e.value.code == 0
        assert "用法" in capsys.readouterr().out


def test_check_ok_on_the_sample(sample, capsys):
    code, data = run_json(capsys, ["check", str(sample), "--json", "--as-of", AS_OF])
    assert code == 0
    assert set(data) >= {"rows", "errors", "warnings"} and data["rows"] == 600 and data["errors"] == []


def test_check_reports_bad_rows_and_exits_1(bad_ledger, capsys):
    code, data = run_json(capsys, ["check", str(bad_ledger), "--json"])
    assert code == 1
    assert [(e["row"], e["column"]) for e in data["errors"]] == [(3, S.DISPATCHED)]
    assert set(data["errors"][0]) >= {"row", "column", "message"}
    code = main(["check", str(bad_ledger), "-q"])
    out = capsys.readouterr().out
    assert code == 1 and "第3行" in out and "不知道" in out


def test_compute_json_shape_and_no_row_lost(bad_ledger, capsys):
    code, data = run_json(capsys, ["compute", str(bad_ledger), "--json", "--as-of", "2023-10-01T00:00", "-q"])
    assert code == 0 and data["as_of"] == "2023-10-01T00:00:00"
    assert [t["id"] for t in data["tickets"]] == ["A1", "A2"]
    keys = {"id", "deadline", "materials_due", "reply_due", "status", "timely", "flags"}
    assert all(keys <= set(t) for t in data["tickets"])
    assert data["tickets"][0]["deadline"] == "2023-10-11T23:59:59" and data["tickets"][0]["status"] == "在办"
    assert data["tickets"][1]["status"] == "数据有误"


def test_json_mode_prints_only_json(sample):
    proc = subprocess.run([sys.executable, "-m", "jsjb.cli", "compute", str(sample), "--json", "--as-of", AS_OF],
                          capture_output=True, text=True, encoding="utf-8", check=True)
    data = json.loads(proc.stdout)
    assert len(data["tickets"]) == 600
    assert "读取台账" in proc.stderr          # progress goes to stderr


def test_compute_out_writes_a_new_values_only_workbook(sample, tmp_path, capsys):
    before = digest(sample)
    out = tmp_path / "结果.xlsx"
    assert main(["compute", str(sample), "--as-of", AS_OF, "--out", str(out), "-q"]) == 0
    assert digest(sample) == before
    wb = openpyxl.load_workbook(out)
    ws = wb["计算结果"]
    header = [c.value for c in ws[1]]
    assert header[0] == "行号" and header[1:31] == list(S.INPUT_NAMES)
    assert header[31:] == list(S.COMPUTED_COLUMNS)
    assert ws.max_row == 601
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            assert cell.data_type != "f", cell.coordinate      # values only
    assert "计算结果已写入" in capsys.readouterr().out


def test_compute_refuses_to_overwrite_the_ledger(sample, capsys):
    before = digest(sample)
    assert main(["compute", str(sample), "--out", str(sample), "-q"]) == 2
    assert "不能覆盖" in capsys.readouterr().err
    assert digest(sample) == before


@pytest.mark.parametrize("argv, message", [
    (["check", "/nonexistent/台账.xlsx"], "找不到"),
    (["compute", "/nonexistent/台账.xlsx"], "找不到"),
    (["check", "{csv}"], ".xlsx"),
    (["check", "{corrupt}"], "无法打开"),
    (["check", "{nosheet}"], "工单台账"),
    (["check", "{sample}", "--as-of", "明天"], "--as-of"),
])
def test_bad_input_gives_a_chinese_message_and_exit_2(tmp_path, sample, capsys, argv, message):
    (tmp_path / "a.csv").write_text("x")
    (tmp_path / "c.xlsx").write_bytes(b"PK\x03\x04 broken")
    write_xlsx(tmp_path / "n.xlsx", {"Sheet1": [["x"]]})
    names = {"csv": tmp_path / "a.csv", "corrupt": tmp_path / "c.xlsx", "nosheet": tmp_path / "n.xlsx",
             "sample": sample}
    argv = [a.format(**names) for a in argv]
    assert main(argv + ["-q"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("错误：") and message in err and "Traceback" not in err


def test_sample_is_deterministic_per_seed(tmp_path):
    from jsjb.io.reader import read_sheets

    paths = []
    for name, seed in (("a", 3), ("b", 3), ("c", 4)):
        p = tmp_path / f"{name}.xlsx"
        assert main(["sample", str(p), "--rows", "200", "--seed", str(seed), "-q"]) == 0
        paths.append(read_sheets(p)[S.SHEET_TICKETS])
    assert paths[0].equals(paths[1])
    assert not paths[0].equals(paths[2])


def test_template_command(tmp_path, capsys):
    out = tmp_path / "模板.xlsx"
    assert main(["template", str(out)]) == 0
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == list(S.SHEETS)


def test_demo_runs_and_says_where_the_files_are(tmp_path, capsys):
    assert main(["demo", "--out", str(tmp_path / "demo"), "--rows", "400", "-q"]) == 0
    out = capsys.readouterr().out
    assert str(tmp_path / "demo") in out
    assert (tmp_path / "demo" / "样例台账.xlsx").exists()


def test_console_script_is_installed():
    from pathlib import Path

    script = Path(sys.executable).parent / "jsjb"
    proc = subprocess.run([str(script), "--version"], capture_output=True, text=True)
    assert proc.returncode == 0 and proc.stdout.startswith("jsjb ")
