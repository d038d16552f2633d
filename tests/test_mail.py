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
from smtp_inbox import Inbox

from jsjb.cli import main
from jsjb.io.reader import read_ledger
from jsjb.jobs.mail import find_period

AS_OF = "2026-01-05T10:00"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]




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


@pytest.fixture(autouse=True)
def run_log(tmp_path, monkeypatch):
    """Each test its own run log: what an earlier test sent must not count as sent here (R22)."""
    path = tmp_path / "运行记录.csv"
    monkeypatch.setenv("JSJB_LOG", str(path))
    return path


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


def test_each_enterprise_gets_its_own_workbook(smtp, bulletin, capsys):
    inbox, where = smtp()
    code, report, _ = mail(capsys, bulletin, "--smtp", where, "--from", "office@example.invalid")
    assert code == 1                                  # one enterprise has no address: reported, exit 1
    assert len(report["sent"]) == 7 and report["failed"] == []
    assert report["skipped"] == [{"enterprise": "东胜区新能源充电服务有限公司", "reason": "“承办企业”表中没有邮箱",
                                  "state": "未发送"}]
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
    assert code == 2 and report["sent"] == []
    assert len(report["failed"]) == 7 and all("无法连接邮件服务器" in f["reason"] for f in report["failed"])
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
    code, report, err = mail(capsys, bulletin, "--smtp", where, "--user", "office", "--resend")
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
            find_period(out, None)
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
        code, report, err = mail(capsys, bulletin, "--smtp", where, "--security", security, "--resend")
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


# -- R22: right recipient, exactly once ----------------------------------------------------------------
def test_a_rerun_sends_only_what_is_missing_and_the_log_has_each_message(smtp, bulletin, capsys, run_log):
    from jsjb.io import runlog

    inbox, where = smtp()
    code, first, _ = mail(capsys, bulletin, "--smtp", where)
    assert len(first["sent"]) == 7 and len(inbox.messages) == 7
    rows = [r for r in runlog.read(run_log) if r["邮件编号"]]
    assert len(rows) == 7 and len({r["邮件编号"] for r in rows}) == 7      # one line, one Message-ID per message
    ids_received = {m["Message-ID"] for _, m in inbox.messages}
    assert {r["邮件编号"] for r in rows} == ids_received
    code, second, _ = mail(capsys, bulletin, "--smtp", where)
    assert second["sent"] == [] and len(inbox.messages) == 7 and code == 1
    assert sum("已于此前发送" in s["reason"] for s in second["skipped"]) == 7
    code, third, _ = mail(capsys, bulletin, "--smtp", where, "--resend")
    assert len(third["sent"]) == 7 and len(inbox.messages) == 14


class VanishingInbox(Inbox):
    """Accepts ``keep`` messages, then the server goes away (the controller is stopped)."""

    def __init__(self, keep):
        super().__init__()
        self.keep = keep
        self.controller = None

    async def handle_DATA(self, server, session, envelope):
        answer = await super().handle_DATA(server, session, envelope)
        if len(self.messages) == self.keep:
            import threading

            threading.Thread(target=self.controller.stop).start()
        return answer


def test_the_server_going_away_halfway_is_reported_and_a_rerun_completes(smtp, bulletin, capsys, run_log):
    inbox = VanishingInbox(keep=3)
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    inbox.controller = controller
    controller.start()
    code, report, err = mail(capsys, bulletin, "--smtp", f"127.0.0.1:{controller.port}")
    assert len(report["sent"]) == 3 and len(inbox.messages) == 3
    assert len(report["failed"]) == 4 and all("没有发送" in f["reason"] for f in report["failed"])
    assert code == 1 and "没有发送任何邮件" not in err
    sent_first = {s["enterprise"] for s in report["sent"]}
    # the rerun sends exactly the four that are missing
    inbox2, where = smtp()
    code, report2, _ = mail(capsys, bulletin, "--smtp", where)
    assert {s["enterprise"] for s in report2["sent"]} == {f["enterprise"] for f in report["failed"]}
    assert not sent_first & {s["enterprise"] for s in report2["sent"]} and len(inbox2.messages) == 4


