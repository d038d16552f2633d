"""One pure core: nothing under jsjb/core imports xlwings or openpyxl (or the doors)."""

import ast
from pathlib import Path

import jsjb.core

FORBIDDEN = ("xlwings", "openpyxl", "xlsxwriter", "fastexcel", "python_calamine", "jsjb.cli", "jsjb.io",
             "jsjb.jobs", "macros", "xlfuncs")


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
        elif isinstance(node, ast.ImportFrom) and node.level >= 2:
            names.add("jsjb." + (node.module or ""))
    return names


def test_the_core_imports_no_door_and_no_workbook_library():
    core = Path(jsjb.core.__file__).parent
    files = sorted(core.glob("*.py"))
    assert len(files) >= 8
    for f in files:
        bad = {n for n in imports_of(f) if n.startswith(FORBIDDEN)}
        assert not bad, f"{f.name} imports {bad}"


def test_the_library_never_imports_the_cli():
    pkg = Path(jsjb.core.__file__).parent.parent
    for f in pkg.rglob("*.py"):
        if f.name != "cli.py":
            assert "jsjb.cli" not in imports_of(f) and "cli" not in {
                n.split(".")[-1] for n in imports_of(f) if n.startswith("jsjb")}, f
