"""Benchmark the plain ledger (issue #21; not part of the test suite): building it, and LibreOffice
opening and recalculating it.

For each size (the sample ledgers of scripts/bench.py, cached in bench/cache/) it times, as whole
processes, interleaved, the median of several runs:
  - ``jsjb template OUT --plain --from LEDGER`` (the default 5,000 spare rows), now and — with
    ``--before REF`` — as the commit REF built it (its ``jsjb`` package exported with ``git archive``
    and run by the same interpreter);
  - ``jsjb compute LEDGER --out OUT`` on the same ledger (the yardstick of the goal: ≤ 4× at 10,000
    rows, and < 600 MB);
  - LibreOffice (headless, a fresh profile that recalculates every formula on load) opening the
    built ledger and saving its first sheet as CSV, which needs every computed cell, less the
    time LibreOffice takes for an empty workbook (started the same way);
and, at 20,000 tickets, LibreOffice on the same ledger built with ``--spare 0`` (goal: the ledger
with 5,000 spare rows takes under 2× as long). Each process's peak memory (ru_maxrss) and CPU
seconds are recorded, and the load average (``uptime``) before and after: the machine is shared.

    python scripts/bench_plain.py                                  # 3k, 10k, 20k, 100k; 3 runs (100k: 1)
    python scripts/bench_plain.py --before efb7520 --runs-before 1 # with the figures before #21
    python scripts/bench_plain.py --sizes 10000 --no-report

Writes its section "## 通用台账" of docs/benchmark.md (the rest of the file is left as it is).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT / "tests"))

import bench  # noqa: E402  (scripts/bench.py: sample ledgers, process timing, machine)
from lo import profile, soffice  # noqa: E402  (tests/lo.py: LibreOffice with recalculation on load)

REPORT = ROOT / "docs" / "benchmark.md"
HEADING = "## 通用台账（template --plain --from，issue #21）"
PY = sys.executable
AS_OF = bench.AS_OF
TEN_K_RATIO = 4.0            # goal at 10,000 rows: ≤ 4 × compute --out
TEN_K_MB = 600               # and < 600 MB peak
SPARE_RATIO = 2.0            # LibreOffice: 20,000 + 5,000 spare rows < 2 × 20,000 + 0

# Runs `jsjb` from another source tree (``--before``): the editable install of this checkout would
# otherwise win the import.
OTHER_TREE = """
import sys, runpy
sys.meta_path[:] = [f for f in sys.meta_path if 'editable' not in repr(f).lower()]
sys.path.insert(0, sys.argv[1])
sys.argv = ['jsjb', *sys.argv[2:]]
runpy.run_module('jsjb', run_name='__main__', alter_sys=True)
"""


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()


def export_tree(ref: str, where: Path) -> Path:
    """The ``jsjb`` package as commit ``ref`` had it, unpacked into ``where``."""
    where.mkdir(parents=True, exist_ok=True)
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", ref, "jsjb"], capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", str(where)], input=archive.stdout, check=True)
    return where


def libreoffice(path: Path, work: Path) -> tuple[float, float, float]:
    """LibreOffice opening ``path`` (recalculating every formula) and saving its first sheet as CSV:
    (wall seconds, peak MB, CPU seconds)."""
    work.mkdir(parents=True, exist_ok=True)
    url = profile(work / "profile")
    subprocess.run([soffice(), f"-env:UserInstallation={url}", "--headless", "--norestore", "--terminate_after_init"],
                   capture_output=True, check=False, timeout=300)        # the profile is created outside the timing
    out = work / "out"
    secs, peak, cpu = bench.run([soffice(), f"-env:UserInstallation={url}", "--headless", "--norestore",
                                 "--convert-to", "csv", "--outdir", str(out), str(path)])
    produced = out / (path.stem + ".csv")
    if not produced.exists() or produced.stat().st_size == 0:
        raise RuntimeError(f"LibreOffice did not convert {path}")
    produced.unlink()
    return secs, peak, cpu


def empty_workbook(where: Path) -> Path:
    import xlsxwriter

    path = where / "empty.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    wb.add_worksheet("s").write_string(0, 0, "x")
    wb.close()
    return path


def med(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", default="3000,10000,20000,100000")
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--runs-big", type=int, default=1, help="runs at 100,000 rows and more")
    p.add_argument("--before", metavar="REF", help="also time the commit REF (e.g. efb7520, before #21)")
    p.add_argument("--runs-before", type=int, default=1)
    p.add_argument("--before-max", type=int, default=100_000, help="largest size to time REF at")
    p.add_argument("--lo-runs", type=int, default=3, help="LibreOffice runs (100,000 rows: 1)")
    p.add_argument("--no-report", action="store_true")
    args = p.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    env = {**os.environ, "JSJB_LOG": os.devnull}
    load_before = uptime()
    print(load_before, file=sys.stderr)
    build_rows, lo_rows, spare_rows = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        tree = export_tree(args.before, tmp / "before") if args.before else None
        baseline = [libreoffice(empty_workbook(tmp), tmp / f"lo_empty{k}")[0] for k in range(args.lo_runs)]
        lo_base = med(baseline)
        for n in sizes:
            ledger = bench.sample(n)
            big = n >= 100_000
            runs = args.runs_big if big else args.runs
            out = tmp / f"plain_{n}.xlsx"
            commands = {
                "after": [PY, "-m", "jsjb", "template", str(out), "--plain", "--from", str(ledger), "--force", "-q"],
                "compute --out": [PY, "-m", "jsjb", "compute", str(ledger), "--out", str(tmp / "c.xlsx"), "--force",
                                  "--as-of", AS_OF, "-q"],
            }
            if tree is not None and n <= args.before_max:
                commands["before"] = [PY, "-c", OTHER_TREE, str(tree), "template", str(tmp / f"old_{n}.xlsx"),
                                      "--plain", "--from", str(ledger), "--force", "-q"]
            times = {k: [] for k in commands}
            cpus = {k: [] for k in commands}
            peaks = {k: 0.0 for k in commands}
            for r in range(runs):
                for name, argv in commands.items():
                    if name == "before" and r >= args.runs_before:
                        continue
                    secs, peak, cpu = bench.run(argv, env)
                    times[name].append(secs)
                    cpus[name].append(cpu)
                    peaks[name] = max(peaks[name], peak)
                    print(f"{n:>8} run {r + 1}/{runs} {name:<14} {secs:7.2f} s {cpu:7.2f} s CPU {peak:6.0f} MB "
                          f"(load {os.getloadavg()[0]:.1f})", file=sys.stderr, flush=True)
            build_rows.append(measured(n, times, cpus, peaks))
            lo_runs = 1 if big else args.lo_runs
            lo = [libreoffice(out, tmp / f"lo_{n}_{k}") for k in range(lo_runs)]
            lo_rows.append((n, med([x[0] for x in lo]), med([x[0] for x in lo]) - lo_base, max(x[1] for x in lo)))
            print(f"{n:>8} LibreOffice {lo_rows[-1][1]:7.2f} s (less an empty workbook: {lo_rows[-1][2]:.2f} s)",
                  file=sys.stderr, flush=True)
            if n == 20_000:
                bare = tmp / "plain_20000_nospare.xlsx"
                bench.run([PY, "-m", "jsjb", "template", str(bare), "--plain", "--from", str(ledger), "--spare", "0",
                           "--force", "-q"], env)
                with_spare, without = [], []
                for k in range(args.lo_runs):            # interleaved
                    without.append(libreoffice(bare, tmp / f"lo_bare_{k}")[0])
                    with_spare.append(libreoffice(out, tmp / f"lo_spare_{k}")[0])
                spare_rows.append((med(with_spare), med(without), med(with_spare) - lo_base, med(without) - lo_base))
                print(f"LibreOffice 20,000 + 5,000 spare {med(with_spare):.2f} s, + 0 spare {med(without):.2f} s",
                      file=sys.stderr, flush=True)
    load_after = uptime()
    print(load_after, file=sys.stderr)
    section = render(args, build_rows, lo_rows, lo_base, spare_rows, load_before, load_after)
    print(section)
    if not args.no_report:
        write_section(section)
        print(f"\nwritten to {REPORT}", file=sys.stderr)


def measured(n: int, times: dict, cpus: dict, peaks: dict) -> dict:
    """One size's row: the medians (wall, CPU) and the peaks of each command."""
    row = {"n": n}
    for name in ("before", "after", "compute --out"):
        row[name] = (med(times.get(name, [])), med(cpus.get(name, [])), peaks.get(name, float("nan")))
    return row


