"""One `jsjb serve` for a whole office (CONTRACT §5, issue #20), through the HTTP API (Starlette's
TestClient and a real uvicorn server): several sessions at once, each in its own workspace; a job
queue run by worker processes that forgets no started job; results let go by a memory budget with a
message; pages that never wait for a job; jobs started only by POST with the page's token; login
lockout by connecting address; LAN password length; the resend control; clear messages for
encrypted workbooks and empty months; no server paths and no command lines in what a clerk reads.

Expected values come from the CLI (``jsjb … --json``) on each ledger, from the workbooks themselves
(openpyxl) and from what a local SMTP server (aiosmtpd) received."""

from __future__ import annotations

import ast
import json
import re
import socket
import threading
import time
from pathlib import Path

import openpyxl
import pytest
from smtp_inbox import Inbox

pytest.importorskip("starlette")
from aiosmtpd.controller import Controller  # noqa: E402
from starlette.testclient import TestClient  # noqa: E402

from jsjb.cli import main  # noqa: E402
from jsjb.web import create_app, jobqueue, make_server, serve, worker  # noqa: E402

AS_OF = "2026-01-05T10:00"
MONTH = "2025-12"
ROOT = Path(__file__).parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]




@pytest.fixture
def smtp(monkeypatch):
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    monkeypatch.setenv("JSJB_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("JSJB_SMTP_PORT", str(controller.port))
    monkeypatch.setenv("JSJB_SMTP_SECURITY", "none")
    yield inbox
    controller.stop()


@pytest.fixture(autouse=True)
def no_shared_log(monkeypatch):
    monkeypatch.delenv("JSJB_LOG", raising=False)        # each workspace keeps its own run log


def sample(path: Path, rows: int, seed: int, mail_prefix: str | None = None) -> Path:
    """A `jsjb sample` ledger; ``mail_prefix``: every enterprise's address changed (openpyxl) so two
    offices' mail can be told apart."""
    assert main(["sample", str(path), "--rows", str(rows), "--seed", str(seed), "-q", "--force"]) == 0
    if mail_prefix:
        wb = openpyxl.load_workbook(path)
        ws = wb["承办企业"]
        header = [c.value for c in ws[1]]
        col = header.index("邮箱") + 1
        for r in range(2, ws.max_row + 1):
            if ws.cell(r, col).value:
                ws.cell(r, col, f"{mail_prefix}{r}@example.org")
        wb.save(path)
    return path


@pytest.fixture(scope="module")
def ledgers(tmp_path_factory):
    """Two different ledgers, both called 台账.xlsx (two offices' files, as two clerks would have them)."""
    base = tmp_path_factory.mktemp("office")
    (base / "a").mkdir()
    (base / "b").mkdir()
    return sample(base / "a" / "台账.xlsx", 300, 7, "a"), sample(base / "b" / "台账.xlsx", 260, 8, "b")


def cli_json(capsys, argv) -> dict:
    main([*argv, "-q", "--json"])
    return json.loads(capsys.readouterr().out)


def csrf_of(client) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', client.get("/").text).group(1)


def upload(client, path: Path, name: str = "台账.xlsx"):
    return client.post("/upload", data={"csrf": csrf_of(client)}, files={"ledger": (name, path.read_bytes())},
                       follow_redirects=True)


def start(client, kind: str, **fields) -> str:
    """POST a job's form as its page does; the job's page URL."""
    r = client.post(f"/{kind}", data={"csrf": csrf_of(client), "as_of": AS_OF, **fields}, follow_redirects=False)
    assert r.status_code == 303, r.text[:800]
    return r.headers["location"]


def wait(client, url: str, limit: float = 120):
    end = time.time() + limit
    while time.time() < end:
        r = client.get(url)
        if 'id="working"' not in r.text:
            return r
        time.sleep(0.1)
    raise AssertionError(f"{url} did not finish")


def ranking(html: str) -> list[list[str]]:
    body = html[html.index('id="ranking"'):]
    body = body[body.index("<tbody>"):body.index("</tbody>")]
    return [re.findall(r"<td>([^<]*)</td>", tr) for tr in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)]


