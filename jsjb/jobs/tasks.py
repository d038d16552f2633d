"""The office's jobs, one function each, shared by every door (CLI, Excel buttons, browser).

Each takes a ledger (a path, an already-read ``Ledger``, or a ``Source``) plus options and returns a
``JobResult``: the data (what ``--json`` prints), the files written, display tables, notes and the
run-log rows. Output names, folders and the run log live here, once. No job ever writes the input
ledger (R21); a file that is not the job's own earlier output is never replaced unless ``force``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from ..core import schema as S
from ..core import stats
from ..core.errors import InvalidRows, InvalidValue, LedgerError, LedgerFileError
from ..core.howto import how
from ..core.ledger import ERROR, Window
from ..core.scoring import full_marks
from ..core.timeconv import iso
from .base import Evaluated, JobResult, LedgerCache, Progress, Source, Timer, evaluate, moment, out_dir_of, quiet, write_log
from .errors import EmptyPeriod
from .shapes import check_json, compute_json, computed_frame, dispatch_json, report_json, report_notes

XLSX = ".xlsx"


# -- helpers -----------------------------------------------------------------------------------------
def _evaluated(ledger, as_of, progress: Progress, cache: LedgerCache | None,
               window: Window | None = None) -> tuple[Source, Evaluated]:
    source = Source.of(ledger, progress, cache, window)
    return source, evaluate(source.ledger, as_of, progress)


def _report_window(period: stats.Period, only_period: bool) -> Window | None:
    """The tickets a report needs when the job is asked for the report only (``only_period``): those
    dispatched in its period and the one before (month-on-month figures, the 公文 draft's comparisons
    too), and those without a usable 派单时间."""
    return (period.previous().start, period.end) if only_period else None


def _xlsx_target(path, what: str, ledger_path: Path | None = None) -> Path:
    out = Path(path)
    if out.suffix.lower() != XLSX:
        raise InvalidValue(what, str(path), "输出文件应以 .xlsx 结尾")
    if ledger_path is not None and out.resolve() == Path(ledger_path).resolve():
        raise InvalidValue(what, str(path), "不能覆盖输入台账，请换一个文件名")
    return out


def refuse_existing(path: Path, what: str, force: bool) -> None:
    """R21: never replace a file the job did not write, unless told to (``force``)."""
    if path.exists() and not force:
        raise LedgerFileError(f"文件已存在：{path}。为避免覆盖已有的{what}，请换一个文件名，"
                              f"{how('overwrite')}。")


def last_complete_month(as_of: pd.Timestamp) -> str:
    return (pd.Timestamp(as_of).to_period("M") - 1).strftime("%Y-%m")


def last_complete_year(as_of: pd.Timestamp) -> int:
    return pd.Timestamp(as_of).year - 1


def stamp(as_of: pd.Timestamp) -> str:
    return f"{as_of:%Y-%m-%d %H:%M}"


def _result(job: str, data: dict, files=(), *, evaluated: Evaluated) -> JobResult:
    """A job's result whose notes start with what is wrong with whole sheets or columns (a renamed
    contract column would otherwise silently publish wrong figures, R21)."""
    notes = [i.text() for i in evaluated.ledger.sheet_issues()]
    return JobResult(job, data, list(files), notes=notes, evaluated=evaluated)


def empty_period(ev: Evaluated, period: stats.Period, what: str, refuse: bool) -> list[str]:
    """A period in which no ticket was dispatched: every enterprise would be 本期无工单 (the clerk
    most likely left the default month). ``refuse``: an EmptyPeriod error instead of a note."""
    dispatched = ev.tickets[S.DISPATCHED]
    if bool(((dispatched >= period.start) & (dispatched < period.end)).any()):
        return []
    last = dispatched[dispatched < period.end].max()
    if pd.isna(last):
        last = dispatched.max()
    latest = None if pd.isna(last) else (f"{last:%Y-%m}" if period.kind == "month" else str(last.year))
    unit = "月份" if period.kind == "month" else "年度"
    hint = f"台账中最近一次派单在 {latest}。" if latest else "台账中没有可用的派单时间。"
    if refuse:
        raise EmptyPeriod(f"{period.label} 没有派单的工单，没有生成{what}（否则每家企业都是空表）。{hint}请换一个{unit}。",
                          latest)
    return [f"{period.label} 没有派单的工单：{what}中每家企业都是空表。{hint}请确认{unit}是否选对。"]


def data_error_note(ev: Evaluated) -> list[str]:
    if not ev.errors:
        return []
    return [f"有 {len(ev.errors)} 条数据错误，相关工单的状态为“数据有误”，请运行“校验”查看。"]


def coverage_notes(ev: Evaluated) -> list[str]:
    """R23: warn from 60 days before the covered years end, naming the open tickets affected."""
    from ..core.calendar import coverage

    cov = coverage(ev.ledger.calendar, ev.tickets, ev.computed, ev.as_of)
    return list(cov.warnings)


# -- new ledgers --------------------------------------------------------------------------------------
def template(path, *, force: bool = False, plain: bool = False, source=None, spare: int | None = None,
             progress: Progress = quiet) -> JobResult:
    """A fresh ledger workbook (the add-in template, or with ``plain`` native formulas); ``source``
    copies an existing ledger's tickets and other sheets into it — the original is only read. The old
    ledger may name its columns otherwise (工单号, 下派时间 …): the reader maps them as intake does
    (``core.headers``, its 列名对照 sheet); ``data`` lists the renamed and the unmapped columns.
    ``spare`` (only with ``plain``; default ``schema.PLAIN_SPARE_ROWS``): the rows prepared for new
    tickets below the last one. ``progress`` hears of each sheet and block of rows written."""
    out = _xlsx_target(path, "输出文件")
    refuse_existing(out, "台账", force)
    if spare is not None and not plain:
        raise InvalidValue("预留空白行（--spare）", str(spare), "只能与 --plain（通用台账）一起使用")
    if source is not None and Path(source).resolve() == out.resolve():
        raise InvalidValue("原台账（--from）", str(source), "不能覆盖原台账，请换一个输出文件名")
    data = {"path": str(out), "plain": plain, "from": str(source) if source else None}
    result = JobResult("模板", data, [out])
    if plain:
        from ..io import plain_book

        spare = S.PLAIN_SPARE_ROWS if spare is None else spare
        data["spare"] = spare
        with Timer(progress)(f"写入 {out}"):
            plain_book.write_plain_from(out, source, spare=spare, progress=progress)
    else:
        from ..io.ledger_book import write_ledger

        if source is None:
            write_ledger(out)
        else:
            from ..io.plain_book import read_ledger_sheets

            with Timer(progress)(f"读取原台账 {source}"):
                sheets, params = read_ledger_sheets(source)
            with Timer(progress)(f"写入 {out}"):
                write_ledger(out, sheets, params=params)
    if source is not None:
        _mapping_notes(result, source)
    return result


def _mapping_notes(result: JobResult, source) -> None:
    """What ``template --from`` did with the old ledger's 工单台账 header: the columns read under another
    name, and those it could not map (their data is not carried over; computed columns are recomputed)."""
    from ..io.plain_book import HELPERS
    from ..io.sheets import read_header_info

    info = read_header_info(source)
    recomputed = set(S.COMPUTED_COLUMNS) | set(HELPERS)
    renamed = {h: c for h, (c, _) in info.get("renamed", {}).items()}
    unmapped = [h for h in info.get("unmapped", []) if h not in recomputed]
    missing = [c for c in S.INPUT_NAMES if c not in set(info.get("header", []))]
    result.data.update({"mapping": renamed, "unmapped": unmapped, "missing": missing})
    if renamed:
        result.notes.append("按对应的台账列读取：" + "、".join(f"{h}→{c}" for h, c in renamed.items()))
    if unmapped:
        result.notes.append(f"以下列无法对应到台账的列，其内容未复制：{'、'.join(unmapped)}"
                            f"（可在原台账中添加“列名对照”表，写明系统列名和台账列名后重试）")
    if missing:
        result.notes.append(f"原台账没有以下列，新台账中为空：{'、'.join(missing)}")


def ledger_formulas() -> dict[str, str]:
    """The add-in template's computed columns → the formula each holds (the 刷新 button re-enters them)."""
    from ..io.ledger_book import computed_formulas

    return computed_formulas()


