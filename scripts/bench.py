"""Benchmark every job against the floor (``make bench``; not part of the test suite).

For each ledger size (sample ledgers, cached in bench/cache/) it times, as whole processes,
interleaved, the median of several runs:
  - the floor: fastexcel reading the 工单台账 sheet into Arrow;
  - every job: compute --json, bulletin, assess, dispatch, archive, compute --out; bulletin --docx and
    assess --docx (the 公文 draft) against the same job without it;
  - the writer reference: XlsxWriter in constant-memory mode writing the same rows and
    columns as the whole-ledger jobs (the ledger plus the computed columns), no formatting;
plus each process's peak memory (ru_maxrss via wait4) and CPU seconds (user + system, its
forked workers included), the load average of the machine while it ran (other work competes
for the cores), the browser door's warm path (/api/bulletin twice in one server process: the
second request finds the parsed ledger in the cache), and, in process, one UDF (JSJB_DEADLINE)
over a 100,000-row column through xlwings' dispatch harness.
Each writer is measured in its own table: XlsxWriter (the default install) and, where the opt-in
extra jsjb[fast-writer] is installed, the Rust writer (JSJB_WRITER unset). The goals are those of
the default install. Prints the tables and writes them to docs/benchmark.md with the machine described.

    python scripts/bench.py                  # 10k, 100k, 1M rows, 3 runs each, both writers
    python scripts/bench.py --sizes 10000,100000 --runs 5 --writers xlsxwriter
"""

from __future__ import annotations

import argparse
import os
import platform
import re
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

WRITER_REFERENCE_RUST = """
import sys, time, fastexcel, pyarrow as pa, pyarrow.compute as pc, rvgsrust_xlsxwriter as rx
src, dst, sheets = sys.argv[1], sys.argv[2], sys.argv[3]
table = pa.Table.from_batches([fastexcel.read_excel(src).load_sheet('工单台账', eager=True)])
for extra in ('行号', '办理期限', '材料截止', '确认时限', '状态', '是否及时', '提示'):
    table = table.append_column(extra, table.column(0))
parts = [table]
if sheets == 'archive':    # what the archive writes: its catalogue (closed tickets) and the year's whole ledger
    parts = [table.filter(pc.is_valid(table.column('办结时间'))), table]
t0 = time.perf_counter()
wb = rx.Workbook(dst)
for k, part in enumerate(parts):
    ws = wb.add_worksheet(f's{k}', constant_memory=True)
    ws.write_dataframe(0, 0, part)
wb.close()
print(f'write {time.perf_counter() - t0:.2f}', file=sys.stderr)
"""


def rust_installed() -> bool:
    """Whether the opt-in Rust writer (jsjb[fast-writer]) is installed here."""
    try:
        import rvgsrust_xlsxwriter  # noqa: F401
    except ImportError:
        return False
    return True


WRITERS = {"xlsxwriter": "XlsxWriter（默认安装）", "rust": "Rust 写入库（可选组件 jsjb[fast-writer]）"}


# job → (argv after the ledger, goal ratio, reference) — the goals of issue #16, at 100,000 and 1,000,000 rows
JOBS = {
    "compute --json": (["compute", "{ledger}", "--json"], 2.0, "floor"),
    "bulletin": (["bulletin", "{ledger}", "--month", "2025-12", "--out", "{tmp}"], 1.5, "floor"),
    "assess": (["assess", "{ledger}", "--year", "2025", "--out", "{tmp}"], 1.5, "floor"),
    "dispatch": (["dispatch", "{ledger}", "--out", "{tmp}"], 2.0, "floor"),
    "archive": (["archive", "{ledger}", "--out", "{tmp}/a.xlsx"], 1.2, "floor+archive writer"),   # a new archive
    "archive (rerun)": (["archive", "{ledger}", "--out", "{tmp}/again.xlsx"], None, "floor+archive writer"),
    "compute --out": (["compute", "{ledger}", "--out", "{tmp}/c.xlsx"], 1.2, "floor+writer"),
    # the 公文 draft (issue #22), against the same job without it, at every size
    "bulletin --docx": (["bulletin", "{ledger}", "--month", "2025-12", "--out", "{tmp}", "--docx"], 2.0, "bulletin"),
    "assess --docx": (["assess", "{ledger}", "--year", "2025", "--out", "{tmp}", "--docx"], 3.0, "assess"),
    # issue #25: an export of a tenth of the ledger's rows against the ledger ≤ 2× reading both
    "intake --json": (["intake", "{export}", "--ledger", "{ledger}", "--json"], 2.0, "floor+export"),
    "intake --out": (["intake", "{export}", "--ledger", "{ledger}", "--out", "{tmp}/i.xlsx", "--force"], 2.0,
                     "floor+export"),
}
NO_AS_OF = {"intake --json", "intake --out"}
# reading both files of an intake as fast as they can be read: the ledger's 工单台账 and every cell of the
# export, both with fastexcel (Arrow) — the reader intake uses
FLOOR_EXPORT = ("import fastexcel, sys; "
                "t = fastexcel.read_excel(sys.argv[1]).load_sheet_by_name('工单台账').to_arrow(); "
                "x = fastexcel.read_excel(sys.argv[2]); "
                "print(t.num_rows, sum(x.load_sheet(n, header_row=None, dtypes='string', skip_rows=0).to_arrow().num_rows "
                "for n in x.sheet_names))")
