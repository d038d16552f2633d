"""The workbooks on both engines (jsjb.io.book, jsjb.io.writer): XlsxWriter, the default install's,
and the Rust writer of the opt-in extra ``jsjb[fast-writer]``. Same sample, same jobs: the two sets
of files must hold the same cells, number formats, frozen panes, widths, print setup, chart ranges
and owner mark — and the Rust engine must keep citizen text that looks like a formula as text (R20).
(The rest of the suite runs on XlsxWriter: tests/conftest.py sets JSJB_WRITER=xlsxwriter.)"""

from __future__ import annotations

import importlib.util
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
from helpers import sample_ledger
from outputs import formulas_in

from jsjb.cli import main

AS_OF = "2026-01-05T10:00"
rust = pytest.mark.skipif(importlib.util.find_spec("rvgsrust_xlsxwriter") is None,
                          reason="the Rust writer is not installed on this machine (XlsxWriter only)")


def run_jobs(ledger: Path, out: Path, monkeypatch, engine: str) -> list[Path]:
    monkeypatch.setenv("JSJB_WRITER", engine)
    for argv in (["bulletin", str(ledger), "--month", "2025-12"], ["assess", str(ledger), "--year", "2025"],
                 ["dispatch", str(ledger)]):
        assert main([*argv, "--as-of", AS_OF, "--out", str(out), "-q"]) in (0, 1)
    for argv in (["archive", str(ledger)], ["compute", str(ledger)]):       # whole-ledger tables (writer.write_tables)
        assert main([*argv, "--as-of", AS_OF, "--out", str(out / f"{argv[0]}.xlsx"), "-q"]) in (0, 1)
    monkeypatch.delenv("JSJB_WRITER")
    return sorted(out.glob("*.xlsx"))


@pytest.fixture(scope="module")
def books(tmp_path_factory):
    base = tmp_path_factory.mktemp("engines")
    ledger = sample_ledger(base, 800, 11, "台账.xlsx")
    with pytest.MonkeyPatch.context() as mp:
        fast = run_jobs(ledger, base / "rust", mp, "rust")
        slow = run_jobs(ledger, base / "xlsxwriter", mp, "xlsxwriter")
    return fast, slow


def _value(v):
    if isinstance(v, float) and v.is_integer():
        return int(v)                      # 7 and 7.0 are the same number in a cell
    return round(v, 9) if isinstance(v, float) else v


def meaning(path: Path) -> dict:
    """What a reader of the workbook sees: per sheet, each filled cell's value and number format,
    and the sheet's layout and print settings; the charts' data ranges; the document's subject and
    custom properties."""
    wb = openpyxl.load_workbook(path)
    out = {"subject": wb.properties.subject, "author": wb.properties.creator,
           "custom": {p.name: p.value for p in wb.custom_doc_props.props}}
    for ws in wb.worksheets:
        cells = {c.coordinate: (_value(c.value), c.number_format if c.value is not None else None,
                                bool(c.border.left.style), bool(c.font.bold))
                 for row in ws.iter_rows() for c in row if c.value is not None or c.border.left.style}
        setup = ws.page_setup
        out[ws.title] = {
            "cells": cells,
            "freeze": ws.freeze_panes,
            "widths": {k: round(d.width, 1) for k, d in ws.column_dimensions.items() if d.width},
            "print": (setup.orientation, str(setup.paperSize), ws.sheet_properties.pageSetUpPr.fitToPage
                      if ws.sheet_properties.pageSetUpPr else None, setup.fitToWidth, setup.fitToHeight,
                      str(ws.print_area), ws.print_title_rows, ws.print_options.horizontalCentered,
                      ws.page_margins.left, ws.page_margins.top, ws.oddFooter.center.text),
        }
    with zipfile.ZipFile(path) as z:
        out["charts"] = sorted(re.sub(r"\s", "", f) for n in z.namelist() if n.startswith("xl/charts/")
                               for f in re.findall(r"<c:f>([^<]*)</c:f>", z.read(n).decode("utf-8")))
    return out


