"""`jsjb doctor`'s Windows/Excel checks (jsjb.doctor_windows) on a fake COM layer (tests/fake_excel.py)
and an add-in file as Excel saves it (shared strings, the settings sheet's codeName): every check
passes on a good install, and each way an install breaks fails the check it should, naming the fix.

The fake runs the real pieces where it can: the add-in package is the one scripts/build_addin.py
assembles; the button path really starts the configured interpreter, which runs
``macros.self_test`` on the sample ledger (through xlwings' remote engine instead of COM); the
buttons' macros run on that ledger; the computed columns hold what jsjb computes."""

import datetime as dt
import os
import sys
import sysconfig
import zipfile
from pathlib import Path

import fake_excel
import pytest
import xlwings
from helpers import load_script

from jsjb import doctor
from jsjb import doctor_windows as W

ROOT = Path(__file__).resolve().parent.parent
PATH_CHECK = "按钮通路（VBA → RunPython → Python）"


build_addin = load_script("build_addin")


def by_name(checks) -> dict:
    return {c.name: c for c in checks}


def assert_fails_with(check, *words):
    assert check.status == doctor.FAIL, check
    assert check.fix and any("\u4e00" <= ch <= "\u9fff" for ch in check.fix), check
    for w in words:
        assert w in check.fix or w in check.detail, (w, check)


# -- the PC ------------------------------------------------------------------------------------------------
@pytest.fixture
def pc(tmp_path, monkeypatch):
    """A Windows PC as the doctor sees it: %APPDATA% here, the registry and COM faked."""
    appdata = tmp_path / "AppData" / "Roaming"
    (appdata / "Microsoft" / "AddIns").mkdir(parents=True)
    monkeypatch.setenv("APPDATA", str(appdata))
    monkeypatch.setattr(W, "is_windows", lambda: True)
    monkeypatch.setattr(W, "excel_server", lambda: r"C:\Program Files\Microsoft Office\Root\Office16\EXCEL.EXE /automation")
    monkeypatch.setattr(W, "trust_settings", lambda: {"VBAWarnings": None, "locations": []})
    monkeypatch.setattr(W, "zone_of", lambda path: None)
    monkeypatch.setattr(W, "excel_pid", lambda app: None)
    monkeypatch.setattr(W, "wrap_book", lambda com: fake_excel.json_book_from_file(com.path, computed=False))
    monkeypatch.setattr(W, "check_xlwings_dll", lambda: doctor.Check("xlwings DLL", doctor.OK, "（另测）"))
    state = {}

    def install(interpreter=sys.executable, booleans=False, addin=True, **kw):
        path = appdata / "Microsoft" / "AddIns" / "jsjb.xlam"
        build_addin.assemble(path, interpreter)
        fake_excel.excel_saved(path, booleans=booleans)
        if not addin:
            path.unlink()
        state["install"] = fake_excel.Install(interpreter=interpreter, addin=path, **kw)
        state["excel"] = None

        def start():
            state["excel"] = fake_excel.Excel(state["install"])
            return state["excel"]
        monkeypatch.setattr(W, "start_excel", start)
        return state

    return install


def run_windows_checks():
    found = []
    for _label, step in W.checks():
        found += step()
    return by_name(found)


def other_python(tmp_path) -> tuple[str, str]:
    """Another interpreter that has the packages: a link to this one in another folder, and this
    environment's site-packages as its site folder."""
    folder = tmp_path / "OtherPython"
    folder.mkdir()
    link = folder / Path(sys.executable).name
    os.symlink(sys.executable, link)
    return str(link), sysconfig.get_paths()["purelib"]


def bare_python() -> str:
    """An interpreter without this project's packages (the base of the virtual environment)."""
    base = getattr(sys, "_base_executable", None)
    if not base or Path(base).resolve() == Path(sys.executable).resolve() and sys.prefix == sys.base_prefix:
        pytest.skip("no interpreter without the packages at hand")
    return base


