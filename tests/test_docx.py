"""The 通报 as a 公文 draft (issue #15): GB/T 9704 page setup and fonts, every enterprise's figures
against the bulletin/assessment JSON, the lists of 第16条, no caller data, the template checked
against its generator, the office's own template, and LibreOffice's PDF.

Expected values come from the JSON (CONTRACT §3) and from the sample ledger's own sheets, and the
layout numbers from GB/T 9704-2012 itself (A4, 37/35/28/26 mm, 22 × 28, 三号 = 16 pt, 二号 = 22 pt)."""

from __future__ import annotations

import contextlib
import io
import json
import re
import shutil
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Mm, Pt
from outputs import caller_data, leaks

from jsjb import jobs
from jsjb.cli import main
from jsjb.core import narrative as N
from jsjb.core import stats
from jsjb.core.errors import LedgerError
from jsjb.core.params import Params
from jsjb.core.sample import generate
from jsjb.io import docx_report as D
from jsjb.io.ledger_book import write_ledger
from jsjb.io.reader import read_ledger

AS_OF = "2026-01-05T10:00"
MONTH, PREV_MONTH, YEAR = "2025-12", "2025-11", "2025"
EMU_PER_TWIP = 635
TEMPLATE = Path(__file__).resolve().parent.parent / "workbook" / "通报模板.docx"
LIST_KEYS = {"超期未办结工单": "overdue", "挂单工单": "on_hold", "申请不计入考核工单": "exempt",
             "重大、疑难工单": "major", "人民网领导留言板工单": "renminwang"}


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    base = tmp_path_factory.mktemp("docx")
    sample = generate(800, 2025, 11)
    ledger_path = write_ledger(base / "台账.xlsx", sample.sheets)
    ledger = read_ledger(ledger_path)
    ev = jobs.evaluate(ledger, pd.Timestamp(AS_OF))

    def report(period, annual=False, params=None):
        return stats.report(ledger.enterprise_names, ev.tickets, ev.computed, period, ev.as_of,
                            params or ledger.params, ledger.adjustments, ledger.manual if annual else None)

    month, prev = report(stats.month(MONTH)), report(stats.month(PREV_MONTH))
    year = report(stats.year(YEAR), annual=True)
    out = base / "out"
    files = {
        "bulletin": D.write_report_docx(out / f"月通报_{MONTH}.docx", month, ev.tickets, ev.computed, previous=prev),
        "assess": D.write_report_docx(out / f"年度考核_{YEAR}.docx", year, ev.tickets, ev.computed),
    }
    data = {"bulletin": jobs.report_json(ev, month), "assess": jobs.report_json(ev, year)}
    return {"base": base, "ledger": ledger_path, "ev": ev, "report": report, "files": files, "json": data,
            "raw": sample.sheets["工单台账"], "month": month}


def texts(doc) -> list[str]:
    return [p.text for p in doc.paragraphs]


def all_text(doc) -> str:
    parts = texts(doc)
    for t in doc.tables:
        for row in t.rows:
            parts += [c.text for c in row.cells]
    for s in doc.sections:
        parts += [p.text for p in s.footer.paragraphs] + [p.text for p in s.even_page_footer.paragraphs]
    return "\n".join(parts)


def rfonts(style) -> dict[str, str]:
    el = style.element.find(qn("w:rPr")).find(qn("w:rFonts"))
    return {k.split("}")[1]: v for k, v in el.attrib.items()}


