"""A ribbon button warm (in the Python process the UDF server keeps: ``Use UDF Server = True``) versus
cold (RunPython starting ``python -c "import macros; …"`` for every click) — measured here, on Linux,
with xlwings' remote engine standing in for Excel (the conformance harness of DESIGN.md: a JSON book
as the calling workbook). Not a timed test: it writes its section of docs/benchmark.md.

What the figures cover: the Python side of a click — for cold, the interpreter's start and the imports
(xlwings, pandas, jsjb …) plus the job; for warm, the job alone. The harness builds the JSON book of
the ledger in the child process; that time is measured there and taken off (on Windows, Book.caller
is a COM lookup instead). What they do not cover, and a Windows PC must measure: cmd.exe starting the
interpreter (cold), reading the ledger through COM (both; it grows with the ledger), and the first
click after opening Excel, which starts the UDF server itself.

Usage: python scripts/bench_buttons.py [--rows 2000,20000] [--runs 5] [--no-report]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TESTS = ROOT / "tests"
REPORT = ROOT / "docs" / "benchmark.md"
BEGIN, END = "<!-- bench_buttons: begin -->", "<!-- bench_buttons: end -->"
BUTTONS = {"刷新": "refresh(as_of=AS_OF)", "日调度": "dispatch(as_of=AS_OF, out=OUT)",
           "月通报": "bulletin('2025-12', as_of=AS_OF, out=OUT)"}
AS_OF = "2026-01-05 10:00"
os.environ.setdefault("XLWINGS_ON_SERVER", "true")
os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")
sys.path[:0] = [str(TESTS), str(ROOT)]


def child_code(ledger: Path, out: Path, call: str) -> str:
    """What a cold click runs: a fresh interpreter that imports everything, then the job. The
    harness's book set-up is timed apart and printed first."""
    return (f"import sys, time; sys.path[:0] = [{str(TESTS)!r}, {str(ROOT)!r}]\n"
            "import xlwings_harness; xlwings_harness.install()\n"
            "import macros\n"                          # what RunPython's command imports, counted in the click
            "import fake_excel\n"
            f"t = time.perf_counter(); fake_excel.json_book_from_file({str(ledger)!r}, computed=False).set_mock_caller()\n"
            "setup = time.perf_counter() - t\n"
            f"AS_OF, OUT = {AS_OF!r}, {str(out)!r}\n"
            f"assert macros.{call} is not None\n"
            "print(setup)\n")


def cold(ledger: Path, out: Path, call: str) -> float:
    env = dict(os.environ, XLWINGS_ON_SERVER="true", XLWINGS_LICENSE_KEY="noncommercial")
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-B", "-c", child_code(ledger, out, call)], capture_output=True,
                          text=True, env=env, check=True)
    total = time.perf_counter() - started
    return total - float(proc.stdout.split()[-1])


def startup() -> float:
    """What every cold click pays before any work: a new interpreter importing xlwings, pandas and
    this tool (``import macros``), as RunPython's ``python -c "…; import macros; …"`` does."""
    env = dict(os.environ, XLWINGS_ON_SERVER="true", XLWINGS_LICENSE_KEY="noncommercial")
    code = (f"import sys; sys.path[:0] = [{str(TESTS)!r}, {str(ROOT)!r}]\n"
            "import xlwings_harness; xlwings_harness.install()\nimport xlwings, macros\n")
    started = time.perf_counter()
    subprocess.run([sys.executable, "-B", "-c", code], check=True, env=env)
    return time.perf_counter() - started


def warm(ledger: Path, out: Path, call: str) -> float:
    import xlwings_harness

    xlwings_harness.install()
    import fake_excel

    import macros

    book = fake_excel.json_book_from_file(ledger, computed=False)
    book.set_mock_caller()
    started = time.perf_counter()
    result = eval(f"macros.{call}", {"macros": macros, "AS_OF": AS_OF, "OUT": str(out)})   # noqa: S307 - our own table
    seconds = time.perf_counter() - started
    assert result is not None
    book.close()                  # the remote engine keeps every book it opened; the harness's, not the product's
    return seconds