# -- a good install ---------------------------------------------------------------------------------------
def test_a_good_install_passes_every_check(pc):
    state = pc()
    checks = run_windows_checks()
    not_ok = {n: c.line() for n, c in checks.items() if c.status != doctor.OK}
    assert not not_ok
    assert set(checks) >= {"加载项文件", "加载项与 xlwings 版本", "加载项设置", "宏的信任设置", "Excel 的 COM 注册",
                           "Excel 启动", "加载项已勾选", "加载项已加载", PATH_CHECK, "台账计算列", "按钮“刷新”",
                           "按钮“月通报”", "按钮“发送通报”"}
    path = checks[PATH_CHECK]
    assert sys.executable in path.detail and "常驻进程" in path.detail and "200 张工单" in path.detail
    excel = state["excel"]
    # the add-in was opened from the AddIns folder before JsjbAddinInfo, the self-test ran through Run
    assert [r[0] for r in excel.runs] == ["'jsjb.xlam'!JsjbAddinInfo", "'jsjb.xlam'!JsjbSelfTest"]
    assert excel.runs[1][1].endswith(W.SELF_TEST_REPORT)
    assert excel.Visible is False and excel.DisplayAlerts is False and excel.quit and excel.calculations >= 1
    conf = excel.ledger.Worksheets("jsjb.conf")             # the probe ledger silences xlwings' pop-ups only
    assert conf.values == {(1, 1): "SHOW_ERROR_POPUPS", (1, 2): "False"}
    assert excel.ledger.closed


def test_the_settings_are_read_as_excel_saved_them(pc):
    """Shared strings (and booleans a clerk retyped) — the add-in file after Excel saved it."""
    state = pc(booleans=True)
    xlam = state["install"].addin
    with zipfile.ZipFile(xlam) as z:
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
        shared = z.read("xl/sharedStrings.xml").decode()
    assert 't="s"' in sheet and "inlineStr" not in sheet and 't="b"' in sheet and "Interpreter_Win" in shared
    assert '<sheetPr codeName="Sheet2"/>' in sheet                      # the VBA document module's sheet
    info = W.addin_info(xlam)
    assert info["xlwings"] == xlwings.__version__
    assert info["conf"]["UDF MODULES"] == "xlfuncs" and info["conf"]["USE UDF SERVER"] == "True"
    assert info["conf"]["INTERPRETER_WIN"] == sys.executable
    checks, _ = W.check_addin_file()
    assert [c.status for c in checks] == [doctor.OK] * 3, [c.line() for c in checks]


@pytest.mark.parametrize("rows, expected", [
    ([["UDF Modules", "xlfuncs"], ["Use UDF Server", True], ["", "x"], ["Show Console", False]],
     {"UDF MODULES": "xlfuncs", "USE UDF SERVER": "True"}),                  # stops at the first blank key
    ([["Interpreter_Win", "%LOCALAPPDATA%\\py\\pythonw.exe"]], {"INTERPRETER_WIN": "%LOCALAPPDATA%\\py\\pythonw.exe"}),
    ([["interpreter_win", "a"], ["INTERPRETER_WIN", "b"]], {"INTERPRETER_WIN": "a"}),
    ([["Port", 8000.0]], {"PORT": "8000"}),
    ([], {}),
])
def test_settings_sheet_is_read_like_the_addins_vba(rows, expected):
    assert W.read_conf(rows) == expected


def test_environment_variables_expand_like_the_addin(monkeypatch):
    monkeypatch.setenv("LOCALAPPDATA", r"C:\Users\li\AppData\Local")
    assert W.expand(r"%LOCALAPPDATA%\jsjb\pythonw.exe") == r"C:\Users\li\AppData\Local\jsjb\pythonw.exe"
    assert W.expand(r"%NO_SUCH_VAR_JSJB%\x") == r"%NO_SUCH_VAR_JSJB%\x"


# -- each way the install breaks ----------------------------------------------------------------------------
def test_addin_not_ticked_fails_but_doctor_still_opens_it(pc, monkeypatch):
    monkeypatch.setattr(W, "check_buttons", lambda *a, **k: [])
    state = pc(ticked=False)
    checks = run_windows_checks()
    assert_fails_with(checks["加载项已勾选"], "勾选", "没有勾选")
    assert checks["加载项已加载"].status == doctor.OK and checks[PATH_CHECK].status == doctor.OK
    assert state["excel"].addin_open