def sample(path=None, *, rows: int = 2000, year: int = 2025, seed: int = 12345, force: bool = False,
           export=None, export_rows: int | None = None, progress: Progress = quiet) -> JobResult:
    """A realistic synthetic ledger (fictional people and enterprises), deterministic for a seed; and/or
    (``export``, .xlsx or .csv) an export of the 接诉即办 system for that same ledger, in the system's
    style, covering its last ``export_rows`` tickets with a few of each thing intake finds (R24)."""
    from ..core.sample import DEFAULT_EXPORT_ROWS, export_from, generate

    if path is None and export is None:
        raise InvalidValue("输出文件", "", "请给出样例台账的文件名，或样例导出文件的文件名（或两者都给）")
    out = _xlsx_target(path, "输出文件") if path is not None else None
    target = None
    if export is not None:
        target = Path(export)
        if target.suffix.lower() not in (XLSX, ".csv"):
            raise InvalidValue("样例导出文件", str(export), "应以 .xlsx 或 .csv 结尾")
        if out is not None and target.resolve() == out.resolve():
            raise InvalidValue("样例导出文件", str(export), "不能与样例台账同名")
        refuse_existing(target, "文件", force)
    if out is not None:
        refuse_existing(out, "台账", force)
    with Timer(progress)(f"生成样例台账（{rows} 行，{year} 年，种子 {seed}）"):
        made = generate(rows, year, seed)
    files = []
    if out is not None:
        from ..io.ledger_book import write_ledger

        with Timer(progress)(f"写入 {out}"):
            write_ledger(out, made.sheets)
        files.append(out)
    data = {"path": str(out) if out else None, "rows": rows, "as_of": made.as_of.isoformat()}
    if target is not None:
        from ..io.export import write_sample_export

        with Timer(progress)(f"写入样例导出文件 {target}"):
            planted = export_from(made, export_rows or DEFAULT_EXPORT_ROWS, seed)
            write_sample_export(target, planted)
        files.append(target)
        data["export"] = {"path": str(target), "rows": sum(1 for r in planted.rows if r is not None),
                          "new": len(planted.new), "changed": len(planted.changed), "missing": len(planted.missing)}
    return JobResult("样例", data, files, detail=made)


