"""E-mailing each enterprise its own bulletin workbook over SMTP (发送通报).

Settings come from options or the environment (JSJB_SMTP_HOST, JSJB_SMTP_PORT,
JSJB_SMTP_SECURITY = starttls/ssl/none, JSJB_SMTP_USER, JSJB_SMTP_FROM, JSJB_SMTP_CAFILE for a
mail server whose certificate comes from an internal CA); TLS always verifies the server. The password from
JSJB_SMTP_PASSWORD or a prompt — never from the workbook. A failed recipient never stops the
others; the report says exactly what was sent, what failed and what was skipped, and why.
"""

from __future__ import annotations

import os
import re
import smtplib
import socket
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

import pandas as pd

from ..core.errors import LedgerError
from ..core.stats import month
from .reports import OFFICE, enterprise_file_tag
from .writer import atomic_path

XLSX_TYPE = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")
FILE_PATTERN = re.compile(r"^月通报_(\d{4}-\d{2})_(.+)\.xlsx$")


class MailError(LedgerError):
    """The mail server cannot be used at all (connection, TLS, login)."""


@dataclass
class Settings:
    host: str = "localhost"
    port: int = 25
    security: str = "none"            # starttls · ssl · none
    user: str | None = None
    password: str | None = None
    sender: str = "jsjb@localhost"
    timeout: float = 20.0
    cafile: str | None = None         # extra CA certificates to trust (an office's internal mail CA)

    @classmethod
    def from_env(cls, **overrides) -> Settings:
        env = os.environ
        values = {
            "host": env.get("JSJB_SMTP_HOST", "localhost"),
            "port": int(env.get("JSJB_SMTP_PORT", "25")),
            "security": env.get("JSJB_SMTP_SECURITY", "none"),
            "user": env.get("JSJB_SMTP_USER") or None,
            "password": env.get("JSJB_SMTP_PASSWORD") or None,
            "sender": env.get("JSJB_SMTP_FROM") or env.get("JSJB_SMTP_USER") or "jsjb@localhost",
            "cafile": env.get("JSJB_SMTP_CAFILE") or None,
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        if values["security"] not in ("starttls", "ssl", "none"):
            raise MailError(f"邮件加密方式“{values['security']}”无效：应为 starttls、ssl 或 none")
        return cls(**values)


@dataclass
class Outgoing:
    enterprise: str
    address: str
    path: Path
    period: str


@dataclass
class Report:
    period: str
    sent: list[dict] = field(default_factory=list)
    failed: list[dict] = field(default_factory=list)
    skipped: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"period": self.period, "sent": self.sent, "failed": self.failed, "skipped": self.skipped}


def find_period(folder: Path, wanted: str | None) -> str:
    periods = sorted({m.group(1) for p in folder.glob("月通报_*.xlsx") if (m := FILE_PATTERN.match(p.name))})
    if wanted:
        month(wanted)      # validates the text
        if wanted not in periods:
            raise LedgerError(f"文件夹 {folder} 中没有 {wanted} 的企业通报工作簿（月通报_{wanted}_*.xlsx）")
        return wanted
    if not periods:
        raise LedgerError(f"文件夹 {folder} 中没有企业通报工作簿（月通报_YYYY-MM_企业.xlsx）：请先运行 jsjb bulletin")
    if len(periods) > 1:
        raise LedgerError(f"文件夹中有多个月份的通报（{'、'.join(periods)}），请用 --month 指定要发送的月份")
    return periods[0]


def plan(folder: Path, enterprises: pd.DataFrame, period: str | None = None) -> tuple[list[Outgoing], Report]:
    """Who gets which file; enterprises without an address or a workbook are skipped with a reason."""
    folder = Path(folder)
    if not folder.is_dir():
        raise LedgerError(f"找不到通报文件夹：{folder}")
    label = find_period(folder, period)
    report = Report(label)
    outgoing = []
    for name, address in zip(enterprises["企业名称"], enterprises["邮箱"]):
        path = folder / f"月通报_{label}_{enterprise_file_tag(name, enterprises)}.xlsx"
        if address is None or pd.isna(address) or not str(address).strip():
            report.skipped.append({"enterprise": name, "reason": "“承办企业”表中没有邮箱"})
        elif not path.exists():
            report.skipped.append({"enterprise": name, "reason": f"没有找到该企业的工作簿 {path.name}"})
        else:
            outgoing.append(Outgoing(name, address, path, label))
    return outgoing, report