def load() -> float:
    return os.getloadavg()[0]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rows", default="2000,20000")
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--no-report", action="store_true")
    args = p.parse_args()
    from jsjb import jobs

    rows_out, loads = [], []
    starts = []
    for _ in range(args.runs):
        loads.append(load())
        starts.append(startup())
    start = statistics.median(starts)
    print(f"start + imports: {start:.2f} s", file=sys.stderr)
    with tempfile.TemporaryDirectory() as tmp:
        for n in (int(x) for x in args.rows.split(",")):
            ledger = Path(tmp) / f"台账_{n}.xlsx"
            jobs.sample(ledger, rows=n, year=2025, seed=11, force=True)
            out = Path(tmp) / f"out_{n}"
            for label, call in BUTTONS.items():
                warm(ledger, out, call)                                   # the server has run a job before
                w, c = [], []
                for _ in range(args.runs):
                    loads.append(load())
                    c.append(cold(ledger, out, call))
                    w.append(warm(ledger, out, call))
                cm, wm = statistics.median(c), statistics.median(w)
                rows_out.append((n, label, cm, wm, cm - wm))
                print(f"{n:>7,} {label}: cold {cm:.2f} s, warm {wm:.2f} s", file=sys.stderr)
    table = ("| 行数 | 按钮 | 新进程（冷，秒） | 常驻进程（热，秒） | 每次点击省下（秒） |\n|---:|---|---:|---:|---:|\n" +
             "\n".join(f"| {n:,} | {label} | {c:.2f} | {w:.2f} | {d:.2f} |" for n, label, c, w, d in rows_out))
    span = f"{min(loads):.1f}–{max(loads):.1f}（中位数 {statistics.median(loads):.1f}）"
    print(table)
    if args.no_report:
        return
    section = (f"{BEGIN}\n## 按钮：常驻进程与新进程（scripts/bench_buttons.py）\n\n"
               "加载项设置 `Use UDF Server = True` 时，按钮在单元格函数已启动的常驻 Python 进程中运行（热）；否则每次点击"
               "都经 cmd.exe 新启动 Python（冷）。**这是在 Linux 上用 xlwings 的远程引擎（测试用的一致性工具，JSON 工作簿"
               "代替 Excel）测得的 Python 一侧的时间，不是在 Windows + Excel 上测的**：冷 = 新进程启动、导入 xlwings/pandas/"
               "本工具、运行任务（不含测试工具构造 JSON 工作簿的时间）；热 = 同一进程中只运行任务。未包含、需在 Windows 上"
               "实测的：cmd.exe 启动 Python 的开销（冷）、经 COM 读取台账的时间（冷热相同，随台账增大），以及打开 Excel 后"
               "第一次计算或点击时启动常驻进程的几秒。\n\n"
               f"机器同上；运行期间 1 分钟平均负载：{span}；每项 {args.runs} 次取中位数，"
               "热的一次之前先在同一进程中运行过一次任务。新启动 Python 并导入 xlwings、pandas 和本工具（`import macros`，"
               f"不运行任务）用时 **{start:.2f} 秒**（中位数）：这是常驻进程为每次点击省下的固定开销；下表中"
               "“冷 − 热”与它的差别来自测量波动（负载高时明显）。大台账上两者都主要花在任务本身和测试工具逐格转换数值上。"
               "\n\n" + table + f"\n{END}\n")
    text = REPORT.read_text(encoding="utf-8") if REPORT.exists() else ""
    if BEGIN in text:
        text = re.sub(re.escape(BEGIN) + ".*?" + re.escape(END) + "\n?", lambda m: section, text, flags=re.S)
    else:
        text = text.rstrip("\n") + "\n\n" + section
    REPORT.write_text(text, encoding="utf-8")
    print(f"written to {REPORT}", file=sys.stderr)


if __name__ == "__main__":
    main()