def test_addin_missing_fails_with_the_rebuild(pc):
    pc(addin=False)
    checks = run_windows_checks()
    assert_fails_with(checks["加载项文件"], "build_addin.py --install")
    assert_fails_with(checks["加载项已勾选"], "已不存在", "build_addin.py --install")
    assert_fails_with(checks["加载项已加载"], "build_addin.py --install")
    for name in (PATH_CHECK, "台账计算列", "按钮“刷新”"):
        assert checks[name].status == doctor.SKIPPED


def test_interpreter_that_does_not_exist(pc, tmp_path):
    missing = str(tmp_path / "NoPython" / "pythonw.exe")
    pc(interpreter=missing)
    checks = run_windows_checks()
    assert_fails_with(checks["加载项设置"], "Interpreter_Win", missing, "build_addin.py --install")
    path = checks[PATH_CHECK]
    assert_fails_with(path, "DLL", "Interpreter_Win", "build_addin.py --install")
    assert "error|1|Could not load xlwings64" in path.detail
    assert checks["台账计算列"].status == doctor.SKIPPED


def test_another_interpreter_than_the_tools(pc, tmp_path):
    """Interpreter_Win names a Python that exists and has the packages, but is not this tool's."""
    link, site_dir = other_python(tmp_path)
    pc(interpreter=link, site=site_dir)
    checks = run_windows_checks()
    assert checks["加载项设置"].status == doctor.OK
    path = checks[PATH_CHECK]
    assert_fails_with(path, f"按钮用的是 {link}", "Interpreter_Win", "build_addin.py --install")


def test_interpreter_without_the_tool(pc):
    python = bare_python()
    pc(interpreter=python)
    checks = run_windows_checks()
    path = checks[PATH_CHECK]
    assert_fails_with(path, "缺少模块", "-m pip install", python)
    assert "No module named" in path.detail


@pytest.mark.parametrize("udf_server, code", [(True, "error|1000|Could not create Python process"),
                                              (False, "error|70|Permission denied")])
def test_defender_asr_blocks_cmd_exe(pc, udf_server, code):
    pc(asr=True, udf_server=udf_server)
    checks = run_windows_checks()
    path = checks[PATH_CHECK]
    assert_fails_with(path, "cmd.exe", "d4f940ab-401b-4efc-aadc-ad5f3c50688a", "jsjb serve")
    assert code in path.detail and "python.exe" in path.fix            # says it is NOT python.exe to exclude


def test_wps_owning_excel_application(pc, monkeypatch):
    wps = r"C:\Users\li\AppData\Local\Kingsoft\WPS Office\12.1.0\office6\et.exe /automation"
    monkeypatch.setattr(W, "excel_server", lambda: wps)
    state = pc(wps=True)
    checks = run_windows_checks()
    assert_fails_with(checks["Excel 的 COM 注册"], "WPS", "#2575", "兼容第三方系统和软件")
    assert_fails_with(checks["Excel 启动"], "WPS", "Kingsoft")
    assert checks["加载项已加载"].status == doctor.SKIPPED and not state["excel"].runs   # no VBA run inside WPS
    assert state["excel"].quit


def test_ribbon_module_missing(pc):
    pc(modules=("xlwings", "xlwings_udfs"))
    checks = run_windows_checks()
    assert_fails_with(checks["加载项已加载"], "JsjbRibbon", "build_addin.py --install")


def test_old_addin_answers_with_another_version(pc):
    pc(answer="0.33.0|myaddin")
    assert_fails_with(run_windows_checks()["加载项已加载"], "0.33.0|myaddin", "build_addin.py --install")


def test_udf_wrappers_missing_shows_name_errors(pc, monkeypatch):
    monkeypatch.setattr(W, "check_buttons", lambda *a, **k: [])
    pc(modules=("xlwings", "JsjbRibbon"))
    checks = run_windows_checks()
    assert checks[PATH_CHECK].status == doctor.OK
    assert_fails_with(checks["台账计算列"], "#NAME?", "build_addin.py --install")


def test_names_bound_only_after_refresh_are_reported_as_such(pc):
    pc(name_until_refresh=1)
    checks = run_windows_checks()
    columns = checks["台账计算列"]
    assert columns.status == doctor.OK and "#NAME?" in columns.detail and "刷新" in columns.detail


