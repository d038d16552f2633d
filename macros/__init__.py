"""The buttons of the ribbon tab 接诉即办 (CONTRACT §4): one function per button, working on
the calling workbook through the xlwings API. Each reads the ledger, calls the same job as the
CLI and the browser (``jsjb.jobs``), writes only its own output sheet and the job's files next to
the ledger, shows progress in the status bar and any problem in a Chinese alert — never a traceback.

VBA calls them through RunPython (workbook/addin/JsjbRibbon.bas), e.g.
``RunPython "import macros; macros.bulletin('2025-12')"``.
"""

from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path

from jsjb import jobs
from jsjb.core import howto
from jsjb.core import schema as S
from jsjb.core.ledger import parse_holidays
from jsjb.jobs.errors import describe

from . import book_io

TITLE = "接诉即办"
BUTTONS = {   # ribbon label → function name
    "刷新": "refresh", "日调度": "dispatch", "月通报": "bulletin", "年度考核": "assess",
    "归档": "archive", "发送通报": "send_bulletin", "导入节假日": "import_holidays", "导入工单": "import_tickets",
}
LOG_SHEET = "运行记录"


def _status(book, text: str | None) -> None:
    """The status bar (classic Excel); engines without one are skipped silently."""
    try:
        book.app.status_bar = text if text else False
    except Exception:  # noqa: BLE001 - remote engines have no status bar
        pass


def _alert(book, message: str) -> None:
    try:
        book.app.alert(message, title=TITLE)
    except Exception:  # noqa: BLE001 - never let an alert failure become a traceback in Excel
        print(message)


def button(func):
    """Door for a macro: find the book, report progress, turn errors into an alert."""

    @functools.wraps(func)
    def run(*args, book=None, **kwargs):
        book = book or book_io.calling_book()
        progress = lambda text: _status(book, f"{TITLE}：{text}")  # noqa: E731
        with howto.door("excel"):        # how-to advice names buttons, not commands
            try:
                return func(book, progress, *args, **kwargs)
            except Exception as e:  # noqa: BLE001 - a button must never show a Python traceback
                _alert(book, describe(e)[0])
            finally:
                _status(book, None)
        return None

    return run


def _source(book, progress) -> jobs.Source:
    """The calling book as a job's ledger; its path (when saved) places outputs and the run log."""
    with jobs.Timer(progress)("读取台账"):
        ledger = book_io.read_ledger(book)
    full = Path(str(book.fullname))
    return jobs.Source(ledger, full if full.is_absolute() else None)


def _finish(book, result: jobs.JobResult, message: str) -> None:
    """Log rows into the 运行记录 sheet, then one alert with the message and the job's notes."""
    _log_sheet(book, result.log)
    notes = "\n".join(result.notes[:8])
    _alert(book, message + (f"\n\n{notes}" if notes else ""))


def _paths(files: dict) -> dict:
    """The job's file names (JSON texts) as paths, nested dicts kept."""
    return {k: _paths(v) if isinstance(v, dict) else Path(v) for k, v in files.items()}


def _header_block(title: str, subtitle: str) -> list[list]:
    return [[title, subtitle]]


@button
def refresh(book, progress, as_of=None):
    """刷新：按参数和节假日表重新计算，把计算列作为数值写入“计算结果”表（供未安装加载项的同事查看）。"""
    source = _source(book, progress)
    result = jobs.compute(source, as_of=as_of, log=True, progress=progress)
    ev = result.evaluated
    frame = result.tables["计算结果"]
    with jobs.Timer(progress)("更新计算列的统计时点"):
        book_io.refresh_formulas(book, ev.as_of.to_pydatetime())
    with jobs.Timer(progress)("写入“计算结果”表"):
        summary = f"共 {len(frame)} 张工单，数据错误 {len(ev.errors)} 条"
        book_io.write_sheet(book, "计算结果", [
            [["计算结果（数值）", f"统计时点 {ev.as_of:%Y-%m-%d %H:%M}", summary]], book_io.frame_values(frame)])
    if ev.errors or result.notes:
        message = "已刷新。"
        if ev.errors:
            message += f"发现 {len(ev.errors)} 条数据错误（状态显示为“数据有误”），例如：\n" + \
                "\n".join(i.text() for i in ev.errors[:5])
        _finish(book, result, message)
    else:
        _log_sheet(book, result.log)
    return ev