# -- check / compute ----------------------------------------------------------------------------------
def check(ledger, *, as_of=None, progress: Progress = quiet, cache: LedgerCache | None = None) -> JobResult:
    """校验: every finding with row, column and value; exit code 1 when any row has an error."""
    _, ev = _evaluated(ledger, as_of, progress, cache)
    result = JobResult("校验", check_json(ev), exit_code=1 if ev.errors else 0, evaluated=ev)
    calendar = coverage_notes(ev)
    result.notes += calendar
    result.data["warnings"] += [{"sheet": S.SHEET_HOLIDAYS, "row": None, "column": "日期", "value": None,
                                 "message": text, "code": "W_CALENDAR_ENDING"} for text in calendar]
    return result


COMPUTE_SHEET = "计算结果"


def compute(ledger, *, as_of=None, out=None, mask: bool = False, log: bool = False, force: bool = False,
            table: bool = True, progress: Progress = quiet, cache: LedgerCache | None = None) -> JobResult:
    """刷新/计算: the computed columns for every ticket; ``out`` also saves them (values only) — into
    a new file or over an earlier 计算结果 workbook, never over another workbook unless ``force`` (R21).
    The run log gets a row when a file is written or ``log`` asks for one (the 刷新 button).
    ``table``: also hand back the 计算结果 display table (buttons and pages show it; the CLI does not)."""
    from ..io.reader import sheet_names
    from ..io.writer import Table, write_tables

    if out:
        target = _xlsx_target(out, "输出文件", Path(ledger) if isinstance(ledger, (str, Path)) else None)
        if target.exists() and not force and sheet_names(target) != [COMPUTE_SHEET]:
            refuse_existing(target, "工作簿（它不是本工具生成的计算结果）", force)
    source, ev = _evaluated(ledger, as_of, progress, cache)
    result = _result("计算", compute_json(ev), evaluated=ev)
    frame = computed_frame(ev, mask=mask) if table or out else None
    if table:
        result.tables[COMPUTE_SHEET] = frame
    if out:
        with Timer(progress)(f"写入 {target}"):
            write_tables(target, [Table(COMPUTE_SHEET, frame, widths={S.CONTENT: 40, S.FLAGS: 40})])
        result.files.append(target)
    if out or log:
        note = "；".join(x for x in ("已脱敏" if mask else "", f"数据错误 {len(ev.errors)} 条" if ev.errors else "") if x)
        write_log(result, source, stamp(ev.as_of), len(ev.tickets), note)
    result.notes += data_error_note(ev) + coverage_notes(ev)
    return result


