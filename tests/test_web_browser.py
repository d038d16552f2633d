"""The browser door in a real browser (pip playwright driving Debian's /usr/bin/chromium): choose a
ledger by the file input, press each button, check the tables and charts against the CLI's --json
for the same ledger and as_of, download every file and open it (openpyxl), confirm a send against a
local SMTP server (aiosmtpd), citizen <script> text, an oversized and a non-xlsx upload, path tricks
on download URLs, a wrong password. With JSJB_WEB_SCREENSHOTS=1 it saves docs/images/web_*.png."""

from __future__ import annotations

import json
import os
import re
import socket
import threading
import time
from pathlib import Path

import openpyxl
import pytest
from smtp_inbox import Inbox

CHROMIUM = Path("/usr/bin/chromium")
playwright_sync = pytest.importorskip("playwright.sync_api")
if not CHROMIUM.exists():
    pytest.skip("Chromium not installed (scripts/ensure_test_tools.sh installs it)", allow_module_level=True)

from aiosmtpd.controller import Controller  # noqa: E402

from jsjb.cli import main  # noqa: E402
from jsjb.web import create_app, make_server  # noqa: E402

AS_OF = "2026-01-05T10:00"
MONTH, YEAR = "2025-12", "2025"
from helpers import sample_with_markup  # noqa: E402

IMAGES = Path(__file__).parent.parent / "docs" / "images"
COLOURS = {"超期未办结": "rgb(255, 199, 206)", "临期": "rgb(255, 235, 156)", "挂单中": "rgb(217, 217, 217)"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cli_json(capsys, argv) -> dict:
    main([*argv, "-q", "--json"])
    return json.loads(capsys.readouterr().out)




class Server:
    """The app under uvicorn in a thread, as `jsjb serve` runs it."""

    def __init__(self, app):
        self.port = free_port()
        self.server = make_server(app, "127.0.0.1", self.port)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        for _ in range(100):
            if self.server.started:
                break
            time.sleep(0.05)
        self.url = f"http://127.0.0.1:{self.port}"

    def stop(self):
        self.server.should_exit = True
        self.thread.join(5)


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    base = tmp_path_factory.mktemp("browser")
    saved = {k: os.environ.get(k) for k in ("JSJB_LOG", "JSJB_SMTP_HOST", "JSJB_SMTP_PORT", "JSJB_SMTP_SECURITY")}
    inbox = Inbox()
    smtp = Controller(inbox, hostname="127.0.0.1", port=free_port())
    smtp.start()
    os.environ.update(JSJB_LOG=str(base / "运行记录.csv"), JSJB_SMTP_HOST="127.0.0.1", JSJB_SMTP_PORT=str(smtp.port),
                      JSJB_SMTP_SECURITY="none")
    ledger = sample_with_markup(base / "东胜区台账.xlsx", 500, 3)
    server = Server(create_app(None, work_dir=base / "work", password="", max_upload=1024 * 1024))
    locked = Server(create_app(ledger, work_dir=base / "work2", password="开门密码"))
    yield {"base": base, "ledger": ledger, "server": server, "locked": locked, "inbox": inbox}
    server.stop()
    locked.stop()
    smtp.stop()
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


@pytest.fixture(scope="module")
def browser():
    with playwright_sync.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        yield b
        b.close()


@pytest.fixture(scope="module")
def page(browser, env):
    context = browser.new_context(accept_downloads=True, viewport={"width": 1360, "height": 900}, locale="zh-CN")
    pg = context.new_page()
    pg.set_default_timeout(60_000)
    yield pg
    context.close()


def shot(page, name: str) -> None:
    if os.environ.get("JSJB_WEB_SCREENSHOTS"):
        IMAGES.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(IMAGES / name), full_page=False)


def press(page, env, button: str, month: str = MONTH, year: str = YEAR):
    """From the home page: fill 统计时点/月份/年度 and press a ribbon button; wait for its result."""
    page.goto(env["server"].url + "/")
    page.fill("input[name=as_of]", AS_OF)
    page.fill("input[name=month]", month)
    page.fill("input[name=year]", year)
    page.get_by_role("button", name=button, exact=True).click()
    page.wait_for_selector("#result, #plan, #error")
    assert page.locator("#error").count() == 0, page.locator("#error").inner_text()


