"""The 通报 as a 公文 draft (issues #15, #22): GB/T 9704 page setup, fonts and the whole frame (版头,
主送, 署名 and 成文日期 placeholders, 附件 pages, 版记 on the last page), titles broken between words,
table columns sized to their content, every enterprise's figures against the bulletin/assessment
JSON, the lists of 第十六条, no caller data, the template checked against its generator, the office's
own template, and LibreOffice's PDF — read back with pdftotext and rasterised with pdftoppm, the
independent check that words and numbers stay whole and that everything lands where GB/T 9704 says.

Expected values come from the JSON (CONTRACT §3) and the sample ledger's own sheets, the layout
numbers from GB/T 9704-2012 itself (A4, 37/35/28/26 mm, 版心 156 × 225 mm, 22 × 28, 三号 = 16 pt,
二号 = 22 pt, 四号 = 14 pt; 发文机关标志 35 mm below the 版心's top; 附件 title on the third line;
版记's last line on the 版心's lower edge)."""

from __future__ import annotations

import contextlib
import io
import json
import re
import subprocess
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import pandas as pd
import pytest
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Mm, Pt
from outputs import caller_data, cells, leaks

from jsjb import jobs
from jsjb.cli import main
from jsjb.core import narrative as N
from jsjb.core import stats
from jsjb.core.enterprises import short_names
from jsjb.core.errors import LedgerError
from jsjb.core.measure import em_width
from jsjb.core.params import Params
from jsjb.core.sample import generate
from jsjb.io import docx_report as D
from jsjb.io import fonts
from jsjb.io.ledger_book import write_ledger
from jsjb.io.reader import read_ledger

AS_OF = "2026-01-05T10:00"
MONTH, PREV_MONTH, YEAR = "2025-12", "2025-11", "2025"
EMU_PER_TWIP = 635
PT_PER_MM = 72 / 25.4
TEMPLATE = Path(__file__).resolve().parent.parent / "workbook" / "通报模板.docx"
LIST_KEYS = {"超期未办结工单": "overdue", "挂单工单": "on_hold", "申请不计入考核工单": "exempt",
             "重大、疑难工单": "major", "人民网领导留言板工单": "renminwang"}
TITLES = {"bulletin": ["关于2025年12月区属国有企业", "“接诉即办”工作情况的通报"],      # 7.3.1, broken by hand
          "assess": ["关于2025年度区属国有企业", "“接诉即办”工作考核结果的通报"]}


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
    short = short_names(ledger.enterprises)
    out = base / "out"
    files = {
        "bulletin": D.write_report_docx(out / f"月通报_{MONTH}.docx", month, ev.tickets, ev.computed, previous=prev,
                                        short_names=short, detail_book=f"月通报_{MONTH}.xlsx"),
        "assess": D.write_report_docx(out / f"年度考核_{YEAR}.docx", year, ev.tickets, ev.computed,
                                      previous=report(stats.year(2024)), short_names=short,
                                      detail_book=f"年度考核_{YEAR}_工单清单.xlsx"),
    }
    data = {"bulletin": jobs.report_json(ev, month), "assess": jobs.report_json(ev, year)}
    return {"base": base, "ledger": ledger_path, "ev": ev, "report": report, "files": files, "json": data,
            "raw": sample.sheets["工单台账"], "month": month, "year": year, "short": short}


@pytest.fixture(scope="module")
def pdfs(made):
    """Both drafts through LibreOffice, read back: {key: (path, pages)} — each page a dict with its
    size, its text lines (words joined, no spaces) and its words with their boxes (pt)."""
    return {key: (pdf, read_pdf(pdf)) for key, pdf in
            ((k, D.to_pdf(p, made["base"] / "pdf")) for k, p in made["files"].items())}


def read_pdf(pdf: Path) -> list[dict]:
    xml = subprocess.run(["pdftotext", "-bbox-layout", str(pdf), "-"], capture_output=True, text=True,
                         check=True).stdout
    xml = re.sub(r"<!DOCTYPE[^>]*>", "", re.sub(r'xmlns="[^"]+"', "", xml))
    pages = []
    for page in ElementTree.fromstring(xml).iter("page"):
        lines, words = [], []
        for line in page.iter("line"):
            ws = [(w.text or "", *(float(w.get(k)) for k in ("xMin", "yMin", "xMax", "yMax"))) for w in line.iter("word")]
            lines.append("".join(w[0] for w in ws))
            words += ws
        pages.append({"width": float(page.get("width")), "height": float(page.get("height")), "lines": lines,
                      "words": words})
    return pages


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


def flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def data_tables(doc):
    """The attachments' tables (every table but the 版记, which has one column)."""
    return [t for t in doc.tables if len(t.columns) > 1]


# -- page, fonts, the frame -----------------------------------------------------------------------------
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
    # body (portrait), attachments (landscape: the portrait text block turned), 版记 (portrait)
    assert len(doc.sections) == 3
    body, attachments, record = doc.sections
    assert attachments.page_width > attachments.page_height and abs(attachments.page_width - Mm(297)) <= EMU_PER_TWIP
    for value, mm in ((attachments.top_margin, 28), (attachments.bottom_margin, 26), (attachments.left_margin, 35),
                      (attachments.right_margin, 37)):
        assert abs(value - Mm(mm)) <= EMU_PER_TWIP, (value, mm)
    assert record.page_width < record.page_height and abs(record.top_margin - Mm(37)) <= EMU_PER_TWIP


def test_fonts_are_named_with_fallbacks(made):
    doc = Document(made["files"]["bulletin"])
    expect = {"公文标题": ("方正小标宋简体", 22), "Normal": ("仿宋_GB2312", 16), "一级标题": ("黑体", 16),
              "版记": ("仿宋_GB2312", 14), "发文机关标志": ("方正小标宋简体", None)}
    for name, (font, size) in expect.items():
        style = doc.styles[name]
        f = rfonts(style)
        assert f["eastAsia"] == font and f["ascii"] == "Times New Roman", (name, f)
        assert not any(k.endswith("Theme") or k == "cstheme" for k in f), f
        if size:
            assert style.font.size == Pt(size)
    assert rfonts(doc.styles["二级标题"])["eastAsia"] == "楷体_GB2312"
    with zipfile.ZipFile(made["files"]["bulletin"]) as z:
        table = z.read("word/fontTable.xml").decode("utf-8")
    for font, alt in (("方正小标宋简体", "宋体"), ("仿宋_GB2312", "仿宋"), ("黑体", "SimHei"), ("楷体_GB2312", "楷体")):
        assert re.search(rf'w:name="{font}"><w:altName w:val="{alt}"', table), font
    heads = [p.text for p in doc.paragraphs if p.style.name == "一级标题"]
    assert heads == ["一、基本情况", "二、三率情况及排名", "三、存在问题", "四、下步要求"]
    leads = [r.text for p in doc.paragraphs for r in p.runs if r.style is not None and r.style.name == "二级标题"]
    assert "（一）超期未办结情况。" in leads and "（五）人民网领导留言板工单情况。" in leads


@pytest.mark.parametrize("key", ["bulletin", "assess"])
def test_head_title_and_addressee_in_gb_t_9704_order(made, key):
    """版头 (7.2): 发文机关标志 (red, 35 mm down), two lines, 发文字号 with the red line under it, two
    lines, the title broken by hand between words, one line, 主送机关."""
    doc = Document(made["files"][key])
    p = doc.paragraphs
    assert p[0].text == "〔发文机关标志〕" and p[0].style.name == "发文机关标志"
    issuer = doc.styles["发文机关标志"]
    assert str(issuer.font.color.rgb) == "FF0000"
    assert abs(issuer.paragraph_format.space_before - Mm(35)) <= Mm(0.5)
    assert p[1].text == p[2].text == ""
    assert p[3].text == "〔发文字号〕" and p[3].alignment in (None, WD_ALIGN_PARAGRAPH.CENTER)
    rule = doc.styles["发文字号"].element.find(qn("w:pPr")).find(qn("w:pBdr")).find(qn("w:bottom"))
    assert rule.get(qn("w:color")) == "FF0000" and rule.get(qn("w:val")) == "single"
    assert abs(int(rule.get(qn("w:space"))) - 4 * PT_PER_MM) < 1         # 4 mm under the 发文字号
    assert p[4].text == p[5].text == ""
    assert p[6].style.name == "公文标题" and p[6].text.split("\n") == TITLES[key]
    assert p[7].text == "" and p[8].text == "各区属国有企业："