# -- bulletin / assessment -------------------------------------------------------------------------------
def _report(ev: Evaluated, period: stats.Period, annual: bool, volumes: bool = True):
    ledger = ev.ledger
    manual = None
    if annual:
        bad = [i for i in ledger.issues if i.sheet == S.SHEET_MANUAL and i.level == ERROR]
        if bad:
            raise InvalidRows("“考核录入”表有错误，无法计算年度考核：\n" + "\n".join(i.text() for i in bad))
        manual = ledger.manual
    return stats.report(ledger.enterprise_names, ev.tickets, ev.computed, period, ev.as_of, ledger.params,
                        ledger.adjustments, manual, volumes=volumes)


def bulletin(ledger, month: str | None = None, *, as_of=None, out_dir=None, docx: bool = False, pdf: bool = False,
             template=None, workers: int | None = None, write: bool = True, only_period: bool = False,
             refuse_empty: bool = False, progress: Progress = quiet, cache: LedgerCache | None = None) -> JobResult:
    """月通报 (第16条, R11–R17): the office's workbook and one per enterprise; ``docx``/``pdf`` add
    the 公文 draft. ``month`` defaults to the last complete month before as_of. ``write=False`` gives
    the figures only (the browser's JSON API): no file, no run-log row, no ``files`` key.
    ``only_period``: read and evaluate only the tickets the bulletin needs (:func:`_report_window`) —
    the same figures and files for less work; ``result.evaluated`` then holds only those tickets.
    A month in which no ticket was dispatched gets a note, or with ``refuse_empty`` an EmptyPeriod
    error before anything is written. A rerun that replaces workbooks already mailed says so: those
    enterprises are 需重发 (R21)."""
    from ..io.reports import MONTHLY_COLUMNS, bulletin_files, parallel_workers
    from .mail import mailed_before

    as_of = moment(as_of)
    period = stats.month(month or last_complete_month(as_of))
    source, ev = _evaluated(ledger, as_of, progress, cache, _report_window(period, only_period))
    empty = empty_period(ev, period, "月通报", refuse_empty)
    rep = _report(ev, period, annual=False)
    data = report_json(ev, rep)
    if not write:
        result = _result("月通报", data, evaluated=ev)
        result.notes += empty + report_notes(data)
        result.detail = rep
        return result
    target = source.out_dir(out_dir)
    earlier = (target / f"月通报_{period.label}.xlsx").exists()
    with Timer(progress)("写入月通报工作簿"):
        files = bulletin_files(target, rep, ev.tickets, ev.computed, ev.ledger.enterprises, progress,
                               workers=parallel_workers() if workers is None else workers)
    data["files"] = {"bulletin": str(files["bulletin"]),
                     "enterprises": {k: str(v) for k, v in files["enterprises"].items()}}
    result = _result("月通报", data, [files["bulletin"], *files["enterprises"].values()], evaluated=ev)
    result.notes += empty
    if earlier:
        result.notes.append(f"已替换上次生成的 {period.label} 月通报（同一文件夹中的月通报和各企业工作簿）。")
    due = mailed_before(source, period.label, files["enterprises"])
    if due:
        result.notes.append(f"{period.label} 月通报此前已发送给 {'、'.join(due)}；本次重新生成替换了这些企业的工作簿，"
                            f"它们在发送通报中标为“需重发”。{how('resend')}")
    draft = target / f"月通报_{period.label}.docx" if docx or pdf else None
    return _report_result(result, source, rep, MONTHLY_COLUMNS, draft, template, pdf, progress)


