"""发送通报 (第16条 月通报, R22): each enterprise gets only its own workbook, at every valid address
of its own 承办企业 row, exactly once.

- The plan pairs each enterprise with its file ``月通报_<月份>_<简称>.xlsx`` in the folder and its
  addresses; an ambiguous 简称, a missing file, no/invalid address or a line break skip it with a reason.
- Every message sent is a line of the run log (企业, 收件人, 邮件编号 = Message-ID, 附件摘要 = the
  attachment's SHA-256). A rerun reads the log and sends only to the addresses that have not yet
  received that period's workbook, unless ``resend`` (``only``: just these enterprises).
- A workbook regenerated after it was sent (its digest differs from the one sent) is 需重发 for that
  enterprise, never 已发送 (R21): it is still not sent again unless asked, but the plan says so.
- The outcome of every enterprise is reported — sent / failed (reason) / skipped (reason) — also when
  the server goes away halfway (the rest are failed "未发送"), so nothing is sent twice by a rerun.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..core.errors import LedgerError
from ..core.howto import how
from ..core.stats import month
from .base import JobResult, Progress, Source, log_path, quiet, write_log

FILE_PATTERN = re.compile(r"^月通报_(\d{4}-\d{2})_(.+)\.xlsx$")
JOB = "发送通报"
DRY_JOB = "发送通报（演练）"
SENDER_NAME = "东胜区国资委办公室"


@dataclass
class Delivery:
    enterprise: str
    file: Path | None
    addresses: list[str] = field(default_factory=list)   # still to receive it
    already: list[str] = field(default_factory=list)     # received it in an earlier run
    invalid: list[str] = field(default_factory=list)
    skip: str | None = None                              # why nothing is sent
    history: list[dict] = field(default_factory=list)    # earlier sends of this period: address, time
    stale: bool = False                                  # the workbook changed since it was sent (需重发)
    digest: str = ""                                     # SHA-256 of the workbook to attach

    @property
    def state(self) -> str:
        """将发送 · 已发送 · 需重发 · 未发送 (the plan's words, R21/R22)."""
        if not self.skip:
            return "将发送"
        if self.stale:
            return "需重发"
        return "已发送" if self.history and self.file is not None else "未发送"


@dataclass
class MailReport:
    period: str
    sent: list[dict] = field(default_factory=list)
    failed: list[dict] = field(default_factory=list)
    skipped: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"period": self.period, "sent": self.sent, "failed": self.failed, "skipped": self.skipped}


def periods(folder: Path) -> list[str]:
    """The months whose enterprise workbooks are in ``folder`` (oldest first)."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    return sorted({m.group(1) for p in folder.glob("月通报_*.xlsx") if (m := FILE_PATTERN.match(p.name))})


def find_period(folder: Path, wanted: str | None) -> str:
    periods_ = periods(folder)
    if wanted:
        month(wanted)      # validates the text
        if wanted not in periods_:
            raise LedgerError(f"文件夹 {folder} 中没有 {wanted} 的企业通报工作簿（月通报_{wanted}_*.xlsx）：请先生成该月的月通报")
        return wanted
    if not periods_:
        raise LedgerError(f"文件夹 {folder} 中没有企业通报工作簿（月通报_YYYY-MM_企业.xlsx）：请先生成月通报")
    if len(periods_) > 1:
        raise LedgerError(f"已生成多个月份的通报（{'、'.join(periods_)}）：{how('choose_month')}")
    return periods_[0]


def digest(path: Path) -> str:
    """The SHA-256 of a file (what the run log records of each attachment sent)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def sent_log(source: Source, period: str) -> dict[str, dict[str, dict]]:
    """enterprise → address → the last send of this period's workbook to it, from the run log:
    ``{"time": "YYYY-MM-DD HH:MM:SS", "digest": SHA-256 or "" (older logs), "file": path}``."""
    from ..io import runlog

    out: dict[str, dict[str, dict]] = {}
    path = log_path(source)
    for row in runlog.read(path) if path else []:
        if row["任务"] == JOB and row["期间"] == period and row["企业"] and row["邮件编号"]:
            for a in row["收件人"].split("；"):
                if a:
                    out.setdefault(row["企业"], {})[a] = {"time": row["时间"], "digest": row["附件摘要"],
                                                         "file": row["输出文件"]}
    return out


def sent_before(source: Source, period: str) -> dict[str, set[str]]:
    """enterprise → addresses that already received this period's workbook (from the run log)."""
    return {k: set(v) for k, v in sent_log(source, period).items()}