def test_title_lines_fit_the_text_block(made):
    for lines in TITLES.values():
        for line in lines:
            assert em_width(line) * 22 <= Mm(156).pt, line
        assert " " not in "".join(lines)


def test_signature_date_and_attachment_list(made):
    doc = Document(made["files"]["bulletin"])
    body = texts(doc)
    sign, date = body.index("〔发文机关署名〕"), body.index("〔成文日期〕")
    assert date == sign + 1
    ind = doc.styles["成文日期"].element.find(qn("w:pPr")).find(qn("w:ind"))
    assert ind.get(qn("w:rightChars")) == "400"                           # 成文日期 右空四字 (7.3.5.1)
    assert doc.paragraphs[date].alignment in (None, WD_ALIGN_PARAGRAPH.RIGHT)
    items = [t for t in body if re.match(r"^(附件：)?\d\.\t", t)]
    assert items == ["附件：1.\t各企业2025年12月三率、得分及排名情况", "2.\t区属国有企业2025年12月专项工单清单"]
    for para in doc.paragraphs:
        if para.text in items:
            assert para.paragraph_format.left_indent is not None
    # the 附件说明 keeps with the 署名: never a page holding only the 署名 and the date
    start = body.index(items[0])
    kept = [p.paragraph_format.keep_with_next or p.style.paragraph_format.keep_with_next
            for p in doc.paragraphs[start:sign + 1]]
    assert all(kept), kept


def test_one_attachment_is_not_numbered(made, tmp_path):
    """7.3.3 and 7.3.9: a single attachment reads "附件：名称" and its page "附件", without a number."""
    rep = made["report"](stats.month("2026-03"))          # no ticket: the ranking only, no lists
    assert not any(len(v) for v in rep.lists.values())
    out = D.write_report_docx(tmp_path / "one.docx", rep, made["ev"].tickets, made["ev"].computed)
    body = texts(Document(out))
    assert "附件：各企业2026年3月三率、得分及排名情况" in body and "附件" in body
    assert not any(re.match(r"附件\d", t) or re.match(r"附件：\d", t) for t in body)


@pytest.mark.parametrize("key", ["bulletin", "assess"])
def test_record_on_the_last_page(made, key):
    """版记 (7.4): after the attachments, in a section of its own, 抄送 and 印发机关/印发日期 between a
    thick first and last line and a thin line between them, as wide as the 版心."""
    doc = Document(made["files"][key])
    record = doc.tables[-1]
    assert len(record.columns) == 1 and len(record.rows) == 2
    assert record.rows[0].cells[0].text == "抄送：〔抄送机关〕。"
    assert record.rows[1].cells[0].text == "〔印发机关〕\t〔印发日期〕印发"
    borders = {_local(b.tag): b for b in record._tbl.tblPr.find(qn("w:tblBorders"))}
    assert borders["top"].get(qn("w:sz")) == borders["bottom"].get(qn("w:sz")) == "8"      # 0.35 mm
    assert borders["insideH"].get(qn("w:sz")) == "6"                                       # 0.25 mm
    assert borders["left"].get(qn("w:val")) == borders["right"].get(qn("w:val")) == "nil"
    width = int(record._tbl.tblPr.find(qn("w:tblW")).get(qn("w:w")))
    assert abs(width * EMU_PER_TWIP - Mm(156)) <= 2 * EMU_PER_TWIP
    body = list(doc.element.body)
    last_attachment = doc.tables[-2]._tbl
    assert body.index(last_attachment) < body.index(record._tbl)
    sect_of_record = doc.sections[-1]
    assert sect_of_record.page_width < sect_of_record.page_height


def _local(tag: str) -> str:
    return tag.split("}")[-1]


def test_attachment_pages_label_blank_title(made):
    """7.3.9: "附件N" in 黑体 on the first line of its page, the title on the third."""
    doc = Document(made["files"]["bulletin"])
    p = doc.paragraphs
    for k in (1, 2):
        i = texts(doc).index(f"附件{k}")
        assert p[i].style.name == "附件标识" and rfonts(p[i].style)["eastAsia"] == "黑体"
        assert p[i + 1].text == "" and p[i + 2].style.name == "附件标题"
        if k > 1:
            assert p[i].paragraph_format.page_break_before
    titles = [q.text for q in p if q.style.name == "附件标题"]
    assert titles == ["各企业2025年12月三率、得分及排名情况", "区属国有企业2025年12月专项工单清单"]


