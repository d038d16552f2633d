"""R19 end to end: a ledger whose tickets carry the caller's own name, phone and address and every
spelling of the scrubber's table in 诉求内容 and 备注; every command that writes files runs on it
through the CLI, and every file written is scanned for the ledger's personal data.

Scanned: every workbook (all cells of all sheets, and the document properties), the 公文 draft
(.docx text), every .eml of the mail dry run (headers, body, and each attachment opened as a
workbook) and the run log (CSV). The scan is independent of the scrubber: digits are normalised
(NFKC full-width → ASCII, Chinese numerals → digits, separators dropped) and searched as digit
strings; names, addresses, e-mail and IP addresses are searched as text with white space removed.
"""

from __future__ import annotations

import csv
import email
import io
import ipaddress
import json
import re
import unicodedata
import zipfile
from email import policy
from pathlib import Path

import openpyxl
import pytest
from helpers import write_xlsx
from outputs import formulas_in
from test_masking import SPELLINGS

from jsjb.cli import main
from jsjb.core import schema as S

AS_OF = "2025-12-20T12:00"
ENTERPRISES = [("东胜区热力有限责任公司", "热力公司", "王经理", "rl@corp.invalid"),
               ("东胜区水务有限责任公司", "水务公司", "李经理", "sw@corp.invalid")]
SURNAMES = ["张", "王", "欧阳", "李", "司马", "赵", "刘", "诸葛"]
GIVEN = ["三丰", "小明", "娜娜", "建华", "光", "秀英", "德胜", "文静"]
STREETS = ["天骄路", "林荫路", "鄂尔多斯大街", "宝日陶亥东街", "伊煤路", "达拉特路"]
EVIL = '=HYPERLINK("http://example.invalid","点击")'


def own_phone_spelled(phone: str, k: int) -> str:
    """The caller's own number as people type it."""
    a, b, c = phone[:3], phone[3:7], phone[7:]
    return [phone, f"+86 {a} {b} {c}", f"{a}-{b}-{c}", phone.translate(str.maketrans("0123456789", "０１２３４５６７８９")),
            f"{a}.{b}.{c}", f"0086{phone}"][k % 6]