def table(page, selector: str) -> list[dict]:
    return page.eval_on_selector(selector, """t => {
        const heads = [...t.querySelectorAll('thead th')].map(th => th.textContent.trim());
        return [...t.querySelectorAll('tbody tr')].map(tr => {
            const cells = [...tr.querySelectorAll('td')].map(td => td.textContent);
            return Object.fromEntries(heads.map((h, i) => [h, cells[i]]));
        });
    }""")


def downloads(page, tmp: Path) -> list[Path]:
    """Download every file the result page offers; each must open as a workbook."""
    out = []
    for link in page.locator("a.download").all():
        with page.expect_download() as info:
            link.click()
        target = tmp / info.value.suggested_filename
        info.value.save_as(target)
        openpyxl.load_workbook(target, read_only=True).close()
        out.append(target)
    return out


def pct(v) -> str:
    return "无数据" if v is None else f"{v:.2%}"


# -- the flow of a clerk's day -------------------------------------------------------------------------
def test_choose_the_ledger_by_the_file_input(page, env):
    page.goto(env["server"].url + "/")
    assert page.get_by_role("button", name="校验", exact=True).is_visible()
    for word in ("校验", "刷新", "日调度", "月通报", "年度考核", "归档", "发送通报"):
        assert page.get_by_role("button", name=word, exact=True).count() == 1
    page.set_input_files("#ledger-file", str(env["ledger"]))
    page.click("#upload")
    page.wait_for_selector("#ledger-name")
    assert page.inner_text("#ledger-name") == env["ledger"].name
    page.fill("input[name=as_of]", AS_OF)
    shot(page, "web_home.png")


def test_check_button(page, env, capsys):
    expected = cli_json(capsys, ["check", str(env["ledger"]), "--as-of", AS_OF])
    press(page, env, "校验")
    assert page.inner_text("#n-errors") == str(len(expected["errors"]))
    assert page.inner_text("#n-warnings") == str(len(expected["warnings"]))
    assert f"共 {expected['rows']} 张工单" in page.inner_text("#summary")


def test_refresh_button_shows_the_ledger_with_status_colours(page, env, capsys):
    expected = cli_json(capsys, ["compute", str(env["ledger"]), "--as-of", AS_OF])
    by_row = {t["row"]: t for t in expected["tickets"]}
    press(page, env, "刷新")
    rows = table(page, "#ledger")
    assert len(rows) == 100
    for i, r in enumerate(rows):
        t = by_row[int(r["行号"])]
        assert r["状态"] == t["status"] and r["工单编号"] == t["id"]
        if t["status"] in COLOURS:
            colour = page.eval_on_selector(f"#ledger tbody tr:nth-child({i + 1}) td",
                                           "td => getComputedStyle(td).backgroundColor")
            assert colour == COLOURS[t["status"]], t
    # citizen text stays text: shown literally, never run
    assert any("<script>window.__xss=1</script>" in r["诉求内容"] for r in rows)
    assert page.evaluate("window.__xss === undefined")
    # filter by status (server-side, paged)
    for status in ("已办结", "在办"):
        n = sum(1 for t in expected["tickets"] if t["status"] == status)
        page.select_option("#f-status", status)
        page.click("#filter button")
        page.wait_for_selector("#matched")
        assert page.inner_text("#matched") == f"符合条件 {n} 张"
        assert {r["状态"] for r in table(page, "#ledger")} <= {status}
    page.select_option("#f-status", "")
    enterprise = page.eval_on_selector("#f-enterprise option:nth-child(2)", "o => o.value")
    page.select_option("#f-enterprise", enterprise)
    page.click("#filter button")
    page.wait_for_selector("#ledger")
    assert {r["承办企业"] for r in table(page, "#ledger")} == {enterprise}