def test_placeholders_and_attachment_headers_repeat(made):
    doc = Document(made["files"]["bulletin"])
    body = texts(doc)
    for placeholder in ("〔发文机关标志〕", "〔发文字号〕", "〔发文机关署名〕", "〔成文日期〕"):
        assert placeholder in body
    for table in data_tables(doc):
        first = table.rows[0]._tr.trPr
        assert first is not None and first.find(qn("w:tblHeader")) is not None


# -- tables sized to their content ------------------------------------------------------------------------------
def cell_size(cell, default=10.5) -> float:
    for sz in cell._tc.iter(qn("w:sz")):
        return int(sz.get(qn("w:val"))) / 2
    return default


@pytest.mark.parametrize("key", ["bulletin", "assess"])
def test_columns_hold_their_cells_on_one_line(made, key):
    """Every cell outside the free-text column fits its column at the table's size (CJK one em,
    digits as wide as the fallback font draws them), with the cell margins; the table fits the page."""
    doc = Document(made["files"][key])
    landscape_text = Mm(225).pt
    for table in data_tables(doc):
        widths = [int(g.get(qn("w:w"))) / 20 for g in table._tbl.tblGrid.findall(qn("w:gridCol"))]
        assert sum(widths) <= landscape_text + 1
        head = [c.text.replace("\n", "") for c in table.rows[0].cells]
        free = head.index("诉求摘要") if "诉求摘要" in head else None
        for row in table.rows:
            for j, c in enumerate(row.cells):
                if j == free:
                    continue
                size = cell_size(c)
                for line in c.text.split("\n"):
                    assert em_width(line) * size + 2 * D.CELL_PAD / 20 <= widths[j] + 0.5, (head[j], line)


# -- content -----------------------------------------------------------------------------------------------------
def parse_rate(text: str):
    return None if text == "无数据" else float(text.rstrip("%")) / 100


@pytest.mark.parametrize("key", ["bulletin", "assess"])
def test_every_enterprise_figure_matches_the_json(made, key):
    doc = Document(made["files"][key])
    table = data_tables(doc)[0]
    head = [c.text.replace("\n", "") for c in table.rows[0].cells]
    rows = {r.cells[1].text.replace("\n", ""): [c.text for c in r.cells] for r in table.rows[1:]}
    enterprises = made["json"][key]["enterprises"]
    assert set(rows) == {e["enterprise"] for e in enterprises}
    col = {re.sub(r"满分\d+$", "", h): i for i, h in enumerate(head)}
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
            short = made["short"].get(e["enterprise"])
            named = rf"({re.escape(e['enterprise'])}(（以下简称“{short}”）)?|{short})" if short else re.escape(e["enterprise"])
            assert re.search(rf"第{e['rank']}名为{named}，得{e['total']:.2f}分|{named}(、[^；]+)?并列第{e['rank']}名"
                             rf"|、{named}并列第{e['rank']}名", body), e["enterprise"]
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
    assert f"共受理“接诉即办”工单{n}件，环比{'增加' if n > m else '减少'}{abs(n - m) / m * 100:.2f}%（上月{m}件）" in body
    for column in ("来源渠道", "诉求类别"):
        now = this[column].value_counts()
        prev = before[column].value_counts()
        for name, count in now.items():
            share = f"{count / n * 100:.2f}".replace("100.00", "100")
            assert f"{name}{count}件（占{share}%，上月{prev.get(name, 0)}件）" in body, name


@pytest.mark.parametrize("key", ["bulletin", "assess"])
def test_lists_of_article_16_match_the_json(made, key):
    """Each list in full (ids as in the JSON) or, when the lists would run past a few pages, in a
    sentence: its count per enterprise and the workbook that holds its rows."""
    doc = Document(made["files"][key])
    data = made["json"][key]
    titles = [p for p in doc.paragraphs if p.style.name == "表格标题"]
    tables = iter(data_tables(doc)[1:])
    shown, summarised = {}, {}
    body = list(doc.element.body)
    for title in titles:
        name = re.sub(r"^（.）|（\d+件）$", "", title.text)
        key_ = LIST_KEYS[name]
        nxt = body[body.index(title._p) + 1]
        if nxt.tag == qn("w:p") and nxt.xpath("string(.)").startswith("共"):
            summarised[key_] = nxt.xpath("string(.)")
            continue
        table = next(tables)
        shown[key_] = [r.cells[1].text for r in table.rows[1:]]
        assert title.text.endswith(f"（{len(table.rows) - 1}件）")
    assert sum(len(v) for v in shown.values()) <= N.LIST_ROWS_BUDGET
    for k in LIST_KEYS.values():
        if k in summarised:
            assert summarised[k].startswith(f"共{len(data[k])}件（") and "明细见附件工作簿" in summarised[k]
            counts = [int(x) for x in re.findall(r"(\d+)件", summarised[k].split("（", 1)[1].split("）")[0])]
            assert sum(counts) == len(data[k])
        else:
            assert sorted(shown.get(k, [])) == sorted(data[k]), k
    if key == "assess":
        assert summarised, "an annual draft of 800 tickets summarises its longest lists"


