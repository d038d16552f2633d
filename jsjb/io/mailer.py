"""SMTP transport for 发送通报: settings, addresses, the message, one connection.

Settings come from options or the environment (JSJB_SMTP_HOST, JSJB_SMTP_PORT,
JSJB_SMTP_SECURITY = starttls/ssl/none, JSJB_SMTP_USER, JSJB_SMTP_FROM, JSJB_SMTP_CAFILE for a
mail server whose certificate comes from an internal CA); TLS always verifies the server. The
password from JSJB_SMTP_PASSWORD or a prompt — never from the workbook.
Who gets what, and the bookkeeping that makes a rerun send only what is missing (R22), are the
mail job's (``jsjb.jobs.mail``).
"""

from __future__ import annotations

import os
import re
import smtplib
import socket
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from ..core.addresses import valid_address
from ..core.errors import LedgerError
from ..core.howto import setting

XLSX_TYPE = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")
SECURITY = ("starttls", "ssl", "none")


class MailError(LedgerError):
    """The mail server cannot be used (connection, TLS, login, or lost while a message was under way:
    then ``maybe_delivered`` is True)."""

    maybe_delivered = False


class MailSettingError(LedgerError):
    """A mail setting (option or environment variable) is invalid."""


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
            "port": env.get("JSJB_SMTP_PORT", "25"),
            "security": env.get("JSJB_SMTP_SECURITY", "none"),
            "user": env.get("JSJB_SMTP_USER") or None,
            "password": env.get("JSJB_SMTP_PASSWORD") or None,
            "sender": env.get("JSJB_SMTP_FROM") or env.get("JSJB_SMTP_USER") or "jsjb@localhost",
            "cafile": env.get("JSJB_SMTP_CAFILE") or None,
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        port = str(values["port"]).strip()
        if not port.isdigit() or not 1 <= int(port) <= 65535:
            raise MailSettingError(f"邮件服务器端口（{setting('JSJB_SMTP_PORT', '--smtp')}）“{port}”无效："
                                   "应为 1–65535 之间的整数，如 465")
        values["port"] = int(port)
        host = str(values["host"]).strip()
        if not host or re.search(r"[\s/\\]", host):
            raise MailSettingError(f"邮件服务器地址（{setting('JSJB_SMTP_HOST', '--smtp')}）“{host}”无效："
                                   "应为主机名或 IP 地址")
        values["host"] = host
        if values["security"] not in SECURITY:
            raise MailSettingError(f"邮件加密方式（{setting('JSJB_SMTP_SECURITY', '--security')}）“{values['security']}”无效："
                                   "应为 starttls、ssl 或 none")
        if not valid_address(str(values["sender"])) and values["sender"] != "jsjb@localhost":
            raise MailSettingError(f"发件人地址（{setting('JSJB_SMTP_FROM', '--from')}）“{values['sender']}”无效")
        if values["cafile"] and not Path(values["cafile"]).is_file():
            raise MailSettingError(f"CA 证书文件（{setting('JSJB_SMTP_CAFILE', '--cafile')}）不存在：{values['cafile']}")
        return cls(**values)


def message(*, subject: str, body: str, sender: str, to: list[str], attachment: Path) -> EmailMessage:
    msg = EmailMessage()
    msg["Subject"] = subject
    msg["From"] = sender
    msg["To"] = ", ".join(to)
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = make_msgid(domain="jsjb.invalid")
    msg.set_content(body)
    msg.add_attachment(Path(attachment).read_bytes(), maintype=XLSX_TYPE[0], subtype=XLSX_TYPE[1],
                       filename=Path(attachment).name)
    return msg


class Connection:
    """One SMTP session; ``send`` reconnects once when the server dropped the connection."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.server = None

    @property
    def where(self) -> str:
        return f"{self.settings.host}:{self.settings.port}"

    def open(self) -> None:
        s = self.settings
        try:
            if s.security == "ssl":
                server = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout,
                                          context=ssl.create_default_context(cafile=s.cafile))
            else:
                server = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
                if s.security == "starttls":
                    server.starttls(context=ssl.create_default_context(cafile=s.cafile))
            if s.user:
                server.login(s.user, s.password or "")
            self.server = server
        except smtplib.SMTPAuthenticationError:
            raise MailError(f"邮件服务器 {self.where} 拒绝登录：请检查用户名和密码（JSJB_SMTP_PASSWORD）") from None
        except (OSError, smtplib.SMTPException, ssl.SSLError) as e:
            reason = "连接被拒绝" if isinstance(e, ConnectionRefusedError) else \
                "连接超时" if isinstance(e, (socket.timeout, TimeoutError)) else f"{type(e).__name__}: {e}"
            raise MailError(f"无法连接邮件服务器 {self.where}（{reason}）") from None

    def send(self, msg: EmailMessage, to: list[str]) -> dict:
        """Send to ``to``; returns the refused addresses {address: reason}. The connection is checked
        (NOOP) and reopened *before* the message, never by sending it twice: a connection lost while
        the message is under way raises MailError saying it may or may not have arrived. MailError
        when the server is gone; smtplib errors concern this message only."""
        if self.server is not None:
            try:
                self.server.noop()
            except (smtplib.SMTPException, OSError):
                self.server = None
        if self.server is None:
            self.open()
        try:
            refused = self.server.send_message(msg, to_addrs=to)
        except (smtplib.SMTPServerDisconnected, ConnectionError, TimeoutError) as e:
            self.server = None
            lost = MailError(f"与邮件服务器 {self.where} 的连接在发送时中断（{type(e).__name__}）："
                             "这封邮件可能已送达，也可能没有，请向该企业核实")
            lost.maybe_delivered = True
            raise lost from None
        return {a: f"{code} {text_of(reason)}" for a, (code, reason) in (refused or {}).items()}

    def close(self) -> None:
        if self.server is not None:
            try:
                self.server.quit()
            except (smtplib.SMTPException, OSError):
                pass
            self.server = None


def text_of(value) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
