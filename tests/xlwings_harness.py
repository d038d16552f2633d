"""Test-harness speed fix: xlwings' ``utils.is_jsnull`` tries ``from pyodide.ffi import JsNull``
for every value it converts; outside Pyodide that import fails each time (≈0.2 ms per cell).
An inert stand-in module makes the failing import cheap and changes nothing else: no value is
ever an instance of this private class, exactly as no value is a JsNull outside Pyodide.
Only the tests and the benchmark use it; the product never runs the xlwings remote engine."""

import sys
import types


def install() -> None:
    if "pyodide.ffi" in sys.modules:
        return
    pyodide = types.ModuleType("pyodide")
    ffi = types.ModuleType("pyodide.ffi")

    class JsNull:  # never instantiated
        pass

    ffi.JsNull = JsNull
    pyodide.ffi = ffi
    sys.modules.setdefault("pyodide", pyodide)
    sys.modules["pyodide.ffi"] = ffi
