"""The Excel add-in, everything of it that can be checked without Windows and Excel:
the ribbon XML and the VBA module agree with `macros` and CONTRACT §4; every button's Sub starts
with ``On Error`` and ends in a Chinese message that names ``jsjb doctor``; the VBA — our module and
the UDF wrappers xlwings' own ``import_udfs`` writes — parses with a VBA grammar (antlr4-vba);
the package that ``scripts/build_addin.py --package-only`` assembles (settings sheet ``jsjb.conf``
with its codeName, ``Use UDF Server``, customUI, the skeleton's VBA that stage 2 edits); stage 2
itself against a fake of the COM objects it touches (project name, modules, the UDF import and its
fallback's failure as a BuildError); the .bas in the ANSI code page; the exact xlwings pin; the
offline-wheel command; 刷新's formulas found by header."""

import ast
import contextlib
import datetime as dt
import re
import sys
import tomllib
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import classic_udfs
import fake_excel
import pytest
import xlwings
from helpers import load_script
from xlsxwriter.utility import xl_col_to_name

import macros
import xlfuncs

ROOT = Path(__file__).resolve().parent.parent
ADDIN = ROOT / "workbook" / "addin"
NS = {"ui": "http://schemas.microsoft.com/office/2006/01/customui"}
MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
CHINESE_TEXTS = ("接诉即办", "请输入月份", "请先打开台账工作簿", "月份格式不正确", "将把 ")


build_addin = load_script("build_addin")


def subs(bas: str) -> set[str]:
    return set(re.findall(r"^(?:Public |Private )?Sub (\w+)\s*\(", bas, re.M))


def source_bas() -> str:
    return (ADDIN / "JsjbRibbon.bas").read_text(encoding="utf-8")


# -- ribbon and VBA sources ------------------------------------------------------------------------
CONTRACT_BUTTONS = ["刷新", "日调度", "月通报", "年度考核", "归档", "发送通报", "导入节假日", "导入工单"]   # CONTRACT §4
AWAITED: dict[str, str] = {}    # buttons whose Python function (macros) has not landed yet (导入工单: with #25)


def ribbon_buttons() -> list:
    return ET.parse(ADDIN / "customUI.xml").getroot().findall(".//ui:button", NS)


def test_ribbon_xml_is_well_formed_with_the_contracts_buttons():
    root = ET.parse(ADDIN / "customUI.xml").getroot()
    tabs = root.findall(".//ui:tab", NS)
    assert [t.get("label") for t in tabs] == ["接诉即办"]
    labels = [b.get("label") for b in ribbon_buttons()]
    assert labels == CONTRACT_BUTTONS
    assert [label for label in labels if label in macros.BUTTONS] == list(macros.BUTTONS)
    assert set(labels) - set(macros.BUTTONS) <= set(AWAITED)
    assert labels == list(macros.BUTTONS)                               # every button has its function


def test_every_onaction_names_a_sub_of_the_module():
    bas = source_bas()
    module = re.search(r'Attribute VB_Name = "(\w+)"', bas).group(1)
    defined = subs(bas)
    for button in ribbon_buttons():
        mod, sub = button.get("onAction").split(".")
        assert mod == module and sub in defined, button.get("onAction")
    guard = re.search(r"Private Function LedgerOpen\(\) As Boolean(.*?)End Function", bas, re.S).group(1)
    assert "ActiveWorkbook Is Nothing" in guard and "MsgBox" in guard


def python_calls(bas: str) -> list[str]:
    """The Python command of every RunJob / RunPython call, VBA expressions made literals."""
    calls = re.findall(r'^\s*(?:RunJob\s+|\w+ = RunPython\()"(.*?)"\)?\s*$', bas, re.M)
    return [re.sub(r'" & .+? & "', "X", call) for call in calls]


def test_every_python_call_names_an_existing_macro_with_fitting_arguments():
    calls = python_calls(source_bas())
    assert len(calls) == len(CONTRACT_BUTTONS) + 1                     # one per button, and the self-test
    called = []
    for python in calls:
        tree = ast.parse(python)
        imports = [n for n in tree.body if isinstance(n, ast.Import)]
        assert imports and imports[0].names[0].name == "macros"
        expr = tree.body[-1].value
        assert isinstance(expr, ast.Call) and expr.func.value.id == "macros"
        assert len(expr.args) <= 1
        called.append(expr.func.attr)
    missing = {name for name in called if not hasattr(macros, name)}
    assert missing <= set(AWAITED.values()), missing
    assert set(called) - missing == set(macros.BUTTONS.values()) | {"self_test"}