@button
def bulletin(book, progress, month=None, as_of=None, out=None, docx=False):
    """月通报：在“月通报”表写入各企业三率、得分和排名，并在台账旁保存通报和各企业工作簿（可选公文稿）。"""
    source = _source(book, progress)
    result = jobs.bulletin(source, month, as_of=as_of, out_dir=source.out_dir(out), docx=docx, workers=1,
                           progress=progress)
    rep = result.detail
    with jobs.Timer(progress)("写入“月通报”表"):
        book_io.write_sheet(book, "月通报", [
            _header_block(f"{rep.period.title}月通报", f"统计时点 {rep.as_of:%Y-%m-%d %H:%M}"),
            book_io.frame_values(result.tables["月通报"])])
    files = _paths(result.data["files"])
    _finish(book, result, f"{rep.period.title}月通报已生成：\n{files['bulletin']}\n以及 {len(files['enterprises'])} 个"
                          f"企业工作簿，保存在 {files['bulletin'].parent}")
    return files


@button
def assess(book, progress, year=None, as_of=None, out=None, docx=False):
    """年度考核：在“年度考核”表写入100分制考核结果，并在台账旁保存考核工作簿（可选公文稿）。"""
    source = _source(book, progress)
    result = jobs.assess(source, year, as_of=as_of, out_dir=source.out_dir(out), docx=docx, progress=progress)
    rep = result.detail
    with jobs.Timer(progress)("写入“年度考核”表"):
        book_io.write_sheet(book, "年度考核", [
            _header_block(f"{rep.period.title}考核", f"统计时点 {rep.as_of:%Y-%m-%d %H:%M}"),
            book_io.frame_values(result.tables["年度考核"])])
    path = result.data["files"]["assessment"]
    _finish(book, result, f"{rep.period.title}考核已生成：\n{path}")
    return Path(path)


@button
def dispatch(book, progress, as_of=None, out=None):
    """日调度：在“日调度”表列出需督办的工单（超期、未确认归属、临期、材料逾期、材料将到期、延期申请将截止、挂单），
    并在台账旁保存办公室和各企业的督办清单。"""
    source = _source(book, progress)
    result = jobs.dispatch(source, as_of=as_of, out_dir=source.out_dir(out), progress=progress)
    dl = result.detail
    with jobs.Timer(progress)("写入“日调度”表"):
        book_io.write_sheet(book, "日调度", [
            _header_block(f"日调度（{dl.as_of:%Y-%m-%d %H:%M}）", f"需督办 {len(dl.items)} 件"),
            book_io.frame_values(result.tables["汇总"]), book_io.frame_values(result.tables["督办清单"])])
    files = _paths(result.data["files"])
    _finish(book, result, f"日调度已生成：需督办 {len(dl.items)} 件。\n{files['office']}")
    return files


@button
def archive(book, progress, as_of=None, out=None):
    """归档：已办结工单编归档号（已编号的保持不变），在“归档”表写入归档目录，并在台账旁保存归档工作簿
    （含材料清单和年度台账，第17条）。"""
    source = _source(book, progress)
    result = jobs.archive(source, as_of=as_of, out=source.out_dir(out) / jobs.ARCHIVE_FILE, progress=progress)
    d = result.data
    with jobs.Timer(progress)("写入“归档”表"):
        book_io.write_sheet(book, "归档", [
            _header_block(f"归档目录（{result.evaluated.as_of:%Y-%m-%d %H:%M}）", f"共 {d['archived']} 件"),
            book_io.frame_values(result.tables["归档目录"])])
    _finish(book, result, f"已归档 {d['archived']} 件（本次新编号 {d['new']} 件）：\n{d['file']}")
    return Path(d["file"])


