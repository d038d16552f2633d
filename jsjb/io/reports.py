"""The workbooks that leave the office: the monthly bulletin (月通报), each enterprise's own
workbook, and the annual assessment (年度考核). Values only (no formulas, so they open in
Excel, WPS and LibreOffice without the add-in), caller data masked or absent (R19), every
string a string cell (R20), each file written atomically (R21), printable on A4 landscape.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..core import schema as S
from ..core.enterprises import file_tags, safe_name
from ..core.masking import mask_tickets
from ..core.narrative import LIST_TITLES  # the 公文 draft names these sheets
from ..core.params import BY_CODE, Params, display
from ..core.scoring import MANUAL_ITEMS, full_marks
from ..core.stats import Report
from .book import Book, Sheet
from .writer import atomic_path

OFFICE = "东胜区国资委"

TABLE_HEADERS = {   # report table column → Chinese header
    "rank": "排名", "enterprise": "承办企业", "received": "受理", "closed": "办结", "timely": "及时办结",
    "overdue_open": "超期未办结", "visits": "有效回访", "satisfied": "满意", "response_rate": "响应率",
    "resolution_rate": "解决率", "satisfaction_rate": "满意率", "response_score": "响应率得分",
    "resolution_score": "解决率得分", "satisfaction_score": "满意率得分", "deductions": "扣分", "bonuses": "加分",
    "manual": "考核项目小计", "total": "总分", "note": "备注",
}
MONTHLY_COLUMNS = ("rank", "enterprise", "received", "closed", "timely", "overdue_open", "visits", "satisfied",
                   "response_rate", "resolution_rate", "satisfaction_rate", "response_score", "resolution_score",
                   "satisfaction_score", "deductions", "bonuses", "total", "note")
ANNUAL_COLUMNS = ("rank", "enterprise", *MANUAL_ITEMS, "response_rate", "response_score", "resolution_rate",
                  "resolution_score", "satisfaction_rate", "satisfaction_score", "deductions", "bonuses", "total",
                  "note")
RATE_COLUMNS = ("response_rate", "resolution_rate", "satisfaction_rate")
LIST_KEYS = ("overdue", "exempt", "on_hold", "major", "renminwang", "invalid")


OWNER_PROPERTY = "承办企业"   # whose workbook this is: a custom document property of that name (R22)
PROPERTIES = {"author": OFFICE, "comments": "由 jsjb 生成；仅含数值"}


def owner_subject(name: str) -> str:
    """The document subject that marked the owner in workbooks of the versions that wrote it there."""
    return f"{OWNER_PROPERTY}：{name}"


def owner_of(path: Path) -> str | None:
    """The 承办企业 an enterprise workbook was written for: its custom property 承办企业; in workbooks
    written by the versions that kept it in the subject, “承办企业：<name>” there. None otherwise."""
    import zipfile
    from xml.etree import ElementTree

    try:
        with zipfile.ZipFile(path) as z:
            parts = set(z.namelist())
            core = z.read("docProps/core.xml") if "docProps/core.xml" in parts else None
            custom = z.read("docProps/custom.xml") if "docProps/custom.xml" in parts else None
    except (OSError, zipfile.BadZipFile):
        return None
    try:
        if custom is not None:
            for prop in ElementTree.fromstring(custom):
                if prop.get("name") == OWNER_PROPERTY and len(prop):
                    return prop[0].text
        if core is not None:
            subject = ElementTree.fromstring(core).find("{http://purl.org/dc/elements/1.1/}subject")
            prefix = owner_subject("")
            if subject is not None and (subject.text or "").startswith(prefix):
                return subject.text[len(prefix):]
    except ElementTree.ParseError:
        return None
    return None


def enterprise_file_tag(name: str, enterprises: pd.DataFrame) -> str:
    """The part of an enterprise's file names that identifies it (:func:`core.enterprises.file_tags`)."""
    return file_tags(enterprises).get(name) or safe_name(name)


_LIST_TICKET_COLUMNS = (S.ID, S.DISPATCHED, S.ENTERPRISE, S.CHANNEL, S.CATEGORY, S.CONTENT, S.CALLER, S.PHONE,
                        S.ADDRESS, S.LIMIT_TYPE, S.CLOSED, S.HOLD_START, S.HOLD_END, S.VISIT_RESULT)


