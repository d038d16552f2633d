"""``jsjb doctor``: the self-check the office's IT helper runs once on the real PC after installing
(CONTRACT §3). Each check says ok / fail / skipped and, when it fails, how to fix it (Chinese).

What only a Windows PC with Excel can prove is proved here, on that PC: that the xlwings DLL the
add-in names sits beside the interpreter, that Excel (not WPS) answers to Excel.Application, that
the add-in's VBA compiled (it answers JsjbAddinInfo with its xlwings version and project name),
that the ledger's six computed columns spill values (not #NAME?), and that every button's macro
runs on a copy of the sample ledger. On other systems those checks are marked skipped.

API: ``run(progress=None) -> list[Check]`` and ``as_json(checks) -> dict``; the CLI prints them.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import sys
import tempfile
import zipfile
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path

OK, FAIL, SKIPPED = "ok", "fail", "skipped"
ADDIN_FILE = "jsjb.xlam"
PROJECT_NAME = "jsjb"
CONF_SHEET = "jsjb.conf"
PACKAGES = ("jsjb", "xlwings", "pandas", "numpy", "pyarrow", "fastexcel", "python-calamine", "openpyxl",
            "XlsxWriter", "chinesecalendar", "python-docx")
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
def check_python() -> Check:
    v = sys.version_info
    detail = f"Python {v.major}.{v.minor}.{v.micro}，位置：{sys.executable}"
    if v < (3, 10):
        return Check("Python", FAIL, detail,
                     "安装 Python 3.13（python.org 的 Python 安装管理器：py install 3.13）后重新安装本工具。")
    return Check("Python", OK, detail)


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
    for name in PACKAGES:
        try:
            found.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            missing.append(name)
    out = [Check("依赖包", FAIL if missing else OK, "；".join(found) + (f"；缺少：{'、'.join(missing)}" if missing else ""),
                 f"在本工具文件夹运行：\"{sys.executable}\" -m pip install .（内网电脑用离线安装包："
                 "--no-index --find-links <文件夹> jsjb）")]
    pin, have = xlwings_pin(), _version("xlwings")
    if pin is None:
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


# Optional packages that make the jobs faster; without them the same files are written, more slowly
ACCELERATORS = {
    "rvgsrust-xlsxwriter": "写工作簿（归档、计算结果、月通报等）快约 4–5 倍；没有时用 XlsxWriter，结果相同",
    "orjson": "--json 输出快约 4 倍；没有时用标准库，输出相同",
}


def check_accelerators() -> Check:
    """The optional speed-ups (their wheels exist for 64-bit x86/Windows; elsewhere the fallbacks run)."""
    have = {name: _version(name) for name in ACCELERATORS}
    missing = [name for name, v in have.items() if v is None]
    found = "；".join(f"{name} {v}" for name, v in have.items() if v)
    if not missing:
        return Check("加速组件", OK, found)
    detail = "；".join(f"未安装 {name}（{ACCELERATORS[name]}）" for name in missing)
    return Check("加速组件", SKIPPED, "；".join(x for x in (found, detail) if x))


def check_xlwings_dll() -> Check:
    """The DLL the add-in's VBA loads: beside the interpreter, or one folder up (a venv)."""
    name = "xlwings"
    if not is_windows():
        return Check("xlwings DLL", SKIPPED, NOT_WINDOWS)
    version = _version("xlwings") or "?"
    dll = f"xlwings{64 if sys.maxsize > 2**32 else 32}-{version}.dll"
    exe = Path(sys.executable)
    places = [exe.parent, exe.parent.parent, Path(sys.prefix)]
    for place in places:
        if (place / dll).exists():
            return Check(f"{name} DLL", OK, str(place / dll))
    return Check(f"{name} DLL", FAIL, f"在 {'、'.join(map(str, places))} 中找不到 {dll}",
                 f"\"{sys.executable}\" -m pip install --force-reinstall xlwings=={version}")


# -- the add-in file ---------------------------------------------------------------------------------
def addins_folder() -> Path:
    return Path(os.environ.get("APPDATA", "~")).expanduser() / "Microsoft" / "AddIns"


