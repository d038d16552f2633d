"""Benchmark every job against the floor (``make bench``; not part of the test suite).

For each ledger size (sample ledgers, cached in bench/cache/) it times, as whole processes,
interleaved, the median of several runs:
  - the floor: fastexcel reading the 工单台账 sheet into Arrow;
  - every job: compute --json, bulletin, assess, dispatch, archive, compute --out;
  - the writer reference: XlsxWriter in constant-memory mode writing the same rows and
    columns as the whole-ledger jobs (the ledger plus the computed columns), no formatting;
plus each process's peak memory (ru_maxrss via wait4), and, in process, one UDF
(JSJB_DEADLINE) over a 100,000-row column through xlwings' dispatch harness.
Prints a table and writes it to docs/benchmark.md with the machine described.

    python scripts/bench.py                  # 10k, 100k, 1M rows, 3 runs each
    python scripts/bench.py --sizes 10000,100000 --runs 5
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "bench" / "cache"
REPORT = ROOT / "docs" / "benchmark.md"
AS_OF = "2026-01-05T10:00"
PY = sys.executable

FLOOR = ("import fastexcel, sys; r = fastexcel.read_excel(sys.argv[1]); "
         "t = r.load_sheet_by_name('工单台账').to_arrow(); print(t.num_rows)")
WRITER_REFERENCE = """
import sys, xlsxwriter, fastexcel, pandas as pd
src, dst = sys.argv[1], sys.argv[2]
frame = fastexcel.read_excel(src).load_sheet_by_name('工单台账').to_pandas()
for extra in ('行号', '办理期限', '材料截止', '确认时限', '状态', '是否及时', '提示'):
    frame[extra] = frame.iloc[:, 0]
import time
t0 = time.perf_counter()
wb = xlsxwriter.Workbook(dst, {'constant_memory': True, 'strings_to_formulas': False})
ws = wb.add_worksheet('s')
ws.write_row(0, 0, list(frame.columns))
cols = [frame[c].tolist() for c in frame.columns]
for i, row in enumerate(zip(*cols), start=1):
    ws.write_row(i, 0, [None if v != v else v for v in row])
wb.close()
print(f'write {time.perf_counter() - t0:.2f}', file=sys.stderr)
"""

# job → (argv after the ledger, goal as text, goal ratio, reference)
JOBS = {
    "compute --json": (["compute", "{ledger}", "--json"], 2.0, "floor"),
    "bulletin": (["bulletin", "{ledger}", "--month", "2025-12", "--out", "{tmp}"], 1.5, "floor"),
    "assess": (["assess", "{ledger}", "--year", "2025", "--out", "{tmp}"], 1.5, "floor"),
    "dispatch": (["dispatch", "{ledger}", "--out", "{tmp}"], 2.0, "floor"),
    "archive": (["archive", "{ledger}", "--out", "{tmp}/a.xlsx"], 1.5, "floor+writer"),
    "compute --out": (["compute", "{ledger}", "--out", "{tmp}/c.xlsx"], 1.5, "floor+writer"),
}
BIG_GOALS = {"bulletin": 2.0, "assess": 2.0}     # at 1,000,000 rows


def sample(rows: int) -> Path:
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"sample_{rows}.xlsx"
    if not path.exists():
        print(f"generating {path.name} (once; cached)…", file=sys.stderr, flush=True)
        subprocess.run([PY, "-m", "jsjb.cli", "sample", str(path), "--rows", str(rows), "--seed", "1", "-q"],
                       check=True)
    return path


def run(argv: list[str], env=None) -> tuple[float, float]:
    """Wall seconds and peak resident MB of one process."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        raise RuntimeError(f"failed: {' '.join(argv)}")
    return elapsed, usage.ru_maxrss / 1024


def udf_seconds(ledger: Path, rows: int) -> tuple[float, float]:
    """(through xlwings' dispatch harness, the function alone) for JSJB_DEADLINE over a column."""
    code = f"""
import os, sys, time, asyncio
os.environ['XLWINGS_ON_SERVER'] = 'true'; os.environ['XLWINGS_LICENSE_KEY'] = 'noncommercial'
sys.path.insert(0, {str(ROOT / "tests")!r})
import xlwings_harness; xlwings_harness.install()     # see tests/xlwings_harness.py
import fastexcel
from xlwings.server import custom_functions_call
import xlfuncs
f = fastexcel.read_excel({str(ledger)!r}).load_sheet_by_name('工单台账', n_rows={rows}).to_pandas()
def serial(c):
    return [[(v - __import__('pandas').Timestamp('1899-12-30')).total_seconds() / 86400 if v == v else ''] for v in f[c]]
args = [serial('派单时间'), [[v] for v in f['时限类型']], serial('法定期限'), [[0]] * len(f), serial('挂单开始'),
        serial('挂单结束'), None, None]
data = {{'func_name': 'JSJB_DEADLINE', 'args': args, 'version': 'dev', 'client': 'Office.js', 'runtime': '1.4'}}
t = time.perf_counter()
out = asyncio.run(custom_functions_call(data, xlfuncs))
harness = time.perf_counter() - t
t = time.perf_counter()
xlfuncs.JSJB_DEADLINE(*args)
print(harness, time.perf_counter() - t, len(out))
"""
    proc = subprocess.run([PY, "-c", code], capture_output=True, text=True, check=True)
    harness, own, _ = proc.stdout.split()
    return float(harness), float(own)