def written_for(workbook: bytes) -> str | None:
    """The 承办企业 an enterprise workbook says it was written for (its document properties, read with
    zipfile: the custom property 承办企业, or in older files the subject “承办企业：…”)."""
    import io
    import zipfile

    with zipfile.ZipFile(io.BytesIO(workbook)) as z:
        names = set(z.namelist())
        custom = z.read("docProps/custom.xml").decode("utf-8") if "docProps/custom.xml" in names else ""
        core = z.read("docProps/core.xml").decode("utf-8") if "docProps/core.xml" in names else ""
    m = re.search(r'name="承办企业"[^>]*>\s*<vt:\w+>([^<]*)<', custom) or re.search(r"<dc:subject>承办企业：([^<]*)<", core)
    return m.group(1) if m else None


def job_id(url: str) -> str:
    return re.search(r"job=([\w-]+)", url).group(1)


# -- isolation ---------------------------------------------------------------------------------------
def test_two_sessions_uploading_the_same_file_name_keep_their_own_ledger_jobs_files_and_mail(
        ledgers, tmp_path, capsys, smtp):
    a_path, b_path = ledgers
    want = {k: cli_json(capsys, ["bulletin", str(p), "--month", MONTH, "--as-of", AS_OF, "--out", str(tmp_path / k)])
            for k, p in (("a", a_path), ("b", b_path))}
    app = create_app(None, work_dir=tmp_path / "work", password="", workers=2)
    with TestClient(app) as a:
        b = TestClient(app)                                   # a second browser: its own cookies
        assert "已载入台账副本：台账.xlsx" in upload(a, a_path).text
        assert "已载入台账副本：台账.xlsx" in upload(b, b_path).text
        urls = {"a": start(a, "bulletin", month=MONTH), "b": start(b, "bulletin", month=MONTH)}   # side by side
        pages = {"a": wait(a, urls["a"]).text, "b": wait(b, urls["b"]).text}
        for k in "ab":
            rows = ranking(pages[k])
            assert [r[1] for r in rows] == [e["enterprise"] for e in want[k]["enterprises"]]
            assert [int(r[2]) for r in rows] == [e["received"] for e in want[k]["enterprises"]]
        assert [r[2] for r in ranking(pages["a"])] != [r[2] for r in ranking(pages["b"])]
        # one session's links open nothing in the other
        r = b.get(urls["a"])
        assert r.status_code == 404 and "没有找到这个任务" in r.text and 'id="ranking"' not in r.text
        assert b.get(f"/status/{job_id(urls['a'])}").status_code == 404
        links = {k: re.findall(r'href="/download/([^"]+)"', pages[k]) for k in "ab"}
        assert links["a"] and links["b"]
        assert a.get(f"/download/{links['a'][0]}").status_code == 200
        assert b.get(f"/download/{links['a'][0]}").status_code == 404
        assert a.get(f"/download/{links['b'][0]}").status_code == 404
        # each sends its own workbooks to its own ledger's addresses
        for client in (a, b):
            r = client.post("/mail", data={"csrf": csrf_of(client), "month": MONTH, "action": "send", "confirm": "yes"},
                            follow_redirects=False)
            assert r.status_code == 303
            assert "成功" in wait(client, r.headers["location"]).text
        by_prefix = {"a": [], "b": []}
        for rcpts, msg in smtp.messages:
            (prefix,) = {r[0] for r in rcpts}
            by_prefix[prefix].append(msg)
        for k in "ab":
            sent = {e["enterprise"] for e in want[k]["enterprises"]}
            assert len(by_prefix[k]) == len([e for e in sent if e != "东胜区新能源充电服务有限公司"]) > 0
            for msg in by_prefix[k]:
                (att,) = list(msg.iter_attachments())
                owner = next(e for e in sent if e in msg["Subject"])
                assert written_for(att.get_content()) == owner
        copies = sorted((tmp_path / "work").rglob("台账.xlsx"))
        assert len(copies) == 2 and copies[0].parent != copies[1].parent
        assert {c.read_bytes() for c in copies} == {a_path.read_bytes(), b_path.read_bytes()}