@pytest.mark.parametrize("key", ["bulletin", "assess"])
def test_no_caller_data_and_no_english(made, key):
    path = made["files"][key]
    assert leaks(path, caller_data(made["ev"].tickets)) == []
    text = all_text(Document(path))
    ids = set(made["ev"].tickets["工单编号"].astype(str))
    for i in ids:
        text = text.replace(i, "")
    text = text.replace(f"年度考核_{YEAR}_工单清单.xlsx", "")
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
    rep = made["report"](stats.month(MONTH), params=Params({"basic_satisfied_counts": "否", "max_extensions": 3}))
    out = D.write_report_docx(made["base"] / "changed.docx", rep, made["ev"].tickets, made["ev"].computed)
    notes = [p.text for p in Document(out).paragraphs if p.style.name == "附注"]
    assert len(notes) == 1
    assert notes[0].startswith("（") and "“基本满意”是否计为满意：否（默认是" in notes[0]
    assert "依据第十三条第（二）项" in notes[0] and not re.search(r"第\d+条", notes[0])


def test_narrative_is_pure():
    source = Path(N.__file__).read_text(encoding="utf-8")
    assert not re.search(r"^\s*(import|from)\s+docx", source, re.M)


# -- template ---------------------------------------------------------------------------------------------
def semantics(doc) -> dict:
    """What a template means: page setup, styles and their XML properties, body paragraphs with their
    styles and run styles, the 版记 table, footers, settings, font table — not bytes, ids or timestamps."""
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
        "body": [(p.style.name, p.text, p.paragraph_format.keep_with_next,
                  [r.style.name if r.style is not None else None for r in p.runs]) for p in doc.paragraphs],
        "tables": [re.sub(r' xmlns:\w+="[^"]+"', "", t._tbl.xml) for t in doc.tables],
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


def test_an_older_template_without_record_ends_with_the_attachments(made, tmp_path):
    """An office template with nothing after {{附件}} (made before the 版记 was added): the draft ends
    with the landscape attachments, no empty portrait page after them."""
    office = Document(str(TEMPLATE))
    body = office.element.body
    marker = next(p for p in office.paragraphs if p.text == "{{附件}}")._p
    for el in list(marker.itersiblings()):
        if el.tag != qn("w:sectPr"):
            body.remove(el)
    path = tmp_path / "旧模板.docx"
    office.save(path)
    out = D.write_report_docx(tmp_path / "o.docx", made["month"], made["ev"].tickets, made["ev"].computed, template=path)
    doc = Document(out)
    assert len(doc.sections) == 2 and doc.sections[-1].page_width > doc.sections[-1].page_height
    assert all(len(t.columns) > 1 for t in doc.tables)
    pages = read_pdf(D.to_pdf(out, tmp_path / "pdf"))
    assert pages[-1]["width"] > pages[-1]["height"] and pages[-1]["lines"]


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


# -- the PDF, read back -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("key", ["bulletin", "assess"])
def test_pdf_holds_every_paragraph_whole(made, pdfs, key):
    """Every paragraph's text is in the PDF, character for character (no comma lost at a line end)."""
    _, pages = pdfs[key]
    text = flat("".join("".join(p["lines"]) for p in pages))
    text = re.sub(r"—\d+—", "", text)
    for para in Document(made["files"][key]).paragraphs:
        want = flat(para.text)
        if want:
            assert want in text, want[:40]


@pytest.mark.parametrize("key", ["bulletin", "assess"])
def test_pdf_title_lines_are_the_lines_broken_by_hand(pdfs, key):
    _, pages = pdfs[key]
    assert [line for line in pages[0]["lines"] if line in TITLES[key]] == TITLES[key]


