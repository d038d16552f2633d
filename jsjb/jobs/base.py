"""What every job shares: progress, loading and evaluating a ledger, where outputs go, the run log,
and the result object each job returns to its door.

Intervals: ``as_of`` is a moment (naive Shanghai time, R0); an event at exactly ``as_of`` has happened.
"""

from __future__ import annotations

import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import pandas as pd

from ..allocator import tune_allocator
from ..core import clock
from ..core import schema as S
from ..core.errors import LedgerError
from ..core.ledger import ERROR, ROW, WARNING, Issue, Ledger, Window
from ..core.rules import compute as compute_rules
from ..core.validate import validate

Progress = Callable[[str], None]
OUTPUT_FOLDER = "jsjb输出"      # beside the ledger: where every job saves its files by default


def quiet(_: str) -> None:
    pass


now = clock.now


class Timer:
    """Reports each stage and its duration through the progress callback."""

    def __init__(self, progress: Progress):
        self.progress = progress

    def __call__(self, label: str):
        timer = self

        class _Stage:
            def __enter__(self):
                self.t0 = time.perf_counter()
                timer.progress(f"{label}…")
                return self

            def __exit__(self, *exc):
                if exc[0] is None:
                    timer.progress(f"{label}：完成（{time.perf_counter() - self.t0:.1f} 秒）")
        return _Stage()


# -- loading ---------------------------------------------------------------------------------------
class LedgerCache:
    """Parsed ledgers keyed by the file's identity and modification time (the browser door's warm
    path: a second job on an unchanged file pays no read). Holds at most ``size`` ledgers. Safe to
    share between threads; jobs only read a cached ledger, never change it."""

    def __init__(self, size: int = 2):
        self.size = size
        self._items: OrderedDict[tuple, Ledger] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def key(path: Path) -> tuple:
        st = path.stat()
        return (str(path.resolve()), st.st_mtime_ns, st.st_size)

    def get(self, path: Path, progress: Progress) -> Ledger:
        key = self.key(path)
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                progress("使用已读取的台账（文件未改动）")
                return self._items[key]
            ledger = _read(path, progress)
            self._items[key] = ledger
            while len(self._items) > self.size:
                self._items.popitem(last=False)
            return ledger


def _read(path: Path, progress: Progress, window: Window | None = None) -> Ledger:
    from ..io.reader import read_ledger

    tune_allocator(path)
    with Timer(progress)(f"读取台账 {path}"):
        return read_ledger(path, window)


def load(path, progress: Progress = quiet, cache: LedgerCache | None = None, window: Window | None = None) -> Ledger:
    """Read a ledger workbook (through ``cache`` when given: the cache holds whole ledgers).
    ``window``: only the tickets a report over it needs (``core.ledger.in_window``)."""
    path = Path(path)
    if cache is not None:
        return cache.get(path, progress).within(window)
    return _read(path, progress, window)


@dataclass
class Source:
    """The ledger a job runs on: already read (``ledger``) and/or a file (``path``). The path decides
    where outputs and the run log go by default; a book with no path (unsaved) has none."""

    ledger: Ledger
    path: Path | None = None

    @classmethod
    def of(cls, ledger, progress: Progress = quiet, cache: LedgerCache | None = None,
           window: Window | None = None) -> Source:
        """The ledger of a job: a Source as it is, a Ledger (a button's book), or a file read now.
        ``window``: only the tickets a report over it needs (``core.ledger.in_window``)."""
        if isinstance(ledger, Source):
            return cls(ledger.ledger.within(window), ledger.path)
        if isinstance(ledger, Ledger):
            return cls(ledger.within(window),
                       Path(ledger.source) if ledger.source and Path(ledger.source).is_absolute() else None)
        return cls(load(ledger, progress, cache, window), Path(ledger))

    def out_dir(self, explicit=None) -> Path:
        return out_dir_of(self.path, explicit)