def test_a_workspace_is_found_again_after_a_server_restart(ledgers, tmp_path):
    a_path, _ = ledgers
    app = create_app(None, work_dir=tmp_path / "work", password="", processes=False)
    with TestClient(app) as c:
        upload(c, a_path, "我的台账.xlsx")
        ws = c.cookies.get("jsjb_ws")
    assert ws and len(ws) == 32
    again = create_app(None, work_dir=tmp_path / "work", password="", processes=False)
    with TestClient(again) as c:
        c.cookies.set("jsjb_ws", ws)
        assert "我的台账.xlsx" in c.get("/").text
    with TestClient(again) as stranger:
        assert "我的台账.xlsx" not in stranger.get("/").text
        stranger.cookies.set("jsjb_ws", "../../" + ws)        # never a path: a malformed id is a new workspace
        assert "我的台账.xlsx" not in stranger.get("/").text


# -- jobs start only by POST with the page's token ---------------------------------------------------------
@pytest.mark.parametrize("url, field, value", [("/archive?as_of=" + AS_OF, "as_of", AS_OF),
                                               ("/bulletin?month=2025-12", "month", "2025-12"),
                                               ("/assess?year=2025", "year", "2025")])
def test_a_plain_get_of_a_job_path_shows_its_form_and_starts_nothing(ledgers, tmp_path, url, field, value):
    app = create_app(ledgers[0], work_dir=tmp_path / "work", password="", processes=False)
    with TestClient(app) as c:
        r = c.get(url)                       # no cookie, no Sec-Fetch-Site: as curl or an old browser sends it
        assert r.status_code == 200 and 'id="job-form"' in r.text
        assert f'name="{field}" value="{value}"' in r.text and 'method="post"' in r.text
        assert app.state.queue.jobs == {}
        r = c.post(url.split("?")[0], data={field: value}, follow_redirects=False)   # no token: refused
        assert r.status_code == 403 and app.state.queue.jobs == {}
        assert not [p for p in (tmp_path / "work").rglob("*.xlsx")]
        form = dict(re.findall(r'name="(csrf|as_of|month|year)" value="([^"]*)"', c.get(url).text))
        r = c.post(url.split("?")[0], data=form, follow_redirects=False)              # one click on the form
        assert r.status_code == 303 and len(app.state.queue.jobs) == 1


# -- the queue: nothing forgotten, positions, memory budget ---------------------------------------------------
class Gate:
    """A runner that holds jobs (thread workers) until released: a job that takes as long as we like."""

    def __init__(self, monkeypatch, kinds=("check",), names=None, size=1_000_000):
        self.open = threading.Event()
        self.entered = threading.Semaphore(0)
        real = dict(worker.RUNNERS)

        def run(spec, source, progress):
            if names is not None and spec["name"] not in names:
                return real[spec["kind"]](spec, source, progress)
            self.entered.release()
            progress("等待中 1/3")
            assert self.open.wait(60)
            if names is not None:                                     # a real job that took long
                return real[spec["kind"]](spec, source, progress)
            import pandas as pd

            from jsjb.web.tables import compact

            n = size // 150                                           # about ``size`` bytes kept (Arrow)
            frame = pd.DataFrame({"level": ["提示"] * n, "sheet": ["工单台账"] * n, "row": [2] * n, "column": ["备注"] * n,
                                  "value": [""] * n, "message": ["字" * 40] * n})
            data = {"rows": 1, "errors": 0, "warnings": n}
            return worker.View(spec["kind"], data, [], tables={"issues": compact(frame)})
        for k in kinds:
            monkeypatch.setitem(worker.RUNNERS, k, run)


