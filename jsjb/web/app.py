"""The browser door (CONTRACT §5): the office's jobs behind a page with the ribbon's buttons.

Thin like the CLI: parse the request → a job of ``jsjb.jobs`` (in a background thread; the page
polls a small status endpoint) → render its result. It adds no rule and reads the ledger only.
"""

from __future__ import annotations

import hmac
import json
import os
import secrets
import tempfile
from pathlib import Path
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartParser
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from .. import __version__, jobs
from ..core import clock
from ..core import schema as S
from ..core.errors import LedgerError
from ..core.ledger import ERROR
from . import default_work_dir, render
from .state import Job, LedgerEntry, Session, State, friendly_error, safe_upload_name

HERE = Path(__file__).parent
COOKIE = "jsjb_sid"
ZIP_MAGIC = b"PK\x03\x04"
PAGE_SIZE = 100
ISSUE_PAGE = 200
SHOW_ROWS = 300
MAX_NOTICE_CHARS = 50_000     # a State Council notice is about 2,000 characters
JOB_KINDS = {"check": "校验", "compute": "刷新", "dispatch": "日调度", "bulletin": "月通报", "assess": "年度考核",
             "archive": "归档", "mail": "发送通报"}
PUBLIC_PATHS = ("/login", "/static/")
STARTS_JOBS = {*JOB_KINDS, "api", "holidays", "upload", "logout"}   # first path segment of requests that act


class TooLarge(Exception):
    pass


# -- parameters ------------------------------------------------------------------------------------
def parse_as_of(text: str | None):
    """The 统计时点 of a request (as the CLI's --as-of): blank means now."""
    return clock.parse_moment(text, "统计时点")


def _opt(request: Request, name: str) -> str | None:
    v = request.query_params.get(name, "").strip()
    return v or None


