"""The browser door without a browser (Starlette's TestClient): the JSON API equals the CLI's --json
for the same ledger and as_of; the ledger is never modified; caller data only on the ledger view
(R19); citizen text is escaped; uploads are limited and checked; downloads only by the server's own
ids; a password gates everything, with a rate-limited login; a non-loopback host needs a password.
Expected values come from the CLI (``jsjb … --json``) and from the workbook itself (openpyxl)."""

from __future__ import annotations

import hashlib
import io
import json
import re
import socket
import time
import zipfile
from pathlib import Path
from urllib.parse import parse_qsl

import openpyxl
import pytest

pytest.importorskip("starlette")
from starlette.testclient import TestClient  # noqa: E402

from jsjb.cli import main  # noqa: E402
from jsjb.web import create_app, serve  # noqa: E402

AS_OF = "2026-01-05T10:00"
from helpers import sample_with_markup  # noqa: E402


def digest(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def cli_json(capsys, argv) -> dict:
    main([*argv, "-q", "--json"])
    return json.loads(capsys.readouterr().out)


def without_files(data: dict) -> dict:
    return {k: v for k, v in data.items() if k != "files"}


@pytest.fixture(scope="module")
def ledger(tmp_path_factory) -> Path:
    """A sample ledger whose first ticket's 诉求内容 carries markup a citizen might type."""
    return sample_with_markup(tmp_path_factory.mktemp("web") / "台账.xlsx", 400, 5)


@pytest.fixture(scope="module")
def callers(ledger) -> tuple[set[str], set[str]]:
    """Caller names (3+ characters) and phones as the workbook holds them (openpyxl, not jsjb)."""
    ws = openpyxl.load_workbook(ledger, read_only=True)["工单台账"]
    rows = ws.iter_rows(values_only=True)
    header = list(next(rows))
    ci, pi = header.index("来话人"), header.index("联系电话")
    names, phones = set(), set()
    for r in rows:
        if r[ci] and len(str(r[ci])) >= 3:
            names.add(str(r[ci]))
        if r[pi] and len(str(r[pi])) >= 7:
            phones.add(str(r[pi]))
    return names, phones


@pytest.fixture(autouse=True)
def run_log(tmp_path, monkeypatch):
    monkeypatch.setenv("JSJB_LOG", str(tmp_path / "运行记录.csv"))


@pytest.fixture
def client(ledger, tmp_path):
    app = create_app(ledger, work_dir=tmp_path / "work", password="", max_upload=200_000)
    with TestClient(app) as c:
        yield c


def csrf_of(client) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', client.get("/").text).group(1)


def wait(client: TestClient, url: str):
    """Open a job's page until it shows its result (the page polls /status the same way)."""
    r = client.get(url)
    for _ in range(600):
        if 'id="working"' not in r.text:
            return r
        jid = re.search(r'data-job="([^"]+)"', r.text).group(1)
        assert client.get(f"/status/{jid}").json()["state"] in ("queued", "running", "done", "error")
        time.sleep(0.1)
        r = client.get(url)
    raise AssertionError(f"{url} did not finish")


def finish(client: TestClient, url: str):
    """Press a job's button as its page does (POST with the page's token, the fields from ``url``'s
    query) and wait for the result page."""
    path, _, query = url.partition("?")
    fields = dict(parse_qsl(query))
    r = client.post(path, data={"csrf": csrf_of(client), **fields}, follow_redirects=False)
    if r.status_code != 303:
        return r                      # refused before queueing (a bad field): the form with the message
    return wait(client, r.headers["location"])


# -- the JSON API equals the CLI ---------------------------------------------------------------------
@pytest.mark.parametrize("api, argv", [
    ("/api/check?as_of=" + AS_OF, ["check", "{ledger}", "--as-of", AS_OF]),
    ("/api/compute?as_of=" + AS_OF, ["compute", "{ledger}", "--as-of", AS_OF]),
    ("/api/bulletin?month=2025-12&as_of=" + AS_OF, ["bulletin", "{ledger}", "--month", "2025-12", "--as-of", AS_OF,
                                                   "--out", "{out}"]),
    ("/api/bulletin?as_of=" + AS_OF, ["bulletin", "{ledger}", "--as-of", AS_OF, "--out", "{out}"]),
    ("/api/assess?year=2025&as_of=" + AS_OF, ["assess", "{ledger}", "--year", "2025", "--as-of", AS_OF, "--out", "{out}"]),
    ("/api/assess?as_of=" + AS_OF, ["assess", "{ledger}", "--as-of", AS_OF, "--out", "{out}"]),
    ("/api/dispatch?as_of=" + AS_OF, ["dispatch", "{ledger}", "--as-of", AS_OF, "--out", "{out}"]),
])
def test_api_equals_the_cli_json(client, ledger, tmp_path, capsys, api, argv):
    expected = cli_json(capsys, [a.format(ledger=ledger, out=tmp_path / "cli") for a in argv])
    r = client.get(api)
    assert r.status_code == 200, r.text
    assert without_files(r.json()) == without_files(expected)


def test_api_holidays_equals_the_cli(client, ledger, capsys):
    import jsjb.jobs

    if not hasattr(jsjb.jobs, "holidays"):
        pytest.skip("jobs.holidays not present yet")
    expected = cli_json(capsys, ["holidays", str(ledger), "--as-of", AS_OF])
    assert client.get("/api/holidays?as_of=" + AS_OF).json() == expected


def test_api_errors_are_chinese_json(client):
    r = client.get("/api/bulletin?month=2025-13&as_of=" + AS_OF)
    assert r.status_code == 400 and "月份" in r.json()["error"]
    r = client.get("/api/check?as_of=昨天")
    assert r.status_code == 400 and "统计时点" in r.json()["error"]


# -- pages ------------------------------------------------------------------------------------------
def test_every_job_page_runs_and_never_touches_the_ledger(client, ledger, callers):
    before = digest(ledger)
    names, phones = callers
    pages = {}
    for url in ("/check?as_of=" + AS_OF, "/compute?as_of=" + AS_OF, "/dispatch?as_of=" + AS_OF,
                "/bulletin?month=2025-12&as_of=" + AS_OF, "/assess?year=2025&as_of=" + AS_OF,
                "/archive?as_of=" + AS_OF):
        r = finish(client, url)
        assert r.status_code == 200, (url, r.text[:500])
        assert 'id="error"' not in r.text, url
        assert "Traceback" not in r.text
        pages[url.split("?")[0]] = r.text
    r = client.get("/mail?month=2025-12")
    assert r.status_code == 200 and 'id="deliveries"' in r.text
    pages["/mail"] = r.text
    assert digest(ledger) == before
    # R19: the ledger view shows callers; no other page does
    assert any(n in pages["/compute"] for n in names)
    for path, html in pages.items():
        if path == "/compute":
            continue
        assert not [n for n in names if n in html], path
        assert not [p for p in phones if p in html], path
    # citizen markup is text, never markup
    assert "<script>window.__xss" not in pages["/compute"]
    assert "&lt;script&gt;window.__xss=1&lt;/script&gt;" in pages["/compute"]
    # every file a job wrote is offered and opens as a workbook
    links = re.findall(r'href="/download/([^"]+)"', pages["/bulletin"])
    assert len(links) >= 2
    for fid in links:
        r = client.get(f"/download/{fid}")
        assert r.status_code == 200 and "attachment" in r.headers["content-disposition"]
        openpyxl.load_workbook(io.BytesIO(r.content), read_only=True)


def test_compute_page_filters_and_pages_server_side(client, capsys, ledger):
    expected = cli_json(capsys, ["compute", str(ledger), "--as-of", AS_OF])
    status = "已办结"
    n = sum(1 for t in expected["tickets"] if t["status"] == status)
    r = finish(client, "/compute?as_of=" + AS_OF)
    jid = re.search(r'data-job="([^"]+)"', r.text).group(1)
    r = client.get("/compute", params={"job": jid, "status": status})
    assert f"符合条件 {n} 张" in r.text
    assert ledger_rows(r.text) == min(n, 100)
    last = -(-n // 100)
    r = client.get("/compute", params={"job": jid, "status": status, "page": str(last)})
    assert f"第 {last} / {last} 页" in r.text
    assert ledger_rows(r.text) == n - (last - 1) * 100


def ledger_rows(html: str) -> int:
    body = html[html.index('id="ledger"'):]
    body = body[body.index("<tbody>"):body.index("</tbody>")]
    return body.count("<tr")


def test_bad_parameters_show_a_chinese_message(client):
    r = finish(client, "/bulletin?month=2025-13&as_of=" + AS_OF)
    assert r.status_code == 400 and 'id="error"' in r.text and "月份" in r.text and "Traceback" not in r.text
    assert 'value="2025-13"' in r.text                  # the form again, as typed
    r = finish(client, "/check?as_of=明天")
    assert r.status_code == 400 and "统计时点" in r.text


# -- uploads ---------------------------------------------------------------------------------------
def test_upload_is_a_copy_checked_for_size_and_type(client, ledger, tmp_path):
    token = csrf_of(client)
    big = b"PK\x03\x04" + b"\0" * 300_000
    r = client.post("/upload", data={"csrf": token}, files={"ledger": ("大.xlsx", big)})
    assert r.status_code == 413 and "文件太大" in r.text
    r = client.post("/upload", data={"csrf": token}, files={"ledger": ("台账.txt", b"PK\x03\x04abc")})
    assert r.status_code == 400 and ".xlsx" in r.text
    r = client.post("/upload", data={"csrf": token}, files={"ledger": ("伪装.xlsx", b"<html>not a workbook</html>")})
    assert r.status_code == 400 and ".xlsx" in r.text
    r = client.post("/upload", data={"csrf": "wrong"}, files={"ledger": ("台账.xlsx", ledger.read_bytes())})
    assert r.status_code == 403
    r = client.post("/upload", data={"csrf": token}, files={"ledger": ("../../逃逸.xlsx", ledger.read_bytes())},
                    follow_redirects=True)
    assert r.status_code == 200 and "已载入台账副本：逃逸.xlsx" in r.text
    assert not (tmp_path / "逃逸.xlsx").exists() and not (tmp_path.parent / "逃逸.xlsx").exists()
    copies = list((tmp_path / "work").rglob("逃逸.xlsx"))
    assert len(copies) == 1 and digest(copies[0]) == digest(ledger)


def test_an_unreadable_workbook_gives_a_chinese_message(client, tmp_path):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("hello.txt", "not a workbook")
    token = csrf_of(client)
    client.post("/upload", data={"csrf": token}, files={"ledger": ("坏.xlsx", buf.getvalue())})
    r = finish(client, "/check")
    assert 'id="error"' in r.text and "Traceback" not in r.text
    assert re.search(r'id="error">[^<]*[\u4e00-\u9fff]', r.text)


# -- downloads ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("url", [
    "/download/..%2F..%2F..%2Fetc%2Fpasswd", "/download/../../etc/passwd", "/download/%2Fetc%2Fpasswd",
    "/download/C:%5CWindows%5Cwin.ini", "/download/" + "A" * 22, "/static/..%2F__init__.py", "/static/../app.py",
    "/download/%00",
])
def test_path_tricks_on_download_urls_get_nothing(client, url):
    r = client.get(url)
    assert r.status_code in (400, 404)
    assert "root:" not in r.text and "import" not in r.text