def addin_info(path: Path) -> dict:
    """What the add-in package says without Excel: the xlwings version it was built for
    (document keywords) and its jsjb.conf settings."""
    info: dict = {"xlwings": None, "conf": {}}
    with zipfile.ZipFile(path) as z:
        core = z.read("docProps/core.xml").decode("utf-8") if "docProps/core.xml" in z.namelist() else ""
        m = re.search(r"xlwings=([\w.]+)", core)
        info["xlwings"] = m.group(1) if m else None
        wb = z.read("xl/workbook.xml").decode("utf-8")
        sheet = re.search(rf'<sheet\b[^>]*name="{re.escape(CONF_SHEET)}"[^>]*r:id="([^"]+)"', wb)
        if sheet:
            rels = z.read("xl/_rels/workbook.xml.rels").decode("utf-8")
            target = re.search(rf'Id="{sheet.group(1)}"[^>]*Target="([^"]+)"', rels) or \
                re.search(rf'Target="([^"]+)"[^>]*Id="{sheet.group(1)}"', rels)
            part = "xl/" + target.group(1) if target else None
            if part and part in z.namelist():
                xml = z.read(part).decode("utf-8")
                cells = re.findall(r'<c r="([A-Z]+)(\d+)"[^>]*>(?:<is>)?<t[^>]*>([^<]*)</t>', xml)
                rows: dict[str, dict[str, str]] = {}
                for col, row, text in cells:
                    rows.setdefault(row, {})[col] = text
                info["conf"] = {r.get("A"): r.get("B", "") for r in rows.values() if r.get("A")}
    return info


def check_addin_file() -> list[Check]:
    if not is_windows():
        return [Check("加载项文件", SKIPPED, NOT_WINDOWS)]
    path = addins_folder() / ADDIN_FILE
    if not path.exists():
        return [Check("加载项文件", FAIL, f"{path} 不存在",
                      "在本工具文件夹运行：python scripts\\build_addin.py --install（见 docs/安装说明.md 第四步）。")]
    out = [Check("加载项文件", OK, str(path))]
    try:
        info = addin_info(path)
    except (OSError, KeyError, zipfile.BadZipFile) as e:
        return out + [Check("加载项内容", FAIL, f"无法读取：{e}", "重新生成加载项：python scripts\\build_addin.py --install")]
    have = _version("xlwings")
    if info["xlwings"] != have:
        out.append(Check("加载项与 xlwings 版本", FAIL, f"加载项为 xlwings {info['xlwings'] or '未知'} 生成，"
                         f"已安装 xlwings {have}", "重新生成加载项：python scripts\\build_addin.py --install"))
    else:
        out.append(Check("加载项与 xlwings 版本", OK, f"均为 {have}"))
    conf = info["conf"]
    interp = os.path.expandvars(conf.get("Interpreter_Win", ""))
    if conf.get("UDF Modules") != "xlfuncs":
        out.append(Check("加载项设置", FAIL, f"{CONF_SHEET} 中 UDF Modules 为“{conf.get('UDF Modules', '')}”",
                         "重新生成加载项：python scripts\\build_addin.py --install"))
    elif not interp or not Path(interp).exists():
        out.append(Check("加载项设置", FAIL, f"Interpreter_Win“{conf.get('Interpreter_Win', '')}”不存在",
                         "用安装了本工具的 Python 重新生成加载项：<该 Python> scripts\\build_addin.py --install"))
    else:
        out.append(Check("加载项设置", OK, f"UDF Modules = xlfuncs；Interpreter_Win = {interp}"))
    return out


# -- Excel ---------------------------------------------------------------------------------------------
def excel_server() -> str | None:
    """The program registered for Excel.Application (HKCR\\CLSID\\{…}\\LocalServer32)."""
    import winreg

    with winreg.OpenKey(winreg.HKEY_CLASSES_ROOT, r"Excel.Application\CLSID") as key:
        clsid = winreg.QueryValue(key, None)
    with winreg.OpenKey(winreg.HKEY_CLASSES_ROOT, rf"CLSID\{clsid}\LocalServer32") as key:
        return winreg.QueryValue(key, None)


