"""The job pages of the browser door, one :class:`Kind` each: its button text, the fields of its form,
the template of its result, and how a finished job's :class:`~jsjb.web.worker.View` becomes that
template's context. The routes (``GET /<name>``: the form, pre-filled from the query, or a job's
page; ``POST /<name>``: start it) are made from this table, and the worker runs ``RUNNERS[<name>]``.

Adding a job page (e.g. /intake): a runner in ``worker.RUNNERS``, a :class:`Kind` here, and a
template ``<name>.html`` — see docs/browser.md.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from ..core import clock, stats
from ..core import schema as S
from . import render, tables
from .worker import View

PAGE_SIZE = 100          # rows per page of the ledger view (刷新)
ISSUE_PAGE = 200         # findings per page of 校验

# every field a job form may have: name → (label, placeholder/hint)
FIELDS = ("as_of", "month", "year", "docx")


@dataclass(frozen=True)
class Kind:
    name: str                                   # the URL path and the worker's runner
    label: str                                  # the button (CONTRACT §5: exactly the ribbon's words)
    hint: str                                   # the button's tooltip
    fields: tuple[str, ...] = ("as_of",)
    template: str = ""
    writes: bool = True                         # writes files into the ledger's output folder
    ribbon: bool = True                         # one of the ribbon's buttons (CONTRACT §5); else a link
    context: Callable[[View, Mapping[str, str]], dict] | None = None

    @property
    def page(self) -> str:
        return self.template or f"{self.name}.html"


# -- the form ----------------------------------------------------------------------------------------
def form_values(source: Mapping[str, str]) -> dict:
    """The texts of a job form as typed (to show the form again, pre-filled)."""
    return {"as_of": str(source.get("as_of", "") or "").strip(), "month": str(source.get("month", "") or "").strip(),
            "year": str(source.get("year", "") or "").strip(), "docx": str(source.get("docx", "")) == "1"}


def parse(kind: Kind, values: dict) -> dict:
    """A form's texts → the job's parameters; a bad value raises LedgerError (a Chinese message naming
    the field), so the clerk sees it on the form before anything is queued."""
    params: dict = {"as_of": clock.parse_moment(values["as_of"] or None, "统计时点")}
    if "month" in kind.fields:
        params["month"] = stats.month(values["month"]).label if values["month"] else None
    if "year" in kind.fields:
        params["year"] = stats.year(values["year"]).label if values["year"] else None
    if "docx" in kind.fields:
        params["docx"] = values["docx"]
    return params


def describe(kind_label: str, values: dict) -> str:
    """One line naming a job for the clerk's list (月通报 2025-12，统计时点 …)."""
    parts = [values[k] for k in ("month", "year") if values.get(k)]
    if values.get("as_of"):
        parts.append(f"统计时点 {values['as_of']}")
    if values.get("docx"):
        parts.append("含公文稿")
    return kind_label + ("（" + "，".join(parts) + "）" if parts else "")


# -- result pages ---------------------------------------------------------------------------------------
def _paging(query: Mapping[str, str], total: int, size: int) -> tuple[int, int, int]:
    pages = max(1, -(-total // size))
    try:
        page_no = min(max(1, int(query.get("page", "1"))), pages)
    except ValueError:
        page_no = 1
    return page_no, pages, (page_no - 1) * size


def check_context(view: View, query) -> dict:
    issues = view.tables["issues"]
    page_no, pages, start = _paging(query, tables.rows_of(issues), ISSUE_PAGE)
    rows = issues.slice(start, ISSUE_PAGE).to_pylist()
    return {"issues": rows, "page_no": page_no, "pages": pages, "n_errors": view.data["errors"],
            "n_warnings": view.data["warnings"]}


def compute_context(view: View, query) -> dict:
    q = tables.Query.of(query)
    sel = tables.select(view.tables["ledger"], q, PAGE_SIZE)
    return {"table": render.table("台账", sel.frame), "page_no": sel.page, "pages": sel.pages, "matched": sel.matched,
            "enterprises": view.extra["enterprises"], "statuses": S.STATUSES, "counts": view.extra["counts"],
            "query": q, "pinned": tables.PINNED, "first_row": sel.start + 1}


def report_context(view: View, query) -> dict:
    d = view.data
    ctx = {"table": render.table("排名", view.tables["ranking"]), "data": d, "lists": view.extra.get("lists", []),
           "chart": render.enterprise_chart(d["enterprises"], f"{d['period']} 各企业三率")}
    if view.extra.get("trend"):
        ctx["trend"] = render.trend_chart(view.extra["trend"])
    return ctx


def dispatch_context(view: View, query) -> dict:
    groups = [(name, n, render.table(name, tables.head(view.tables[f"group{k}"], n), total=n))
              for k, (name, n) in enumerate(view.extra["groups"])]
    return {"summary": render.table("汇总", view.tables["summary"]), "groups": groups, "total": view.extra["total"],
            "legend": view.extra["legend"]}


def archive_context(view: View, query) -> dict:
    catalogue = view.tables["catalogue"]
    return {"table": render.table("归档目录", catalogue, total=view.extra["total"]), "data": view.data}


def mail_context(view: View, query) -> dict:
    return {"report": view.data}


def plain_context(view: View, query) -> dict:
    return {"data": view.data}


def intake_context(view: View, query) -> dict:
    """导入工单: the summary, the new tickets (masked, R19) and every difference, as the CLI's --json has them."""
    extra = view.extra
    return {"data": view.data, "summary": extra["summary"],
            "new": render.table("新工单", view.tables["new"], total=extra["n_new"]),
            "report": render.table("核对结果", view.tables["report"], total=extra["n_report"])}


KINDS: dict[str, Kind] = {k.name: k for k in (
    Kind("check", "校验", "逐行检查台账数据，列出错误和提示", writes=False, context=check_context),
    Kind("compute", "刷新", "计算办理期限、状态等，查看带颜色的台账", writes=False, context=compute_context),
    Kind("dispatch", "日调度", "需督办的工单，按企业分组", context=dispatch_context),
    Kind("bulletin", "月通报", "各企业三率、得分和排名", ("month", "as_of", "docx"), context=report_context),
    Kind("assess", "年度考核", "100分制年度考核表", ("year", "as_of", "docx"), context=report_context),
    Kind("archive", "归档", "已办结工单编归档号", context=archive_context),
    Kind("plain", "生成通用台账", "把当前台账的工单和其他表放进新的通用台账（WPS、LibreOffice、Excel 都能计算）",
         (), ribbon=False, context=plain_context),
)}
MAIL = Kind("mail", "发送通报", "先看发送计划，确认后才发送", ("month",), context=mail_context)
# 导入工单 (CONTRACT §6): its form uploads the system's export; its own POST handler (app.intake_post)
INTAKE = Kind("intake", "导入工单", "上传从接诉即办系统导出的工单文件，与台账逐张核对：新工单、不一致、缺少、重复和无效的行",
              ("export",), ribbon=False, context=intake_context)
ALL = {**KINDS, "mail": MAIL, "intake": INTAKE}      # what a job id may be (the status and list pages)

__all__ = ["ALL", "FIELDS", "INTAKE", "KINDS", "Kind", "MAIL", "describe", "form_values", "parse"]