# -- password -----------------------------------------------------------------------------------------
def test_password_login_is_rate_limited_and_the_cookie_is_strict(ledger, tmp_path):
    app = create_app(ledger, work_dir=tmp_path / "w", password="正确的密码")
    with TestClient(app) as c:
        r = c.get("/", follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/login"
        assert c.get("/api/check").status_code == 401
        token = re.search(r'name="csrf" value="([^"]+)"', c.get("/login").text).group(1)
        r = c.post("/login", data={"csrf": "x", "password": "正确的密码"})
        assert r.status_code == 403
        for _ in range(5):
            r = c.post("/login", data={"csrf": token, "password": "错误"})
            assert r.status_code == 401 and "密码不正确" in r.text
        r = c.post("/login", data={"csrf": token, "password": "正确的密码"})
        assert r.status_code == 429 and "5 分钟" in r.text
    app = create_app(ledger, work_dir=tmp_path / "w2", password="正确的密码")
    with TestClient(app) as c:
        token = re.search(r'name="csrf" value="([^"]+)"', c.get("/login").text).group(1)
        r = c.post("/login", data={"csrf": token, "password": "正确的密码"}, follow_redirects=False)
        assert r.status_code == 303
        cookie = r.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")
        assert c.get("/api/check?as_of=" + AS_OF).status_code == 200


def test_a_foreign_origin_cannot_post(client):
    token = csrf_of(client)
    r = client.post("/mail", data={"csrf": token, "month": "2025-12", "confirm": "yes"},
                    headers={"origin": "http://evil.example"})
    assert r.status_code == 403


def test_a_rebound_host_name_is_refused(ledger, tmp_path):
    app = create_app(ledger, work_dir=tmp_path / "w", allowed_hosts={"127.0.0.1", "localhost"})
    with TestClient(app, base_url="http://attacker.example") as c:
        assert c.get("/").status_code == 400
    with TestClient(app, base_url="http://127.0.0.1:8765") as c:
        assert c.get("/").status_code == 200


def test_serve_refuses_another_host_without_a_password(ledger, monkeypatch, capsys):
    monkeypatch.delenv("JSJB_WEB_PASSWORD", raising=False)
    assert serve(str(ledger), host="0.0.0.0", port=free_port(), open_browser=False) == 2
    assert "JSJB_WEB_PASSWORD" in capsys.readouterr().err


def test_serve_says_when_the_port_is_taken(ledger, capsys):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        assert serve(str(ledger), host="127.0.0.1", port=s.getsockname()[1], open_browser=False) == 2
    assert "端口" in capsys.readouterr().err


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_starts_the_server_and_browser_none_opens_nothing(ledger, tmp_path):
    import os
    import subprocess
    import sys
    import urllib.request

    port = free_port()
    env = {**os.environ, "BROWSER": "none", "JSJB_WEB_DIR": str(tmp_path / "w")}
    code = f"import sys; from jsjb.web import serve; sys.exit(serve({str(ledger)!r}, '127.0.0.1', {port}, True))"
    proc = subprocess.Popen([sys.executable, "-c", code], env=env, stderr=subprocess.PIPE, text=True)
    try:
        for _ in range(150):
            try:
                html = urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2).read().decode("utf-8")
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise AssertionError("server did not start")
        assert ledger.name in html and "校验" in html
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=10)
    assert f"http://127.0.0.1:{port}/" in err