@pytest.mark.parametrize("key", ["bulletin", "assess"])
def test_pdf_keeps_short_cells_on_one_line(made, pdfs, key):
    """Each cell outside the free-text column is one line in the PDF (not "交通出|行", "92.86|%",
    "65.0|0"): every such cell text occurs within single lines at least as often as the cells hold it."""
    _, pages = pdfs[key]
    lines = [line for p in pages if p["width"] > p["height"] for line in p["lines"]]     # the attachments
    joined = "\n".join(lines)
    want: dict[str, int] = {}
    for table in data_tables(Document(made["files"][key])):
        head = [c.text.replace("\n", "") for c in table.rows[0].cells]
        for row in table.rows[1:]:
            for j, c in enumerate(row.cells):
                for line in c.text.split("\n"):
                    if head[j] != "诉求摘要" and len(line) >= 3:
                        want[flat(line)] = want.get(flat(line), 0) + 1
    assert len(want) > 20
    for text, n in want.items():
        assert joined.count(text) >= n, (text, n, joined.count(text))


def test_pdf_head_record_and_attachment_titles_where_gb_t_9704_puts_them(pdfs):
    _, pages = pdfs["bulletin"]
    first = pages[0]
    issuer = next(w for w in first["words"] if "发文机关标志" in w[0])
    assert abs(issuer[2] - (37 + 35) * PT_PER_MM) < 10                   # 35 mm below the 版心's top
    # 附件: the label on the first line, the title on the third (two lines of 28.95 pt below)
    for page in pages:
        labels = [w for w in page["words"] if re.fullmatch(r"附件\d", w[0])]
        if labels and page["width"] > page["height"]:
            title = next(w for w in page["words"] if w[2] > labels[0][4] + 5)
            assert abs((title[2] - labels[0][2]) - 2 * 28.95) < 6, (labels[0], title)
            assert abs(labels[0][2] - 28 * PT_PER_MM) < 8
    # 版记 on the last page, its lines at the foot of the 版心
    last = pages[-1]
    assert last["width"] < last["height"]
    text = "".join(last["lines"])
    assert "抄送：〔抄送机关〕。" in text and "〔印发日期〕印发" in text
    printed = next(w for w in last["words"] if "印发机关" in w[0])
    assert 262 * PT_PER_MM - 28.95 < printed[4] < 262 * PT_PER_MM


def test_pdf_record_lines_thick_thin_thick_on_the_lower_edge(pdfs, tmp_path):
    """Rasterised at 300 dpi: three lines as wide as the 版心 on the last page, the first and last
    thicker than the middle one, the last on the 版心's lower edge (262 mm from the top)."""
    pdf, pages = pdfs["bulletin"]
    n = len(pages)
    subprocess.run(["pdftoppm", "-gray", "-r", "300", "-f", str(n), "-l", str(n), "-singlefile", str(pdf),
                    str(tmp_path / "last")], check=True)
    data = (tmp_path / "last.pgm").read_bytes()
    head = data.split(b"\n", 3)
    w, h = (int(x) for x in head[1].split())
    pixels = head[3]
    left, right = int(28 / 25.4 * 300) + 20, int(184 / 25.4 * 300) - 20
    binary = pixels.translate(bytes(0 if b < 128 else 255 for b in range(256)))
    dark_rows = [y for y in range(h) if binary[y * w + left:y * w + right].count(0) >= 0.9 * (right - left)]
    groups: list[list[int]] = []
    for y in dark_rows:
        if groups and y == groups[-1][-1] + 1:
            groups[-1].append(y)
        else:
            groups.append([y])
    assert len(groups) == 3, [(g[0], len(g)) for g in groups]
    thick = [len(g) for g in groups]
    assert thick[0] > thick[1] and thick[2] > thick[1]
    assert abs(groups[2][-1] / 300 * 25.4 - 262) < 1.0


