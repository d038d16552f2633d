"""The Windows/Excel half of ``jsjb doctor`` (CONTRACT §4): what only a Windows PC with Excel can
prove, proved on that PC, each failure with the exact fix (Chinese).

- **The add-in as Excel saved it.** ``%APPDATA%\\Microsoft\\AddIns\\jsjb.xlam`` is read with a real
  xlsx reader (python-calamine: shared *and* inline strings, booleans); its ``jsjb.conf`` sheet is
  read the way the add-in's VBA reads it (GetConfigFromSheet: column A from A1 down to the first
  blank, keys upper-cased, ``%VAR%`` expanded).
- **Trust.** The file's mark of the web (Zone.Identifier) and the Trust Center's macro settings and
  trusted locations in the registry.
- **Excel through COM.** A new hidden Excel (never the clerk's own), which loads no installed add-in
  (xlwings #696, #853, #2582): the add-in is opened with ``Workbooks.Open`` of its AddIns path,
  asked ``JsjbAddinInfo`` (VBA compiled, xlwings version, project name), then one button's whole
  path runs — ``Application.Run`` of the add-in's VBA function ``JsjbSelfTest``, which calls
  RunPython exactly as a ribbon button does; the Python end (``macros.self_test``) writes a report
  that is compared with this installation (interpreter, versions, the calling workbook, warm
  process). Then the sample ledger's computed columns are read, and every button's macro runs on it.
  A watchdog ends that Excel (by its process id) if it stops answering — a dialog nobody can see.
- Registry (``Excel.Application`` → WPS?), Excel's AddIns list, the xlwings DLL beside the
  interpreter.

The COM objects are reached only through :func:`start_excel`, :func:`wrap_book` and
:func:`excel_pid`, and the registry through :func:`excel_server` and :func:`trust_settings`, so
tests replace them with a small fake (tests/fake_excel.py) and run every check on Linux.
"""

from __future__ import annotations

import datetime as dt
import json
import ntpath
import os
import re
import sys
import tempfile
import threading
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from jsjb.doctor import FAIL, NOT_WINDOWS, OK, SKIPPED, Check, _version

ADDIN_FILE = "jsjb.xlam"
PROJECT_NAME = "jsjb"
CONF_SHEET = PROJECT_NAME + ".conf"
UDF_MODULE = "xlfuncs"
SELF_TEST_REPORT = "按钮自检.json"
TIMEOUT_SECONDS = 600          # the whole Excel session; xlwings waits about a minute for a Python that never answers
EXCEL_ERRORS = {-2146826281: "#DIV/0!", -2146826246: "#N/A", -2146826259: "#NAME?", -2146826288: "#NULL!",
                -2146826252: "#NUM!", -2146826265: "#REF!", -2146826273: "#VALUE!", -2146826245: "#GETTING_DATA",
                -2146826191: "#SPILL!", -2146826190: "#CONNECT!", -2146826189: "#BLOCKED!", -2146826187: "#CALC!"}


def is_windows() -> bool:
    return sys.platform.startswith("win")


# -- the fixes, once each -------------------------------------------------------------------------
def python_here() -> str:
    return f'"{sys.executable}"'


def fix_rebuild() -> str:
    return (f"重新生成并安装加载项：在本工具文件夹运行 {python_here()} scripts\\build_addin.py --install"
            "（安装说明第三、四步）。")


FIX_ASR = ("Defender 的攻击面减少（ASR）规则“阻止所有 Office 应用程序创建子进程”（d4f940ab-401b-4efc-aadc-"
           "ad5f3c50688a）拦截了 Excel 启动 cmd.exe——xlwings 经 cmd.exe 启动 Python（xlwings #1420、#2433），"
           "拦截记录中“受影响的项目”是 C:\\Windows\\System32\\cmd.exe，不是 python.exe。请信息部门为这台电脑处理该"
           "规则（为 cmd.exe 设置该规则的排除项，或改为“审核”模式）；不能放开时，这台电脑请改用浏览器界面 jsjb serve。")
FIX_WPS = ("WPS 接管了 Excel 的 COM 注册（xlwings #2575）：在 WPS“配置工具→高级→兼容设置”中取消“WPS Office 兼容"
           "第三方系统和软件”，然后修复 Office（设置→应用→Microsoft 365→修改→快速修复）。只有 WPS 的电脑请用浏览器"
           "界面 jsjb serve。")
FIX_TICK = ("在 Excel“文件→选项→加载项→管理：Excel 加载项→转到”中勾选“接诉即办”（或“jsjb”）；列表中没有时点“浏览”"
            "选择 %APPDATA%\\Microsoft\\AddIns\\jsjb.xlam。")