# -- the application -------------------------------------------------------------------------------
def create_app(ledger: str | os.PathLike | None = None, *, work_dir: str | os.PathLike | None = None,
               password: str | None = None, max_upload: int | None = None,
               allowed_hosts: set[str] | None = None) -> Starlette:
    """The web application. ``ledger``: read-only ledger from the command line; ``work_dir``: where
    uploaded copies and outputs go (default ~/.jsjb/web); ``password`` (default JSJB_WEB_PASSWORD):
    login required; ``max_upload`` bytes (default JSJB_WEB_MAX_UPLOAD_MB or 50 MB);
    ``allowed_hosts``: Host header names accepted (None: any)."""
    if password is None:
        password = os.environ.get("JSJB_WEB_PASSWORD") or None
    if max_upload is None:
        max_upload = int(float(os.environ.get("JSJB_WEB_MAX_UPLOAD_MB", "50")) * 1024 * 1024)
    work = Path(work_dir) if work_dir else default_work_dir()
    state = State(work, password, max_upload)
    if ledger is not None:
        path = Path(ledger)
        if not path.is_file():
            raise LedgerError(f"找不到台账文件：{path}")
        entry = state.add_ledger(path, path.name, uploaded=False)
        state.default_ledger = entry.id

    env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(default=True))
    env.globals.update(version=__version__, kinds={**JOB_KINDS, "holidays": "导入节假日"}, pct=render.pct)
    templates = Jinja2Templates(env=env)

    def page(request: Request, name: str, code: int = 200, **context) -> Response:
        session: Session = request.state.session
        context.setdefault("error", None)
        context.update(session=session, csrf=session.csrf, ledger=state.ledger_of(session),
                       login_required=bool(state.password), defaults=_defaults())
        return templates.TemplateResponse(request, name, context, status_code=code,
                                          headers={"Cache-Control": "no-store"})

    def error_page(request: Request, message: str, code: int = 400) -> Response:
        return page(request, "error.html", code, error=message)

    def current(request: Request) -> LedgerEntry | None:
        return state.ledger_of(request.state.session)

    # -- security ------------------------------------------------------------------------------------
    class Guard(BaseHTTPMiddleware):
        async def dispatch(self, request: Request, call_next):
            if allowed_hosts is not None and (request.url.hostname or "") not in allowed_hosts:
                return Response("Host 不被接受", status_code=400, media_type="text/plain; charset=utf-8")
            session, new = state.session(request.cookies.get(COOKIE))
            request.state.session = session
            path = request.url.path
            fetch_site = request.headers.get("sec-fetch-site")
            if fetch_site not in (None, "same-origin", "none") and path.strip("/").split("/")[0] in STARTS_JOBS:
                # a page elsewhere (an <img> or link on another site) must not start a job here (CSRF)
                return Response("请从本工具的页面操作", status_code=403, media_type="text/plain; charset=utf-8")
            if request.method == "POST":
                origin = request.headers.get("origin")
                if origin and origin != f"{request.url.scheme}://{request.url.netloc}":
                    return Response("请求来源不被接受", status_code=403, media_type="text/plain; charset=utf-8")
            if state.password and not session.authed and not path.startswith(PUBLIC_PATHS):
                if path.startswith(("/api/", "/status/", "/download/")):
                    response = JSONResponse({"error": "请先登录"}, status_code=401)
                else:
                    response = RedirectResponse("/login", status_code=303)
            else:
                response = await call_next(request)
            if new and COOKIE not in response.headers.get("set-cookie", ""):
                _cookie(response, session.id)
            response.headers.setdefault("X-Content-Type-Options", "nosniff")
            response.headers.setdefault("X-Frame-Options", "DENY")
            response.headers.setdefault("Referrer-Policy", "same-origin")   # "no-referrer" would make Origin "null"
            response.headers.setdefault(
                "Content-Security-Policy",
                "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
                "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
            return response

    async def form_with_csrf(request: Request):
        form = await request.form()
        if not hmac.compare_digest(str(form.get("csrf", "")), request.state.session.csrf):
            return None
        return form

    # -- login ---------------------------------------------------------------------------------------
    async def login(request: Request):
        if not state.password:
            return RedirectResponse("/", status_code=303)
        if request.method == "GET":
            return page(request, "login.html")
        client = request.client.host if request.client else "?"
        if state.login_blocked(client):
            return page(request, "login.html", 429, error="登录失败次数过多，请 5 分钟后再试。")
        form = await form_with_csrf(request)
        if form is None:
            return page(request, "login.html", 403, error="页面已过期，请重新输入密码。")
        given = str(form.get("password", "")).encode("utf-8")
        if not hmac.compare_digest(given, state.password.encode("utf-8")):
            state.login_failed(client)
            return page(request, "login.html", 401, error="密码不正确。")
        session = state.renew(request.state.session)
        response = RedirectResponse("/", status_code=303)
        _cookie(response, session.id)
        return response

    async def logout(request: Request):
        if await form_with_csrf(request) is None:
            return error_page(request, "页面已过期，请刷新后重试。", 403)
        request.state.session.authed = False
        return RedirectResponse("/login" if state.password else "/", status_code=303)

    # -- home and upload -------------------------------------------------------------------------------
    async def home(request: Request):
        message, request.state.session.flash = request.state.session.flash, None
        return page(request, "home.html", message=message)

    async def upload(request: Request):
        length = request.headers.get("content-length")
        limit = state.max_upload
        too_big = f"文件太大：最大允许 {limit / 1024 / 1024:g} MB。请把台账按年份拆分，或请管理员调整 JSJB_WEB_MAX_UPLOAD_MB。"
        if length and length.isdigit() and int(length) > limit + 1024 * 1024 * 4:
            return page(request, "home.html", 413, error=too_big)
        spool = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024, dir=state.work_dir)
        size, over = 0, False
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit + 64 * 1024:
                over = True          # keep reading (and dropping) so the browser sees our answer
                continue
            spool.write(chunk)
        if over:
            spool.close()
            return page(request, "home.html", 413, error=too_big)
        spool.seek(0)

        async def body():
            while chunk := spool.read(256 * 1024):
                yield chunk
        try:
            form = await MultiPartParser(request.headers, body(), max_files=1, max_fields=10).parse()
        except Exception:  # noqa: BLE001 - a malformed upload is the browser's problem, told simply
            spool.close()
            return page(request, "home.html", 400, error="上传的内容无法识别，请重新选择文件。")
        spool.close()
        if not hmac.compare_digest(str(form.get("csrf", "")), request.state.session.csrf):
            return page(request, "home.html", 403, error="页面已过期，请刷新页面后重新选择文件。")
        f = form.get("ledger")
        if not isinstance(f, UploadFile) or not f.filename:
            return page(request, "home.html", 400, error="请先选择台账文件（.xlsx）。")
        data = await f.read()
        await form.close()
        if len(data) > limit:
            return page(request, "home.html", 413, error=too_big)
        if not f.filename.lower().endswith(".xlsx") or not data.startswith(ZIP_MAGIC):
            return page(request, "home.html", 400,
                        error="只能上传 Excel 工作簿（.xlsx）。如果是 .xls 或 WPS 格式，请先另存为 .xlsx。")
        name = safe_upload_name(f.filename)
        folder = state.upload_dir(name)
        tmp = folder / f".{secrets.token_hex(4)}.tmp"
        tmp.write_bytes(data)
        tmp.replace(folder / name)           # atomic: a job still reading the previous copy is not disturbed
        entry = state.add_ledger(folder / name, name, uploaded=True)
        request.state.session.ledger_id = entry.id
        request.state.session.flash = f"已载入台账副本：{name}（原文件不会被修改）"
        return RedirectResponse("/", status_code=303)

    # -- jobs ------------------------------------------------------------------------------------------
    def work_for(kind: str, entry: LedgerEntry, params: dict, api: bool = False):
        cache = state.cache
        as_of = params.get("as_of")

        def run(job: Job) -> jobs.JobResult:
            p = job.progress
            if kind == "check":
                return jobs.check(entry.path, as_of=as_of, progress=p, cache=cache)
            if kind == "compute":
                r = jobs.compute(entry.path, as_of=as_of, progress=p, cache=cache)
                if not api:    # the page shows the table; the per-ticket JSON is only for /api/compute
                    r.data = {"as_of": r.data["as_of"], "count": len(r.data["tickets"])}
                return r
            if kind == "bulletin":
                r = jobs.bulletin(entry.path, params.get("month"), as_of=as_of, out_dir=entry.out_dir, progress=p,
                                  cache=cache, workers=1, docx=params.get("docx", False))
                p("计算近12个月趋势…")
                job.extra["trend"] = jobs.monthly_trend(r.evaluated, r.data["period"])
                return r
            if kind == "assess":
                return jobs.assess(entry.path, params.get("year"), as_of=as_of, out_dir=entry.out_dir, progress=p,
                                   cache=cache, docx=params.get("docx", False))
            if kind == "dispatch":
                return jobs.dispatch(entry.path, as_of=as_of, out_dir=entry.out_dir, progress=p, cache=cache)
            if kind == "archive":
                return jobs.archive(entry.path, as_of=as_of, out=entry.out_dir / jobs.ARCHIVE_FILE, progress=p,
                                    cache=cache)
            if kind == "mail":
                source = jobs.Source.of(entry.path, p, cache)
                return jobs.mail(entry.out_dir, source, month_label=params.get("month"),
                                 settings=jobs.mail_settings(), progress=p)
            raise AssertionError(kind)
        return run

    def lookup(request: Request, kind: str, expired: str):
        """(the ledger in use, a response to return at once or None): the home page when no ledger is
        chosen; the job's page when the URL names a job of this kind; an error when it has expired."""
        entry = current(request)
        if entry is None:
            return None, page(request, "home.html", 400, error="请先选择台账文件（.xlsx）。")
        jid = request.query_params.get("job")
        if not jid:
            return entry, None
        job = state.job(jid)
        if job is None or job.kind != kind or job.ledger_id != entry.id:
            return entry, error_page(request, expired, 404)
        return entry, show(request, job, entry)

    def job_page(kind: str):
        async def handler(request: Request):
            entry, response = lookup(request, kind, "该结果已过期，请重新点击按钮运行。")
            if response is not None:
                return response
            try:
                params = {"as_of": parse_as_of(_opt(request, "as_of")), "month": _opt(request, "month"),
                          "year": _opt(request, "year"), "docx": _opt(request, "docx") == "1"}
            except LedgerError as e:
                return error_page(request, str(e))
            job = state.submit(kind, entry, params, work_for(kind, entry, params))
            query = {k: v for k, v in request.query_params.items() if k != "job"}
            return RedirectResponse(f"{request.url.path}?{urlencode({**query, 'job': job.id})}", status_code=303)
        return handler

    def show(request: Request, job: Job, entry: LedgerEntry) -> Response:
        if job.status == "running":
            return page(request, "working.html", job=job, title=JOB_KINDS[job.kind])
        if job.status == "error":
            return page(request, "error.html", 400, job=job, error=job.error,
                        title=JOB_KINDS[job.kind])
        r = job.result
        ctx = {"job": job, "result": r, "notes": r.notes, "title": JOB_KINDS[job.kind]}
        kind = job.kind
        if kind == "check":
            issues = sorted(r.evaluated.errors, key=_issue_key) + sorted(r.evaluated.warnings, key=_issue_key)
            page_no, pages, start = _paging(request, len(issues), ISSUE_PAGE)
            rows = [{"level": "错误" if i.level == ERROR else "提示", "sheet": i.sheet, "row": i.row or "",
                     "column": i.column, "value": render.issue_value(i.column, i.value), "message": i.message}
                    for i in issues[start:start + ISSUE_PAGE]]
            ctx.update(issues=rows, page_no=page_no, pages=pages, n_errors=len(r.data["errors"]),
                       n_warnings=len(r.data["warnings"]))
        elif kind == "compute":
            frame = r.tables["计算结果"]
            enterprise, status = _opt(request, "enterprise"), _opt(request, "status")
            sel = frame
            if enterprise:
                sel = sel[sel[S.ENTERPRISE] == enterprise]
            if status:
                sel = sel[sel[S.STATUS] == status]
            page_no, pages, start = _paging(request, len(sel), PAGE_SIZE)
            ctx.update(table=render.table("台账", sel, PAGE_SIZE, start), page_no=page_no, pages=pages,
                       enterprises=sorted(x for x in frame[S.ENTERPRISE].dropna().unique()),
                       statuses=S.STATUSES, enterprise=enterprise or "", status=status or "",
                       counts=jobs.status_counts(r.evaluated), matched=len(sel))
        elif kind in ("bulletin", "assess"):
            name = "月通报" if kind == "bulletin" else "年度考核"
            ctx.update(table=render.table(name, r.tables[name]), data=r.data,
                       chart=render.enterprise_chart(r.data["enterprises"], f"{r.data['period']} 各企业三率"),
                       trend=render.trend_chart(job.extra["trend"]) if "trend" in job.extra else None,
                       lists=[(label, len(r.data[key])) for key, label in LISTS if r.data.get(key)])
        elif kind == "dispatch":
            items = render.masked(r.tables["督办清单"])
            groups = []
            for name, part in items.groupby("承办企业", sort=False, dropna=False):
                groups.append((render.cell(name) or "（未填承办企业）", len(part), render.table(name, part, SHOW_ROWS)))
            ctx.update(summary=render.table("汇总", r.tables["汇总"]), groups=groups, total=len(items),
                       legend=r.detail.legend)
        elif kind == "archive":
            ctx.update(table=render.table("归档目录", render.masked(r.tables["归档目录"]), SHOW_ROWS), data=r.data)
        elif kind == "mail":
            ctx.update(report=r.data)
        return page(request, f"{kind}.html", **ctx)

    async def mail_page(request: Request):
        entry, response = lookup(request, "mail", "该结果已过期，请重新打开“发送通报”。")
        if response is not None:
            return response
        month = _opt(request, "month") or jobs.last_complete_month(jobs.now())
        try:
            def plan():
                source = jobs.Source.of(entry.path, cache=state.cache)
                return jobs.mail_plan(entry.out_dir, source, month)
            _, label, deliveries = await run_in_threadpool(state.run_now, plan)
            settings = jobs.mail_settings()
        except Exception as e:  # noqa: BLE001 - shown as a message on the page
            return page(request, "mail_plan.html", 400, error=friendly_error(e), month=month, deliveries=None,
                        periods=_periods(entry))
        return page(request, "mail_plan.html", month=label, deliveries=deliveries, periods=_periods(entry),
                    server=f"{settings.host}:{settings.port}", sendable=sum(1 for d in deliveries if not d.skip))

    async def mail_send(request: Request):
        entry = current(request)
        form = await form_with_csrf(request)
        if form is None:
            return error_page(request, "页面已过期，请重新打开“发送通报”。", 403)
        if entry is None:
            return error_page(request, "请先选择台账文件（.xlsx）。")
        month = str(form.get("month", "")).strip()
        if form.get("confirm") != "yes":
            return error_page(request, "请先勾选“我已核对收件人和附件，确认发送”。")
        params = {"month": month}
        job = state.submit("mail", entry, params, work_for("mail", entry, params))
        return RedirectResponse("/mail?" + urlencode({"month": month, "job": job.id}), status_code=303)

    # -- 节假日 (R23): coverage, and next year's notice turned into rows to paste -------------------
    async def holidays_page(request: Request):
        entry = current(request)
        try:
            cov = await run_in_threadpool(state.run_now, lambda: jobs.holidays(entry.path if entry else None,
                                                                               cache=state.cache))
        except Exception as e:  # noqa: BLE001 - shown as a message on the page
            return page(request, "holidays.html", 400, error=friendly_error(e), coverage=None, notice=None, job=None)
        return page(request, "holidays.html", coverage=cov.data, notice=None, job=None, text="")

    async def holidays_parse(request: Request):
        form = await form_with_csrf(request)
        if form is None:
            return error_page(request, "页面已过期，请重新打开“节假日”页面。", 403)
        text = str(form.get("notice", ""))[:MAX_NOTICE_CHARS]
        entry = current(request)
        try:
            cov = await run_in_threadpool(state.run_now, lambda: jobs.holidays(entry.path if entry else None,
                                                                               cache=state.cache))
            target = state.work_dir / "节假日" / f"节假日_{secrets.token_hex(4)}.xlsx"
            result = await run_in_threadpool(jobs.notice, text=text, out=target)
        except Exception as e:  # noqa: BLE001 - a malformed notice names its line on the page
            return page(request, "holidays.html", 400, error=friendly_error(e), coverage=None, notice=None,
                        job=None, text=text)
        job = Job(secrets.token_urlsafe(12), "holidays", entry.id if entry else "", {}, status="done",
                  result=result)
        state.register(job, result.files)
        return page(request, "holidays.html", coverage=cov.data, notice=result.data, job=job, text=text)

    async def status(request: Request):
        job = state.job(request.path_params["jid"])
        if job is None:
            return JSONResponse({"status": "unknown"}, status_code=404)
        return JSONResponse({"status": job.status, "messages": job.messages[-8:]},
                            headers={"Cache-Control": "no-store"})

    async def download(request: Request):
        path = state.file(request.path_params["fid"])
        if path is None:
            return error_page(request, "没有这个文件（链接已过期或有误），请重新运行相应按钮。", 404)
        return FileResponse(path, filename=path.name, content_disposition_type="attachment",
                            headers={"Cache-Control": "no-store"})

    # -- JSON API (CONTRACT §3 shapes) -------------------------------------------------------------
    def api(kind: str):
        async def handler(request: Request):
            entry = current(request)
            try:
                as_of = parse_as_of(_opt(request, "as_of"))
                if kind == "holidays":
                    def work():
                        return jobs.holidays(entry.path if entry else None, as_of=as_of, cache=state.cache)
                else:
                    if entry is None:
                        raise LedgerError("请先选择台账文件（.xlsx）。")
                    params = {"as_of": as_of, "month": _opt(request, "month"), "year": _opt(request, "year")}
                    job = Job("api", kind, entry.id, params)
                    if kind == "bulletin":
                        def work():
                            return jobs.bulletin(entry.path, params["month"], as_of=as_of, write=False,
                                                 only_period=True, cache=state.cache)
                    else:
                        run = work_for(kind, entry, params, api=True)

                        def work():
                            return run(job)
                result = await run_in_threadpool(state.run_now, work)
            except Exception as e:  # noqa: BLE001 - JSON error with a Chinese message
                return JSONResponse({"error": friendly_error(e)}, status_code=400 if isinstance(e, LedgerError) else 500)
            body = json.dumps(result.data, ensure_ascii=False, separators=(",", ":"), default=str)   # as the CLI
            return Response(body, media_type="application/json", headers={"Cache-Control": "no-store"})
        return handler

    async def not_found(request: Request, exc):
        return error_page(request, "没有这个页面。", 404) if hasattr(request.state, "session") else \
            Response("没有这个页面。", 404, media_type="text/plain; charset=utf-8")

    async def server_error(request: Request, exc):
        return Response(friendly_error(exc), 500, media_type="text/plain; charset=utf-8")

    routes = [
        Route("/", home),
        Route("/login", login, methods=["GET", "POST"]),
        Route("/logout", logout, methods=["POST"]),
        Route("/upload", upload, methods=["POST"]),
        *[Route(f"/{k}", job_page(k)) for k in JOB_KINDS if k != "mail"],
        Route("/mail", mail_page),
        Route("/mail", mail_send, methods=["POST"]),
        Route("/holidays", holidays_page),
        Route("/holidays", holidays_parse, methods=["POST"]),
        Route("/status/{jid}", status),
        Route("/download/{fid}", download),
        *[Route(f"/api/{k}", api(k)) for k in ("check", "compute", "bulletin", "assess", "dispatch", "holidays")],
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    app = Starlette(routes=routes, middleware=[Middleware(Guard)],
                    exception_handlers={404: not_found, 405: not_found, Exception: server_error})
    app.state.jsjb = state
    return app


LISTS = (("overdue", "超期未办结工单"), ("exempt", "申请不计入考核工单"), ("on_hold", "挂单工单"),
         ("major", "重大、疑难工单"), ("renminwang", "人民网领导留言板工单"), ("invalid", "数据有误、未计入三率的工单"))


def _cookie(response: Response, sid: str) -> None:
    response.set_cookie(COOKIE, sid, httponly=True, samesite="strict", path="/")


def _issue_key(i):
    return (i.sheet != S.SHEET_TICKETS, i.row or 0, i.column)


def _paging(request: Request, total: int, size: int) -> tuple[int, int, int]:
    pages = max(1, -(-total // size))
    try:
        page_no = min(max(1, int(request.query_params.get("page", "1"))), pages)
    except ValueError:
        page_no = 1
    return page_no, pages, (page_no - 1) * size


def _defaults() -> dict:
    now = jobs.now()
    return {"month": jobs.last_complete_month(now), "year": jobs.last_complete_year(now)}


def _periods(entry: LedgerEntry) -> list[str]:
    from ..jobs.mail import periods

    return periods(entry.out_dir)[::-1]