@pytest.mark.parametrize("key", ["bulletin", "assess"])
def test_pdf_page_numbers_where_a_bound_reader_sees_them(pdfs, key):
    """Portrait pages: "— N —" below the 版心, odd right, even left. Landscape pages: the same place on
    the page turned back upright — the left edge of the landscape page, near its foot on odd pages and
    near its head on even pages."""
    _, pages = pdfs[key]
    assert any(p["width"] > p["height"] for p in pages)
    for n, page in enumerate(pages, start=1):
        number = [w[1:] for w in page["words"] if w[0] == str(n)]
        dashes = [w[1:] for w in page["words"] if w[0] == "—"]
        odd = n % 2 == 1
        if page["width"] < page["height"]:
            where = [(x0, y0, x1, y1) for x0, y0, x1, y1 in number
                     if y0 > 262 * PT_PER_MM and (x1 > 105 * PT_PER_MM) == odd]
        else:      # in the left margin, near the foot (odd) or the head (even)
            where = [(x0, y0, x1, y1) for x0, y0, x1, y1 in number
                     if x1 < 35 * PT_PER_MM and (y0 > page["height"] / 2) == odd]
        assert len(where) == 1, (n, number)
        x0, y0, x1, y1 = where[0]
        near = [d for d in dashes if abs(d[0] - x0) < 20 and abs(d[1] - y0) < 40]
        assert len(near) >= 2, n                                                   # "— n —"
        if page["width"] > page["height"]:     # one character (四号) in from the 版心's end, as on paper
            ends = (max(d[3] for d in near) if odd else min(d[1] for d in near)) / PT_PER_MM
            assert abs(ends - ((184 - 14 / PT_PER_MM) if odd else (28 + 14 / PT_PER_MM))) < 3, (n, ends)
            assert 20 < x0 / PT_PER_MM and x1 / PT_PER_MM < 28.5, n                # just outside the 版心 line


def test_pdf_font_notice_and_replacements(made, tmp_path, monkeypatch):
    """Without the 公文 fonts the job says which are missing and what the PDF looks like; with them,
    nothing. The PDF draws a missing font in its look-alike (here: Noto Serif CJK for 仿宋_GB2312)."""
    out = tmp_path / "fonts"
    monkeypatch.setattr(fonts, "installed_families", lambda: {"Noto Serif CJK SC", "Noto Sans CJK SC", "DejaVu Serif"})
    r = jobs.bulletin(made["ledger"], MONTH, as_of=AS_OF, out_dir=out, pdf=True, only_period=True)
    notice = next(n for n in r.notes if "缺少公文字体" in n)
    for name in ("方正小标宋简体", "仿宋_GB2312", "黑体", "楷体_GB2312"):
        assert name in notice and name in r.data["pdf_fonts"]["missing"]
    assert "正文字体仿宋_GB2312（以 Noto Serif CJK SC 代替）" in notice and "安装方法" in notice
    assert r.data["pdf_fonts"]["substitutes"]["黑体"] == "Noto Sans CJK SC"
    if "Noto Serif CJK SC" in (fonts._fc_families() or set()):
        used = subprocess.run(["pdffonts", r.data["files"]["pdf"]], capture_output=True, text=True).stdout
        assert "NotoSerifCJK" in used
    monkeypatch.setattr(fonts, "installed_families", lambda: {f.name for f in fonts.FONTS})
    r = jobs.bulletin(made["ledger"], MONTH, as_of=AS_OF, out_dir=tmp_path / "ok", pdf=True, only_period=True)
    assert not any("公文字体" in n for n in r.notes) and r.data["pdf_fonts"]["missing"] == []


def test_libreoffice_converts_it_to_pdf(pdfs):
    pdf, pages = pdfs["bulletin"]
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF") and len(data) > 10_000
    assert re.search(rb"/MediaBox\s*\[\s*0 0 595\.\d+ 841\.\d+", data), "first page is not A4 portrait"
    assert "工作情况的通报" in "".join(pages[0]["lines"])


def test_missing_libreoffice_is_a_clear_error(made, monkeypatch):
    monkeypatch.setattr(D, "find_soffice", lambda: None)
    with pytest.raises(LedgerError, match="未找到 LibreOffice"):
        D.to_pdf(made["files"]["bulletin"])


# -- the job and the command line -------------------------------------------------------------------------------
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
    title = next(p for p in doc.paragraphs if p.style.name == "公文标题")
    assert title.text.replace("\n", "") == "关于2025年12月区属国有企业“接诉即办”工作情况的通报"