# -- layout ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("key", ["bulletin", "assess"])
def test_page_setup_is_gb_t_9704(made, key):
    doc = Document(made["files"][key])
    s = doc.sections[0]
    for value, mm in ((s.page_width, 210), (s.page_height, 297), (s.top_margin, 37), (s.bottom_margin, 35),
                      (s.left_margin, 28), (s.right_margin, 26)):
        assert abs(value - Mm(mm)) <= EMU_PER_TWIP, (value, mm)
    # 22 lines of 28 characters in the 156 × 225 mm text block
    grid = s._sectPr.find(qn("w:docGrid"))
    pitch_pt = int(grid.get(qn("w:linePitch"))) / 20
    normal = doc.styles["Normal"]
    spacing = normal.element.find(qn("w:pPr")).find(qn("w:spacing"))
    assert spacing.get(qn("w:lineRule")) == "exact" and int(spacing.get(qn("w:line"))) / 20 == pitch_pt
    height_pt, width_pt = Mm(225).pt, Mm(156).pt
    assert 22 * pitch_pt <= height_pt < 23 * pitch_pt
    assert normal.font.size == Pt(16)
    condense = int(normal.element.find(qn("w:rPr")).find(qn("w:spacing")).get(qn("w:val"))) / 20
    char_pt = 16 + condense
    assert 28 * char_pt <= width_pt < 29 * char_pt
    # attachments: a landscape A4 section after the portrait body
    last = doc.sections[-1]
    assert len(doc.sections) == 2 and last.page_width > last.page_height
    assert abs(last.page_width - Mm(297)) <= EMU_PER_TWIP


def test_fonts_are_named_with_fallbacks(made):
    doc = Document(made["files"]["bulletin"])
    expect = {"公文标题": ("方正小标宋简体", 22), "Normal": ("仿宋_GB2312", 16), "一级标题": ("黑体", 16)}
    for name, (font, size) in expect.items():
        style = doc.styles[name]
        f = rfonts(style)
        assert f["eastAsia"] == font and f["ascii"] == "Times New Roman", (name, f)
        assert not any(k.endswith("Theme") or k == "cstheme" for k in f), f
        assert style.font.size == Pt(size)
    assert rfonts(doc.styles["二级标题"])["eastAsia"] == "楷体_GB2312"
    with zipfile.ZipFile(made["files"]["bulletin"]) as z:
        table = z.read("word/fontTable.xml").decode("utf-8")
    for font, alt in (("方正小标宋简体", "宋体"), ("仿宋_GB2312", "仿宋"), ("黑体", "SimHei"), ("楷体_GB2312", "楷体")):
        assert re.search(rf'w:name="{font}"><w:altName w:val="{alt}"', table), font
    # the document uses them where GB/T 9704 says
    paras = doc.paragraphs
    assert paras[0].style.name == "公文标题" and paras[0].text.startswith("关于2025年12月")
    heads = [p.text for p in paras if p.style.name == "一级标题"]
    assert heads == ["一、基本情况", "二、三率情况及排名", "三、存在问题", "四、下步要求"]
    leads = [r.text for p in paras for r in p.runs if r.style is not None and r.style.name == "二级标题"]
    assert "（一）超期未办结情况。" in leads and "（五）人民网领导留言板工单情况。" in leads


def test_page_numbers_outside_odd_right_even_left(made):
    doc = Document(made["files"]["bulletin"])
    assert doc.settings.odd_and_even_pages_header_footer
    s = doc.sections[0]
    for footer, align in ((s.footer, WD_ALIGN_PARAGRAPH.RIGHT), (s.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT)):
        p = footer.paragraphs[0]
        assert p.alignment == align
        xml = p._p.xml
        assert "PAGE" in "".join(t.text for t in p._p.iter(qn("w:instrText")))
        assert p.text.startswith("— ") and p.text.endswith(" —") and "fldChar" in xml


def test_placeholders_the_clerk_fills_and_attachment_headers_repeat(made):
    doc = Document(made["files"]["bulletin"])
    body = texts(doc)
    assert "〔发文机关署名〕" in body and "〔成文日期〕" in body
    assert any(t.startswith("附件：1.") for t in body)
    assert "附件1" in body and "附件2" in body
    for table in doc.tables:
        first = table.rows[0]._tr.trPr
        assert first is not None and first.find(qn("w:tblHeader")) is not None