def out_dir_of(ledger_path: Path | None, explicit=None) -> Path:
    """Where a job's files go: ``explicit``, else the 输出 folder beside the ledger (an unsaved book
    has none: an error saying to save it)."""
    if explicit:
        return Path(explicit)
    if ledger_path is None:
        raise LedgerError("请先保存台账工作簿（生成的文件将保存在台账所在文件夹的“jsjb输出”中）。")
    return Path(ledger_path).resolve().parent / OUTPUT_FOLDER


# -- evaluation ------------------------------------------------------------------------------------
@dataclass
class Evaluated:
    """A ledger with its computed columns at one moment, and its validation findings — worked out
    when first asked for (a report's figures do not depend on them: R11–R18 judge each ticket by its
    computed columns)."""

    ledger: Ledger
    as_of: pd.Timestamp
    computed: pd.DataFrame
    progress: Progress = field(default=quiet, repr=False)

    @cached_property
    def issues(self) -> list[Issue]:
        with Timer(self.progress)("校验数据"):
            return validate(self.ledger, self.computed)

    @property
    def tickets(self) -> pd.DataFrame:
        return self.ledger.tickets

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.level == ERROR]

    @property
    def warnings(self) -> list[Issue]:
        return [i for i in self.issues if i.level == WARNING]

    def row_errors(self) -> dict[int, list[str]]:
        out: dict[int, list[str]] = {}
        for i in self.errors:
            if i.sheet == S.SHEET_TICKETS and i.row:
                out.setdefault(i.row, []).append(f"数据有误：{i.column}（{i.message}）")
        return out

    def valid_mask(self) -> pd.Series:
        """True for tickets without a data error."""
        bad = {i.row for i in self.errors if i.sheet == S.SHEET_TICKETS and i.row}
        return ~self.tickets[ROW].isin(bad)


def moment(as_of=None) -> pd.Timestamp:
    """A job's as_of: the given moment as naive Shanghai time (R0), or now."""
    return now() if as_of is None else clock.naive_local(pd.Timestamp(as_of))


def evaluate(ledger: Ledger, as_of: pd.Timestamp | None = None, progress: Progress = quiet) -> Evaluated:
    as_of = moment(as_of)
    step = Timer(progress)
    with step(f"计算期限与状态（{len(ledger.tickets)} 张工单）"):
        computed = compute_rules(ledger.tickets, ledger.params, ledger.calendar, as_of)
    return Evaluated(ledger, as_of, computed, progress)


# -- results and the run log -------------------------------------------------------------------------
@dataclass
class JobResult:
    """What a job hands back to its door.

    ``data`` is exactly what ``--json`` prints (CONTRACT §3 shapes, more keys allowed); ``files`` the
    files written; ``tables`` display tables with Chinese headers (for output sheets and pages);
    ``notes`` messages the door shows (warnings that do not stop the job); ``log`` the run-log rows
    appended; ``exit_code`` 0 ok, 1 the job ran but something needs attention (row errors, mail
    failures)."""

    job: str
    data: dict
    files: list[Path] = field(default_factory=list)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    log: list[list] = field(default_factory=list)
    exit_code: int = 0
    evaluated: Evaluated | None = None
    detail: object = None          # the core's own result (Report, DispatchList, MailReport) for the doors


def log_path(source: Source) -> Path | None:
    """The run log of a ledger: JSJB_LOG, else beside the ledger; None for an unsaved book."""
    from ..io import runlog

    if source.path is None and not os.environ.get("JSJB_LOG"):
        return None
    return runlog.log_path(source.path)


def write_log(result: JobResult, source: Source, period: str = "", rows="", note: str = "", *,
              outputs=None, extra: dict | None = None) -> None:
    """Append one run-log row for the job (CSV beside the ledger, or JSJB_LOG); a log that cannot be
    written becomes a note, never a failure. The row is also kept in ``result.log`` (buttons copy it
    into the workbook's 运行记录 sheet)."""
    from ..io import runlog

    row = runlog.record(result.job, period, str(source.path or source.ledger.source or ""), rows,
                        result.files if outputs is None else outputs, note, **(extra or {}))
    result.log.append(row)
    target = log_path(source)
    if target is None:
        return
    try:
        runlog.append(target, row)
    except OSError as e:
        result.notes.append(f"无法写入运行记录（{e.strerror or e}）")