@rust
def test_both_engines_write_the_same_workbooks(books):
    fast, slow = books
    assert [p.name for p in fast] == [p.name for p in slow] and len(fast) >= 10
    for a, b in zip(fast, slow):
        ma, mb = meaning(a), meaning(b)
        for key in mb:
            assert ma[key] == mb[key], f"{a.name}: {key} differs between the engines"


@rust
def test_the_bulletin_chart_reads_the_ranked_rows(books):
    fast, _ = books
    bulletin = next(p for p in fast if p.name == "月通报_2025-12.xlsx")
    refs = meaning(bulletin)["charts"]
    assert len(refs) == 6 and all(r.replace("'", "").startswith("月通报!$") for r in refs)       # 3 series × (categories, values)
    ws = openpyxl.load_workbook(bulletin)["月通报"]
    first, last = (int(x) for x in re.findall(r"\$B\$(\d+)", next(r for r in refs if "$B$" in r)))
    assert [ws.cell(first - 1, c).value for c in (9, 10, 11)] == ["响应率", "解决率", "满意率"]   # the header row above
    assert all(isinstance(ws.cell(r, 2).value, str) for r in range(first, last + 1))              # enterprise names


def test_both_engines_wrote_the_whole_ledger_workbooks(books):
    fast, _ = books
    names = {p.name for p in fast}
    assert {"archive.xlsx", "compute.xlsx"} <= names, names


def test_enterprise_workbooks_carry_their_owner_in_a_custom_property(books):
    """R22: the owner mark is the custom document property 承办企业 (read here with openpyxl, not
    with the code under test), on either engine — the Rust binding cannot write custom properties,
    so these workbooks are XlsxWriter's even with the extra installed."""
    from jsjb.io.reports import owner_of

    fast, slow = books
    marked = 0
    for p in [*fast, *slow]:
        props = {q.name: q.value for q in openpyxl.load_workbook(p, read_only=True).custom_doc_props.props}
        if p.name.startswith("月通报_2025-12_"):
            assert props.get("承办企业", "").startswith("东胜区"), p.name
            assert owner_of(p) == props["承办企业"]
            marked += 1
        else:
            assert "承办企业" not in props and owner_of(p) is None, p.name
    assert marked >= 6


def test_workbooks_of_earlier_versions_still_name_their_owner(tmp_path):
    """Workbooks written while the mark was the document subject (“承办企业：<name>”) still count."""
    import xlsxwriter

    from jsjb.io.reports import owner_of

    old = tmp_path / "旧版.xlsx"
    wb = xlsxwriter.Workbook(str(old))
    wb.set_properties({"subject": "承办企业：东胜区热力有限责任公司"})
    wb.add_worksheet("本企业情况")
    wb.close()
    assert owner_of(old) == "东胜区热力有限责任公司"
    other = tmp_path / "别的主题.xlsx"
    wb = xlsxwriter.Workbook(str(other))
    wb.set_properties({"subject": "12345热线工单台账"})
    wb.add_worksheet("s")
    wb.close()
    assert owner_of(other) is None
    assert owner_of(tmp_path / "无.xlsx") is None


@rust
def test_the_rust_engine_keeps_formula_like_citizen_text_as_text(tmp_path, monkeypatch):
    import pandas as pd

    from jsjb.io.book import Book

    tricky = ["=1+1", "+8613800000000", "-3", "@SUM(A1)", "\t=x", "001", "2025-01-01", "=HYPERLINK(\"http://x\")"]
    path = tmp_path / "r.xlsx"
    book = Book(str(path), engine="rust")
    sh = book.sheet("清单")
    sh.table(pd.DataFrame({"诉求内容": tricky}), plain=True)
    sh.table(pd.DataFrame({"备注": tricky}))
    sh.line(tricky[0])
    book.close()
    assert formulas_in(path) == []
    ws = openpyxl.load_workbook(path)["清单"]
    assert [ws.cell(r, 1).value for r in range(2, 2 + len(tricky))] == tricky
    assert [ws.cell(r, 1).value for r in range(11, 11 + len(tricky))] == tricky
