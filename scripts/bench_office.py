"""One `jsjb serve` for a whole office, measured (issue #20; not part of the test suite).

    python scripts/bench_office.py                       # 100,000 rows, 20 sessions, 40 jobs
    python scripts/bench_office.py --rows 10000 --sessions 5 --jobs 10

Starts `jsjb serve` (no ledger on the command line; every session uploads its own copy, as clerks
do) on 127.0.0.1 and plays clerks against it with plain HTTP (urllib, one cookie jar per session):

1. **20 at once.** Every session uploads the 100,000-row ledger, then all press 月通报 at the same
   moment (a POST with the page's token, as the page sends it) and wait for their result page.
   Reported: how many got their ranking table, and the time from the press to the result (p50, p95,
   max).
2. **Nobody waits.** One session presses 年度考核 with the 公文稿 on the 100,000-row ledger; while
   it runs, another session (a 2,000-row ledger) opens the home page, the 导入节假日 page and runs
   校验 — each timed from request to complete page (five times each).
3. **Memory.** Ten sessions run 40 jobs on the 100,000-row ledger (刷新, 校验, 月通报, 年度考核,
   日调度, 归档 in turn), each opening its results; the resident memory of the server and its worker
   processes (RSS, and PSS which counts shared pages once) is sampled throughout and after.

The machine's load (`uptime`) is printed before and after each part: timings on a shared machine
are noisy. All traffic goes to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import re
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "bench" / "cache"
AS_OF = "2026-01-05T10:00"
MONTH, YEAR = "2025-12", "2025"
PY = sys.executable


def sample(rows: int) -> Path:
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"sample_{rows}.xlsx"      # the same ledgers as scripts/bench.py
    if not path.exists():
        print(f"generating {path.name} (once; cached)…", file=sys.stderr, flush=True)
        subprocess.run([PY, "-m", "jsjb", "sample", str(path), "--rows", str(rows), "--seed", "1", "-q"], check=True)
    return path


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- a clerk ----------------------------------------------------------------------------------------
class Clerk:
    """One browser: its own cookies, the page's token, the pages it asks for."""

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def get(self, path: str) -> tuple[int, str, str]:
        try:
            with self.opener.open(self.base + path, timeout=600) as r:
                return r.status, r.read().decode("utf-8"), r.geturl()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode("utf-8", "replace"), e.geturl()

    def token(self) -> str:
        return re.search(r'name="csrf" value="([^"]+)"', self.get("/")[1]).group(1)

    def post(self, path: str, fields: dict) -> tuple[int, str, str]:
        body = urllib.parse.urlencode(fields).encode()
        try:
            with self.opener.open(urllib.request.Request(self.base + path, body), timeout=600) as r:
                return r.status, r.read().decode("utf-8"), r.geturl()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode("utf-8", "replace"), e.geturl()

    def upload(self, path: Path, name: str) -> None:
        boundary = secrets.token_hex(12)
        token = self.token()
        head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{token}\r\n"
                f"--{boundary}\r\nContent-Disposition: form-data; name=\"ledger\"; filename=\"{name}\"\r\n"
                "Content-Type: application/octet-stream\r\n\r\n").encode()
        body = head + path.read_bytes() + f"\r\n--{boundary}--\r\n".encode()
        request = urllib.request.Request(self.base + "/upload", body,
                                         {"Content-Type": f"multipart/form-data; boundary={boundary}"})
        with self.opener.open(request, timeout=600) as r:
            assert "已载入台账副本" in r.read().decode("utf-8"), "upload refused"

    def run(self, kind: str, **fields) -> tuple[float, str]:
        """Press a job's button and wait for its result page: (seconds, the page)."""
        t0 = time.perf_counter()
        status, html, url = self.post(f"/{kind}", {"csrf": self.token(), "as_of": AS_OF, **fields})
        return self.wait(url, html, t0)

    def wait(self, url: str, html: str, t0: float) -> tuple[float, str]:
        job = re.search(r"job=([\w-]+)", url)
        if job is None:
            return time.perf_counter() - t0, html             # refused before queueing: the form with a message
        while 'id="working"' in html:
            time.sleep(0.25)
            state = json.loads(self.get(f"/status/{job.group(1)}")[1]).get("state")
            if state in ("queued", "running"):
                continue
            html = self.get(url[len(self.base):])[1]
        return time.perf_counter() - t0, html


