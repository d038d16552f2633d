"""The jobs every door runs: load a ledger, call the core, shape results.

The CLI (``jsjb.cli``) and the Excel macros (``macros``) both call these; neither holds a rule.
Progress goes through a callback so each door shows it its own way (stderr, status bar).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .core import schema as S
from .core.ledger import ERROR, ROW, WARNING, Issue, Ledger
from .core.rules import compute
from .core.timeconv import iso
from .core.validate import canonical_enterprises, validate

Progress = Callable[[str], None]


def quiet(_: str) -> None:
    pass


def now() -> pd.Timestamp:
    """Wall-clock now in Asia/Shanghai, naive (R0)."""
    return pd.Timestamp.now(tz="Asia/Shanghai").tz_localize(None).floor("s")


class Timer:
    """Reports each stage and its duration through the progress callback."""

    def __init__(self, progress: Progress):
        self.progress = progress

    def __call__(self, label: str):
        timer = self

        class _Stage:
            def __enter__(self):
                self.t0 = time.perf_counter()
                timer.progress(f"{label}…")
                return self

            def __exit__(self, *exc):
                if exc[0] is None:
                    timer.progress(f"{label}：完成（{time.perf_counter() - self.t0:.1f} 秒）")
        return _Stage()


@dataclass
class Evaluated:
    """A ledger with its computed columns and validation findings at one moment."""

    ledger: Ledger
    as_of: pd.Timestamp
    computed: pd.DataFrame
    issues: list[Issue]

    @property
    def tickets(self) -> pd.DataFrame:
        return self.ledger.tickets

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.level == ERROR]

    @property
    def warnings(self) -> list[Issue]:
        return [i for i in self.issues if i.level == WARNING]

    def row_errors(self) -> dict[int, list[str]]:
        out: dict[int, list[str]] = {}
        for i in self.errors:
            if i.sheet == S.SHEET_TICKETS and i.row:
                out.setdefault(i.row, []).append(f"数据有误：{i.column}（{i.message}）")
        return out


def evaluate(ledger: Ledger, as_of: pd.Timestamp | None = None, progress: Progress = quiet) -> Evaluated:
    as_of = now() if as_of is None else pd.Timestamp(as_of)
    step = Timer(progress)
    with step(f"计算期限与状态（{len(ledger.tickets)} 张工单）"):
        ledger.tickets[S.ENTERPRISE] = canonical_enterprises(ledger.tickets, ledger.enterprises)
        computed = compute(ledger.tickets, ledger.params, ledger.calendar, as_of)
    with step("校验数据"):
        issues = validate(ledger, computed)
    return Evaluated(ledger, as_of, computed, issues)


def load(path, progress: Progress = quiet) -> Ledger:
    from .io.reader import read_ledger

    with Timer(progress)(f"读取台账 {path}"):
        return read_ledger(path)


# -- check ------------------------------------------------------------------------------------
def check_json(ev: Evaluated) -> dict:
    return {
        "rows": int(len(ev.tickets)),
        "errors": [i.as_dict() for i in ev.errors],
        "warnings": [i.as_dict() for i in ev.warnings],
    }


# -- compute ----------------------------------------------------------------------------------
def _iso_column(col: pd.Series) -> list:
    """datetime64 column → ISO texts (seconds), None for NaT — vectorised by numpy."""
    values = col.to_numpy(dtype="datetime64[s]")
    text = np.datetime_as_string(values, unit="s").astype(object)
    text[np.isnat(values)] = None
    return text.tolist()


def computed_flags(ev: Evaluated) -> list[list[str]]:
    """Each row's flags, with its data errors first (R21: a bad row says why)."""
    flags = ev.computed[S.FLAGS].tolist()
    errs = ev.row_errors()
    if errs:
        rows = ev.tickets[ROW].tolist()
        flags = [errs.get(r, []) + f if r in errs else f for r, f in zip(rows, flags)]
    return flags


def compute_json(ev: Evaluated) -> dict:
    c = ev.computed
    ids = ev.tickets[S.ID].tolist()
    rows = ev.tickets[ROW].tolist()
    timely = c[S.TIMELY].tolist()
    tickets = [
        {"id": i, "row": r, "deadline": d, "materials_due": m, "reply_due": rd, "status": s,
         "timely": t, "flags": f}
        for i, r, d, m, rd, s, t, f in zip(
            ids, rows, _iso_column(c[S.DEADLINE]), _iso_column(c[S.MATERIALS_DUE]),
            _iso_column(c[S.REPLY_DUE]), c[S.STATUS].tolist(), timely, computed_flags(ev))
    ]
    return {"as_of": iso(ev.as_of), "tickets": tickets}


def computed_frame(ev: Evaluated, *, mask: bool = False) -> pd.DataFrame:
    """The ledger's input columns plus the computed columns, as values (for --out / 刷新)."""
    from .core.masking import mask_names, mask_phones, scrub_texts

    t = ev.tickets
    frame = t[list(S.INPUT_NAMES)].copy()
    if mask:
        frame[S.CALLER] = mask_names(frame[S.CALLER])
        frame[S.PHONE] = mask_phones(frame[S.PHONE])
        frame[S.ADDRESS] = None
        for col in S.FREE_TEXT_COLUMNS:
            frame[col] = scrub_texts(frame[col])
    c = ev.computed
    frame[S.DEADLINE] = c[S.DEADLINE]
    frame[S.MATERIALS_DUE] = c[S.MATERIALS_DUE]
    frame[S.REPLY_DUE] = c[S.REPLY_DUE]
    frame[S.STATUS] = c[S.STATUS]
    frame[S.TIMELY] = c[S.TIMELY].map({True: "是", False: "否"}).astype(object)
    frame[S.FLAGS] = ["；".join(f) or None for f in computed_flags(ev)]
    frame.insert(0, "行号", t[ROW].to_numpy())
    return frame


