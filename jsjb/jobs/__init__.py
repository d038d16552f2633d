"""The jobs layer: one function per job, shared by every door (CLI, Excel buttons, browser).

    ledger ──▶ core (rules, statistics) ──▶ JobResult(data, files, tables, notes, log) ──▶ door

Doors import from here, never from ``jsjb.io``: they parse their input, call a job, render its
result and map its errors (``jsjb.core.errors``) — nothing else.
"""

from __future__ import annotations

from ..io.runlog import HEADER as LOG_HEADER
from .base import OUTPUT_FOLDER, Evaluated, JobResult, LedgerCache, Progress, Source, Timer, evaluate, load, now, quiet
from .calendar import holidays, notice
from .intake import NEW_SHEET as INTAKE_NEW
from .intake import REPORT_SHEET as INTAKE_REPORT
from .intake import intake
from .intake import summary as intake_summary
from .mail import mail
from .mail import plan as mail_plan
from .mail import settings as mail_settings
from .shapes import check_json, compute_json, computed_frame, flag_counts, report_json, status_counts
from .tasks import (
    ARCHIVE_FILE,
    archive,
    assess,
    bulletin,
    check,
    compute,
    dispatch,
    last_complete_month,
    last_complete_year,
    ledger_formulas,
    monthly_trend,
    sample,
    template,
)

__all__ = [
    "ARCHIVE_FILE", "Evaluated", "JobResult", "LOG_HEADER", "LedgerCache", "OUTPUT_FOLDER", "Progress",
    "Source", "Timer", "archive", "assess", "bulletin", "check", "check_json", "compute", "compute_json",
    "computed_frame", "dispatch", "evaluate", "flag_counts", "holidays",
    "intake", "INTAKE_NEW", "INTAKE_REPORT", "intake_summary", "last_complete_month",
    "last_complete_year", "ledger_formulas", "monthly_trend", "load", "mail", "mail_plan", "mail_settings", "notice", "now",
    "quiet", "report_json", "sample", "status_counts", "template",
]