def test_the_self_test_answers_as_doctor_and_its_fake_expect():
    """JsjbSelfTest's answers (jsjb.doctor_windows parses them; tests/fake_excel.py mirrors them)."""
    body = re.search(r"Public Function JsjbSelfTest\(reportPath As String\) As String(.*?)End Function",
                     source_bas(), re.S).group(1)
    for answer in ('"ok"', '"nofile"', '"python|" & ErrorSheetText()', '"error|" & Err.Number & "|" & Err.Description'):
        assert f"JsjbSelfTest = {answer}" in body, answer
    assert 'RunPython("import macros; macros.self_test(\'" & PyText(reportPath) & "\')")' in body
    assert "Kill reportPath" in body and "Len(Dir(reportPath)) = 0" in body
    sheet = re.search(r"Private Function ErrorSheetText\(\) As String(.*?)End Function", source_bas(), re.S).group(1)
    assert 'Worksheets("Error").Range("A1")' in sheet


def test_failures_are_explained_in_chinese_with_jsjb_doctor():
    bas = source_bas()
    show = re.search(r"Private Sub ShowFailure\((.*?)End Sub", bas, re.S).group(1)
    assert "errNumber = 70" in show and "Access is denied" in show and "拒绝访问" in show      # ASR: cmd.exe blocked
    assert "cmd.exe" in show and "Could not load" in show and "Interpreter_Win" in show          # interpreter
    assert "jsjb doctor" in show and "MsgBox" in show
    job = re.search(r"Private Sub RunJob\((.*?)End Sub", bas, re.S).group(1)
    assert "outcome = -1" in job and "jsjb doctor" in job


def test_vba_module_uses_windows_line_endings():
    raw = (ADDIN / "JsjbRibbon.bas").read_bytes()
    assert b"\r\n" in raw and raw.count(b"\n") == raw.count(b"\r\n")


def test_the_doctor_probe_returns_version_and_project_name():
    body = re.search(r"Public Function JsjbAddinInfo\(\) As String(.*?)End Function", source_bas(), re.S).group(1)
    assert 'XLWINGS_VERSION & "|" & PROJECT_NAME' in body


# -- the package (stage 1) ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def package(tmp_path_factory):
    out = tmp_path_factory.mktemp("addin") / "jsjb.xlam"
    assert build_addin.main(["--package-only", str(out), "--interpreter",
                             r"%LOCALAPPDATA%\jsjb\venv\Scripts\pythonw.exe"]) == 0
    return out


def read_sheets(path: Path) -> dict[str, list[list[str]]]:
    """A small independent OOXML reader: sheet name → rows of cell texts (shared or inline strings)."""
    with zipfile.ZipFile(path) as z:
        wb = ET.fromstring(z.read("xl/workbook.xml"))
        rels = {r.get("Id"): r.get("Target") for r in ET.fromstring(z.read("xl/_rels/workbook.xml.rels"))}
        shared = []
        if "xl/sharedStrings.xml" in z.namelist():
            shared = ["".join(t.text or "" for t in si.iter(f"{MAIN}t"))
                      for si in ET.fromstring(z.read("xl/sharedStrings.xml"))]
        out = {}
        for sheet in wb.iter(f"{MAIN}sheet"):
            part = "xl/" + rels[sheet.get(f"{REL}id")]
            rows = []
            for row in ET.fromstring(z.read(part)).iter(f"{MAIN}row"):
                cells = []
                for c in row.iter(f"{MAIN}c"):
                    if c.get("t") == "inlineStr":
                        cells.append("".join(t.text or "" for t in c.iter(f"{MAIN}t")))
                    elif c.get("t") == "s":
                        cells.append(shared[int(c.find(f"{MAIN}v").text)])
                    else:
                        v = c.find(f"{MAIN}v")
                        cells.append(None if v is None else v.text)
                rows.append(cells)
            out[sheet.get("name")] = rows
    return out


