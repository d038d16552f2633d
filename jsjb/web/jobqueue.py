"""The browser door's job queue: every job a clerk starts waits its turn here and is run by one of a
few workers (processes, see :mod:`jsjb.web.worker`) — as many as the machine has cores, so jobs on
different ledgers run side by side, and the pages (rendered by the server process) never wait for a
job: there is no lock a page and a job share.

- **Order.** First come, first served; a free worker prefers, among the next few jobs, one on a
  ledger it has already parsed (the same ledger's jobs share one parsed copy). Jobs that write the
  same folder or send from the same run log never run at the same time (``Job.exclusive``).
- **Nothing forgotten.** A started job stays until it has finished; its page shows its place in the
  queue, then its step (and a count where the job has one: 企业 3/8). A session may have at most
  ``PER_SESSION`` jobs waiting or running, the server ``MAX_QUEUED`` waiting.
- **Memory.** Finished results are kept within ``budget`` bytes; beyond it, results are let go
  oldest-finished first — those already shown first, then those finished more than ``GRACE``
  seconds ago and never opened — and the page says so and offers to run it again. A job's record
  (its parameters and download links) stays after its result was let go.
"""

from __future__ import annotations

import multiprocessing
import re
import secrets
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from .worker import Parses, View, execute, process_main, settings_now

PER_SESSION = 3
MAX_QUEUED = 200
GRACE = 30 * 60
AFFINITY_WINDOW = 4          # how far down the queue a free worker looks for a ledger it holds
KEEP_RECORDS = 40            # finished jobs remembered per workspace (their links); older ones go
COUNT = re.compile(r"(\d+)\s*/\s*(\d+)")
WORKER_GONE = ("处理任务的后台进程意外退出（可能是服务器内存不足）。请稍后重新运行；如果反复出现，"
               "请把台账按年份拆分，或请管理员检查服务器的内存。")


class Busy(Exception):
    """A job that cannot be queued now (too many waiting); the message says why, in Chinese."""


@dataclass
class Job:
    id: str
    kind: str
    workspace: str
    ledger_id: str
    params: dict
    spec: dict                                   # what the worker gets
    title: str = ""
    api: bool = False                            # a JSON API answer (not listed, not kept)
    exclusive: frozenset = frozenset()           # keys no other running job may hold
    state: str = "queued"                        # queued · running · done · error
    step: str = ""
    messages: list[str] = field(default_factory=list)
    view: View | None = None
    size: int = 0
    released: bool = False                       # its result was let go (memory budget)
    shown: bool = False
    passed: int = 0                              # times a later job went first (cache affinity), bounded
    error: str | None = None
    error_extra: dict = field(default_factory=dict)
    files: list[tuple[str, str]] = field(default_factory=list)    # (download id, file name)
    created: float = field(default_factory=time.time)
    started: float | None = None
    finished: float | None = None
    done: threading.Event = field(default_factory=threading.Event, repr=False)

    @property
    def finished_ok(self) -> bool:
        return self.state in ("done", "error")

    def count(self) -> tuple[int, int] | None:
        """The step's count (k of n), when it has one."""
        m = COUNT.search(self.step)
        return (int(m.group(1)), int(m.group(2))) if m else None


# -- workers -------------------------------------------------------------------------------------------
def start_method() -> str:
    """forkserver where there is one (Linux: workers start fast, from a clean process that already
    imported the jobs), else spawn (Windows, macOS)."""
    methods = multiprocessing.get_all_start_methods()
    return "forkserver" if "forkserver" in methods and sys.platform.startswith("linux") else "spawn"


class ProcessBackend:
    """One worker process, started when first needed and again after it died."""

    _context = None

    def __init__(self):
        self.process = None
        self.conn = None
        self.cached: list[str] = []

    @classmethod
    def context(cls):
        if cls._context is None:
            ctx = multiprocessing.get_context(start_method())
            if ctx.get_start_method() == "forkserver":
                ctx.set_forkserver_preload(["jsjb.web.worker"])
            cls._context = ctx
        return cls._context

    def _ensure(self) -> None:
        if self.process is not None and self.process.is_alive():
            return
        self.close()
        ctx = self.context()
        parent, child = ctx.Pipe()
        self.process = ctx.Process(target=process_main, args=(child,), daemon=True, name="jsjb-worker")
        self.process.start()
        child.close()
        self.conn = parent
        self.cached = []

    def run(self, spec: dict, progress: Callable[[str], None]) -> tuple[str, object, dict]:
        self._ensure()
        try:
            self.conn.send({**spec, "env": settings_now()})
            while True:
                message = self.conn.recv()
                if message[0] == "progress":
                    progress(message[1])
                    continue
                state, payload, extra, self.cached = message
                return state, payload, extra
        except (EOFError, OSError, BrokenPipeError):
            self.close()
            return "error", WORKER_GONE, {}

    def close(self) -> None:
        if self.conn is not None:
            try:
                self.conn.send(None)
            except (OSError, BrokenPipeError):
                pass
            self.conn.close()
            self.conn = None
        if self.process is not None:
            if self.process.pid is not None:          # started (a failed start has nothing to wait for)
                self.process.join(2)
                if self.process.is_alive():
                    self.process.terminate()
                    self.process.join(2)
            self.process = None
        self.cached = []