def status_counts(ev: Evaluated) -> dict[str, int]:
    counts = pd.Series(ev.computed[S.STATUS]).value_counts()
    return {s: int(counts.get(s, 0)) for s in S.STATUSES if counts.get(s, 0)}


def flag_counts(ev: Evaluated) -> dict[str, int]:
    out: dict[str, int] = {}
    for flags in ev.computed[S.FLAGS]:
        for f in flags:
            out[f] = out.get(f, 0) + 1
    return dict(sorted(out.items(), key=lambda kv: -kv[1]))


def as_python(v):
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating,)):
        return None if np.isnan(v) else float(v)
    return v


# -- bulletin / assessment ------------------------------------------------------------------------
ENTERPRISE_KEYS = ("enterprise", "received", "closed", "timely", "overdue_open", "visits", "satisfied",
                   "response_rate", "resolution_rate", "satisfaction_rate", "response_score", "resolution_score",
                   "satisfaction_score", "deductions", "bonuses", "manual", "total", "rank")


def _num(v, kind=float):
    if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA:
        return None
    return kind(v)


def make_report(ev: Evaluated, period, *, annual: bool = False):
    """The bulletin (monthly) or assessment (annual) of the evaluated ledger."""
    from .core import stats
    from .core.errors import InvalidRows

    ledger = ev.ledger
    manual = None
    if annual:
        bad = [i for i in ledger.issues if i.sheet == S.SHEET_MANUAL and i.level == ERROR]
        if bad:
            raise InvalidRows("“考核录入”表有错误，无法计算年度考核：\n" + "\n".join(i.text() for i in bad))
        manual = ledger.manual
    return stats.report(ledger.enterprise_names, ev.tickets, ev.computed, period, ev.as_of, ledger.params,
                        ledger.adjustments, manual)


def report_json(ev: Evaluated, rep) -> dict:
    rows = []
    for r in rep.table.to_dict("records"):
        item = {
            "enterprise": r["enterprise"],
            **{k: int(r[k]) for k in ("received", "closed", "timely", "overdue_open", "visits", "satisfied")},
            **{k: _num(r[k]) for k in ("response_rate", "resolution_rate", "satisfaction_rate")},
            **{k: float(r[k]) for k in ("response_score", "resolution_score", "satisfaction_score",
                                        "deductions", "bonuses")},
            "manual": _num(r["manual"]),
            "total": _num(r["total"]) if r["rank"] is not None else 0.0,
            "rank": _num(r["rank"], int),
            "invalid": int(r["invalid"]),
            "late_replies": int(r["late_replies"]),
            "note": r["note"] or None,
        }
        rows.append(item)
    ids = ev.tickets[S.ID]
    lists = {k: [str(x) for x in ids.loc[v].tolist()] for k, v in rep.lists.items()}
    sheet_warnings = [i.as_dict() for i in ev.ledger.issues if i.sheet in (S.SHEET_ADJUSTMENTS, S.SHEET_MANUAL)]
    return {
        "period": rep.period.label, "as_of": iso(rep.as_of), "enterprises": rows,
        "exempt": lists["exempt"], "on_hold": lists["on_hold"], "major": lists["major"],
        "renminwang": lists["renminwang"], "overdue": lists["overdue"],
        "invalid": [{"row": int(ev.tickets.loc[i, ROW]), "id": ev.tickets.loc[i, S.ID]} for i in rep.lists["invalid"]],
        "parameters": {k: as_python(v) for k, v in ev.ledger.params.items()},
        "sheet_issues": sheet_warnings,
    }


# -- dispatch / archive ------------------------------------------------------------------------------
def make_dispatch(ev: Evaluated):
    from .core import dispatch

    return dispatch.build(ev.tickets, ev.computed, ev.ledger.params, ev.as_of)


def dispatch_json(ev: Evaluated, dl) -> dict:
    t, c = ev.tickets, ev.computed
    idx = dl.items.index
    deadlines = _iso_column(c.loc[idx, S.DEADLINE])
    items = [
        {"id": t.at[i, S.ID], "row": int(t.at[i, ROW]), "enterprise": e, "status": c.at[i, S.STATUS],
         "deadline": d, "flags": list(c.at[i, S.FLAGS]), "reasons": r, "priority": int(p) + 1,
         "hold_days": None if pd.isna(h) else round(float(h), 1)}
        for i, e, d, r, p, h in zip(idx, dl.items["enterprise"], deadlines, dl.items["reasons"], dl.items["rank"],
                                    dl.items["hold_days"])
    ]
    counts = {ent: {k: int(v) for k, v in row.items()} for ent, row in dl.counts.to_dict("index").items()}
    return {"as_of": iso(dl.as_of), "items": items, "counts": counts}


def make_archive(ev: Evaluated, previous: dict[str, str] | None = None):
    from .core import archive
    from .io.everyday import archive_frames

    numbers = archive.numbers(ev.tickets, ev.computed, previous)
    return numbers, archive_frames(ev.tickets, ev.computed, numbers)