def test_package_has_the_settings_sheet_jsjb_conf(package):
    sheets = read_sheets(package)
    assert list(sheets) == ["jsjb.conf"]                         # PROJECT_NAME & ".conf"; no xlwings.conf
    rows = sheets["jsjb.conf"]
    conf = {r[0]: r[1] for r in rows}
    assert conf["UDF Modules"] == "xlfuncs"
    assert conf["Interpreter_Win"] == r"%LOCALAPPDATA%\jsjb\venv\Scripts\pythonw.exe"
    assert conf["Show Console"] == "False"
    assert conf["Use UDF Server"] == "True"                      # buttons run in the warm process
    assert all(r[0] and r[1] for r in rows)                      # contiguous from A1, no empty value


def test_package_settings_read_by_a_second_reader(package):
    calamine = pytest.importorskip("python_calamine")
    wb = calamine.CalamineWorkbook.from_path(str(package))
    assert wb.sheet_names == ["jsjb.conf"]
    assert ["UDF Modules", "xlfuncs"] in wb.get_sheet_by_name("jsjb.conf").to_python()


def test_package_without_interpreter_leaves_the_key_out(tmp_path):
    xlam, _ = build_addin.assemble(tmp_path / "a.xlam")
    keys = [r[0] for r in read_sheets(xlam)["jsjb.conf"]]
    assert keys == ["UDF Modules", "Use UDF Server", "Show Console"]


def test_package_carries_our_ribbon_and_is_an_addin(package):
    with zipfile.ZipFile(package) as z:
        assert z.testzip() is None
        assert z.read("customUI/customUI.xml") == (ADDIN / "customUI.xml").read_bytes()
        rels = ET.fromstring(z.read("_rels/.rels"))
        targets = {r.get("Target") for r in rels.iter(f"{PKG_REL}Relationship")
                   if r.get("Type").endswith("/ui/extensibility")}
        assert targets == {"customUI/customUI.xml"}
        types_xml = z.read("[Content_Types].xml").decode("utf-8")
        assert "application/vnd.ms-excel.addin.macroEnabled.main+xml" in types_xml
        assert z.namelist()[0] == "[Content_Types].xml"
        core = z.read("docProps/core.xml").decode("utf-8")
        assert "<dc:title>接诉即办</dc:title>" in core and f"xlwings={xlwings.__version__}" in core


def test_package_vba_is_the_skeleton_stage_two_edits(package):
    """The package-only VBA is xlwings' skeleton, unchanged: it has the one PROJECT_NAME line the
    Windows build rewrites, declares the DLL of the installed (pinned) xlwings, and still lacks
    our ribbon module and the UDF wrappers (which only Excel can add)."""
    olevba = pytest.importorskip("oletools.olevba")
    parser = olevba.VBA_Parser(str(package))
    try:
        modules = {Path(name).stem: code for _, _, name, code in parser.extract_macros()}
    finally:
        parser.close()
    xlwings_code = modules[build_addin.XLWINGS_VBA_MODULE]
    lines = [ln for ln in xlwings_code.splitlines() if build_addin.PROJECT_NAME_LINE.match(ln)]
    assert len(lines) == 1 and '"myaddin"' in lines[0]
    assert build_addin.PROJECT_NAME_LINE.sub(r'\1"jsjb"', lines[0]).strip() == \
        'Public Const PROJECT_NAME As String = "jsjb"'
    assert f'"xlwings64-{xlwings.__version__}.dll"' in xlwings_code
    assert 'PROJECT_NAME & ".conf"' in xlwings_code                 # where the settings sheet name comes from
    assert set(build_addin.SKELETON_MODULES_TO_DROP) <= set(modules)
    assert "JsjbRibbon" not in modules and "xlwings_udfs" not in modules


def test_settings_sheet_keeps_the_codename_of_its_vba_document_module(package):
    """The VBA project has a document module for the settings sheet (the skeleton's Sheet2); a
    sheet without that codeName would get a new module when Excel saves, and leave this one stray."""
    olevba = pytest.importorskip("oletools.olevba")
    with zipfile.ZipFile(package) as z:
        wb = ET.fromstring(z.read("xl/workbook.xml"))
        rels = {r.get("Id"): r.get("Target") for r in ET.fromstring(z.read("xl/_rels/workbook.xml.rels"))}
        (sheet,) = list(wb.iter(f"{MAIN}sheet"))
        part = ET.fromstring(z.read("xl/" + rels[sheet.get(f"{REL}id")]))
        project = olevba.VBA_Parser(str(package))
        try:
            documents = {Path(name).stem for _, stream, name, _ in project.extract_macros() if name.endswith(".cls")}
        finally:
            project.close()
    code_name = part.find(f"{MAIN}sheetPr").get("codeName")
    assert sheet.get("name") == "jsjb.conf" and code_name == "Sheet2"
    assert code_name in documents and "ThisWorkbook" in documents
    assert wb.find(f"{MAIN}workbookPr").get("codeName") == "ThisWorkbook"