FIX_TRUST = ("右键 %APPDATA%\\Microsoft\\AddIns\\jsjb.xlam→属性→常规→勾选“解除锁定”（或 PowerShell："
             "Unblock-File \"$env:APPDATA\\Microsoft\\AddIns\\jsjb.xlam\"）；并在 Excel“文件→选项→信任中心→信任中心"
             "设置→受信任位置”中添加 %APPDATA%\\Microsoft\\AddIns\\。单位策略管理这些设置时请信息部门添加。")
FIX_SEND = "把本输出（jsjb doctor --json）发给系统管理员。"


def fix_interpreter(configured: str | None) -> str:
    return (f"加载项设置 jsjb.conf 的 Interpreter_Win（{configured or '未设置'}）应是安装了本工具的 Python。用本工具的 "
            f"Python 重新生成加载项：{python_here()} scripts\\build_addin.py --install。")


def fix_module(configured: str | None) -> str:
    python = str(Path(configured).with_name("python.exe")) if configured else sys.executable
    return (f"加载项所用的 Python（{configured or '未设置'}）中没有安装本工具或其依赖：运行 \"{python}\" -m pip install "
            "\"<工具文件夹>\"（内网电脑用离线安装包：--no-index --find-links <文件夹> jsjb）；若那不是本工具的 Python，"
            f"请改用本工具的 Python 重新生成加载项：{python_here()} scripts\\build_addin.py --install。")


def diagnose(text: str, configured: str | None = None) -> tuple[str, str]:
    """(what went wrong, the fix) for what RunPython, the UDF server or Python reported — an error
    number and xlwings' English text, a Python traceback, or a cell's error text."""
    t = text or ""
    low = t.lower()
    if re.match(r"error\|70\|", t) or "access is denied" in low or "拒绝访问" in t or "permission denied" in low:
        return "Windows 拒绝 Excel 启动 cmd.exe（攻击面减少规则）", FIX_ASR
    if "could not load" in low and ".dll" in low or "could not find interpreter" in low:
        return "找不到加载项设置中的 Python，或它旁边没有 xlwings 的 DLL", fix_interpreter(configured)
    if "no module named" in low or "modulenotfounderror" in low or "importerror" in low \
            or "exited before it was possible" in low or "pywin32" in low:
        m = re.search(r"No module named '([\w.]+)'", t)
        what = f"缺少模块 {m.group(1)}" if m else "Python 启动后未能载入本工具"
        return f"加载项所用的 Python {what}", fix_module(configured)
    if "could not activate python com server" in low:
        return ("Python 已启动，但常驻进程未能与 Excel 连接", "若 Excel 是从 Microsoft Store 安装的，请改装 Microsoft 365 "
                "桌面版（xlwings #1166）；否则 " + fix_module(configured))
    if "cannot run the macro" in low or "无法运行宏" in t or "may not be available" in low:
        return "加载项中没有这个宏（按钮模块 JsjbRibbon 缺失或加载项过旧），或宏被禁用", fix_rebuild() + "若仍失败：" + FIX_TRUST
    return f"未能运行：{t[:300]}", FIX_SEND


# -- reading the add-in file -------------------------------------------------------------------------
def addins_folder() -> Path:
    return Path(os.environ.get("APPDATA", "~")).expanduser() / "Microsoft" / "AddIns"


def expand(value: str) -> str:
    """``%VAR%`` expanded as the add-in's VBA does (WScript ExpandEnvironmentStrings); unknown names stay."""
    return re.sub(r"%([^%]+)%", lambda m: os.environ.get(m.group(1), m.group(0)), value)


def _cell_text(v) -> str:
    if isinstance(v, bool):
        return "True" if v else "False"            # VBA's CStr of a Boolean cell
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return "" if v is None else str(v)


def read_conf(rows: list[list]) -> dict[str, str]:
    """A settings sheet as the add-in's VBA reads it (GetConfigFromSheet): column A from A1 down to
    the first blank cell, keys upper-cased, values as text with %VAR% left for :func:`expand`."""
    conf: dict[str, str] = {}
    for row in rows:
        key = _cell_text(row[0] if row else None)
        if not key:
            break
        conf.setdefault(key.upper(), _cell_text(row[1] if len(row) > 1 else None))
    return conf