def ticket_list(t: pd.DataFrame, c: pd.DataFrame, index, *, caller: bool) -> pd.DataFrame:
    """Tickets for an output list: free text scrubbed of every number, e-mail, IP and of the
    ticket's own caller name, phone and address; caller masked (``caller``) or absent; address
    never (R19). All through :func:`mask_tickets`."""
    sub = t.loc[index, [col for col in _LIST_TICKET_COLUMNS if col in t]]     # only what the list shows
    cs = c.loc[index, [S.DEADLINE, S.STATUS, S.TIMELY, S.FLAGS]]
    masked = mask_tickets(sub[[col for col in (S.CONTENT, S.CALLER, S.PHONE, S.ADDRESS) if col in sub]],
                          text_columns=[S.CONTENT])
    frame = pd.DataFrame({
        "工单编号": sub[S.ID], "派单时间": sub[S.DISPATCHED], "承办企业": sub[S.ENTERPRISE],
        "来源渠道": sub[S.CHANNEL], "诉求类别": sub[S.CATEGORY], "诉求内容": masked[S.CONTENT],
    })
    if caller:
        frame["来话人"] = masked[S.CALLER]
        frame["联系电话"] = masked[S.PHONE]
    frame["时限类型"] = sub[S.LIMIT_TYPE]
    frame["办理期限"] = cs[S.DEADLINE]
    frame["办结时间"] = sub[S.CLOSED]
    frame["状态"] = cs[S.STATUS]
    frame["是否及时"] = cs[S.TIMELY].map({True: "是", False: "否"})
    frame["挂单开始"] = sub[S.HOLD_START]
    frame["挂单结束"] = sub[S.HOLD_END]
    frame["回访结果"] = sub[S.VISIT_RESULT]
    frame["提示"] = ["；".join(f) or None for f in cs[S.FLAGS]]
    return frame.reset_index(drop=True)


def enterprise_table(rep: Report, columns) -> pd.DataFrame:
    table = rep.table.copy()
    table["rank"] = table["rank"].map(lambda r: None if r is None or pd.isna(r) else int(r)).astype(object)
    for col in RATE_COLUMNS:
        table[col] = table[col].astype(object).where(table[col].notna(), "无数据")
    out = table[list(columns)].rename(columns=TABLE_HEADERS)
    return out


def _footer(sheet: Sheet, rep: Report) -> None:
    sheet.row += 1
    params = rep.params
    changed = params.changed() if params else {}
    sheet.line(f"统计时点：{rep.as_of:%Y-%m-%d %H:%M}。统计口径：派单时间在本期内、已确定承办企业、未退回、"
               f"未申请不计入考核的工单（规则R11）；三率按附表计算，无数据的比率"
               f"{'计满分' if params is None or params.empty_rate_full_marks else '计0分'}。", "note")
    used = "；".join(f"{BY_CODE[k].description}={display(v)}" for k, v in changed.items()) or "全部为默认值"
    sheet.line(f"参数：{used}。", "note")


def _period_text(rep: Report) -> str:
    end = rep.period.end - pd.Timedelta(days=1)
    return f"统计时段：{rep.period.start:%Y-%m-%d} 至 {end:%Y-%m-%d}　统计时点：{rep.as_of:%Y-%m-%d %H:%M}"


def _report_sheet(tmp: str, name: str, title: str, rep: Report, **properties) -> tuple[Book, Sheet]:
    """A new workbook whose first sheet starts with the title and the period line of ``rep``."""
    book = Book(tmp, **{**PROPERTIES, **properties})
    sh = book.sheet(name)
    sh.title(title)
    sh.line(_period_text(rep))
    return book, sh