def test_buttons_without_the_udf_server_run_cold(pc):
    pc(udf_server=False)
    checks = run_windows_checks()
    assert_fails_with(checks[PATH_CHECK], "新启动的进程", "build_addin.py --install")


def test_settings_without_the_udf_server(pc, tmp_path, monkeypatch):
    path = Path(os.environ["APPDATA"]) / "Microsoft" / "AddIns" / "jsjb.xlam"
    monkeypatch.setattr(build_addin, "settings", lambda interpreter=None: [
        ("UDF Modules", "xlfuncs"), ("Interpreter_Win", interpreter), ("Use UDF Server", "False")])
    pc()
    checks, _ = W.check_addin_file(path)
    assert_fails_with(by_name(checks)["加载项设置"], "Use UDF Server", "build_addin.py --install")


# -- trust, DLL, registration ----------------------------------------------------------------------------
ADDINS = r"C:\Users\li\AppData\Roaming\Microsoft\AddIns\jsjb.xlam"


@pytest.mark.parametrize("zone, settings, status, words", [
    (None, {}, doctor.OK, "不在受信任位置"),
    (3, {}, doctor.FAIL, "解除锁定"),                                         # mark of the web
    (None, {"VBAWarnings": 4}, doctor.FAIL, "受信任位置"),
    (None, {"VBAWarnings": 3}, doctor.FAIL, "受信任位置"),
    (3, {"locations": [(r"C:\Users\li\AppData\Roaming\Microsoft\AddIns", False)]}, doctor.OK, "受信任位置"),
    (None, {"VBAWarnings": 4, "locations": [(r"C:\Users\li\AppData\Roaming", True)]}, doctor.OK, "受信任位置"),
    (None, {"VBAWarnings": 4, "locations": [(r"C:\Users\li\AppData\Roaming", False)]}, doctor.FAIL, "受信任位置"),
    (None, {"VBAWarnings": 4, "locations": [(r"C:\Users\li\AppData\Roaming\Microsoft\AddIns", True)],
            "locations_disabled": True}, doctor.FAIL, "受信任位置"),
    (None, {"RequireAddinSig": 1, "locations": [(r"C:\Users\li\AppData\Roaming\Microsoft\AddIns", True)]},
     doctor.FAIL, "签名"),
])
def test_trust_settings(zone, settings, status, words):
    c = W.judge_trust(ADDINS, zone, settings)
    assert c.status == status and (words in c.detail or words in c.fix), c
    if status == doctor.FAIL:
        assert c.fix


def test_zone_identifier_is_read(tmp_path):
    f = tmp_path / "jsjb.xlam"
    f.write_bytes(b"x")
    assert W.zone_of(f) is None
    Path(str(f) + ":Zone.Identifier").write_text("[ZoneTransfer]\r\nZoneId=3\r\n", encoding="utf-8")  # a plain file here
    assert W.zone_of(f) == 3


def test_xlwings_dll_beside_the_interpreter_or_one_up(tmp_path, monkeypatch):
    monkeypatch.setattr(W, "is_windows", lambda: True)
    venv = tmp_path / "venv"
    (venv / "Scripts").mkdir(parents=True)
    exe = venv / "Scripts" / "python.exe"
    exe.write_bytes(b"")
    c = W.check_xlwings_dll(str(exe), str(venv))
    assert_fails_with(c, f"xlwings=={xlwings.__version__}", "--force-reinstall")
    dll = venv / f"xlwings{64 if sys.maxsize > 2**32 else 32}-{xlwings.__version__}.dll"
    dll.write_bytes(b"")
    assert W.check_xlwings_dll(str(exe), str(venv)).status == doctor.OK


@pytest.mark.parametrize("server, status, words", [
    (r"C:\Program Files\Microsoft Office\Root\Office16\EXCEL.EXE /automation", doctor.OK, ""),
    (r"C:\Users\li\AppData\Local\Kingsoft\WPS Office\12.1.0\office6\et.exe /automation", doctor.FAIL, "WPS"),
])
def test_excel_registration_detects_wps(monkeypatch, server, status, words):
    monkeypatch.setattr(W, "is_windows", lambda: True)
    monkeypatch.setattr(W, "excel_server", lambda: server)
    c = W.check_excel_registration()
    assert c.status == status
    assert words in c.detail and (status == doctor.OK or "#2575" in c.fix)