class ThreadBackend:
    """A worker in this process (where processes cannot be used): the same code, one job at a time."""

    def __init__(self):
        self.parses = Parses()
        self.cached: list[str] = []

    def run(self, spec, progress):
        outcome = execute(spec, self.parses, progress)
        self.cached = self.parses.keys()
        return outcome

    def close(self) -> None:
        self.parses.items.clear()


class Lane(threading.Thread):
    """A thread of the server that feeds one worker: takes the next job, runs it, reports."""

    def __init__(self, queue: JobQueue, index: int, backend):
        super().__init__(daemon=True, name=f"jsjb-lane-{index}")
        self.queue, self.backend = queue, backend
        self.job: Job | None = None

    def run(self) -> None:
        while True:
            job = self.queue._next(self)
            if job is None:
                return
            try:
                outcome = self.backend.run(job.spec, lambda text, job=job: self.queue._progress(job, text))
            except Exception as e:  # noqa: BLE001 - a failing backend fails this job only
                from ..jobs.errors import describe

                outcome = ("error", describe(e)[0], {})
            self.queue._finish(self, job, outcome)


# -- the queue -----------------------------------------------------------------------------------------
class JobQueue:
    def __init__(self, workers: int, processes: bool = True, budget: int = 256 * 1024**2,
                 on_files: Callable[[Job, list[str]], None] | None = None,
                 clean: Callable[[str], str] = lambda s: s):
        self.budget = budget
        self.on_files = on_files or (lambda job, paths: None)
        self.clean = clean                     # messages as a clerk may read them (no server paths)
        self.cond = threading.Condition()
        self.waiting: list[Job] = []
        self.jobs: dict[str, Job] = {}
        self.stopping = False
        self.lanes = [Lane(self, k, ProcessBackend() if processes else ThreadBackend()) for k in range(max(1, workers))]
        self.processes = processes
        self._started = False

    def start(self) -> None:
        with self.cond:
            if self._started:
                return
            self._started = True
        for lane in self.lanes:
            lane.start()

    def warm(self) -> None:
        """Start the lanes and their worker processes now (``jsjb serve`` does, while the server starts),
        so the first clerk's job does not wait for a process to start."""
        self.start()
        for lane in self.lanes:
            ensure = getattr(lane.backend, "_ensure", None)
            if ensure is not None:
                with self.cond:
                    if lane.job is not None:
                        continue
                    ensure()

    def stop(self) -> None:
        with self.cond:
            self.stopping = True
            self.cond.notify_all()
        for lane in self.lanes:
            lane.backend.close()
        for lane in self.lanes:
            if lane.is_alive():
                lane.join(3)

    # -- submitting ------------------------------------------------------------------------------
    def submit(self, job: Job) -> Job:
        self.start()
        with self.cond:
            mine = [j for j in self.jobs.values() if j.workspace == job.workspace and not j.finished_ok]
            if len(mine) >= PER_SESSION:
                raise Busy(f"您已有 {len(mine)} 个任务在排队或运行，请等其中一个完成后再开始新的任务。")
            if len(self.waiting) >= MAX_QUEUED:
                raise Busy("服务器上排队的任务太多，请稍后再试。")
            self.jobs[job.id] = job
            self.waiting.append(job)
            job.step = "排队等待…"
            self.cond.notify_all()
        return job

    @staticmethod
    def new_id() -> str:
        return secrets.token_urlsafe(12)

    # -- what pages ask ----------------------------------------------------------------------------
    def get(self, jid: str | None, workspace: str) -> Job | None:
        """The job of this id, if it belongs to ``workspace`` (another session's id finds nothing)."""
        job = self.jobs.get(jid or "")
        return job if job is not None and job.workspace == workspace else None

    def of(self, workspace: str) -> list[Job]:
        """A workspace's jobs (not the API's), newest first."""
        with self.cond:
            return sorted((j for j in self.jobs.values() if j.workspace == workspace and not j.api),
                          key=lambda j: j.created, reverse=True)

    def position(self, job: Job) -> tuple[int, int]:
        """(its place among the waiting jobs, 1-based; 0 when not waiting), how many wait."""
        with self.cond:
            try:
                return self.waiting.index(job) + 1, len(self.waiting)
            except ValueError:
                return 0, len(self.waiting)

    def status(self, job: Job) -> dict:
        place, waiting = self.position(job)
        return {"state": job.state, "position": place, "waiting": waiting, "step": job.step,
                "count": job.count(), "messages": job.messages[-8:],
                "running": sum(1 for lane in self.lanes if lane.job is not None), "workers": len(self.lanes)}

    def shown(self, job: Job) -> None:
        job.shown = True

    def kept_bytes(self) -> int:
        with self.cond:
            return sum(j.size for j in self.jobs.values() if j.view is not None)

    # -- the lanes' side ---------------------------------------------------------------------------
    def _next(self, lane: Lane) -> Job | None:
        with self.cond:
            while True:
                if self.stopping:
                    return None
                job = self._pick(lane)
                if job is not None:
                    self.waiting.remove(job)
                    lane.job = job
                    job.state, job.started, job.step = "running", time.time(), "开始…"
                    job.messages.append("开始处理")
                    return job
                self.cond.wait()

    def _pick(self, lane: Lane) -> Job | None:
        """The job ``lane`` runs next: the first waiting one, unless one of the next few is on a ledger
        this worker has parsed (then that one), or the first is on a ledger another idle worker has
        parsed (then that worker takes it). A job passed over AFFINITY_WINDOW times goes next."""
        held = set().union(*(other.job.exclusive for other in self.lanes if other.job is not None))
        ready = [j for j in self.waiting if not (j.exclusive & held)]
        if not ready:
            return None
        mine = set(lane.backend.cached)
        elsewhere = set().union(*(set(o.backend.cached) for o in self.lanes if o is not lane and o.job is None))
        head = ready[0]
        if head.passed < AFFINITY_WINDOW:
            for j in ready[:AFFINITY_WINDOW]:
                if j.spec.get("key") in mine:
                    if j is not head:
                        head.passed += 1
                    return j
        for j in ready:
            if j.spec.get("key") not in elsewhere or j.passed >= AFFINITY_WINDOW:
                return j
        return None

    def _progress(self, job: Job, text: str) -> None:
        text = self.clean(text)
        job.step = text
        job.messages.append(text)
        del job.messages[:-30]

    def _finish(self, lane: Lane, job: Job, outcome: tuple) -> None:
        state, payload, extra = outcome
        if state == "done":
            view: View = payload
            view.notes = [self.clean(n) for n in view.notes]
            paths, view.files = view.files, []
            if paths:
                self.on_files(job, paths)
            job.view, job.size = view, view.nbytes()
        else:
            job.error, job.error_extra = self.clean(str(payload)), extra
        with self.cond:
            lane.job = None
            job.state, job.finished = state, time.time()
            job.step = "完成" if state == "done" else "出错"
            self._evict()
            self._forget()
            self.cond.notify_all()
        job.done.set()

    def _evict(self) -> None:
        """Results beyond the budget go, oldest finished first (shown ones, then long-unopened ones)."""
        kept = [j for j in self.jobs.values() if j.view is not None and j.finished_ok and not j.api]
        total = sum(j.size for j in kept)
        if total <= self.budget:
            return
        now = time.time()
        shown = sorted((j for j in kept if j.shown), key=lambda j: j.finished)
        stale = sorted((j for j in kept if not j.shown and now - j.finished > GRACE), key=lambda j: j.finished)
        for j in shown + stale:
            if total <= self.budget:
                break
            total -= j.size
            j.view, j.size, j.released = None, 0, True

    def _forget(self) -> None:
        """Records of finished jobs beyond KEEP_RECORDS per workspace (their results already let go
        or shown) are dropped, the oldest first."""
        per: dict[str, list[Job]] = {}
        for j in self.jobs.values():
            if j.finished_ok and (j.shown or j.released) and not j.api:
                per.setdefault(j.workspace, []).append(j)
        for jobs_ in per.values():
            if len(jobs_) > KEEP_RECORDS:
                for j in sorted(jobs_, key=lambda j: j.finished)[:len(jobs_) - KEEP_RECORDS]:
                    del self.jobs[j.id]

    def drop(self, job: Job) -> None:
        """An API job once answered: nothing of it is kept."""
        with self.cond:
            self.jobs.pop(job.id, None)
        job.view = None


__all__ = ["Busy", "Job", "JobQueue", "PER_SESSION", "ProcessBackend", "ThreadBackend", "start_method"]