def test_bulletin_button_table_charts_and_files(page, env, capsys, tmp_path):
    expected = cli_json(capsys, ["bulletin", str(env["ledger"]), "--month", MONTH, "--as-of", AS_OF,
                                 "--out", str(tmp_path / "cli")])
    press(page, env, "月通报")
    shot(page, "web_bulletin.png")
    rows = table(page, "#ranking")
    assert [r["承办企业"] for r in rows] == [e["enterprise"] for e in expected["enterprises"]]
    for r, e in zip(rows, expected["enterprises"]):
        assert r["排名"] == ("" if e["rank"] is None else str(e["rank"]))
        assert int(r["受理"]) == e["received"] and int(r["办结"]) == e["closed"]
        assert r["响应率"] == pct(e["response_rate"]) and r["解决率"] == pct(e["resolution_rate"])
        assert r["满意率"] == pct(e["satisfaction_rate"])
        if e["rank"] is not None:
            assert float(r["总分"]) == pytest.approx(e["total"], abs=0.005)
    bars = page.eval_on_selector_all("#chart-enterprises rect.bar", "rs => rs.map(r => [r.dataset.enterprise, "
                                     "r.dataset.rate, r.dataset.value])")
    want = {(e["enterprise"], k): e[k] for e in expected["enterprises"] if e["received"]
            for k in ("response_rate", "resolution_rate", "satisfaction_rate")}
    assert len(bars) == len(want)
    for name, key, value in bars:
        assert (float(value) if value else None) == pytest.approx(want[(name, key)], abs=1e-6)
    # the trend's last month is this bulletin: 全区 rates from the CLI's per-enterprise counts
    points = page.eval_on_selector_all("#chart-trend circle.point", "cs => cs.map(c => [c.dataset.period, "
                                       "c.dataset.rate, +c.dataset.value])")
    periods = sorted({p for p, _, _ in points})
    assert len(periods) <= 12 and periods[-1] == MONTH
    last = {k: v for p, k, v in points if p == MONTH}
    es = expected["enterprises"]
    closed, timely = sum(e["closed"] for e in es), sum(e["timely"] for e in es)
    visits, satisfied = sum(e["visits"] for e in es), sum(e["satisfied"] for e in es)
    assert last["response_rate"] == pytest.approx(timely / closed, abs=1e-6)
    assert last["satisfaction_rate"] == pytest.approx(satisfied / visits, abs=1e-6)
    got = downloads(page, tmp_path)
    names = {Path(expected["files"]["bulletin"]).name, *(Path(p).name for p in expected["files"]["enterprises"].values())}
    assert {p.name for p in got} == names


def test_assess_button(page, env, capsys, tmp_path):
    expected = cli_json(capsys, ["assess", str(env["ledger"]), "--year", YEAR, "--as-of", AS_OF,
                                 "--out", str(tmp_path / "cli")])
    press(page, env, "年度考核")
    rows = table(page, "#ranking")
    assert [r["承办企业"] for r in rows] == [e["enterprise"] for e in expected["enterprises"]]
    for r, e in zip(rows, expected["enterprises"]):
        assert r["排名"] == ("" if e["rank"] is None else str(e["rank"]))
        if e["rank"] is not None:
            assert float(r["总分"]) == pytest.approx(e["total"], abs=0.005)
    got = downloads(page, tmp_path)
    assert [p.name for p in got] == [Path(expected["files"]["assessment"]).name]


def test_dispatch_button_groups_by_enterprise(page, env, capsys, tmp_path):
    expected = cli_json(capsys, ["dispatch", str(env["ledger"]), "--as-of", AS_OF, "--out", str(tmp_path / "cli")])
    press(page, env, "日调度")
    shot(page, "web_dispatch.png")
    assert page.inner_text("#n-items") == str(len(expected["items"]))
    per = {}
    for item in expected["items"]:
        per[item["enterprise"]] = per.get(item["enterprise"], 0) + 1
    groups = page.eval_on_selector_all("details.group", "ds => ds.map(d => [d.dataset.enterprise, "
                                       "d.querySelectorAll('tbody tr').length])")
    assert dict(groups) == per
    got = downloads(page, tmp_path)
    names = {Path(expected["files"]["office"]).name, *(Path(p).name for p in expected["files"]["enterprises"].values())}
    assert {p.name for p in got} == names