def build_tickets() -> tuple[list[list], dict[str, set[str]]]:
    header = [S.ID, S.DISPATCHED, S.LIMIT_TYPE, S.ENTERPRISE, S.CONTENT, S.CALLER, S.PHONE, S.ADDRESS,
              S.CLOSED, S.VISITED, S.VISIT_RESULT, S.REMARKS]
    rows = [header]
    secrets: dict[str, set[str]] = {"name": set(), "phone": set(), "address": set(), "digits": set(),
                                    "email": set(), "ip": set(), "token": set()}
    pairs = [SPELLINGS[i:i + 2] for i in range(0, len(SPELLINGS), 2)]
    for k, pair in enumerate(pairs):
        name = SURNAMES[k % len(SURNAMES)] + GIVEN[(k // len(SURNAMES) + k) % len(GIVEN)]
        phone = f"1370477{k:04d}"
        street = STREETS[k % len(STREETS)]
        address = f"鄂尔多斯市东胜区{street}{k + 1}号"
        spaced = name[0] + " " + name[1:]
        a = pair[0][0]
        b = pair[1][0] if len(pair) > 1 else "无"
        content = f"{name}反映{street}{k + 1}号楼道灯不亮，{a}；本人电话{own_phone_spelled(phone, k)}"
        if k == 0:
            content = EVIL + content                                   # R20: formula-like citizen text
        if k == 1:
            content = "+86 " + phone + " " + content
        remarks = f"来话人{spaced}再次来电，{b}。住{address}，电话{own_phone_spelled(phone, k + 3)}"
        closed = k % 3 != 2                                             # every third ticket open and overdue
        rows.append([f"LK{k:03d}", f"2025-12-{1 + k % 8:02d} 09:00", "一般", ENTERPRISES[k % 2][0], content, name,
                     phone, address, f"2025-12-{3 + k % 8:02d} 16:00" if closed else None,
                     f"2025-12-{4 + k % 8:02d} 10:00" if closed else None, "满意" if closed else None, remarks])
        secrets["name"].add(name)
        secrets["phone"].add(phone)
        secrets["address"] |= {address, f"{street}{k + 1}号"}
        for _, secret, _ in pair:
            kind = ("email" if "@" in secret else "ip" if ":" in secret or secret.count(".") == 3
                    else "digits" if re.fullmatch(r"\d+[\dX]?", secret) else "token")
            secrets[kind].add(secret)
    return rows, secrets


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    base = tmp_path_factory.mktemp("leak")
    rows, secrets = build_tickets()
    ledger = write_xlsx(base / "台账.xlsx", {
        S.SHEET_TICKETS: rows,
        S.SHEET_ENTERPRISES: [list(S.ENTERPRISE_COLUMNS), *map(list, ENTERPRISES)],
    })
    out = base / "out"
    log = base / "运行记录.csv"
    mp = pytest.MonkeyPatch()
    mp.setenv("JSJB_LOG", str(log))
    try:
        common = ["--as-of", AS_OF, "-q"]
        runs = {
            "bulletin": ["bulletin", str(ledger), "--month", "2025-12", "--out", str(out), "--docx", *common],
            "assess": ["assess", str(ledger), "--year", "2025", "--out", str(out), *common],
            "dispatch": ["dispatch", str(ledger), "--out", str(out), *common],
            "archive": ["archive", str(ledger), "--out", str(out / "归档.xlsx"), *common],
            "compute": ["compute", str(ledger), "--out", str(out / "计算结果.xlsx"), "--mask", *common],
            "mail": ["mail", str(out), "--ledger", str(ledger), "--dry-run", "-q"],
        }
        codes = {name: main(argv) for name, argv in runs.items()}
    finally:
        mp.undo()
    return ledger, out, log, secrets, codes


# -- reading every kind of file as text ------------------------------------------------------------

def workbook_strings(data: bytes) -> list[str]:
    wb = openpyxl.load_workbook(io.BytesIO(data))
    found = []
    for ws in wb.worksheets:
        found.append(ws.title)
        for row in ws.iter_rows(values_only=True):
            found.extend(str(int(v)) if isinstance(v, float) and v.is_integer() else str(v)
                         for v in row if v is not None)
    props = wb.properties
    found.extend(str(v) for v in (props.title, props.subject, props.description, props.keywords) if v)
    return found


def docx_strings(data: bytes) -> list[str]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        parts = [n for n in z.namelist() if n.endswith(".xml")]
        return [re.sub(r"<[^>]+>", "", z.read(n).decode("utf-8")) for n in parts]


def eml_strings(data: bytes) -> tuple[list[str], int]:
    msg = email.message_from_bytes(data, policy=policy.default)
    found = [f"{k}: {v}" for k, v in msg.items()]
    attachments = 0
    for part in msg.walk():
        if part.is_multipart():
            continue
        payload = part.get_payload(decode=True) or b""
        name = part.get_filename() or ""
        if name:
            found.append(name)
        if name.endswith(".xlsx"):
            found.extend(workbook_strings(payload))
            attachments += 1
        elif part.get_content_maintype() == "text":
            found.append(payload.decode(part.get_content_charset() or "utf-8"))
    return found, attachments


def csv_strings(path: Path) -> list[str]:
    with open(path, encoding="utf-8-sig", newline="") as f:
        return [cell for row in csv.reader(f) for cell in row]


def file_strings(path: Path) -> list[str]:
    data = path.read_bytes()
    if path.suffix == ".xlsx":
        return workbook_strings(data)
    if path.suffix == ".docx":
        return docx_strings(data)
    if path.suffix == ".eml":
        return eml_strings(data)[0]
    if path.suffix == ".csv":
        return csv_strings(path)
    return [data.decode("utf-8", errors="replace")]


# -- the scan ------------------------------------------------------------------------------------------

from test_masking import HANZI_DIGITS  # noqa: E402  (one reading of digits written in words)


def flat(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def digit_runs(text: str) -> list[str]:
    t = unicodedata.normalize("NFKC", text)
    return [re.sub(r"[^0-9X]", "", t.upper()), re.sub(r"[^0-9X]", "", t.translate(HANZI_DIGITS).upper())]


def email_form(text: str) -> str:
    t = flat(text).lower()
    t = re.sub(r"[(\[]at[)\]]|#", "@", t)
    return re.sub(r"[(\[]dot[)\]]", ".", t)


def ip_forms(secret: str) -> set[str]:
    ip = ipaddress.ip_address(secret)
    return {secret.lower(), str(ip).lower(), getattr(ip, "exploded", secret).lower()}


def scan(strings: list[str], secrets: dict[str, set[str]], where: str) -> list[str]:
    """Every secret found in the strings, as "file: kind value in …context…"."""
    found = []

    def hit(kind: str, value: str, s: str, at: str | None = None) -> None:
        k = flat(s).find(at or value)
        context = flat(s)[max(k - 15, 0):k + len(at or value) + 15] if k >= 0 else flat(s)[:60]
        found.append(f"{where}: {kind} {value} in …{context}…")

    for s in strings:
        f, runs = flat(s), digit_runs(s)
        for kind in ("name", "address", "token"):
            for v in secrets[kind]:
                if v in f:
                    hit(kind, v, s)
        for v in secrets["phone"] | secrets["digits"]:
            if any(v in r for r in runs):
                hit("number", v, s, v[-4:])
        e = email_form(s)
        for v in secrets["email"]:
            if v in e or v.split("@")[0] in e:
                hit("e-mail", v, s, v.split("@")[0])
        low = f.lower()
        for v in secrets["ip"]:
            if any(form in low for form in ip_forms(v)):
                hit("IP", v, s)
    return found


def written(out: Path) -> list[Path]:
    return sorted(p for p in out.rglob("*") if p.is_file())


# -- tests ------------------------------------------------------------------------------------------------

def test_every_command_ran(outputs):
    _, out, log, _, codes = outputs
    assert codes == {name: 0 for name in codes}, codes
    suffixes = {p.suffix for p in written(out)}
    assert {".xlsx", ".docx", ".eml"} <= suffixes
    names = {p.name for p in written(out)}
    assert {"月通报_2025-12.xlsx", "月通报_2025-12_热力公司.xlsx", "年度考核_2025.xlsx", "归档.xlsx",
            "计算结果.xlsx"} <= names
    assert any(n.startswith("日调度_") for n in names)
    assert log.exists()


def test_the_scan_finds_everything_in_the_ledger_itself(outputs):
    """The scan is sharp: on the input ledger it finds every secret planted there."""
    ledger, _, _, secrets, _ = outputs
    text = workbook_strings(ledger.read_bytes())
    hits = "\n".join(scan(text, secrets, "ledger"))
    for kind in ("name", "phone", "address", "digits", "email", "ip", "token"):
        for v in secrets[kind]:
            assert f" {v} in …" in hits, (kind, v)


def test_no_personal_data_in_any_file_written(outputs):
    """Every workbook, .eml, the 公文 draft (.docx) and the run log."""
    _, out, log, secrets, _ = outputs
    files = [*written(out), log]
    assert len(files) >= 10 and any(p.suffix == ".docx" for p in files)
    leaks = []
    for path in files:
        leaks += scan(file_strings(path), secrets, path.name)
    assert leaks == [], "\n".join(leaks[:40])


def test_mail_attachments_are_opened_and_scanned(outputs):
    _, out, _, secrets, _ = outputs
    emls = sorted(out.rglob("*.eml"))
    assert len(emls) == len(ENTERPRISES)
    for path in emls:
        strings, attachments = eml_strings(path.read_bytes())
        assert attachments == 1
        assert any("工单清单" == s for s in strings)                 # the enterprise's own ticket list
        assert scan(strings, secrets, path.name) == []


def test_enterprise_list_keeps_the_masked_caller_and_text_stays_text(outputs):
    """R19 where the caller must be recognisable, R20 for scrubbed text: string cells, no formulas."""
    _, out, _, _, _ = outputs
    wb = openpyxl.load_workbook(out / "月通报_2025-12_热力公司.xlsx")
    ws = wb["工单清单"]
    cells = [c for row in ws.iter_rows() for c in row if c.value is not None]
    values = {c.value for c in cells}
    assert {"张**", "137****0000"} <= values
    evil = [c for c in cells if isinstance(c.value, str) and c.value.startswith("=HYPERLINK")]
    assert evil and all(c.data_type == "s" for c in evil)
    assert all("137****0000" in c.value for c in evil)            # the own number, masked, in the text
    with_evil = set()
    for path in out.rglob("*.xlsx"):
        assert formulas_in(path) == [], path.name
        for ws in openpyxl.load_workbook(path).worksheets:
            for row in ws.iter_rows():
                for c in row:
                    if isinstance(c.value, str) and c.value.startswith("=HYPERLINK"):
                        assert c.data_type == "s", (path.name, c.coordinate)
                        with_evil.add(path.name)
    assert {"月通报_2025-12_热力公司.xlsx", "归档.xlsx", "计算结果.xlsx"} <= with_evil


def test_masked_compute_output_has_no_address_and_scrubbed_remarks(outputs):
    _, out, _, _, _ = outputs
    ws = openpyxl.load_workbook(out / "计算结果.xlsx").worksheets[0]
    rows = [r for r in ws.iter_rows(values_only=True)]
    head = next(i for i, r in enumerate(rows) if S.REMARKS in r)
    header = rows[head]
    body = [r for r in rows[head + 1:] if any(v is not None for v in r)]
    assert body
    assert all(r[header.index(S.ADDRESS)] in (None, "") for r in body)
    remarks = [r[header.index(S.REMARKS)] for r in body]
    assert all(isinstance(v, str) and "[地址已隐去]" in v for v in remarks)


# -- intake (R24): the rows to paste are the ledger's own data; everything else obeys R19 ------------------
# Decided (docs/intake.md): `jsjb intake --out` writes two sheets. 工单台账 holds the new tickets as the clerk
# pastes them into the ledger — caller name, phone, address and text unmasked, exactly like the ledger
# (R24: "caller data in the export is the ledger's own data"). 核对结果, the --json result (stdout), the
# run log and every page or button view of the differences are outputs beyond the ledger: R19 applies —
# 来话人 张**, 联系电话 138****1234, 地址 hidden, free text scrubbed. The scan below checks both halves.
NEWCOMER = {"name": "上官飞燕", "phone": "13904779876", "address": "鄂尔多斯市东胜区纺织街88号"}


@pytest.fixture(scope="module")
def intake_outputs(outputs, tmp_path_factory):
    """An export of the system for the leak ledger: every ticket with another caller name, phone and
    address than the ledger's (so each differs and is listed), and one new ticket with its own caller."""
    import contextlib

    ledger, _, _, secrets, _ = outputs
    base = tmp_path_factory.mktemp("intake-leak")
    rows, _ = build_tickets()
    header = rows[0]
    extra = {"name": set(), "phone": set(), "address": set()}
    export = [["工单号", "下派时间", "办理时限", "承办单位", "问题描述", "来电人", "来电号码", "事发地址"]]
    for k, r in enumerate(rows[1:]):
        t = dict(zip(header, r))
        name, phone, address = f"{t[S.CALLER][0]}新{k}", f"1390477{k:04d}", f"鄂尔多斯市东胜区杭锦北路{k + 1}号"
        extra["name"].add(name)
        extra["phone"].add(phone)
        extra["address"].add(address)
        export.append([t[S.ID], t[S.DISPATCHED], t[S.LIMIT_TYPE], t[S.ENTERPRISE],
                       f"{name}来电，电话{phone}，住{address}", name, phone, address])
    export.append(["LKNEW", "2025-12-09 10:00", "一般", ENTERPRISES[0][0], f"{NEWCOMER['name']}反映停暖，电话"
                   f"{NEWCOMER['phone']}", NEWCOMER["name"], NEWCOMER["phone"], NEWCOMER["address"]])
    path = write_xlsx(base / "系统导出.xlsx", {"Sheet1": export})
    out, log = base / "out", base / "运行记录.csv"
    mp = pytest.MonkeyPatch()
    mp.setenv("JSJB_LOG", str(log))
    stdout = io.StringIO()
    try:
        with contextlib.redirect_stdout(stdout):
            code = main(["intake", str(path), "--ledger", str(ledger), "--out", str(out / "导入核对.xlsx"), "--json", "-q"])
    finally:
        mp.undo()
    every = {kind: set(values) for kind, values in secrets.items()}
    for kind, values in extra.items():
        every[kind] |= values
    every["name"].add(NEWCOMER["name"])
    every["phone"].add(NEWCOMER["phone"])
    every["address"].add(NEWCOMER["address"])
    return out / "导入核对.xlsx", log, stdout.getvalue(), every, code


def test_intake_rows_to_paste_hold_the_callers_data_and_nothing_else_does(intake_outputs):
    path, log, stdout, secrets, code = intake_outputs
    assert code == 1 and path.exists() and log.exists()
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == [S.SHEET_TICKETS, "核对结果"]
    paste = [str(v) for row in wb[S.SHEET_TICKETS].iter_rows(values_only=True) for v in row if v is not None]
    assert {NEWCOMER["name"], NEWCOMER["phone"], NEWCOMER["address"]} <= set(paste)   # R24: unmasked, to paste
    report = [str(v) for row in wb["核对结果"].iter_rows(values_only=True) for v in row if v is not None]
    assert any(v == "张**" for v in report) and any(v == "137****0000" for v in report)    # listed, masked
    leaks = scan(report, secrets, "核对结果") + scan([stdout], secrets, "--json") + scan(csv_strings(log), secrets, "log")
    assert leaks == [], "\n".join(leaks[:40])
    data = json.loads(stdout)
    assert {c["field"] for c in data["changed"]} >= {S.CALLER, S.PHONE, S.ADDRESS, S.CONTENT} and data["new"] == ["LKNEW"]