def addin_info(path: Path) -> dict:
    """What the add-in package says without Excel: the xlwings version it was built for (document
    keywords) and its ``jsjb.conf`` settings, read as Excel saved them (shared or inline strings)."""
    import xml.etree.ElementTree as ET

    from python_calamine import CalamineWorkbook

    info: dict = {"xlwings": None, "conf": {}, "sheets": []}
    with zipfile.ZipFile(path) as z:
        if "docProps/core.xml" in z.namelist():
            root = ET.fromstring(z.read("docProps/core.xml"))
            keywords = " ".join(el.text or "" for el in root.iter() if el.tag.endswith("}keywords"))
            m = re.search(r"xlwings=([\w.]+)", keywords)
            info["xlwings"] = m.group(1) if m else None
    book = CalamineWorkbook.from_path(str(path))
    info["sheets"] = list(book.sheet_names)
    if CONF_SHEET in info["sheets"]:
        info["conf"] = read_conf(book.get_sheet_by_name(CONF_SHEET).to_python(skip_empty_area=False))
    return info


def check_xlwings_dll(executable: str | None = None, prefix: str | None = None) -> Check:
    """The DLL the add-in's VBA loads: beside the interpreter, or one folder up (a venv)."""
    if not is_windows():
        return Check("xlwings DLL", SKIPPED, NOT_WINDOWS)
    version = _version("xlwings") or "?"
    dll = f"xlwings{64 if sys.maxsize > 2**32 else 32}-{version}.dll"
    exe = Path(executable or sys.executable)
    places = list(dict.fromkeys([exe.parent, exe.parent.parent, Path(prefix or sys.prefix)]))
    for place in places:
        if (place / dll).exists():
            return Check("xlwings DLL", OK, str(place / dll))
    return Check("xlwings DLL", FAIL, f"在 {'、'.join(map(str, places))} 中找不到 {dll}",
                 f"重新安装 xlwings（它的安装包带有这个 DLL）：\"{exe}\" -m pip install --force-reinstall xlwings=={version}")


def check_addin_file(path: Path | None = None) -> tuple[list[Check], dict]:
    """The installed add-in's file: present, built for this xlwings, its settings right. Returns the
    checks and what was read (the settings the Excel checks compare with)."""
    path = path or addins_folder() / ADDIN_FILE
    if not path.exists():
        return [Check("加载项文件", FAIL, f"{path} 不存在", fix_rebuild())], {}
    out = [Check("加载项文件", OK, str(path))]
    try:
        info = addin_info(path)
    except Exception as e:  # noqa: BLE001 - zip, XML or calamine errors: the file is damaged
        return out + [Check("加载项内容", FAIL, f"无法读取：{type(e).__name__}：{e}", fix_rebuild())], {}
    have = _version("xlwings")
    if info["xlwings"] != have:
        out.append(Check("加载项与 xlwings 版本", FAIL, f"加载项为 xlwings {info['xlwings'] or '未知'} 生成，"
                         f"已安装 xlwings {have}", fix_rebuild()))
    else:
        out.append(Check("加载项与 xlwings 版本", OK, f"均为 {have}"))
    conf = info["conf"]
    configured = conf.get("INTERPRETER_WIN", "")
    interp = expand(configured)
    info["interpreter"] = interp or None
    if CONF_SHEET not in info["sheets"]:
        out.append(Check("加载项设置", FAIL, f"加载项中没有“{CONF_SHEET}”表（工作表：{'、'.join(info['sheets']) or '无'}）",
                         fix_rebuild()))
    elif conf.get("UDF MODULES") != UDF_MODULE:
        out.append(Check("加载项设置", FAIL, f"{CONF_SHEET} 中 UDF Modules 为“{conf.get('UDF MODULES', '')}”，应为 {UDF_MODULE}",
                         fix_rebuild()))
    elif not interp or not Path(interp).exists():
        out.append(Check("加载项设置", FAIL, f"Interpreter_Win“{configured}”不存在", fix_interpreter(configured)))
    elif conf.get("USE UDF SERVER", "").lower() != "true":
        out.append(Check("加载项设置", FAIL, f"Use UDF Server 为“{conf.get('USE UDF SERVER', '')}”：每次点按钮都要新启动 "
                         "Python（约 1–2 秒以上）", fix_rebuild()))
    else:
        out.append(Check("加载项设置", OK, f"UDF Modules = {UDF_MODULE}；Interpreter_Win = {interp}；Use UDF Server = True"))
    return out, info


# -- trust -------------------------------------------------------------------------------------------
def zone_of(path: Path) -> int | None:
    """The file's mark of the web (NTFS stream Zone.Identifier): 3 = Internet, 4 = restricted."""
    try:
        text = Path(str(path) + ":Zone.Identifier").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    m = re.search(r"ZoneId\s*=\s*(\d+)", text)
    return int(m.group(1)) if m else None


SECURITY_KEYS = (r"Software\Policies\Microsoft\Office\16.0\Excel\Security",      # policy wins …
                 r"Software\Microsoft\Office\16.0\Excel\Security")                # … over the user's choice