def test_archive_button(page, env, capsys, tmp_path):
    expected = cli_json(capsys, ["archive", str(env["ledger"]), "--as-of", AS_OF, "--out", str(tmp_path / "归档.xlsx")])
    press(page, env, "归档")
    assert page.inner_text("#n-archived") == str(expected["archived"])
    (tmp_path / "dl").mkdir()
    got = downloads(page, tmp_path / "dl")
    assert [p.name for p in got] == ["归档.xlsx"]


def test_send_button_shows_the_plan_and_sends_after_confirmation(page, env):
    inbox = env["inbox"]
    press(page, env, "发送通报")
    plan = table(page, "#deliveries")
    to_send = {r["承办企业"]: r for r in plan if r["说明"].startswith("将发送")}
    assert to_send and not inbox.messages            # nothing is sent by looking at the plan
    page.click("#send")                               # without the confirmation box: the browser refuses
    assert not inbox.messages and page.locator("#plan").count() == 1
    page.check("#confirm-box")
    page.click("#send")
    page.wait_for_selector("#result")
    outcome = table(page, "#outcome")
    sent = {r["承办企业"] for r in outcome if r["结果"] == "已发送"}
    assert sent == set(to_send)
    got = {}
    for rcpts, msg in inbox.messages:
        files = [p.get_filename() for p in msg.iter_attachments()]
        assert len(files) == 1
        got[files[0]] = rcpts
    for r in to_send.values():
        assert got[r["附件"]] == r["收件地址"].split("；")
    assert f"成功 {len(sent)}" in page.inner_text("#mail-summary")


# -- what must be refused --------------------------------------------------------------------------------
def upload(page, env, path: Path) -> str:
    page.goto(env["server"].url + "/")
    page.set_input_files("#ledger-file", str(path))
    page.click("#upload")
    page.wait_for_selector("#error, .ok")
    return page.inner_text("#error") if page.locator("#error").count() else ""


def test_oversized_and_non_xlsx_uploads_are_refused(page, env, tmp_path):
    big = tmp_path / "很大的台账.xlsx"
    big.write_bytes(b"PK\x03\x04" + os.urandom(2 * 1024 * 1024))
    assert "文件太大" in upload(page, env, big)
    text = tmp_path / "台账.csv"
    text.write_text("工单编号,来话人\n1,张三\n", encoding="utf-8")
    assert ".xlsx" in upload(page, env, text)
    fake = tmp_path / "假的.xlsx"
    fake.write_text("<html></html>", encoding="utf-8")
    assert ".xlsx" in upload(page, env, fake)


@pytest.mark.parametrize("tail", ["download/..%2F..%2F..%2Fetc%2Fpasswd", "download/%2Fetc%2Fpasswd",
                                  "download/..%5C..%5Cwindows%5Cwin.ini", "static/..%2F..%2Fcli.py",
                                  "download/" + "x" * 22])
def test_path_tricks_on_download_urls(page, env, tail):
    response = page.goto(f"{env['server'].url}/{tail}")
    assert response.status in (400, 404)
    assert "root:" not in page.content() and "def main" not in page.content()


def test_wrong_password(browser, env):
    context = browser.new_context()
    pg = context.new_page()
    url = env["locked"].url
    pg.goto(url + "/bulletin")
    assert pg.url.endswith("/login")
    pg.fill("#password", "猜一个")
    pg.get_by_role("button", name="登录").click()
    assert "密码不正确" in pg.inner_text("#error")
    pg.fill("#password", "开门密码")
    pg.get_by_role("button", name="登录").click()
    pg.wait_for_selector("#ledger-name")
    cookie = next(c for c in context.cookies() if c["name"] == "jsjb_sid")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    context.close()


# -- an office: several clerks, the ledger view, printing, resending (issue #20) -----------------------------
COMMAND = re.compile(r"jsjb\s+(template|holidays|mail|bulletin|assess|dispatch|archive|check|compute|serve|sample)\b"
                     r"|--[a-z][a-z-]+")


def test_enter_in_the_month_field_runs_nothing(page, env):
    page.goto(env["server"].url + "/")
    before = page.locator("#jobs tbody tr").count()
    page.fill("input[name=month]", MONTH)
    page.press("input[name=month]", "Enter")
    page.wait_for_timeout(800)
    assert page.url.rstrip("/") == env["server"].url and page.locator("#working, #result").count() == 0
    page.goto(env["server"].url + "/")
    assert page.locator("#jobs tbody tr").count() == before


