"""``jsjb doctor``, the browser door's part (``jsjb serve``: what Linux, WPS and 信创 clerks use):
its packages and pages, a free port, a writable output folder, a font that shows Chinese — and the
door itself, started once on a free loopback port with a small sample ledger and asked for its home
page and one answer computed in its worker processes.

Runs on every system (the browser door runs everywhere); :func:`checks` gives the steps that
:func:`jsjb.doctor.run` runs, each returning a list of :class:`jsjb.doctor.Check`.
"""

from __future__ import annotations

import json
import os
import socket
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from .doctor import FAIL, OK, SKIPPED, Check, is_windows, reinstall_hint

DOOR_PACKAGES = ("starlette", "jinja2", "uvicorn", "python_multipart")   # import names


def check_packages() -> Check:
    missing, found = [], []
    for name in DOOR_PACKAGES:
        try:
            module = __import__(name)
        except ImportError:
            missing.append(name)
        else:
            found.append(f"{name} {getattr(module, '__version__', '')}".strip())
    if missing:
        return Check("浏览器版软件包", FAIL, f"无法导入：{'、'.join(missing)}", reinstall_hint())
    return Check("浏览器版软件包", OK, "；".join(found))


def check_port(host: str | None = None, port: int | None = None) -> Check:
    """The port ``jsjb serve`` uses by default is free on loopback — or a browser door already
    answers there."""
    from .web import DEFAULT_HOST, DEFAULT_PORT

    host, port = host or DEFAULT_HOST, port or DEFAULT_PORT
    name = f"端口 {port}"
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            if os.name != "nt":       # Windows' SO_REUSEADDR would bind over a program listening there
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((host, port))
    except OSError as e:
        if _is_browser_door(f"http://{host}:{port}/"):
            return Check(name, OK, f"{host}:{port} 上已有网页版在运行")
        return Check(name, FAIL, f"{host}:{port} 已被其他程序占用（{e.strerror or e}）",
                     f"启动时换一个端口：jsjb serve 台账.xlsx --port {port + 1}，并在浏览器中打开 "
                     f"http://{host}:{port + 1}/")
    return Check(name, OK, f"{host}:{port} 可用（jsjb serve 的默认地址）")


# the door on this computer, reached directly: a proxy in the settings (http_proxy, Windows' Internet
# options) would otherwise take 127.0.0.1 too and fail a check the clerk's browser passes
_LOCAL = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _is_browser_door(url: str) -> bool:
    try:
        with _LOCAL.open(url, timeout=3) as r:
            return "接诉即办" in r.read(200_000).decode("utf-8", "replace")
    except (OSError, ValueError):
        return False


def check_work_dir() -> Check:
    """The folder where the browser door keeps uploaded copies and output files is writable."""
    from .web import default_work_dir

    folder = default_work_dir()
    name = "网页版文件夹"
    fix = ("设置环境变量 JSJB_WEB_DIR 为一个可写的文件夹后再启动 jsjb serve，"
           "或请管理员为当前用户开通该文件夹的写权限。")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".jsjb-doctor-", delete=True) as f:
            f.write(b"ok")
            f.flush()
    except OSError as e:
        return Check(name, FAIL, f"{folder} 不可写（{e.strerror or e}）", fix)
    return Check(name, OK, f"{folder} 可写（上传的台账副本和生成的文件保存在这里）")


def check_chinese_font() -> Check:
    """A font with Chinese glyphs, so pages (and the workbooks LibreOffice shows) are not boxes."""
    name = "中文字体"
    if is_windows():
        return Check(name, SKIPPED, "Windows 自带中文字体")
    from .io import fonts

    families = fonts.chinese_families()
    if families is None:
        return Check(name, SKIPPED, "没有 fc-list，无法列出字体（浏览器通常仍能显示中文）")
    if not families:
        return Check(name, FAIL, "系统中没有中文字体，网页和表格中的汉字会显示为方框",
                     "安装中文字体，例如 Debian/Ubuntu：apt install fonts-noto-cjk；麒麟、统信系统自带中文字体。")
    shown = sorted(families)[:3]
    return Check(name, OK, f"{len(families)} 种，例如 {'、'.join(shown)}")


def check_door(timeout: float = 60.0) -> Check:
    """Start the browser door on a free loopback port (a scratch work folder, a small sample ledger,
    no browser window), fetch its home page — the templates, the static files and the server
    together — and one JSON answer (校验 of the sample), which runs in the door's worker processes
    like every clerk's job; then stop it."""
    from . import jobs
    from .web import create_app, make_server

    name = "浏览器版启动"
    fix = ("把本输出发给系统管理员；" + reinstall_hint())
    rows = 50
    try:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        with tempfile.TemporaryDirectory(prefix="jsjb-doctor-") as work:
            ledger = Path(work) / "样例台账.xlsx"
            jobs.sample(ledger, rows=rows, seed=1)
            server = make_server(create_app(str(ledger), work_dir=str(Path(work) / "web"), password=None),
                                 "127.0.0.1", port)
            thread = threading.Thread(target=server.run, daemon=True)
            t0 = time.perf_counter()
            thread.start()
            try:
                page = _get(f"http://127.0.0.1:{port}/", t0, timeout)
                opened = time.perf_counter() - t0
                answer = _get(f"http://127.0.0.1:{port}/api/check", t0, timeout) if page else ""
                answered = time.perf_counter() - t0 - opened
            finally:
                server.should_exit = True
                thread.join(timeout=10)
    except Exception as e:  # noqa: BLE001 - whatever stops the door is the finding
        return Check(name, FAIL, f"{type(e).__name__}：{e}", fix)
    if "接诉即办" not in page:
        return Check(name, FAIL, f"{timeout:g} 秒内没有打开首页", fix)
    try:
        checked = json.loads(answer).get("rows")
    except ValueError:
        checked = None
    if checked != rows:
        return Check(name, FAIL, f"首页已打开，但后台计算没有结果（{_show(answer)}）", fix)
    return Check(name, OK, f"在 127.0.0.1:{port} 上试启动：首页 {opened:.1f} 秒打开，"
                           f"后台校验 {rows} 张样例工单 {answered:.1f} 秒完成")


def _get(url: str, t0: float, timeout: float) -> str:
    """The body of ``url``, retrying while the server starts, until ``timeout`` seconds after ``t0``."""
    while time.perf_counter() - t0 < timeout:
        try:
            with _LOCAL.open(url, timeout=timeout) as r:
                return r.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as e:
            return e.read().decode("utf-8", "replace")
        except OSError:
            time.sleep(0.1)
    return ""


def _show(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return (text[:limit] + "…") if len(text) > limit else (text or "无应答")


def checks(progress=None) -> list[tuple[str, object]]:
    """The steps of :func:`jsjb.doctor.run` for the browser door."""
    return [("浏览器版", lambda: [check_packages(), check_door(), check_port(), check_work_dir(),
                                 check_chinese_font()])]

