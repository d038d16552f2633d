"""Build the Excel add-in ``jsjb.xlam`` (CONTRACT §4, DESIGN "Excel deployment").

Two stages:

1. **Package assembly — runs anywhere** (``--package-only OUT.xlam``). An ``.xlam`` is an OOXML
   (zip) package. Starting from the ribbon add-in skeleton of the installed xlwings (what
   ``xlwings quickstart NAME --addin --ribbon`` copies), it writes:
     - ``customUI/customUI.xml`` ← workbook/addin/customUI.xml (the 接诉即办 tab);
     - the settings sheet renamed from the skeleton's inactive ``_myaddin.conf`` to ``jsjb.conf``,
       holding ``UDF Modules`` = ``xlfuncs``, ``Use UDF Server`` = ``True`` (RunPython runs in the
       Python process the cell functions already keep warm, no new process per click),
       ``Show Console`` = ``False`` and, when given, ``Interpreter_Win`` (the full interpreter
       path: the Python Install Manager puts nothing on PATH). The sheet keeps the skeleton's
       codeName (``Sheet2``): the VBA project holds a document module of that name, and a sheet
       without it would leave a stray module in the VBA editor once Excel saves the add-in;
     - the document properties (title 接诉即办, the xlwings version the VBA was made for);
   and beside it ``JsjbRibbon.bas`` in the ANSI code page cp936 with CRLF line ends, byte for
   byte what stage 2 imports.
   What the package-only output lacks — only Excel can compile VBA, and ``xl/vbaProject.bin``
   (a compound file holding compressed source plus compiled p-code) is copied unchanged from
   the skeleton:
     - the ``JsjbRibbon`` module (the buttons' Subs): the ribbon's onAction targets are missing;
     - the ``xlwings_udfs`` module (the UDF wrappers) and the Chinese function/argument
       descriptions (MacroOptions): the JSJB_* functions do not exist yet;
     - ``PROJECT_NAME = "jsjb"``: the skeleton's VBA still says ``"myaddin"``, so until stage 2
       the add-in reads the sheet ``myaddin.conf`` and ignores ``jsjb.conf``;
     - and it still contains the skeleton's sample module ``RibbonMyAddin``.
   It is therefore an intermediate for stage 2 and for tests, not something to install.

2. **Finishing in Excel — Windows with desktop Excel** (no option). Opens the assembled package
   in a hidden Excel and, through the VBA project object model: names the VBA project ``jsjb``
   (the skeleton's is ``MyAddin``), removes ``RibbonMyAddin``, sets ``PROJECT_NAME = "jsjb"`` in
   the ``xlwings`` module, imports ``JsjbRibbon.bas`` and the UDF wrappers with
   ``xw.import_udfs("xlfuncs", book.api)`` (no active workbook needed — unlike
   ImportPythonUDFsToAddin via Application.Run, which dereferences ActiveWorkbook), then saves.
   When the direct import hits a COM error, xlwings falls back to the add-in's macro
   ``ImportXlwingsUdfsModule``, which imports into ActiveWorkbook — Nothing in the hidden build
   Excel: that failure becomes a :class:`BuildError` with a Chinese message, not a traceback.
   ``--install`` also copies the add-in to ``%APPDATA%\\Microsoft\\AddIns`` and ticks it in Excel.

Stage 2 requires: this project installed in the running Python (``python -m pip install .``,
which pins the xlwings version whose DLL the VBA names), pywin32 (an xlwings dependency on
Windows) and Excel's “信任对 VBA 工程对象模型的访问” (Trust access to the VBA project object model).

Usage:
  python scripts/build_addin.py                           # Windows: build\\jsjb.xlam
  python scripts/build_addin.py --install                 # … and install it for this user
  python scripts/build_addin.py --package-only OUT.xlam   # anywhere: the package + JsjbRibbon.bas
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import shutil
import sys
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parent.parent
ADDIN_SRC = ROOT / "workbook" / "addin"
RIBBON_XML = ADDIN_SRC / "customUI.xml"
RIBBON_BAS = ADDIN_SRC / "JsjbRibbon.bas"
TARGET = ROOT / "build" / "jsjb.xlam"

PROJECT_NAME = "jsjb"                       # CONTRACT §4: the add-in's xlwings project name
CONF_SHEET = PROJECT_NAME + ".conf"         # the sheet a custom add-in reads: PROJECT_NAME & ".conf"
UDF_MODULE = "xlfuncs"
VBA_CODEPAGE = "cp936"                      # the ANSI code page of Chinese Windows (GBK)
SKELETON_NAME = "quickstart_addin_ribbon.xlam"
SKELETON_CONF_SHEET = "_myaddin.conf"
SKELETON_MODULES_TO_DROP = ("RibbonMyAddin",)
XLWINGS_VBA_MODULE = "xlwings"              # the skeleton's VBA module that declares PROJECT_NAME
PROJECT_NAME_LINE = re.compile(r'^(\s*Public Const PROJECT_NAME As String = )"(\w*)"\s*$')

PART_WORKBOOK = "xl/workbook.xml"
PART_CUSTOM_UI = "customUI/customUI.xml"
PART_VBA = "xl/vbaProject.bin"
PART_CORE = "docProps/core.xml"
NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


class BuildError(Exception):
    """A build step failed; the message (Chinese) says what to do."""


# -- stage 1: the package --------------------------------------------------------------------------
def skeleton() -> Path:
    import xlwings

    path = Path(xlwings.__file__).parent / SKELETON_NAME
    if not path.exists():
        raise BuildError(f"找不到 xlwings 的加载项模板：{path}（xlwings 安装不完整，请重新安装本工具）")
    return path


def xlwings_version() -> str:
    import xlwings

    return xlwings.__version__


def settings(interpreter: str | None = None) -> list[tuple[str, str]]:
    """The rows of the ``jsjb.conf`` sheet (key in column A, value in B, from A1 down with no gap:
    xlwings reads down to the first blank). Only keys with a value: a key present with an empty
    value would hide the same key in ``jsjb.conf`` beside the ledger or in the user's file."""
    rows = [("UDF Modules", UDF_MODULE)]
    if interpreter:
        rows.append(("Interpreter_Win", interpreter))
    rows += [("Use UDF Server", "True"), ("Show Console", "False")]
    return rows


