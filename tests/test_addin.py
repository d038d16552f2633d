"""The add-in sources: the ribbon XML is well-formed, every button's onAction names a Sub in
the VBA module, and every RunPython names an existing function in `macros`."""

import ast
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import macros

ADDIN = Path(__file__).resolve().parent.parent / "workbook" / "addin"
NS = {"ui": "http://schemas.microsoft.com/office/2006/01/customui"}


def subs(bas: str) -> set[str]:
    return set(re.findall(r"^(?:Public |Private )?Sub (\w+)\s*\(", bas, re.M))


def test_ribbon_xml_is_well_formed_with_the_six_buttons():
    root = ET.parse(ADDIN / "customUI.xml").getroot()
    tabs = root.findall(".//ui:tab", NS)
    assert [t.get("label") for t in tabs] == ["接诉即办"]
    labels = [b.get("label") for b in root.findall(".//ui:button", NS)]
    assert labels == ["刷新", "日调度", "月通报", "年度考核", "归档", "发送通报"]
    assert labels == list(macros.BUTTONS)


def test_every_onaction_names_a_sub_of_the_module():
    bas = (ADDIN / "JsjbRibbon.bas").read_text(encoding="utf-8")
    module = re.search(r'Attribute VB_Name = "(\w+)"', bas).group(1)
    defined = subs(bas)
    for button in ET.parse(ADDIN / "customUI.xml").getroot().findall(".//ui:button", NS):
        mod, sub = button.get("onAction").split(".")
        assert mod == module and sub in defined, button.get("onAction")
        assert re.search(rf"Sub {sub}\(control As IRibbonControl\)", bas), sub


def test_every_runpython_calls_an_existing_macro_with_fitting_arguments():
    bas = (ADDIN / "JsjbRibbon.bas").read_text(encoding="utf-8")
    calls = re.findall(r'RunPython "(.*)"\s*$', bas, re.M)
    assert len(calls) == 6
    for call in calls:
        python = re.sub(r'" & \w+ & "', "X", call)           # the VBA variable becomes a literal
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


def test_build_script_names_the_sources_it_needs():
    script = (Path(__file__).resolve().parent.parent / "scripts" / "build_addin.py").read_text(encoding="utf-8")
    for needed in ("customUI.xml", "JsjbRibbon.bas", "ImportPythonUDFsToAddin", "UDF Modules", "xlfuncs"):
        assert needed in script