def write_bulletin(path: Path, rep: Report, t: pd.DataFrame, c: pd.DataFrame) -> Path:
    """The office's monthly bulletin workbook."""

    def write(tmp: str) -> None:
        book, sh = _report_sheet(tmp, "月通报", f"{OFFICE}“接诉即办”工作月通报（{rep.period.title}）", rep)
        sh.heading("一、总体情况")
        mom = rep.overview["环比"]
        now, before = int(mom["本期受理"]), int(mom["上期受理"])
        change = f"，环比{'增加' if now >= before else '减少'}{abs(now - before) / before:.1%}" if before else ""
        sh.line(f"本月共受理工单 {now} 件（上月 {before} 件{change}），其中退回 {int(mom['本期退回'])} 件。")
        top = sh.row
        col = 1                        # label columns B, E, H: wide enough for the longest channel name
        for label in ("来源渠道", "诉求类型", "诉求类别"):
            series = rep.overview[label]
            sh.text(top, col, label, "head")
            sh.text(top, col + 1, "件数", "head")
            for i, (k, v) in enumerate(series.items(), start=1):
                sh.text(top + i, col, str(k), "cell")
                sh.number(top + i, col + 1, int(v), "cell")
            col += 3
        sh.row = top + max(len(rep.overview[k]) for k in ("来源渠道", "诉求类型", "诉求类别")) + 1
        sh.heading("二、各企业三率、扣加分及排名")
        table = enterprise_table(rep, MONTHLY_COLUMNS)
        head, last = sh.table(table, percent=[TABLE_HEADERS[c] for c in RATE_COLUMNS],
                              number=[TABLE_HEADERS[c] for c in ("response_score", "resolution_score",
                                                                  "satisfaction_score", "deductions", "bonuses",
                                                                  "total")])
        ranked = int(pd.Series(rep.table["rank"]).notna().sum())
        if ranked:
            sh.row += 1
            sh.column_chart(sh.row, 1, categories=(head + 1, 1, head + ranked),
                            series=[("响应率", 8), ("解决率", 9), ("满意率", 10)],
                            title=f"各企业三率（{rep.period.title}）")
            sh.row += 17
        sh.heading("三、专项情况")
        for key in LIST_KEYS:
            n = len(rep.lists[key])
            sh.line(f"{LIST_TITLES[key]}：{n} 件" + ("（明细见同名工作表）" if n else ""))
        _footer(sh, rep)
        sh.widths([8, 32, 10, 10, 10, 10, 10, 8, 10, 10, 10, 10, 10, 10, 8, 8, 9, 18])
        sh.print_setup()
        _list_sheets(book, rep, t, c)
        book.close()

    return atomic_path(path, write)


def _list_sheets(book: Book, rep: Report, t: pd.DataFrame, c: pd.DataFrame) -> None:
    """One sheet per non-empty list of 第16条, named as the 公文 draft names it (caller data absent)."""
    for key in LIST_KEYS:
        if len(rep.lists[key]):
            ls = book.sheet(LIST_TITLES[key][:31])
            ls.title(f"{LIST_TITLES[key]}（{rep.period.title}）")
            ls.line(_period_text(rep))
            h, _ = ls.table(ticket_list(t, c, rep.lists[key], caller=False), plain=True)
            ls.widths([16, 16, 30, 14, 10, 48, 8, 16, 16, 10, 8, 16, 16, 8, 30])
            ls.freeze(h + 1, 1)
            ls.print_setup(repeat_row=h)


def write_ticket_lists(path: Path, rep: Report, t: pd.DataFrame, c: pd.DataFrame) -> Path:
    """The lists of 第16条 of a period in a workbook of their own — the rows of an assessment's 公文
    draft, which summarises a long list per enterprise (the bulletin workbook carries its own)."""

    def write(tmp: str) -> None:
        book, sh = _report_sheet(tmp, "说明", f"{OFFICE}“接诉即办”专项工单清单（{rep.period.title}）", rep)
        for key in LIST_KEYS:
            n = len(rep.lists[key])
            sh.line(f"{LIST_TITLES[key]}：{n} 件" + ("（明细见同名工作表）" if n else ""))
        _footer(sh, rep)
        sh.widths([60])
        _list_sheets(book, rep, t, c)
        book.close()

    return atomic_path(path, write)