def trust_settings() -> dict:
    """Excel's Trust Center as the registry holds it: VBAWarnings (1 all enabled, 2 disabled with
    notification = default, 3 only signed, 4 all disabled), RequireAddinSig, the policy that blocks
    macros from the internet, and the trusted locations ([(path, subfolders)], unless disabled)."""
    import winreg

    found: dict = {"VBAWarnings": None, "RequireAddinSig": None, "blockcontentexecutionfrominternet": None,
                   "locations": [], "locations_disabled": False}
    for hive in (winreg.HKEY_CURRENT_USER, winreg.HKEY_LOCAL_MACHINE):
        for key_path in SECURITY_KEYS:
            try:
                key = winreg.OpenKey(hive, key_path)
            except OSError:
                continue
            with key:
                for name in ("VBAWarnings", "RequireAddinSig", "blockcontentexecutionfrominternet"):
                    if found[name] is None:
                        try:
                            found[name] = int(winreg.QueryValueEx(key, name)[0])
                        except (OSError, ValueError):
                            pass
                try:
                    locations = winreg.OpenKey(key, "Trusted Locations")
                except OSError:
                    continue
                with locations:
                    try:
                        found["locations_disabled"] |= bool(winreg.QueryValueEx(locations, "AllLocationsDisabled")[0])
                    except OSError:
                        pass
                    i = 0
                    while True:
                        try:
                            sub = winreg.EnumKey(locations, i)
                        except OSError:
                            break
                        i += 1
                        with winreg.OpenKey(locations, sub) as loc:
                            try:
                                where = expand(str(winreg.QueryValueEx(loc, "Path")[0]))
                            except OSError:
                                continue
                            try:
                                subfolders = bool(winreg.QueryValueEx(loc, "AllowSubfolders")[0])
                            except OSError:
                                subfolders = False
                            found["locations"].append((where, subfolders))
    return found


def trusted_location(path, settings: dict) -> str | None:
    """The trusted location that covers ``path``'s folder, if any (Windows path rules, ntpath)."""
    if settings.get("locations_disabled"):
        return None
    folder = ntpath.normcase(ntpath.normpath(ntpath.dirname(str(path))))
    for where, subfolders in settings.get("locations", []):
        base = ntpath.normcase(ntpath.normpath(where)).rstrip("\\")
        if folder == base or subfolders and folder.startswith(base + "\\"):
            return where
    return None


def judge_trust(path, zone: int | None, settings: dict) -> Check:
    name = "宏的信任设置"
    where = trusted_location(path, settings)
    if settings.get("RequireAddinSig"):
        return Check(name, FAIL, "信任中心要求加载项由受信任的发布者签名（受信任位置也不例外），本加载项未签名",
                     "请信息部门在信任中心（或组策略）中取消“要求应用程序加载项由受信任的发布者签名”。")
    if where:
        return Check(name, OK, f"加载项位于受信任位置 {where}")
    if zone is not None and zone >= 3:
        return Check(name, FAIL, "加载项文件带有“来自网络”的标记（下载或邮件附件），Excel 会阻止其中的宏", FIX_TRUST)
    level = settings.get("VBAWarnings")
    if level in (3, 4):
        what = {3: "只允许数字签名的宏", 4: "禁用所有宏且不通知"}[level]
        return Check(name, FAIL, f"宏设置为“{what}”，而加载项不在受信任位置", FIX_TRUST)
    what = {1: "启用所有宏", 2: "禁用并通知（默认）", None: "未更改（默认：禁用并通知）"}.get(level, str(level))
    return Check(name, OK, f"宏设置：{what}；加载项不在受信任位置，也没有“来自网络”的标记")


def check_trust(path: Path | None = None) -> Check:
    path = path or addins_folder() / ADDIN_FILE
    try:
        settings = trust_settings()
    except OSError as e:
        return Check("宏的信任设置", FAIL, f"无法读取信任中心设置：{e}", FIX_SEND)
    return judge_trust(path, zone_of(path), settings)


# -- registration --------------------------------------------------------------------------------------
def excel_server() -> str | None:
    """The program registered for Excel.Application (HKCR\\CLSID\\{…}\\LocalServer32)."""
    import winreg

    with winreg.OpenKey(winreg.HKEY_CLASSES_ROOT, r"Excel.Application\CLSID") as key:
        clsid = winreg.QueryValue(key, None)
    with winreg.OpenKey(winreg.HKEY_CLASSES_ROOT, rf"CLSID\{clsid}\LocalServer32") as key:
        return winreg.QueryValue(key, None)


def is_wps(text: str | None) -> bool:
    return bool(re.search(r"wps|kingsoft|金山|\bet\.exe|office6", text or "", re.I))