def test_every_started_job_is_kept_until_finished_and_shown_then_let_go_by_the_budget(ledgers, tmp_path, monkeypatch):
    """20 clerks press a button at once with one worker: every job gets a place in the queue and a
    result; none is let go before it was shown; then the budget lets the oldest shown ones go, and
    their page says so and offers to run again."""
    gate = Gate(monkeypatch)
    app = create_app(ledgers[0], work_dir=tmp_path / "work", password="", processes=False, workers=1,
                     result_budget=5_000_000)
    queue = app.state.queue
    with TestClient(app) as first:
        clients = [first] + [TestClient(app) for _ in range(19)]
        urls = [start(c, "check") for c in clients]
        assert gate.entered.acquire(timeout=30)
        places = [queue.status(queue.jobs[job_id(u)])["position"] for u in urls]
        assert places == list(range(0, 20))                  # the first runs, the others wait in order
        page = clients[5].get(urls[5]).text
        assert "排队中：第 <strong id=\"position\">5</strong> 位" in page
        running = clients[0].get(f"/status/{job_id(urls[0])}").json()
        assert running["state"] == "running" and running["count"] == [1, 3]
        gate.open.set()
        for u in urls:
            deadline = time.time() + 60
            while queue.jobs[job_id(u)].state not in ("done", "error") and time.time() < deadline:
                time.sleep(0.05)
        jobs_ = [queue.jobs[job_id(u)] for u in urls]
        assert all(j.state == "done" for j in jobs_)
        assert all(j.view is not None for j in jobs_)        # 20 MB > budget, but none shown yet: all kept
        for c, u in zip(clients, urls):                       # each clerk opens her result
            assert 'id="result"' in c.get(u).text
        r = first.post("/check", data={"csrf": csrf_of(first), "as_of": AS_OF}, follow_redirects=False)
        wait(first, r.headers["location"])
        assert queue.kept_bytes() <= 5_000_000 + 1_100_000
        released = [j for j in jobs_ if j.released]
        assert released and released == jobs_[:len(released)]      # oldest finished first
        page = clients[0].get(urls[0])
        assert "结果已从服务器内存中释放" in page.text and 'action="/check"' in page.text
        assert 'id="result"' in clients[19].get(urls[19]).text      # the newest still shown


def test_a_shown_result_goes_before_an_older_unopened_one_which_goes_after_a_grace_time(ledgers, tmp_path,
                                                                                        monkeypatch):
    Gate(monkeypatch).open.set()
    app = create_app(ledgers[0], work_dir=tmp_path / "work", password="", processes=False, workers=1)
    queue = app.state.queue
    with TestClient(app) as c:
        urls = []

        def one() -> None:
            urls.append(start(c, "check"))
            while queue.jobs[job_id(urls[-1])].state != "done":
                time.sleep(0.02)
        one()
        size = queue.jobs[job_id(urls[0])].size
        queue.budget = int(3.5 * size)
        one(), one()
        c.get(urls[1])                                     # the clerk opens the second result
        one()                                              # 4 results > 3.5: one goes — the shown one
        assert [queue.jobs[job_id(u)].released for u in urls] == [False, True, False, False]
        one()                                              # still 4: the unopened ones are protected …
        assert [queue.jobs[job_id(u)].released for u in urls] == [False, True, False, False, False]
        monkeypatch.setattr(jobqueue, "GRACE", 0.0)        # … until they were left unopened long enough
        one()
        assert [queue.jobs[job_id(u)].released for u in urls] == [True, True, True, False, False, False]


def test_a_session_may_not_flood_the_queue(ledgers, tmp_path, monkeypatch):
    gate = Gate(monkeypatch)
    app = create_app(ledgers[0], work_dir=tmp_path / "work", password="", processes=False, workers=1)
    with TestClient(app) as c:
        for _ in range(jobqueue.PER_SESSION):
            start(c, "check")
        r = c.post("/check", data={"csrf": csrf_of(c), "as_of": AS_OF}, follow_redirects=False)
        assert r.status_code == 429 and "请等其中一个完成后再开始新的任务" in r.text
        gate.open.set()


def test_pages_and_another_clerks_small_job_never_wait_for_a_long_job(ledgers, tmp_path, monkeypatch):
    """One clerk's job holds a worker (it is not released during the test); meanwhile another clerk's
    pages answer and her 校验 on another ledger runs on the other worker and finishes."""
    a_path, b_path = ledgers
    big = tmp_path / "大台账.xlsx"
    big.write_bytes(a_path.read_bytes())
    gate = Gate(monkeypatch, kinds=("assess",), names={"大台账.xlsx"})
    app = create_app(None, work_dir=tmp_path / "work", password="", processes=False, workers=2)
    queue = app.state.queue
    with TestClient(app) as a:
        b = TestClient(app)
        upload(a, big, "大台账.xlsx")
        upload(b, b_path, "小台账.xlsx")
        long = start(a, "assess", year="2025")
        assert gate.entered.acquire(timeout=30)
        for path in ("/", "/holidays", "/mail", "/bulletin?month=2025-12", f"/status/{job_id(long)}"):
            assert a.get(path).status_code in (200, 404) and b.get(path).status_code in (200, 404)
        small = wait(b, start(b, "check"))
        assert 'id="n-errors"' in small.text
        assert queue.jobs[job_id(long)].state == "running"
        gate.open.set()
        assert 'id="result"' in wait(a, long).text