def write_enterprise(path: Path, rep: Report, name: str, t: pd.DataFrame, c: pd.DataFrame) -> Path:
    """One enterprise's own workbook: its figures and its tickets of the period (masked)."""
    row = rep.table[rep.table["enterprise"] == name]
    mine = t.index[((t[S.DISPATCHED] >= rep.period.start) & (t[S.DISPATCHED] < rep.period.end)
                    & (t[S.ENTERPRISE] == name)).fillna(False).to_numpy()]

    def write(tmp: str) -> None:
        book, sh = _report_sheet(tmp, "本企业情况", f"{name}“接诉即办”工作情况（{rep.period.title}）", rep,
                                 custom={OWNER_PROPERTY: name})   # the mail job checks it before attaching (R22)
        sh.heading("一、三率、扣加分及排名")
        if len(row):
            r = row.iloc[0]
            ranked = pd.Series(rep.table["rank"]).notna().sum()
            pairs = []
            for key in (*MONTHLY_COLUMNS[2:17], *(("manual",) if rep.period.kind == "year" else ())):
                v = r[key]
                pairs.append((TABLE_HEADERS[key], "无数据" if key in RATE_COLUMNS and pd.isna(v) else v))
            pairs.append(("排名", f"第 {int(r['rank'])} 名（共 {ranked} 家）" if r["rank"] is not None else r["note"]))
            sh.pairs(pairs, percent=("响应率", "解决率", "满意率"))
        sh.heading("二、本企业工单清单")
        sh.line(f"本期派给本企业的工单共 {len(mine)} 件，明细见“工单清单”工作表。来话人信息已按保密规定脱敏。")
        _footer(sh, rep)
        sh.widths([16, 30])
        sh.print_setup()
        ls = book.sheet("工单清单")
        ls.title(f"{name} 工单清单（{rep.period.title}）")
        h, _ = ls.table(ticket_list(t, c, mine, caller=True), plain=True)
        ls.widths([16, 16, 30, 14, 10, 48, 8, 14, 8, 16, 16, 10, 8, 16, 16, 8, 30])
        ls.freeze(h + 1, 1)
        ls.print_setup(repeat_row=h)
        book.close()

    return atomic_path(path, write)


def write_assessment(path: Path, rep: Report) -> Path:
    def write(tmp: str) -> None:
        book, sh = _report_sheet(tmp, "年度考核", f"{OFFICE}“接诉即办”工作年度考核（{rep.period.title}）", rep)
        p = rep.params if rep.params is not None else Params()

        def pts(code: str) -> float:
            return float(p[code])

        full = full_marks(p)
        items = "、".join(f"{k}{v:g}" for k, v in MANUAL_ITEMS.items())
        sh.line(f"满分{full:g}分（另加分最多{pts('bonus_cap'):g}分）：{items}、响应率{pts('response_points'):g}、"
                f"解决率{pts('resolution_points'):g}、满意率{pts('satisfaction_points'):g}；扣分最多{pts('deduction_cap'):g}分。"
                "本年度没有接诉即办工作的企业不参加考核。", "note")
        table = enterprise_table(rep, ANNUAL_COLUMNS)
        for item, maximum in MANUAL_ITEMS.items():
            table = table.rename(columns={item: f"{item}（{maximum:g}分）"})
        table = table.rename(columns={
            "响应率得分": f"响应率得分（{pts('response_points'):g}分）",
            "解决率得分": f"解决率得分（{pts('resolution_points'):g}分）",
            "满意率得分": f"满意率得分（{pts('satisfaction_points'):g}分）",
            "扣分": f"扣分（≤{pts('deduction_cap'):g}）", "加分": f"加分（≤{pts('bonus_cap'):g}）"})
        numbers = [c for c in table.columns if "分" in c]
        sh.table(table, percent=["响应率", "解决率", "满意率"], number=numbers)
        _footer(sh, rep)
        sh.widths([6, 32, 10, 10, 11, 10, 9, 11, 9, 11, 9, 11, 9, 9, 9, 28])
        sh.print_setup()
        book.close()

    return atomic_path(path, write)


# Forked workers find the report and the frames here (set just before the pool starts, cleared
# after): nothing but each share's row positions is pickled to them.
_SHARED: tuple | None = None

# Below this many ticket rows in the enterprise workbooks together, they are written in this process:
# measured on a 2-core machine, the pool's start (fork, imports already done) costs about 0.05 s, and
# the workbooks cost about 0.1 ms of CPU per row (~17 cells), so fewer rows than this do not pay.
PARALLEL_MIN_ROWS = 2000
# The cost of a workbook in ticket rows, for sharing them out: a workbook of n rows costs about
# WORKBOOK_ROWS + n (measured at 100,000 rows: 0.04 s a workbook, 0.03 ms a row), the office's
# bulletin about twice a workbook.
WORKBOOK_ROWS = 1500