def check_excel_registration() -> Check:
    if not is_windows():
        return Check("Excel 的 COM 注册", SKIPPED, NOT_WINDOWS)
    try:
        server = excel_server()
    except OSError:
        return Check("Excel 的 COM 注册", FAIL, "找不到 Excel.Application 的注册",
                     "安装或修复 Microsoft 365 / Excel（设置→应用→Microsoft 365→修改→快速修复）。")
    if is_wps(server):
        return Check("Excel 的 COM 注册", FAIL, f"Excel.Application 指向 WPS：{server}", FIX_WPS)
    if "excel.exe" not in (server or "").lower():
        return Check("Excel 的 COM 注册", FAIL, f"Excel.Application 指向 {server}", "修复 Microsoft 365 / Excel（快速修复）。")
    return Check("Excel 的 COM 注册", OK, server)


# -- Excel through COM -------------------------------------------------------------------------------------
def start_excel():
    """A new, hidden Excel through COM — never the clerk's running one (DispatchEx)."""
    import win32com.client

    return win32com.client.DispatchEx("Excel.Application")


def excel_pid(app) -> int | None:
    """The process id of the Excel ``app`` (for the watchdog)."""
    import win32process

    return win32process.GetWindowThreadProcessId(int(app.Hwnd))[1]


def wrap_book(com_book):
    """An xlwings Book over a workbook COM object (the buttons' macros take one)."""
    import xlwings as xw
    import xlwings._xlwindows as xlwindows

    return xw.Book(impl=xlwindows.Book(com_book))


def end_process(pid: int) -> None:
    import signal

    os.kill(pid, signal.SIGTERM)       # TerminateProcess on Windows


class Watchdog:
    """Ends the Excel this doctor started (by its process id) when the session takes longer than
    ``seconds``: a hidden Excel that waits on a dialog (a VBA compile error, a security notice)
    would otherwise keep doctor waiting forever. ``fired`` says whether it did."""

    def __init__(self, seconds: float, pid: int | None, kill=None):
        self.seconds, self.pid, self.fired = seconds, pid, False
        self._kill = kill or end_process
        self._timer = threading.Timer(seconds, self._fire)
        self._timer.daemon = True

    def _fire(self) -> None:
        if self.pid:
            self.fired = True
            try:
                self._kill(self.pid)
            except OSError:
                pass

    def __enter__(self):
        self._timer.start()
        return self

    def __exit__(self, *exc):
        self._timer.cancel()
        return False


EXCEL_CHECKS = ("Excel 启动", "加载项已勾选", "加载项已加载", "按钮通路（VBA → RunPython → Python）", "台账计算列")


class ExcelHung(Exception):
    """The watchdog ended Excel while a check waited on it."""


@dataclass
class Session:
    """What one doctor run learnt inside Excel, handed from check to check."""
    app: object
    folder: Path
    addin: dict = field(default_factory=dict)           # addin_info() of the installed file (+ "interpreter")
    addin_path: Path | None = None
    ledger_path: Path | None = None
    book: object = None                                  # the sample ledger's workbook (COM)
    report: dict | None = None                           # what macros.self_test wrote
    watchdog: Watchdog | None = None

    def alive(self) -> None:
        """Raise ExcelHung when a COM failure was the watchdog ending Excel, not a finding."""
        if self.watchdog is not None and self.watchdog.fired:
            raise ExcelHung()


def sample_ledger(folder: Path) -> Path:
    from jsjb import jobs
    from jsjb.core import clock

    path = folder / "自检台账.xlsx"
    jobs.sample(path, rows=200, year=clock.now().year - 1, seed=7, force=True)
    return path


def check_identity(app) -> Check:
    name, path, version = (str(getattr(app, attr, "") or "") for attr in ("Name", "Path", "Version"))
    if is_wps(name) or is_wps(path) or (name and name != "Microsoft Excel"):
        return Check("Excel 启动", FAIL, f"Excel.Application 启动的是“{name}”（{path}），不是 Microsoft Excel", FIX_WPS)
    return Check("Excel 启动", OK, f"Microsoft Excel {version}（{path}）")


def check_addin_ticked(app) -> tuple[Check, Path | None]:
    """Is jsjb.xlam ticked in Excel's add-in list (so the clerk's Excel loads it)? Returns the path
    the list holds for it, if any."""
    name = "加载项已勾选"
    try:
        entries = [a for a in app.AddIns if str(a.Name).lower() == ADDIN_FILE]
    except Exception as e:  # noqa: BLE001 - COM
        return Check(name, FAIL, f"无法读取 Excel 的加载项列表：{e}", FIX_TICK), None
    if not entries:
        return Check(name, FAIL, f"Excel 的加载项列表中没有 {ADDIN_FILE}", FIX_TICK), None
    entry = entries[0]
    path = Path(str(entry.FullName))
    if not path.exists():
        return Check(name, FAIL, f"加载项列表中的 {path} 已不存在", fix_rebuild()), None
    if not entry.Installed:
        return Check(name, FAIL, f"{path} 在加载项列表中但没有勾选", FIX_TICK), path
    return Check(name, OK, f"{path}（已勾选，Excel 启动时载入）"), path


