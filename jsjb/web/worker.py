"""Where the browser door's jobs run, and what they hand back to the pages.

A job runs in a worker: a separate process (the default — pandas work holds Python's GIL, so only
processes run jobs truly side by side on several cores, and a job in a process never slows the
pages the server process renders), or, where processes cannot be started, a thread. A worker runs
one job at a time; it keeps the ledgers it parsed last (:class:`Parses`) so the next job on the same
unchanged ledger — the same file, or an upload with the same contents — pays no read.

What goes to a worker is a plain dict, the *spec* (kind, ledger path and cache key, output folder,
parameters); what comes back is a :class:`View`: only what the page shows (the ranking table, the
first rows of a long list, the ledger as a compact Arrow table for 刷新), never the evaluated ledger,
so a kept result is small and its size is known (the server's memory budget counts it).

Each kind's runner is in :data:`RUNNERS` (a new job page adds one; see docs/browser.md).
"""

from __future__ import annotations

import gc
import json
import os
import shutil
import time
import traceback
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .. import jobs
from ..core import howto
from ..core import schema as S
from ..core.ledger import ERROR
from ..jobs.errors import EmptyPeriod, describe
from . import render, tables

UPLOADS = "导入工单"             # the workspace folder of uploaded exports, one sub-folder per upload
SHOW_ROWS = 300                  # rows of a long list kept for its page (the workbook has them all)
CACHE_LEDGERS = 2                # parsed ledgers a worker keeps …
CACHE_FILE_BYTES = 16 * 1024**2  # … while their files total at most this (the newest is always kept)

Progress = Callable[[str], None]


@dataclass
class View:
    """What a finished job hands to its page: ``data`` (the job's JSON result, as the CLI's --json),
    ``notes``, the ``files`` written (paths), display ``tables`` (pandas frames or Arrow tables),
    ``extra`` (per kind: chart points, counts, lists) and, for the JSON API, the answer's ``body``."""

    kind: str
    data: dict | None = None
    notes: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    tables: dict[str, object] = field(default_factory=dict)
    extra: dict = field(default_factory=dict)
    body: bytes | None = None

    def nbytes(self) -> int:
        """The memory this view holds, roughly (tables exactly; the rest estimated)."""
        total = len(self.body or b"") + 2048
        for t in self.tables.values():
            if isinstance(t, pd.DataFrame):
                total += int(t.memory_usage(deep=True, index=False).sum())
            else:
                total += int(getattr(t, "nbytes", 0))
        total += len(json.dumps(self.extra, ensure_ascii=False, default=str)) if self.extra else 0
        total += len(json.dumps(self.data, ensure_ascii=False, default=str)) if self.data else 0
        return total


class Parses:
    """The ledgers this worker parsed last, by cache key (an upload's content digest, or the path
    with its modification time: an edited file is read again). Keeps at most ``CACHE_LEDGERS``,
    whose files total at most ``CACHE_FILE_BYTES`` — always the newest one."""

    def __init__(self, ledgers: int = CACHE_LEDGERS, file_bytes: int = CACHE_FILE_BYTES):
        self.ledgers, self.file_bytes = ledgers, file_bytes
        self.items: OrderedDict[str, tuple[object, int]] = OrderedDict()

    def keys(self) -> list[str]:
        return list(self.items)

    def get(self, key: str, path: Path, name: str, progress: Progress):
        if key in self.items:
            self.items.move_to_end(key)
            progress("使用已读取的台账（文件未改动）")
            return self.items[key][0]
        self.items.pop(key, None)
        t0 = time.perf_counter()
        progress(f"读取台账 {name}…")
        ledger = jobs.load(path)
        progress(f"读取台账：完成（{time.perf_counter() - t0:.1f} 秒）")
        try:
            size = path.stat().st_size
        except OSError:
            size = 0
        self.items[key] = (ledger, size)
        while len(self.items) > 1 and (len(self.items) > self.ledgers
                                       or sum(s for _, s in self.items.values()) > self.file_bytes):
            self.items.popitem(last=False)
        return ledger


def source_of(spec: dict, parses: Parses, progress: Progress) -> jobs.Source:
    """The job's ledger: parsed (or from the cache) and tied to its own path, so the run log and
    R22's record of what was sent are those of this workspace's copy."""
    path = Path(spec["path"])
    return jobs.Source(parses.get(spec["key"], path, spec["name"], progress), path)


# -- the runners: spec → View --------------------------------------------------------------------------
def _as_of(spec: dict):
    return spec["params"].get("as_of")


