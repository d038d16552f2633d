"""The layers hold: core ← io ← jobs ← doors.

- nothing under jsjb/core imports xlwings, openpyxl or any other layer;
- the doors (CLI, buttons, cell functions, browser) import nothing from ``jsjb.io`` — they call jobs;
- nothing but the CLI imports the CLI.
Imports are resolved to absolute module names, relative ones (``from . import x``,
``from .io import y``, ``from ..core import z``) included."""

import ast
from pathlib import Path

import pytest

import jsjb

ROOT = Path(jsjb.__file__).parent.parent
CORE_FORBIDDEN = ("xlwings", "openpyxl", "xlsxwriter", "fastexcel", "python_calamine", "docx", "jsjb.cli",
                  "jsjb.io", "jsjb.jobs", "jsjb.web", "jsjb.doctor", "macros", "xlfuncs")


def module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def imports_of(path: Path) -> set[str]:
    """Every module ``path`` imports, as absolute names (``from a import b`` gives a and a.b)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module_name(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)] if node.level > 1 else package
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            names.add(module)
            names |= {f"{module}.{a.name}" for a in node.names}
    return names


def test_relative_imports_are_resolved():
    """The resolver itself: a single-dot import inside jsjb/jobs names jsjb.jobs.…; two dots jsjb.…"""
    found = imports_of(ROOT / "jsjb" / "jobs" / "__init__.py")
    assert "jsjb.jobs.base" in found and "jsjb.io.runlog" in found


def python_files(*parts):
    base = ROOT.joinpath(*parts)
    return sorted(base.rglob("*.py")) if base.is_dir() else [base]


def test_the_core_imports_no_door_and_no_workbook_library():
    files = python_files("jsjb", "core")
    assert len(files) >= 8
    for f in files:
        bad = {n for n in imports_of(f) if n.startswith(CORE_FORBIDDEN)}
        assert not bad, f"{f.name} imports {bad}"


DOORS = [("jsjb", "cli.py"), ("macros",), ("xlfuncs",), ("jsjb", "web")]


@pytest.mark.parametrize("door", DOORS, ids=lambda d: "/".join(d))
def test_doors_call_jobs_and_never_the_io_layer(door):
    files = python_files(*door)
    if not files or not files[0].exists():
        pytest.skip("door not present")
    for f in files:
        bad = {n for n in imports_of(f) if n == "jsjb.io" or n.startswith("jsjb.io.")}
        assert not bad, f"{f.relative_to(ROOT)} imports {bad}"


def test_the_library_never_imports_the_cli():
    for f in (ROOT / "jsjb").rglob("*.py"):
        if f.name not in ("cli.py", "__main__.py", "launch.py"):     # launch.py: the program's entry point
            assert not {n for n in imports_of(f) if n == "jsjb.cli" or n.startswith("jsjb.cli.")}, f