def conf_sheet_xml(rows: list[tuple[str, str]], code_name: str | None = None) -> bytes:
    """A worksheet part with inline strings (no shared-strings bookkeeping needed; Excel turns
    them into shared strings when stage 2 saves). ``code_name``: the sheet's VBA codeName."""
    def cell(ref: str, text: str) -> str:
        space = ' xml:space="preserve"' if text != text.strip() else ""
        return f'<c r="{ref}" t="inlineStr"><is><t{space}>{escape(text)}</t></is></c>'

    body = "".join(f'<row r="{i}">{cell(f"A{i}", k)}{cell(f"B{i}", v)}</row>' for i, (k, v) in enumerate(rows, 1))
    sheet_pr = f'<sheetPr codeName="{escape(code_name)}"/>' if code_name else ""
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            f'<worksheet xmlns="{NS_MAIN}">{sheet_pr}<dimension ref="A1:B{len(rows)}"/>'
            '<sheetViews><sheetView workbookViewId="0"/></sheetViews>'
            '<cols><col min="1" max="1" width="18" customWidth="1"/><col min="2" max="2" width="60" customWidth="1"/></cols>'
            f'<sheetData>{body}</sheetData>'
            '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/></worksheet>'
            ).encode()


def _sheet_part(workbook_xml: str, rels_xml: str, sheet: str) -> str:
    """The package path of the worksheet called ``sheet`` (via its relationship id)."""
    m = re.search(rf'<sheet\b[^>]*\bname="{re.escape(sheet)}"[^>]*/>', workbook_xml)
    if not m:
        raise BuildError(f"加载项模板中没有“{sheet}”工作表，xlwings 版本可能不兼容。")
    rid = re.search(r'\br:id="([^"]+)"', m.group(0)).group(1)
    rel = re.search(rf'<Relationship\b[^>]*\bId="{re.escape(rid)}"[^>]*/>', rels_xml)
    target = re.search(r'\bTarget="([^"]+)"', rel.group(0)).group(1)
    return target.lstrip("/") if target.startswith("/") else "xl/" + target


def code_name(sheet_xml: str) -> str | None:
    """The VBA codeName a worksheet part carries (``<sheetPr codeName="…">``)."""
    m = re.search(r'<sheetPr\b[^>]*\bcodeName="([^"]+)"', sheet_xml)
    return m.group(1) if m else None


def core_properties(version: str) -> bytes:
    now = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
            '<dc:title>接诉即办</dc:title>'
            '<dc:description>接诉即办工单台账加载项：单元格函数 JSJB_* 和功能区“接诉即办”选项卡。</dc:description>'
            f'<cp:keywords>jsjb xlwings={escape(version)}</cp:keywords>'
            '<dc:creator>jsjb</dc:creator>'
            f'<dcterms:created xsi:type="dcterms:W3CDTF">{now}</dcterms:created>'
            f'<dcterms:modified xsi:type="dcterms:W3CDTF">{now}</dcterms:modified>'
            '</cp:coreProperties>').encode()


