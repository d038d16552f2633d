"""Measure the browser door against the CLI: the 月通报 page for a large ledger must render within
2× the CLI's `jsjb bulletin` time (issue #12). Not part of the test suite.

    python scripts/bench_web.py                     # 100,000 rows, 3 runs
    python scripts/bench_web.py --rows 10000 --runs 5

CLI: the whole process (`python -m jsjb bulletin LEDGER --month M --as-of T --out DIR -q`), as a
clerk runs it. Browser door: a server process (`jsjb serve` equivalent, started once), then the
clock runs from the request of /bulletin?month=&as_of= to the rendered result page (following the
redirect and polling /status as the page does); "cold" is the first request (the ledger is read),
"warm" the next ones (the server's LedgerCache has it). Both write the same workbooks.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "bench" / "cache"
AS_OF = "2026-01-05T10:00"
MONTH = "2025-12"
PY = sys.executable
SERVER = """
import sys
from jsjb.web import create_app, make_server
app = create_app(sys.argv[1], work_dir=sys.argv[2], password="")
make_server(app, "127.0.0.1", int(sys.argv[3])).run()
"""


def sample(rows: int) -> Path:
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"sample_{rows}.xlsx"      # the same ledgers as scripts/bench.py
    if not path.exists():
        print(f"generating {path.name} (once; cached)…", file=sys.stderr, flush=True)
        subprocess.run([PY, "-m", "jsjb.cli", "sample", str(path), "--rows", str(rows), "--seed", "1", "-q"],
                       check=True)
    return path


def cli_once(ledger: Path, out: Path) -> float:
    t0 = time.perf_counter()
    subprocess.run([PY, "-m", "jsjb", "bulletin", str(ledger), "--month", MONTH, "--as-of", AS_OF,
                    "--out", str(out), "-q"], check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def page_once(opener, base: str) -> tuple[float, int]:
    """Seconds from the request to the rendered result page, and the page's size."""
    with opener.open(f"{base}/bulletin?month={MONTH}&as_of={AS_OF}") as r:     # the form, pre-filled
        token = re.search(r'name="csrf" value="([^"]+)"', r.read().decode("utf-8")).group(1)
    body = urlencode({"csrf": token, "month": MONTH, "as_of": AS_OF}).encode()
    t0 = time.perf_counter()
    with opener.open(f"{base}/bulletin", body) as r:                             # → 303 → working page
        html = r.read().decode("utf-8")
        url = r.geturl()
    job = re.search(r"job=([\w-]+)", url).group(1)
    while 'id="working"' in html:
        with opener.open(f"{base}/status/{job}") as r:
            state = json.loads(r.read())["state"]
        if state in ("queued", "running"):
            time.sleep(0.1)
            continue
        with opener.open(url) as r:
            html = r.read().decode("utf-8")
    elapsed = time.perf_counter() - t0
    if 'id="ranking"' not in html:
        raise SystemExit("the page shows no ranking table: " + re.sub(r"\s+", " ", html)[:400])
    return elapsed, len(html)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    ledger = sample(args.rows)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        cli = [cli_once(ledger, tmp / f"cli{k}") for k in range(args.runs)]
        port = free_port()
        server = subprocess.Popen([PY, "-c", SERVER, str(ledger), str(tmp / "web"), str(port)])
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(200):
                try:
                    urllib.request.urlopen(base + "/static/style.css", timeout=1).close()
                    break
                except OSError:
                    time.sleep(0.1)
            opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
            cold, size = page_once(opener, base)
            warm = [page_once(opener, base)[0] for _ in range(args.runs)]
        finally:
            server.terminate()
            server.wait(10)
    c = statistics.median(cli)
    w = statistics.median(warm)
    print(f"ledger: {ledger.name} ({args.rows} rows), month {MONTH}, as_of {AS_OF}, {args.runs} runs (median)")
    print(f"CLI  jsjb bulletin (whole process):      {c:6.2f} s   runs: {', '.join(f'{x:.2f}' for x in cli)}")
    print(f"web  /bulletin page, cold (reads ledger): {cold:6.2f} s   = {cold / c:.2f}× CLI")
    print(f"web  /bulletin page, warm (cached):       {w:6.2f} s   = {w / c:.2f}× CLI   runs: "
          f"{', '.join(f'{x:.2f}' for x in warm)}")
    print(f"page size: {size / 1024:.0f} KB")
    ok = cold <= 2 * c and w <= 2 * c
    print("within 2× the CLI: " + ("yes" if ok else "NO"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
