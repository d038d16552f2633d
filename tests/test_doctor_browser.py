"""jsjb doctor on the browser door (jsjb/doctor_browser.py) and on what a plain or bundled install
holds: each check passes here, where everything is in place, and fails — naming the fix — when one
thing is taken away (a busy port, an unwritable folder, no Chinese font, a missing package)."""

from __future__ import annotations

import datetime as dt
import re
import socket
import sys
import tomllib
from pathlib import Path

import pytest

from jsjb import doctor, doctor_browser

ROOT = Path(__file__).resolve().parent.parent


def test_the_browser_door_is_checked_on_every_system():
    names = [c.name for c in doctor.run()]
    for name in ("浏览器版软件包", "浏览器版启动", "端口 8765", "网页版文件夹", "中文字体"):
        assert name in names


def test_the_door_starts_shows_its_home_page_and_computes_in_its_workers(monkeypatch):
    # an office PC's proxy setting (here one that answers nothing) must not stand between doctor and
    # the door on this computer, as it does not for the clerk's browser
    for var in ("http_proxy", "HTTP_PROXY"):
        monkeypatch.setenv(var, "http://127.0.0.1:9")
    monkeypatch.delenv("no_proxy", raising=False)
    monkeypatch.delenv("NO_PROXY", raising=False)
    c = doctor_browser.check_door()
    assert c.status == doctor.OK and "127.0.0.1:" in c.detail, c
    assert "后台校验 50 张样例工单" in c.detail          # /api/check answered by a worker process


def test_a_door_whose_workers_do_not_answer_fails(monkeypatch):
    real = doctor_browser._get

    def no_worker(url, t0, timeout):
        return '{"error": "计算进程没有启动"}' if url.endswith("/api/check") else real(url, t0, timeout)

    monkeypatch.setattr(doctor_browser, "_get", no_worker)
    c = doctor_browser.check_door()
    assert c.status == doctor.FAIL and "后台计算没有结果" in c.detail and "计算进程没有启动" in c.detail, c


def test_a_missing_package_fails_with_the_reinstall_command(monkeypatch):
    monkeypatch.setitem(sys.modules, "uvicorn", None)          # import uvicorn → ImportError
    c = doctor_browser.check_packages()
    assert c.status == doctor.FAIL and "uvicorn" in c.detail
    assert f'"{sys.executable}" -m pip install' in c.fix        # the interpreter by its full path


def test_a_port_taken_by_another_program_names_another_port():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        c = doctor_browser.check_port("127.0.0.1", port)
    assert c.status == doctor.FAIL and str(port) in c.detail and f"--port {port + 1}" in c.fix
    free = doctor_browser.check_port("127.0.0.1", port)        # released: free again
    assert free.status == doctor.OK


def test_the_work_folder_must_be_writable(monkeypatch, tmp_path):
    monkeypatch.setenv("JSJB_WEB_DIR", str(tmp_path / "网页版"))
    assert doctor_browser.check_work_dir().status == doctor.OK
    blocker = tmp_path / "一个文件"
    blocker.write_text("x")
    monkeypatch.setenv("JSJB_WEB_DIR", str(blocker / "网页版"))     # a folder inside a file cannot exist
    c = doctor_browser.check_work_dir()
    assert c.status == doctor.FAIL and "JSJB_WEB_DIR" in c.fix and str(blocker) in c.detail


@pytest.mark.skipif(sys.platform.startswith("win"), reason="fontconfig")
def test_chinese_fonts(monkeypatch):
    assert doctor_browser.check_chinese_font().status == doctor.OK     # fonts-noto-cjk (ensure_test_tools.sh)
    from jsjb.io import fonts

    monkeypatch.setattr(fonts, "chinese_families", lambda: set())
    c = doctor_browser.check_chinese_font()
    assert c.status == doctor.FAIL and "字体" in c.fix


def test_runtime_packages_are_the_declared_dependencies_for_this_system():
    """The packages doctor requires are pyproject's dependencies (the oracle, read here with tomllib),
    markers applied: on Linux no xlwings, and never a test tool or the opt-in writer."""
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
    windows_only = {re.match(r"[\w.-]+", d).group(0) for d in deps if "win32" in d}
    everywhere = {re.match(r"[\w.-]+", d).group(0) for d in deps if ";" not in d}
    got = set(doctor.runtime_packages())
    assert got == {"jsjb", *everywhere} | (windows_only if sys.platform.startswith("win") else set())
    assert not got & {"pytest", "playwright", "hypothesis", "ruff", "openpyxl", "python-calamine",
                      "rvgsrust-xlsxwriter"}


def test_fixes_name_the_interpreter_by_its_full_path_or_the_bundle(monkeypatch):
    """The guide promises nothing depends on PATH: no bare `python -m pip` in any fix."""
    missing_year = [c for c in doctor.check_holidays(dt.date(2099, 3, 1)) if c.status == doctor.FAIL]
    for c in missing_year:
        assert f'"{sys.executable}" -m pip install -U chinesecalendar' in c.fix
        assert not re.search(r"(?<![\"/\\])python -m pip", c.fix)
    monkeypatch.setattr(sys, "frozen", True, raising=False)       # inside the self-contained folder: no pip
    assert "独立运行包" in doctor.reinstall_hint()
    for c in doctor.check_holidays(dt.date(2099, 3, 1)):
        assert "pip" not in c.fix and "独立运行包" in c.fix