def test_bas_beside_the_package_is_cp936_exactly_as_imported(package):
    raw = (package.parent / "JsjbRibbon.bas").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")                                          # not UTF-8 …
    text = raw.decode("cp936")                                       # … but the ANSI code page
    assert text == source_bas().replace("\r\n", "\n").replace("\n", "\r\n")
    for needed in CHINESE_TEXTS:
        assert needed in text
    assert raw.count(b"\n") == raw.count(b"\r\n")


def test_bas_with_a_character_outside_gbk_is_refused(tmp_path):
    bad = tmp_path / "x.bas"
    bad.write_text('MsgBox "\U0001F600"\r\n', encoding="utf-8")
    with pytest.raises(build_addin.BuildError, match="cp936"):
        build_addin.bas_bytes(bad)


def test_full_build_refuses_politely_off_windows(capsys):
    if sys.platform.startswith("win"):
        pytest.skip("Windows")
    assert build_addin.main([]) == 1
    assert "Windows" in capsys.readouterr().err


def test_build_script_imports_udfs_from_python_not_through_application_run():
    code = (ROOT / "scripts" / "build_addin.py").read_text(encoding="utf-8")
    assert 'xw.import_udfs(UDF_MODULE, book_api)' in code
    calls = {n.func.attr for n in ast.walk(ast.parse(code)) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)}
    assert "Run" not in calls                                           # no Application.Run of an add-in macro
    assert build_addin.UDF_MODULE == "xlfuncs" and build_addin.CONF_SHEET == "jsjb.conf"


@pytest.mark.parametrize("exe, env, expected", [
    (r"C:\Users\li\AppData\Local\Python\pythoncore-3.13-64\python.exe", {"LOCALAPPDATA": r"C:\Users\li\AppData\Local"},
     r"%LOCALAPPDATA%\Python\pythoncore-3.13-64\python.exe"),
    (r"D:\py\python.exe", {"LOCALAPPDATA": r"C:\Users\li\AppData\Local"}, r"D:\py\python.exe"),
    (r"C:\Users\li\jsjb\Scripts\python.exe", {"USERPROFILE": "C:\\Users\\li\\"}, r"%USERPROFILE%\jsjb\Scripts\python.exe"),
])
def test_interpreter_path_is_portable_between_users(exe, env, expected):
    assert build_addin.interpreter_path(exe, env) == expected


def test_addins_folder_is_under_appdata():
    assert build_addin.addins_folder({"APPDATA": "/x"}) == Path("/x/Microsoft/AddIns")


# -- the UDF wrappers xlwings generates (stage 2 imports them) ------------------------------------------
VBA_RESERVED = {w.lower() for w in """
    Abs Access AddressOf Alias And Any Append Array As Attribute Base Binary Boolean ByRef Byte ByVal Call Case
    CBool CByte CCur CDate CDbl CDec CInt CLng CLngLng CLngPtr Close Compare Const CSng CStr Currency CVar CVErr
    Date Debug Decimal Declare DefBool DefByte DefCur DefDate DefDbl DefDec DefInt DefLng DefLngLng DefLngPtr DefObj
    DefSng DefStr DefVar Dim Do DoEvents Double Each Else ElseIf Empty End EndIf Enum Eqv Erase Error Event Exit
    Explicit False Fix For Friend Function Get Global GoSub GoTo If Imp Implements In Input InputB Int Integer Is
    LBound Len LenB Let Lib Like Line Lock Long LongLong LongPtr Loop LSet Me Mid MidB Mod Name New Next Not Nothing
    Null Object On Open Option Optional Or Output ParamArray Preserve Print Private Property PSet PtrSafe Public Put
    RaiseEvent Random Read ReDim Rem Resume Return RSet Scale Seek Select Set Sgn Shared Single Spc Static Step Stop
    String Sub Tab Text Then To True Type TypeOf UBound Unlock Until Variant Wend While Width With WithEvents Write Xor
""".split()}