def message(out: Outgoing, sender: str) -> EmailMessage:
    title = month(out.period).title
    msg = EmailMessage()
    msg["Subject"] = f"{OFFICE}“接诉即办”工作月通报（{title}）— {out.enterprise}"
    msg["From"] = sender
    msg["To"] = out.address
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = make_msgid(domain="jsjb.invalid")
    msg.set_content(
        f"{out.enterprise}：\n\n"
        f"附件是贵单位{title}“接诉即办”工作情况，包括三率（响应率、解决率、满意率）、得分、扣加分、排名和本单位"
        f"工单清单。请查收，并对超期、不满意的工单抓紧整改。\n\n"
        f"来话人信息已按《“接诉即办”暂行规定》第20条脱敏，请勿对外提供。\n\n"
        f"东胜区国资委办公室\n（本邮件由接诉即办台账工具发送，如有疑问请直接联系办公室）\n")
    msg.add_attachment(out.path.read_bytes(), maintype=XLSX_TYPE[0], subtype=XLSX_TYPE[1], filename=out.path.name)
    return msg


def _connect(settings: Settings) -> smtplib.SMTP:
    where = f"{settings.host}:{settings.port}"
    try:
        if settings.security == "ssl":
            server = smtplib.SMTP_SSL(settings.host, settings.port, timeout=settings.timeout,
                                      context=ssl.create_default_context(cafile=settings.cafile))
        else:
            server = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
            if settings.security == "starttls":
                server.starttls(context=ssl.create_default_context(cafile=settings.cafile))
        if settings.user:
            server.login(settings.user, settings.password or "")
        return server
    except smtplib.SMTPAuthenticationError:
        raise MailError(f"邮件服务器 {where} 拒绝登录：请检查用户名和密码（JSJB_SMTP_PASSWORD）") from None
    except (OSError, smtplib.SMTPException, ssl.SSLError) as e:
        reason = "连接被拒绝" if isinstance(e, ConnectionRefusedError) else \
            "连接超时" if isinstance(e, (socket.timeout, TimeoutError)) else f"{type(e).__name__}: {e}"
        raise MailError(f"无法连接邮件服务器 {where}（{reason}）：没有发送任何邮件") from None


def send(outgoing: list[Outgoing], settings: Settings, report: Report, progress=lambda _: None) -> Report:
    """Send every message; a refused recipient or a dropped connection fails only that message
    (one reconnect is tried). Raises MailError only when nothing can be sent at all."""
    server = _connect(settings)
    try:
        for k, out in enumerate(outgoing, start=1):
            progress(f"发送 {k}/{len(outgoing)}：{out.enterprise} <{out.address}>")
            msg = message(out, settings.sender)
            try:
                try:
                    server.send_message(msg)
                except smtplib.SMTPServerDisconnected:
                    server = _connect(settings)
                    server.send_message(msg)
                report.sent.append({"enterprise": out.enterprise, "address": out.address, "file": out.path.name})
            except smtplib.SMTPRecipientsRefused as e:
                code, text = next(iter(e.recipients.values()))
                report.failed.append({"enterprise": out.enterprise, "address": out.address,
                                      "reason": f"收件地址被拒绝（{code} {_text(text)}）"})
            except (smtplib.SMTPException, OSError) as e:
                report.failed.append({"enterprise": out.enterprise, "address": out.address,
                                      "reason": f"发送失败（{type(e).__name__}: {_text(getattr(e, 'smtp_error', e))}）"})
    finally:
        try:
            server.quit()
        except (smtplib.SMTPException, OSError):
            pass
    return report


def _text(value) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def dry_run(outgoing: list[Outgoing], folder: Path, sender: str, report: Report) -> Report:
    """Write each message as an .eml file (openable in any mail program) instead of sending."""
    target = Path(folder) / "待发送邮件"
    for out in outgoing:
        msg = message(out, sender)
        path = target / f"{out.path.stem}.eml"
        atomic_path(path, lambda tmp, msg=msg: Path(tmp).write_bytes(msg.as_bytes()))
        report.sent.append({"enterprise": out.enterprise, "address": out.address, "file": out.path.name,
                            "eml": str(path)})
    return report