def assess(ledger, year: int | str | None = None, *, as_of=None, out_dir=None, docx: bool = False,
           pdf: bool = False, template=None, only_period: bool = False, write: bool = True,
           refuse_empty: bool = False, progress: Progress = quiet, cache: LedgerCache | None = None) -> JobResult:
    """年度考核 (附表, R18): the 100(+2)-point table. ``year`` defaults to the last complete year.
    ``only_period``, ``write`` and ``refuse_empty``: as for :func:`bulletin` (the year and the one
    before)."""
    from ..io.reports import ANNUAL_COLUMNS, write_assessment

    as_of = moment(as_of)
    period = stats.year(year if year is not None else last_complete_year(as_of))
    source, ev = _evaluated(ledger, as_of, progress, cache, _report_window(period, only_period))
    empty = empty_period(ev, period, "年度考核", refuse_empty)
    rep = _report(ev, period, annual=True, volumes=docx or pdf)     # volumes: only the 公文 draft shows them
    data = report_json(ev, rep)
    data["full_marks"], data["bonus_cap"] = full_marks(ev.ledger.params), float(ev.ledger.params.bonus_cap)
    if not write:
        result = _result("年度考核", data, evaluated=ev)
        result.notes += empty + report_notes(data)
        result.detail = rep
        return result
    target = source.out_dir(out_dir)
    with Timer(progress)("写入年度考核工作簿"):
        path = write_assessment(target / f"年度考核_{period.label}.xlsx", rep)
    data["files"] = {"assessment": str(path)}
    result = _result("年度考核", data, [path], evaluated=ev)
    result.notes += empty
    draft = target / f"年度考核_{period.label}.docx" if docx or pdf else None
    return _report_result(result, source, rep, ANNUAL_COLUMNS, draft, template, pdf, progress)


def _report_result(result: JobResult, source: Source, rep, columns, draft: Path | None, template, pdf: bool,
                   progress: Progress) -> JobResult:
    """What a bulletin and an assessment share after their workbooks: the display table, the 公文
    draft (``draft``: its path, or None), the notes, the run log."""
    from ..io.reports import enterprise_table

    result.tables[result.job] = enterprise_table(rep, columns)
    if draft is not None:
        _docx(result, draft, result.evaluated, rep, template, pdf, progress)
    result.notes += report_notes(result.data)
    write_log(result, source, rep.period.label, int(rep.table["received"].sum()))
    result.detail = rep
    return result