def test_the_ledger_view_a_clerk_can_work_in(page, env, capsys):
    """刷新 on a 500-row ledger: the computed columns in view at once, the header stays while scrolling,
    工单编号 stays at the left, a scrollbar above the table, search by 工单编号, sort, filter."""
    expected = cli_json(capsys, ["compute", str(env["ledger"]), "--as-of", AS_OF])
    press(page, env, "刷新")
    width = page.viewport_size["width"]
    heads = page.eval_on_selector_all("#ledger thead th", "ths => ths.map(th => [th.textContent.trim(), "
                                      "th.getBoundingClientRect().right])")
    names = [h for h, _ in heads]
    assert names[:3] == ["工单编号", "行号", "状态"]
    shot(page, "web_ledger.png")
    assert all(right <= width for h, right in heads if h in ("状态", "办理期限", "是否及时", "承办企业"))
    box = page.eval_on_selector("#ledger-wrap", "w => { w.scrollTop = 1500; w.scrollLeft = 900; "
                                "const r = w.getBoundingClientRect(); return [r.top, r.left, w.scrollLeft]; }")
    page.wait_for_timeout(200)
    th_top = page.eval_on_selector("#ledger thead th", "th => th.getBoundingClientRect().top")
    pin_left = page.eval_on_selector("#ledger tbody tr:nth-child(40) td.pin", "td => td.getBoundingClientRect().left")
    assert abs(th_top - box[0]) <= 2 and abs(pin_left - box[1]) <= 2 and box[2] > 0
    top = page.eval_on_selector("#scroll-top", "t => [t.hidden, t.getBoundingClientRect().top, t.scrollLeft, "
                                "t.firstElementChild.getBoundingClientRect().width]")
    wrap_width = page.eval_on_selector("#ledger-wrap", "w => w.scrollWidth")
    assert top[0] is False and top[1] < page.viewport_size["height"] and abs(top[3] - wrap_width) <= 2
    assert top[2] == box[2]                                   # the scrollbar above follows the table
    page.eval_on_selector("#scroll-top", "t => { t.scrollLeft = 0; t.dispatchEvent(new Event('scroll')); }")
    page.wait_for_timeout(200)
    assert page.eval_on_selector("#ledger-wrap", "w => w.scrollLeft") == 0
    # search by a part of 工单编号
    part = expected["tickets"][123]["id"][-4:]
    want = [t["id"] for t in expected["tickets"] if part in t["id"]]
    page.fill("#f-q", part)
    page.click("#filter button")
    page.wait_for_selector("#matched")
    assert page.inner_text("#matched") == f"符合条件 {len(want)} 张"
    assert [r["工单编号"] for r in table(page, "#ledger")] == want[:100]
    page.fill("#f-q", "")
    page.click("#filter button")
    # sort by 办理期限: ascending, then descending (empty deadlines last either way)
    deadlines = sorted(t["deadline"] for t in expected["tickets"] if t["deadline"])
    page.click("#ledger thead th a:text-is('办理期限')")
    page.wait_for_selector("th[aria-sort=ascending]")
    shown = [r["办理期限"] for r in table(page, "#ledger")]
    assert shown == [d[:16].replace("T", " ") for d in deadlines[:100]]
    page.click("#ledger thead th a:text-is('办理期限')")
    page.wait_for_selector("th[aria-sort=descending]")
    shown = [r["办理期限"] for r in table(page, "#ledger")]
    assert shown == [d[:16].replace("T", " ") for d in deadlines[::-1][:100]]