# -- content --------------------------------------------------------------------------------------------
def parse_rate(text: str):
    return None if text == "无数据" else float(text.rstrip("%")) / 100


@pytest.mark.parametrize("key", ["bulletin", "assess"])
def test_every_enterprise_figure_matches_the_json(made, key):
    doc = Document(made["files"][key])
    table = doc.tables[0]
    head = [c.text for c in table.rows[0].cells]
    rows = {r.cells[1].text: [c.text for c in r.cells] for r in table.rows[1:]}
    enterprises = made["json"][key]["enterprises"]
    assert set(rows) == {e["enterprise"] for e in enterprises}
    col = {h.split("（")[0]: i for i, h in enumerate(head)}
    body = "\n".join(texts(doc))
    for e in enterprises:
        row = rows[e["enterprise"]]
        assert row[col["受理"]] == str(e["received"])
        if key == "bulletin":
            assert row[col["办结"]] == str(e["closed"]) and row[col["及时办结"]] == str(e["timely"])
            assert row[col["超期未办结"]] == str(e["overdue_open"])
        for rate, label in (("response_rate", "响应率"), ("resolution_rate", "解决率"), ("satisfaction_rate", "满意率")):
            shown = parse_rate(row[col[label]])
            assert (shown is None) == (e[rate] is None)
            if shown is not None:
                assert abs(shown - e[rate]) <= 0.00005, (e["enterprise"], label)
        for score, label in (("response_score", "响应率得分"), ("resolution_score", "解决率得分"),
                             ("satisfaction_score", "满意率得分"), ("deductions", "扣分"), ("bonuses", "加分")):
            assert float(row[col[label]]) == pytest.approx(round(e[score], 2), abs=1e-9), (e["enterprise"], label)
        if e["rank"] is None:
            assert row[col["排名"]] == "—"
        else:
            assert row[col["排名"]] == str(e["rank"])
            assert float(row[col["总分"]]) == pytest.approx(e["total"], abs=1e-9)
            assert f"第{e['rank']}名{e['enterprise']}（{e['total']:.2f}分）" in body
        if key == "assess" and e["manual"] is not None:
            items = [row[col[k]] for k in ("组织机构", "制度建设", "知识库建设", "重视程度")]
            assert sum(float(x) for x in items) == pytest.approx(e["manual"])


def test_volumes_match_the_ledger_sheet(made):
    """本月受理, 环比 and the volumes by channel and category, counted from the raw sheet."""
    raw = made["raw"].copy()
    when = pd.to_datetime(raw["派单时间"])
    this = raw[(when >= "2025-12-01") & (when < "2026-01-01")]
    before = raw[(when >= "2025-11-01") & (when < "2025-12-01")]
    body = "\n".join(texts(Document(made["files"]["bulletin"])))
    n, m = len(this), len(before)
    assert f"共受理“接诉即办”工单{n}件，环比{'增加' if n > m else '减少'}{abs(n - m) / m * 100:.1f}%（上月{m}件）" in body
    for column in ("来源渠道", "诉求类别"):
        now = this[column].value_counts()
        prev = before[column].value_counts()
        for name, count in now.items():
            assert f"{name}{count}件（占{count / n * 100:.2f}%，上月{prev.get(name, 0)}件）" in body, name


@pytest.mark.parametrize("key", ["bulletin", "assess"])
def test_lists_of_article_16_match_the_json(made, key):
    doc = Document(made["files"][key])
    data = made["json"][key]
    titles = [p.text for p in doc.paragraphs if p.style.name == "表格标题"]
    shown: dict[str, list[str]] = {}
    for title, table in zip(titles, doc.tables[1:]):
        name = re.sub(r"^（.）|（\d+件）$", "", title)
        shown[LIST_KEYS[name]] = [r.cells[1].text for r in table.rows[1:]]
        assert title.endswith(f"（{len(table.rows) - 1}件）")
    for k in LIST_KEYS.values():
        assert sorted(shown.get(k, [])) == sorted(data[k]), k
    body = "\n".join(texts(doc))
    assert f"有{len(data['overdue'])}件超期未办结" in body or not data["overdue"]