def monthly_trend(ev: Evaluated, period_label: str, months: int = 12) -> list[dict]:
    """The 全区 三率 of the ``months`` months ending with ``period_label``, by the core's own
    statistics (``stats.build_table``) and 全区 totals (``narrative.overall``) — no rule here. Each
    month is worked out over its own tickets (``core.ledger.in_window``: a report over them equals the
    report over all tickets), not the whole ledger twelve times."""
    from ..core import narrative
    from ..core.ledger import in_window

    ledger = ev.ledger
    period = stats.month(period_label)
    periods = [period]
    for _ in range(months - 1):
        periods.insert(0, periods[0].previous())
    out = []
    dispatched = ev.tickets[S.DISPATCHED]
    for p in periods:
        mine = in_window(dispatched, (p.start, p.end))
        table = stats.build_table(ledger.enterprise_names, ev.tickets[mine], ev.computed[mine], p, ev.as_of,
                                  ledger.params, ledger.adjustments)
        rates = narrative.overall(stats.Report(p, ev.as_of, table, {}, {}, ledger.params))
        out.append({"period": p.label, "received": int(table["received"].sum()), **rates})
    return out


def _free_name(path: Path) -> Path:
    """``path`` with the first of _2, _3, … that no file has yet."""
    k = 2
    while (candidate := path.with_name(f"{path.stem}_{k}{path.suffix}")).exists():
        k += 1
    return candidate


def _docx(result: JobResult, path: Path, ev: Evaluated, rep, template, pdf: bool, progress: Progress) -> None:
    """The 公文 draft of a bulletin/assessment (and its PDF) beside the workbooks; the previous period's
    report gives the 环比/同比 figures. A list the draft summarises has its rows in a workbook: the
    bulletin's own, or for an assessment a lists workbook written beside it. With ``pdf``, the 公文
    fonts this computer lacks are named in a note (what the PDF looks like, how to install them)."""
    from ..core import narrative
    from ..core.enterprises import short_names
    from ..io import docx_report, fonts
    from ..io.reports import write_ticket_lists

    annual = rep.period.kind == "year"
    if path.exists():                 # the clerk may have edited it: never replaced (R21), a new name
        earlier, path = path, _free_name(path)
        result.notes.append(f"公文稿 {earlier.name} 已存在（其中可能有您的修改），未替换；本次的公文稿另存为 {path.name}。")
    book = Path(result.data["files"]["assessment" if annual else "bulletin"])
    lists_book = book.with_name(f"{book.stem}_工单清单{book.suffix}") if annual else book
    with Timer(progress)(f"写入公文稿 {path.name}"):
        previous = _report(ev, rep.period.previous(), annual=annual)     # a year against the year before, as issued
        d = narrative.draft(rep, ev.tickets, ev.computed, previous, short_names=short_names(ev.ledger.enterprises),
                            detail_book=lists_book.name)
        written = docx_report.write_draft(path, d, template)
    result.files.append(written)
    result.data["files"]["docx"] = str(written)
    if d.summarised and annual:
        with Timer(progress)(f"写入专项工单清单 {lists_book.name}"):
            write_ticket_lists(lists_book, rep, ev.tickets, ev.computed)
        result.files.append(lists_book)
        result.data["files"]["lists"] = str(lists_book)
    if pdf:
        status = fonts.check()
        with Timer(progress)("用 LibreOffice 转为 PDF"):
            out = docx_report.to_pdf(written, font_status=status)
        result.files.append(out)
        result.data["files"]["pdf"] = str(out)
        notice = fonts.pdf_notice(status)
        if status is not None:
            result.data["pdf_fonts"] = {
                "missing": [s.font.name for s in fonts.missing(status)],
                "substitutes": {s.font.name: s.replacement for s in status if s.replacement}}
        if notice:
            result.notes.append(notice)