def test_the_bulletin_prints_on_a4_landscape_with_the_whole_table(page, env, capsys, tmp_path):
    import subprocess

    expected = cli_json(capsys, ["bulletin", str(env["ledger"]), "--month", MONTH, "--as-of", AS_OF,
                                 "--out", str(tmp_path / "cli")])
    press(page, env, "月通报")
    pdf = tmp_path / "月通报.pdf"
    page.pdf(path=str(pdf), prefer_css_page_size=True, print_background=True)
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    size = re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", info)
    assert (round(float(size.group(1))), round(float(size.group(2)))) == (842, 595)      # A4 landscape
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "总分" in text and "导入节假日" not in text and "首页" not in text      # the menu is not printed
    ranking = text[text.index("排名与三率"):text.index("各企业三率")]
    for e in expected["enterprises"]:
        line = next(x for x in ranking.splitlines() if e["enterprise"] in x)
        assert f"{e['total']:.2f}".rstrip("0").rstrip(".") in line.split()     # the row reaches 总分


def test_two_clerks_in_two_browsers_each_keep_their_own_ledger(browser, env, capsys, tmp_path):
    """Two browser contexts (two clerks) upload different files, both named 台账.xlsx, and press 月通报:
    each sees her own ledger's figures; one clerk's result and download links open nothing for the other."""
    from helpers import sample_ledger

    (tmp_path / "甲").mkdir()
    (tmp_path / "乙").mkdir()
    paths = [sample_ledger(tmp_path / "甲", 300, 21), sample_ledger(tmp_path / "乙", 240, 22)]
    capsys.readouterr()
    contexts = [browser.new_context(accept_downloads=True, viewport={"width": 1360, "height": 900}) for _ in paths]
    pages = [c.new_page() for c in contexts]
    try:
        for pg, path in zip(pages, paths):
            pg.goto(env["server"].url + "/")
            pg.set_input_files("#ledger-file", str(path))
            pg.click("#upload")
            pg.wait_for_selector("#ledger-name")
            assert pg.inner_text("#ledger-name") == "台账.xlsx"
        for pg in pages:                                     # both press at about the same time
            pg.fill("input[name=as_of]", AS_OF)
            pg.fill("input[name=month]", MONTH)
            pg.get_by_role("button", name="月通报", exact=True).click()
        for pg, path in zip(pages, paths):
            pg.wait_for_selector("#result", timeout=120_000)
            want = cli_json(capsys, ["bulletin", str(path), "--month", MONTH, "--as-of", AS_OF,
                                     "--out", str(tmp_path / path.parent.name / "cli")])
            rows = table(pg, "#ranking")
            assert [(r["承办企业"], int(r["受理"])) for r in rows] == [(e["enterprise"], e["received"])
                                                                     for e in want["enterprises"]]
        first_result, first_link = pages[0].url, pages[0].locator("a.download").first.get_attribute("href")
        response = pages[1].goto(first_result)
        assert response.status == 404 and pages[1].locator("#ranking").count() == 0
        assert "没有找到这个任务" in pages[1].inner_text("#error")
        assert pages[1].goto(env["server"].url + first_link).status == 404
        assert pages[0].request.get(env["server"].url + first_link).status == 200
    finally:
        for c in contexts:
            c.close()


def test_a_regenerated_bulletin_is_marked_and_resent_on_confirmation(page, env):
    """After 发送通报 (the test above): the plan lists what was sent and when; 月通报 run again marks those
    enterprises 需重发 (and never 已发送); the clerk chooses one, confirms, and only that one gets the new
    workbook."""
    inbox = env["inbox"]
    page.goto(env["server"].url + f"/mail?month={MONTH}")
    sent = table(page, "#sent-before")
    assert sent and all(re.match(r"20\d\d-\d\d-\d\d \d\d:\d\d:\d\d", r["发送时间"]) for r in sent)
    page.goto(env["server"].url + "/")
    page.fill("input[name=as_of]", "2026-01-06T10:00")                       # generated again, a day later
    page.fill("input[name=month]", MONTH)
    page.get_by_role("button", name="月通报", exact=True).click()
    page.wait_for_selector("#result")
    assert "需重发" in page.inner_text("#notes")
    page.goto(env["server"].url + f"/mail?month={MONTH}")
    rows = table(page, "#sent-before")
    assert {r["状态"] for r in rows} == {"需重发"}
    assert {r["状态"] for r in table(page, "#deliveries") if r["承办企业"] in {x["承办企业"] for x in rows}} == {"需重发"}
    shot(page, "web_mail.png")
    before = len(inbox.messages)
    boxes = page.locator("#sent-before input[name=enterprise]")
    assert all(boxes.nth(k).is_checked() for k in range(boxes.count()))      # 需重发: chosen already
    page.click("#resend-button")                                             # not confirmed: the browser refuses
    assert len(inbox.messages) == before and page.locator("#resend").count() == 1
    for k in range(1, boxes.count()):
        boxes.nth(k).uncheck()
    chosen = rows[0]["承办企业"]
    page.check("#confirm-resend")
    page.click("#resend-button")
    page.wait_for_selector("#result")
    assert "成功 1" in page.inner_text("#mail-summary")
    assert len(inbox.messages) == before + 1 and chosen in inbox.messages[-1][1]["Subject"]
    page.goto(env["server"].url + f"/mail?month={MONTH}")
    states = {r["承办企业"]: r["状态"] for r in table(page, "#sent-before")}
    assert states[chosen] == "已发送" and all(v == "需重发" for k, v in states.items() if k != chosen)


