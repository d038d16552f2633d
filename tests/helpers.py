"""Building tickets and ledgers for tests, in the domain's own notation (ISO dates)."""

from __future__ import annotations

import datetime as dt
import importlib.util
from pathlib import Path

import openpyxl
import pandas as pd

from jsjb.core import schema as S
from jsjb.core.calendar import WorkCalendar
from jsjb.core.ledger import parse_tickets
from jsjb.core.params import Params
from jsjb.core.rules import compute

ENTERPRISE = "东胜区热力有限责任公司"


def ticket(**fields) -> dict:
    """One raw ticket row; defaults make a valid 一般 ticket dispatched 2023-09-28 10:00."""
    row = {S.ID: fields.pop("id", "T1"), S.DISPATCHED: "2023-09-28 10:00", S.LIMIT_TYPE: "一般",
           S.ENTERPRISE: ENTERPRISE}
    for key, value in fields.items():
        row[key] = value
    return row


def typed(rows: list[dict]) -> pd.DataFrame:
    raw = pd.DataFrame(rows, dtype=object)
    frame, issues = parse_tickets(raw)
    assert not issues, [i.text() for i in issues]
    return frame


def run(rows: list[dict], as_of="2023-12-31 12:00", params: Params | None = None,
        calendar: WorkCalendar | None = None) -> pd.DataFrame:
    return compute(typed(rows), params or Params(), calendar or WorkCalendar(), pd.Timestamp(as_of))


def ts(text: str | None):
    return None if text is None else pd.Timestamp(text)


def write_xlsx(path: Path, sheets: dict[str, list[list]]) -> Path:
    """A workbook as a clerk might have it: plain sheets, values as given (openpyxl)."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for r in rows:
            ws.append([v.to_pydatetime() if isinstance(v, pd.Timestamp) else v for v in r])
            for cell in ws[ws.max_row]:
                if isinstance(cell.value, str) and cell.value.startswith("="):
                    cell.data_type = "s"          # text typed by a citizen, not a formula
    wb.save(path)
    return path


def digest(path: Path) -> str:
    """SHA-256 of a file: the input ledger's bytes must never change (R21)."""
    import hashlib

    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


# Markup a citizen might type into 诉求内容: pages must show it as text and never run it (R20).
XSS = '<script>window.__xss=1</script><img src=x onerror="window.__xss=2">反映停水'


def sample_with_markup(path: Path, rows: int, seed: int) -> Path:
    """A `jsjb sample` ledger whose first ticket's 诉求内容 is :data:`XSS` (set with openpyxl, not jsjb)."""
    sample_ledger(path.parent, rows, seed, path.name)
    wb = openpyxl.load_workbook(path)
    ws = wb[S.SHEET_TICKETS]
    header = [c.value for c in ws[1]]
    ws.cell(2, header.index(S.CONTENT) + 1, XSS)
    wb.save(path)
    return path


def sample_ledger(folder: Path, rows: int, seed: int, name: str = "台账.xlsx") -> Path:
    """A `jsjb sample` ledger written by the CLI itself (fictional people and enterprises)."""
    from jsjb.cli import main

    path = Path(folder) / name
    assert main(["sample", str(path), "--rows", str(rows), "--seed", str(seed), "-q"]) == 0
    return path


def load_script(name: str):
    """A script of scripts/ (not a package) as a module, e.g. load_script("build_addin")."""
    path = Path(__file__).resolve().parent.parent / "scripts" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