def run_check(spec, source, progress) -> View:
    r = jobs.check(source, as_of=_as_of(spec), progress=progress)
    issues = sorted(r.evaluated.errors, key=_issue_key) + sorted(r.evaluated.warnings, key=_issue_key)
    frame = pd.DataFrame({
        "level": ["错误" if i.level == ERROR else "提示" for i in issues],
        "sheet": [i.sheet for i in issues],
        "row": [i.row or "" for i in issues],
        "column": [i.column for i in issues],
        "value": [render.issue_value(i.column, i.value) for i in issues],
        "message": [i.message for i in issues],
    }, dtype=object)
    data = {"rows": r.data["rows"], "errors": len(r.data["errors"]), "warnings": len(r.data["warnings"])}
    return View("check", data, r.notes, tables={"issues": tables.compact(frame)})


def _issue_key(i):
    return (i.sheet != S.SHEET_TICKETS, i.row or 0, i.column)


def run_compute(spec, source, progress) -> View:
    r = jobs.compute(source, as_of=_as_of(spec), progress=progress)
    frame = r.tables["计算结果"]
    progress(f"整理台账视图（{len(frame)} 行）…")
    extra = {"counts": jobs.status_counts(r.evaluated),
             "enterprises": sorted(str(x) for x in frame[S.ENTERPRISE].dropna().unique())}
    data = {"as_of": r.data["as_of"], "count": len(r.data["tickets"])}
    return View("compute", data, r.notes, tables={"ledger": tables.ledger_table(frame)}, extra=extra)


def _report_view(kind: str, name: str, r: jobs.JobResult, trend=None) -> View:
    lists = [(label, len(r.data[key])) for key, label in render.LISTS if r.data.get(key)]
    extra = {"lists": lists, "trend": trend}
    return View(kind, r.data, r.notes, [str(p) for p in r.files], tables={"ranking": r.tables[name]}, extra=extra)


def run_bulletin(spec, source, progress) -> View:
    p = spec["params"]
    r = jobs.bulletin(source, p.get("month"), as_of=_as_of(spec), out_dir=spec["out_dir"], progress=progress,
                      workers=1, docx=p.get("docx", False), refuse_empty=True)
    progress("计算近12个月趋势…")
    trend = jobs.monthly_trend(r.evaluated, r.data["period"])
    return _report_view("bulletin", "月通报", r, trend)


def run_assess(spec, source, progress) -> View:
    p = spec["params"]
    r = jobs.assess(source, p.get("year"), as_of=_as_of(spec), out_dir=spec["out_dir"], progress=progress,
                    docx=p.get("docx", False), refuse_empty=True)
    return _report_view("assess", "年度考核", r)


def run_dispatch(spec, source, progress) -> View:
    r = jobs.dispatch(source, as_of=_as_of(spec), out_dir=spec["out_dir"], progress=progress)
    items = render.masked(r.tables["督办清单"])
    groups = []
    for name, part in items.groupby(S.ENTERPRISE, sort=False, dropna=False):
        groups.append((render.cell(name) or "（未填承办企业）", len(part), part.head(SHOW_ROWS).reset_index(drop=True)))
    shown = {"summary": r.tables["汇总"]}
    shown.update({f"group{k}": g for k, (_, _, g) in enumerate(groups)})
    extra = {"groups": [(name, n) for name, n, _ in groups], "total": len(items), "legend": r.detail.legend}
    return View("dispatch", r.data | {"items": len(r.data["items"])}, r.notes, [str(p) for p in r.files],
                tables=shown, extra=extra)


def run_archive(spec, source, progress) -> View:
    r = jobs.archive(source, as_of=_as_of(spec), out=Path(spec["out_dir"]) / jobs.ARCHIVE_FILE, progress=progress)
    catalogue = r.tables["归档目录"]
    extra = {"total": len(catalogue)}
    return View("archive", r.data, r.notes, [str(p) for p in r.files],
                tables={"catalogue": render.masked(catalogue.head(SHOW_ROWS).reset_index(drop=True))}, extra=extra)


def run_mail(spec, source, progress) -> View:
    p = spec["params"]
    r = jobs.mail(spec["out_dir"], source, month_label=p.get("month"), settings=jobs.mail_settings(),
                  resend=p.get("resend", False), only=p.get("only"), progress=progress)
    return View("mail", r.data, r.notes)


def run_plain(spec, source, progress) -> View:
    """生成通用台账: this ledger's tickets and other sheets in the plain ledger (native formulas, the
    spare rows renewed) — what the plain ledger's 使用说明 asks for when its spare rows run out. The
    copy is written into this workspace's output folder (its own output: a rerun replaces it)."""
    target = Path(spec["out_dir"]) / f"{Path(spec['name']).stem}_通用台账.xlsx"
    target.parent.mkdir(parents=True, exist_ok=True)
    r = jobs.template(target, plain=True, source=Path(spec["path"]), force=True, progress=progress)
    return View("plain", {"rows": len(source.ledger.tickets)}, r.notes, [str(p) for p in r.files])


