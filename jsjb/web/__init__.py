"""The browser door (CONTRACT §5): ``jsjb serve [LEDGER] [--host H] [--port P]``.

A web app with the ribbon's buttons for clerks without Microsoft Excel — for one clerk on her own PC,
or for a whole office on one server (per-browser workspaces, a job queue run by worker processes).
Stack: Starlette (routing, forms, static files), Jinja2 (autoescaped templates) and uvicorn (the
server) — see docs/browser.md for why. Entry point for the CLI: :func:`serve`.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import sys
import threading
from pathlib import Path

DEFAULT_HOST = "127.0.0.1"
MIN_PASSWORD = 8          # a LAN password (CONTRACT §5)
DEFAULT_PORT = 8765
LOOPBACK_NAMES = {"127.0.0.1", "localhost", "::1", "[::1]"}


def is_loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def default_work_dir() -> Path:
    """Where the browser door keeps uploaded copies and output files: JSJB_WEB_DIR, else ~/.jsjb/web."""
    return Path(os.environ.get("JSJB_WEB_DIR") or Path.home() / ".jsjb" / "web")


def browser_wanted() -> bool:
    """False when BROWSER says not to open one (BROWSER=none, or JSJB_NO_BROWSER set)."""
    if os.environ.get("JSJB_NO_BROWSER"):
        return False
    return os.environ.get("BROWSER", "").strip().lower() not in ("none", "false", "0", "no", "off")


def make_server(app, host: str, port: int):
    import uvicorn

    # proxy_headers=False: the client address is the connection's, never X-Forwarded-For (the login
    # lockout counts by it)
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False,
                            timeout_graceful_shutdown=2, server_header=False, proxy_headers=False)
    return uvicorn.Server(config)


def serve(ledger: str | None = None, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT,
          open_browser: bool = True) -> int:
    """Start the browser door and block until Ctrl+C; returns the exit code (0 ok, 2 refused:
    a non-loopback host without JSJB_WEB_PASSWORD or with one shorter than 8 characters, a port in
    use, a missing ledger)."""
    from ..core import howto
    from ..core.errors import LedgerError
    from .app import create_app

    def say(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    password = os.environ.get("JSJB_WEB_PASSWORD") or None
    loopback = is_loopback(host)
    if not loopback and not password:
        say(f"错误：只在本机（127.0.0.1）提供服务时才可以不设密码。要让其他电脑访问 {host}，"
            "请先设置环境变量 JSJB_WEB_PASSWORD（登录密码）。")
        return 2
    if not loopback and len(password) < MIN_PASSWORD:
        say(f"错误：让其他电脑访问时，登录密码（JSJB_WEB_PASSWORD）至少要有 {MIN_PASSWORD} 个字符；"
            f"现在只有 {len(password)} 个。请换一个更长的密码。")
        return 2
    try:
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((host.strip("[]"), port))
    except OSError as e:
        say(f"错误：无法在 {host}:{port} 上启动（{e.strerror or e}）。端口可能已被占用，请用 --port 换一个端口。")
        return 2
    howto.use("web")          # this process is the browser door: messages name pages, not commands
    try:
        app = create_app(ledger, password=password,
                         allowed_hosts=(LOOPBACK_NAMES | {host}) if loopback else None)
    except LedgerError as e:
        say(f"错误：{e}")
        return e.exit_code
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    url = f"http://{'[' + shown + ']' if ':' in shown else shown}:{port}/"
    say(f"接诉即办网页版已启动：{url}")
    say("请在浏览器中打开上面的地址；关闭本窗口或按 Ctrl+C 停止。")
    if not loopback:
        say("已允许其他电脑访问：需要输入 JSJB_WEB_PASSWORD 中设置的密码登录。")
    say(f"各人上传的台账副本和生成的文件保存在：{app.state.registry.work_dir}"
        f"（每个浏览器一个工作区；同时运行 {len(app.state.queue.lanes)} 个任务）")
    if open_browser and browser_wanted():
        import webbrowser

        threading.Timer(1.0, lambda: webbrowser.open(url)).start()
    threading.Thread(target=warm_up, args=(app,), daemon=True, name="jsjb-warm-up").start()
    server = make_server(app, host.strip("[]"), port)
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    say("已停止。")
    return 0


def warm_up(app) -> None:
    """While the server starts: the worker processes, and what the first 导入节假日 page needs (the
    holiday data), so the first clerk waits for neither."""
    try:
        app.state.queue.warm()
        from .. import jobs

        jobs.holidays(None)
    except Exception:  # noqa: BLE001 - only a head start: the first request does it otherwise
        pass


def create_app(*args, **kwargs):
    from .app import create_app as _create

    return _create(*args, **kwargs)


__all__ = ["DEFAULT_HOST", "DEFAULT_PORT", "create_app", "default_work_dir", "is_loopback", "make_server", "serve"]
