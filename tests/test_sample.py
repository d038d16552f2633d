"""The synthetic ledger: deterministic, valid, and varied enough to exercise every rule."""

import pandas as pd
import pytest

from jsjb import jobs
from jsjb.core import schema as S
from jsjb.core.ledger import build
from jsjb.core.rules import F_EXT_LATE, F_EXT_LIMIT, F_HOLD_LONG, F_MATERIALS, F_REPLY, F_RETURN
from jsjb.core.sample import ENTERPRISES, generate


@pytest.fixture(scope="module")
def evaluated():
    sample = generate(4000, 2025, 99)
    return sample, jobs.evaluate(build(sample.sheets), sample.as_of)


def test_deterministic_per_seed():
    a, b, c = generate(300, 2024, 1), generate(300, 2024, 1), generate(300, 2024, 2)
    assert a.sheets[S.SHEET_TICKETS].equals(b.sheets[S.SHEET_TICKETS])
    assert not a.sheets[S.SHEET_TICKETS].equals(c.sheets[S.SHEET_TICKETS])


def test_valid_and_complete(evaluated):
    sample, ev = evaluated
    assert len(ev.tickets) == 4000
    assert ev.errors == []
    t = sample.sheets[S.SHEET_TICKETS]
    assert t[S.ID].is_unique
    assert set(t[S.ENTERPRISE].dropna()) == {e[0] for e in ENTERPRISES}
    assert all(e[3] is None or e[3].endswith("@example.invalid") for e in ENTERPRISES)
    assert (t[S.DISPATCHED].dt.year == 2025).all()
    assert (t.drop(columns=[S.LEGAL_DATE]).select_dtypes("datetime").max() <= sample.as_of).all()


def test_every_rule_and_status_is_exercised(evaluated):
    _, ev = evaluated
    statuses = set(ev.computed[S.STATUS])
    assert {S.ST_RETURNED, S.ST_ON_HOLD, S.ST_CLOSED, S.ST_OVERDUE, S.ST_OPEN} <= statuses
    flags = set(jobs.flag_counts(ev))
    assert {F_EXT_LATE, F_EXT_LIMIT, F_HOLD_LONG, F_MATERIALS, F_REPLY, F_RETURN} <= flags
    t = ev.tickets
    assert set(t[S.LIMIT_TYPE]) == set(S.LIMIT_TYPES)
    assert set(t[S.VISIT_RESULT].dropna()) == set(S.VISIT_RESULTS)
    assert set(t[S.CHANNEL]) == set(S.CHANNELS)
    assert (t[S.NOT_ASSESSED] == "是").any() and t[S.MAJOR_DIFFICULT].notna().any()
    assert (ev.computed[S.DEADLINE].dt.year == 2026).any()          # across the year end
    assert (ev.computed[S.TIMELY] == False).any()  # noqa: E712 - late closings


def test_plausible_proportions(evaluated):
    _, ev = evaluated
    t = ev.tickets
    share = t[S.CHANNEL].value_counts(normalize=True)
    assert 0.6 < share["12345热线"] < 0.8
    assert 0.5 < (ev.computed[S.STATUS] == S.ST_CLOSED).mean() < 0.99
    assert 0.02 < ev.computed["returned"].mean() < 0.12
    assert 0.8 < ev.computed["timely_b"][ev.computed["closed"]].mean() < 0.99


def test_citizen_text_contains_what_the_outputs_must_scrub(evaluated):
    sample, _ = evaluated
    content = sample.sheets[S.SHEET_TICKETS][S.CONTENT]
    assert content.str.contains(r"1[3-9]\d{9}").any()
    assert content.str.startswith(("=", "+")).any()


def test_large_sizes_are_vectorised():
    t = generate(50_000, 2024, 5).sheets[S.SHEET_TICKETS]
    assert len(t) == 50_000 and t[S.ID].is_unique
    assert pd.Series(t[S.ID]).str.len().nunique() == 1