@pytest.fixture(scope="module")
def classic():
    return classic_udfs.load()


@contextlib.contextmanager
def fake_windows_excel(classic, refuse=()):
    """scripts/build_addin.py's Windows stage against a fake of the COM objects it touches
    (tests/fake_excel.py): ``xw.App`` → the add-in's workbook whose VBA project holds the package's
    real modules (olevba), and xlwings' own ``import_udfs`` (pywin32 stubbed) writing the UDF
    wrappers and calling MacroOptions. ``refuse``: modules whose Import raises a COM error."""
    udfs, module = classic
    excel = fake_excel.BuildExcel(refuse=refuse, error=classic_udfs.ComError)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(xlwings, "App", excel)
        mp.setattr(xlwings, "import_udfs", udfs.import_udfs, raising=False)
        mp.setattr(udfs, "__pro__", False)                               # no embedded-code lookup (PRO)
        mp.setitem(udfs.udf_modules, "xlfuncs", {"module": module, "filetime": None, "filename": ""})
        yield excel


def stage_two(package: Path, classic, refuse=()):
    with fake_windows_excel(classic, refuse) as excel:
        build_addin.finish_in_excel(package, package.with_name("JsjbRibbon.bas"))
    return excel


@pytest.fixture(scope="module")
def built(package, classic):
    return stage_two(package, classic)


@pytest.fixture(scope="module")
def udf_wrappers(built):
    """The xlwings_udfs module exactly as xlwings' import_udfs wrote and imported it."""
    return built.opened[0].components.items["xlwings_udfs"].CodeModule.text


def wrapper_signatures(vba: str) -> dict[str, list[str]]:
    found = re.findall(r"^Function (\w+)\((.*)\)\s*$", vba, re.M)
    return {name: [p.split()[-1] for p in params.split(",") if p.strip()] for name, params in found}


def test_udf_wrappers_compile_no_reserved_word(udf_wrappers):
    sigs = wrapper_signatures(udf_wrappers)
    assert set(sigs) == set(xlfuncs.__all__)
    assert sigs["JSJB_NETWORKDAYS"][:2] == ["start", "end_date"]
    for name, params in sigs.items():
        for p in params:
            assert re.fullmatch(r"[A-Za-z]\w{0,254}", p), (name, p)
            assert p.lower() not in VBA_RESERVED, (name, p)
        assert len(params) == len(set(p.lower() for p in params)), name        # VBA is case-insensitive


def test_udf_wrappers_call_the_module_from_the_active_workbook(udf_wrappers):
    for name in xlfuncs.__all__:
        assert f'{name} = XLPy.CallUDF("xlfuncs", "{name}", Array(' in udf_wrappers
    assert "ThisWorkbook, Application.Caller" not in udf_wrappers
    assert udf_wrappers.isascii()                      # Chinese help goes through MacroOptions, not the module


def test_no_udf_is_volatile_and_none_runs_in_the_function_wizard(udf_wrappers):
    assert "Application.Volatile" not in udf_wrappers
    bodies = re.findall(r"^Function (\w+)\(.*?\n(.*?)^End Function", udf_wrappers, re.M | re.S)
    assert len(bodies) == len(xlfuncs.__all__)
    for name, body in bodies:
        assert 'If (Not Application.CommandBars("Standard").Controls(1).Enabled) Then Exit Function' in body, name


def test_every_udf_argument_reads_error_cells_as_text(classic):
    _, module = classic
    for name in xlfuncs.__all__:
        for arg in getattr(module, name).__xlfunc__["args"]:
            assert arg["options"].get("err_to_str") is True, (name, arg["name"])


# -- stage 2 (Windows with Excel) against a fake of its COM objects --------------------------------------------
def test_stage_two_names_the_project_and_imports_both_modules(built):
    (book,) = built.opened
    project = book.VBProject
    assert project.Name == "jsjb"                                        # not the skeleton's "MyAddin"
    modules = book.components.items
    assert not set(build_addin.SKELETON_MODULES_TO_DROP) & set(modules)
    assert {"xlwings", "JsjbRibbon", "xlwings_udfs", "Sheet2", "ThisWorkbook"} <= set(modules)
    const = [ln for ln in modules["xlwings"].CodeModule.lines if "PROJECT_NAME As String" in ln]
    assert const == ['Public Const PROJECT_NAME As String = "jsjb"']
    imported = dict(book.components.imported)
    assert imported["JsjbRibbon"] == source_bas().replace("\r\n", "\n").replace("\n", "\r\n").encode("cp936")
    assert book.saved and book.closed and built.quitted and built.display_alerts is False