def bas_bytes(source: Path = RIBBON_BAS) -> bytes:
    """The VBA module as the VBA editor imports it: cp936 with CRLF. The source is UTF-8 (the
    repository's encoding); Python's own default would be UTF-8 under UTF-8 mode — garbled
    Chinese in the VBA editor."""
    text = source.read_text(encoding="utf-8")
    text = text.replace("\r\n", "\n").replace("\n", "\r\n")
    try:
        return text.encode(VBA_CODEPAGE)
    except UnicodeEncodeError as e:
        raise BuildError(f"{source.name} 中的字符“{e.object[e.start:e.end]}”无法用 {VBA_CODEPAGE} 编码，"
                         "VBA 编辑器无法显示，请改用常用汉字。") from None


def assemble(out: Path, interpreter: str | None = None, source: Path | None = None) -> tuple[Path, Path]:
    """Stage 1: write the package ``out`` and ``JsjbRibbon.bas`` beside it. Returns both paths."""
    source = source or skeleton()
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(source) as src:
        names = src.namelist()
        for needed in (PART_WORKBOOK, PART_CUSTOM_UI, PART_VBA, "xl/_rels/workbook.xml.rels"):
            if needed not in names:
                raise BuildError(f"加载项模板中没有 {needed}，xlwings 版本可能不兼容。")
        workbook = src.read(PART_WORKBOOK).decode("utf-8")
        rels = src.read("xl/_rels/workbook.xml.rels").decode("utf-8")
        conf_part = _sheet_part(workbook, rels, SKELETON_CONF_SHEET)
        workbook = workbook.replace(f'name="{SKELETON_CONF_SHEET}"', f'name="{CONF_SHEET}"', 1)
        sheet = conf_sheet_xml(settings(interpreter), code_name(src.read(conf_part).decode("utf-8")))
        replaced = {PART_WORKBOOK: workbook.encode("utf-8"), conf_part: sheet,
                    PART_CUSTOM_UI: RIBBON_XML.read_bytes(), PART_CORE: core_properties(xlwings_version())}
        order = ["[Content_Types].xml"] + [n for n in names if n != "[Content_Types].xml"]
        tmp = out.with_name(out.name + ".tmp")
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as dst:
            for name in order:
                dst.writestr(name, replaced.get(name, src.read(name)))
    tmp.replace(out)
    bas = out.with_name(RIBBON_BAS.name)
    bas.write_bytes(bas_bytes())
    return out, bas


# -- stage 2: Excel (Windows) ------------------------------------------------------------------------
def interpreter_path(executable: str = sys.executable, environ=os.environ) -> str:
    """The interpreter for the add-in's settings: pythonw.exe beside the running python.exe (no
    console window), written with %LOCALAPPDATA% / %USERPROFILE% where it lies below them (the
    add-in expands environment variables), so the same add-in works for another user who
    installed Python the same way."""
    path = executable
    exe = Path(executable)
    if exe.name.lower() == "python.exe" and (exe.parent / "pythonw.exe").exists():
        path = str(exe.parent / "pythonw.exe")
    for var in ("LOCALAPPDATA", "APPDATA", "USERPROFILE"):
        base = environ.get(var)
        if base and path.lower().startswith(base.rstrip("\\").lower() + "\\"):
            return f"%{var}%" + path[len(base.rstrip("\\")):]
    return path


def set_project_name(components, name: str = PROJECT_NAME) -> None:
    module = components.Item(XLWINGS_VBA_MODULE).CodeModule
    hits = [i for i in range(1, module.CountOfLines + 1) if PROJECT_NAME_LINE.match(module.Lines(i, 1))]
    if len(hits) != 1:
        raise BuildError("在 xlwings 的 VBA 模块中找不到唯一的 PROJECT_NAME 常量，xlwings 版本可能不兼容。")
    line = module.Lines(hits[0], 1)
    module.ReplaceLine(hits[0], PROJECT_NAME_LINE.sub(rf'\1"{name}"', line))