def test_two_ledgers_run_in_two_worker_processes_and_a_dead_worker_fails_only_its_job(ledgers, tmp_path):
    import os
    import signal

    a_path, b_path = ledgers
    app = create_app(None, work_dir=tmp_path / "work", password="", workers=2)
    queue = app.state.queue
    with TestClient(app) as a:
        b = TestClient(app)
        upload(a, a_path)
        upload(b, b_path)
        ua, ub = start(a, "compute"), start(b, "compute")
        assert 'id="ledger"' in wait(a, ua).text and 'id="ledger"' in wait(b, ub).text
        pids = {lane.backend.process.pid for lane in queue.lanes if lane.backend.process is not None}
        assert len(pids) == 2 and os.getpid() not in pids
        keys = [set(lane.backend.cached) for lane in queue.lanes]
        assert keys[0] and keys[1] and not keys[0] & keys[1]          # each parsed its ledger once
        # the same ledger's next job goes to the worker that parsed it, and reads nothing
        again = start(a, "check")
        assert 'id="n-errors"' in wait(a, again).text
        assert "使用已读取的台账（文件未改动）" in queue.jobs[job_id(again)].messages
        # a worker killed in the middle of a job: that job fails with a message, the next one runs
        backend = jobqueue.ProcessBackend()
        spec = {"kind": "check", "path": str(a_path), "key": "k", "name": "台账.xlsx", "out_dir": str(tmp_path / "o"),
                "params": {"as_of": None}}
        killed = []

        def kill(text):
            if not killed:
                killed.append(text)
                os.kill(backend.process.pid, signal.SIGKILL)
        outcome = backend.run(spec, kill)
        assert outcome[0] == "error" and "后台进程意外退出" in outcome[1]
        state, view, _ = backend.run(spec, lambda text: None)
        assert state == "done" and view.data["rows"] > 0
        backend.close()


def test_the_queue_prefers_a_worker_that_holds_the_ledger_but_never_starves_the_head():
    q = jobqueue.JobQueue(2, processes=False)
    lane = q.lanes[0]
    lane.backend.cached = ["k2"]
    jobs_ = [jobqueue.Job(f"j{i}", "check", "w", "l", {}, {"key": f"k{i}"}) for i in range(4)]
    q.waiting = list(jobs_)
    assert q._pick(lane) is jobs_[2]
    for _ in range(jobqueue.AFFINITY_WINDOW):
        q._pick(lane)
    assert q._pick(lane) is jobs_[0]                 # the head waited long enough: it goes first now
    mail1 = jobqueue.Job("m1", "mail", "w", "l", {}, {"key": "x"}, exclusive=frozenset({"log:/a"}))
    mail2 = jobqueue.Job("m2", "mail", "w", "l", {}, {"key": "x"}, exclusive=frozenset({"log:/a"}))
    q.waiting = [mail2]
    q.lanes[1].job = mail1
    assert q._pick(lane) is None                      # never two sends from one run log at once
    assert jobqueue.Job("c", "mail", "w", "l", {}, {}, step="发送 3/8：某企业").count() == (3, 8)


# -- login and password ------------------------------------------------------------------------------------
def test_login_lockout_counts_the_connecting_address_not_a_header(ledgers, tmp_path):
    import urllib.error
    import urllib.parse
    import urllib.request

    app = create_app(ledgers[0], work_dir=tmp_path / "w", password="正确的密码正确的密码", processes=False)
    port = free_port()
    server = make_server(app, "127.0.0.1", port)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        for _ in range(100):
            if server.started:
                break
            time.sleep(0.05)
        base = f"http://127.0.0.1:{port}"
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
        html = opener.open(base + "/login", timeout=10).read().decode("utf-8")
        token = re.search(r'name="csrf" value="([^"]+)"', html).group(1)

        def attempt(password: str, k: int) -> int:
            body = urllib.parse.urlencode({"csrf": token, "password": password}).encode()
            request = urllib.request.Request(base + "/login", body, headers={
                "X-Forwarded-For": f"10.0.{k}.{k}", "X-Real-IP": f"10.1.{k}.{k}", "Forwarded": f"for=10.2.{k}.{k}"})
            try:
                return opener.open(request, timeout=10).status
            except urllib.error.HTTPError as e:
                return e.code
        assert [attempt("错误", k) for k in range(5)] == [401] * 5
        assert attempt("正确的密码正确的密码", 99) == 429       # another "address" in every header: still locked
    finally:
        server.should_exit = True
        thread.join(5)