def changed_since(record: dict, path: Path, current: str) -> bool:
    """Whether the workbook at ``path`` (digest ``current``) is not the one a send ``record`` attached:
    by digest; for log rows written before digests were kept, by the file being modified at least a
    second after the send (the log's time has whole seconds)."""
    if record.get("digest"):
        return record["digest"] != current
    import datetime as dt

    try:
        sent = dt.datetime.strptime(record["time"], "%Y-%m-%d %H:%M:%S")
        return dt.datetime.fromtimestamp(Path(path).stat().st_mtime) >= sent + dt.timedelta(seconds=1)
    except (OSError, ValueError):
        return False


def mailed_before(source: Source, period: str, files: dict[str, Path]) -> list[str]:
    """The enterprises whose workbook of ``period`` was sent and has since been replaced by ``files``
    (enterprise → its workbook now): they are 需重发 (R21)."""
    log = sent_log(source, period)
    out = []
    for name, path in files.items():
        records = log.get(name)
        if records and Path(path).exists():
            current = digest(Path(path))
            if any(changed_since(r, Path(path), current) for r in records.values()):
                out.append(name)
    return out


def plan(folder, ledger, period: str | None = None, *, resend: bool = False, only=None,
         progress: Progress = quiet) -> tuple[Source, str, list[Delivery]]:
    """Who gets what: one Delivery per enterprise of 承办企业. ``resend``: also the addresses that
    already received this period's workbook; ``only``: just these enterprises (the others are
    skipped as not chosen)."""
    from ..core.addresses import parse_addresses
    from ..core.enterprises import file_tags, shared_short_names
    from ..io.reports import owner_of

    folder = Path(folder)
    if not folder.is_dir():
        raise LedgerError(f"找不到通报文件夹：{folder}")
    source = Source.of(ledger, progress)
    label = find_period(folder, period)
    enterprises = source.ledger.enterprises
    ambiguous = shared_short_names(enterprises)
    tags = file_tags(enterprises)
    log = sent_log(source, label)
    chosen = None if only is None else {str(x) for x in only}
    plan_: list[Delivery] = []
    for name, cell in zip(enterprises["企业名称"], enterprises["邮箱"]):
        name = str(name)
        d = Delivery(name, None)
        plan_.append(d)
        sent = log.get(name, {})
        d.history = [{"address": a, "time": r["time"]} for a, r in sorted(sent.items(), key=lambda x: x[1]["time"])]
        if chosen is not None and name not in chosen:
            d.skip = "本次未选择"
            continue
        if name in ambiguous:
            d.skip = f"简称“{ambiguous[name][0]}”与{ambiguous[name][1]}重复：请在“承办企业”表中改为不同的简称"
            continue
        path = folder / f"月通报_{label}_{tags[name]}.xlsx"
        if not path.exists():
            d.skip = f"没有找到该企业的工作簿 {path.name}"
            continue
        owner = owner_of(path)
        if owner != name:        # R22: never attach a workbook written for another enterprise
            d.skip = (f"工作簿 {path.name} 是为“{owner}”生成的，不是本企业的：请重新生成本月月通报后再发送" if owner
                      else f"无法确认工作簿 {path.name} 属于本企业（旧版本生成或已被改动）：请重新生成本月月通报后再发送")
            continue
        d.file = path
        d.digest = digest(path)
        d.stale = any(changed_since(r, path, d.digest) for r in sent.values())
        valid, d.invalid, refuse = parse_addresses(cell)
        if refuse:
            d.skip = refuse
            continue
        d.already = [] if resend else [a for a in valid if a in sent]
        d.addresses = [a for a in valid if a not in d.already]
        if not valid:
            d.skip = f"邮箱无效：{'、'.join(d.invalid)}"
        elif not d.addresses:
            when = max(sent[a]["time"] for a in d.already)
            sent_to = f"本月通报已于此前发送给 {'、'.join(d.already)}（{when}）"
            d.skip = (f"{sent_to}；此后本月通报已重新生成，需重发。{how('resend')}" if d.stale
                      else f"{sent_to}（{how('resend')}）")
        elif resend:
            d.stale = False
    return source, label, plan_


def settings(**overrides):
    """The SMTP settings: options given here over JSJB_SMTP_* (an invalid one is a clear error)."""
    from ..io.mailer import Settings

    return Settings.from_env(**overrides)


