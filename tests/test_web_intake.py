"""导入工单 in the browser door (/intake, CONTRACT §6) without a browser (Starlette's TestClient): the
export is uploaded with the form (POST, the page's token, the size limit), the job runs in the queue,
and its page shows what ``jsjb intake --json`` says for the same ledger and export — the counts, every
new id, every difference — masked by R19; the workbook to paste downloads from it; the ledger is never
modified; another browser sees neither the result nor the file."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import openpyxl
import pytest

pytest.importorskip("starlette")
from helpers import digest  # noqa: E402
from starlette.testclient import TestClient  # noqa: E402

from jsjb.cli import main  # noqa: E402
from jsjb.web import create_app  # noqa: E402


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    base = tmp_path_factory.mktemp("web-intake")
    ledger, export = base / "台账.xlsx", base / "系统导出.xlsx"
    assert main(["sample", str(ledger), "--export", str(export), "--rows", "600", "--seed", "4", "--export-rows", "120",
                 "-q"]) == 0
    return ledger, export


@pytest.fixture(autouse=True)
def run_log(tmp_path, monkeypatch):
    monkeypatch.setenv("JSJB_LOG", str(tmp_path / "运行记录.csv"))


@pytest.fixture
def client(files, tmp_path):
    ledger, _ = files
    app = create_app(ledger, work_dir=tmp_path / "work", password="", max_upload=2_000_000)
    with TestClient(app) as c:
        yield c


def csrf_of(client) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', client.get("/intake").text).group(1)


def wait(client, url: str):
    r = client.get(url)
    for _ in range(600):
        if 'id="working"' not in r.text:
            return r
        time.sleep(0.1)
        r = client.get(url)
    raise AssertionError(f"{url} did not finish")


def post_export(client, path: Path, name: str | None = None, csrf: str | None = None):
    with open(path, "rb") as f:
        return client.post("/intake", data={"csrf": csrf if csrf is not None else csrf_of(client)},
                           files={"export": (name or path.name, f, "application/octet-stream")}, follow_redirects=False)


def cli(capsys, export, ledger) -> dict:
    main(["intake", str(export), "--ledger", str(ledger), "--json", "-q"])
    return json.loads(capsys.readouterr().out)


def cells(html: str, table_id: str) -> list[list[str]]:
    body = html.split(f'id="{table_id}"', 1)[1].split("</table>", 1)[0]
    return [re.findall(r"<td>(.*?)</td>", row, re.S) for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)][1:]


def test_the_form_uploads_a_file(client):
    page = client.get("/intake").text
    assert 'enctype="multipart/form-data"' in page and 'type="file" name="export"' in page
    assert '<a href="/intake">导入工单</a>' in client.get("/").text


def test_the_page_shows_what_the_cli_says(client, files, capsys):
    ledger, export = files
    before = digest(ledger)
    expected = cli(capsys, export, ledger)
    r = post_export(client, export)
    assert r.status_code == 303 and r.headers["location"].startswith("/intake?job=")
    page = wait(client, r.headers["location"])
    assert page.status_code == 200, page.text[:500]
    html = page.text
    c = expected["counts"]
    for key, cell in (("new", "n-new"), ("matched", "n-matched"), ("changed", "n-changed"),
                      ("missing_in_export", "n-missing"), ("duplicates", "n-duplicates"), ("invalid", "n-invalid")):
        assert re.search(rf'id="{cell}">{c[key]}<', html), key
    new_ids = [row[0] for row in cells(html, "new-tickets")]
    assert new_ids == expected["new"]
    report = cells(html, "report")
    changed = [(row[1], row[2]) for row in report if row[0] == "不一致"]
    assert changed == [(d["id"], d["field"]) for d in expected["changed"]]
    assert [row[1] for row in report if row[0] == "系统导出中没有"] == expected["missing_in_export"]
    assert sum(1 for row in report if row[0] == "无效行") == len(expected["invalid"])
    assert digest(ledger) == before
    # the workbook to paste, downloaded from the page
    (fid,) = re.findall(r'href="/download/([^"]+)"', html)
    got = client.get(f"/download/{fid}")
    assert got.status_code == 200
    saved = Path(client.app.state.registry.work_dir) / "got.xlsx"
    saved.write_bytes(got.content)
    wb = openpyxl.load_workbook(saved)
    assert wb.sheetnames == ["工单台账", "核对结果"]
    pasted = [r[0] for r in wb["工单台账"].iter_rows(min_row=2, values_only=True)]
    assert pasted == expected["new"]


def test_caller_data_is_masked_on_the_page(client, files, capsys):
    """R19: the page shows the differences as --json does, masked; the callers' names and phones of the
    ledger and of the export appear on no page (only in the workbook to paste)."""
    ledger, export = files
    expected = cli(capsys, export, ledger)
    phones = [d for d in expected["changed"] if d["field"] == "联系电话"]
    assert phones and all("****" in d["ledger"] and "****" in d["export"] for d in phones)
    html = wait(client, post_export(client, export).headers["location"]).text
    ws = openpyxl.load_workbook(export, read_only=True).worksheets[0]
    rows = list(ws.iter_rows(values_only=True))
    header = list(rows[2])
    callers = {str(r[header.index("来电人")]) for r in rows[3:] if r and r[header.index("来电人")]}
    numbers = {str(r[header.index("来电号码")]) for r in rows[3:] if r and r[header.index("来电号码")]}
    assert callers and numbers
    leaked = [v for v in callers | numbers if len(v) >= 3 and v in html]
    assert leaked == []


def test_bad_uploads_get_a_chinese_message(client, files, tmp_path):
    _, export = files
    r = post_export(client, export, csrf="wrong")
    assert r.status_code == 403 and "页面已过期" in r.text
    r = client.post("/intake", data={"csrf": csrf_of(client)}, files={"export": ("", b"", "application/octet-stream")},
                    follow_redirects=False)                 # the form sent without a file chosen
    assert r.status_code == 400 and "请先选择从接诉即办系统导出的工单文件" in r.text
    bad = tmp_path / "不是表格.xlsx"
    bad.write_bytes(b"%PDF-1.4 nothing")
    page = wait(client, post_export(client, bad).headers["location"])
    assert page.status_code == 400 and "不是表格.xlsx" in page.text and "不是有效的 Excel 工作簿" in page.text
    assert "Traceback" not in page.text and str(tmp_path) not in page.text
    html = page.text
    assert 'name="export"' in html                         # the form again, to choose another file


def test_an_upload_over_the_limit_is_refused(files, tmp_path):
    ledger, _ = files
    big = tmp_path / "大.csv"
    big.write_bytes(b"x" * 300_000)
    app = create_app(ledger, work_dir=tmp_path / "work", password="", max_upload=100_000)
    with TestClient(app) as c:
        r = post_export(c, big)
    assert r.status_code == 413 and "文件太大" in r.text


def test_another_browser_sees_neither_the_result_nor_the_file(files, tmp_path):
    ledger, export = files
    app = create_app(ledger, work_dir=tmp_path / "work", password="", max_upload=2_000_000)
    with TestClient(app) as a, TestClient(app) as b:
        url = post_export(a, export).headers["location"]
        html = wait(a, url).text
        (fid,) = re.findall(r'href="/download/([^"]+)"', html)
        assert b.get(url).status_code == 404
        assert b.get(f"/download/{fid}").status_code == 404


def test_each_intake_keeps_its_own_workbook_and_no_upload_is_kept(client, files):
    """Two intakes in a row (the same second, likely) each get their own workbook (R21: the first is not
    replaced), and the uploaded exports — callers' data (R19) — are removed once read."""
    _, export = files
    pages = [wait(client, post_export(client, export).headers["location"]).text for _ in range(2)]
    links = [re.findall(r'href="/download/([^"]+)"', html) for html in pages]
    assert all(len(x) == 1 for x in links) and links[0] != links[1]
    names = [client.get(f"/download/{x[0]}").headers["content-disposition"] for x in links]
    assert names[0] != names[1]
    work = Path(client.app.state.registry.work_dir)
    assert not [p for p in work.rglob("*") if p.is_file() and p.parent.parent.name == "导入工单"]
    assert len(list(work.rglob("导入核对_*.xlsx"))) == 2