def test_a_lan_password_has_at_least_8_characters(ledgers, monkeypatch, capsys):
    monkeypatch.setenv("JSJB_WEB_PASSWORD", "1234567")
    assert serve(str(ledgers[0]), host="0.0.0.0", port=free_port(), open_browser=False) == 2
    assert "至少要有 8 个字符" in capsys.readouterr().err
    monkeypatch.setenv("JSJB_WEB_PASSWORD", "12345678")
    with socket.socket() as s:                        # past the password check: stops at the busy port
        s.bind(("0.0.0.0", 0))
        s.listen()
        assert serve(str(ledgers[0]), host="0.0.0.0", port=s.getsockname()[1], open_browser=False) == 2
    err = capsys.readouterr().err
    assert "端口" in err and "个字符" not in err


# -- 发送通报: what was sent and when, 需重发, and the resend control ----------------------------------------
def test_the_send_page_lists_what_was_sent_marks_a_regenerated_bulletin_and_resends_on_confirmation(
        ledgers, tmp_path, smtp):
    app = create_app(None, work_dir=tmp_path / "work", password="", workers=1)
    with TestClient(app) as c:
        upload(c, ledgers[0])
        wait(c, start(c, "bulletin", month=MONTH))
        plan = c.get(f"/mail?month={MONTH}").text
        assert 'id="resend"' not in plan                       # nothing sent yet
        r = c.post("/mail", data={"csrf": csrf_of(c), "month": MONTH, "action": "send", "confirm": "yes"},
                   follow_redirects=False)
        wait(c, r.headers["location"])
        sent = {m["Subject"].split("— ")[-1] for _, m in smtp.messages}
        assert sent
        plan = c.get(f"/mail?month={MONTH}").text
        listed = re.findall(r'name="enterprise" value="([^"]+)"', plan)
        assert set(listed) == sent and "<td>需重发</td>" not in plan
        assert re.search(r"<td>20\d\d-\d\d-\d\d \d\d:\d\d:\d\d</td>", plan)          # when it was sent
        r = c.post("/bulletin", data={"csrf": csrf_of(c), "month": MONTH, "as_of": "2026-01-06T10:00"},
                   follow_redirects=False)
        page = wait(c, r.headers["location"]).text                                     # generated again, a day later
        assert "需重发" in page and "--resend" not in page
        plan = c.get(f"/mail?month={MONTH}").text
        states = dict(re.findall(r"<tr class=\"stale\"><td>([^<]+)</td><td>[^<]*</td><td>[^<]*</td><td>(需重发)</td>", plan))
        assert set(states) == sent
        before = len(smtp.messages)
        chosen = sorted(sent)[0]
        r = c.post("/mail", data={"csrf": csrf_of(c), "month": MONTH, "action": "resend", "enterprise": chosen},
                   follow_redirects=False)
        assert r.status_code == 400 and "我确认重新发送" in r.text and len(smtp.messages) == before
        r = c.post("/mail", data={"csrf": csrf_of(c), "month": MONTH, "action": "resend", "enterprise": chosen,
                                  "confirm_resend": "yes"}, follow_redirects=False)
        done = wait(c, r.headers["location"]).text
        assert "成功 1" in done and len(smtp.messages) == before + 1
        assert chosen in smtp.messages[-1][1]["Subject"]
        plan = c.get(f"/mail?month={MONTH}").text
        assert f'<tr class=""><td><input type="checkbox" name="enterprise" value="{chosen}"' in plan   # 已发送 again