def test_stage_two_gives_every_function_its_chinese_description(built):
    (book,) = built.opened
    described = {args[0]: kwargs for args, kwargs in book.Application.macro_options}
    assert set(described) == {f"'jsjb.xlam'!{name}" for name in xlfuncs.__all__}
    for name, options in described.items():
        assert re.search(r"[\u4e00-\u9fff]", options["Description"]), name
        assert options["Category"] and all(re.search(r"[\u4e00-\u9fff]", d) for d in options["ArgumentDescriptions"])
    assert not book.Application.runs                                      # no fallback needed


def test_udf_import_falling_back_becomes_a_chinese_build_error(package, classic, tmp_path, capsys, monkeypatch):
    """A COM error on Import sends xlwings to Application.Run("ImportXlwingsUdfsModule"), which needs
    an ActiveWorkbook the hidden build Excel lacks: a BuildError with the fix, not a traceback."""
    with pytest.raises(build_addin.BuildError) as e:
        stage_two(package, classic, refuse={"xlwings_udfs"})
    message = str(e.value)
    assert "单元格函数" in message and "关闭所有 Excel" in message and "信任对 VBA 工程对象模型的访问" in message
    # through main(): exit code 1 and the Chinese message on stderr
    monkeypatch.setattr(build_addin.sys, "platform", "win32")
    monkeypatch.setattr(build_addin, "TARGET", tmp_path / "build" / "jsjb.xlam")
    monkeypatch.setattr(build_addin, "interpreter_path", lambda: r"C:\py\pythonw.exe")
    with fake_windows_excel(classic, refuse={"xlwings_udfs"}) as excel:
        assert build_addin.main([]) == 1
    assert excel.quitted
    err = capsys.readouterr().err
    assert "单元格函数" in err and "Traceback" not in err


def test_stage_two_reports_a_refused_ribbon_module(package, classic):
    with pytest.raises(build_addin.BuildError, match="JsjbRibbon.bas"):
        stage_two(package, classic, refuse={"JsjbRibbon"})


# -- the VBA grammar ------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def grammar():
    return pytest.importorskip("vba_grammar")


@pytest.fixture(scope="module")
def ribbon_module(grammar, package):
    """JsjbRibbon.bas exactly as stage 2 imports it (cp936 bytes beside the package), parsed."""
    text = (package.parent / "JsjbRibbon.bas").read_bytes().decode("cp936")
    return grammar.parse_module(text)


def test_ribbon_module_parses_with_the_vba_grammar(ribbon_module, grammar):
    assert ribbon_module.errors == []
    procs = grammar.procedures(ribbon_module)
    assert {"RunJob", "ShowFailure", "JsjbAddinInfo", "JsjbSelfTest", "LedgerOpen"} <= set(procs)


def test_the_grammar_catches_a_broken_module(grammar):
    """The check can fail: a statement VBA would not compile gives an error."""
    broken = source_bas().replace("If Not LedgerOpen() Then Exit Sub", "If Not LedgerOpen() Exit Sub", 1)
    assert broken != source_bas() and grammar.parse_module(broken).errors
    unclosed = source_bas().replace('RunJob "import macros; macros.dispatch()"', 'RunJob "import macros; macros.dispatch()', 1)
    assert unclosed != source_bas() and grammar.parse_module(unclosed).errors


def test_every_ribbon_sub_handles_its_errors(ribbon_module, grammar):
    """Parse tree: each onAction Sub starts with ``On Error GoTo <label>``, checks for a ledger, leaves
    with ``Exit Sub`` before the label, and the handler calls ShowFailure with the button's label
    and the error — the Chinese message that names jsjb doctor, never a VBA debug dialog."""
    procs = grammar.procedures(ribbon_module)
    for button in ribbon_buttons():
        sub = button.get("onAction").split(".")[1]
        proc = procs[sub]
        assert grammar.parameters(proc).replace(" ", "") == "(controlAsIRibbonControl)", sub
        body = [s.getText().strip() for s in grammar.statements(proc)]
        m = re.fullmatch(r"On Error GoTo (\w+)", body[0])
        assert m, (sub, body[0])
        label = m.group(1)
        assert body[1] == "If Not LedgerOpen() Then Exit Sub", sub
        at = body.index(f"{label}:")
        assert body[at - 1] == "Exit Sub", sub
        assert body[at + 1] == f'ShowFailure "{button.get("label")}", Err.Number, Err.Description', sub
        assert at + 2 == len(body), sub                                  # nothing after the handler
    self_test = [s.getText().strip() for s in grammar.statements(procs["JsjbSelfTest"])]
    assert self_test[0] == "On Error GoTo Failed" and "Failed:" in self_test