def test_assessment_writes_the_lists_its_draft_summarises(made, tmp_path):
    """The annual draft summarises its long lists "明细见附件工作簿“年度考核_2025_工单清单.xlsx”": that
    workbook is written beside it, one sheet per list, every id of the JSON."""
    r = jobs.assess(made["ledger"], YEAR, as_of=AS_OF, out_dir=tmp_path, docx=True, only_period=True)
    lists = Path(r.data["files"]["lists"])
    assert lists.name == f"年度考核_{YEAR}_工单清单.xlsx" and lists.exists()
    text = "\n".join(texts(Document(r.data["files"]["docx"])))
    assert f"明细见附件工作簿“{lists.name}”" in text
    sheets = cells(lists)
    for title, key in LIST_KEYS.items():
        if r.data[key]:
            ids = [row[0] for row in sheets[title] if row and row[0] in set(r.data[key])]
            assert sorted(ids) == sorted(r.data[key]), key
    # no list summarised: no lists workbook
    small = jobs.bulletin(made["ledger"], MONTH, as_of=AS_OF, out_dir=tmp_path / "m", docx=True, only_period=True)
    assert "lists" not in small.data["files"]


def test_the_draft_over_the_report_window_equals_the_whole_ledgers(made, tmp_path):
    """The job reads only the period and the one before for the draft too; the text is the same."""
    def body(only_period, sub):
        r = jobs.bulletin(made["ledger"], MONTH, as_of=AS_OF, out_dir=tmp_path / sub, docx=True,
                          only_period=only_period)
        return all_text(Document(r.data["files"]["docx"])), r.evaluated.ledger.window

    window, w = body(True, "w")
    whole, _ = body(False, "a")
    assert w is not None and window == whole


def test_an_assessment_compares_its_ranks_with_the_year_before_as_assessed(made, tmp_path, monkeypatch):
    """同比 in the annual draft: the year before is ranked as that year's assessment ranked it (with its
    考核录入 items, out of 100), not as a 65-point bulletin over twelve months would."""
    from jsjb.jobs import tasks

    asked = []
    real = tasks._report

    def spy(ev, period, annual, volumes=True):
        asked.append((period.label, annual))
        return real(ev, period, annual, volumes)
    monkeypatch.setattr(tasks, "_report", spy)
    jobs.assess(made["ledger"], YEAR, as_of=AS_OF, out_dir=tmp_path, docx=True, only_period=True)
    before = str(int(YEAR) - 1)
    assert (before, True) in asked and (before, False) not in asked


def test_a_control_character_from_the_ledger_does_not_stop_the_draft(made, tmp_path, monkeypatch):
    """A vertical tab pasted from Word into an enterprise name or a 诉求类别 reaches the draft's title,
    body, annex titles and tables; python-docx refuses such characters, so the writer drops them — the
    draft is written, its words intact."""
    from jsjb.io import docx_report as D

    real = N.draft

    def tainted(*args, **kwargs):
        d = real(*args, **kwargs)
        d.title_words = [w + "\x0b" for w in d.title_words]
        d.opening += "\x0b"
        d.body = [N.Para(p.text + "\x0b", p.kind, p.lead + "\x0b" if p.lead else "") for p in d.body]
        return d
    monkeypatch.setattr(N, "draft", tainted)
    r = jobs.bulletin(made["ledger"], MONTH, as_of=AS_OF, out_dir=tmp_path, docx=True, only_period=True)
    text = "\n".join(texts(Document(r.data["files"]["docx"])))
    assert "\x0b" not in text and "工作情况的通报" in text
    assert D._clean("热力\x0b公司\x00") == "热力公司"


def test_a_rerun_never_replaces_a_draft_the_clerk_may_have_edited(made, tmp_path):
    """R21: the 公文稿 is the file the clerk edits; a second run writes 月通报_YYYY-MM_2.docx and says so."""
    first = jobs.bulletin(made["ledger"], MONTH, as_of=AS_OF, out_dir=tmp_path, docx=True, only_period=True)
    draft = Path(first.data["files"]["docx"])
    before = draft.read_bytes()
    again = jobs.bulletin(made["ledger"], MONTH, as_of=AS_OF, out_dir=tmp_path, docx=True, only_period=True)
    assert draft.read_bytes() == before
    assert Path(again.data["files"]["docx"]) == tmp_path / f"月通报_{MONTH}_2.docx"
    assert any(f"{draft.name} 已存在" in n and f"月通报_{MONTH}_2.docx" in n for n in again.notes)
