"""Reading the ledger ahead while the program imports (jsjb.launch → io.sheets.read_ahead).

The read started ahead must give exactly what a direct read gives, only for the same unchanged
file, and must raise the same Chinese errors; the entry point itself must not import pandas
before the read has started (else there is nothing to overlap)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import sample_ledger

from jsjb.core.errors import LedgerFileError
from jsjb.io import sheets

AS_OF = "2026-01-05T10:00"


@pytest.fixture(scope="module")
def ledger(tmp_path_factory):
    return sample_ledger(tmp_path_factory.mktemp("ahead"), 300, 3, "台账.xlsx")


@pytest.mark.parametrize("argv, expected", [
    (["bulletin", "{L}", "--month", "2025-12"], "{L}"),
    (["bulletin", "--month", "2025-12", "{L}"], "{L}"),
    (["compute", "{L}", "--out", "{O}"], "{L}"),
    (["compute", "--out", "{O}", "{L}"], "{L}"),         # an --out workbook is written, never read ahead
    (["mail", "out", "--ledger", "{L}", "--dry-run"], "{L}"),
    (["holidays", "{L}"], "{L}"),
    (["holidays", "--json"], None),
    (["template", "{O}", "--plain", "--from", "{L}"], None),   # not a reading command: reads as usual
    (["sample", "{O}"], None),
    (["check", "missing.xlsx"], None),                  # not a file: the command reports it itself
    (["check", "{L}.csv"], None),
    ([], None),
])
def test_the_ledger_argument_is_found_before_argparse(ledger, tmp_path, argv, expected):
    out = tmp_path / "out.xlsx"
    out.write_bytes(b"an earlier output")
    fill = {"{L}": str(ledger), "{O}": str(out), "{L}.csv": str(ledger.with_suffix(".csv"))}
    argv = [fill.get(a, a) for a in argv]
    assert sheets.ledger_argument(argv) == (fill[expected] if expected else None)


def test_a_read_ahead_gives_what_a_direct_read_gives(ledger):
    direct = sheets.load_tables(ledger)
    sheets.read_ahead(ledger)
    assert len(sheets._AHEAD) == 1
    ahead = sheets.load_tables(ledger)
    assert not sheets._AHEAD                              # taken once
    assert direct.keys() == ahead.keys()
    for name, table in direct.items():
        assert (table is None and ahead[name] is None) or table.equals(ahead[name]), name
    assert direct["工单台账"].num_rows == 300


def test_a_changed_file_is_read_again(ledger, tmp_path):
    copy = tmp_path / "副本.xlsx"
    copy.write_bytes(ledger.read_bytes())
    sheets.read_ahead(copy)
    sheets._AHEAD[next(iter(sheets._AHEAD))].result()      # the read ahead has finished
    copy.write_bytes(b"not a workbook any more")            # then the clerk replaced the file
    os.utime(copy, ns=(1, 1))
    with pytest.raises(LedgerFileError, match="不是有效的 Excel 工作簿"):
        sheets.load_tables(copy)
    sheets._AHEAD.clear()


def test_an_error_met_ahead_is_raised_when_the_job_reads(tmp_path):
    bad = tmp_path / "坏.xlsx"
    bad.write_bytes(b"PK but not really a zip")
    with pytest.raises(LedgerFileError) as direct:
        sheets.load_tables(bad)
    sheets.read_ahead(bad)
    with pytest.raises(LedgerFileError) as ahead:
        sheets.load_tables(bad)
    assert str(ahead.value) == str(direct.value) and "坏.xlsx" in str(ahead.value)


def test_the_entry_point_starts_reading_before_pandas_is_imported(ledger):
    probe = (
        "import sys, threading; sys.argv = ['jsjb', 'check', sys.argv[1]]\n"
        "import jsjb.launch, jsjb.io.sheets as s\n"
        "from jsjb.io.sheets import ledger_argument, read_ahead\n"
        "read_ahead(ledger_argument(sys.argv[1:]))\n"
        "print('pandas' in sys.modules, [t.name for t in threading.enumerate()], len(s._AHEAD))\n")
    proc = subprocess.run([sys.executable, "-c", probe, str(ledger)], capture_output=True, text=True, check=True)
    assert proc.stdout.strip() in ("False ['MainThread', 'jsjb-read-ahead'] 1", "False ['MainThread'] 1")


def test_the_program_runs_a_job_through_the_read_ahead(ledger):
    jsjb = Path(sys.executable).parent / "jsjb"
    command = [str(jsjb)] if jsjb.exists() else [sys.executable, "-m", "jsjb"]
    proc = subprocess.run([*command, "check", str(ledger), "--json", "--as-of", AS_OF, "-q"],
                          capture_output=True, text=True, encoding="utf-8")
    assert proc.returncode in (0, 1) and json.loads(proc.stdout)["rows"] == 300


def test_text_columns_cleaned_in_two_threads_give_the_same_ledger(ledger, monkeypatch):
    """Big ledgers clean their text columns in two threads (core.ledger._cleaned): same result."""
    from jsjb.core import ledger as core_ledger
    from jsjb.io.reader import read_sheets

    sheets = read_sheets(ledger)
    serial = core_ledger.build(sheets)
    monkeypatch.setattr(core_ledger, "THREADED_CLEAN_ROWS", 1)
    threaded = core_ledger.build(sheets)
    assert threaded.tickets.equals(serial.tickets) and threaded.issues == serial.issues


def test_the_tickets_sheet_as_arrow_gives_the_same_ledger(ledger, tmp_path, monkeypatch):
    """read_ledger hands 工单台账 to the core as pd.ArrowDtype (no copy); the typed ledger and its
    findings must be those of the str dtype, also for cells typed in odd ways."""
    import openpyxl

    from jsjb.core.ledger import build
    from jsjb.io.reader import read_sheets

    odd = tmp_path / "怪.xlsx"
    odd.write_bytes(ledger.read_bytes())
    wb = openpyxl.load_workbook(odd)
    ws = wb["工单台账"]
    col = {c.value: c.column for c in ws[1]}
    cells = {("派单时间", 2): "2024/3/1 9:30", ("派单时间", 3): "2025年3月1日", ("派单时间", 4): "45000.5",
             ("派单时间", 5): " 2025-01-02 08:00 ", ("办结时间", 6): "9:75", ("办结时间", 7): "不知道",
             ("时限类型", 8): "特急", ("延期1工作日", 9): "3.5", ("承办企业", 10): "  热力公司  ",
             ("诉求内容", 11): "   ", ("来话人", 12): "\u3000王五\u3000", ("回访结果", 13): ""}
    for (name, row), value in cells.items():
        ws.cell(row, col[name]).value = value
    wb.save(odd)
    plain = build(read_sheets(odd))
    arrow = build(read_sheets(odd, tickets_as_arrow=True))
    assert arrow.tickets.equals(plain.tickets)
    assert [i.as_dict() for i in arrow.issues] == [i.as_dict() for i in plain.issues]
    from jsjb.core import ledger as core_ledger

    monkeypatch.setattr(core_ledger, "THREADED_CLEAN_ROWS", 1)      # as a big ledger: two threads
    threaded = build(read_sheets(odd, tickets_as_arrow=True))
    assert threaded.tickets.equals(plain.tickets)
    assert [i.as_dict() for i in threaded.issues] == [i.as_dict() for i in plain.issues]
    assert len([i for i in plain.issues if i.sheet == "工单台账"]) >= 4        # the odd cells were seen


@pytest.mark.parametrize(("argv", "torn_down"), [
    (["check", "台账.xlsx"], False),          # a one-shot command: the process ends at once
    (["-q", "bulletin", "台账.xlsx"], False),
    (["serve", "台账.xlsx"], True),           # keeps its own processes and server: the usual exit
    (["doctor"], True),
])
def test_a_finished_command_leaves_without_the_interpreters_tear_down(argv, torn_down):
    """jsjb.launch.leave: the output written before is all there, the exit code is the command's, and
    the interpreter's tear-down (atexit) runs only for the commands that need it."""
    probe = ("import atexit, sys\n"
             "atexit.register(lambda: print('tear-down'))\n"
             "print('x' * 200000, end='')\n"                      # more than any pipe buffer holds
             "print('错误：最后一行', file=sys.stderr, end='')\n"
             "from jsjb.launch import leave\n"
             f"sys.exit(leave(3, {argv!r}))\n")
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, encoding="utf-8")
    assert proc.returncode == 3
    assert proc.stdout.startswith("x" * 200000) and proc.stderr.endswith("错误：最后一行")
    assert proc.stdout.endswith("tear-down\n") is torn_down


def test_a_job_with_worker_processes_ends_complete_through_the_entry_point(ledger, tmp_path):
    """The whole program (read ahead, forked writers, the early exit): every file written and whole."""
    import openpyxl

    jsjb = Path(sys.executable).parent / "jsjb"
    command = [str(jsjb)] if jsjb.exists() else [sys.executable, "-m", "jsjb"]
    proc = subprocess.run([*command, "bulletin", str(ledger), "--month", "2025-06", "--as-of", AS_OF,
                           "--out", str(tmp_path), "--json", "-q"], capture_output=True, text=True, encoding="utf-8")
    data = json.loads(proc.stdout)
    files = [data["files"]["bulletin"], *data["files"]["enterprises"].values()]
    assert proc.returncode == 0 and len(files) > 2
    for f in files:
        openpyxl.load_workbook(f, read_only=True).close()