def test_udf_wrappers_module_parses_with_the_vba_grammar(udf_wrappers, grammar):
    """The whole xlwings_udfs module as import_udfs wrote it: its #Const/#If (conditional
    compilation grammar) and the code Excel compiles on Windows (VBA grammar)."""
    assert udf_wrappers.startswith('Attribute VB_Name = "xlwings_udfs"')
    parsed = grammar.parse_module(udf_wrappers)
    assert parsed.errors == []
    assert set(grammar.procedures(parsed)) == set(xlfuncs.__all__)
    assert "ActiveWorkbook, Application.Caller" in parsed.code            # the branch Excel compiles


# -- versions and the offline wheel folder ----------------------------------------------------------------
def test_xlwings_is_pinned_to_the_installed_version():
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
    pins = [d for d in deps if re.match(r"xlwings\b", d)]
    assert pins == [f"xlwings=={xlwings.__version__}; sys_platform == 'win32'"]     # Windows only: the Excel door


def test_offline_wheel_command_targets_windows():
    wheels = load_script("build_wheels")
    cmd = wheels.download_command(Path("/tmp/w"), "3.13")
    assert cmd[1:4] == ["-m", "pip", "download"]
    joined = " ".join(cmd)
    assert "--platform win_amd64 --only-binary=:all: --python-version 3.13 -d /tmp/w" in joined
    assert f"xlwings=={xlwings.__version__}" in cmd and "pywin32" in cmd and "tzdata" in cmd
    assert wheels.wheel_command(Path("/tmp/w"))[1:5] == ["-m", "pip", "wheel", "--no-deps"]


def test_every_package_the_windows_door_imports_is_installed_there():
    """What the Excel door's modules (doctor_windows, macros, xlfuncs) import from outside the standard
    library is a run-time dependency on Windows — a test tool would be missing on the clerk's PC."""
    wheels = load_script("build_wheels")
    names = {re.split(r"[<>=~!; \[]", r, maxsplit=1)[0].lower().replace("_", "-") for r in wheels.requirements()}
    module_of = {"python-calamine": "python_calamine", "xlsxwriter": "xlsxwriter", "pywin32": "win32com"}
    pywin32 = {"pythoncom", "pywintypes", "win32api", "win32process"}
    provided = {module_of.get(n, n.replace("-", "_")) for n in names} | pywin32
    files = [ROOT / "jsjb" / "doctor_windows.py", *sorted((ROOT / "macros").glob("*.py")),
             *sorted((ROOT / "xlfuncs").glob("*.py"))]
    imported = set()
    for f in files:
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                imported.add(node.module.split(".")[0])
    outside = {m for m in imported if m not in sys.stdlib_module_names and m not in {"jsjb", "macros", "xlfuncs"}}
    assert "python_calamine" in outside and outside <= provided, sorted(outside - provided)


# -- writing and reading through Excel (macros.book_io) ----------------------------------------------------
@pytest.mark.parametrize("text", ["001", "13800138000", "110101199003077777", "2025-01-02", "1/2", "10:30",
                                  "2025年1月2日", "3-Jan", "TRUE", "false", "50%", "1e5", "=1+1", "+86 138"])
def test_text_excel_would_convert_gets_the_text_marker(text):
    from macros.book_io import cell

    assert cell(text) == "'" + text


@pytest.mark.parametrize("text", ["12345热线", "一般", "A-001", "工单2025", "R1", "东胜区国资委"])
def test_plain_text_is_written_as_is(text):
    from macros.book_io import cell

    assert cell(text) == text