@pytest.fixture
def tricky_ledger(tmp_path):
    """Enterprises with several addresses in a cell, an invalid one, a line break, a shared 简称."""
    from jsjb.core.sample import generate
    from jsjb.io.ledger_book import write_ledger

    made = generate(500, 2025, 3)
    e = made.sheets["承办企业"].copy()
    e.loc[0, "邮箱"] = "ct1@example.invalid； ct2@example.invalid,ct3@example.invalid"
    e.loc[1, "邮箱"] = "gj@example.invalid;不是邮箱"
    e.loc[2, "邮箱"] = "reli@example.invalid\nBcc: spy@example.invalid"
    e.loc[4, "简称"] = "水务公司"          # 停车公司 now shares 水务公司's 简称
    sheets = dict(made.sheets)
    sheets["承办企业"] = e
    path = tmp_path / "台账.xlsx"
    write_ledger(path, sheets)
    out = tmp_path / "out"
    main(["bulletin", str(path), "--month", "2025-12", "--as-of", AS_OF, "--out", str(out), "-q"])
    return path, out


def test_addresses_several_invalid_line_breaks_and_shared_short_names(smtp, tricky_ledger, capsys):
    ledger, out = tricky_ledger
    assert not any("水务公司" in p.name for p in out.glob("*.xlsx"))     # no file under the ambiguous name
    assert (out / "月通报_2025-12_东胜区水务有限责任公司.xlsx").exists()
    inbox, where = smtp()
    code = main(["mail", str(out), "--ledger", str(ledger), "--json", "-q", "--smtp", where])
    captured = capsys.readouterr()
    report = json.loads(captured.out)
    assert code == 1
    by_rcpt = {tuple(r): m for r, m in inbox.messages}
    assert ("ct1@example.invalid", "ct2@example.invalid", "ct3@example.invalid") in by_rcpt
    assert ("gj@example.invalid",) in by_rcpt and "不是邮箱" in captured.err
    assert not any("spy@example.invalid" in r or "reli@example.invalid" in r for r, _ in inbox.messages)
    skipped = {s["enterprise"]: s["reason"] for s in report["skipped"]}
    assert "换行" in skipped["东胜区热力有限责任公司"]
    # the shared 简称 is reported naming the other enterprise; neither gets the other's file
    assert "东胜区智慧停车管理有限公司" in skipped["东胜区水务有限责任公司"]
    assert "东胜区水务有限责任公司" in skipped["东胜区智慧停车管理有限公司"]
    received = {msg["Subject"].split("— ")[-1]: msg for _, msg in inbox.messages}
    assert set(received) == {"东胜区城市发展投资集团有限公司", "东胜区公共交通有限责任公司",
                             "东胜区文化旅游投资有限公司", "东胜区国有物业服务有限公司"}


@pytest.mark.parametrize("env, value, setting", [
    ("JSJB_SMTP_PORT", "25x", "JSJB_SMTP_PORT"), ("JSJB_SMTP_PORT", "70000", "JSJB_SMTP_PORT"),
    ("JSJB_SMTP_SECURITY", "tls", "JSJB_SMTP_SECURITY"), ("JSJB_SMTP_HOST", "mail server", "JSJB_SMTP_HOST"),
])
def test_a_bad_mail_setting_is_exit_2_naming_the_setting(bulletin, capsys, monkeypatch, env, value, setting):
    monkeypatch.setenv(env, value)
    code, report, err = mail(capsys, bulletin)
    assert code == 2 and setting in err and "Traceback" not in err


def test_a_workbook_written_for_another_enterprise_is_never_attached(smtp, tmp_path, capsys):
    """R22: the 承办企业 sheet edited between 月通报 and 发送通报 (two 简称 swapped): the files now named
    for each other are refused, not sent to the wrong enterprise."""
    from jsjb.core.sample import generate
    from jsjb.io.ledger_book import write_ledger

    made = generate(500, 2025, 3)
    ledger = tmp_path / "台账.xlsx"
    write_ledger(ledger, made.sheets)
    out = tmp_path / "out"
    assert main(["bulletin", str(ledger), "--month", "2025-12", "--as-of", AS_OF, "--out", str(out), "-q"]) == 0
    capsys.readouterr()
    edited = dict(made.sheets)
    e = edited["承办企业"].copy()
    e.loc[[0, 1], "简称"] = e.loc[[1, 0], "简称"].to_numpy()
    edited["承办企业"] = e
    ledger.unlink()
    write_ledger(ledger, edited)
    inbox, where = smtp()
    code = main(["mail", str(out), "--ledger", str(ledger), "--json", "-q", "--smtp", where])
    report = json.loads(capsys.readouterr().out)
    skipped = {s["enterprise"]: s["reason"] for s in report["skipped"]}
    for k in (0, 1):
        assert "不是本企业的" in skipped[e.loc[k, "企业名称"]]
    assert not {msg["Subject"].split("— ")[-1] for _, msg in inbox.messages} & set(e.loc[[0, 1], "企业名称"])
    assert code == 1 and len(inbox.messages) == 5


