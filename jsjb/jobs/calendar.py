"""Calendar upkeep (R23): which years the holiday data covers, and next year's State Council notice
turned into 节假日 rows the clerk pastes into the ledger."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

from ..core import schema as S
from ..core.calendar import coverage
from ..core.errors import LedgerFileError
from ..core.ledger import build
from ..core.notice import parse_notice
from .base import JobResult, LedgerCache, Progress, Source, evaluate, quiet
from .tasks import _xlsx_target, refuse_existing


def holidays(ledger=None, *, as_of=None, progress: Progress = quiet, cache: LedgerCache | None = None) -> JobResult:
    """Coverage of the built-in data and the ledger's 节假日 sheet at ``as_of``; without a ledger,
    the built-in data alone (no tickets)."""
    if ledger is None:
        source = Source(build({S.SHEET_TICKETS: pd.DataFrame(columns=list(S.INPUT_NAMES))}))
    else:
        source = Source.of(ledger, progress, cache)
    ev = evaluate(source.ledger, as_of, progress)
    cov = coverage(ev.ledger.calendar, ev.tickets, ev.computed, ev.as_of)
    result = JobResult("节假日", cov.as_dict(), evaluated=ev, detail=cov)
    result.exit_code = 1 if cov.missing else 0
    return result


def read_notice_text(path) -> str:
    """The notice's text from a file (UTF-8, UTF-8 with BOM or GB18030, as saved from a browser or
    WPS) or ``-`` for standard input."""
    if str(path) == "-":
        data = sys.stdin.buffer.read()
    else:
        p = Path(path)
        if not p.is_file():
            raise LedgerFileError(f"找不到通知文件：{p}")
        data = p.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise LedgerFileError(f"无法识别通知文件 {path} 的文字编码：请另存为 UTF-8 文本后重试")


def notice(path=None, *, text: str | None = None, out=None, force: bool = False, existing=None,
           progress: Progress = quiet) -> JobResult:
    """The State Council notice — a file (``path``, ``-`` for stdin) or the ``text`` itself — → one
    节假日 row per date; ``out`` writes a workbook whose 节假日 sheet (日期, 类型, 说明) is ready to paste
    into the ledger. ``existing`` (the sheet's rows as ``Override``) adds ``new`` (dates the sheet does
    not hold yet) and ``conflicts`` (dates it holds with the other 类型 — the sheet wins, so the clerk
    must decide) to the data."""
    parsed = parse_notice(text if text is not None else read_notice_text(path))
    result = JobResult("节假日通知", parsed.as_dict(), detail=parsed)
    if existing is not None:
        have = {o.day.isoformat(): o.kind for o in existing}
        rows = result.data["rows"]
        result.data["new"] = [r for r in rows if r["date"] not in have]
        result.data["conflicts"] = [{**r, "sheet_type": have[r["date"]]} for r in rows
                                    if r["date"] in have and have[r["date"]] != r["type"]]
    if out:
        from ..io.writer import Table, write_tables

        target = _xlsx_target(out, "输出文件")
        refuse_existing(target, "文件", force)
        frame = pd.DataFrame({
            "日期": pd.to_datetime([r.date for r in parsed.rows]),
            "类型": [r.kind for r in parsed.rows],
            "说明": [r.note for r in parsed.rows],
        })
        write_tables(target, [Table(S.SHEET_HOLIDAYS, frame, dates=("日期",), widths={"说明": 24}, landscape=False)])
        result.files.append(target)
        result.data["file"] = str(target)
    return result