def test_refresh_formulas_sets_as_of_and_reenters_only_unbound_columns():
    from jsjb.core import schema as S
    from jsjb.io.ledger_book import computed_formulas
    from macros import book_io

    class Cell:
        def __init__(self, formula="", value=None):
            self.formula2, self.value = formula, value

        def options(self, **kw):
            assert kw.get("err_to_str") is True or kw == {"ndim": 1}
            return self

        def expand(self, _):
            return self

    header = [c.name for c in S.INPUT_COLUMNS] + list(S.COMPUTED_COLUMNS)
    formulas = {k: book_io.excel_formula(v) for k, v in computed_formulas().items()}
    row2 = {i + 1: Cell(formulas.get(name, ""), 1.0) for i, name in enumerate(header)}
    status_col = header.index(S.STATUS) + 1
    row2[status_col] = Cell(formulas[S.STATUS], "#NAME?")          # not bound to the add-in
    stamp = Cell()

    class Sheet:
        def range(self, ref):
            return Cell(value=header) if ref == (1, 1) else row2[ref[1]]

    class Book:
        sheets = {S.SHEET_TICKETS: Sheet()}
        names = {S.AS_OF_NAME: type("Name", (), {"refers_to_range": stamp})()}

    when = dt.datetime(2026, 1, 5, 10)
    assert book_io.refresh_formulas(Book(), when) == [S.STATUS]
    assert stamp.value == when
    assert "#" in row2[status_col].formula2 and "ANCHORARRAY" not in row2[status_col].formula2

    class NoName(Book):
        names = {}

    assert book_io.refresh_formulas(NoName(), when) == list(S.COMPUTED_COLUMNS)   # recompute with 'now'


def test_refresh_finds_the_deadline_column_by_its_header():
    """A clerk added a column inside the table (README allows it): 办理期限 now stands one column
    further right; the formulas 刷新 re-enters read its spill where it is (AF2#), not AE2#."""
    from jsjb.core import schema as S
    from macros import book_io

    class Cell:
        def __init__(self, formula="", value=None):
            self.formula2, self.value = formula, value

        def options(self, **kw):
            return self

        def expand(self, _):
            return self

    inputs = list(S.INPUT_NAMES)
    header = inputs[:5] + ["自定义列"] + inputs[5:] + list(S.COMPUTED_COLUMNS)
    row2 = {i + 1: Cell() for i in range(len(header))}

    class Sheet:
        def range(self, ref):
            return Cell(value=header) if ref == (1, 1) else row2[ref[1]]

    class Book:
        sheets = {S.SHEET_TICKETS: Sheet()}
        names = {}

    assert book_io.refresh_formulas(Book(), dt.datetime(2026, 1, 5)) == list(S.COMPUTED_COLUMNS)
    deadline_col = xl_col_to_name(header.index(S.DEADLINE))
    assert deadline_col == "AF"
    for name in (S.MATERIALS_DUE, S.STATUS, S.TIMELY):
        formula = row2[header.index(name) + 1].formula2
        assert "(AF2#," in formula and "AE2" not in formula, (name, formula)
    assert row2[header.index(S.DEADLINE) + 1].formula2.startswith("=JSJB_DEADLINE(工单[派单时间]")


def test_the_guides_explain_example_uses_the_deadline_columns_ranges():
    """docs/安装说明.md's JSJB_EXPLAIN example reads the same cells and ranges as the template's
    办理期限 formula (row 2; 节假日 and 参数 included), so the explanation agrees with the column."""
    import inspect

    from jsjb.core import schema as S
    from jsjb.io.ledger_book import computed_formulas

    guide = (ROOT / "docs" / "安装说明.md").read_text(encoding="utf-8")
    (example,) = re.findall(r"`=JSJB_EXPLAIN\((.*?)\)`", guide)
    args = [a.strip() for a in example.split(",")]
    deadline = re.fullmatch(r"=JSJB_DEADLINE\((.*)\)", computed_formulas()[S.DEADLINE]).group(1).split(",")
    names = list(S.INPUT_NAMES)

    def cell(ref: str) -> str:            # 工单[派单时间] → I2 (the template's table starts at A1)
        return re.sub(r"工单\[(.+?)\]", lambda m: f"{xl_col_to_name(names.index(m.group(1)))}2", ref)

    assert args == [cell(a) for a in deadline]
    assert args[-2:] == ["'节假日'!$A$2:$C$3000", "'参数'!$A$2:$B$200"]
    sig = list(inspect.signature(xlfuncs.JSJB_EXPLAIN).parameters)
    assert len(args) == len(sig) and sig[-2:] == ["holidays", "params"]