def test_an_encrypted_workbook_is_named_as_such_and_the_ledger_stays(page, env, tmp_path):
    msoffcrypto = pytest.importorskip("msoffcrypto.format.ooxml")
    encrypted = tmp_path / "加密台账.xlsx"
    with open(env["ledger"], "rb") as f, open(encrypted, "wb") as out:
        msoffcrypto.OOXMLFile(f).encrypt("密码12345", out)
    assert "打开密码" in upload(page, env, encrypted)
    page.goto(env["server"].url + "/")
    assert page.inner_text("#ledger-name") == env["ledger"].name


def test_no_page_tells_the_clerk_to_type_a_command(page, env):
    for path in ("/", "/check", "/compute", "/bulletin?month=2025-12", "/assess", "/archive", "/dispatch",
                 f"/mail?month={MONTH}", "/holidays", "/login"):
        page.goto(env["server"].url + path)
        text = page.inner_text("body")
        assert not COMMAND.search(text), (path, COMMAND.search(text).group(0))
    page.goto(env["server"].url + "/")
    for link in page.locator("#jobs a").all()[:12]:           # every result this clerk produced today
        href = link.get_attribute("href")
        page2 = page.context.new_page()
        page2.goto(env["server"].url + href)
        text = page2.inner_text("body")
        assert not COMMAND.search(text), (href, COMMAND.search(text).group(0))
        page2.close()


def test_a_waiting_clerk_sees_her_place_in_the_queue_and_the_step(browser, env, tmp_path, monkeypatch):
    """One worker, held by a first clerk's job: a second clerk's 校验 shows 排队中 第 1 位, then (once
    the first job goes on) the step and its count, then the result — the page updates itself."""
    from jsjb.web import worker

    hold = threading.Event()
    real = worker.RUNNERS["check"]

    def held(spec, source, progress):
        progress("核对 1/2")
        hold.wait(60)
        return real(spec, source, progress)
    monkeypatch.setitem(worker.RUNNERS, "check", held)
    server = Server(create_app(env["ledger"], work_dir=tmp_path / "w", password="", processes=False, workers=1))
    contexts = [browser.new_context(viewport={"width": 1360, "height": 700}) for _ in range(2)]
    try:
        pages = [c.new_page() for c in contexts]
        for pg in pages:
            pg.set_default_timeout(60_000)
            pg.goto(server.url + "/check")
            pg.fill("input[name=as_of]", AS_OF)
            pg.click("#start")
            pg.wait_for_selector("#working")
            if pg is pages[0]:                 # the first clerk's job holds the worker before the second presses
                pg.locator("#state", has_text="核对 1/2").wait_for()
        pages[1].wait_for_selector("#position")
        assert pages[1].inner_text("#position") == "1"
        assert pages[0].inner_text("#state") == "正在处理：核对 1/2"
        assert pages[0].eval_on_selector("#bar", "b => [b.hidden, b.value, b.max]") == [False, 1, 2]
        shot(pages[1], "web_queue.png")
        hold.set()
        for pg in pages:
            pg.wait_for_selector("#result", timeout=60_000)
            assert pg.locator("#n-errors").count() == 1
    finally:
        hold.set()
        for c in contexts:
            c.close()
        server.stop()