def check_excel_registration() -> Check:
    if not is_windows():
        return Check("Excel 的 COM 注册", SKIPPED, NOT_WINDOWS)
    try:
        server = excel_server()
    except OSError:
        return Check("Excel 的 COM 注册", FAIL, "找不到 Excel.Application 的注册",
                     "安装或修复 Microsoft 365 / Excel（设置→应用→Microsoft 365→修改→快速修复）。")
    if re.search(r"wps|kingsoft|\bet\.exe", server or "", re.I):
        return Check("Excel 的 COM 注册", FAIL, f"Excel.Application 指向 WPS：{server}",
                     "WPS 接管了 Excel 的注册（xlwings #2575）：在 WPS“配置工具→高级→兼容设置”中取消"
                     "“WPS Office 兼容第三方系统和软件”，然后修复 Office（快速修复）。")
    if "excel.exe" not in (server or "").lower():
        return Check("Excel 的 COM 注册", FAIL, f"Excel.Application 指向 {server}", "修复 Microsoft 365 / Excel（快速修复）。")
    return Check("Excel 的 COM 注册", OK, server)


def _sample_ledger(folder: Path) -> Path:
    from jsjb import jobs
    from jsjb.core import clock

    path = folder / "自检台账.xlsx"
    jobs.sample(path, rows=200, year=clock.now().year - 1, seed=7, force=True)
    return path


BUTTON_CALLS = {   # button → (macro function, keyword arguments for a non-interactive run)
    "刷新": ("refresh", {}), "日调度": ("dispatch", {}), "月通报": ("bulletin", {"month": "{last_month}"}),
    "年度考核": ("assess", {"year": "{last_year}"}), "归档": ("archive", {}),
    "发送通报": ("send_bulletin", {"month": "{last_month}", "dry_run": True}),
}


def check_excel(progress=None) -> list[Check]:
    """Start Excel, ask the add-in, open a copy of the sample ledger, read its computed columns,
    run every button's macro on it (alerts collected instead of shown)."""
    if not is_windows():
        return [Check(name, SKIPPED, NOT_WINDOWS) for name in
                ("Excel 启动", "加载项已加载", "台账计算列", *(f"按钮“{b}”" for b in BUTTON_CALLS))]
    import xlwings as xw

    out: list[Check] = []
    try:
        app = xw.App(visible=False, add_book=False)
    except Exception as e:  # noqa: BLE001 - any COM failure is a finding
        return [Check("Excel 启动", FAIL, f"{type(e).__name__}：{e}",
                      "Defender 的“阻止 Office 应用程序创建子进程”规则会拦截 xlwings（xlwings #2433）：请信息"
                      "部门为 Excel 调用 Python 设置排除项；或检查 Excel 能否正常打开。")]
    alerts: list[str] = []
    original_alert = xw.App.alert
    xw.App.alert = lambda self, prompt, *a, **k: alerts.append(str(prompt))
    try:
        app.display_alerts = False
        out.append(Check("Excel 启动", OK, f"Excel {app.version}"))
        out.append(_check_addin_loaded(app))
        with tempfile.TemporaryDirectory() as tmp:
            if progress:
                progress("生成自检台账")
            book = app.books.open(str(_sample_ledger(Path(tmp))))
            app.calculate()
            out.append(_check_columns(book))
            out += _check_buttons(book, Path(tmp), alerts, progress)
            book.close()
    except Exception as e:  # noqa: BLE001
        out.append(Check("Excel 自检", FAIL, f"{type(e).__name__}：{e}", "把本输出发给系统管理员。"))
    finally:
        xw.App.alert = original_alert
        app.quit()
    return out


