"""What the browser door keeps in memory: the ledgers it may read, the jobs it ran (each in a
background thread, one at a time), the files those jobs wrote (by opaque id), and the sessions.

Nothing from a request ever becomes a file-system path: ledgers and downloads are looked up by
random ids the server handed out; uploads are saved under a name the server makes.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import threading
import time
import traceback
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .. import jobs
from ..jobs.errors import describe

MAX_JOBS = 12           # jobs kept with their results (pages; a large ledger's result is big)
SESSION_IDLE = 12 * 3600


def friendly_error(e: BaseException) -> str:
    """A clear Chinese message for any failure; never a stack trace (the same words as every door)."""
    return describe(e)[0]


@dataclass
class LedgerEntry:
    id: str
    path: Path
    name: str             # what the clerk sees
    uploaded: bool
    out_dir: Path         # this ledger's output folder inside the work folder


@dataclass
class Job:
    id: str
    kind: str
    ledger_id: str
    params: dict
    status: str = "running"          # running · done · error
    messages: list[str] = field(default_factory=list)
    result: jobs.JobResult | None = None
    extra: dict = field(default_factory=dict)
    error: str | None = None
    files: list[tuple[str, str]] = field(default_factory=list)   # (download id, file name)
    started: float = field(default_factory=time.time)
    finished: float | None = None

    def progress(self, message: str) -> None:
        self.messages.append(message)
        del self.messages[:-30]


@dataclass
class Session:
    id: str
    csrf: str
    authed: bool = False
    ledger_id: str | None = None
    flash: str | None = None         # a message for the next page (not from the URL: no spoofing)
    seen: float = field(default_factory=time.time)


class State:
    def __init__(self, work_dir: Path, password: str | None = None, max_upload: int = 50 * 1024 * 1024):
        self.work_dir = Path(work_dir)
        self.work_dir.mkdir(parents=True, exist_ok=True)
        self.password = password or None
        self.max_upload = max_upload
        self.cache = jobs.LedgerCache(size=2)
        self.run_lock = threading.Lock()          # one job at a time (shared cache, few cores)
        self.lock = threading.Lock()              # the dictionaries below
        self.ledgers: dict[str, LedgerEntry] = {}
        self.default_ledger: str | None = None
        self.jobs: OrderedDict[str, Job] = OrderedDict()
        self.files: dict[str, Path] = {}
        self.sessions: dict[str, Session] = {}
        self.login_failures: dict[str, list[float]] = {}

    # -- ledgers ---------------------------------------------------------------------------------
    def add_ledger(self, path: Path, name: str, uploaded: bool) -> LedgerEntry:
        path = Path(path).resolve()
        lid = secrets.token_urlsafe(9)
        if uploaded:
            out = path.parent / jobs.OUTPUT_FOLDER
        else:
            tag = hashlib.sha1(str(path).encode("utf-8")).hexdigest()[:8]
            out = self.work_dir / "输出" / f"{_safe_stem(path.stem)}_{tag}"
        entry = LedgerEntry(lid, path, name, uploaded, out)
        with self.lock:
            self.ledgers[lid] = entry
        return entry

    def upload_dir(self, name: str) -> Path:
        """The folder of an uploaded ledger, one per file name: a re-upload of the same ledger keeps its
        outputs and its run log, so 发送通报 still knows what was already sent (R22)."""
        d = self.work_dir / "上传" / _safe_stem(Path(name).stem)
        d.mkdir(parents=True, exist_ok=True)
        return d

    def ledger_of(self, session: Session) -> LedgerEntry | None:
        lid = session.ledger_id or self.default_ledger
        return self.ledgers.get(lid) if lid else None

    # -- sessions ----------------------------------------------------------------------------------
    def session(self, sid: str | None) -> tuple[Session, bool]:
        """The session of a cookie value, or a new one (second value True when new)."""
        now = time.time()
        with self.lock:
            s = self.sessions.get(sid or "")
            if s is not None and now - s.seen < SESSION_IDLE:
                s.seen = now
                return s, False
            for k in [k for k, v in self.sessions.items() if now - v.seen >= SESSION_IDLE]:
                del self.sessions[k]
            s = Session(secrets.token_urlsafe(24), secrets.token_urlsafe(24))
            self.sessions[s.id] = s
            return s, True

    def renew(self, old: Session) -> Session:
        """A fresh session id after login (no session fixation)."""
        with self.lock:
            self.sessions.pop(old.id, None)
            s = Session(secrets.token_urlsafe(24), secrets.token_urlsafe(24), authed=True, ledger_id=old.ledger_id)
            self.sessions[s.id] = s
            return s

    def login_blocked(self, client: str, limit: int = 5, window: float = 300.0) -> bool:
        now = time.time()
        with self.lock:
            recent = [t for t in self.login_failures.get(client, []) if now - t < window]
            self.login_failures[client] = recent
            return len(recent) >= limit

    def login_failed(self, client: str) -> None:
        with self.lock:
            self.login_failures.setdefault(client, []).append(time.time())

    # -- jobs ------------------------------------------------------------------------------------
    def submit(self, kind: str, entry: LedgerEntry, params: dict,
               work: Callable[[Job], jobs.JobResult]) -> Job:
        job = Job(secrets.token_urlsafe(12), kind, entry.id, params)
        job.progress("排队等待…" if self.run_lock.locked() else "开始…")
        with self.lock:
            self.jobs[job.id] = job
            while len(self.jobs) > MAX_JOBS:           # the oldest result goes, and its download links
                _, old = self.jobs.popitem(last=False)
                for fid, _name in old.files:
                    self.files.pop(fid, None)
        threading.Thread(target=self._run, args=(job, work), daemon=True, name=f"jsjb-{kind}").start()
        return job

    def run_now(self, work: Callable[[], object]):
        """Run ``work`` under the job lock in the calling thread (the JSON API)."""
        with self.run_lock:
            return work()

    def _run(self, job: Job, work: Callable[[Job], jobs.JobResult]) -> None:
        try:
            with self.run_lock:
                result = work(job)
            job.result = result
            self.register(job, result.files)
            job.status = "done"
        except BaseException as e:  # noqa: BLE001 - every failure becomes a Chinese message on the page
            job.error = friendly_error(e)
            job.status = "error"
            if _debug():
                traceback.print_exc()
        finally:
            job.finished = time.time()

    def register(self, job: Job, paths) -> None:
        with self.lock:
            for p in paths:
                p = Path(p)
                if p.is_file():
                    fid = secrets.token_urlsafe(16)
                    self.files[fid] = p.resolve()
                    job.files.append((fid, p.name))

    def job(self, jid: str | None) -> Job | None:
        return self.jobs.get(jid or "")

    def file(self, fid: str) -> Path | None:
        p = self.files.get(fid)
        return p if p is not None and p.is_file() else None


def _debug() -> bool:
    import os

    return bool(os.environ.get("JSJB_DEBUG"))


_UNSAFE = re.compile(r"[^\w\u4e00-\u9fff（）()\-.]+")


def _safe_stem(stem: str) -> str:
    return (_UNSAFE.sub("_", stem).strip("._") or "台账")[:60]


def safe_upload_name(filename: str | None) -> str:
    """The saved name of an upload: the base name only, harmless characters, ending in .xlsx."""
    base = re.split(r"[\\/]", filename or "")[-1]
    stem = base[:-5] if base.lower().endswith(".xlsx") else base
    return f"{_safe_stem(stem)}.xlsx"
