"""Who uses the browser door, and what is theirs (CONTRACT §5, "One server, a whole office").

- A **workspace** belongs to one browser: its ledgers (uploaded copies, and its own output folder for
  the ledger given on the command line), its jobs, its files. Its id is random (``secrets``), kept in
  a long-lived HttpOnly cookie, so a clerk finds her ledger and outputs again the next day and after a
  server restart; on disk it is a folder named by a hash of the id (the id itself is never a path).
  Two clerks who upload files of the same name get two workspaces and two folders: nothing is keyed
  by a file name.
- A **session** (cookie ``jsjb_sid``, in memory, ends after 12 idle hours) carries the form token and
  the login; logging in gives a new session id over the same workspace.
- **Downloads** are by random ids the server handed out, each tied to its workspace: one session's
  link opens nothing in another.
- **Login lockout** counts failures by the connecting address only (never a header the client sends).

Nothing from a request ever becomes a file-system path.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from .. import jobs

SESSION_COOKIE = "jsjb_sid"
WORKSPACE_COOKIE = "jsjb_ws"
WORKSPACE_DAYS = 180                      # the workspace cookie's life
SESSION_IDLE = 12 * 3600
WORKSPACE_IDLE = 7 * 24 * 3600            # a workspace unused this long leaves memory (its folder stays)
WORKSPACE_ID = re.compile(r"^[A-Za-z0-9_-]{32}$")
UPLOADS = "上传"
OUTPUTS = "输出"
LOGIN_LIMIT, LOGIN_WINDOW = 5, 300.0
MAX_SESSIONS = 5000                       # a script calling the API without cookies makes one per request


@dataclass
class LedgerEntry:
    """A ledger a workspace may use: an uploaded copy, or the ledger given on the command line."""

    id: str
    path: Path
    name: str                 # what the clerk sees
    uploaded: bool
    out_dir: Path             # where this workspace's jobs on it write
    digest: str | None = None  # an upload's SHA-256: the parse cache's key (equal uploads share a parse)

    def cache_key(self) -> str:
        """The key of this ledger's parsed copy: the upload's contents, or the file's identity and
        modification time (the office ledger edited and saved is read again)."""
        if self.digest:
            return "sha256:" + self.digest
        st = self.path.stat()
        return f"file:{self.path}|{st.st_mtime_ns}|{st.st_size}"


@dataclass
class Workspace:
    id: str
    folder: Path
    ledgers: dict[str, LedgerEntry] = field(default_factory=dict)
    current: str | None = None
    seen: float = field(default_factory=time.time)

    def ledger(self) -> LedgerEntry | None:
        return self.ledgers.get(self.current or "")


@dataclass
class Session:
    id: str
    csrf: str
    workspace: Workspace
    authed: bool = False
    flash: str | None = None          # a message for the next page (never from the URL: no spoofing)
    seen: float = field(default_factory=time.time)


def _token() -> str:
    return secrets.token_urlsafe(24)          # 32 characters


def folder_name(workspace_id: str) -> str:
    return hashlib.sha256(workspace_id.encode("ascii")).hexdigest()[:24]


_UNSAFE = re.compile(r"[^\w\u4e00-\u9fff（）()\-.]+")


def safe_stem(stem: str) -> str:
    return (_UNSAFE.sub("_", stem).strip("._") or "台账")[:60]


def safe_upload_name(filename: str | None) -> str:
    """The saved name of an upload: the base name only, harmless characters, ending in .xlsx."""
    base = re.split(r"[\\/]", filename or "")[-1]
    stem = base[:-5] if base.lower().endswith(".xlsx") else base
    return f"{safe_stem(stem)}.xlsx"


class Registry:
    """Sessions, workspaces, download ids and login failures — each behind one short lock (never
    held while a file is read or a job runs)."""

    def __init__(self, work_dir: Path, default_ledger: Path | None = None):
        self.work_dir = Path(work_dir)
        self.work_dir.mkdir(parents=True, exist_ok=True)
        self.default_ledger = Path(default_ledger).resolve() if default_ledger else None
        self.lock = threading.Lock()
        self.sessions: dict[str, Session] = {}
        self.workspaces: dict[str, Workspace] = {}
        self.files: dict[str, tuple[str, Path]] = {}        # download id → (workspace id, path)
        self.login_failures: dict[str, list[float]] = {}

    # -- sessions and workspaces ---------------------------------------------------------------
    def session(self, sid: str | None, wsid: str | None) -> tuple[Session, bool, bool]:
        """The session of the cookies, or a new one: (session, new session id, new workspace id)."""
        now = time.time()
        with self.lock:
            s = self.sessions.get(sid or "")
            if s is not None and now - s.seen < SESSION_IDLE:
                s.seen = s.workspace.seen = now
                return s, False, False
            self._expire(now)
            ws, new_ws = self._workspace(wsid)
            s = Session(_token(), _token(), ws)
            self.sessions[s.id] = s
            return s, True, new_ws

    def renew(self, old: Session) -> Session:
        """A fresh session id after login (no session fixation); the workspace stays."""
        with self.lock:
            self.sessions.pop(old.id, None)
            s = Session(_token(), _token(), old.workspace, authed=True)
            self.sessions[s.id] = s
            return s

    def _expire(self, now: float) -> None:
        for k in [k for k, v in self.sessions.items() if now - v.seen >= SESSION_IDLE]:
            del self.sessions[k]
        if len(self.sessions) >= MAX_SESSIONS:        # the least recently seen go first
            for k in sorted(self.sessions, key=lambda k: self.sessions[k].seen)[:len(self.sessions) - MAX_SESSIONS + 1]:
                del self.sessions[k]
        live = {s.workspace.id for s in self.sessions.values()}
        for k in [k for k, w in self.workspaces.items()
                  if k not in live and (now - w.seen >= WORKSPACE_IDLE or len(self.workspaces) > MAX_SESSIONS)]:
            del self.workspaces[k]
            for fid in [f for f, (w, _) in self.files.items() if w == k]:
                del self.files[fid]

    def _workspace(self, wsid: str | None) -> tuple[Workspace, bool]:
        if wsid and WORKSPACE_ID.match(wsid):
            if wsid in self.workspaces:
                return self.workspaces[wsid], False
            folder = self.work_dir / "工作区" / folder_name(wsid)
            if folder.is_dir():                      # a workspace of an earlier server run: its ledgers again
                ws = Workspace(wsid, folder)
                self._restore(ws)
                self.workspaces[wsid] = ws
                return ws, False
        wsid = _token()
        ws = Workspace(wsid, self.work_dir / "工作区" / folder_name(wsid))
        self._attach_default(ws)
        self.workspaces[wsid] = ws
        return ws, True

    def _attach_default(self, ws: Workspace) -> None:
        if self.default_ledger is None:
            return
        p = self.default_ledger
        tag = hashlib.sha1(str(p).encode("utf-8")).hexdigest()[:8]
        entry = LedgerEntry(secrets.token_urlsafe(9), p, p.name, False, ws.folder / OUTPUTS / f"{safe_stem(p.stem)}_{tag}")
        ws.ledgers[entry.id] = entry
        ws.current = entry.id

    def _restore(self, ws: Workspace) -> None:
        """The command-line ledger, and the workspace's uploaded copies; the newest upload is current."""
        self._attach_default(ws)
        copies = sorted((p for p in (ws.folder / UPLOADS).glob("*/*.xlsx") if not p.name.startswith(".")),
                        key=lambda p: p.stat().st_mtime)
        for p in copies:
            entry = LedgerEntry(secrets.token_urlsafe(9), p, p.name, True, p.parent / jobs.OUTPUT_FOLDER)
            ws.ledgers[entry.id] = entry
            ws.current = entry.id

    # -- ledgers ---------------------------------------------------------------------------------
    def upload_dir(self, ws: Workspace, name: str) -> Path:
        """The folder of an uploaded ledger in this workspace, one per file name: a re-upload of the
        same ledger keeps its outputs and its run log, so 发送通报 still knows what was sent (R22)."""
        d = ws.folder / UPLOADS / safe_stem(Path(name).stem)
        d.mkdir(parents=True, exist_ok=True)
        return d

    def add_upload(self, ws: Workspace, path: Path, digest: str) -> LedgerEntry:
        entry = LedgerEntry(secrets.token_urlsafe(9), path, path.name, True, path.parent / jobs.OUTPUT_FOLDER, digest)
        with self.lock:
            for k in [k for k, e in ws.ledgers.items() if e.uploaded and e.path == path]:
                del ws.ledgers[k]                      # the same copy uploaded again
            ws.ledgers[entry.id] = entry
            ws.current = entry.id
        return entry

    # -- downloads -----------------------------------------------------------------------------------
    def register(self, ws_id: str, path: Path) -> str:
        fid = secrets.token_urlsafe(16)
        with self.lock:
            self.files[fid] = (ws_id, Path(path).resolve())
        return fid

    def file(self, ws: Workspace, fid: str) -> Path | None:
        owner, path = self.files.get(fid, (None, None))
        if owner != ws.id or path is None or not path.is_file():
            return None
        return path

    # -- login ---------------------------------------------------------------------------------------
    def login_blocked(self, address: str) -> bool:
        now = time.time()
        with self.lock:
            recent = [t for t in self.login_failures.get(address, []) if now - t < LOGIN_WINDOW]
            self.login_failures[address] = recent
            return len(recent) >= LOGIN_LIMIT

    def login_failed(self, address: str) -> None:
        with self.lock:
            self.login_failures.setdefault(address, []).append(time.time())


__all__ = ["LedgerEntry", "Registry", "SESSION_COOKIE", "Session", "WORKSPACE_COOKIE", "Workspace",
           "safe_upload_name"]