def _subject_body(enterprise: str, period: str) -> tuple[str, str]:
    title = month(period).title
    subject = f"东胜区国资委“接诉即办”工作月通报（{title}）— {enterprise}"
    body = (f"{enterprise}：\n\n"
            f"附件是贵单位{title}“接诉即办”工作情况，包括三率（响应率、解决率、满意率）、得分、扣加分、排名和本单位"
            f"工单清单。请查收，并对超期、不满意的工单抓紧整改。\n\n"
            f"来话人信息已按《“接诉即办”暂行规定》第20条脱敏，请勿对外提供。\n\n"
            f"{SENDER_NAME}\n（本邮件由接诉即办台账工具发送，如有疑问请直接联系办公室）\n")
    return subject, body


def mail(folder, ledger, *, month_label: str | None = None, settings=None, dry_run: bool = False,
         resend: bool = False, only=None, progress: Progress = quiet) -> JobResult:
    """Send (or with ``dry_run`` save as .eml) each enterprise its own workbook; see the module doc.
    ``only``: just these enterprises (with ``resend``: send them this period's workbook again)."""
    from ..io import mailer
    from ..io.writer import atomic_path

    source, label, deliveries = plan(folder, ledger, month_label, resend=resend, only=only, progress=progress)
    settings = settings or mailer.Settings.from_env()
    report = MailReport(label)
    result = JobResult(DRY_JOB if dry_run else JOB, {}, detail=report)
    for d in deliveries:
        if d.invalid and not d.skip:
            result.notes.append(f"{d.enterprise}：以下邮箱无效，已跳过：{'、'.join(d.invalid)}")
        if d.skip:
            report.skipped.append({"enterprise": d.enterprise, "reason": d.skip, "state": d.state})
    todo = [d for d in deliveries if not d.skip]
    connection = None if dry_run else mailer.Connection(settings)
    gone: str | None = None
    try:
        for k, d in enumerate(todo, start=1):
            base = {"enterprise": d.enterprise, "address": "；".join(d.addresses), "file": d.file.name}
            if gone:
                report.failed.append({**base, "reason": f"没有发送（邮件服务器已中断：{gone}）"})
                continue
            progress(f"{'生成' if dry_run else '发送'} {k}/{len(todo)}：{d.enterprise}")
            subject, body = _subject_body(d.enterprise, label)
            msg = mailer.message(subject=subject, body=body, sender=settings.sender, to=d.addresses,
                                 attachment=d.file)
            if dry_run:
                eml = Path(folder) / "待发送邮件" / f"{d.file.stem}.eml"
                atomic_path(eml, lambda tmp, msg=msg: Path(tmp).write_bytes(msg.as_bytes()))
                report.sent.append({**base, "eml": str(eml)})
                result.files.append(eml)
                continue
            try:
                refused = connection.send(msg, d.addresses)
            except mailer.MailError as e:
                gone = str(e)
                report.failed.append({**base, "reason": gone if e.maybe_delivered else f"没有发送：{gone}"})
                continue
            except Exception as e:  # noqa: BLE001 - smtplib/OS errors fail this message only
                reason = _reason(e)
                report.failed.append({**base, "reason": reason})
                continue
            delivered = [a for a in d.addresses if a not in refused]
            if delivered:
                report.sent.append({**base, "address": "；".join(delivered), "message_id": msg["Message-ID"]})
                write_log(result, source, label, "", "", outputs=[d.file],
                          extra={"enterprise": d.enterprise, "recipients": "；".join(delivered),
                                 "message_id": msg["Message-ID"], "digest": d.digest})
            for a, why in refused.items():
                report.failed.append({**base, "address": a, "reason": f"收件地址被拒绝（{why}）"})
    finally:
        if connection is not None:
            connection.close()
    summary = f"成功 {len(report.sent)}，失败 {len(report.failed)}，未发送 {len(report.skipped)}"
    if dry_run:
        write_log(result, source, label, len(report.sent), summary)
    elif gone:
        result.notes.append(f"{gone}。之后的邮件没有发送，再次运行即可补发。" if report.sent
                            else f"{gone}：没有发送任何邮件。")
    result.data = report.as_dict()
    result.exit_code = 2 if gone and not report.sent else 1 if report.failed or report.skipped else 0
    return result


def _reason(e: Exception) -> str:
    import smtplib

    from ..io.mailer import text_of

    if isinstance(e, smtplib.SMTPRecipientsRefused):
        code, text = next(iter(e.recipients.values()))
        return f"收件地址被拒绝（{code} {text_of(text)}）"
    return f"发送失败（{type(e).__name__}: {text_of(getattr(e, 'smtp_error', e))}）"


__all__ = ["MailReport", "digest", "find_period", "mailed_before", "periods", "mail", "plan", "sent_before", "sent_log",
           "settings"]
