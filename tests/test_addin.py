"""The Excel add-in, everything of it that can be checked without Windows and Excel:
the ribbon XML and the VBA module agree with `macros`; the package that
``scripts/build_addin.py --package-only`` assembles (settings sheet ``jsjb.conf``, customUI, the
skeleton's VBA that stage 2 edits); the .bas in the ANSI code page; the UDF wrappers that
xlwings' own generator writes for `xlfuncs` compile as VBA (no reserved word, nothing volatile);
the exact xlwings pin; the offline-wheel command."""

import ast
import datetime as dt
import importlib.util
import io
import re
import sys
import types
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import classic_udfs
import pytest
import tomllib
import xlwings

import macros
import xlfuncs

ROOT = Path(__file__).resolve().parent.parent
ADDIN = ROOT / "workbook" / "addin"
NS = {"ui": "http://schemas.microsoft.com/office/2006/01/customui"}
MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
CHINESE_TEXTS = ("接诉即办", "请输入月份", "请先打开台账工作簿", "月份格式不正确", "将把 ")


def load_script(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


build_addin = load_script("build_addin")


def subs(bas: str) -> set[str]:
    return set(re.findall(r"^(?:Public |Private )?Sub (\w+)\s*\(", bas, re.M))


def source_bas() -> str:
    return (ADDIN / "JsjbRibbon.bas").read_text(encoding="utf-8")


# -- ribbon and VBA sources ------------------------------------------------------------------------
def test_ribbon_xml_is_well_formed_with_the_seven_buttons():
    root = ET.parse(ADDIN / "customUI.xml").getroot()
    tabs = root.findall(".//ui:tab", NS)
    assert [t.get("label") for t in tabs] == ["接诉即办"]
    labels = [b.get("label") for b in root.findall(".//ui:button", NS)]
    assert labels == ["刷新", "日调度", "月通报", "年度考核", "归档", "发送通报", "导入节假日"]
    assert labels == list(macros.BUTTONS)


def test_every_onaction_names_a_sub_of_the_module_that_first_checks_for_a_workbook():
    bas = source_bas()
    module = re.search(r'Attribute VB_Name = "(\w+)"', bas).group(1)
    defined = subs(bas)
    for button in ET.parse(ADDIN / "customUI.xml").getroot().findall(".//ui:button", NS):
        mod, sub = button.get("onAction").split(".")
        assert mod == module and sub in defined, button.get("onAction")
        body = re.search(rf"Sub {sub}\(control As IRibbonControl\)\r?\n(.*?)End Sub", bas, re.S).group(1)
        first = body.strip().splitlines()[0].strip()
        assert first == "If Not LedgerOpen() Then Exit Sub", sub
    guard = re.search(r"Private Function LedgerOpen\(\) As Boolean(.*?)End Function", bas, re.S).group(1)
    assert "ActiveWorkbook Is Nothing" in guard and "MsgBox" in guard


def test_every_runpython_calls_an_existing_macro_with_fitting_arguments():
    calls = re.findall(r'RunPython "(.*)"\s*$', source_bas(), re.M)
    assert len(calls) == 7
    for call in calls:
        python = re.sub(r'" & .+? & "', "X", call)           # the VBA expression becomes a literal
        tree = ast.parse(python)
        imports = [n for n in tree.body if isinstance(n, ast.Import)]
        assert imports and imports[0].names[0].name == "macros"
        expr = tree.body[-1].value
        assert isinstance(expr, ast.Call) and expr.func.value.id == "macros"
        func = getattr(macros, expr.func.attr)
        assert func.__name__ in macros.BUTTONS.values()
        assert len(expr.args) <= 1


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
    assert all(r[0] and r[1] for r in rows)                      # contiguous from A1, no empty value


def test_package_settings_read_by_a_second_reader(package):
    calamine = pytest.importorskip("python_calamine")
    wb = calamine.CalamineWorkbook.from_path(str(package))
    assert wb.sheet_names == ["jsjb.conf"]
    assert ["UDF Modules", "xlfuncs"] in wb.get_sheet_by_name("jsjb.conf").to_python()


def test_package_without_interpreter_leaves_the_key_out(tmp_path):
    xlam, _ = build_addin.assemble(tmp_path / "a.xlam")
    keys = [r[0] for r in read_sheets(xlam)["jsjb.conf"]]
    assert keys == ["UDF Modules", "Show Console"]


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
    assert 'xw.import_udfs(UDF_MODULE, book.api)' in code
    assert ".Run(" not in code
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


@pytest.fixture(scope="module")
def udf_wrappers(classic):
    """xlwings' own generate_vba_wrapper over the classic-decorated xlfuncs (pywin32 stubbed)."""
    udfs, module = classic
    out = io.StringIO()
    udfs.generate_vba_wrapper("xlfuncs", module, out, types.SimpleNamespace(Name="jsjb.xlam"))
    return out.getvalue()


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


# -- versions and the offline wheel folder ----------------------------------------------------------------
def test_xlwings_is_pinned_to_the_installed_version():
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
    pins = [d for d in deps if re.match(r"xlwings\b", d)]
    assert pins == [f"xlwings=={xlwings.__version__}"]


def test_offline_wheel_command_targets_windows():
    wheels = load_script("build_wheels")
    cmd = wheels.download_command(Path("/tmp/w"), "3.13")
    assert cmd[1:4] == ["-m", "pip", "download"]
    joined = " ".join(cmd)
    assert "--platform win_amd64 --only-binary=:all: --python-version 3.13 -d /tmp/w" in joined
    assert f"xlwings=={xlwings.__version__}" in cmd and "pywin32" in cmd and "tzdata" in cmd
    assert wheels.wheel_command(Path("/tmp/w"))[1:5] == ["-m", "pip", "wheel", "--no-deps"]


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