def num(x: float, fmt: str = ".2f") -> str:
    return "" if x != x else format(x, fmt)


def render(args, build_rows, lo_rows, lo_base, spare_rows, load_before, load_after) -> str:
    lines = [
        HEADING, "",
        f"机器同上（{bench.machine()}）。负载（`uptime`）：开始时 `{load_before}`，结束时 `{load_after}`——机器由几个任务"
        "共用，负载高于 2（核数）时各进程互相争用 CPU，耗时偏大；CPU 秒数受影响较小。",
        "",
        f"每项为整个进程的耗时（含 Python 启动），{args.runs} 次交替运行取中位数（10 万行 {args.runs_big} 次"
        + (f"，改动前 {args.runs_before} 次" if args.before else "") + "）。“改动前”为提交 "
        + (f"{args.before}" if args.before else "（未测）")
        + " 的 `template --plain --from`；“改动后”为本提交（默认预留 5,000 行空白行，计算列每列一个共享公式）。"
        f"目标：1 万行时 ≤ {TEN_K_RATIO:g} 倍 `compute --out`（同一台账），峰值内存 < {TEN_K_MB} MB。",
        "",
        "每格为“耗时 秒（CPU 秒）”；倍数为改动后 ÷ compute --out，括号内按 CPU 秒计。",
        "",
        "改动前，每个公式单元格（每行 11 个，文字共约 3.6 KB）都经 XlsxWriter 的 `write_formula`（每次约 30 个正则"
        "替换）写入并以全文保存，Excel 表格又把计算列公式逐行写了一遍，最后整张表的 XML 再用正则去掉缓存值；"
        "改动后，每列公式只写一次（共享公式，其余单元格只记组号，`jsjb/io/formula_sheet.py`），表格不再逐格检查重叠，"
        "工单值按列写入（日期整列换算为序列号），公式不带缓存值，不再改写 XML。",
        "",
        "| 行数 | 改动前 | 改动前峰值内存（MB） | 改动后 | 改动后峰值内存（MB） | compute --out | 倍数 | 目标 |",
        "|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for row in build_rows:
        n = row["n"]
        (before, before_cpu, before_mb), (after, cpu, peak), (compute, compute_cpu, _) = (
            row["before"], row["after"], row["compute --out"])
        ratio = after / compute
        goal = ""
        if n == 10_000:
            goal = (f"≤ {TEN_K_RATIO:g}× {'✓' if ratio <= TEN_K_RATIO else '✗'}；"
                    f"< {TEN_K_MB} MB {'✓' if peak < TEN_K_MB else '✗'}")
        before_cell = f"{before:.2f}（{before_cpu:.2f}）" if before == before else ""
        lines.append(f"| {n:,} | {before_cell} | {num(before_mb, '.0f')} | {after:.2f}（{cpu:.2f}） "
                     f"| {peak:.0f} | {compute:.2f}（{compute_cpu:.2f}） | {ratio:.2f}（{cpu / compute_cpu:.2f}） "
                     f"| {goal} |")
    lines += [
        "",
        "LibreOffice 打开生成的通用台账并重算全部公式（全新配置，“载入时总是重新计算”），把第一张表另存为 CSV"
        f"（需要每个计算列的值）：{args.lo_runs} 次取中位数（10 万行 1 次）；“扣除启动”为减去 LibreOffice 以同样方式"
        f"打开一个空工作簿的时间（{lo_base:.2f} 秒）。",
        "",
        "| 行数（另预留 5,000 行） | LibreOffice 打开并重算（秒） | 扣除启动（秒） | 峰值内存（MB） |",
        "|---:|---:|---:|---:|",
    ]
    for n, secs, net, peak in lo_rows:
        lines.append(f"| {n:,} | {secs:.2f} | {net:.2f} | {peak:.0f} |")
    for with_spare, without, net_with, net_without in spare_rows:
        ratio = with_spare / without
        lines += [
            "",
            f"2 万张工单，预留 5,000 行与不预留（`--spare 0`）相比，LibreOffice 打开并重算：{with_spare:.2f} 秒 对 "
            f"{without:.2f} 秒，{ratio:.2f} 倍（扣除启动：{net_with:.2f} 对 {net_without:.2f} 秒，"
            f"{net_with / net_without:.2f} 倍）；目标 < {SPARE_RATIO:g} 倍 {'✓' if ratio < SPARE_RATIO else '✗'}。"
            "空白行的每个公式先判断工单编号是否为空，为空即返回空文本，不查日历。",
        ]
    return "\n".join(lines) + "\n"


def write_section(section: str) -> None:
    """Replace (or append) this script's section of docs/benchmark.md; everything else stays."""
    text = REPORT.read_text(encoding="utf-8") if REPORT.exists() else "# 性能基准\n"
    start = text.find(HEADING)
    if start < 0:
        text = text.rstrip("\n") + "\n\n" + section
    else:
        end = text.find("\n## ", start + len(HEADING))
        text = text[:start] + section + ("\n" + text[end + 1:] if end >= 0 else "")
    REPORT.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    t0 = time.perf_counter()
    main()
    print(f"({time.perf_counter() - t0:.0f} s)", file=sys.stderr)
