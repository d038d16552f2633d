"""发送通报 over real SMTP: a local aiosmtpd server on 127.0.0.1 receives the messages and the
tests read back what it got — recipients, Chinese subject, the right attachment; an enterprise
without an address; a refused recipient that does not stop the others; an unreachable server;
login; and the dry run."""

import email
import json
import socket
from email import policy
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from jsjb.cli import main
from jsjb.io import mailer
from jsjb.io.reader import read_ledger

AS_OF = "2026-01-05T10:00"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Inbox:
    def __init__(self, refuse=()):
        self.messages = []
        self.refuse = set(refuse)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((list(envelope.rcpt_tos), email.message_from_bytes(envelope.content, policy=policy.default)))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp():
    servers = []

    def start(refuse=(), authenticator=None):
        inbox = Inbox(refuse)
        kwargs = {"authenticator": authenticator, "auth_require_tls": False} if authenticator else {}
        controller = Controller(inbox, hostname="127.0.0.1", port=free_port(), **kwargs)
        controller.start()
        servers.append(controller)
        return inbox, f"127.0.0.1:{controller.port}"

    yield start
    for c in servers:
        c.stop()


@pytest.fixture(scope="module")
def bulletin(tmp_path_factory):
    base = tmp_path_factory.mktemp("mail")
    ledger = base / "台账.xlsx"
    assert main(["sample", str(ledger), "--rows", "500", "--seed", "3", "-q"]) == 0
    out = base / "out"
    assert main(["bulletin", str(ledger), "--month", "2025-12", "--as-of", AS_OF, "--out", str(out), "-q"]) == 0
    return ledger, out


def mail(capsys, bulletin, *extra):
    ledger, out = bulletin
    code = main(["mail", str(out), "--ledger", str(ledger), "--json", "-q", *extra])
    captured = capsys.readouterr()
    return code, (json.loads(captured.out) if captured.out.strip() else None), captured.err


