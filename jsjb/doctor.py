"""``jsjb doctor``: the self-check the office's IT helper runs once on the real PC after installing
(CONTRACT §3). Each check says ok / fail / skipped and, when it fails, how to fix it (Chinese).

This module holds the checks every platform runs (Python, packages, holiday data, fonts) and the
report; the Windows/Excel checks — the add-in file as Excel saved it, trust settings, WPS behind
Excel.Application, the add-in opened in the Excel doctor starts, one button's whole path
(VBA → RunPython → the configured interpreter), the sample ledger's computed columns, every
button's macro — live in :mod:`jsjb.doctor_windows` and are marked skipped on other systems.

API: ``run(progress=None) -> list[Check]`` and ``as_json(checks) -> dict``; the CLI prints them.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import sys
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path

OK, FAIL, SKIPPED = "ok", "fail", "skipped"
PACKAGES = ("jsjb", "pandas", "numpy", "pyarrow", "fastexcel", "XlsxWriter", "orjson", "chinesecalendar",
            "python-docx", "starlette", "jinja2", "uvicorn", "python-multipart")   # when jsjb's metadata is absent
PYTHON_FLOOR = (3, 11)                                                              # likewise (pyproject: requires-python)
NOT_WINDOWS = "仅在 Windows 上检查"


@dataclass
class Check:
    name: str
    status: str               # ok / fail / skipped
    detail: str = ""
    fix: str = ""             # what to do when it fails (Chinese)

    def line(self) -> str:
        mark = {OK: "[通过]", FAIL: "[失败]", SKIPPED: "[跳过]"}[self.status]
        text = f"{mark} {self.name}：{self.detail}"
        return text + (f"\n       处理办法：{self.fix}" if self.status == FAIL and self.fix else "")


def is_windows() -> bool:
    return sys.platform.startswith("win")


# -- Python and packages ---------------------------------------------------------------------------------
def frozen() -> bool:
    """True inside the self-contained folder (make bundle): no pip, no separate Python."""
    return bool(getattr(sys, "frozen", False))


def reinstall_hint() -> str:
    """How to put the program's packages back, naming the interpreter by its full path (nothing
    here depends on PATH)."""
    if frozen():
        return "重新解压独立运行包（其中的文件不要单独删改或移动），然后再运行 jsjb doctor。"
    return (f"在本工具文件夹运行：\"{sys.executable}\" -m pip install .（内网电脑用离线安装包："
            "--no-index --find-links <文件夹> jsjb）")


def python_floor() -> tuple[int, int]:
    """The oldest Python jsjb installs on (its Requires-Python)."""
    try:
        m = re.search(r">=\s*(\d+)\.(\d+)", metadata.metadata("jsjb").get("Requires-Python") or "")
    except metadata.PackageNotFoundError:
        m = None
    return (int(m.group(1)), int(m.group(2))) if m else PYTHON_FLOOR


def check_python() -> Check:
    v = sys.version_info
    where = "独立运行包内置" if frozen() else f"位置：{sys.executable}"
    detail = f"Python {v.major}.{v.minor}.{v.micro}，{where}"
    floor = python_floor()
    if v[:2] < floor:
        return Check("Python", FAIL, detail + f"（需要 {floor[0]}.{floor[1]} 或更高版本）",
                     "安装 Python 3.13（python.org 的 Python 安装管理器：py install 3.13）后重新安装本工具。")
    return Check("Python", OK, detail)


def runtime_packages() -> tuple[str, ...]:
    """jsjb and the distributions it needs at run time on this system: its requirements without the
    extras' (test tools, the opt-in writer), each marker read for this platform (xlwings: Windows)."""
    try:
        requires = metadata.requires("jsjb")
    except metadata.PackageNotFoundError:
        return PACKAGES
    names = ["jsjb"]
    for req in requires or []:
        spec, _, marker = req.partition(";")
        if "extra" in marker:
            continue
        if "sys_platform" in marker and ("win32" in marker) != is_windows():
            continue
        names.append(re.match(r"[A-Za-z0-9._-]+", spec.strip()).group(0))
    return tuple(names)


def xlwings_pin() -> str | None:
    """The exact xlwings version jsjb requires (pyproject: xlwings==X)."""
    try:
        for req in metadata.requires("jsjb") or []:
            m = re.match(r"xlwings\s*==\s*([\w.]+)", req)
            if m:
                return m.group(1)
    except metadata.PackageNotFoundError:
        pass
    return None


def check_packages() -> list[Check]:
    found, missing = [], []
    for name in runtime_packages():
        try:
            found.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            missing.append(name)
    out = [Check("依赖包", FAIL if missing else OK, "；".join(found) + (f"；缺少：{'、'.join(missing)}" if missing else ""),
                 reinstall_hint())]
    pin, have = xlwings_pin(), _version("xlwings")
    if not is_windows():
        out.append(Check("xlwings 版本", SKIPPED, f"{NOT_WINDOWS}（Excel 加载项只在 Windows 上使用 xlwings）"))
    elif pin is None:
        out.append(Check("xlwings 版本", SKIPPED, "jsjb 未以包的形式安装，无法读取要求的版本"))
    elif have != pin:
        out.append(Check("xlwings 版本", FAIL, f"已安装 {have or '无'}，本工具要求 {pin}",
                         f"\"{sys.executable}\" -m pip install xlwings=={pin}，然后重新生成加载项。"))
    else:
        out.append(Check("xlwings 版本", OK, f"{have}（与要求一致）"))
    return out