@button
def send_bulletin(book, progress, month=None, out=None, dry_run=False, resend=False):
    """发送通报：把“jsjb输出”文件夹中该月各企业的月通报工作簿发送到“承办企业”表中的邮箱，每家只发自己的，
    已发送过的不重发（邮件服务器和密码取自环境变量 JSJB_SMTP_*，见 README）。"""
    source = _source(book, progress)
    result = jobs.mail(source.out_dir(out), source, month_label=month, dry_run=dry_run, resend=resend,
                       progress=progress)
    rep = result.detail
    lines = [f"已发送 {len(rep.sent)} 家" + ("（演练，已保存为 .eml）" if dry_run else "")]
    lines += [f"失败：{f['enterprise']}：{f['reason']}" for f in rep.failed]
    lines += [f"未发送：{k['enterprise']}：{k['reason']}" for k in rep.skipped]
    _finish(book, result, "\n".join(lines))
    return rep


def _confirmed(book, question: str, confirm: bool | None) -> bool:
    """The clerk's OK to a change of the ledger: ``confirm`` when given (tests, scripts), else the
    answer to ``question`` in an OK/Cancel dialog — an engine without dialogs never confirms."""
    if confirm is not None:
        return confirm
    try:
        return book.app.alert(question, title=TITLE, buttons="ok_cancel") == "ok"
    except Exception:  # noqa: BLE001 - an engine without a dialog: never write unconfirmed
        return False


@button
def import_holidays(book, progress, notice_path, confirm: bool | None = None):
    """导入节假日：读取国务院办公厅下一年放假安排通知的文本，列出将要追加的放假日和调休上班日，确认后追加到
    “节假日”表末尾（R23；这是按钮唯一会改动的输入表，而且只在确认之后）。已在表中的日期不重复追加。"""
    sheet, _ = parse_holidays(book_io.read_sheet(book, S.SHEET_HOLIDAYS))
    result = jobs.notice(notice_path, existing=sheet, progress=progress)
    rows, new, conflicts = result.data["rows"], result.data["new"], result.data["conflicts"]
    clash = "".join(f"\n{c['date']}：通知为{c['type']}，表中为{c['sheet_type']}" for c in conflicts[:10])
    clash = f"\n\n注意：以下日期“节假日”表中已有且类型不同（表中的行优先，未改动），请核对：{clash}" if clash else ""
    if not new:
        _alert(book, f"{result.data['year']}年的 {len(rows)} 个日期都已在“节假日”表中，无需导入。{clash}")
        return []
    rest = sum(1 for r in new if r["type"] == "休息日")
    listing = "\n".join(f"{r['date']}  {r['type']}  {r['note']}" for r in new[:40])
    more = f"\n……共 {len(new)} 行" if len(new) > 40 else ""
    question = (f"将在“节假日”表末尾追加 {result.data['year']}年的 {len(new)} 行（休息日 {rest} 天，调休上班 "
                f"{len(new) - rest} 天）：\n\n{listing}{more}{clash}\n\n请与通知原文核对。确定追加吗？")
    if not _confirmed(book, question, confirm):
        return []
    values = [[dt.datetime.fromisoformat(r["date"]), r["type"], r["note"]] for r in new]
    book_io.append_holiday_rows(book, values)
    _alert(book, f"已追加 {len(new)} 行到“节假日”表。{result.data['year']}年的工单期限现在可以计算了。")
    return new


PREVIEW_ROWS = 20      # new tickets listed in the question before the count