# -- dispatch / archive ---------------------------------------------------------------------------------
def dispatch(ledger, *, as_of=None, out_dir=None, write: bool = True, progress: Progress = quiet,
             cache: LedgerCache | None = None) -> JobResult:
    """日调度 (第16条): the open tickets that need attention, by enterprise, most urgent first.
    ``write=False``: the list only (the browser's JSON API) — no file, no run-log row, no ``files`` key."""
    from ..core import dispatch as core_dispatch
    from ..io.everyday import dispatch_table, write_dispatch

    source, ev = _evaluated(ledger, as_of, progress, cache)
    dl = core_dispatch.build(ev.tickets, ev.computed, ev.ledger.params, ev.as_of)
    data = dispatch_json(ev, dl)
    office_list = dispatch_table(dl, ev.tickets, ev.computed)
    if write:
        target = source.out_dir(out_dir)
        with Timer(progress)("写入日调度工作簿"):
            files = write_dispatch(target, dl, ev.tickets, ev.computed, ev.ledger.enterprises, progress, office_list)
        data["files"] = {"office": str(files["office"]),
                         "enterprises": {k: str(v) for k, v in files["enterprises"].items()}}
        paths = [files["office"], *files["enterprises"].values()]
    else:
        paths = []
    result = _result("日调度", data, paths, evaluated=ev)
    result.tables["汇总"] = dl.counts.reset_index().rename(columns={"enterprise": "承办企业"})
    result.tables["督办清单"] = office_list
    calendar = coverage_notes(ev)
    result.notes += data_error_note(ev) + calendar
    data["warnings"] = calendar
    if write:
        write_log(result, source, stamp(ev.as_of), len(dl.items))
    result.detail = dl
    return result


ARCHIVE_FILE = "归档.xlsx"


# Up to this ledger file size the previous archive is read while the ledger is (2 cores, less wall time);
# above it one after the other: at 1,000,000 rows, reading both at once took the peak to 4.7 GB (a
# first archive, with nothing to read back: 3.2 GB) — the two files' cells are in memory together.
CONCURRENT_ARCHIVE_READ_MAX_BYTES = 48 * 1024**2


def _small(path: Path) -> bool:
    try:
        return path.stat().st_size <= CONCURRENT_ARCHIVE_READ_MAX_BYTES
    except OSError:
        return False


def archive(ledger, *, as_of=None, out=None, progress: Progress = quiet, cache: LedgerCache | None = None) -> JobResult:
    """归档 (第17条): closed tickets numbered once (numbers kept from the previous archive file),
    the material checklist and each year's ledger. ``out`` must be new or an earlier archive."""
    from concurrent.futures import ThreadPoolExecutor

    from ..core import archive as core_archive
    from ..io.everyday import read_numbers, write_archive

    def target_of(path: Path | None) -> Path:
        return _xlsx_target(out, "输出文件", path) if out else out_dir_of(path) / ARCHIVE_FILE

    pending = None
    if isinstance(ledger, (str, os.PathLike)) and _small(Path(ledger)):   # read the previous archive meanwhile
        target = target_of(Path(ledger))
        pool = ThreadPoolExecutor(1)
        pending = pool.submit(read_numbers, target)
        pool.shutdown(wait=False)
    source, ev = _evaluated(ledger, as_of, progress, cache)
    if pending is None:
        target = target_of(source.path)
    previous = pending.result() if pending else read_numbers(target)    # refuses a non-archive (R21)
    valid = ev.valid_mask().to_numpy()
    numbers = core_archive.numbers(ev.tickets[valid], ev.computed[valid], previous)
    frames = core_archive.frames(ev.tickets, ev.computed, numbers)
    with Timer(progress)(f"写入归档 {target}"):
        write_archive(target, frames, ev.as_of)
    new = int((~ev.tickets.loc[numbers.index, S.ID].astype(str).isin(previous)).sum())
    data = {"as_of": iso(ev.as_of), "archived": len(numbers), "new": new, "file": str(target),
            "years": [k for k in frames if k.endswith("年度台账")]}
    result = _result("归档", data, [target], evaluated=ev)
    result.tables["归档目录"] = frames["归档目录"]
    result.notes += data_error_note(ev)
    write_log(result, source, stamp(ev.as_of), len(numbers), f"新编号 {new} 件")
    return result


__all__ = [
    "ARCHIVE_FILE", "LedgerError", "archive", "assess", "bulletin", "check", "compute", "dispatch",
    "last_complete_month", "last_complete_year", "refuse_existing", "sample", "template",
]