def run_intake(spec, source, progress) -> View:
    """导入工单 (R24): the uploaded export against the workspace's ledger; the workbook of the rows to paste
    and the 核对结果 (a new file per run); the page keeps the first rows of each table."""
    p = spec["params"]
    upload = Path(p["export"])
    stamp = time.strftime("%Y%m%d-%H%M%S")
    target = Path(spec["out_dir"]) / f"导入核对_{stamp}_{upload.parent.name[:6]}.xlsx"    # the upload's own id
    try:
        r = jobs.intake(upload, source, out=target, name=p.get("export_name"), progress=progress)
    finally:
        discard_upload(upload)
    new, report = r.tables[jobs.INTAKE_NEW], r.tables[jobs.INTAKE_REPORT]
    extra = {"summary": jobs.intake_summary(r.detail), "n_new": len(new), "n_report": len(report)}
    return View("intake", r.data, r.notes, [str(f) for f in r.files],
                tables={"new": new.head(SHOW_ROWS).reset_index(drop=True),
                        "report": report.head(SHOW_ROWS).reset_index(drop=True)}, extra=extra)


def discard_upload(path: Path) -> None:
    """An uploaded export once read (or not taken): its folder goes — it holds callers' data (R19), and
    nothing offers it again (a new intake uploads the file anew). Only a folder of uploads is removed."""
    if path.parent.parent.name == UPLOADS:
        shutil.rmtree(path.parent, ignore_errors=True)


def run_api(spec, source, progress) -> View:
    """The JSON API (CONTRACT §5): the same shapes as the CLI's --json; it writes no file and sends
    nothing (``write=False``)."""
    p, kind, as_of = spec["params"], spec["api"], _as_of(spec)
    if kind == "check":
        r = jobs.check(source, as_of=as_of)
    elif kind == "compute":
        r = jobs.compute(source, as_of=as_of, table=False)
    elif kind == "bulletin":
        r = jobs.bulletin(source, p.get("month"), as_of=as_of, write=False, only_period=True)
    elif kind == "assess":
        r = jobs.assess(source, p.get("year"), as_of=as_of, write=False, only_period=True)
    elif kind == "dispatch":
        r = jobs.dispatch(source, as_of=as_of, write=False)
    else:
        raise AssertionError(kind)
    body = json.dumps(r.data, ensure_ascii=False, separators=(",", ":"), default=str).encode("utf-8")
    return View("api", body=body)


RUNNERS: dict[str, Callable[[dict, jobs.Source, Progress], View]] = {
    "check": run_check, "compute": run_compute, "bulletin": run_bulletin, "assess": run_assess,
    "dispatch": run_dispatch, "archive": run_archive, "mail": run_mail, "plain": run_plain, "intake": run_intake,
    "api": run_api,
}


def execute(spec: dict, parses: Parses, progress: Progress) -> tuple[str, object, dict]:
    """Run one spec: ("done", View, {}) or ("error", Chinese message, extra) — never raises."""
    try:
        with howto.door("web"):
            source = source_of(spec, parses, progress)
            return "done", RUNNERS[spec["kind"]](spec, source, progress), {}
    except BaseException as e:  # noqa: BLE001 - every failure becomes a message on the page
        if isinstance(e, KeyboardInterrupt):
            raise
        if os.environ.get("JSJB_DEBUG"):
            traceback.print_exc()
        extra = {"latest": e.latest} if isinstance(e, EmptyPeriod) else {}
        with howto.door("web"):
            return "error", describe(e)[0], extra


def release_memory() -> None:
    """Give memory freed by the last job back to the system (glibc; elsewhere only the collector)."""
    gc.collect()
    try:
        import ctypes
        import sys

        if sys.platform.startswith("linux"):
            ctypes.CDLL(None).malloc_trim(0)
    except (OSError, AttributeError):
        pass


def adopt(environment: dict[str, str]) -> None:
    """The server's JSJB_* settings as they are now (SMTP, the run log…): a worker process started
    earlier, or from a fork server, must not act on older ones."""
    for key in [k for k in os.environ if k.startswith("JSJB_") and k not in environment]:
        del os.environ[key]
    os.environ.update(environment)


def settings_now() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k.startswith("JSJB_")}


def process_main(conn) -> None:
    """A worker process: receive specs, send progress lines, then the outcome and the cached keys."""
    howto.use("web")
    parses = Parses()
    while True:
        try:
            spec = conn.recv()
        except (EOFError, OSError, KeyboardInterrupt):
            return
        if spec is None:
            return
        adopt(spec.get("env", {}))

        def progress(text: str) -> None:
            conn.send(("progress", text))
        state, payload, extra = execute(spec, parses, progress)
        try:
            conn.send((state, payload, extra, parses.keys()))
        except Exception as e:  # noqa: BLE001 - an unpicklable result is a bug: still answer
            conn.send(("error", describe(e)[0], {}, parses.keys()))
        del payload
        release_memory()
