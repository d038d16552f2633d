"""The buttons of the ribbon tab 接诉即办 (CONTRACT §4): one function per button, working on
the calling workbook through the xlwings API. Each reads the ledger, calls the same jobs as
the CLI (``jsjb.jobs``), writes only its own output sheet and/or new files next to the ledger,
shows progress in the status bar and any problem in a Chinese alert — never a traceback.

VBA calls them through RunPython (workbook/addin/JsjbRibbon.bas), e.g.
``RunPython "import macros; macros.bulletin('2025-12')"``.
"""

from __future__ import annotations

import functools
from pathlib import Path

import pandas as pd

from jsjb import jobs
from jsjb.core.errors import LedgerError

from . import book_io

TITLE = "接诉即办"
BUTTONS = {   # ribbon label → function name
    "刷新": "refresh", "日调度": "dispatch", "月通报": "bulletin", "年度考核": "assess",
    "归档": "archive", "发送通报": "send_bulletin",
}


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
        try:
            return func(book, progress, *args, **kwargs)
        except (LedgerError, FileNotFoundError) as e:
            _alert(book, str(e))
        except Exception as e:  # noqa: BLE001 - a button must never show a Python traceback
            _alert(book, f"运行出错：{type(e).__name__}：{e}。请把台账和此信息发给系统管理员。")
        finally:
            _status(book, None)
        return None

    return run


def _evaluate(book, progress, as_of=None):
    with jobs.Timer(progress)("读取台账"):
        ledger = book_io.read_ledger(book)
    return jobs.evaluate(ledger, None if as_of is None else pd.Timestamp(as_of), progress)


@button
def refresh(book, progress, as_of=None):
    """刷新：按参数和节假日表重新计算，把计算列作为数值写入“计算结果”表（供未安装加载项的同事查看）。"""
    ev = _evaluate(book, progress, as_of)
    frame = jobs.computed_frame(ev)
    with jobs.Timer(progress)("写入“计算结果”表"):
        summary = [["计算结果（数值）", f"统计时点 {ev.as_of:%Y-%m-%d %H:%M}",
                    f"共 {len(frame)} 张工单，数据错误 {len(ev.errors)} 条"]]
        book_io.write_sheet(book, "计算结果", [summary, book_io.frame_values(frame)])
    _log(book, "刷新", f"{ev.as_of:%Y-%m-%d %H:%M}", len(frame), ["计算结果（本工作簿）"], f"数据错误 {len(ev.errors)} 条")
    if ev.errors:
        _alert(book, f"已刷新。发现 {len(ev.errors)} 条数据错误（状态显示为“数据有误”），例如：\n"
               + "\n".join(i.text() for i in ev.errors[:5]))
    return ev


def _last_month(ev) -> str:
    return (ev.as_of.to_period("M") - 1).strftime("%Y-%m")


def _report_sheet(rep, title: str) -> list[list]:
    from jsjb.io.reports import MONTHLY_COLUMNS, _enterprise_table

    table = _enterprise_table(rep, MONTHLY_COLUMNS)
    return [[title, f"统计时点 {rep.as_of:%Y-%m-%d %H:%M}"], *book_io.frame_values(table)]


@button
def bulletin(book, progress, month=None, as_of=None, out=None):
    """月通报：在“月通报”表写入各企业三率、得分和排名，并在台账旁保存通报和各企业工作簿。"""
    from jsjb.core import stats
    from jsjb.io.reports import bulletin_files

    ev = _evaluate(book, progress, as_of)
    period = stats.month(month or _last_month(ev))
    rep = jobs.make_report(ev, period)
    target = book_io.out_dir(book, out)
    with jobs.Timer(progress)("写入月通报"):
        book_io.write_sheet(book, "月通报", [_report_sheet(rep, f"{period.title}月通报")])
        files = bulletin_files(target, rep, ev.tickets, ev.computed, ev.ledger.enterprises, progress)
    _log(book, "月通报", period.label, int(rep.table["received"].sum()), [files["bulletin"], *files["enterprises"].values()])
    _alert(book, f"{period.title}月通报已生成：\n{files['bulletin']}\n以及 {len(files['enterprises'])} 个企业工作簿，"
                 f"保存在 {target}")
    return files


@button
def assess(book, progress, year=None, as_of=None, out=None):
    """年度考核：在“年度考核”表写入100分制考核结果，并在台账旁保存考核工作簿。"""
    from jsjb.core import stats
    from jsjb.io.reports import ANNUAL_COLUMNS, _enterprise_table, write_assessment

    ev = _evaluate(book, progress, as_of)
    period = stats.year(year or ev.as_of.year - 1)
    rep = jobs.make_report(ev, period, annual=True)
    target = book_io.out_dir(book, out)
    with jobs.Timer(progress)("写入年度考核"):
        table = _enterprise_table(rep, ANNUAL_COLUMNS)
        book_io.write_sheet(book, "年度考核", [[[f"{period.title}考核", f"统计时点 {rep.as_of:%Y-%m-%d %H:%M}"]],
                                               book_io.frame_values(table)])
        path = write_assessment(Path(target) / f"年度考核_{period.label}.xlsx", rep)
    _log(book, "年度考核", period.label, int(rep.table["received"].sum()), [path])
    _alert(book, f"{period.title}考核已生成：\n{path}")
    return path


