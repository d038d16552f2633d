"""The bulletin's workbooks written by several processes (io.reports.bulletin_files, workers > 1) are
the workbooks one process writes: each enterprise's file holds its own tickets and carries its own
owner mark (R22), whichever process wrote it; and the work is shared out evenly."""

from __future__ import annotations

import pandas as pd
import pytest
from helpers import sample_ledger

from jsjb import jobs
from jsjb.io import reports
from jsjb.io.reports import WORKBOOK_ROWS, owner_of, shares

AS_OF = "2026-01-05T09:00"


@pytest.mark.parametrize(("sizes", "parts", "head"), [
    ([2166, 1598, 1465, 1362, 1081, 1018, 860, 508], 2, 2 * WORKBOOK_ROWS),    # a district's month, 2 cores
    ([2166, 1598, 1465, 1362, 1081, 1018, 860, 508], 4, 2 * WORKBOOK_ROWS),
    ([5000, 10, 10, 10], 2, 0),                                               # one big enterprise
    ([7, 7], 2, 2 * WORKBOOK_ROWS),
])
def test_the_workbooks_are_shared_out_evenly(sizes, parts, head):
    out = shares(sizes, parts, head)
    assert len(out) == parts and sorted(i for s in out for i in s) == list(range(len(sizes)))
    load = [sum(WORKBOOK_ROWS + sizes[i] for i in s) + (head if k == 0 else 0) for k, s in enumerate(out)]
    # longest-first to the least loaded: no share exceeds another by more than its smallest workbook
    # would have moved (a workbook is never split)
    assert max(load) - min(load) <= WORKBOOK_ROWS + max(sizes)
    if sizes == [5000, 10, 10, 10]:
        assert out == [[0], [1, 2, 3]]        # the big one alone, the small ones together


_CALLS: list[int] = []
_OWN = reports._write_enterprise_share


def _counted(share):
    _CALLS.append(len(share))
    return _OWN(share)


def _cells(path) -> list[list]:
    frames = pd.read_excel(path, sheet_name=None, header=None, engine="calamine")
    return {name: frame.astype(str).values.tolist() for name, frame in frames.items()}


def test_several_processes_write_the_same_workbooks_as_one(tmp_path, monkeypatch):
    ledger = sample_ledger(tmp_path, 1500, 7)
    monkeypatch.setattr(reports, "PARALLEL_MIN_ROWS", 1)           # a small ledger takes the parallel path too
    one = jobs.bulletin(ledger, "2025-12", as_of=AS_OF, out_dir=tmp_path / "one", workers=1)
    _CALLS.clear()
    monkeypatch.setattr(reports, "_write_enterprise_share", _counted)
    three = jobs.bulletin(ledger, "2025-12", as_of=AS_OF, out_dir=tmp_path / "three", workers=3)
    a, b = one.data["files"]["enterprises"], three.data["files"]["enterprises"]
    assert list(a) == list(b) and len(a) >= 6
    for name in a:
        assert owner_of(b[name]) == name                              # R22: each file is its enterprise's
        assert _cells(a[name]) == _cells(b[name])
    assert _cells(one.data["files"]["bulletin"]) == _cells(three.data["files"]["bulletin"])
    assert _CALLS and sum(_CALLS) < len(a)   # this process wrote its share (the forked ones count in their copy)