# -- R21: a bulletin replaced after it was mailed is 需重发, never 已发送 ----------------------------------
def test_a_bulletin_regenerated_after_mailing_is_marked_for_resending(smtp, tmp_path, capsys, run_log):
    """Mail the 2025-12 bulletin, generate it again: the rerun says it replaced mailed workbooks, the
    plan marks those enterprises 需重发 (not 已发送) and still sends nothing unasked (R22); a resend
    chosen for one enterprise sends to that one only; the run log keeps each attachment's digest."""
    from jsjb import jobs
    from jsjb.io import runlog
    from jsjb.jobs.mail import digest

    ledger = tmp_path / "台账.xlsx"
    assert main(["sample", str(ledger), "--rows", "300", "--seed", "5", "-q"]) == 0
    out = tmp_path / "out"
    first = jobs.bulletin(ledger, "2025-12", as_of=AS_OF, out_dir=out, workers=1)
    assert not any("需重发" in n or "已替换" in n for n in first.notes)
    inbox, where = smtp()
    host, port = where.split(":")
    settings = jobs.mail_settings(host=host, port=port, security="none")
    sent = jobs.mail(out, ledger, month_label="2025-12", settings=settings)
    mailed = {s["enterprise"] for s in sent.data["sent"]}
    assert mailed and len(inbox.messages) == len(mailed)
    rows = [r for r in runlog.read(run_log) if r["邮件编号"]]
    files = {r["企业"]: Path(r["输出文件"]) for r in rows}
    assert all(r["附件摘要"] == digest(files[r["企业"]]) for r in rows)
    _, _, plan = jobs.mail_plan(out, ledger, "2025-12")
    assert {d.enterprise for d in plan if d.state == "已发送"} == mailed
    assert all(d.history and d.history[0]["time"] for d in plan if d.enterprise in mailed)

    # generated again a day later (a workbook written again with the same inputs in the same second is
    # the same file: nothing to resend)
    again = jobs.bulletin(ledger, "2025-12", as_of="2026-01-06T10:00", out_dir=out, workers=1)
    assert any("已替换上次生成的 2025-12 月通报" in n for n in again.notes)
    (note,) = [n for n in again.notes if "需重发" in n]
    assert all(e in note for e in mailed) and "--resend" in note          # the CLI's words at the CLI
    _, _, plan = jobs.mail_plan(out, ledger, "2025-12")
    assert {d.enterprise for d in plan if d.state == "需重发"} == mailed
    assert not [d for d in plan if d.state == "已发送"]
    nothing = jobs.mail(out, ledger, month_label="2025-12", settings=settings)
    assert nothing.data["sent"] == [] and len(inbox.messages) == len(mailed)
    assert {s["enterprise"] for s in nothing.data["skipped"] if s["state"] == "需重发"} == mailed

    chosen = sorted(mailed)[0]
    resent = jobs.mail(out, ledger, month_label="2025-12", settings=settings, resend=True, only=[chosen])
    assert [s["enterprise"] for s in resent.data["sent"]] == [chosen]
    assert len(inbox.messages) == len(mailed) + 1
    _, _, plan = jobs.mail_plan(out, ledger, "2025-12")
    states = {d.enterprise: d.state for d in plan}
    assert states[chosen] == "已发送" and all(states[e] == "需重发" for e in mailed - {chosen})


def test_an_empty_month_is_said_and_can_be_refused(tmp_path):
    """A month without a dispatched ticket: the CLI still writes (with a note naming the last month
    with tickets); a door that asks (the browser) gets EmptyPeriod before anything is written."""
    from jsjb import jobs
    from jsjb.jobs.errors import EmptyPeriod

    ledger = tmp_path / "台账.xlsx"
    assert main(["sample", str(ledger), "--rows", "200", "--seed", "5", "-q"]) == 0   # tickets of 2025
    r = jobs.bulletin(ledger, "2026-10", as_of="2026-11-05T10:00", out_dir=tmp_path / "a", workers=1)
    assert any("2026-10 没有派单的工单" in n and "2025-12" in n for n in r.notes)
    with pytest.raises(EmptyPeriod) as e:
        jobs.bulletin(ledger, "2026-10", as_of="2026-11-05T10:00", out_dir=tmp_path / "b", refuse_empty=True)
    assert e.value.latest == "2025-12" and not (tmp_path / "b").exists()
    with pytest.raises(EmptyPeriod) as e:
        jobs.assess(ledger, 2026, as_of="2026-11-05T10:00", out_dir=tmp_path / "c", refuse_empty=True)
    assert e.value.latest == "2025"