@button
def import_tickets(book, progress, export_path, confirm: bool | None = None):
    """导入工单：读取接诉即办系统导出的工单文件（.xlsx、.xls、.csv），与台账逐张核对（R24），在“核对结果”表列出
    新工单和每一处差异；确认后把新工单的输入列追加到“工单台账”表末尾——不改动已有的任何一行，差异由您逐项核实。"""
    source = _source(book, progress)
    result = jobs.intake(export_path, source, progress=progress)
    rec = result.detail
    lines = jobs.intake_summary(rec)
    with jobs.Timer(progress)("写入“核对结果”表"):
        book_io.write_sheet(book, jobs.INTAKE_REPORT, [[[line] for line in lines],
                                                       book_io.frame_values(result.tables[jobs.INTAKE_REPORT])])
    new = result.tables["新工单"]
    if new.empty:
        _finish(book, result, "\n".join(lines) + "\n\n没有需要追加的新工单；差异见“核对结果”表。")
        return result.data
    listing = "\n".join(f"{r[S.ID]}  {r[S.DISPATCHED]:%Y-%m-%d %H:%M}  {r[S.ENTERPRISE] or ''}"
                         for r in new.head(PREVIEW_ROWS).to_dict("records"))
    more = f"\n……共 {len(new)} 张" if len(new) > PREVIEW_ROWS else ""
    question = ("\n".join(lines) + f"\n\n将把以下 {len(new)} 张新工单追加到“{S.SHEET_TICKETS}”表末尾"
                f"（第 {rec.last_row + 1} 行起，只填输入列，已有的行不变）：\n\n{listing}{more}"
                "\n\n差异见“核对结果”表，请逐项核实后手工修改。确定追加吗？")
    if not _confirmed(book, question, confirm):
        return result.data
    with jobs.Timer(progress)(f"追加 {len(new)} 张新工单"):
        first = book_io.append_tickets(book, rec.paste(S.INPUT_NAMES), rec.last_row + 1, source.ledger.aliases)
    _finish(book, result, f"已把 {len(new)} 张新工单追加到“{S.SHEET_TICKETS}”表第 {first} 至 {first + len(new) - 1} 行。"
                          f"请点“刷新”重新计算期限和状态。")
    return result.data


def self_test(report_path) -> dict:
    """Not a button: the Python end of ``jsjb doctor``'s button-path check. The add-in's VBA
    function JsjbSelfTest calls it through RunPython exactly as a button would (VBA → RunPython →
    the interpreter jsjb.conf names → this package); it reads the calling ledger like every button
    and writes, as JSON in ``report_path``, what doctor compares with the installation: the
    interpreter that ran, the versions it imported, the workbook Book.caller found, the tickets
    read, and whether it ran in the warm process (Use UDF Server) or a fresh one. Errors are not
    turned into alerts: they must reach doctor (xlwings writes them to the probe ledger's Error
    sheet)."""
    import json
    import os
    import sys
    import time

    import xlwings

    import jsjb

    started = time.perf_counter()
    book = book_io.calling_book()
    ledger = book_io.read_ledger(book)
    report = {"executable": sys.executable, "prefix": sys.prefix, "pid": os.getpid(),
              "xlwings": xlwings.__version__, "jsjb": jsjb.__version__, "book": str(book.name),
              "tickets": int(len(ledger.tickets)),
              # RunPython without the UDF server starts `python -c … --from_xl=1`; in the server, argv is ['-c']
              "warm": not any(a.startswith("--from_xl") for a in sys.argv),
              "seconds": round(time.perf_counter() - started, 3)}
    path = Path(report_path)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(report, ensure_ascii=False), encoding="utf-8")
    tmp.replace(path)
    return report


def _log_sheet(book, rows: list[list]) -> None:
    """The run-log rows of a job, appended to the workbook's own 运行记录 sheet (never fails the job)."""
    if not rows:
        return
    try:
        values = [[book_io.cell(v) for v in row] for row in rows]
        if LOG_SHEET in book_io.sheet_names(book):
            sheet = book.sheets[LOG_SHEET]
            last = sheet.used_range.last_cell.row
            sheet.range((last + 1, 1)).value = values
        else:
            book_io.write_sheet(book, LOG_SHEET, [[list(jobs.LOG_HEADER), *values]])
    except Exception:  # noqa: BLE001 - the log never fails the job
        pass