def _version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


# Opt-in packages that make the jobs faster; without them the same files are written, more slowly
ACCELERATORS = {
    "rvgsrust-xlsxwriter": "可选组件 jsjb[fast-writer]：写整本台账（归档、计算结果）快约 4–5 倍；"
                           "默认用 XlsxWriter，结果相同",
}


def check_accelerators() -> Check:
    """The opt-in speed-ups (installed with their extra; wheels for 64-bit x86 only)."""
    have = {name: _version(name) for name in ACCELERATORS}
    missing = [name for name, v in have.items() if v is None]
    found = "；".join(f"{name} {v}" for name, v in have.items() if v)
    if not missing:
        return Check("加速组件", OK, found)
    detail = "；".join(f"未安装 {name}（{ACCELERATORS[name]}）" for name in missing)
    return Check("加速组件", SKIPPED, "；".join(x for x in (found, detail) if x))


# -- data and fonts ---------------------------------------------------------------------------------
def check_holidays(today: dt.date | None = None) -> list[Check]:
    from jsjb.core.calendar import WorkCalendar
    from jsjb.core.errors import HolidayDataMissing, LedgerError

    today = today or dt.date.today()
    try:
        cal = WorkCalendar()
    except LedgerError as e:
        return [Check("节假日数据", FAIL, str(e), reinstall_hint())]
    out = []
    for year in (today.year, today.year + 1):
        name = f"{year}年节假日安排"
        try:
            cal.count(dt.date(year, 1, 1), dt.date(year, 12, 31))
            out.append(Check(name, OK, "内置数据已收录"))
        except HolidayDataMissing:
            when = "国务院办公厅一般在每年11月公布下一年的安排" if year > today.year else "本年的期限无法计算"
            out.append(Check(name, FAIL, f"内置数据未收录{year}年（{when}）",
                             f"公布后在台账“节假日”表录入{year}年的放假和调休上班日期（可用 jsjb holidays parse 解析通知），"
                             + ("或换用新版独立运行包。" if frozen() else
                                f"或升级 chinesecalendar：\"{sys.executable}\" -m pip install -U chinesecalendar。")))
    return out


def check_fonts() -> list[Check]:
    """The 公文 fonts (names, aliases and how to find them: :mod:`jsjb.io.fonts`) and LibreOffice."""
    from jsjb.io import fonts

    statuses = fonts.check()
    if statuses is None:
        out = [Check("PDF 字体", SKIPPED, "没有 fc-list，无法列出字体")]
    else:
        have = [s.font.label for s in statuses if s.font.required and s.ok]
        missing = [s.font.label for s in fonts.missing(statuses)]
        parts = (["已有：" + "、".join(have)] if have else []) + (["缺少：" + "、".join(missing)] if missing else [])
        fix = ("安装公文字体（仿宋_GB2312、黑体、楷体_GB2312、方正小标宋简体），否则 PDF 中会用其他字体代替。"
               + fonts.install_hint())
        out = [Check("PDF 字体", FAIL if missing else OK, "；".join(parts), fix)]
    office = shutil.which("soffice") or shutil.which("libreoffice")
    if not office and is_windows():
        default = Path(os.environ.get("ProgramFiles", r"C:\Program Files")) / "LibreOffice" / "program" / "soffice.exe"
        office = str(default) if default.exists() else None
    out.append(Check("LibreOffice（生成 PDF）", OK if office else FAIL, office or "未找到 soffice",
                     "只在需要 PDF（--pdf）时安装 LibreOffice；Word 版通报不需要它。"))
    return out


# -- all -----------------------------------------------------------------------------------------------
def run(progress=None) -> list[Check]:
    """Every check, in the order the IT helper fixes things."""
    from jsjb import doctor_windows

    steps = [("Python", lambda: [check_python()]), ("依赖包", check_packages),
             ("加速组件", lambda: [check_accelerators()]),
             *doctor_windows.checks(progress),
             ("节假日", check_holidays), ("字体", check_fonts)]
    from . import doctor_browser  # the browser door (jsjb serve), on every system

    steps += doctor_browser.checks(progress)
    checks: list[Check] = []
    for label, step in steps:
        if progress:
            progress(label)
        try:
            checks += step()
        except Exception as e:  # noqa: BLE001 - a broken check is reported, never a traceback
            checks.append(Check(label, FAIL, f"检查出错：{type(e).__name__}：{e}", "把本输出发给系统管理员。"))
    return checks


def as_json(checks: list[Check]) -> dict:
    return {"ok": all(c.status != FAIL for c in checks), "platform": sys.platform,
            "python": sys.executable, "checks": [asdict(c) for c in checks],
            "failed": [c.name for c in checks if c.status == FAIL]}


def report(checks: list[Check]) -> str:
    """The text the CLI prints."""
    lines = [c.line() for c in checks]
    failed = sum(c.status == FAIL for c in checks)
    lines.append(f"共 {len(checks)} 项：通过 {sum(c.status == OK for c in checks)}，失败 {failed}，"
                 f"跳过 {sum(c.status == SKIPPED for c in checks)}。")
    return "\n".join(lines)
