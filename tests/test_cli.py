"""The `jsjb` command line: every command's help, exit codes, JSON shapes, and that the
input ledger is never modified."""

import json
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
from helpers import ENTERPRISE, digest, sample_ledger, write_xlsx

from jsjb.cli import build_parser, main
from jsjb.core import schema as S

AS_OF = "2026-01-05T10:00"



@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    return sample_ledger(tmp_path_factory.mktemp("s"), 600, 7, "样例.xlsx")


def full_row(**values) -> list:
    """A ticket row with every contract column (blank unless given)."""
    return [values.get(name) for name in S.INPUT_NAMES]


@pytest.fixture
def bad_ledger(tmp_path):
    return write_xlsx(tmp_path / "bad.xlsx", {S.SHEET_TICKETS: [
        list(S.INPUT_NAMES),
        full_row(**{S.ID: "A1", S.DISPATCHED: "2023-09-28 10:00", S.LIMIT_TYPE: "一般", S.ENTERPRISE: ENTERPRISE}),
        full_row(**{S.ID: "A2", S.DISPATCHED: "不知道", S.LIMIT_TYPE: "一般", S.ENTERPRISE: ENTERPRISE}),
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


@pytest.mark.parametrize("argv", [["template", "{path}"], ["sample", "{path}", "--rows", "20"],
                                  ["template", "{path}", "--plain"]])
def test_template_and_sample_never_replace_an_existing_ledger(tmp_path, sample, capsys, argv):
    """R21: the README tells users to run `jsjb template 台账.xlsx`; run twice it must not wipe the ledger."""
    path = tmp_path / "台账.xlsx"
    path.write_bytes(sample.read_bytes())
    before = digest(path)
    assert main([a.format(path=path) for a in argv] + ["-q"]) == 2
    err = capsys.readouterr().err
    assert "已存在" in err and "--force" in err and digest(path) == before
    assert main([a.format(path=path) for a in argv] + ["-q", "--force"]) == 0
    assert digest(path) != before


def test_an_unexpected_failure_is_one_chinese_line_and_exit_3(sample, capsys, monkeypatch):
    from jsjb import jobs

    def broken(*args, **kwargs):
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(jobs, "check", broken)
    monkeypatch.delenv("JSJB_DEBUG", raising=False)
    assert main(["check", str(sample), "-q"]) == 3
    err = capsys.readouterr().err
    assert err.startswith("错误：") and "JSJB_DEBUG" in err and "Traceback" not in err and len(err.splitlines()) == 1


def test_python_dash_m_jsjb_works_like_jsjb(sample):
    proc = subprocess.run([sys.executable, "-m", "jsjb", "check", str(sample), "--json", "--as-of", AS_OF, "-q"],
                          capture_output=True, text=True, encoding="utf-8")
    assert proc.returncode == 0 and json.loads(proc.stdout)["rows"] == 600


def test_holidays_coverage_and_the_2027_warning(sample, capsys, tmp_path):
    """R23 at an as_of in November 2026: the built-in data ends 2026-12-31, 2027 is missing."""
    code, data = run_json(capsys, ["holidays", "--as-of", "2026-11-25T10:00", "--json", "-q"])
    assert code == 1 and data["builtin"] == [2004, 2026] and data["missing"] == [2027] and data["affected"] == []
    code, data = run_json(capsys, ["holidays", "--as-of", "2026-06-01T10:00", "--json", "-q"])
    assert code == 0 and data["missing"] == []


def test_holidays_parse_writes_rows_ready_to_paste(tmp_path, capsys):
    from pathlib import Path

    notice = Path(__file__).parent / "fixtures" / "notices" / "2026.txt"
    out = tmp_path / "节假日.xlsx"
    code, data = run_json(capsys, ["holidays", "parse", str(notice), "--out", str(out), "--json", "-q"])
    assert code == 0 and data["year"] == 2026
    rows = {(r["date"], r["type"]) for r in data["rows"]}
    # 2026: Spring Festival 02-15…02-23 off, 02-14 (Sat) and 02-28 (Sat) working (国办发明电〔2025〕7号)
    assert ("2026-02-16", "休息日") in rows and ("2026-02-14", "工作日") in rows and ("2026-02-28", "工作日") in rows
    ws = openpyxl.load_workbook(out)[S.SHEET_HOLIDAYS]
    assert [c.value for c in ws[1]][:3] == ["日期", "类型", "说明"] and ws.max_row == len(data["rows"]) + 1
    assert main(["holidays", "parse", str(notice), "--out", str(out), "-q"]) == 2      # never replaced silently


def test_doctor_on_linux_skips_excel_and_reports_2027(capsys):
    code, data = run_json(capsys, ["doctor", "--json", "-q"])
    statuses = {c["status"] for c in data["checks"]}
    assert code == 1 and not data["ok"] and "skipped" in statuses or "跳过" in str(statuses)
    assert any("2027" in c["name"] and c["name"] in data["failed"] for c in data["checks"])


def test_demo_runs_and_its_hints_run_as_printed(tmp_path, capsys):
    import shlex

    assert main(["demo", "--out", str(tmp_path / "demo"), "--rows", "400", "-q"]) == 0
    out = capsys.readouterr().out
    assert str(tmp_path / "demo") in out
    assert (tmp_path / "demo" / "样例台账.xlsx").exists()
    hints = [line.strip() for line in out.splitlines() if line.startswith("  ") and " check " in line]
    assert hints
    words = shlex.split(hints[0])
    command = [sys.executable, "-m", "jsjb"] if words[:2] == [Path(sys.executable).name, "-m"] else None
    argv = (command + words[3:]) if command else [str(Path(sys.executable).parent / "jsjb"), *words[1:]]
    proc = subprocess.run(argv + ["-q"], capture_output=True, text=True, encoding="utf-8")
    assert proc.returncode == 0, proc.stderr


def test_console_script_is_installed():
    from pathlib import Path

    script = Path(sys.executable).parent / "jsjb"
    proc = subprocess.run([str(script), "--version"], capture_output=True, text=True)
    assert proc.returncode == 0 and proc.stdout.startswith("jsjb ")


def test_bulletin_and_assess_write_the_gongwen_draft(sample, tmp_path, capsys):
    import docx

    code, data = run_json(capsys, ["bulletin", str(sample), "--month", "2025-12", "--as-of", AS_OF, "--out",
                                   str(tmp_path), "--docx", "--json", "-q"])
    assert code == 0 and Path(data["files"]["docx"]).name == "月通报_2025-12.docx"
    text = "\n".join(p.text for p in docx.Document(data["files"]["docx"]).paragraphs)
    assert "一、" in text and "2025年12月" in text
    code, data = run_json(capsys, ["assess", str(sample), "--year", "2025", "--as-of", AS_OF, "--out",
                                   str(tmp_path), "--docx", "--json", "-q"])
    assert code == 0 and Path(data["files"]["docx"]).name == "年度考核_2025.docx"
    document = docx.Document(data["files"]["docx"])
    cells = {c.text for t in document.tables for row in t.rows for c in row.cells}
    top = min((e for e in data["enterprises"] if e["rank"] is not None), key=lambda e: e["rank"])
    assert top["enterprise"] in cells and f"{top['total']:.2f}" in cells


def test_check_and_dispatch_warn_about_next_year_in_november(tmp_path, capsys):
    """R23: at an as_of in November 2026 both name 2027; a ticket whose deadline needs 2027 is named."""
    ledger = write_xlsx(tmp_path / "l.xlsx", {S.SHEET_TICKETS: [
        list(S.INPUT_NAMES),
        full_row(**{S.ID: "N1", S.DISPATCHED: "2026-11-20 09:00", S.LIMIT_TYPE: "一般", S.ENTERPRISE: ENTERPRISE}),
        # 复杂 = 15 working days from 2026-12-20: beyond 2026-12-31, needs 2027
        full_row(**{S.ID: "D1", S.DISPATCHED: "2026-12-20 09:00", S.LIMIT_TYPE: "复杂", S.ENTERPRISE: ENTERPRISE}),
    ]})
    code, data = run_json(capsys, ["check", str(ledger), "--as-of", "2026-11-25T10:00", "--json", "-q"])
    calendar = [w for w in data["warnings"] if w["sheet"] == S.SHEET_HOLIDAYS]
    assert calendar and "2027" in calendar[0]["message"]
    assert main(["dispatch", str(ledger), "--as-of", "2026-12-21T10:00", "--out", str(tmp_path / "o"), "-q"]) == 0
    err = capsys.readouterr().err
    assert "2027" in err and "D1" in err and "N1" not in err.split("2027", 1)[1][:200]


@pytest.mark.parametrize("code, value", [("reply_hours", "1e30"), ("warning_hours", "1e30"),
                                         ("dispatch_lookahead_hours", "99999"), ("response_points", "1e308"),
                                         ("limit_normal", "1e9")])
@pytest.mark.parametrize("command", [["check"], ["bulletin", "--month", "2025-12"], ["dispatch"]])
def test_an_absurd_parameter_is_a_clear_error_not_a_crash(tmp_path, capsys, code, value, command):
    ledger = write_xlsx(tmp_path / "l.xlsx", {
        S.SHEET_TICKETS: [list(S.INPUT_NAMES),
                          full_row(**{S.ID: "A1", S.DISPATCHED: "2025-12-01 09:00", S.LIMIT_TYPE: "一般",
                                      S.ENTERPRISE: ENTERPRISE})],
        S.SHEET_PARAMS: [["参数", "值", "说明", "依据"], [code, value, "", ""]]})
    out = ["--out", str(tmp_path / "o")] if command[0] != "check" else []
    assert main([command[0], str(ledger), *command[1:], *out, "--as-of", "2026-01-05T10:00", "-q"]) == 2
    err = capsys.readouterr().err
    assert code in err and value in err and "Traceback" not in err


def test_check_names_both_enterprises_of_a_shared_short_name_and_accepts_several_addresses(tmp_path, capsys):
    ledger = write_xlsx(tmp_path / "l.xlsx", {
        S.SHEET_TICKETS: [list(S.INPUT_NAMES),
                          full_row(**{S.ID: "A1", S.DISPATCHED: "2025-12-01 09:00", S.LIMIT_TYPE: "一般",
                                      S.ENTERPRISE: "甲公司"})],
        S.SHEET_ENTERPRISES: [["企业名称", "简称", "联系人", "邮箱"],
                              ["甲公司", "热力", "", "a@example.invalid；b@example.invalid"],
                              ["乙公司", "热力", "", "c@example.invalid"],
                              ["丙公司", "丙", "", "d@example.invalid\nBcc: e@example.invalid"]]})
    code, data = run_json(capsys, ["check", str(ledger), "--json", "-q"])
    assert code == 1
    shared = [e for e in data["errors"] if e["column"] == "简称"]
    assert [e["row"] for e in shared] == [2, 3]
    assert "乙公司" in shared[0]["message"] and "甲公司" in shared[1]["message"]
    mail = [w for w in data["warnings"] + data["errors"] if w["column"] == "邮箱"]
    assert [w["row"] for w in mail] == [4] and "换行" in mail[0]["message"]


def test_a_renamed_contract_column_is_surfaced_by_every_job(tmp_path, capsys):
    """R21: renaming 办结时间 to a name that is no synonym of it (办结日期 is one: core.headers) must not
    silently publish 解决率 0%: check errs, jobs say so."""
    header = [("办完的时间" if n == S.CLOSED else n) for n in S.INPUT_NAMES]
    row = full_row(**{S.ID: "A1", S.DISPATCHED: "2025-12-01 09:00", S.LIMIT_TYPE: "一般", S.ENTERPRISE: ENTERPRISE,
                      S.CLOSED: "2025-12-02 09:00"})
    ledger = write_xlsx(tmp_path / "l.xlsx", {S.SHEET_TICKETS: [header, row]})
    code, data = run_json(capsys, ["check", str(ledger), "--json", "-q"])
    assert code == 1 and any(e["column"] == S.CLOSED and e["code"] == "E_COLUMN_MISSING" for e in data["errors"])
    for argv in (["bulletin", "--month", "2025-12"], ["dispatch"], ["compute"]):
        main([argv[0], str(ledger), *argv[1:], "--as-of", "2026-01-05T10:00", "-q",
              *(["--out", str(tmp_path / "o")] if argv[0] != "compute" else [])])
        assert "办结时间" in capsys.readouterr().err, argv


def test_serve_refuses_a_network_address_without_a_password(capsys, monkeypatch):
    monkeypatch.delenv("JSJB_WEB_PASSWORD", raising=False)
    assert main(["serve", "--host", "0.0.0.0", "--no-browser", "-q"]) == 2
    assert "JSJB_WEB_PASSWORD" in capsys.readouterr().err


def test_serve_starts_and_answers_on_loopback(sample, tmp_path):
    import socket
    import time
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "jsjb", "serve", str(sample), "--port", str(port), "--no-browser"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp_path)
    try:
        for _ in range(100):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as r:
                    page = r.read().decode("utf-8")
                break
            except OSError:
                time.sleep(0.2)
        else:
            pytest.fail("jsjb serve did not answer")
        for label in ("校验", "刷新", "日调度", "月通报", "年度考核", "归档", "发送通报"):
            assert label in page
    finally:
        proc.terminate()
        proc.wait(timeout=20)


@pytest.mark.parametrize("job, own_name, sheet, message", [
    ("compute", "结果.xlsx", "计算结果", "已存在"),
    ("archive", "归档.xlsx", "归档目录", "不是归档文件"),
])
def test_out_never_replaces_another_workbook(sample, tmp_path, capsys, job, own_name, sheet, message):
    """R21: --out may replace the job's own earlier output, never e.g. last year's ledger."""
    other = tmp_path / "去年台账.xlsx"
    other.write_bytes(sample.read_bytes())
    before = digest(other)
    assert main([job, str(sample), "--as-of", AS_OF, "--out", str(other), "-q"]) == 2
    assert message in capsys.readouterr().err and digest(other) == before
    own = tmp_path / own_name
    assert main([job, str(sample), "--as-of", AS_OF, "--out", str(own), "-q"]) == 0
    assert main([job, str(sample), "--as-of", AS_OF, "--out", str(own), "-q"]) == 0      # its own: fine
    assert sheet in openpyxl.load_workbook(own, read_only=True).sheetnames


def test_compute_force_replaces_on_request(sample, tmp_path):
    other = tmp_path / "另一个.xlsx"
    other.write_bytes(sample.read_bytes())
    assert main(["compute", str(sample), "--as-of", AS_OF, "--out", str(other), "-q", "--force"]) == 0
    assert openpyxl.load_workbook(other, read_only=True).sheetnames == ["计算结果"]


def test_argparse_errors_are_chinese(capsys):
    with pytest.raises(SystemExit) as e:
        main(["sample", "x.xlsx", "--rows", "abc"])
    err = capsys.readouterr().err
    assert e.value.code == 2 and "参数 --rows" in err and "argument" not in err


def test_a_file_in_use_is_a_chinese_message_in_every_door(sample, capsys, monkeypatch):
    """A PermissionError (the output workbook is open in Excel) reads the same in the CLI and the buttons."""
    import errno

    from jsjb import jobs
    from jsjb.jobs.errors import describe

    def locked(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied", "月通报_2025-12.xlsx")

    monkeypatch.setattr(jobs, "check", locked)
    assert main(["check", str(sample), "-q"]) == 2
    err = capsys.readouterr().err
    assert "文件被占用" in err and "月通报_2025-12.xlsx" in err and "Permission" not in err
    message, code = describe(PermissionError(errno.EACCES, "x", "a.xlsx"))
    assert code == 2 and message.startswith("文件被占用或没有写入权限") and message.endswith("：a.xlsx")


def test_text_longer_than_a_cell_is_cut_with_a_visible_note(tmp_path, capsys):
    """R21: a cell holds 32,767 characters; masking can lengthen a full one (each e-mail becomes a longer
    note). The outputs then cut it with a visible note, never silently — in the big-table writer
    (compute --out --mask) and in the report workbooks (the enterprise ticket lists)."""
    from jsjb.core.masking import scrub_text

    long_text = "反映" + "x@y.cn " * 4680
    assert len(long_text) <= 32767 < len(scrub_text(long_text))
    ledger = write_xlsx(tmp_path / "l.xlsx", {S.SHEET_TICKETS: [
        list(S.INPUT_NAMES),
        full_row(**{S.ID: "L1", S.DISPATCHED: "2025-12-01 09:00", S.LIMIT_TYPE: "一般", S.ENTERPRISE: ENTERPRISE,
                    S.CONTENT: long_text})]})
    out = tmp_path / "结果.xlsx"
    assert main(["compute", str(ledger), "--as-of", AS_OF, "--out", str(out), "--mask", "-q"]) == 0
    assert main(["bulletin", str(ledger), "--month", "2025-12", "--as-of", AS_OF, "--out", str(tmp_path / "b"),
                 "-q"]) == 0
    books = [out, *sorted((tmp_path / "b").glob("*.xlsx"))]
    found = 0
    for path in books:
        for ws in openpyxl.load_workbook(path, read_only=True).worksheets:
            for row in ws.iter_rows(values_only=True):
                for v in row:
                    if isinstance(v, str) and v.startswith("反映[邮箱已隐去]"):
                        assert len(v) <= 32767 and v.endswith("已截断，全文见台账）"), path.name
                        found += 1
    assert found >= 2


def test_json_is_the_text_the_standard_library_would_print(sample, capsys):
    """--json goes through orjson; the standard library (the oracle) prints the very same text."""
    main(["compute", str(sample), "--json", "--as-of", AS_OF, "-q"])
    plain = capsys.readouterr().out
    data = json.loads(plain)
    assert data["tickets"][0]["id"]
    assert plain == json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n"
    assert "\\u" not in plain and any(ord(ch) > 0x2E80 for ch in plain)     # Chinese as UTF-8, not escaped