# -- clear messages ------------------------------------------------------------------------------------------
def test_encrypted_and_old_format_workbooks_get_a_message_that_says_what_to_do(ledgers, tmp_path):
    msoffcrypto = pytest.importorskip("msoffcrypto.format.ooxml")
    encrypted = tmp_path / "加密.xlsx"
    with open(ledgers[0], "rb") as f, open(encrypted, "wb") as out:
        msoffcrypto.OOXMLFile(f).encrypt("密码12345", out)
    app = create_app(None, work_dir=tmp_path / "work", password="", processes=False)
    with TestClient(app) as c:
        r = upload(c, encrypted, "加密.xlsx")
        assert r.status_code == 400 and "设置了打开密码" in r.text and "只能上传" not in r.text
        old = tmp_path / "旧.xls"
        old.write_bytes(bytes.fromhex("d0cf11e0a1b11ae1") + b"\0" * 4096)
        r = upload(c, old, "旧.xls")
        assert r.status_code == 400 and "另存为“Excel 工作簿（*.xlsx）”" in r.text


def test_an_empty_month_writes_nothing_and_suggests_the_last_month_with_tickets(ledgers, tmp_path):
    app = create_app(ledgers[0], work_dir=tmp_path / "work", password="", processes=False)
    with TestClient(app) as c:
        r = wait(c, start(c, "bulletin", month="2026-10"))
        assert r.status_code == 400 and "2026-10 没有派单的工单" in r.text
        assert 'name="month" value="2025-12"' in r.text and 'id="suggestion"' in r.text
        assert not list((tmp_path / "work").rglob("月通报_2026-10*"))


def test_no_server_path_reaches_a_page(ledgers, tmp_path):
    """Progress lines, notes and errors name files, never the server's folders — also an error from
    the file system (an 归档.xlsx that is not an archive, R21)."""
    work = tmp_path / "服务器目录" / "work"
    app = create_app(ledgers[0], work_dir=work, password="", processes=False)
    queue = app.state.queue
    with TestClient(app) as c:
        pages = [wait(c, start(c, kind, **extra)).text for kind, extra in
                 (("check", {}), ("bulletin", {"month": MONTH, "docx": "1"}), ("dispatch", {}), ("archive", {}))]
        (out,) = {Path(p).parent for p in work.rglob("归档.xlsx")}
        (out / "归档.xlsx").unlink()
        openpyxl.Workbook().save(out / "归档.xlsx")               # someone else's workbook under that name
        pages.append(wait(c, start(c, "archive")).text)
        assert "归档.xlsx" in pages[-1] and 'id="error"' in pages[-1]
        texts = pages + [m for j in queue.jobs.values() for m in j.messages] + \
            [n for j in queue.jobs.values() if j.view for n in j.view.notes]
    for text in texts:
        assert str(tmp_path) not in text and "服务器目录" not in text and "/tmp/" not in text


def test_the_blank_ledger_is_offered_for_download(tmp_path):
    app = create_app(None, work_dir=tmp_path / "work", password="", processes=False)
    with TestClient(app) as c:
        assert 'href="/template"' in c.get("/").text
        r = c.get("/template")
        assert r.status_code == 200 and "attachment" in r.headers["content-disposition"]
        book = openpyxl.load_workbook(__import__("io").BytesIO(r.content))
        assert "工单台账" in book.sheetnames and book["工单台账"].cell(1, 1).value == "工单编号"


# -- no command line where a browser clerk reads ---------------------------------------------------------
COMMAND = re.compile(r"jsjb\s+(template|holidays|mail|bulletin|assess|dispatch|archive|check|compute|serve|sample|"
                     r"doctor|intake)\b|--[a-z][a-z-]+")
CJK = re.compile(r"[\u4e00-\u9fff]")
CLI_ONLY = {
    "jsjb/cli.py", "jsjb/launch.py", "jsjb/core/howto.py",
    "jsjb/doctor.py", "jsjb/doctor_windows.py", "jsjb/doctor_browser.py",     # the self-check IT runs
    "jsjb/web/__init__.py",         # serve's console lines, read by whoever starts the server
    "jsjb/io/docx_report.py",       # --template: an option of the CLI only (the browser never passes one)
    "jsjb/io/plain_book.py",        # the 使用说明 sheets name every door, the browser too (issue #21's text)
    "jsjb/io/ledger_book.py",
}
CLI_ONLY_STRINGS = {"原台账（--from）", "只能与 --plain（通用台账）一起使用", "预留空白行（--spare）"}   # template: CLI only