@pytest.mark.parametrize("url, name", [("/bulletin?month=2025-12&docx=1&as_of=" + AS_OF, "月通报_2025-12.docx"),
                                       ("/assess?year=2025&docx=1&as_of=" + AS_OF, "年度考核_2025.docx")])
def test_bulletin_and_assessment_offer_the_gongwen_draft(client, url, name):
    """#15: the browser's 月通报 and 年度考核 buttons can write the 公文 draft too, downloadable."""
    import docx

    page = finish(client, url).text
    assert name in page
    drafts = [fid for fid in re.findall(r'href="/download/([^"]+)"', page)
              if ".docx" in client.get(f"/download/{fid}").headers["content-disposition"]]
    assert len(drafts) == 1
    document = docx.Document(io.BytesIO(client.get(f"/download/{drafts[0]}").content))
    assert any("一、" in p.text for p in document.paragraphs)


def test_holidays_page_shows_coverage_and_turns_a_pasted_notice_into_rows(client):
    """R23 in the browser: the clerk pastes next year's notice and downloads the 节假日 rows to paste."""
    page = client.get("/holidays").text
    assert "2004–2026" in page
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    notice = (Path(__file__).parent / "fixtures" / "notices" / "2026.txt").read_text(encoding="utf-8")
    r = client.post("/holidays", data={"csrf": csrf, "notice": notice})
    assert r.status_code == 200 and "2026年放假调休安排" in r.text
    # 2026: Spring Festival 02-15…02-23 off, 02-14 (Sat) working (国办发明电〔2025〕7号)
    assert "<td>2026-02-16</td><td>休息日</td>" in r.text and "<td>2026-02-14</td><td>工作日</td>" in r.text
    (fid,) = re.findall(r'href="/download/([^"]+)"', r.text)
    book = openpyxl.load_workbook(io.BytesIO(client.get(f"/download/{fid}").content))
    assert [c.value for c in book["节假日"][1]][:3] == ["日期", "类型", "说明"]
    bad = client.post("/holidays", data={"csrf": csrf, "notice": "一、元旦：1月1日（周三）放假1天。"})
    assert bad.status_code == 400 and "年份" in bad.text and "Traceback" not in bad.text
    assert client.post("/holidays", data={"csrf": "forged", "notice": notice}).status_code == 403