def open_addin(session: Session, listed: Path | None) -> Check:
    """Open the installed add-in in this COM-started Excel (which loads no add-in by itself) and ask
    it JsjbAddinInfo: its VBA compiled, its xlwings version and project name."""
    name = "加载项已加载"
    app = session.app
    path = session.addin_path or listed or addins_folder() / ADDIN_FILE
    try:
        app.Workbooks.Open(str(path))
    except Exception as e:  # noqa: BLE001 - COM: missing, damaged or blocked file
        session.alive()
        return Check(name, FAIL, f"Excel 无法打开 {path}：{e}", fix_rebuild() + FIX_TRUST)
    try:
        info = str(app.Run(f"'{ADDIN_FILE}'!JsjbAddinInfo"))
    except Exception as e:  # noqa: BLE001 - VBA not compiled, module missing, macros disabled …
        session.alive()
        what, fix = diagnose(str(e), session.addin.get("interpreter"))
        return Check(name, FAIL, f"已打开 {path}，但它的宏无法运行：{what}（{e}）", fix)
    want = f"{_version('xlwings')}|{PROJECT_NAME}"
    if info != want:
        return Check(name, FAIL, f"加载项报告“{info}”，应为“{want}”", fix_rebuild())
    return Check(name, OK, f"已在 Excel 中打开 {path}：VBA 已编译，xlwings {info.split('|')[0]}，项目名 {PROJECT_NAME}")


def open_sample(session: Session) -> None:
    """The sample ledger, opened and made the active workbook (RunPython works on ActiveWorkbook),
    with a ``jsjb.conf`` sheet that sets only SHOW_ERROR_POPUPS = False: xlwings then writes a
    Python error to the ledger's Error sheet instead of a pop-up nobody could click in a hidden
    Excel. Every other setting still comes from the add-in."""
    session.ledger_path = sample_ledger(session.folder)
    book = session.app.Workbooks.Open(str(session.ledger_path))
    sheet = book.Worksheets.Add()
    sheet.Name = CONF_SHEET
    sheet.Range("A1").Value = "SHOW_ERROR_POPUPS"
    sheet.Range("B1").Value = "'False"                # text, as the add-in's own settings are
    book.Activate()
    session.book = book


def judge_self_test(answer: str, report: dict | None, session: Session, seconds: float) -> Check:
    """The button path's verdict from JsjbSelfTest's answer and the report the Python end wrote."""
    name = EXCEL_CHECKS[3]
    configured = session.addin.get("interpreter")
    if answer == "ok" and report:
        problems = []
        ran = Path(str(report.get("executable", "")))
        if os.path.normcase(str(ran.parent)) != os.path.normcase(str(Path(sys.executable).parent)):
            problems.append(f"按钮用的是 {ran}，不是本工具的 Python（{sys.executable}）")
        for package, want in (("xlwings", _version("xlwings")), ("jsjb", _version("jsjb"))):
            if want and report.get(package) != want:
                problems.append(f"按钮所用 Python 中的 {package} 为 {report.get(package)}，本工具为 {want}")
        if session.ledger_path and report.get("book") != session.ledger_path.name:
            problems.append(f"Python 找到的调用工作簿是“{report.get('book')}”，应为“{session.ledger_path.name}”")
        if problems:
            return Check(name, FAIL, "；".join(problems), fix_interpreter(configured))
        how = "常驻进程（Use UDF Server）" if report.get("warm") else "新启动的进程（没有用常驻进程，每次点击都要重新启动）"
        detail = (f"经 VBA → RunPython → {ran} 运行，读到 {report.get('tickets')} 张工单，用时 {seconds:.1f} 秒，{how}")
        if not report.get("warm"):
            return Check(name, FAIL, detail, fix_rebuild())
        return Check(name, OK, detail)
    if answer == "ok":
        return Check(name, FAIL, "Python 端写出的自检结果无法读取", FIX_SEND)
    if answer == "nofile":
        return Check(name, FAIL, "RunPython 没有报错，但 Python 没有运行（没有写出自检结果）", fix_interpreter(configured))
    what, fix = diagnose(answer.split("|", 1)[1] if answer.startswith("python|") else answer, configured)
    return Check(name, FAIL, f"{what}（{' '.join(answer[:400].split())}）", fix)