WARM_GOAL = 0.5          # seconds for /api/bulletin on 100,000 rows when the ledger is already parsed
WARM = """
import os, sys, time, tempfile
os.environ['JSJB_LOG'] = os.devnull
from starlette.testclient import TestClient
from jsjb.web.app import create_app
ledger, as_of = sys.argv[1], sys.argv[2]
app = create_app(ledger, work_dir=tempfile.mkdtemp(), password="")
url = f"/api/bulletin?month=2025-12&as_of={as_of}"
with TestClient(app) as client:
    times = []
    for _ in range(4):
        t = time.perf_counter()
        r = client.get(url)
        times.append(time.perf_counter() - t)
        assert r.status_code == 200, r.text[:200]
print(*times)
"""


def sample(rows: int) -> Path:
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"sample_{rows}.xlsx"
    if not path.exists():
        print(f"generating {path.name} (once; cached)…", file=sys.stderr, flush=True)
        subprocess.run([PY, "-m", "jsjb.cli", "sample", str(path), "--rows", str(rows), "--seed", "1", "-q"],
                       check=True)
    return path


def export_sample(rows: int) -> Path:
    """The sample export of the system for the sample ledger of ``rows`` (its last tenth), cached."""
    path = CACHE / f"sample_{rows}_export.xlsx"
    if not path.exists():
        subprocess.run([PY, "-m", "jsjb.cli", "sample", "--export", str(path), "--rows", str(rows), "--seed", "1",
                        "--export-rows", str(max(rows // 10, 1)), "-q"], check=True)
    return path


def run(argv: list[str], env=None) -> tuple[float, float, float]:
    """Wall seconds, peak resident MB and CPU seconds (user + system, with the workers it waited
    for) of one process."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        raise RuntimeError(f"failed: {' '.join(argv)}")
    return elapsed, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime


def warm_bulletin(ledger: Path, env: dict) -> tuple[float, float]:
    """/api/bulletin in one browser-door process: (first request, the median of the next three)."""
    proc = subprocess.run([PY, "-c", WARM, str(ledger), AS_OF], capture_output=True, text=True, check=True, env=env)
    first, *warm = (float(x) for x in proc.stdout.split())
    return first, statistics.median(warm)


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
            f"XlsxWriter {xlsxwriter.__version__}, rvgsrust-xlsxwriter {_version('rvgsrust-xlsxwriter')}")


def _version(dist: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(dist)
    except PackageNotFoundError:
        return "未安装"


def measure(sizes: list[int], jobs: list[str], runs_small: int, runs_big: int, writer: str, loads: list) -> list:
    """One writer's rows of the table (the jobs run with JSJB_WRITER set for it)."""
    env = {**os.environ, "JSJB_LOG": os.devnull}
    env.pop("JSJB_WRITER", None)
    if writer == "xlsxwriter":
        env["JSJB_WRITER"] = "xlsxwriter"
    rust = writer == "rust"
    rows_out = []
    for n in sizes:
        ledger = sample(n)
        with tempfile.TemporaryDirectory() as tmp:
            commands = {"floor (fastexcel)": [PY, "-c", FLOOR, str(ledger)]}
            intake = [j for j in jobs if j in NO_AS_OF]
            export = export_sample(n) if intake else None
            if intake:
                commands["floor (ledger + export)"] = [PY, "-c", FLOOR_EXPORT, str(ledger), str(export)]
            writes = any(JOBS[j][2].startswith("floor+") and JOBS[j][2] != "floor+export" for j in jobs)
            if writes and (not rust or n < 1_000_000):   # XlsxWriter's reference takes minutes at 1M
                commands["writer reference"] = [PY, "-c", WRITER_REFERENCE, str(ledger), f"{tmp}/ref.xlsx"]
            if rust and writes:
                commands["writer reference (Rust)"] = [PY, "-c", WRITER_REFERENCE_RUST, str(ledger), f"{tmp}/ref2.xlsx",
                                                       "ledger"]
                if "archive" in jobs:
                    commands["writer reference (Rust, archive)"] = [PY, "-c", WRITER_REFERENCE_RUST, str(ledger),
                                                                    f"{tmp}/ref3.xlsx", "archive"]
            for job in jobs:
                argv = [a.format(ledger=ledger, tmp=tmp, export=export) for a in JOBS[job][0]]
                as_of = [] if job in NO_AS_OF else ["--as-of", AS_OF]
                commands[job] = [PY, "-m", "jsjb", *argv, *as_of, "-q"]   # the entry point: reads ahead
            times = {k: [] for k in commands}
            cpus = {k: [] for k in commands}
            peaks = {k: 0.0 for k in commands}
            runs = runs_small if n < 1_000_000 else runs_big
            if "archive (rerun)" in commands:                # its earlier archive, whose numbers a rerun keeps
                run(commands["archive (rerun)"], env)
            for r in range(runs):                            # interleaved runs
                for name, argv in commands.items():
                    if name == "archive":                    # each run writes a new archive (none to read back)
                        Path(tmp, "a.xlsx").unlink(missing_ok=True)
                    secs, peak, cpu = run(argv, env)
                    times[name].append(secs)
                    cpus[name].append(cpu)
                    peaks[name] = max(peaks[name], peak)
                    loads.append(os.getloadavg()[0])
                    print(f"{writer:>10} {n:>9} run {r + 1}/{runs} {name:<18} {secs:7.2f} s {cpu:7.2f} s CPU "
                          f"{peak:7.0f} MB", file=sys.stderr, flush=True)
            med = {k: statistics.median(v) for k, v in times.items()}
            cpu_med = {k: statistics.median(v) for k, v in cpus.items()}
            floor = med["floor (fastexcel)"]
            writer_ref = med.get("writer reference (Rust)" if rust else "writer reference", float("nan"))  # in use
            archive_writer = med.get("writer reference (Rust, archive)", 2 * writer_ref)  # two sheets (XlsxWriter: ≈ twice)
            for name in commands:
                goal = ""
                ratio = med[name] / floor
                if name in JOBS:
                    _, limit, ref = JOBS[name]
                    limit = limit or float("inf")                    # no goal: measured only
                    if ref in med:                                   # another job: the same without the draft
                        ratio = med[name] / med[ref]
                        goal = f"≤ {limit:g}×{ref} {'✓' if ratio <= limit else '✗'}"
                        rows_out.append((n, name, med[name], ratio, cpu_med[name], peaks[name], goal))
                        continue
                    base = {"floor+writer": floor + writer_ref, "floor+archive writer": floor + archive_writer,
                            "floor+export": med.get("floor (ledger + export)", floor)}.get(ref, floor)
                    ratio = med[name] / base
                    reference = {"floor": "读取", "floor+export": "读取台账和导出文件"}.get(
                        ref, "读取+Rust写入" if rust else "读取+写入")
                    goal = (f"≤ {limit:g}×{reference} {'✓' if ratio <= limit else '✗'}"
                            if n >= 100_000 and limit != float("inf") else "")
                    if n >= 100_000:
                        memory_limit = 4096 if n >= 1_000_000 else 1024
                        memory_ok = peaks[name] < memory_limit
                        goal = f"{goal}；内存 < {memory_limit // 1024} GB {'✓' if memory_ok else '✗'}".lstrip("；")
                rows_out.append((n, name, med[name], ratio, cpu_med[name], peaks[name], goal))
        if n == 100_000:
            first, warm = warm_bulletin(ledger, env)
            loads.append(os.getloadavg()[0])
            rows_out.append((n, "/api/bulletin 首次（浏览器端，含读取）", first, float("nan"), float("nan"), float("nan"), ""))
            rows_out.append((n, "/api/bulletin 再次（台账已在内存）", warm, float("nan"), float("nan"), float("nan"),
                             f"≤ {WARM_GOAL:g} s {'✓' if warm <= WARM_GOAL else '✗'}"))
    return rows_out


def table(rows_out: list) -> str:
    header = ("| 行数 | 任务 | 中位数（秒） | 与基准之比 | CPU（秒） | 峰值内存（MB） | 目标 |\n"
              "|---:|---|---:|---:|---:|---:|---|")

    def num(x, fmt):
        return "" if x != x else format(x, fmt)

    return "\n".join([header] + [
        f"| {n:,} | {name} | {secs:.2f} | {num(ratio, '.2f')} | {num(cpu, '.2f')} | {num(peak, '.0f')} | {goal} |"
        for n, name, secs, ratio, cpu, peak, goal in rows_out])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", default="10000,100000,1000000")
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--runs-big", type=int, default=1, help="runs at 1,000,000 rows and more (each takes minutes)")
    p.add_argument("--jobs", default=",".join(JOBS))
    p.add_argument("--writers", default="xlsxwriter,rust", help="xlsxwriter (default install), rust (opt-in extra)")
    p.add_argument("--no-report", action="store_true", help="print only; do not write docs/benchmark.md")
    args = p.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    jobs = [j for j in args.jobs.split(",") if j in JOBS]
    writers = [w for w in args.writers.split(",") if w == "xlsxwriter" or (w == "rust" and rust_installed())]
    loads = [os.getloadavg()[0]]
    sections = []
    for writer in writers:
        rows_out = measure(sizes, jobs, args.runs, args.runs_big, writer, loads)
        if writer == "xlsxwriter" and 100_000 in sizes:
            harness, own = udf_seconds(sample(100_000), 100_000)
            rows_out.append((100_000, "UDF JSJB_DEADLINE 经 xlwings 调度（进程内）", harness, float("nan"),
                             float("nan"), float("nan"), f"≤ 1 s {'✓' if harness <= 1 else '✗'}"))
            rows_out.append((100_000, "UDF JSJB_DEADLINE 函数本身（进程内）", own, float("nan"), float("nan"),
                             float("nan"), f"≤ 1 s {'✓' if own <= 1 else '✗'}"))
        sections.append((writer, table(rows_out)))
        print(f"\n{WRITERS[writer]}\n{sections[-1][1]}")
    load = f"{min(loads):.1f}–{max(loads):.1f}（中位数 {statistics.median(loads):.1f}）"
    print(f"load average (1 min) during the run: {load}", file=sys.stderr)
    if not args.no_report:
        body = "".join(f"\n## 写入：{WRITERS[w]}\n\n{t}\n" for w, t in sections)
        previous = REPORT.read_text(encoding="utf-8") if REPORT.exists() else ""
        kept = re.search(r"^## (?!写入：).*", previous, re.M)     # hand-written notes and other scripts' sections
        kept = previous[kept.start():] if kept else ""
        REPORT.write_text(
            "# 性能基准（scripts/bench.py）\n\n"
            f"机器：{machine()}。运行期间的 1 分钟平均负载：{load}（负载高于核数时，各进程互相争用 CPU，"
            "耗时偏大，且对多进程并行写入的任务更不利）。\n\n"
            f"每项为整个进程的耗时（含 Python 启动），{args.runs} 次交替运行取中位数（100 万行为 {args.runs_big} 次）；"
            "CPU 为该进程（含其等待的子进程）的用户态 + 内核态 CPU 秒数的中位数；峰值内存为该进程的最大常驻内存。"
            "“与基准之比”：读取类任务相对“读取下限”（fastexcel 读取工单台账），写整本台账的任务（archive、compute --out）"
            "相对“读取下限 + 写同样行列的下限”：XlsxWriter 常量内存模式逐行写的时间（writer reference，不含格式；"
            "archive 写两张表，按两倍计），装有可选的 Rust 写入库时为它直接写 Arrow 表的时间（writer reference (Rust)）。\n\n"
            "目标（默认安装，即 XlsxWriter）：10 万行时 bulletin、assess ≤ 1.5 倍读取下限，compute --json、dispatch ≤ 2 倍，"
            "archive、compute --out ≤ 1.2 倍（读取 + 写入）；峰值内存 10 万行 < 1 GB，100 万行 < 4 GB；浏览器端 "
            "/api/bulletin 在台账已读入内存时 ≤ 0.5 秒（10 万行）。\n" + body + ("\n" + kept if kept else ""),
            encoding="utf-8")
        print(f"\nwritten to {REPORT}", file=sys.stderr)


if __name__ == "__main__":
    main()
