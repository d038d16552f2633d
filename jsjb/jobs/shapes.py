"""Results as the doors show them: the JSON of CONTRACT §3 (``--json``, the browser's /api) and the
display tables (Chinese headers) that buttons write into sheets and pages show. One shape per result,
so the CLI, the buttons and the browser cannot disagree."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..core import display
from ..core import schema as S
from ..core.ledger import ROW
from ..core.timeconv import iso
from .base import Evaluated


def _iso_column(col: pd.Series) -> list:
    """datetime64 column → ISO texts (seconds), None for NaT. Each distinct moment is formatted
    once (deadlines fall on few distinct day ends: 100,000 of them in 2 ms instead of 22 ms)."""
    codes, moments = pd.factorize(col.to_numpy(dtype="datetime64[s]"))        # NaT → code -1
    text = np.datetime_as_string(np.asarray(moments, dtype="datetime64[s]"), unit="s").astype(object)
    return np.append(text, None)[codes].tolist()


def _num(v, kind=float):
    if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
        return None
    return kind(v)


def as_python(v):
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.floating):
        return None if np.isnan(v) else float(v)
    return v


# -- check / compute ------------------------------------------------------------------------------
def check_json(ev: Evaluated) -> dict:
    return {
        "rows": int(len(ev.tickets)),
        "errors": [i.as_dict() for i in ev.errors],
        "warnings": [i.as_dict() for i in ev.warnings],
    }


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
    tickets = [
        {"id": i, "row": r, "deadline": d, "materials_due": m, "reply_due": rd, "status": s,
         "timely": t, "flags": f}
        for i, r, d, m, rd, s, t, f in zip(
            ev.tickets[S.ID].tolist(), ev.tickets[ROW].tolist(), _iso_column(c[S.DEADLINE]),
            _iso_column(c[S.MATERIALS_DUE]), _iso_column(c[S.REPLY_DUE]), c[S.STATUS].tolist(),
            c[S.TIMELY].tolist(), computed_flags(ev))
    ]
    return {"as_of": iso(ev.as_of), "tickets": tickets}


def computed_frame(ev: Evaluated, *, mask: bool = False) -> pd.DataFrame:
    """The ledger's input columns plus the computed columns, as values (for --out / 刷新).
    ``mask``: caller data masked and free text scrubbed (R19)."""
    from ..core.masking import mask_tickets

    t = ev.tickets
    frame = t[list(S.INPUT_NAMES)].copy()
    if mask:
        frame = mask_tickets(frame)
    c = ev.computed
    for col in (S.DEADLINE, S.MATERIALS_DUE, S.REPLY_DUE, S.STATUS):
        frame[col] = c[col]
    frame[S.TIMELY] = display.yes_no(c[S.TIMELY])
    frame[S.FLAGS] = display.joined(computed_flags(ev))
    frame.insert(0, "行号", t[ROW].to_numpy())
    return frame


def status_counts(ev: Evaluated) -> dict[str, int]:
    counts = pd.Series(ev.computed[S.STATUS]).value_counts()
    return {s: int(counts.get(s, 0)) for s in S.STATUSES if counts.get(s, 0)}


def flag_counts(ev: Evaluated) -> dict[str, int]:
    """Each flag and how many tickets carry it, most frequent first (ties in order of appearance)."""
    counts = ev.computed[S.FLAGS].explode().dropna().value_counts(sort=False)
    return {str(k): int(v) for k, v in counts.sort_values(ascending=False, kind="stable").items()}


# -- bulletin / assessment --------------------------------------------------------------------------
def report_json(ev: Evaluated, rep) -> dict:
    rows = []
    for r in rep.table.to_dict("records"):
        rows.append({
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
        })
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


def report_notes(data: dict) -> list[str]:
    """What a user must be told about a bulletin/assessment besides the table."""
    notes = [f"{i['sheet']}第{i['row']}行【{i['column']}】：{i['message']}（该行未计入）" for i in data.get("sheet_issues", [])]
    if data.get("invalid"):
        rows = "、".join(str(i["row"]) for i in data["invalid"][:20])
        more = "…" if len(data["invalid"]) > 20 else ""
        notes.append(f"{len(data['invalid'])} 张工单数据有误，未计入三率（台账第 {rows}{more} 行），请运行“校验”查看。")
    return notes


# -- dispatch ---------------------------------------------------------------------------------------
def dispatch_json(ev: Evaluated, dl) -> dict:
    t, c = ev.tickets, ev.computed
    idx = dl.items.index
    deadlines = _iso_column(c.loc[idx, S.DEADLINE])
    items = [            # whole columns taken once, then zipped (no per-item lookups)
        {"id": i, "row": int(row), "enterprise": e, "status": s, "deadline": d, "flags": list(f), "reasons": r,
         "priority": int(p) + 1, "hold_days": None if pd.isna(h) else round(float(h), 1)}
        for i, row, e, s, d, f, r, p, h in zip(
            t.loc[idx, S.ID].tolist(), t.loc[idx, ROW].tolist(), dl.items["enterprise"], c.loc[idx, S.STATUS].tolist(),
            deadlines, c.loc[idx, S.FLAGS].tolist(), dl.items["reasons"], dl.items["priority"], dl.items["hold_days"])
    ]
    counts = {ent: {k: int(v) for k, v in row.items()} for ent, row in dl.counts.to_dict("index").items()}
    return {"as_of": iso(dl.as_of), "items": items, "counts": counts}
