"""Classic (COM) xlwings on Linux, for tests only: `xlwings.udfs` — the module the Windows add-in
uses to generate the VBA wrappers and to call UDFs — with pywin32 stubbed via sys.modules, and a
second copy of `xlfuncs` decorated by its classic ``xlfunc``/``xlarg`` (the test session runs
xlwings in server mode, whose decorators record different metadata).

Also ``com_value``: what classic xlwings hands a UDF for a range, following the COM path of
``udfs.call_udf`` → ``conversion.read`` with the default options: a 1×1 range → a scalar, an n×1
or 1×n range → a 1-D list, otherwise a 2-D list; numbers as floats; dates as naive datetimes;
empty cells as None; error cells as None, or as their text ("#N/A") where the argument has
``err_to_str=True``."""

from __future__ import annotations

import contextlib
import datetime as dt
import importlib.util
import sys
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STUBBED = ("pythoncom", "pywintypes", "win32com", "win32com.client")


class ExcelError:
    """A cell error as COM delivers it (an int code in the value array)."""

    CODES = {"#DIV/0!": -2146826281, "#N/A": -2146826246, "#NAME?": -2146826259, "#NULL!": -2146826288,
             "#NUM!": -2146826252, "#REF!": -2146826265, "#VALUE!": -2146826273}

    def __init__(self, text: str):
        self.text = text


class ComError(Exception):
    """Stands for pywintypes.com_error (what xlwings.udfs catches from COM calls)."""


@contextlib.contextmanager
def _pywin32_stubs():
    saved = {k: sys.modules.get(k) for k in (*STUBBED, "xlwings.udfs")}
    pythoncom = types.ModuleType("pythoncom")
    pythoncom.CoInitialize = lambda: None
    win32com = types.ModuleType("win32com")
    client = types.ModuleType("win32com.client")
    client.Dispatch = lambda *a, **k: None
    win32com.client = client
    pywintypes = types.ModuleType("pywintypes")
    pywintypes.com_error = ComError
    sys.modules.update({"pythoncom": pythoncom, "pywintypes": pywintypes,
                        "win32com": win32com, "win32com.client": client})
    sys.modules.pop("xlwings.udfs", None)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                sys.modules.pop(k, None)
            else:
                sys.modules[k] = v


def load():
    """→ (xlwings.udfs module, a classic-decorated copy of xlfuncs)."""
    import xlwings

    with _pywin32_stubs():
        import xlwings.udfs as udfs

        saved = {k: getattr(xlwings, k) for k in ("func", "arg", "ret")}
        xlwings.func, xlwings.arg, xlwings.ret = udfs.xlfunc, udfs.xlarg, udfs.xlret
        name = "xlfuncs_classic"
        try:
            spec = importlib.util.spec_from_file_location(name, ROOT / "xlfuncs" / "__init__.py",
                                                          submodule_search_locations=[str(ROOT / "xlfuncs")])
            module = importlib.util.module_from_spec(spec)
            sys.modules[name] = module
            spec.loader.exec_module(module)
        finally:
            for k, v in saved.items():
                setattr(xlwings, k, v)
    return udfs, module


def _cell(v, err_to_str: bool):
    if isinstance(v, ExcelError):
        return v.text if err_to_str else None
    if v is None or v == "":
        return None
    if isinstance(v, bool) or isinstance(v, str) or isinstance(v, dt.datetime):
        return v
    if isinstance(v, dt.date):
        return dt.datetime.combine(v, dt.time())
    if isinstance(v, (int, float)):
        return float(v)
    raise TypeError(v)


def com_value(grid, err_to_str: bool = False):
    """A range's cells (a scalar, or rows of cells) → the Python value the UDF receives."""
    rows = grid if isinstance(grid, list) and grid and isinstance(grid[0], list) else [[grid]]
    clean = [[_cell(v, err_to_str) for v in r] for r in rows]
    if len(clean) == 1 and len(clean[0]) == 1:
        return clean[0][0]
    if len(clean) == 1:
        return clean[0]
    if all(len(r) == 1 for r in clean):
        return [r[0] for r in clean]
    return clean


def call(func, *grids):
    """Call a classic-decorated UDF as call_udf would: each argument a range (or None = omitted,
    which passes the Python default)."""
    info = func.__xlfunc__["args"]
    args = []
    for i, grid in enumerate(grids):
        if grid is None:
            args.append(info[i].get("optional"))
        else:
            args.append(com_value(grid, info[i]["options"].get("err_to_str", False)))
    return func(*args)
