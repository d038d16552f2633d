"""导入工单 (/intake) in a real browser (Playwright on Debian's /usr/bin/chromium): a clerk chooses the
ledger, opens 导入工单 from the menu, chooses the system's export with the file input, presses the
button, waits for the queued job, reads the counts and tables — the same as `jsjb intake --json` for
the same files — and downloads the workbook to paste, which opens with the new tickets in it.
With JSJB_WEB_SCREENSHOTS=1 it saves docs/images/web_intake.png."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest
from test_web_browser import CHROMIUM, Server, shot, table

from jsjb.cli import main
from jsjb.web import create_app

playwright_sync = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    base = tmp_path_factory.mktemp("browser-intake")
    ledger, export = base / "东胜区台账.xlsx", base / "系统导出.xlsx"
    assert main(["sample", str(ledger), "--export", str(export), "--rows", "800", "--seed", "6", "--export-rows", "150",
                 "-q"]) == 0
    return base, ledger, export


@pytest.fixture(scope="module")
def server(files, tmp_path_factory):
    base, _, _ = files
    s = Server(create_app(None, work_dir=base / "work", password="", max_upload=5 * 1024 * 1024))
    yield s
    s.stop()


def test_a_clerk_imports_the_systems_export(files, server, capsys, tmp_path, monkeypatch):
    base, ledger, export = files
    monkeypatch.setenv("JSJB_LOG", str(base / "运行记录.csv"))
    assert main(["intake", str(export), "--ledger", str(ledger), "--json", "-q"]) == 1
    expected = json.loads(capsys.readouterr().out)
    with playwright_sync.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        context = browser.new_context(accept_downloads=True, viewport={"width": 1360, "height": 900}, locale="zh-CN")
        page = context.new_page()
        page.set_default_timeout(60_000)
        page.goto(server.url + "/")
        page.set_input_files("#ledger-file", str(ledger))
        page.click("#upload")
        page.wait_for_selector("#ledger-name")
        page.get_by_role("link", name="导入工单", exact=True).click()
        page.wait_for_selector("#export-file")
        page.set_input_files("#export-file", str(export))
        page.get_by_role("button", name="导入工单", exact=True).click()
        page.wait_for_selector("#result, #error")
        assert page.locator("#error").count() == 0, page.locator("#error").inner_text()
        c = expected["counts"]
        assert page.inner_text("#n-new") == str(c["new"]) and page.inner_text("#n-changed") == str(c["changed"])
        assert page.inner_text("#n-missing") == str(c["missing_in_export"])
        assert page.inner_text("#n-invalid") == str(c["invalid"])
        assert [r["工单编号"] for r in table(page, "#new-tickets")] == expected["new"]
        report = table(page, "#report")
        assert [(r["工单编号"], r["字段"]) for r in report if r["类别"] == "不一致"] == \
            [(d["id"], d["field"]) for d in expected["changed"]]
        assert f"第 {expected['paste_at_row']} 行" in page.inner_text("#result")
        shot(page, "web_intake.png")
        with page.expect_download() as info:
            page.locator("a.download").first.click()
        target = tmp_path / info.value.suggested_filename
        info.value.save_as(target)
        wb = openpyxl.load_workbook(target)
        assert [r[0] for r in wb["工单台账"].iter_rows(min_row=2, values_only=True)] == expected["new"]
        context.close()
        browser.close()
    assert Path(ledger).exists()
