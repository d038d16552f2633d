"""The browser door (CONTRACT §5): the office's jobs behind pages with the ribbon's buttons, for a
whole office on one server.

Thin like the CLI: a request → a job of ``jsjb.jobs`` (queued, run by a worker process:
:mod:`jsjb.web.jobqueue`) → its result rendered. Each browser has its own workspace
(:mod:`jsjb.web.workspace`); a job starts only by a POST from the tool's own form carrying the
page's token, and a plain GET of a job's path shows its form, pre-filled from the query. Pages and
small requests run in the server process and never wait for a job. It adds no rule and reads the
ledger only.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import os
import re
import secrets
import sys
import tempfile
import threading
from pathlib import Path
from urllib.parse import urlencode

import pandas as pd
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
from ..core import clock, howto, stats
from ..core.errors import LedgerError
from ..jobs.errors import describe
from . import default_work_dir, render
from . import kinds as K
from .jobqueue import Busy, Job, JobQueue
from .wording import Scrubber
from .worker import UPLOADS, discard_upload
from .workspace import (
    LOGIN_WINDOW,
    SESSION_COOKIE,
    WORKSPACE_COOKIE,
    WORKSPACE_DAYS,
    LedgerEntry,
    Registry,
    Session,
    safe_stem,
    safe_upload_name,
)

HERE = Path(__file__).parent
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = bytes.fromhex("d0cf11e0a1b11ae1")           # encrypted OOXML, .xls and .et are OLE2 files
MAX_NOTICE_CHARS = 50_000     # a State Council notice is about 2,000 characters
PUBLIC_PATHS = ("/login", "/static/")
ACTS = {*K.ALL, "api", "holidays", "upload", "logout", "template"}   # first path segment of requests that act
NO_LEDGER = "请先选择台账文件（.xlsx）。"
EMPTY_WINDOW = (pd.Timestamp("1900-01-01"), pd.Timestamp("1900-01-01"))   # no tickets (the plan reads 承办企业)


def _env_int(name: str, default: int) -> int:
    try:
        return int(os.environ.get(name, "") or default)
    except ValueError:
        return default


# -- the application -------------------------------------------------------------------------------
def create_app(ledger: str | os.PathLike | None = None, *, work_dir: str | os.PathLike | None = None,
               password: str | None = None, max_upload: int | None = None,
               allowed_hosts: set[str] | None = None, workers: int | None = None,
               processes: bool | None = None, result_budget: int | None = None) -> Starlette:
    """The web application.

    ``ledger``: the office ledger from the command line (read only, offered to every workspace);
    ``work_dir``: where workspaces (uploaded copies, outputs) go (default JSJB_WEB_DIR or ~/.jsjb/web);
    ``password`` (default JSJB_WEB_PASSWORD): login required; ``max_upload`` bytes (default
    JSJB_WEB_MAX_UPLOAD_MB or 50 MB); ``allowed_hosts``: Host header names accepted (None: any);
    ``workers``: jobs run side by side (default JSJB_WEB_WORKERS or the cores, at most 4);
    ``processes``: run jobs in worker processes (default; JSJB_WEB_PROCESSES=0, and a frozen bundle:
    threads — one job at a time per worker, and jobs then share the server's cores with the pages);
    ``result_budget``: bytes of finished results kept (default JSJB_WEB_RESULTS_MB or 256 MB)."""
    if password is None:
        password = os.environ.get("JSJB_WEB_PASSWORD") or None
    if max_upload is None:
        max_upload = int(float(os.environ.get("JSJB_WEB_MAX_UPLOAD_MB", "50")) * 1024 * 1024)
    if workers is None:
        workers = _env_int("JSJB_WEB_WORKERS", min(os.cpu_count() or 1, 4))
    if processes is None:      # a frozen bundle (make bundle) runs its jobs in threads: no interpreter to start
        processes = os.environ.get("JSJB_WEB_PROCESSES", "0" if getattr(sys, "frozen", False) else "1") != "0"
    if result_budget is None:
        result_budget = _env_int("JSJB_WEB_RESULTS_MB", 256) * 1024 * 1024
    work = Path(work_dir) if work_dir else default_work_dir()
    default = None
    if ledger is not None:
        default = Path(ledger)
        if not default.is_file():
            raise LedgerError(f"找不到台账文件：{default}")
    registry = Registry(work, default)
    scrub = Scrubber([work, *([default.parent] if default else [])])

    def on_files(job: Job, paths: list[str]) -> None:
        job.files = [(registry.register(job.workspace, Path(p)), Path(p).name) for p in paths if Path(p).is_file()]

    queue = JobQueue(max(1, workers), processes=processes, budget=result_budget, on_files=on_files, clean=scrub)
    password = password or None

    env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(default=True))
    env.globals.update(version=__version__, kinds=K.KINDS, all_kinds=K.ALL, pct=render.pct)
    env.filters["dict_merge"] = lambda a, b: {**a, **b}
    templates = Jinja2Templates(env=env)

    def page(request: Request, name: str, code: int = 200, **context) -> Response:
        session: Session = request.state.session
        context.setdefault("error", None)
        context.setdefault("title", None)
        context.update(session=session, csrf=session.csrf, ledger=session.workspace.ledger(),
                       login_required=bool(password), defaults=_defaults())
        return templates.TemplateResponse(request, name, context, status_code=code,
                                          headers={"Cache-Control": "no-store"})

    def error_page(request: Request, message: str, code: int = 400) -> Response:
        return page(request, "error.html", code, error=scrub(message))

    def current(request: Request) -> LedgerEntry | None:
        return request.state.session.workspace.ledger()

    async def light(fn):
        """Work a page needs at once (the mail plan, holiday coverage): in a thread of this process,
        with the browser's words, never in the job queue."""
        def run():
            with howto.door("web"):
                return fn()
        return await run_in_threadpool(run)

    def client_address(request: Request) -> str:
        """The connecting address (the server is started without proxy headers: a client cannot
        choose this by sending X-Forwarded-For)."""
        client = request.scope.get("client")
        return client[0] if client else "?"

    # -- security ------------------------------------------------------------------------------------
    class Guard(BaseHTTPMiddleware):
        async def dispatch(self, request: Request, call_next):
            if allowed_hosts is not None and (request.url.hostname or "") not in allowed_hosts:
                return Response("Host 不被接受", status_code=400, media_type="text/plain; charset=utf-8")
            session, new_sid, new_ws = registry.session(request.cookies.get(SESSION_COOKIE),
                                                        request.cookies.get(WORKSPACE_COOKIE))
            request.state.session = session
            path = request.url.path
            fetch_site = request.headers.get("sec-fetch-site")
            if fetch_site not in (None, "same-origin", "none") and path.strip("/").split("/")[0] in ACTS:
                # a page elsewhere (an <img>, a link or a form on another site) must not act here (CSRF)
                return Response("请从本工具的页面操作", status_code=403, media_type="text/plain; charset=utf-8")
            if request.method == "POST":
                origin = request.headers.get("origin")
                if origin and origin != f"{request.url.scheme}://{request.url.netloc}":
                    return Response("请求来源不被接受", status_code=403, media_type="text/plain; charset=utf-8")
            if password and not session.authed and not path.startswith(PUBLIC_PATHS):
                if path.startswith(("/api/", "/status/", "/download/")):
                    response = JSONResponse({"error": "请先登录"}, status_code=401)
                else:
                    response = RedirectResponse("/login", status_code=303)
            else:
                response = await call_next(request)
            if new_sid and SESSION_COOKIE not in response.headers.get("set-cookie", ""):
                _cookie(response, SESSION_COOKIE, session.id)
            if new_ws:
                _cookie(response, WORKSPACE_COOKIE, session.workspace.id, WORKSPACE_DAYS * 86400)
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
        if not password:
            return RedirectResponse("/", status_code=303)
        if request.method == "GET":
            return page(request, "login.html")
        address = client_address(request)
        if registry.login_blocked(address):
            return page(request, "login.html", 429, error=f"登录失败次数过多，请 {LOGIN_WINDOW / 60:g} 分钟后再试。")
        form = await form_with_csrf(request)
        if form is None:
            return page(request, "login.html", 403, error="页面已过期，请重新输入密码。")
        given = str(form.get("password", "")).encode("utf-8")
        if not hmac.compare_digest(given, password.encode("utf-8")):
            registry.login_failed(address)
            return page(request, "login.html", 401, error="密码不正确。")
        session = registry.renew(request.state.session)
        response = RedirectResponse("/", status_code=303)
        _cookie(response, SESSION_COOKIE, session.id)
        return response

    async def logout(request: Request):
        if await form_with_csrf(request) is None:
            return error_page(request, "页面已过期，请刷新后重试。", 403)
        request.state.session.authed = False
        return RedirectResponse("/login" if password else "/", status_code=303)

    # -- home, upload, blank ledger ----------------------------------------------------------------------
    def my_jobs(request: Request) -> list[dict]:
        out = []
        for job in queue.of(request.state.session.workspace.id)[:20]:
            place, _ = queue.position(job)
            state = {"queued": f"排队中（第 {place} 位）", "running": "正在处理", "done": "完成",
                     "error": "出错"}[job.state]
            if job.released:
                state = "完成（结果已释放，文件仍可下载）"
            elif job.state == "done" and not job.shown:
                state = "完成，未查看"
            out.append({"id": job.id, "kind": job.kind, "title": job.title, "state": state,
                        "when": f"{_local(job.created):%m-%d %H:%M}"})
        return out

    async def home(request: Request):
        message, request.state.session.flash = request.state.session.flash, None
        return page(request, "home.html", message=message, values=K.form_values(request.query_params),
                    jobs=my_jobs(request))

    async def uploaded(request: Request, field: str, too_big: str, missing: str):
        """The one file of an upload form (``field``), read within the size limit, and the form's token
        checked: ``(filename, data, form, None)``, or ``(None, None, None, (status, message))``."""
        limit = max_upload
        length = request.headers.get("content-length")
        if length and length.isdigit() and int(length) > limit + 1024 * 1024 * 4:
            return None, None, None, (413, too_big)
        spool = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024, dir=registry.work_dir)
        size, over = 0, False
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit + 64 * 1024:
                over = True          # keep reading (and dropping) so the browser sees our answer
                continue
            spool.write(chunk)
        if over:
            spool.close()
            return None, None, None, (413, too_big)
        spool.seek(0)

        async def body():
            while chunk := spool.read(256 * 1024):
                yield chunk
        try:
            form = await MultiPartParser(request.headers, body(), max_files=1, max_fields=10).parse()
        except Exception:  # noqa: BLE001 - a malformed upload is the browser's problem, told simply
            spool.close()
            return None, None, None, (400, "上传的内容无法识别，请重新选择文件。")
        spool.close()
        if not hmac.compare_digest(str(form.get("csrf", "")), request.state.session.csrf):
            return None, None, None, (403, "页面已过期，请刷新页面后重新选择文件。")
        f = form.get(field)
        if not isinstance(f, UploadFile) or not f.filename:
            return None, None, None, (400, missing)
        data = await f.read()
        await form.close()
        if len(data) > limit:
            return None, None, None, (413, too_big)
        return f.filename, data, form, None

    async def upload(request: Request):
        too_big = f"文件太大：最大允许 {max_upload / 1024 / 1024:g} MB。请把台账按年份拆分，或请管理员调大上传大小上限。"

        def refuse(code: int, message: str) -> Response:
            return page(request, "home.html", code, error=message, values=K.form_values({}), jobs=my_jobs(request))
        filename, data, _, problem = await uploaded(request, "ledger", too_big, "请先选择台账文件（.xlsx）。")
        if problem:
            return refuse(*problem)
        problem = upload_problem(filename, data)
        if problem:
            return refuse(400, problem)
        ws = request.state.session.workspace
        name = safe_upload_name(filename)

        def save() -> LedgerEntry:
            folder = registry.upload_dir(ws, name)
            tmp = folder / f".{secrets.token_hex(4)}.tmp"
            tmp.write_bytes(data)
            tmp.replace(folder / name)       # atomic: a job still reading the previous copy is not disturbed
            return registry.add_upload(ws, folder / name, hashlib.sha256(data).hexdigest())
        await run_in_threadpool(save)
        request.state.session.flash = f"已载入台账副本：{name}（原文件不会被修改）"
        return RedirectResponse("/", status_code=303)

    template_lock = threading.Lock()

    async def blank_ledger(request: Request):
        """下载空白台账: the plain ledger (native formulas: WPS, LibreOffice, Excel), made once per version."""
        target = registry.work_dir / "模板" / f"台账模板_通用_{__version__}.xlsx"

        def make() -> Path:
            with template_lock, howto.door("web"):
                if not target.exists():
                    target.parent.mkdir(parents=True, exist_ok=True)
                    tmp = target.with_name(f".{secrets.token_hex(4)}.xlsx")
                    jobs.template(tmp, plain=True)
                    tmp.replace(target)
            return target
        try:
            path = await run_in_threadpool(make)
        except Exception as e:  # noqa: BLE001 - a message on the page
            return error_page(request, describe(e)[0], 500)
        return FileResponse(path, filename="接诉即办台账_通用.xlsx", content_disposition_type="attachment",
                            headers={"Cache-Control": "no-store"})

    # -- jobs ------------------------------------------------------------------------------------------
    def spec_of(kind: str, entry: LedgerEntry, params: dict) -> dict:
        return {"kind": kind, "path": str(entry.path), "key": entry.cache_key(), "name": entry.name,
                "out_dir": str(entry.out_dir), "params": params}

    def exclusive(kind: K.Kind, entry: LedgerEntry) -> frozenset:
        keys = {f"out:{entry.out_dir}"} if kind.writes else set()
        if kind.name in ("mail", "bulletin"):            # R22: what was sent is read from the run log
            keys.add(f"log:{os.environ.get('JSJB_LOG') or entry.path.resolve().parent}")
        return frozenset(keys)

    def start(request: Request, kind: K.Kind, entry: LedgerEntry, params: dict, values: dict) -> Job:
        ws = request.state.session.workspace
        job = Job(JobQueue.new_id(), kind.name, ws.id, entry.id, {**params, "form": values},
                  spec_of(kind.name, entry, params), title=K.describe(kind.label, values),
                  exclusive=exclusive(kind, entry))
        return queue.submit(job)

    def form_page(request: Request, kind: K.Kind, values: dict, code: int = 200, **extra) -> Response:
        return page(request, "job_form.html", code, kind=kind, values=values, title=kind.label, **extra)

    def job_get(kind: K.Kind):
        async def handler(request: Request):
            jid = request.query_params.get("job")
            if jid:
                return show(request, kind, jid)
            values = K.form_values(request.query_params)
            if current(request) is None:
                return form_page(request, kind, values, 400, error=NO_LEDGER)
            return form_page(request, kind, values)
        return handler

    def job_post(kind: K.Kind):
        async def handler(request: Request):
            form = await form_with_csrf(request)
            if form is None:
                return form_page(request, kind, K.form_values({}), 403, error="页面已过期，请刷新页面后重新点击按钮。")
            values = K.form_values(form)
            entry = current(request)
            if entry is None:
                return form_page(request, kind, values, 400, error=NO_LEDGER)
            try:
                params = K.parse(kind, values)
                job = start(request, kind, entry, params, values)
            except (LedgerError, Busy) as e:
                return form_page(request, kind, values, 400 if isinstance(e, LedgerError) else 429, error=str(e))
            return RedirectResponse(f"/{kind.name}?{urlencode({'job': job.id})}", status_code=303)
        return handler

    async def intake_post(request: Request):
        """导入工单 (CONTRACT §6): the system's export uploaded with the form, saved into this workspace, and
        the intake queued against the current ledger (read only)."""
        kind = K.INTAKE
        too_big = f"文件太大：最大允许 {max_upload / 1024 / 1024:g} MB。请按日期分批导出后再导入。"
        filename, data, _, problem = await uploaded(request, "export", too_big,
                                                    "请先选择从接诉即办系统导出的工单文件（.xlsx、.xls 或 .csv）。")
        values = K.form_values({})
        if problem:
            return form_page(request, kind, values, problem[0], error=problem[1])
        entry = current(request)
        if entry is None:
            return form_page(request, kind, values, 400, error=NO_LEDGER)
        ws = request.state.session.workspace
        shown = re.split(r"[\\/]", filename)[-1][:120]

        def save() -> Path:
            folder = ws.folder / UPLOADS / secrets.token_hex(6)
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / safe_export_name(filename)
            path.write_bytes(data)
            return path
        path = await run_in_threadpool(save)
        try:
            job = start(request, kind, entry, {"as_of": None, "export": str(path), "export_name": shown}, values)
        except Busy as e:
            await run_in_threadpool(discard_upload, path)
            return form_page(request, kind, values, 429, error=str(e))
        job.title = f"导入工单（{shown}）"
        return RedirectResponse(f"/{kind.name}?{urlencode({'job': job.id})}", status_code=303)

    def show(request: Request, kind: K.Kind, jid: str) -> Response:
        ws = request.state.session.workspace
        job = queue.get(jid, ws.id)
        values = K.form_values(request.query_params)
        if job is None or job.kind != kind.name or job.api:
            return form_page(request, kind, values, 404,
                             error="没有找到这个任务的结果（链接有误，或服务器已重新启动）。请重新运行：")
        values = job.params.get("form", values)
        if job.state in ("queued", "running"):
            return page(request, "working.html", job=job, status=queue.status(job), title=kind.label)
        queue.shown(job)
        files = job.files
        if job.state == "error":
            latest = job.error_extra.get("latest")
            suggestion = None
            if latest:
                values = {**values, ("month" if kind.name == "bulletin" else "year"): latest}
                suggestion = f"已把{'通报月份' if kind.name == 'bulletin' else '考核年度'}改为 {latest}，请核对后重新运行。"
            return form_page(request, kind, values, 400, error=job.error, job=job, suggestion=suggestion)
        if job.view is None:
            return page(request, "released.html", kind=kind, job=job, values=values, files=files, title=kind.label)
        ctx = kind.context(job.view, request.query_params) if kind.context else {}
        return page(request, kind.page, job=job, view=job.view, notes=job.view.notes, files=files,
                    title=kind.label, values=values, **ctx)

    # -- 发送通报: the plan (what would be sent, what was sent and when), then send or resend ----------
    async def mail_page(request: Request):
        jid = request.query_params.get("job")
        if jid:
            return show(request, K.MAIL, jid)
        entry = current(request)
        month_text = request.query_params.get("month", "").strip()
        if entry is None:
            return page(request, "mail_plan.html", 400, error=NO_LEDGER, month=month_text, deliveries=None, periods=[])
        periods = await light(lambda: _periods(entry))
        try:
            month = stats.month(month_text).label if month_text else (periods[0] if periods else
                                                                       jobs.last_complete_month(jobs.now()))
        except LedgerError as e:
            return page(request, "mail_plan.html", 400, error=str(e), month=month_text, deliveries=None, periods=periods)
        if month not in periods:
            return page(request, "mail_plan.html", month=month, deliveries=None, periods=periods)

        def plan():
            source = jobs.Source.of(entry.path, window=EMPTY_WINDOW)      # the plan needs 承办企业 only
            return jobs.mail_plan(entry.out_dir, source, month), jobs.mail_settings()
        try:
            (_, label, deliveries), settings = await light(plan)
        except Exception as e:  # noqa: BLE001 - shown as a message on the page
            return page(request, "mail_plan.html", 400, error=scrub(describe(e)[0]), month=month, deliveries=None,
                        periods=periods)
        rows = [{"enterprise": d.enterprise, "file": d.file.name if d.file else "", "addresses": d.addresses,
                 "already": d.already, "state": d.state, "reason": scrub(d.skip or ""), "invalid": d.invalid,
                 "history": d.history, "stale": d.stale} for d in deliveries]
        return page(request, "mail_plan.html", month=label, deliveries=rows, periods=periods,
                    server=f"{settings.host}:{settings.port}", sendable=sum(1 for d in deliveries if not d.skip),
                    sent=[r for r in rows if r["history"] and r["file"]])

    async def mail_post(request: Request):
        form = await form_with_csrf(request)
        if form is None:
            return error_page(request, "页面已过期，请重新打开“发送通报”。", 403)
        entry = current(request)
        if entry is None:
            return error_page(request, NO_LEDGER)
        month = str(form.get("month", "")).strip()
        try:
            month = stats.month(month).label if month else ""
        except LedgerError as e:
            return error_page(request, str(e))
        action = form.get("action")
        if action not in ("send", "resend"):            # the home page's button: the plan first
            return RedirectResponse("/mail?" + urlencode({"month": month} if month else {}), status_code=303)
        params = {"month": month or None}
        if action == "send":
            if form.get("confirm") != "yes":
                return error_page(request, "请先勾选“我已核对收件人和附件，确认发送”。")
        else:
            chosen = [str(x) for x in form.getlist("enterprise")]
            if not chosen:
                return error_page(request, "请先勾选要重新发送的企业。")
            if form.get("confirm_resend") != "yes":
                return error_page(request, "请先勾选“我确认重新发送所选企业的通报”。")
            params.update(resend=True, only=chosen)
        values = {"as_of": "", "month": month, "year": "", "docx": False}
        try:
            job = start(request, K.MAIL, entry, params, values)
        except Busy as e:
            return error_page(request, str(e), 429)
        if action == "resend":
            job.title = f"重新发送通报（{month}：{'、'.join(params['only'])}）"
        return RedirectResponse("/mail?" + urlencode({"job": job.id}), status_code=303)

    # -- 节假日 (R23): coverage, and next year's notice turned into rows to paste -------------------
    coverages: dict[tuple, dict] = {}            # (ledger's cache key, hour) → coverage: the page opens at once

    async def coverage(entry: LedgerEntry | None) -> dict:
        key = (entry.cache_key() if entry else None, f"{jobs.now():%Y-%m-%d %H}")
        if key not in coverages:
            cov = await light(lambda: jobs.holidays(entry.path if entry else None))
            if len(coverages) > 64:
                coverages.clear()
            coverages[key] = cov.data
        return coverages[key]

    async def holidays_page(request: Request):
        entry = current(request)
        try:
            data = await coverage(entry)
        except Exception as e:  # noqa: BLE001 - shown as a message on the page
            return page(request, "holidays.html", 400, error=scrub(describe(e)[0]), coverage=None, notice=None,
                        files=[], title="导入节假日")
        return page(request, "holidays.html", coverage=data, notice=None, files=[], text="", title="导入节假日")

    async def holidays_parse(request: Request):
        form = await form_with_csrf(request)
        if form is None:
            return error_page(request, "页面已过期，请重新打开“导入节假日”页面。", 403)
        text = str(form.get("notice", ""))[:MAX_NOTICE_CHARS]
        entry = current(request)
        ws = request.state.session.workspace
        try:
            data = await coverage(entry)
            target = ws.folder / "节假日" / f"节假日_{secrets.token_hex(4)}.xlsx"
            result = await light(lambda: jobs.notice(text=text, out=target))
        except Exception as e:  # noqa: BLE001 - a malformed notice names its line on the page
            return page(request, "holidays.html", 400, error=scrub(describe(e)[0]), coverage=None, notice=None,
                        files=[], text=text, title="导入节假日")
        files = [(registry.register(ws.id, p), Path(p).name) for p in result.files]
        return page(request, "holidays.html", coverage=data, notice=result.data, files=files, text=text,
                    title="导入节假日")

    # -- small endpoints -------------------------------------------------------------------------------
    async def status(request: Request):
        job = queue.get(request.path_params["jid"], request.state.session.workspace.id)
        if job is None:
            return JSONResponse({"state": "unknown"}, status_code=404)
        return JSONResponse(queue.status(job), headers={"Cache-Control": "no-store"})

    async def download(request: Request):
        path = registry.file(request.state.session.workspace, request.path_params["fid"])
        if path is None:
            return error_page(request, "没有这个文件（链接已过期或有误），请重新运行相应按钮。", 404)
        return FileResponse(path, filename=path.name, content_disposition_type="attachment",
                            headers={"Cache-Control": "no-store"})

    # -- JSON API (CONTRACT §3 shapes; computes and answers, writes nothing) ----------------------------
    def api(name: str):
        async def handler(request: Request):
            entry = current(request)
            try:
                as_of = clock.parse_moment(request.query_params.get("as_of", "").strip() or None, "统计时点")
                if name == "holidays":
                    result = await light(lambda: jobs.holidays(entry.path if entry else None, as_of=as_of))
                    return _json(result.data)
                if entry is None:
                    raise LedgerError(NO_LEDGER)
                params = {"as_of": as_of}
                for field in ("month", "year"):
                    text = request.query_params.get(field, "").strip()
                    params[field] = (stats.month if field == "month" else stats.year)(text).label if text else None
                spec = {**spec_of("api", entry, params), "api": name}
                job = Job(JobQueue.new_id(), "api", request.state.session.workspace.id, entry.id, params, spec,
                          title=f"接口 {name}", api=True)
                queue.submit(job)
            except Busy as e:
                return JSONResponse({"error": str(e)}, status_code=429)
            except Exception as e:  # noqa: BLE001 - JSON error with a Chinese message
                return JSONResponse({"error": scrub(describe(e)[0])}, status_code=400 if isinstance(e, LedgerError) else 500)
            try:                              # a client that goes away leaves nothing behind either
                await _wait(job)
                if job.state != "done":
                    return JSONResponse({"error": job.error}, status_code=400)
                return Response(job.view.body, media_type="application/json", headers={"Cache-Control": "no-store"})
            finally:
                queue.drop(job)
        return handler

    async def not_found(request: Request, exc):
        return error_page(request, "没有这个页面。", 404) if hasattr(request.state, "session") else \
            Response("没有这个页面。", 404, media_type="text/plain; charset=utf-8")

    async def server_error(request: Request, exc):
        return Response(scrub(describe(exc)[0]), 500, media_type="text/plain; charset=utf-8")

    @contextlib.asynccontextmanager
    async def lifespan(app):
        yield
        await run_in_threadpool(queue.stop)

    routes = [
        Route("/", home),
        Route("/login", login, methods=["GET", "POST"]),
        Route("/logout", logout, methods=["POST"]),
        Route("/upload", upload, methods=["POST"]),
        Route("/template", blank_ledger),
        *[r for k in K.KINDS.values() for r in (Route(f"/{k.name}", job_get(k)),
                                                Route(f"/{k.name}", job_post(k), methods=["POST"]))],
        Route("/mail", mail_page),
        Route("/mail", mail_post, methods=["POST"]),
        Route("/intake", job_get(K.INTAKE)),
        Route("/intake", intake_post, methods=["POST"]),
        Route("/holidays", holidays_page),
        Route("/holidays", holidays_parse, methods=["POST"]),
        Route("/status/{jid}", status),
        Route("/download/{fid}", download),
        *[Route(f"/api/{k}", api(k)) for k in ("check", "compute", "bulletin", "assess", "dispatch", "holidays")],
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    app = Starlette(routes=routes, middleware=[Middleware(Guard)], lifespan=lifespan,
                    exception_handlers={404: not_found, 405: not_found, Exception: server_error})
    app.state.registry = registry
    app.state.queue = queue
    return app


EXPORT_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods", ".csv", ".txt")


def safe_export_name(filename: str | None) -> str:
    """The saved name of an uploaded export: its base name, harmless characters, its own suffix (the
    reader decides by the content; the suffix only names a damaged workbook as one)."""
    base = re.split(r"[\\/]", filename or "")[-1]
    suffix = Path(base).suffix.lower()
    stem = base[: -len(suffix)] if suffix else base
    return f"{safe_stem(stem)}{suffix if suffix in EXPORT_SUFFIXES else ''}"


def upload_problem(filename: str, data: bytes) -> str | None:
    """Why an upload cannot be a ledger, in words a clerk can act on; None when it may be one."""
    if data.startswith(OLE_MAGIC):
        if "EncryptionInfo".encode("utf-16-le") in data:
            return ("这个工作簿设置了打开密码（已加密），本工具无法读取。请在 Excel 或 WPS 中打开它，取消打开密码"
                    "（文件 → 信息/文档加密 → 清除密码），保存后再上传。原文件不会被本工具修改。")
        return ("这是旧版 Excel（.xls）或 WPS 表格（.et）格式的文件。请在 Excel 或 WPS 中打开，"
                "另存为“Excel 工作簿（*.xlsx）”后再上传。")
    if not filename.lower().endswith(".xlsx") or not data.startswith(ZIP_MAGIC):
        return "只能上传 Excel 工作簿（.xlsx）。如果是 .xls、.et 或 .csv 文件，请先在 Excel 或 WPS 中另存为 .xlsx。"
    return None


def _json(data: dict) -> Response:
    import json

    body = json.dumps(data, ensure_ascii=False, separators=(",", ":"), default=str)   # as the CLI
    return Response(body, media_type="application/json", headers={"Cache-Control": "no-store"})


async def _wait(job: Job) -> None:
    loop = asyncio.get_running_loop()
    done = loop.create_future()

    def waiter():
        job.done.wait()
        loop.call_soon_threadsafe(lambda: done.done() or done.set_result(None))
    if job.done.is_set():
        return
    threading.Thread(target=waiter, daemon=True).start()
    await done


def _cookie(response: Response, name: str, value: str, max_age: int | None = None) -> None:
    response.set_cookie(name, value, max_age=max_age, httponly=True, samesite="strict", path="/")


def _local(t: float):
    import datetime as dt

    return dt.datetime.fromtimestamp(t)


def _defaults() -> dict:
    now = jobs.now()
    return {"month": jobs.last_complete_month(now), "year": jobs.last_complete_year(now)}


def _periods(entry: LedgerEntry) -> list[str]:
    """The months whose bulletin this workspace generated for this ledger, newest first."""
    from ..jobs.mail import periods

    return periods(entry.out_dir)[::-1]