@pytest.mark.parametrize("key", ["bulletin", "assess"])
def test_no_caller_data_and_no_english(made, key):
    path = made["files"][key]
    assert leaks(path, caller_data(made["ev"].tickets)) == []
    text = all_text(Document(path))
    ids = set(made["ev"].tickets["工单编号"].astype(str))
    for i in ids:
        text = text.replace(i, "")
    assert not re.search(r"[A-Za-z]", text), re.findall(r".{10}[A-Za-z]+.{10}", text)[:5]


def test_free_text_summary_is_scrubbed_of_the_tickets_own_caller_data():
    t = pd.DataFrame({"诉求内容": ["张三丰反映：电话13912345678，住东胜区林荫路8号，暖气不热，请尽快处理"],
                      "来话人": ["张三丰"], "联系电话": ["13912345678"], "地址": ["东胜区林荫路8号"]})
    text = N.summary(t, 0)
    assert "张三丰" not in text and "12345678" not in text and "林荫路8号" not in text
    assert len(text) <= N.SUMMARY_CHARS


def test_parameters_in_force_appear_as_annotation_only_when_changed(made):
    doc = Document(made["files"]["bulletin"])
    assert not any(p.style.name == "附注" for p in doc.paragraphs)
    rep = made["report"](stats.month(MONTH), params=Params({"basic_satisfied_counts": "否"}))
    out = D.write_report_docx(made["base"] / "changed.docx", rep, made["ev"].tickets, made["ev"].computed)
    notes = [p.text for p in Document(out).paragraphs if p.style.name == "附注"]
    assert len(notes) == 1
    assert notes[0].startswith("（") and "“基本满意”是否计为满意：否（默认是" in notes[0]


def test_number_style():
    assert N.pct(1.0) == "100%" and N.pct(None) == "无数据" and N.pct(12 / 13) == "92.31%"
    assert N.change(326, 252, "环比") == "环比增加29.4%" and N.change(80, 80, "环比") == "与上月持平"
    assert N.points(-0.0) == "0.00" and N.points(64.9) == "64.90"
    assert N.pp_change(0.95, 0.9) == "上升5.00个百分点"


def test_narrative_is_pure():
    source = Path(N.__file__).read_text(encoding="utf-8")
    assert not re.search(r"^\s*(import|from)\s+docx", source, re.M)


# -- template ---------------------------------------------------------------------------------------------
def semantics(doc) -> dict:
    """What a template means: page setup, styles and their XML properties, body paragraphs with their
    styles and run styles, footers, settings, font table — not bytes, ids or timestamps."""
    def props(el):
        out = []
        for tag in ("w:pPr", "w:rPr"):
            x = el.find(qn(tag))
            if x is not None:
                out.append(re.sub(r' xmlns:\w+="[^"]+"', "", x.xml if hasattr(x, "xml") else ""))
        return out

    s = doc.sections[0]
    return {
        "page": [s.page_width, s.page_height, s.top_margin, s.bottom_margin, s.left_margin, s.right_margin,
                 s.footer_distance, s._sectPr.find(qn("w:docGrid")).attrib],
        "styles": {st.name: props(st.element) for st in doc.styles if st.name in
                   ("Normal", *D.PARAGRAPH_STYLES, D.STYLE_H2, D.STYLE_PLACEHOLDER)},
        "body": [(p.style.name, p.text, [r.style.name if r.style is not None else None for r in p.runs])
                 for p in doc.paragraphs],
        "footers": [re.sub(r' w:rsid\w*="[^"]+"', "", f.paragraphs[0]._p.xml) for f in (s.footer, s.even_page_footer)],
        "even_odd": doc.settings.odd_and_even_pages_header_footer,
    }