def _write_enterprise_share(share) -> list[Path]:
    rep, t, c = _SHARED
    return [write_enterprise(path, rep, name, t.iloc[rows], c.iloc[rows]) for path, name, rows in share]


def shares(sizes: list[int], parts: int, head: int = 0) -> list[list[int]]:
    """The enterprise workbooks (their row counts ``sizes``) shared out among ``parts`` processes so that
    each has about the same work (longest first, each to the least loaded); share 0 is this process's
    and starts with ``head`` rows' worth of work of its own (the office's bulletin). Returns the
    indexes of each share, in the order given."""
    load = [head] + [0] * (parts - 1)
    out: list[list[int]] = [[] for _ in range(parts)]
    for i in sorted(range(len(sizes)), key=lambda i: -sizes[i]):
        k = min(range(parts), key=lambda k: load[k])
        out[k].append(i)
        load[k] += WORKBOOK_ROWS + sizes[i]
    return [sorted(share) for share in out]


def parallel_workers() -> int:
    """Processes for independent workbooks, this one included: the cores, where fork is safe (Linux);
    else 1."""
    import multiprocessing
    import os
    import sys

    if not sys.platform.startswith("linux") or "fork" not in multiprocessing.get_all_start_methods():
        return 1
    return max(1, min(os.cpu_count() or 1, 4))


def bulletin_files(out_dir: Path, rep: Report, t: pd.DataFrame, c: pd.DataFrame,
                   enterprises: pd.DataFrame, progress=lambda _: None, workers: int = 1) -> dict[str, object]:
    """The bulletin and one workbook per enterprise; returns {"bulletin": path, "enterprises": {name: path}}.
    ``workers`` > 1: the enterprise workbooks are shared out (:func:`shares`) between this process,
    which writes the office's bulletin first, and ``workers`` − 1 forked ones — when they hold at
    least ``PARALLEL_MIN_ROWS`` rows (else it does not pay)."""
    global _SHARED
    out_dir = Path(out_dir)
    label = rep.period.label
    main_path = out_dir / f"月通报_{label}.xlsx"
    names = [n for n in rep.table["enterprise"] if n is not None]
    in_period = ((t[S.DISPATCHED] >= rep.period.start) & (t[S.DISPATCHED] < rep.period.end)).fillna(False).to_numpy()
    enterprise = t[S.ENTERPRISE].to_numpy()
    jobs = []
    for name in names:
        rows = np.flatnonzero(in_period & (enterprise == name))
        jobs.append((out_dir / f"月通报_{label}_{enterprise_file_tag(name, enterprises)}.xlsx", name, rows))
    files = {}
    if workers > 1 and len(jobs) > 1 and sum(len(j[2]) for j in jobs) >= PARALLEL_MIN_ROWS:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        parts = shares([len(j[2]) for j in jobs], min(workers, len(jobs)), head=2 * WORKBOOK_ROWS)
        progress(f"并行写入 {len(jobs)} 个企业工作簿（{len(parts)} 个进程）")
        _SHARED = (rep, t, c)
        try:
            with ProcessPoolExecutor(len(parts) - 1, mp_context=multiprocessing.get_context("fork")) as pool:
                futures = [pool.submit(_write_enterprise_share, [jobs[i] for i in share]) for share in parts[1:]]
                main = write_bulletin(main_path, rep, t, c)                          # meanwhile
                written = dict(zip(parts[0], _write_enterprise_share([jobs[i] for i in parts[0]])))
                for share, future in zip(parts[1:], futures):
                    written.update(zip(share, future.result()))
        finally:
            _SHARED = None
        files = {names[i]: written[i] for i in range(len(jobs))}
    else:
        main = write_bulletin(main_path, rep, t, c)
        for k, (path, name, rows) in enumerate(jobs, start=1):
            progress(f"写入企业工作簿 {k}/{len(jobs)}：{name}")
            files[name] = write_enterprise(path, rep, name, t.iloc[rows], c.iloc[rows])
    return {"bulletin": main, "enterprises": files}