def import_udfs(book_api) -> None:
    """The UDF wrappers and their Chinese descriptions (MacroOptions), by xlwings' own
    ``import_udfs``. Its fallback after a COM error — ``Application.Run("ImportXlwingsUdfsModule")``,
    which imports into ActiveWorkbook — cannot work in the hidden build Excel (no active
    workbook): any failure here becomes a BuildError that says what to do."""
    import xlwings as xw

    try:
        xw.import_udfs(UDF_MODULE, book_api)
    except Exception as e:  # noqa: BLE001 - pywintypes.com_error and whatever the fallback raises
        raise BuildError("无法把单元格函数（JSJB_*）导入加载项：Excel 拒绝了 VBA 模块的导入，xlwings 的备用办法又需要"
                         "一个活动工作簿，而后台生成用的 Excel 没有。请：1. 关闭所有 Excel 窗口（任务管理器中也不要留下 "
                         "EXCEL.EXE）后重新运行本脚本；2. 确认已勾选“信任对 VBA 工程对象模型的访问”；3. 仍失败时把本信息"
                         f"发给系统管理员。（{type(e).__name__}：{e}）") from None


def finish_in_excel(xlam: Path, bas: Path) -> None:
    """Stage 2: add the VBA (ribbon module, PROJECT_NAME, UDF wrappers) through COM and save."""
    import xlwings as xw

    app = xw.App(visible=False, add_book=False)
    try:
        app.display_alerts = False
        book = app.books.open(str(xlam))
        try:
            project = book.api.VBProject
            components = project.VBComponents
        except Exception as e:  # noqa: BLE001 - COM error when the VBA project is not accessible
            raise BuildError("无法访问 VBA 工程：请在 Excel“文件→选项→信任中心→信任中心设置→宏设置”中勾选"
                             f"“信任对 VBA 工程对象模型的访问”后重试（生成后可取消）。（{e}）") from None
        project.Name = PROJECT_NAME                     # the skeleton's project is "MyAddin"
        for name in SKELETON_MODULES_TO_DROP:
            try:
                components.Remove(components.Item(name))
            except Exception:  # noqa: BLE001 - absent in some skeleton versions
                pass
        set_project_name(components)
        try:
            components.Import(str(bas))
        except Exception as e:  # noqa: BLE001 - COM error
            raise BuildError(f"无法导入按钮模块 {bas.name}：{e}。请关闭所有 Excel 窗口后重试。") from None
        import_udfs(book.api)                           # wrappers + MacroOptions (Chinese descriptions)
        book.save()
        book.close()
    finally:
        app.quit()


def addins_folder(environ=os.environ) -> Path:
    return Path(environ.get("APPDATA", "~")) / "Microsoft" / "AddIns"


def install(xlam: Path) -> Path:
    """Copy to %APPDATA%\\Microsoft\\AddIns and tick it in Excel's add-in list."""
    import xlwings as xw

    dest = addins_folder() / xlam.name
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(xlam, dest)
    app = xw.App(visible=False, add_book=False)
    try:
        book = app.books.add()                  # AddIns.Add fails while no workbook is open
        app.api.AddIns.Add(str(dest)).Installed = True
        book.close()
    finally:
        app.quit()
    return dest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="生成 Excel 加载项 jsjb.xlam（见 docs/安装说明.md）")
    parser.add_argument("--package-only", metavar="OUT.xlam", type=Path,
                        help="只组装加载项文件包（任何系统均可运行；不含只有 Excel 能加入的 VBA 部分）")
    parser.add_argument("--interpreter", help="写入 jsjb.conf 的 Interpreter_Win（默认：运行本脚本的 Python）")
    parser.add_argument("--install", action="store_true", help="生成后复制到 %%APPDATA%%\\Microsoft\\AddIns 并在 Excel 中勾选")
    args = parser.parse_args(argv)
    try:
        if args.package_only:
            xlam, bas = assemble(args.package_only, args.interpreter)
            print(f"已组装加载项文件包：{xlam}\n以及 VBA 模块（{VBA_CODEPAGE}）：{bas}\n"
                  "注意：文件包尚不含按钮模块和单元格函数，需在装有 Excel 的 Windows 电脑上运行"
                  " python scripts\\build_addin.py 完成。")
            return 0
        if not sys.platform.startswith("win"):
            raise BuildError("完整的加载项只能在装有 Excel 的 Windows 电脑上生成；"
                             "其他系统请用 --package-only（见 docs/安装说明.md）。")
        xlam, bas = assemble(TARGET, args.interpreter or interpreter_path())
        finish_in_excel(xlam, bas)
        print(f"已生成加载项：{xlam}")
        if args.install:
            print(f"已安装到：{install(xlam)}\n请重新打开 Excel，然后运行 jsjb doctor 自检。")
        else:
            print("下一步：python scripts\\build_addin.py --install，或把它复制到 %APPDATA%\\Microsoft\\AddIns 后在"
                  " Excel“文件→选项→加载项→转到”中勾选“接诉即办”。")
        return 0
    except BuildError as e:
        print(str(e), file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
