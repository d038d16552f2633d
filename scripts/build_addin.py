"""Build the Excel add-in ``build/jsjb.xlam`` — on Windows with desktop Excel and Python.

VBA can only be compiled inside Excel, so the add-in is assembled here from text sources:
  1. start from the ribbon add-in skeleton that ships with the installed xlwings package
     (what ``xlwings quickstart NAME --addin --ribbon`` copies; it holds xlwings' VBA module);
  2. put our ribbon (workbook/addin/customUI.xml) into the package as customUI/customUI.xml;
  3. in Excel: drop the skeleton's sample ribbon module, import workbook/addin/JsjbRibbon.bas
     (converted from UTF-8 to the system code page, which the VBA editor expects), write the
     add-in's xlwings.conf (UDF Modules = xlfuncs, this Python as interpreter) and import the
     UDF wrappers from ``xlfuncs`` into the add-in (xlwings' ImportPythonUDFsToAddin);
  4. save.

Requires: Windows, Excel (2021 or Microsoft 365 for spilling formulas), this project installed
in the running Python (``py -m pip install .``), pywin32, and — for step 3 only — Excel's
“信任对 VBA 工程对象模型的访问” (Trust access to the VBA project object model).
Usage:  py scripts\\build_addin.py   (see docs/安装说明.md)
"""

from __future__ import annotations

import locale
import shutil
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ADDIN_SRC = ROOT / "workbook" / "addin"
RIBBON_XML = ADDIN_SRC / "customUI.xml"
VBA_MODULES = [ADDIN_SRC / "JsjbRibbon.bas"]
SKELETON_MODULES_TO_DROP = ("RibbonMyAddin",)
TARGET = ROOT / "build" / "jsjb.xlam"


def skeleton() -> Path:
    import xlwings

    path = Path(xlwings.__file__).parent / "quickstart_addin_ribbon.xlam"
    if not path.exists():
        sys.exit(f"找不到 xlwings 的加载项模板：{path}")
    return path


def replace_ribbon(xlam: Path) -> None:
    """Rewrite the package with our customUI/customUI.xml (same relationship, same path)."""
    tmp = xlam.with_suffix(".tmp")
    with zipfile.ZipFile(xlam) as src, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as dst:
        names = src.namelist()
        if "customUI/customUI.xml" not in names:
            sys.exit("加载项模板中没有 customUI/customUI.xml，xlwings 版本可能不兼容。")
        for name in names:
            data = RIBBON_XML.read_bytes() if name == "customUI/customUI.xml" else src.read(name)
            dst.writestr(name, data)
    tmp.replace(xlam)


def import_vba(book) -> None:
    components = book.api.VBProject.VBComponents
    for name in SKELETON_MODULES_TO_DROP:
        try:
            components.Remove(components.Item(name))
        except Exception:  # noqa: BLE001 - absent in some skeleton versions
            pass
    encoding = locale.getpreferredencoding(False)     # e.g. cp936 on Chinese Windows
    with tempfile.TemporaryDirectory() as tmp:
        for module in VBA_MODULES:
            text = module.read_text(encoding="utf-8")
            ansi = Path(tmp) / module.name
            ansi.write_text(text, encoding=encoding, newline="\r\n")
            components.Import(str(ansi))


def write_conf(book) -> None:
    """The add-in's own xlwings.conf sheet (hidden in an add-in)."""
    names = [s.name for s in book.sheets]
    sheet = book.sheets["xlwings.conf"] if "xlwings.conf" in names else book.sheets.add("xlwings.conf")
    sheet.clear()
    sheet["A1"].value = [["UDF Modules", "xlfuncs"], ["Interpreter_Win", sys.executable],
                         ["Show Console", "False"]]


def main() -> None:
    if not sys.platform.startswith("win"):
        sys.exit("加载项只能在安装了 Excel 的 Windows 电脑上生成（见 docs/安装说明.md）。")
    import xlwings as xw

    TARGET.parent.mkdir(exist_ok=True)
    shutil.copyfile(skeleton(), TARGET)
    replace_ribbon(TARGET)
    app = xw.App(visible=False, add_book=False)
    try:
        book = app.books.open(str(TARGET))
        try:
            import_vba(book)
        except Exception as e:  # noqa: BLE001
            sys.exit("无法导入 VBA 模块：请在 Excel“文件→选项→信任中心→信任中心设置→宏设置”中勾选"
                     f"“信任对 VBA 工程对象模型的访问”后重试。（{e}）")
        write_conf(book)
        book.save()
        app.api.Run(f"'{book.name}'!ImportPythonUDFsToAddin")
        book.save()
        book.close()
    finally:
        app.quit()
    print(f"已生成加载项：{TARGET}\n下一步：Excel“文件→选项→加载项→转到→浏览”，选择该文件并勾选。")


if __name__ == "__main__":
    main()
