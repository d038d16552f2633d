"""A report over only the tickets it needs (``only_period``: those dispatched in the period and the
one before, and those without a usable 派单时间) must equal the report over the whole ledger —
the whole-ledger path is the oracle. Checked for every month and year of a sample, on a ledger
with the awkward rows (blank and unreadable 派单时间, a duplicate id across months), through the
file path (rows left unparsed) and through an already-read ledger (rows dropped after parsing)."""

from __future__ import annotations

import openpyxl
import pytest
from helpers import sample_ledger

from jsjb import jobs
from jsjb.core import schema as S
from jsjb.core import stats
from jsjb.core.ledger import ROW, in_window

AS_OF = "2026-02-10T10:00"


@pytest.fixture(scope="module")
def ledger(tmp_path_factory):
    """The 800-ticket sample with awkward rows written in by openpyxl (not by jsjb)."""
    path = sample_ledger(tmp_path_factory.mktemp("window"), 800, 11, "台账.xlsx")
    wb = openpyxl.load_workbook(path)
    ws = wb[S.SHEET_TICKETS]
    col = {c.value: c.column for c in ws[1]}
    ws.cell(2, col[S.DISPATCHED]).value = None                        # blank and open: listed as 数据有误
    for name in (S.CLOSED, S.VISITED, S.VISIT_RESULT, S.ARCHIVED):
        ws.cell(2, col[name]).value = None
    ws.cell(3, col[S.DISPATCHED]).value = "2025-13-45 08:00"          # unreadable: likewise
    ws.cell(4, col[S.ID]).value = ws.cell(500, col[S.ID]).value       # one id in two months
    ws.cell(5, col[S.DISPATCHED]).value = "2025-11-30 23:59:59"       # the last moment before December
    ws.cell(6, col[S.DISPATCHED]).value = "2025-12-01 00:00:00"       # the first moment of December
    wb.save(path)
    return path


def _values(frame):
    """Cell values, blank as None whatever the column's representation."""
    return frame.astype(object).where(frame.notna(), None)


def _figures(result) -> dict:
    return {k: v for k, v in result.data.items() if k != "files"}


MONTHS = [f"2025-{m:02d}" for m in range(1, 13)] + ["2026-01"]


@pytest.mark.parametrize("month", MONTHS)
def test_a_bulletin_over_its_window_equals_the_whole_ledgers(ledger, month):
    whole = jobs.bulletin(ledger, month, as_of=AS_OF, write=False)
    window = jobs.bulletin(ledger, month, as_of=AS_OF, write=False, only_period=True)
    assert window.evaluated.ledger.window is not None
    assert len(window.evaluated.tickets) < len(whole.evaluated.tickets)
    assert _figures(window) == _figures(whole)


@pytest.mark.parametrize("year", [2024, 2025, 2026])
def test_an_assessment_over_its_window_equals_the_whole_ledgers(ledger, year, tmp_path):
    whole = jobs.assess(ledger, year, as_of=AS_OF, out_dir=tmp_path / "a")
    window = jobs.assess(ledger, year, as_of=AS_OF, out_dir=tmp_path / "b", only_period=True)
    assert _figures(window) == _figures(whole)


def test_the_awkward_rows_are_in_every_window_that_needs_them(ledger):
    whole = jobs.bulletin(ledger, "2025-12", as_of=AS_OF, write=False)
    invalid = {i["row"] for i in whole.data["invalid"]}
    assert 2 in invalid                                         # open, no usable 派单时间: 数据有误, listed
    t = jobs.load(ledger)
    keep = in_window(t.tickets[S.DISPATCHED], (stats.month("2025-11").start, stats.month("2025-12").end))
    rows = set(t.tickets[ROW][keep])
    assert {2, 3, 5, 6} <= rows


def test_an_already_read_ledger_is_narrowed_the_same_way(ledger):
    full = jobs.load(ledger)
    for month in ("2025-06", "2025-12"):
        from_file = jobs.bulletin(ledger, month, as_of=AS_OF, write=False, only_period=True)
        from_memory = jobs.bulletin(full, month, as_of=AS_OF, write=False, only_period=True)
        assert _figures(from_memory) == _figures(from_file)
        a, b = from_memory.evaluated.tickets, from_file.evaluated.tickets
        assert _values(a).equals(_values(b))            # read from the file, citizen text stays Arrow-backed
        assert b[S.CONTENT].dtype != object and a[S.CONTENT].dtype == object
    assert full.window is None and len(full.tickets) == 800         # the cached whole ledger is untouched


@pytest.mark.parametrize("month", ["2025-01", "2025-07", "2025-12"])
def test_the_written_workbooks_are_the_same(ledger, tmp_path, month):
    """The workbooks also show the month-on-month volumes (the previous month's tickets)."""
    from outputs import cells

    jobs.bulletin(ledger, month, as_of=AS_OF, out_dir=tmp_path / "whole")
    jobs.bulletin(ledger, month, as_of=AS_OF, out_dir=tmp_path / "window", only_period=True)
    names = sorted(p.name for p in (tmp_path / "whole").glob("*.xlsx"))
    assert names == sorted(p.name for p in (tmp_path / "window").glob("*.xlsx")) and len(names) > 2
    for name in names:
        assert cells(tmp_path / "window" / name) == cells(tmp_path / "whole" / name), name