def test_a_re_uploaded_ledger_keeps_its_outputs_and_run_log(ledger, tmp_path, monkeypatch):
    """R22 in the browser: uploading the same ledger again must not forget what was already sent."""
    monkeypatch.delenv("JSJB_LOG", raising=False)
    app = create_app(None, work_dir=tmp_path / "work", password="", max_upload=2_000_000)
    with TestClient(app) as c:
        folders = []
        for _ in range(2):
            page = c.get("/").text
            csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
            r = c.post("/upload", data={"csrf": csrf},
                       files={"ledger": ("台账.xlsx", ledger.read_bytes(), "application/octet-stream")})
            assert r.status_code in (200, 303)
            folders.append(sorted(p.parent for p in (tmp_path / "work").rglob("台账.xlsx")))
        assert folders[0] == folders[1] and len(folders[1]) == 1


@pytest.mark.parametrize("url", ["/bulletin?month=2025-12", "/archive", "/api/compute", "/check"])
def test_another_site_cannot_start_a_job(client, url):
    """CSRF by GET: a cross-site <img src="http://127.0.0.1:8765/archive"> is refused; the tool's own
    pages (same-origin) and a typed address (none) are not."""
    assert client.get(url, headers={"Sec-Fetch-Site": "cross-site"}).status_code == 403
    assert client.get(url, headers={"Sec-Fetch-Site": "same-site"}).status_code == 403
    assert client.get(url, headers={"Sec-Fetch-Site": "none"}, follow_redirects=False).status_code == 200
    if not url.startswith("/api/"):
        path = url.split("?")[0]
        r = client.post(path, data={"csrf": csrf_of(client)}, headers={"Sec-Fetch-Site": "cross-site"},
                        follow_redirects=False)
        assert r.status_code == 403