def _check_addin_loaded(app) -> Check:
    name = "加载项已加载"
    try:
        installed = [a for a in app.api.AddIns if str(a.Name).lower() == ADDIN_FILE and a.Installed]
    except Exception:  # noqa: BLE001
        installed = []
    if not installed:
        return Check(name, FAIL, f"Excel 的加载项列表中没有勾选 {ADDIN_FILE}",
                     "Excel“文件→选项→加载项→管理 Excel 加载项→转到”，勾选“接诉即办”（或“jsjb”）。")
    try:
        info = str(app.api.Run(f"'{ADDIN_FILE}'!JsjbAddinInfo"))
    except Exception as e:  # noqa: BLE001 - VBA not compiled, macros disabled, file blocked …
        return Check(name, FAIL, f"加载项的宏无法运行：{e}",
                     "右键 jsjb.xlam→属性→勾选“解除锁定”；信任中心→受信任位置中加入 %APPDATA%\\Microsoft\\AddIns；"
                     "或重新生成加载项。")
    want = f"{_version('xlwings')}|{PROJECT_NAME}"
    if info != want:
        return Check(name, FAIL, f"加载项报告“{info}”，应为“{want}”", "重新生成加载项：python scripts\\build_addin.py --install")
    return Check(name, OK, f"VBA 已编译，xlwings {info.split('|')[0]}，项目名 {PROJECT_NAME}")


def _check_columns(book) -> Check:
    from jsjb.core import schema as S

    name = "台账计算列"
    sheet = book.sheets[S.SHEET_TICKETS]
    header = sheet.range((1, 1)).expand("right").value
    bad = []
    for col in S.COMPUTED_COLUMNS:
        if col not in header:
            bad.append(f"{col}（无此列）")
            continue
        values = sheet.range((2, header.index(col) + 1), (6, header.index(col) + 1)).options(err_to_str=True).value
        if any(isinstance(v, str) and v.startswith("#") and not v.startswith("#错误") for v in values):
            bad.append(f"{col}（{next(v for v in values if isinstance(v, str) and v.startswith('#'))}）")
        elif all(v in (None, "") for v in values):
            bad.append(f"{col}（无值）")
    if bad:
        return Check(name, FAIL, "、".join(bad),
                     "#NAME? 表示单元格函数未加载：确认加载项已勾选，然后点“刷新”重新输入公式；仍不行请重新生成加载项。")
    return Check(name, OK, f"{len(S.COMPUTED_COLUMNS)} 列均有数值")


def _check_buttons(book, folder: Path, alerts: list[str], progress=None) -> list[Check]:
    import macros

    today = dt.date.today()
    first = today.replace(day=1) - dt.timedelta(days=1)
    values = {"{last_month}": f"{first:%Y-%m}", "{last_year}": str(today.year - 1)}
    out = []
    for label, (func, kwargs) in BUTTON_CALLS.items():
        if progress:
            progress(f"按钮“{label}”")
        kwargs = {k: values.get(v, v) if isinstance(v, str) else v for k, v in kwargs.items()}
        if func != "refresh":
            kwargs["out"] = folder / "jsjb输出"
        del alerts[:]
        try:
            result = getattr(macros, func)(book=book, **kwargs)
        except Exception as e:  # noqa: BLE001
            out.append(Check(f"按钮“{label}”", FAIL, f"{type(e).__name__}：{e}", "把本输出发给系统管理员。"))
            continue
        said = "；".join(a.replace("\n", " ")[:120] for a in alerts)
        if result is None and func != "send_bulletin":
            out.append(Check(f"按钮“{label}”", FAIL, said or "没有结果", "按提示处理；仍不行请把本输出发给系统管理员。"))
        else:
            out.append(Check(f"按钮“{label}”", OK, said or "已完成"))
    return out


# -- data and fonts ---------------------------------------------------------------------------------
def check_holidays(today: dt.date | None = None) -> list[Check]:
    from jsjb.core.calendar import WorkCalendar
    from jsjb.core.errors import HolidayDataMissing, LedgerError

    today = today or dt.date.today()
    try:
        cal = WorkCalendar()
    except LedgerError as e:
        return [Check("节假日数据", FAIL, str(e), "重新安装本工具（含 chinesecalendar）。")]
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
                             "或升级 chinesecalendar：python -m pip install -U chinesecalendar。"))
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
    steps = [("Python", lambda: [check_python()]), ("依赖包", check_packages),
             ("加速组件", lambda: [check_accelerators()]),
             ("xlwings DLL", lambda: [check_xlwings_dll()]), ("加载项文件", check_addin_file),
             ("Excel 注册", lambda: [check_excel_registration()]), ("Excel", lambda: check_excel(progress)),
             ("节假日", check_holidays), ("字体", check_fonts)]
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
