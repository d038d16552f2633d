"""导入工单 (R24, CONTRACT §6): an export of the 接诉即办 system against the ledger — the new tickets as
rows to paste, and every difference — for every door (CLI ``jsjb intake``, the 导入工单 button, the
browser's /intake). The ledger is only read; ``out`` is a new file (or replaced with ``force``)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pandas as pd

from ..allocator import tune_allocator
from ..core import schema as S
from ..core.errors import InvalidValue
from ..core.intake import Reconciliation, locate_all, parse_export, reconcile
from ..core.masking import mask_tickets
from .base import JobResult, LedgerCache, Progress, Source, Timer, quiet, write_log
from .tasks import _xlsx_target, refuse_existing

JOB = "导入工单"
NEW_SHEET = "新工单"              # the display table of the new tickets (masked)
REPORT_SHEET = "核对结果"
PREVIEW_COLUMNS = (S.ID, S.DISPATCHED, S.ENTERPRISE, S.LIMIT_TYPE, S.CATEGORY, S.CALLER, S.CONTENT)


def preview(rec: Reconciliation) -> pd.DataFrame:
    """The new tickets as the doors show them before the clerk decides (R19: masked; 诉求内容 scrubbed)."""
    frame = rec.new.reindex(columns=[*PREVIEW_COLUMNS, S.PHONE, S.ADDRESS])
    shown = mask_tickets(frame, [S.CONTENT])
    return shown[list(PREVIEW_COLUMNS)].reset_index(drop=True)


def intake(export, ledger, *, out=None, force: bool = False, progress: Progress = quiet,
           cache: LedgerCache | None = None, name: str | None = None) -> JobResult:
    """Read the export at ``export`` (.xlsx/.xls/.csv) and classify every row against ``ledger`` (a
    path, a Ledger or a Source). ``out``: also write the workbook of the rows to paste (工单台账, in the
    ledger's column order, values typed) and the 核对结果 sheet; an existing file is refused unless
    ``force``. ``name``: the export's name in messages (an upload's original name; default its file
    name). Exit code 0: nothing to do; 1: new tickets or differences."""
    from ..io.export import read_grids, write_intake

    export = Path(export)
    shown_name = name or export.name
    target = None
    if out:
        target = _xlsx_target(out, "输出文件", Path(ledger) if isinstance(ledger, str | Path) else None)
        if target.resolve() == export.resolve():
            raise InvalidValue("输出文件", str(out), "不能覆盖导出文件，请换一个文件名")
        refuse_existing(target, "文件", force)
    if isinstance(ledger, str | Path) and Path(ledger).resolve() == export.resolve():
        raise InvalidValue("导出文件", str(export), "这是台账本身：请选择从接诉即办系统导出的工单文件")
    # the export is read while the ledger is (fastexcel parses the ledger without the GIL)
    pool = ThreadPoolExecutor(1)
    grids_ahead = pool.submit(read_grids, export)
    pool.shutdown(wait=False)
    last_row = None
    try:
        if isinstance(ledger, str | Path) and cache is None:
            source, parsed, last_row = _from_file(Path(ledger), grids_ahead, shown_name, progress)
        else:
            source = Source.of(ledger, progress, cache)
    finally:
        if not grids_ahead.done():
            progress(f"读取导出文件 {shown_name}…")
        grids = grids_ahead.result()          # its own error (a bad export) comes first
    if last_row is None:
        source.ledger.aliases.check()
        sheets, notes = locate_all(grids, source.ledger.aliases, shown_name)
        parsed = parse_export(sheets, shown_name, notes)
    with Timer(progress)(f"核对 {len(parsed.tickets)} 行与台账"):
        rec = reconcile(parsed, source.ledger, last_row=last_row)
    data = rec.json()
    data["ledger"] = str(source.path or source.ledger.source or "")
    result = JobResult(JOB, data, exit_code=0 if rec.nothing_to_do else 1, detail=rec)
    result.tables[NEW_SHEET] = preview(rec)
    result.tables[REPORT_SHEET] = rec.report()
    result.notes += parsed.notes + [i.text() for i in source.ledger.sheet_issues() if i.level == "error"]
    if target is not None:
        with Timer(progress)(f"写入 {target}"):
            write_intake(target, rec.paste(), result.tables[REPORT_SHEET], summary(rec))
        result.files.append(target)
        data["file"] = str(target)
        c = rec.counts()
        write_log(result, source, f"{data['span'][0] or ''}~{data['span'][1] or ''}", c["rows"],
                  f"新工单 {c['new']} 张，不一致 {c['changed']} 处，系统导出中没有 {c['missing_in_export']} 张")
    return result


def _from_file(path: Path, grids_ahead, shown_name: str, progress: Progress):
    """The ledger file read for an intake: its sheets as read (the read started ahead when there is
    one), the export's header mapped by its 列名对照, and of its tickets only those the export can
    concern parsed (``core.intake.needed_rows``)."""
    from ..core.intake import needed_rows
    from ..core.ledger import aliases_of, build
    from ..io.reader import read_sheets

    tune_allocator(path)
    with Timer(progress)(f"读取台账 {path}"):
        raw = read_sheets(path, tickets_as_arrow=True)
    aliases = aliases_of(raw)
    aliases.check()
    sheets, notes = locate_all(grids_ahead.result(), aliases, shown_name)
    parsed = parse_export(sheets, shown_name, notes)
    keep, last_row = needed_rows(raw[S.SHEET_TICKETS], parsed)
    with Timer(progress)(f"解析台账中与导出文件有关的 {int(keep.sum())} 行"):
        ledger = build(raw, source=str(path), keep=keep)
    return Source(ledger, path), parsed, last_row


def summary(rec: Reconciliation) -> list[str]:
    """The result in a few Chinese lines (the same words in the CLI, the button's question and the page)."""
    c = rec.counts()
    data = rec.json()
    lines = [f"导出文件“{rec.export.source}”：{c['rows']} 行，派单时间 {_minute(data['span'][0])} 至 "
             f"{_minute(data['span'][1])}。"]
    lines.append(f"新工单 {c['new']} 张；台账中已有 {c['matched']} 张，其中不一致 {c['changed']} 处（{c['changed_tickets']} 张"
                 f"工单）；重复 {c['duplicates']} 个工单编号（多出 {c['repeated']} 行）；无效行 {c['invalid']} 行；"
                 f"台账中有、导出中没有 {c['missing_in_export']} 张。")
    if c["new"]:
        lines.append(f"新工单应粘贴到台账“{S.SHEET_TICKETS}”表第 {rec.last_row + 1} 行起（A列）。")
    if rec.nothing_to_do:
        lines.append("台账与导出文件一致，无需处理。")
    return lines


def _minute(text: str | None) -> str:
    return "—" if not text else text[:16].replace("T", " ")


__all__ = ["JOB", "NEW_SHEET", "REPORT_SHEET", "intake", "preview", "summary"]