def check_button_path(session: Session) -> Check:
    """One button's whole path: Application.Run of the add-in's JsjbSelfTest → RunPython → the
    interpreter jsjb.conf names → macros.self_test, which writes a report this compares."""
    report_path = session.folder / SELF_TEST_REPORT
    started = time.perf_counter()
    try:
        answer = str(session.app.Run(f"'{ADDIN_FILE}'!JsjbSelfTest", str(report_path)))
    except Exception as e:  # noqa: BLE001 - the add-in lacks the function (old build) or its VBA broke
        session.alive()
        what, fix = diagnose(str(e), session.addin.get("interpreter"))
        return Check(EXCEL_CHECKS[3], FAIL, f"{what}（{e}）", fix)
    seconds = time.perf_counter() - started
    report = None
    if answer == "ok":
        try:
            report = json.loads(report_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            report = None
    session.report = report
    return judge_self_test(answer, report, session, seconds)


def read_computed(book) -> dict[str, list]:
    """The computed columns of 工单台账, rows 2–6, by header; error cells as their text (#NAME? …)."""
    from jsjb.core import schema as S

    grid = book.Worksheets(S.SHEET_TICKETS).Range("A1:DZ6").Value
    rows = [list(r) for r in grid]
    header = [str(h).strip() if h is not None else "" for h in rows[0]]
    out = {}
    for col in S.COMPUTED_COLUMNS:
        if col in header:
            j = header.index(col)
            out[col] = [EXCEL_ERRORS.get(r[j], r[j]) if isinstance(r[j], int) and not isinstance(r[j], bool) else r[j]
                        for r in rows[1:]]
    return out


def judge_columns(values: dict[str, list], configured: str | None = None) -> Check:
    from jsjb.core import schema as S

    name = EXCEL_CHECKS[4]
    bad, fixes = [], []
    for col in S.COMPUTED_COLUMNS:
        if col not in values:
            bad.append(f"{col}（无此列）")
            fixes.append("用 jsjb template 生成的台账（或 workbook\\ledger_template.xlsx）。")
            continue
        texts = [v for v in values[col] if isinstance(v, str)]
        error = next((v for v in texts if v.startswith("#") and not v.startswith("#错误")), None)
        foreign = next((v for v in texts if re.search(r"[A-Za-z]{4,}", v) and not re.search(r"[\u4e00-\u9fff]", v)), None)
        if error == "#NAME?":
            bad.append(f"{col}（#NAME?）")
            fixes.append("#NAME? 表示 Excel 不认识 JSJB_ 函数：加载项未加载或缺少函数模块。" + fix_rebuild())
        elif error or foreign:
            what, fix = diagnose(foreign or error, configured)
            bad.append(f"{col}（{(error or foreign)[:80]}：{what}）")
            fixes.append(fix)
        elif col not in (S.TIMELY, S.FLAGS) and all(v in (None, "") for v in values[col]):
            # every ticket has a deadline, its dates and a status; 是否及时 waits for 办结, 提示 for a finding
            bad.append(f"{col}（无值）")
            fixes.append("点“刷新”重新输入公式；" + fix_rebuild())
    if bad:
        return Check(name, FAIL, "、".join(bad), " ".join(dict.fromkeys(fixes)))
    return Check(name, OK, f"{len(S.COMPUTED_COLUMNS)} 列均算出数值")


def check_columns(session: Session) -> Check:
    session.app.CalculateFull()
    return judge_columns(read_computed(session.book), session.addin.get("interpreter"))


BUTTON_CALLS = {   # button → (macro function, keyword arguments for a non-interactive run)
    "刷新": ("refresh", {}), "日调度": ("dispatch", {}), "月通报": ("bulletin", {"month": "{last_month}"}),
    "年度考核": ("assess", {"year": "{last_year}"}), "归档": ("archive", {}),
    "发送通报": ("send_bulletin", {"month": "{last_month}", "dry_run": True}),
}


def check_buttons(book, folder: Path, progress=None, today: dt.date | None = None) -> list[Check]:
    """Every button's macro on the sample ledger (an xlwings Book), alerts collected instead of shown."""
    import xlwings as xw

    import macros

    today = today or dt.date.today()
    first = today.replace(day=1) - dt.timedelta(days=1)
    values = {"{last_month}": f"{first:%Y-%m}", "{last_year}": str(today.year - 1)}
    alerts: list[str] = []
    original = xw.App.alert
    xw.App.alert = lambda self, prompt, *a, **k: alerts.append(str(prompt))
    out = []
    try:
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
                out.append(Check(f"按钮“{label}”", FAIL, f"{type(e).__name__}：{e}", FIX_SEND))
                continue
            said = "；".join(a.replace("\n", " ")[:120] for a in alerts)
            if result is None and func != "send_bulletin":
                out.append(Check(f"按钮“{label}”", FAIL, said or "没有结果", "按提示处理；仍不行请" + FIX_SEND))
            else:
                out.append(Check(f"按钮“{label}”", OK, said or "已完成"))
    finally:
        xw.App.alert = original
    return out


def skipped(names, why: str) -> list[Check]:
    return [Check(n, SKIPPED, why) for n in names]


def check_excel(addin: dict | None = None, addin_path: Path | None = None, progress=None,
                timeout: float = TIMEOUT_SECONDS) -> list[Check]:
    """Start Excel, open the installed add-in, run the button path, read the sample ledger's
    computed columns, run every button's macro on it."""
    names = (*EXCEL_CHECKS, *(f"按钮“{b}”" for b in BUTTON_CALLS))
    if not is_windows():
        return skipped(names, NOT_WINDOWS)
    try:
        app = start_excel()
    except Exception as e:  # noqa: BLE001 - any COM failure is a finding
        return [Check("Excel 启动", FAIL, f"无法通过 COM 启动 Excel：{type(e).__name__}：{e}",
                      "确认已安装 Microsoft 365 / Excel 桌面版并能正常打开；修复 Office（快速修复）。" + FIX_WPS)]
    out: list[Check] = []
    with tempfile.TemporaryDirectory() as tmp:
        session = Session(app, Path(tmp), addin or {}, addin_path)
        try:
            pid = excel_pid(app)
        except Exception:  # noqa: BLE001 - no window handle: no watchdog
            pid = None
        watchdog = session.watchdog = Watchdog(timeout, pid)
        try:
            with watchdog:
                out += _excel_session(session, progress)
        except Exception as e:  # noqa: BLE001
            if watchdog.fired:
                out.append(Check("Excel 自检", FAIL, f"Excel {timeout:.0f} 秒未响应，已结束本次启动的 Excel（进程 {pid}）",
                                 "多半是后台 Excel 弹出了看不见的对话框（VBA 编译错误、安全警告）：打开 Excel，点“接诉即办”→"
                                 "“刷新”，按屏幕提示处理；" + FIX_SEND))
            else:
                out.append(Check("Excel 自检", FAIL, f"{type(e).__name__}：{e}", FIX_SEND))
        finally:
            for end in ((lambda: session.book.Close(False)) if session.book is not None else None, app.Quit):
                try:
                    if end is not None:
                        end()                  # each on its own: a failed Close still quits this Excel
                except Exception:  # noqa: BLE001 - Excel already gone
                    pass
    done = {c.name for c in out}
    return out + [c for c in skipped(names, "前面的检查失败，未进行") if c.name not in done]


def _excel_session(session: Session, progress=None) -> list[Check]:
    app = session.app
    app.Visible = False
    app.DisplayAlerts = False
    first = check_identity(app)
    if first.status == FAIL:
        return [first]
    ticked, listed = check_addin_ticked(app)
    out = [first, ticked]
    if progress:
        progress("在 Excel 中打开加载项")
    loaded = open_addin(session, listed)
    out.append(loaded)
    if loaded.status == FAIL:
        return out
    if progress:
        progress("生成并打开自检台账")
    open_sample(session)
    if progress:
        progress("按钮通路：VBA → RunPython → Python")
    path = check_button_path(session)
    out.append(path)
    if path.status == FAIL:
        return out
    if progress:
        progress("重新计算自检台账")
    columns = check_columns(session)
    buttons = check_buttons(wrap_book(session.book), session.folder, progress)
    if columns.status == FAIL and "#NAME?" in columns.detail:
        again = check_columns(session)                # 刷新 (the first button) re-entered the formulas
        if again.status == OK:
            columns = Check(columns.name, OK, "打开时显示 #NAME?（其他程序写入的公式尚未与加载项关联），点“刷新”后 "
                            + again.detail)
    return out + [columns, *buttons]


def checks(progress=None) -> list[tuple[str, object]]:
    """The Windows steps of doctor.run(), in the order the IT helper fixes things; each returns a
    list of checks."""
    state: dict = {}

    def addin_file() -> list[Check]:
        if not is_windows():
            return [Check("加载项文件", SKIPPED, NOT_WINDOWS)]
        found, info = check_addin_file()
        state["info"] = info
        return found

    def trust() -> list[Check]:
        if not is_windows():
            return [Check("宏的信任设置", SKIPPED, NOT_WINDOWS)]
        return [check_trust()]

    return [("xlwings DLL", lambda: [check_xlwings_dll()]), ("加载项文件", addin_file), ("宏的信任设置", trust),
            ("Excel 注册", lambda: [check_excel_registration()]),
            ("Excel", lambda: check_excel(state.get("info"), progress=progress))]
