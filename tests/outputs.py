"""Shared checks of written workbooks: semantic cell dumps, caller-data scans, LibreOffice."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
import tempfile
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd

from jsjb.core import schema as S


def cells(path: Path) -> dict[str, list[list]]:
    """Every sheet's cell values (JSON-friendly): the semantic content of a workbook."""
    wb = openpyxl.load_workbook(path)
    out = {}
    for ws in wb.worksheets:
        rows = []
        for row in ws.iter_rows(values_only=True):
            rows.append([v.isoformat() if isinstance(v, dt.datetime | dt.date) else
                         (round(v, 6) if isinstance(v, float) else v) for v in row])
        while rows and all(v is None for v in rows[-1]):
            rows.pop()
        out[ws.title] = rows
    return out


def xml_text(path: Path) -> str:
    with zipfile.ZipFile(path) as z:
        return "\n".join(z.read(n).decode("utf-8") for n in z.namelist() if n.endswith(".xml"))


def formulas_in(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as z:
        return [n for n in z.namelist() if n.startswith("xl/worksheets/") and "<f>" in z.read(n).decode("utf-8")
                or "<f " in z.read(n).decode("utf-8")]


def caller_data(tickets: pd.DataFrame) -> dict[str, set[str]]:
    """The caller data of a ledger (R19) — what no output may contain."""
    names = {str(x) for x in tickets[S.CALLER].dropna() if len(str(x)) >= 2}
    phones = {re.sub(r"\D", "", str(x)) for x in tickets[S.PHONE].dropna()}
    addresses = {str(x) for x in tickets[S.ADDRESS].dropna()}
    return {"name": names, "phone": {p for p in phones if len(p) >= 7}, "address": addresses}


def leaks(path: Path, secrets: dict[str, set[str]]) -> list[str]:
    text = xml_text(path)
    found = []
    for kind, values in secrets.items():
        for v in values:
            if v in text:
                found.append(f"{path.name}: {kind} {v}")
    return found


def open_in_libreoffice(paths: list[Path]) -> dict[Path, bool]:
    """Convert each workbook to PDF with LibreOffice headless; True where it produced a PDF."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    assert soffice, "LibreOffice is required (scripts/ensure_test_tools.sh installs it)"
    with tempfile.TemporaryDirectory() as out, tempfile.TemporaryDirectory() as profile:
        src = []
        for i, p in enumerate(paths):                 # ASCII copies: robust against locale issues
            q = Path(out) / f"in{i}.xlsx"
            shutil.copy(p, q)
            src.append(q)
        subprocess.run([soffice, f"-env:UserInstallation=file://{profile}", "--headless", "--norestore",
                        "--convert-to", "pdf", "--outdir", out, *map(str, src)],
                       capture_output=True, timeout=300, check=False)
        return {p: (Path(out) / f"in{i}.pdf").exists() and (Path(out) / f"in{i}.pdf").stat().st_size > 1000
                for i, p in enumerate(paths)}


def semantics(path: Path) -> dict:
    """What a workbook *means*, for comparing a generated file with its generator: sheets,
    cell values and formulas, drop-downs, tables, conditional formats, frozen panes, widths."""
    wb = openpyxl.load_workbook(path)
    out = {}
    for ws in wb.worksheets:
        values = {}
        for row in ws.iter_rows():
            for c in row:
                v = c.value
                if v is None:
                    continue
                values[c.coordinate] = getattr(v, "text", v) if not isinstance(v, (str, int, float)) else v
        out[ws.title] = {
            "cells": values,
            "validations": sorted((str(dv.sqref), dv.type, dv.formula1) for dv in ws.data_validations.dataValidation),
            "tables": sorted((t.name, t.ref, tuple(c.name for c in t.tableColumns)) for t in ws.tables.values()),
            "conditional": sorted((str(rng.sqref), tuple(r.formula for r in rules))
                                  for rng, rules in ws.conditional_formatting._cf_rules.items()),
            "freeze": ws.freeze_panes,
            "widths": {k: round(d.width, 2) for k, d in ws.column_dimensions.items() if d.width},
        }
    return out