@button
def dispatch(book, progress, as_of=None, out=None):
    """日调度：在“日调度”表列出需督办的工单（超期、未确认归属、临期、材料将到期、延期申请将截止、挂单），
    并在台账旁保存办公室和各企业的督办清单。"""
    from jsjb.io.everyday import write_dispatch
    from jsjb.io.reports import ticket_list

    ev = _evaluate(book, progress, as_of)
    dl = jobs.make_dispatch(ev)
    target = book_io.out_dir(book, out)
    with jobs.Timer(progress)("写入日调度"):
        counts = dl.counts.reset_index().rename(columns={"enterprise": "承办企业"})
        items = ticket_list(ev.tickets, ev.computed, dl.items.index, caller=False)
        items.insert(0, "督办事项", ["；".join(r) for r in dl.items["reasons"]])
        book_io.write_sheet(book, "日调度", [[[f"日调度（{ev.as_of:%Y-%m-%d %H:%M}）", f"需督办 {len(dl.items)} 件"]],
                                             book_io.frame_values(counts), book_io.frame_values(items)])
        files = write_dispatch(target, dl, ev.tickets, ev.computed, ev.ledger.enterprises, progress)
    _log(book, "日调度", f"{ev.as_of:%Y-%m-%d %H:%M}", len(dl.items), [files["office"], *files["enterprises"].values()])
    _alert(book, f"日调度已生成：需督办 {len(dl.items)} 件。\n{files['office']}")
    return files


@button
def archive(book, progress, as_of=None, out=None):
    """归档：已办结工单编归档号（已编号的保持不变），在“归档”表写入归档目录，并在台账旁保存归档工作簿
    （含材料清单和年度台账，第17条）。"""
    from jsjb.io.everyday import read_numbers, write_archive

    ev = _evaluate(book, progress, as_of)
    path = Path(book_io.out_dir(book, out)) / "归档.xlsx"
    previous = read_numbers(path)
    numbers, frames = jobs.make_archive(ev, previous)
    with jobs.Timer(progress)("写入归档"):
        book_io.write_sheet(book, "归档", [[[f"归档目录（{ev.as_of:%Y-%m-%d %H:%M}）", f"共 {len(numbers)} 件"]],
                                           book_io.frame_values(frames["归档目录"])])
        write_archive(path, frames, ev.as_of)
    new = len(numbers) - len(set(ev.tickets.loc[numbers.index, "工单编号"]) & set(previous))
    _log(book, "归档", f"{ev.as_of:%Y-%m-%d %H:%M}", len(numbers), [path], f"新编号 {new} 件")
    _alert(book, f"已归档 {len(numbers)} 件（本次新编号 {new} 件）：\n{path}")
    return path


@button
def send_bulletin(book, progress, month=None, out=None, dry_run=False):
    """发送通报：把“jsjb输出”文件夹中该月各企业的月通报工作簿发送到“承办企业”表中的邮箱
    （邮件服务器和密码取自环境变量 JSJB_SMTP_*，见 README）。"""
    from jsjb.io import mailer

    ledger = book_io.read_ledger(book)
    folder = Path(book_io.out_dir(book, out))
    settings = mailer.Settings.from_env()
    outgoing, report = mailer.plan(folder, ledger.enterprises, month)
    if dry_run:
        mailer.dry_run(outgoing, folder, settings.sender, report)
    else:
        mailer.send(outgoing, settings, report, progress)
    _log(book, "发送通报（演练）" if dry_run else "发送通报", report.period, len(report.sent),
         [s.get("eml") or s["file"] for s in report.sent],
         f"成功 {len(report.sent)}，失败 {len(report.failed)}，未发送 {len(report.skipped)}")
    lines = [f"已发送 {len(report.sent)} 家" + ("（演练，已保存为 .eml）" if dry_run else "")]
    lines += [f"失败：{f['enterprise']}：{f['reason']}" for f in report.failed]
    lines += [f"未发送：{k['enterprise']}：{k['reason']}" for k in report.skipped]
    _alert(book, "\n".join(lines))
    return report


def _log(book, job: str, period: str, rows, outputs, note: str = "") -> None:
    """The run log: a row on the workbook's own 运行记录 sheet and a line in the CSV next to it."""
    from jsjb.io import runlog

    row = runlog.record(job, period, str(book.name), rows, outputs, note)
    try:
        names = book_io.sheet_names(book)
        if "运行记录" in names:
            sheet = book.sheets["运行记录"]
            last = sheet.used_range.last_cell.row
            sheet.range((last + 1, 1)).value = [[book_io.cell(v) for v in row]]
        else:
            book_io.write_sheet(book, "运行记录", [[list(runlog.HEADER), [book_io.cell(v) for v in row]]])
    except Exception:  # noqa: BLE001 - the log never fails the job
        pass
    try:
        full = Path(str(book.fullname))
        if full.is_absolute():
            runlog.append(runlog.log_path(full), row)
    except OSError:
        pass