# -- what each failure text means ------------------------------------------------------------------------------
@pytest.mark.parametrize("text, words", [
    ("error|70|Permission denied", "cmd.exe"),
    ("error|70|拒绝的权限", "cmd.exe"),
    ("error|1000|Could not create Python process.\nError message: 拒绝访问。", "cmd.exe"),
    ("error|1|Could not load xlwings64-0.37.8.dll from either of the following folders", "Interpreter_Win"),
    ("python|Traceback …\nModuleNotFoundError: No module named 'macros'", "-m pip install"),
    ("error|1000|Python process exited before it was possible to create the interface object.", "-m pip install"),
    ("error|1000|Could not activate Python COM server, hr = -2147221164", "Microsoft Store"),
    ("Cannot run the macro ''jsjb.xlam'!JsjbSelfTest'. The macro may not be available", "build_addin.py --install"),
    ("无法运行宏“'jsjb.xlam'!JsjbAddinInfo”。该宏可能在此工作簿中不可用，或者所有的宏都被禁用。", "build_addin.py --install"),
    ("something else entirely", "--json"),
])
def test_each_failure_text_names_its_fix(text, words):
    what, fix = W.diagnose(text, r"C:\py\pythonw.exe")
    assert what and words in fix


def test_the_watchdog_ends_a_hung_excel_by_its_process_id():
    killed = []
    with W.Watchdog(0.05, 4242, kill=killed.append) as dog:
        import time

        time.sleep(0.3)
    assert dog.fired and killed == [4242]
    with W.Watchdog(5, 4242, kill=killed.append) as dog:
        pass
    assert not dog.fired and killed == [4242]


def test_a_hung_session_is_reported_not_waited_for(pc, monkeypatch):
    """A hidden Excel waiting on a dialog: the Run call blocks until the watchdog ends Excel."""
    import threading

    state = pc()
    ended = threading.Event()
    monkeypatch.setattr(W, "excel_pid", lambda app: 4242)
    monkeypatch.setattr(W, "end_process", lambda pid: ended.set())

    def hang(*args):
        ended.wait(10)
        raise fake_excel.ComError("The RPC server is unavailable.")
    original = fake_excel.Excel.Run
    monkeypatch.setattr(fake_excel.Excel, "Run", lambda self, macro, *a: hang() if "SelfTest" in macro
                        else original(self, macro, *a))
    checks = by_name(W.check_excel(timeout=0.5))
    assert ended.is_set()
    assert_fails_with(checks["Excel 自检"], "未响应", "刷新")
    assert state["excel"].quit


def test_button_checks_use_last_month_and_year():
    seen = {}

    class Recorder:
        def __getattr__(self, name):
            return lambda book=None, **kw: seen.setdefault(name, kw) or True

    import macros

    real = {name: getattr(macros, name) for name in ("refresh", "dispatch", "bulletin", "assess", "archive",
                                                    "send_bulletin")}
    try:
        for name in real:
            setattr(macros, name, getattr(Recorder(), name))
        checks = W.check_buttons(object(), Path("/tmp/x"), today=dt.date(2026, 1, 15))
    finally:
        for name, f in real.items():
            setattr(macros, name, f)
    assert [c.status for c in checks] == [doctor.OK] * 6
    assert seen["bulletin"]["month"] == "2025-12" and seen["assess"]["year"] == "2025"
    assert seen["send_bulletin"]["dry_run"] is True and "out" not in seen["refresh"]




def test_columns_that_may_be_blank_for_every_sample_row_do_not_fail_the_check():
    """是否及时 (only once 办结) and 提示 (only with a finding) may be empty in all five rows doctor reads —
    the sample changes with the year; a deadline or a status never is."""
    filled = {"办理期限": ["2025-03-04"] * 5, "材料截止": ["2025-03-03"] * 5, "确认时限": ["2025-02-25 12:00"] * 5,
              "状态": ["在办"] * 5, "是否及时": [None] * 5, "提示": [""] * 5}
    assert W.judge_columns(filled).status == doctor.OK
    assert W.judge_columns({**filled, "状态": [None] * 5}).status == doctor.FAIL