def test_each_enterprise_gets_its_own_workbook(smtp, bulletin, capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("JSJB_LOG", str(tmp_path / "log.csv"))
    inbox, where = smtp()
    code, report, _ = mail(capsys, bulletin, "--smtp", where, "--from", "office@example.invalid")
    assert code == 1                                  # one enterprise has no address: reported, exit 1
    assert len(report["sent"]) == 7 and report["failed"] == []
    assert report["skipped"] == [{"enterprise": "东胜区新能源充电服务有限公司", "reason": "“承办企业”表中没有邮箱"}]
    assert len(inbox.messages) == 7
    ledger, out = bulletin
    addresses = dict(zip(read_ledger(ledger).enterprises["企业名称"], read_ledger(ledger).enterprises["邮箱"]))
    for rcpts, msg in inbox.messages:
        (attachment,) = list(msg.iter_attachments())
        name = attachment.get_filename()
        enterprise = next(e for e in addresses if e in msg["Subject"])
        assert rcpts == [addresses[enterprise]] and msg["To"] == addresses[enterprise]
        assert "2025年12月" in msg["Subject"] and msg["From"] == "office@example.invalid"
        assert attachment.get_content() == (out / name).read_bytes()
        assert "第20条" in msg.get_body(("plain",)).get_content()
    assert {m["Subject"].split("— ")[-1] for _, m in inbox.messages} == {e for e in addresses if addresses[e]}


def test_a_refused_recipient_does_not_stop_the_others(smtp, bulletin, capsys):
    inbox, where = smtp(refuse={"reli@example.invalid"})
    code, report, _ = mail(capsys, bulletin, "--smtp", where)
    assert code == 1
    assert [f["address"] for f in report["failed"]] == ["reli@example.invalid"]
    assert "550" in report["failed"][0]["reason"]
    assert len(report["sent"]) == 6 and len(inbox.messages) == 6


def test_an_unreachable_server_is_a_clear_error_and_nothing_is_sent(bulletin, capsys):
    code, report, err = mail(capsys, bulletin, "--smtp", f"127.0.0.1:{free_port()}")
    assert code == 2 and report is None
    assert "无法连接邮件服务器" in err and "没有发送任何邮件" in err


def test_login_with_the_password_from_the_environment(smtp, bulletin, capsys, monkeypatch):
    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = auth_data.login == b"office" and auth_data.password == b"s3cret"
        return AuthResult(success=ok, handled=False)      # handled=False: the server answers 535 itself

    inbox, where = smtp(authenticator=authenticator)
    monkeypatch.setenv("JSJB_SMTP_PASSWORD", "s3cret")
    code, report, _ = mail(capsys, bulletin, "--smtp", where, "--user", "office")
    assert len(report["sent"]) == 7 and len(inbox.messages) == 7
    monkeypatch.setenv("JSJB_SMTP_PASSWORD", "wrong")
    code, report, err = mail(capsys, bulletin, "--smtp", where, "--user", "office")
    assert code == 2 and "拒绝登录" in err


def test_dry_run_writes_eml_files_and_sends_nothing(bulletin, capsys):
    code, report, _ = mail(capsys, bulletin, "--dry-run")
    assert len(report["sent"]) == 7
    for item in report["sent"]:
        msg = email.message_from_bytes(Path(item["eml"]).read_bytes(), policy=policy.default)
        assert msg["To"] == item["address"] and "月通报" in msg["Subject"]


def test_period_selection(bulletin, capsys):
    ledger, out = bulletin
    code, _, err = mail(capsys, bulletin, "--dry-run", "--month", "2025-11")
    assert code == 2 and "2025-11" in err
    with pytest.raises(Exception, match="多个月份"):
        extra = out / "月通报_2025-11_热力公司.xlsx"
        extra.write_bytes((out / "月通报_2025-12_热力公司.xlsx").read_bytes())
        try:
            mailer.find_period(out, None)
        finally:
            extra.unlink()


# -- TLS: STARTTLS and implicit SSL, with a throwaway certificate for 127.0.0.1 --------------------
@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    import shutil
    import subprocess

    if not shutil.which("openssl"):
        pytest.skip("openssl is needed to make a test certificate")
    d = tmp_path_factory.mktemp("tls")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(d / "key.pem"), "-out", str(d / "cert.pem")],
                   check=True, capture_output=True)
    return d / "cert.pem", d / "key.pem"


def tls_server(certificate, implicit: bool):
    import ssl as ssl_module

    cert, key = certificate
    context = ssl_module.create_default_context(ssl_module.Purpose.CLIENT_AUTH)
    context.load_cert_chain(str(cert), str(key))
    inbox = Inbox()
    port = free_port()
    if implicit:
        controller = Controller(inbox, hostname="127.0.0.1", port=port, ssl_context=context)
    else:
        controller = Controller(inbox, hostname="127.0.0.1", port=port, tls_context=context, require_starttls=True)
    controller.start()
    return controller, inbox, f"127.0.0.1:{port}"


@pytest.mark.parametrize("security, implicit", [("starttls", False), ("ssl", True)])
def test_tls_with_the_office_ca(certificate, bulletin, capsys, security, implicit):
    controller, inbox, where = tls_server(certificate, implicit)
    try:
        code, report, err = mail(capsys, bulletin, "--smtp", where, "--security", security,
                                 "--cafile", str(certificate[0]))
        assert len(report["sent"]) == 7 and len(inbox.messages) == 7, err
        # without trusting the office CA the server's certificate is refused: nothing is sent
        code, report, err = mail(capsys, bulletin, "--smtp", where, "--security", security)
        assert code == 2 and "无法连接邮件服务器" in err and "CERTIFICATE" in err.upper()
        assert len(inbox.messages) == 7
    finally:
        controller.stop()


def test_the_ledger_is_never_modified_by_mailing(bulletin, capsys):
    from helpers import digest

    ledger, _ = bulletin
    before = digest(ledger)
    mail(capsys, bulletin, "--dry-run")
    assert digest(ledger) == before
