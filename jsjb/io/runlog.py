"""The run log: every job appends one line — when, which job, period, row counts, output files —
so the office can show what was produced and sent when (CSV, UTF-8 with BOM for Excel).
Each e-mail sent is one line of its own (企业, 收件人, 邮件编号, 附件摘要 = the attachment's SHA-256):
the mail job reads them back so a rerun sends only what is missing (R22), and knows when the
workbook it sent has since been replaced (需重发, R21).

Location: JSJB_LOG if set, else ``jsjb运行记录.csv`` in the ledger's folder. A log that cannot
be written is reported as a warning; it never fails the job itself.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

from ..core.clock import now
from ..core.masking import is_formula_like

HEADER = ("时间", "任务", "期间", "台账", "工单数", "输出文件", "说明", "企业", "收件人", "邮件编号", "附件摘要")
EXTRA = {"enterprise": "企业", "recipients": "收件人", "message_id": "邮件编号", "digest": "附件摘要"}


def log_path(ledger: str | os.PathLike | None) -> Path:
    if os.environ.get("JSJB_LOG"):
        return Path(os.environ["JSJB_LOG"])
    base = Path(ledger).resolve().parent if ledger else Path.cwd()
    return base / "jsjb运行记录.csv"


def record(job: str, period: str = "", ledger: str = "", rows: int | str = "", outputs=(), note: str = "",
           **extra) -> list:
    """One log row; ``extra`` may give enterprise, recipients, message_id, digest (the mail job)."""
    unknown = set(extra) - set(EXTRA)
    if unknown:
        raise TypeError(f"unknown run-log fields: {sorted(unknown)}")
    row = [f"{now():%Y-%m-%d %H:%M:%S}", job, period, str(ledger), rows, "；".join(str(o) for o in outputs), note]
    return row + [extra.get(k, "") for k in EXTRA]


def append(path: Path, row: list) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    new = not path.exists() or path.stat().st_size == 0
    with open(path, "a", encoding="utf-8-sig" if new else "utf-8", newline="") as f:
        writer = csv.writer(f)
        if new:
            writer.writerow(HEADER)
        writer.writerow(["'" + v if is_formula_like(v) else v for v in row])   # R20: a CSV cell is never a formula
    return path


def read(path: Path) -> list[dict]:
    """Every row as a dict keyed by HEADER (older, shorter logs read fine: missing fields are "")."""
    path = Path(path)
    if not path.exists():
        return []
    with open(path, encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    out = []
    for row in rows[1:]:
        row = row + [""] * (len(HEADER) - len(row))
        out.append(dict(zip(HEADER, row)))
    return out
