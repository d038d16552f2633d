"""The run log: every job appends one line — when, which job, period, row counts, output files —
so the office can show what was produced and sent when (CSV, UTF-8 with BOM for Excel).

Location: JSJB_LOG if set, else ``jsjb运行记录.csv`` in the ledger's folder. A log that cannot
be written is reported as a warning; it never fails the job itself.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

import pandas as pd

HEADER = ("时间", "任务", "期间", "台账", "工单数", "输出文件", "说明")


def log_path(ledger: str | os.PathLike | None) -> Path:
    if os.environ.get("JSJB_LOG"):
        return Path(os.environ["JSJB_LOG"])
    base = Path(ledger).resolve().parent if ledger else Path.cwd()
    return base / "jsjb运行记录.csv"


def record(job: str, period: str = "", ledger: str = "", rows: int | str = "", outputs=(), note: str = "") -> list:
    when = pd.Timestamp.now(tz="Asia/Shanghai").tz_localize(None).strftime("%Y-%m-%d %H:%M:%S")
    return [when, job, period, str(ledger), rows, "；".join(str(o) for o in outputs), note]


def append(path: Path, row: list) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    new = not path.exists() or path.stat().st_size == 0
    with open(path, "a", encoding="utf-8-sig" if new else "utf-8", newline="") as f:
        writer = csv.writer(f)
        if new:
            writer.writerow(HEADER)
        writer.writerow(row)
    return path


def read(path: Path) -> list[dict]:
    with open(path, encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))
