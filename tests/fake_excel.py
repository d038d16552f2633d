"""A small fake of the win32com objects ``jsjb doctor`` touches (tests only), standing in for a
Windows PC with Excel and the jsjb add-in installed in one of several states.

What is faked, and how closely:
- **Excel's object model**: Application (Name, Path, Version, Hwnd, Visible, DisplayAlerts, AddIns,
  Workbooks.Open, Run, CalculateFull, Quit), Workbook (Name, Worksheets, Activate, Close),
  Worksheet (Name, Range(address).Value). Cell errors come back as pywin32 delivers them: the
  integer codes of VT_ERROR (-2146826259 = #NAME? …). A COM error is :class:`ComError`, raised
  with Excel's English text.
- **The add-in's VBA**: ``Run("'jsjb.xlam'!JsjbAddinInfo")`` answers ``<xlwings version>|jsjb``
  when the JsjbRibbon module is there; ``Run("'jsjb.xlam'!JsjbSelfTest", path)`` follows
  JsjbRibbon.bas (its return convention is checked against the .bas by tests/test_addin.py) over
  what xlwings' RunPython does with ``Use UDF Server``: a blocked cmd.exe → run-time error 1000
  "Could not create Python process … Access is denied" (70 "Permission denied" without the UDF
  server, xlwings #1420); an Interpreter_Win whose folder lacks the DLL → error 1 "Could not load
  xlwings64-….dll"; otherwise the configured interpreter really runs, as a subprocess, the
  Python command the VBA builds (``import macros; macros.self_test('…')``) after a preamble that
  stands in for xlwings' prepare_sys_path and Book.caller (:func:`mock_caller`: the ledger as an
  xlwings remote-engine JSON book). A Python error comes back as ``python|<traceback>`` (xlwings'
  ShowError writes it to the Error sheet when SHOW_ERROR_POPUPS = False).
- **The UDFs**: the computed columns show real values (``jsjb.jobs.compute`` of the ledger, what
  the add-in computes), #NAME? when the add-in or its xlwings_udfs module is missing, or the
  error text xlwings' wrapper puts in the cell when Python cannot start.
What it cannot show: real COM marshalling, Excel's own conversions, VBA compilation, dialogs.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

TESTS = Path(__file__).resolve().parent
NAME_ERROR = -2146826259
DLL = "xlwings64-{version}.dll"


class ComError(Exception):
    """Stands for pywintypes.com_error."""


# -- the Python side of the fake RunPython (runs in the subprocess) -------------------------------
def json_book_from_file(path, computed: bool = True):
    """A ledger file as an xlwings remote-engine book (every sheet's values, dates as serials).
    ``computed=False`` leaves out 工单台账's computed columns: the remote engine has no formulas
    (Range.formula2 is not implemented there), so 刷新's re-entry of them cannot run on it — it is
    tested on its own (tests/test_addin.py)."""
    import xlwings as xw
    from python_calamine import CalamineWorkbook

    from jsjb.core import schema as S

    def cell(v):
        if isinstance(v, dt.datetime):
            return (v - dt.datetime(1899, 12, 30)) / dt.timedelta(days=1)
        if isinstance(v, dt.date):
            return (v - dt.date(1899, 12, 30)).days
        if isinstance(v, dt.time):
            return (v.hour * 3600 + v.minute * 60 + v.second) / 86400
        return v

    wb = CalamineWorkbook.from_path(str(path))
    sheets = []
    for name in wb.sheet_names:
        rows = wb.get_sheet_by_name(name).to_python(skip_empty_area=False) or [[""]]
        if name == S.SHEET_TICKETS and not computed:
            keep = [j for j, h in enumerate(rows[0]) if h not in S.COMPUTED_COLUMNS]
            rows = [[r[j] for j in keep if j < len(r)] for r in rows]
        width = max(len(r) for r in rows)
        sheets.append({"name": name, "values": [[cell(v) for v in r] + [""] * (width - len(r)) for r in rows],
                       "pictures": [], "tables": []})
    data = {"client": "Office.js", "version": xw.__version__,
            "book": {"name": Path(path).name, "active_sheet_index": 0, "selection": "A1"},
            "sheets": sheets, "names": []}
    return xw.Book(json=data)


def mock_caller(path) -> None:
    """Book.caller() → the ledger, as RunPython arranges it on Windows (--wb= or BOOK_CALLER)."""
    json_book_from_file(path).set_mock_caller()


# -- the installation a test describes -----------------------------------------------------------------
@dataclass
class Install:
    """One PC's state. ``interpreter``: what jsjb.conf's Interpreter_Win names; ``site``: a site
    folder that interpreter has (another Python with the packages); ``modules``: the add-in's VBA
    modules; ``addin``: the add-in file (None: missing)."""
    interpreter: str | None = field(default_factory=lambda: sys.executable)
    site: str | None = None
    addin: Path | None = None
    ticked: bool = True
    modules: tuple = ("xlwings", "JsjbRibbon", "xlwings_udfs")
    asr: bool = False
    udf_server: bool = True
    wps: bool = False
    name_until_refresh: int = 0          # reads of the computed columns that show #NAME? before they bind
    answer: str | None = None            # JsjbAddinInfo's answer (default: this xlwings | jsjb)


# -- the object model ----------------------------------------------------------------------------------------
def _cells(address: str) -> tuple[tuple[int, int], tuple[int, int]]:
    from xlsxwriter.utility import xl_cell_to_rowcol

    def one(ref):
        row, col = xl_cell_to_rowcol(ref)
        return row + 1, col + 1
    first, _, last = address.partition(":")
    return one(first), one(last or first)


class Range:
    def __init__(self, sheet, address):
        self.sheet, self.address = sheet, address

    @property
    def Value(self):  # noqa: N802 - COM name
        (r1, c1), (r2, c2) = _cells(self.address)
        grid = tuple(tuple(self.sheet.cell(r, c) for c in range(c1, c2 + 1)) for r in range(r1, r2 + 1))
        return grid[0][0] if (r1, c1) == (r2, c2) else grid

    @Value.setter
    def Value(self, value):  # noqa: N802
        (r, c), _ = _cells(self.address)
        self.sheet.values[(r, c)] = value[1:] if isinstance(value, str) and value.startswith("'") else value


class Worksheet:
    def __init__(self, book, name, values=None):
        self.book, self.Name, self.values = book, name, values or {}

    def cell(self, r, c):
        return self.values.get((r, c))

    def Range(self, address):  # noqa: N802
        return Range(self, address)


class Tickets(Worksheet):
    """工单台账: the file's header and first rows; computed columns as the add-in shows them."""

    def Range(self, address):  # noqa: N802
        self.book.excel.reads += 1
        return Range(self, address)

    def cell(self, r, c):
        excel = self.book.excel
        name = self.header.get(c)
        if r >= 2 and name in self.computed:
            return excel.computed_cell(self.computed[name], r)
        return super().cell(r, c)


class Worksheets:
    def __init__(self, book):
        self.book, self.items = book, []

    def __call__(self, name):
        for s in self.items:
            if s.Name == name:
                return s
        raise ComError(f"Subscript out of range: {name}")

    def Add(self):  # noqa: N802
        sheet = Worksheet(self.book, f"Sheet{len(self.items) + 1}")
        self.items.insert(0, sheet)
        return sheet


class Workbook:
    def __init__(self, excel, path: Path):
        self.excel, self.path, self.Name, self.FullName = excel, path, path.name, str(path)
        self.Worksheets = Worksheets(self)
        self.closed = False

    def Activate(self):  # noqa: N802
        self.excel.active = self

    def Close(self, save=False):  # noqa: N802
        assert save is False, "doctor never saves"
        self.closed = True


class AddIn:
    def __init__(self, path: Path, installed: bool):
        self.Name, self.FullName, self.Installed = path.name, str(path), installed


class Workbooks:
    def __init__(self, excel):
        self.excel = excel

    def Open(self, path):  # noqa: N802
        path = Path(path)
        install = self.excel.install
        if path.suffix == ".xlam":
            if install.addin is None or path != install.addin or not path.exists():
                raise ComError(f"Sorry, we couldn't find {path}. Is it possible it was moved, renamed or deleted?")
            self.excel.addin_open = True
            return Workbook(self.excel, path)
        return self.excel.open_ledger(path)


class Excel:
    """Excel.Application as DispatchEx starts it: no add-in loaded, macros runnable (automation)."""

    def __init__(self, install: Install):
        self.install = install
        self.Name = "Microsoft Excel"          # WPS answers to the same name; its Path gives it away
        self.Path = (r"C:\Users\li\AppData\Local\Kingsoft\WPS Office\12.1.0.17900\office6" if install.wps
                     else r"C:\Program Files\Microsoft Office\root\Office16")
        self.Version = "16.0"
        self.Hwnd = 4242
        self.Visible = True
        self.DisplayAlerts = True
        self.Workbooks = Workbooks(self)
        self.addin_open = False
        self.active = None
        self.ledger = None
        self.calculations = 0
        self.reads = 0                  # reads of 工单台账's cells
        self.runs: list[tuple] = []
        self.quit = False
        addins = [AddIn(install.addin, install.ticked)] if install.addin else []
        self.AddIns = addins

    # -- workbooks
    def open_ledger(self, path: Path) -> Workbook:
        from python_calamine import CalamineWorkbook

        from jsjb.core import schema as S

        book = Workbook(self, path)
        rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(S.SHEET_TICKETS).to_python()[:6]
        sheet = Tickets(book, S.SHEET_TICKETS, {(r + 1, c + 1): v for r, row in enumerate(rows)
                                                for c, v in enumerate(row) if v != ""})
        sheet.header = {c + 1: str(v) for c, v in enumerate(rows[0])}
        sheet.computed = {name: c for c, name in sheet.header.items() if name in S.COMPUTED_COLUMNS}
        book.Worksheets.items.append(sheet)
        self.ledger = book
        return book

    def CalculateFull(self):  # noqa: N802
        self.calculations += 1

    def Quit(self):  # noqa: N802
        self.quit = True

    # -- what the UDFs show
    def computed_values(self):
        if not hasattr(self, "_computed"):
            from jsjb import jobs

            result = jobs.compute(self.ledger.path, as_of="2026-01-05 10:00")
            self._computed = result.tables["计算结果"]
        return self._computed

    def computed_cell(self, column: int, row: int):
        install = self.install
        name = self.ledger.Worksheets.items[-1].header[column]
        if not self.addin_open or "xlwings_udfs" not in install.modules:
            return NAME_ERROR
        if self.reads <= install.name_until_refresh:
            return NAME_ERROR
        problem = self.python_problem()
        if problem:
            return problem.split("|", 2)[-1] if row == 2 else None
        value = self.computed_values()[name].iloc[row - 2]
        return value.to_pydatetime() if hasattr(value, "to_pydatetime") else value

    # -- the add-in's VBA
    def Run(self, macro, *args):  # noqa: N802
        self.runs.append((macro, *args))
        install = self.install
        proc = macro.split("!")[-1]
        if not self.addin_open or "JsjbRibbon" not in install.modules:
            raise ComError(f"Cannot run the macro '{macro}'. The macro may not be available in this workbook "
                           "or all macros may be disabled.")
        if proc == "JsjbAddinInfo":
            import xlwings

            return install.answer or f"{xlwings.__version__}|jsjb"
        if proc == "JsjbSelfTest":
            return self.self_test(args[0])
        raise ComError(f"Cannot run the macro '{macro}'.")

    def python_problem(self) -> str | None:
        """What RunPython / the UDF server hits before any Python runs (VBA's answer), or None."""
        install = self.install
        if install.asr:
            if install.udf_server:
                return ("error|1000|Could not create Python process.\nError message: Access is denied.\n\n"
                        f'Command: cmd.exe  /K ""{install.interpreter}"" -B -c ""import sys, os;import xlwings.utils"')
            return "error|70|Permission denied"
        if not install.interpreter or not Path(install.interpreter).exists():
            import xlwings

            folder = str(Path(install.interpreter or "python").parent)
            return (f"error|1|Could not load {DLL.format(version=xlwings.__version__)} from either of the "
                    f"following folders: \n{folder}\n, {Path(folder).parent}")
        return None

    def self_test(self, report_path: str) -> str:
        """JsjbSelfTest (JsjbRibbon.bas): Kill the report, RunPython, then ok / nofile / python| / error|."""
        Path(report_path).unlink(missing_ok=True)
        problem = self.python_problem()
        if problem:
            return problem
        install = self.install
        text = report_path.replace("\\", "\\\\").replace("'", "\\'")           # PyText
        command = f"import macros; macros.self_test('{text}')"
        preamble = [f"import sys; sys.path[:0] = [{str(TESTS)!r}, {str(TESTS.parent)!r}]"]
        if install.site:
            preamble.append(f"import site; site.addsitedir({install.site!r})")
        preamble.append(f"import xlwings_harness; xlwings_harness.install(); import fake_excel; "
                        f"fake_excel.mock_caller({str(self.active.path)!r})")
        argv = [] if install.udf_server else [f"--wb={self.active.Name}", "--from_xl=1", "--hwnd=4242"]
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
        env.update(XLWINGS_ON_SERVER="true", XLWINGS_LICENSE_KEY="noncommercial", PYTHONDONTWRITEBYTECODE="1")
        run = subprocess.run([install.interpreter, "-B", "-c", "; ".join([*preamble, command]), *argv],
                             capture_output=True, text=True, env=env, timeout=300, cwd=str(Path(report_path).parent))
        if run.returncode != 0:
            return "python|" + run.stderr[-2000:]
        return "ok" if Path(report_path).exists() else "nofile"



# -- the add-in file as Excel saves it ---------------------------------------------------------------------
def excel_saved(xlam: Path, booleans: bool = False) -> Path:
    """Rewrite the package the way Excel saves it after stage 2 (our own generator, in place): the
    settings sheet's text moves into the shared-strings part (cells ``t="s"`` holding an index),
    the sheet keeps its codeName; ``booleans``: True/False typed as Excel booleans (``t="b"``),
    as a clerk who retypes them gets."""
    import re
    import xml.etree.ElementTree as ET
    import zipfile
    from xml.sax.saxutils import escape, unescape

    main = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    rel = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
    with zipfile.ZipFile(xlam) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    wb = ET.fromstring(parts["xl/workbook.xml"])
    rels = {r.get("Id"): r.get("Target") for r in ET.fromstring(parts["xl/_rels/workbook.xml.rels"])}
    sheet = next(s for s in wb.iter(f"{main}sheet") if s.get("name") == "jsjb.conf")
    part = "xl/" + rels[sheet.get(f"{rel}id")]
    strings: list[str] = []

    def shared(m: re.Match) -> str:
        ref, text = m.group(1), unescape(m.group(2))
        if booleans and ref.startswith("B") and text in ("True", "False"):
            return f'<c r="{ref}" s="1" t="b"><v>{int(text == "True")}</v></c>'
        if text not in strings:
            strings.append(text)
        return f'<c r="{ref}" s="1" t="s"><v>{strings.index(text)}</v></c>'

    xml = parts[part].decode("utf-8")
    xml = re.sub(r'<c r="([A-Z]+\d+)" t="inlineStr"><is><t(?: xml:space="preserve")?>(.*?)</t></is></c>', shared, xml)
    assert "inlineStr" not in xml
    parts[part] = xml.encode("utf-8")
    items = "".join(f"<si><t>{escape(s)}</t></si>" for s in strings)
    parts["xl/sharedStrings.xml"] = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                                     f'<sst xmlns="{main[1:-1]}" count="{len(strings)}" uniqueCount="{len(strings)}">'
                                     f"{items}</sst>").encode()
    assert "sharedStrings.xml" in parts["xl/_rels/workbook.xml.rels"].decode()
    assert "/xl/sharedStrings.xml" in parts["[Content_Types].xml"].decode()
    tmp = xlam.with_name(xlam.name + ".tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    tmp.replace(xlam)
    return xlam


# -- the build's Excel (scripts/build_addin.py stage 2) ----------------------------------------------------
class CodeModule:
    def __init__(self, text: str):
        self.lines = text.replace("\r\n", "\n").rstrip("\n").split("\n")

    @property
    def CountOfLines(self):  # noqa: N802
        return len(self.lines)

    def Lines(self, start, count):  # noqa: N802
        return "\r\n".join(self.lines[start - 1:start - 1 + count])

    def ReplaceLine(self, line, text):  # noqa: N802
        self.lines[line - 1] = text

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


class Component:
    def __init__(self, name, text):
        self.Name, self.CodeModule = name, CodeModule(text)


class Components:
    """VBProject.VBComponents; ``refuse``: module names whose Import raises a COM error (Excel's
    "Automation error 440" that sends xlwings to its fallback)."""

    def __init__(self, modules: dict[str, str], refuse=(), error=ComError):
        self.items = {name: Component(name, text) for name, text in modules.items()}
        self.refuse, self.error, self.imported = set(refuse), error, []

    def Item(self, name):  # noqa: N802
        if name not in self.items:
            raise self.error(f"Subscript out of range: {name}")
        return self.items[name]

    __call__ = Item

    def Remove(self, component):  # noqa: N802
        del self.items[component.Name]

    def Import(self, path):  # noqa: N802
        import re

        raw = Path(path).read_bytes()
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = raw.decode("cp936")                       # the ANSI code page of a Chinese Windows
        name = re.search(r'Attribute VB_Name = "(\w+)"', text).group(1)
        if name in self.refuse:
            raise self.error(-2147352567, "Exception occurred.", (0, None, None, None, 0, -2146827284), None)
        self.items[name] = Component(name, text)
        self.imported.append((name, raw))


class BuildApplication:
    def __init__(self, book):
        self.book, self.Version, self.macro_options, self.runs = book, "16.0", [], []

    def MacroOptions(self, *args, **kwargs):  # noqa: N802
        self.macro_options.append((args, kwargs))

    def Run(self, macro, *args):  # noqa: N802
        """The add-in's ImportXlwingsUdfsModule dereferences ActiveWorkbook — Nothing in a hidden
        Excel whose only workbook is an add-in: run-time error 91."""
        self.runs.append((macro, *args))
        raise self.book.components.error("Object variable or With block variable not set")


class BuildBook:
    """The add-in opened by ``xw.App().books.open`` (its ``api`` is the workbook COM object)."""

    def __init__(self, path: Path, refuse=(), error=ComError):
        from oletools.olevba import VBA_Parser

        parser = VBA_Parser(str(path))
        try:
            modules = {Path(name).stem: code for _, _, name, code in parser.extract_macros()}
        finally:
            parser.close()
        self.components = Components(modules, refuse, error)
        self.api = self
        self.Name = path.name
        self.VBProject = type("VBProject", (), {})()
        self.VBProject.Name = "MyAddin"
        self.VBProject.VBComponents = self.components
        self.Application = BuildApplication(self)
        self.saved = self.closed = False

    def save(self):
        self.saved = True

    def close(self):
        self.closed = True


class BuildExcel:
    """``xw.App(visible=False, add_book=False)`` for the build."""

    def __init__(self, refuse=(), error=ComError):
        self.refuse, self.error, self.opened, self.display_alerts, self.quitted = refuse, error, [], True, False
        self.books = self

    def __call__(self, **kwargs):
        assert kwargs == {"visible": False, "add_book": False}
        return self

    def open(self, path):
        book = BuildBook(Path(path), self.refuse, self.error)
        self.opened.append(book)
        return book

    def quit(self):
        self.quitted = True