def test_committed_template_matches_its_generator():
    assert TEMPLATE.exists(), "run: python scripts/build_docx_template.py"
    assert semantics(Document(str(TEMPLATE))) == semantics(D.build_template()), \
        "workbook/通报模板.docx drifted: run python scripts/build_docx_template.py"


def test_office_template_is_used(made, tmp_path):
    office = Document(str(TEMPLATE))
    for p in office.paragraphs:
        if p.text == "各区属国有企业：":
            p.runs[0].text = "各直属国有企业："
        if p.text == "〔发文机关署名〕":
            p.runs[0].text = "鄂尔多斯市东胜区国有资产监督管理委员会"
    office.styles["Normal"].font.size = Pt(15)
    path = tmp_path / "本单位模板.docx"
    office.save(path)
    rep = made["month"]
    out = D.write_report_docx(tmp_path / "o.docx", rep, made["ev"].tickets, made["ev"].computed, template=path)
    doc = Document(out)
    body = texts(doc)
    assert "各直属国有企业：" in body and "鄂尔多斯市东胜区国有资产监督管理委员会" in body
    assert doc.styles["Normal"].font.size == Pt(15)
    assert not any("{{" in t for t in body)


def test_bad_templates_are_refused_with_a_chinese_message(made, tmp_path):
    rep = made["month"]
    t, c = made["ev"].tickets, made["ev"].computed
    plain = Document()
    plain.add_paragraph("{{标题}}")
    plain.save(tmp_path / "no_markers.docx")
    with pytest.raises(D.DocxTemplateError, match="正文"):
        D.write_report_docx(tmp_path / "x.docx", rep, t, c, template=tmp_path / "no_markers.docx")
    (tmp_path / "not.docx").write_text("不是文档", encoding="utf-8")
    with pytest.raises(LedgerError, match="不是有效的 Word 文档"):
        D.write_report_docx(tmp_path / "y.docx", rep, t, c, template=tmp_path / "not.docx")
    with pytest.raises(LedgerError, match="找不到公文模板"):
        D.write_report_docx(tmp_path / "z.docx", rep, t, c, template=tmp_path / "missing.docx")
    assert not (tmp_path / "x.docx").exists() and not (tmp_path / "y.docx").exists()


# -- PDF and the command line ---------------------------------------------------------------------------------
def test_libreoffice_converts_it_to_pdf(made):
    pdf = D.to_pdf(made["files"]["bulletin"])
    assert pdf == made["files"]["bulletin"].with_suffix(".pdf")
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF") and len(data) > 10_000
    assert re.search(rb"/MediaBox\s*\[\s*0 0 595\.\d+ 841\.\d+", data), "first page is not A4 portrait"
    if shutil.which("pdftotext"):
        import subprocess

        text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
        assert "工作情况的通报" in text and "— 1 —" in text.replace("—1—", "— 1 —")


def test_missing_libreoffice_is_a_clear_error(made, monkeypatch):
    monkeypatch.setattr(D, "find_soffice", lambda: None)
    with pytest.raises(LedgerError, match="未找到 LibreOffice"):
        D.to_pdf(made["files"]["bulletin"])


def test_cli_bulletin_docx_lands_beside_the_workbooks(made):
    out = made["base"] / "cli"
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        assert main(["bulletin", str(made["ledger"]), "--month", MONTH, "--as-of", AS_OF, "--out", str(out),
                     "--docx", "--json", "-q"]) == 0
    data = json.loads(buf.getvalue())
    assert Path(data["files"]["docx"]) == out / f"月通报_{MONTH}.docx"
    assert (out / f"月通报_{MONTH}.xlsx").exists()
    doc = Document(data["files"]["docx"])
    assert doc.paragraphs[0].text == "关于2025年12月区属国有企业“接诉即办”工作情况的通报"