# -- the server and its memory -------------------------------------------------------------------------
def start_server(work: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "BROWSER": "none", "JSJB_WEB_DIR": str(work), "JSJB_LOG": os.devnull}
    proc = subprocess.Popen([PY, "-m", "jsjb", "serve", "--port", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            urllib.request.urlopen(base + "/static/style.css", timeout=1).close()
            return proc, base
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("the server did not start: " + (proc.stderr.read() if proc.stderr else ""))


def tree(pid: int) -> list[int]:
    """The process and all its descendants (the worker processes, their fork server)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo += children.get(p, [])
    return out


def memory(pid: int) -> tuple[float, float, int]:
    """(RSS MB, PSS MB, processes) of the server's process tree."""
    rss = pss = 0
    pids = tree(pid)
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/smaps_rollup").read_text().splitlines():
                if line.startswith("Rss:"):
                    rss += int(line.split()[1])
                elif line.startswith("Pss:"):
                    pss += int(line.split()[1])
        except OSError:
            continue
    return rss / 1024, pss / 1024, len(pids)


class Sampler(threading.Thread):
    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid, self.peak, self.stop = pid, (0.0, 0.0), threading.Event()

    def run(self):
        while not self.stop.is_set():
            rss, pss, _ = memory(self.pid)
            self.peak = (max(self.peak[0], rss), max(self.peak[1], pss))
            self.stop.wait(0.5)


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, max(0, round(q * (len(values) - 1))))]