def test_no_user_message_outside_the_command_line_names_a_command():
    """Every Chinese string literal a job, a rule or the browser can show is free of command lines;
    how to do something is said through core.howto, which has the browser's words for each action."""
    from jsjb.core import howto

    found = []
    for path in sorted((ROOT / "jsjb").rglob("*.py")):
        if path.relative_to(ROOT).as_posix() in CLI_ONLY:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = {id(n.body[0].value) for n in ast.walk(tree)
                      if isinstance(n, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
                      and n.body and isinstance(n.body[0], ast.Expr) and isinstance(n.body[0].value, ast.Constant)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and CJK.search(node.value) \
                    and id(node) not in docstrings and node.value not in CLI_ONLY_STRINGS:
                if COMMAND.search(node.value):
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {node.value[:60]}")
    assert not found, found
    for action, words in howto.ACTIONS.items():
        assert not COMMAND.search(words["web"]), action
        assert not COMMAND.search(words["excel"]), action
    for template in (ROOT / "jsjb" / "web" / "templates").glob("*.html"):
        text = template.read_text(encoding="utf-8")
        assert not COMMAND.search(text) and "JSJB_" not in text, template.name


def test_a_missing_holiday_year_names_the_page_not_the_command(tmp_path):
    """R23's warning and R1's error, as the browser shows them."""
    from jsjb.core import howto
    from jsjb.core.errors import HolidayDataMissing

    with howto.door("web"):
        text = str(HolidayDataMissing(2099))
    assert "导入节假日" in text and not COMMAND.search(text)
    assert "jsjb holidays parse" in str(HolidayDataMissing(2099))       # the CLI keeps its words
    app = create_app(None, work_dir=tmp_path / "work", password="", processes=False)
    with TestClient(app) as c:
        page = c.get("/holidays").text
        assert not COMMAND.search(re.sub(r"<[^>]+>", " ", page))


def test_the_trend_of_each_month_over_its_own_tickets_equals_the_whole_ledger(ledgers):
    """月通报's 近12个月 chart works each month out over the tickets of that month (and those without a
    usable 派单时间); the figures must equal those over the whole ledger (RULES R11: the cohort is by
    派单时间), here for both sample ledgers and a month with an empty year around it."""
    from jsjb import jobs
    from jsjb.core import narrative, stats

    for path in ledgers:
        ev = jobs.evaluate(jobs.load(path), "2026-01-05T10:00")
        for label in ("2025-12", "2025-03"):
            months = [stats.month(label)]
            for _ in range(11):
                months.insert(0, months[0].previous())
            whole = []
            for p in months:
                table = stats.build_table(ev.ledger.enterprise_names, ev.tickets, ev.computed, p, ev.as_of,
                                          ev.ledger.params, ev.ledger.adjustments)
                whole.append({"period": p.label, "received": int(table["received"].sum()),
                              **narrative.overall(stats.Report(p, ev.as_of, table, {}, {}, ev.ledger.params))})
            assert jobs.monthly_trend(ev, label) == whole


def test_the_current_ledger_becomes_a_plain_ledger_from_the_page(ledgers, tmp_path):
    """The plain ledger's 使用说明 asks for a new copy when its spare rows run out: the browser has the
    control (生成通用台账), the same job as `jsjb template --plain --from`; the tickets are the ledger's."""
    import io

    app = create_app(None, work_dir=tmp_path / "work", password="", processes=False)
    with TestClient(app) as c:
        upload(c, ledgers[1])
        home = c.get("/").text
        assert 'action="/plain"' in home and home.count('formaction="/') == 7     # not a ribbon button
        page = wait(c, start(c, "plain")).text
        (fid,) = re.findall(r'href="/download/([^"]+)"', page)
        book = openpyxl.load_workbook(io.BytesIO(c.get(f"/download/{fid}").content), read_only=True)
        got = [r[0] for r in book["工单台账"].iter_rows(min_row=2, max_col=1, values_only=True) if r[0]]
    source = openpyxl.load_workbook(ledgers[1], read_only=True)["工单台账"]
    want = [r[0] for r in source.iter_rows(min_row=2, max_col=1, values_only=True) if r[0]]
    assert got == want and len(want) == 260