def machine() -> str:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    import fastexcel
    import pandas
    import xlsxwriter

    return (f"{os.cpu_count()} CPU ({cpu}), {mem:.0f} GiB RAM, {platform.system()} {platform.release()}, "
            f"Python {platform.python_version()}, pandas {pandas.__version__}, fastexcel {fastexcel.__version__}, "
            f"XlsxWriter {xlsxwriter.__version__}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", default="10000,100000,1000000")
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--runs-big", type=int, default=1, help="runs at 1,000,000 rows and more (each takes minutes)")
    p.add_argument("--jobs", default=",".join(JOBS))
    p.add_argument("--no-report", action="store_true", help="print only; do not write docs/benchmark.md")
    args = p.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    jobs = [j for j in args.jobs.split(",") if j in JOBS]
    env = {**os.environ, "JSJB_LOG": os.devnull}
    rows_out = []
    for n in sizes:
        ledger = sample(n)
        with tempfile.TemporaryDirectory() as tmp:
            commands = {"floor (fastexcel)": [PY, "-c", FLOOR, str(ledger)],
                        "writer reference": [PY, "-c", WRITER_REFERENCE, str(ledger), f"{tmp}/ref.xlsx"]}
            for job in jobs:
                argv = [a.format(ledger=ledger, tmp=tmp) for a in JOBS[job][0]]
                commands[job] = [PY, "-m", "jsjb.cli", *argv, "--as-of", AS_OF, "-q"]
            times = {k: [] for k in commands}
            peaks = {k: 0.0 for k in commands}
            runs = args.runs if n < 1_000_000 else args.runs_big
            for r in range(runs):                            # interleaved runs
                for name, argv in commands.items():
                    secs, peak = run(argv, env)
                    times[name].append(secs)
                    peaks[name] = max(peaks[name], peak)
                    print(f"{n:>9} run {r + 1}/{runs} {name:<18} {secs:7.2f} s {peak:7.0f} MB",
                          file=sys.stderr, flush=True)
            med = {k: statistics.median(v) for k, v in times.items()}
            floor, writer = med["floor (fastexcel)"], med["writer reference"]
            for name in commands:
                goal, reference = "", ""
                ratio = med[name] / floor
                if name in JOBS:
                    _, limit, ref = JOBS[name]
                    if n >= 1_000_000:
                        limit = BIG_GOALS.get(name, limit)
                    base = floor + writer if ref == "floor+writer" else floor
                    ratio = med[name] / base
                    reference = "读取+写入" if ref == "floor+writer" else "读取"
                    goal = f"≤ {limit:g}×{reference}" if (name not in ("compute --json", "dispatch") or n <= 100_000) \
                        else ""
                    ok = ratio <= limit
                    goal = f"{goal} {'✓' if ok else '✗'}" if goal else ""
                    if n >= 100_000:
                        memory_limit = 4096 if n >= 1_000_000 else 1024
                        memory_ok = peaks[name] < memory_limit
                        goal = f"{goal}；内存 < {memory_limit // 1024} GB {'✓' if memory_ok else '✗'}".lstrip("；")
                rows_out.append((n, name, med[name], ratio, peaks[name], goal))
        if n == 100_000 or (n == sizes[-1] and 100_000 not in sizes):
            harness, own = udf_seconds(ledger, min(n, 100_000))
            rows_out.append((min(n, 100_000), "UDF JSJB_DEADLINE 经 xlwings 调度（进程内）", harness, float("nan"),
                             float("nan"), f"≤ 1 s {'✓' if harness <= 1 else '✗'}"))
            rows_out.append((min(n, 100_000), "UDF JSJB_DEADLINE 函数本身（进程内）", own, float("nan"), float("nan"),
                             f"≤ 1 s {'✓' if own <= 1 else '✗'}"))
    header = "| 行数 | 任务 | 中位数（秒） | 与基准之比 | 峰值内存（MB） | 目标 |\n|---:|---|---:|---:|---:|---|"
    lines = [header] + [
        f"| {n:,} | {name} | {secs:.2f} | {'' if ratio != ratio else f'{ratio:.2f}'} | "
        f"{'' if peak != peak else f'{peak:.0f}'} | {goal} |"
        for n, name, secs, ratio, peak, goal in rows_out]
    table = "\n".join(lines)
    print(table)
    if not args.no_report:
        REPORT.write_text(
            "# 性能基准（scripts/bench.py）\n\n"
            f"机器：{machine()}。\n\n"
            f"每项为整个进程的耗时（含 Python 启动），{args.runs} 次交替运行取中位数（100 万行为 {args.runs_big} 次）；"
            "峰值内存为该进程的最大常驻内存。"
            "“与基准之比”：读取类任务相对“读取下限”（fastexcel 读取工单台账），写整本台账的任务（archive、compute --out）"
            "相对“读取下限 + XlsxWriter 常量内存模式写同样行列的时间”（writer reference，不含格式）。"
            "峰值内存目标：10 万行 < 1 GB，100 万行 < 4 GB。\n\n" + table + "\n", encoding="utf-8")
        print(f"\nwritten to {REPORT}", file=sys.stderr)


if __name__ == "__main__":
    main()