# -- the three parts -------------------------------------------------------------------------------------
def at_once(base: str, ledger: Path, sessions: int) -> dict:
    clerks = [Clerk(base) for _ in range(sessions)]
    for c in clerks:
        c.upload(ledger, "台账.xlsx")
    barrier = threading.Barrier(sessions)
    results: list[tuple[float, str] | None] = [None] * sessions

    def press(k: int) -> None:
        barrier.wait()
        results[k] = clerks[k].run("bulletin", month=MONTH)
    t0 = time.perf_counter()
    threads = [threading.Thread(target=press, args=(k,)) for k in range(sessions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    times = [r[0] for r in results if r]
    ok = sum(1 for r in results if r and 'id="ranking"' in r[1])
    expired = sum(1 for r in results if r and "过期" in r[1])
    return {"sessions": sessions, "results": ok, "expired": expired, "p50": statistics.median(times),
            "p95": pct(times, 0.95), "max": max(times), "min": min(times), "wall": wall}


def nobody_waits(base: str, ledger: Path, small: Path, repeats: int = 5) -> dict:
    big, other = Clerk(base), Clerk(base)
    big.upload(ledger, "大台账.xlsx")
    other.upload(small, "小台账.xlsx")
    t0 = time.perf_counter()
    status, html, url = big.post("/assess", {"csrf": big.token(), "as_of": AS_OF, "year": YEAR, "docx": "1"})
    job = re.search(r"job=([\w-]+)", url).group(1)
    while json.loads(big.get(f"/status/{job}")[1])["state"] != "running":
        time.sleep(0.1)
    timings: dict[str, list[float]] = {"/": [], "/holidays（导入节假日）": [], "小台账 校验（按下到结果）": []}
    during = []
    for _ in range(repeats):
        for name, action in (("/", lambda: other.get("/")), ("/holidays（导入节假日）", lambda: other.get("/holidays")),
                             ("小台账 校验（按下到结果）", lambda: other.run("check"))):
            t = time.perf_counter()
            action()
            timings[name].append(time.perf_counter() - t)
        during.append(json.loads(big.get(f"/status/{job}")[1])["state"] == "running")
    long_seconds, page = big.wait(url, html, t0)
    return {"timings": timings, "all_during": all(during), "long": long_seconds,
            "long_ok": 'id="ranking"' in page and ".docx" in page}


def many_jobs(base: str, ledger: Path, jobs: int, pid: int) -> dict:
    kinds = [("compute", {}), ("check", {}), ("bulletin", {"month": MONTH}), ("assess", {"year": YEAR}),
             ("dispatch", {}), ("archive", {})]
    clerks = [Clerk(base) for _ in range(10)]
    for c in clerks:
        c.upload(ledger, "台账.xlsx")
    sampler = Sampler(pid)
    sampler.start()
    done = [0]
    lock = threading.Lock()

    def clerk(k: int) -> None:
        for j in range(jobs // len(clerks)):
            kind, fields = kinds[(k + j) % len(kinds)]
            _, page = clerks[k].run(kind, **fields)
            if 'id="result"' in page:
                with lock:
                    done[0] += 1
    t0 = time.perf_counter()
    threads = [threading.Thread(target=clerk, args=(k,)) for k in range(len(clerks))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    time.sleep(2)
    after = memory(pid)
    sampler.stop.set()
    sampler.join()
    return {"jobs": jobs, "results": done[0], "wall": wall, "after": after, "peak": sampler.peak}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--small", type=int, default=2_000)
    ap.add_argument("--sessions", type=int, default=20)
    ap.add_argument("--jobs", type=int, default=40)
    ap.add_argument("--parts", default="1,2,3")
    args = ap.parse_args()
    ledger, small = sample(args.rows), sample(args.small)
    parts = set(args.parts.split(","))
    with tempfile.TemporaryDirectory() as tmp:
        proc, base = start_server(Path(tmp) / "web")
        try:
            out = {"uptime_start": uptime(), "rows": args.rows, "cores": os.cpu_count(),
                   "idle": memory(proc.pid)}
            if "1" in parts:
                out["at_once"] = at_once(base, ledger, args.sessions)
                out["uptime_1"] = uptime()
            if "2" in parts:
                out["nobody_waits"] = nobody_waits(base, ledger, small)
                out["uptime_2"] = uptime()
            if "3" in parts:
                fresh, fresh_base = start_server(Path(tmp) / "web3")      # memory from a fresh server
                try:
                    out["memory_idle"] = memory(fresh.pid)
                    out["many"] = many_jobs(fresh_base, ledger, args.jobs, fresh.pid)
                finally:
                    fresh.terminate()
                    fresh.wait(20)
                out["uptime_3"] = uptime()
        finally:
            proc.terminate()
            proc.wait(20)
    report(out)
    return 0


def report(out: dict) -> None:
    print(f"uptime before: {out['uptime_start']}  (cores: {out['cores']}, ledger {out['rows']:,} rows)")
    if "at_once" in out:
        a = out["at_once"]
        print(f"1. {a['sessions']} sessions press 月通报 at once: {a['results']}/{a['sessions']} got their result "
              f"({a['expired']} expired); press → result p50 {a['p50']:.1f} s, p95 {a['p95']:.1f} s, "
              f"min {a['min']:.1f} s, max {a['max']:.1f} s; all done after {a['wall']:.1f} s")
        print(f"   uptime after: {out['uptime_1']}")
    if "nobody_waits" in out:
        n = out["nobody_waits"]
        print(f"2. while 年度考核+公文稿 on {out['rows']:,} rows runs ({n['long']:.1f} s, "
              f"result {'ok' if n['long_ok'] else 'MISSING'}; still running throughout: {n['all_during']}):")
        for name, values in n["timings"].items():
            print(f"   {name}: median {statistics.median(values):.2f} s, max {max(values):.2f} s "
                  f"({', '.join(f'{v:.2f}' for v in values)})")
        print(f"   uptime after: {out['uptime_2']}")
    if "many" in out:
        m = out["many"]
        idle = out["memory_idle"]
        print(f"3. {m['jobs']} jobs on {out['rows']:,} rows from 10 sessions: {m['results']}/{m['jobs']} results in "
              f"{m['wall']:.0f} s; server + workers idle before: RSS {idle[0]:.0f} MB; after: RSS {m['after'][0]:.0f} MB, "
              f"PSS {m['after'][1]:.0f} MB ({m['after'][2]} processes); peak while running: RSS {m['peak'][0]:.0f} MB, "
              f"PSS {m['peak'][1]:.0f} MB")
        print(f"   uptime after: {out['uptime_3']}")


if __name__ == "__main__":
    sys.exit(main())
