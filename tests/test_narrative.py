"""The 公文 as a reader reads it (issue #22): comparisons only with a period that has data, ties as 并列,
sentences that say something, one number format per kind, articles in Chinese numerals, 简称 after the
first full name, no formula text in a summary, titles broken between words — and, in the project's
own words, the five phrases a reader flagged never appear.

The sample ledger's tickets all fall in 2025: its January bulletin is a first month (no December
2024 data) and its 2025 assessment a first year. Expected values are written out by hand (numbers in
Chinese, breaks of a title) or counted from the report the draft is made from."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from jsjb import jobs
from jsjb.core import narrative as N
from jsjb.core import stats
from jsjb.core.enterprises import short_names
from jsjb.core.ledger import build
from jsjb.core.measure import break_lines, em_width
from jsjb.core.sample import generate

AS_OF = "2026-01-05T10:00"


@pytest.fixture(scope="module")
def ev():
    sample = generate(1500, 2025, 11)
    return jobs.evaluate(build(sample.sheets), pd.Timestamp(AS_OF))


def report(ev, period, annual=False):
    ledger = ev.ledger
    return stats.report(ledger.enterprise_names, ev.tickets, ev.computed, period, ev.as_of, ledger.params,
                        ledger.adjustments, ledger.manual if annual else None)


def make(ev, period, annual=False, rep=None, previous="auto"):
    rep = rep or report(ev, period, annual)
    prev = report(ev, period.previous()) if previous == "auto" else previous
    return N.draft(rep, ev.tickets, ev.computed, prev, short_names=short_names(ev.ledger.enterprises),
                   detail_book="月通报.xlsx")


def body_text(d: N.Draft) -> str:
    return "\n".join([d.title, d.opening, *(p.lead + p.text for p in d.body)])


def all_text(d: N.Draft) -> str:
    parts = [body_text(d), d.annotation or ""]
    for a in d.attachments:
        parts.append(a.title)
        for t in a.tables:
            parts += [t.title, t.intro, *t.notes, *(h.replace(N.BREAK, "") for h in t.headers)]
            parts += [c.replace(N.BREAK, "") for row in t.rows for c in row]
    return "\n".join(parts)


def with_tie(rep: stats.Report, a: int, b: int) -> stats.Report:
    """The report with enterprise ``b`` (row) given the total of ``a``, ranked again as R17 ranks."""
    table = rep.table.copy()
    table.loc[b, "total"] = table.loc[a, "total"]
    active = table["rank"].notna()
    table["rank"] = stats.competition_rank(table["total"].astype(float), active)
    table = table.assign(_r=table["rank"].astype(float)).sort_values("_r", kind="stable").drop(columns="_r")
    return stats.Report(rep.period, rep.as_of, table.reset_index(drop=True), rep.lists, rep.overview, rep.params)


# -- comparisons only with a period that has data ---------------------------------------------------------
def test_first_month_compares_with_nothing(ev):
    d = make(ev, stats.month("2025-01"))
    text = body_text(d)
    assert "2025年1月" in text and "共受理" in text
    for word in ("环比", "上月", "排名上升", "排名下降", "百分点"):
        assert word not in text, word


def test_first_year_compares_with_nothing(ev):
    d = make(ev, stats.year(2025), annual=True)
    text = body_text(d)
    for word in ("同比", "上年", "百分点"):
        assert word not in text, word
    assert text.count("（占") >= 10          # the shares stay, without "上年0件"


def test_a_month_after_one_with_data_compares(ev):
    rep = report(ev, stats.month("2025-12"))
    before = report(ev, stats.month("2025-11"))
    d = make(ev, stats.month("2025-12"), rep=rep, previous=before)
    text = body_text(d)
    now, prev = int(rep.overview["环比"]["本期受理"]), int(rep.overview["环比"]["上期受理"])
    pct = abs(now - prev) / prev * 100
    assert f"环比{'增加' if now > prev else '减少'}{pct:.2f}%（上月{prev}件）" in text
    assert "与上月相比" in text


# -- ranking --------------------------------------------------------------------------------------------------
def test_ties_read_as_bing_lie(ev):
    rep = with_tie(report(ev, stats.month("2025-12")), 0, 1)
    names = list(rep.table["enterprise"][:2])
    short = short_names(ev.ledger.enterprises)
    d = make(ev, stats.month("2025-12"), rep=rep)
    text = body_text(d)
    total = f"{rep.table['total'][0]:.2f}"
    assert (f"{names[0]}（以下简称“{short[names[0]]}”）、{names[1]}（以下简称“{short[names[1]]}”）并列第1名，"
            f"均得{total}分") in text
    assert "第2名" not in text.split("排名情况：")[1].split("。")[0]       # 1, 1, 3 (R17)
    assert "第3名为" in text
    assert not re.search(r"第(\d+)名为[^；。]*；第\1名为", text)


def test_rank_changes_name_only_what_changed(ev):
    before = report(ev, stats.month("2025-11"))
    rep = report(ev, stats.month("2025-12"))
    d = make(ev, stats.month("2025-12"), rep=rep, previous=before)
    old = dict(zip(before.table["enterprise"], before.table["rank"]))
    moved = [e for e, r in zip(rep.table["enterprise"], rep.table["rank"]) if r is not None and old.get(e) != r]
    same = [e for e, r in zip(rep.table["enterprise"], rep.table["rank"]) if r is not None and old.get(e) == r]
    text = body_text(d)
    line = next(p.text for p in d.body if p.text.startswith("与上月相比，排名"))
    assert ("其余企业排名不变" in line) == bool(same and moved)
    assert "或上月未参加排名" not in text
    # the same month against a previous month where every enterprise had another rank
    shifted = before.table.copy()
    shifted["rank"] = [None if r is None else int(r) + 20 for r in shifted["rank"]]
    prev = stats.Report(before.period, before.as_of, shifted, before.lists, before.overview, before.params)
    line = next(p.text for p in make(ev, stats.month("2025-12"), rep=rep, previous=prev).body
                if p.text.startswith("与上月相比"))
    assert "其余企业" not in line and "排名上升的有" in line and "排名下降" not in line


def test_an_enterprise_new_to_the_ranking_is_named_as_such(ev):
    before = report(ev, stats.month("2025-11"))
    rep = report(ev, stats.month("2025-12"))
    first = rep.table["enterprise"][0]
    table = before.table.copy()
    table.loc[table["enterprise"] == first, "rank"] = None
    prev = stats.Report(before.period, before.as_of, table, before.lists, before.overview, before.params)
    line = next(p.text for p in make(ev, stats.month("2025-12"), rep=rep, previous=prev).body
                if p.text.startswith("与上月相比"))
    short = short_names(ev.ledger.enterprises)[first]
    assert f"{short}上月未参加排名" in line


# -- sentences that say something -----------------------------------------------------------------------------
EMPTY = re.compile(r"[，、：；]。|（）|，，|。。|、、|；；|：，|件（）|[，、]$")


@pytest.mark.parametrize("period, annual", [("2025-01", False), ("2025-06", False), ("2025-12", False),
                                            ("2025", True)])
def test_no_empty_sentences(ev, period, annual):
    p = stats.year(period) if annual else stats.month(period)
    text = all_text(make(ev, p, annual))
    assert not EMPTY.search(text), EMPTY.search(text)
    assert "None" not in text and "nan" not in text.lower()


def test_a_month_without_tickets_says_so(ev):
    d = make(ev, stats.month("2026-03"))
    text = body_text(d)
    assert "区国资委未受理“接诉即办”工单。" in text and "不计算三率" in text
    assert not EMPTY.search(all_text(d))


@pytest.mark.parametrize("month", ["2025-12", "2026-03"])
def test_the_body_names_the_ranking_attachment_as_the_attachments_are_numbered(ev, month):
    """GB/T 9704: with one attachment it is “附件”, with several “附件1”…; the body's pointer to the
    ranking says the same as the attachment's own mark."""
    d = make(ev, stats.month(month))
    pointer = "附件1" if len(d.attachments) > 1 else "附件"
    sentence = next(p.text for p in d.body if "详见附件" in p.text)
    assert sentence.endswith(f"详见{pointer}。")
    if len(d.attachments) == 1:
        assert "附件1" not in all_text(d)


# -- one number format per kind, articles in Chinese numerals ---------------------------------------------------
def test_every_percentage_has_two_decimals(ev):
    for period, annual in (("2025-12", False), ("2025", True)):
        text = body_text(make(ev, stats.year(period) if annual else stats.month(period), annual))
        for number in re.findall(r"(\d+(?:\.\d+)?)%", text):
            assert number in ("100", "0") or re.fullmatch(r"\d+\.\d\d", number), number
        for number in re.findall(r"(\d+(?:\.\d+)?)个百分点", text):
            assert re.fullmatch(r"\d+\.\d\d", number), number
        for number in re.findall(r"(\d+(?:\.\d+)?)分", text):
            assert re.fullmatch(r"\d+\.\d\d", number) or number in ("100", "2", "0"), number


@pytest.mark.parametrize("n, words", [(1, "一"), (10, "十"), (13, "十三"), (16, "十六"), (20, "二十"), (22, "二十二"),
                                      (100, "一百"), (110, "一百一十"), (201, "二百零一"), (1010, "一千零一十")])
def test_chinese_numbers(n, words):
    assert N.chinese_number(n) == words


@pytest.mark.parametrize("cited, words", [("第20条", "第二十条"), ("第13条(2)", "第十三条第（二）项"),
                                          ("《民法典》第201条", "《民法典》第二百零一条"), ("附表 满意率", "附表 满意率"),
                                          ("第21条、附表扣分项5", "第二十一条、附表扣分项5")])
def test_articles_are_cited_in_chinese_numerals(cited, words):
    assert N.cite(cited) == words


def test_number_helpers():
    assert N.pct(1.0) == "100%" and N.pct(None) == "无数据" and N.pct(12 / 13) == "92.31%" and N.pct(0) == "0%"
    assert N.change(326, 252, "环比") == "环比增加29.37%" and N.change(80, 80, "环比") == "与上月持平"
    assert N.change(90, 100, "同比") == "同比减少10.00%"
    with pytest.raises(ValueError):
        N.change(5, 0, "环比")
    assert N.points(-0.0) == "0.00" and N.points(64.9) == "64.90"
    assert N.pp_change(0.95, 0.9) == "上升5.00个百分点" and N.pp_change(0.9, None) == ""


# -- names ------------------------------------------------------------------------------------------------------
def test_full_name_once_then_short_name(ev):
    text = body_text(make(ev, stats.month("2025-12")))
    named = 0
    for name, short in short_names(ev.ledger.enterprises).items():
        if name in text:
            named += 1
            assert text.count(name) == 1, name
            definition = f"{name}（以下简称“{short}”）"
            assert definition in text
            assert short in text[text.index(definition) + len(definition):], short      # used after it
    assert named >= 3


def test_names_without_short_name_stay_full():
    name = N.Names({"东胜区水务有限责任公司": "水务公司"})
    assert name("东胜区热力有限责任公司") == name("东胜区热力有限责任公司") == "东胜区热力有限责任公司"
    assert name("东胜区水务有限责任公司") == "东胜区水务有限责任公司（以下简称“水务公司”）"
    assert name("东胜区水务有限责任公司") == "水务公司" and name.known("东胜区水务有限责任公司") == "水务公司"


@pytest.mark.parametrize("name, parts", [
    ("东胜区公共交通有限责任公司", ["东胜区", "公共交通", "有限责任公司"]),
    ("东胜区城市发展投资集团有限公司", ["东胜区", "城市发展投资", "集团有限公司"]),
    ("鄂尔多斯市东胜区热力公司", ["鄂尔多斯市", "东胜区热力公司"]),
    ("新能源充电服务有限公司", ["新能源充电服务", "有限公司"]),
])
def test_names_break_between_place_name_and_company_form(name, parts):
    assert N.name_breaks(name).split(N.BREAK) == parts


# -- citizen text -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("content, shown", [
    ('=HYPERLINK("http://example.invalid","点击")', "—"),
    ("+86 13912345678", "—"),
    ("@所有人 暖气不热", "—"),
    ("  =1+1", "—"),
    ("反映暖气不热", "反映暖气不热"),
])
def test_formula_looking_text_is_left_out_of_the_summary(content, shown):
    t = pd.DataFrame({"诉求内容": [content], "来话人": [None], "联系电话": [None], "地址": [None]})
    assert N.summary(t, 0) == shown


# -- titles ----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("words, width, lines", [
    (["关于", "2025年12月", "区属国有企业", "“接诉即办”", "工作情况的通报"], 20,
     ["关于2025年12月区属国有企业", "“接诉即办”工作情况的通报"]),
    (["关于", "2025年度", "区属国有企业", "“接诉即办”工作", "考核结果的通报"], 20,
     ["关于2025年度区属国有企业", "“接诉即办”工作考核结果的通报"]),
    (["关于", "2025年12月", "区属国有企业", "“接诉即办”", "工作情况的通报"], 40,
     ["关于2025年12月区属国有企业“接诉即办”工作情况的通报"]),
    (["关于", "2025年12月", "区属国有企业", "“接诉即办”", "工作情况的通报"], 11,
     ["关于2025年12月", "区属国有企业", "“接诉即办”", "工作情况的通报"]),
])
def test_titles_break_between_words_into_even_lines(words, width, lines):
    assert break_lines(words, width) == lines


def test_widths_in_ems():
    assert em_width("接诉即办") == 4 and em_width("“”（）") == 4
    assert em_width("2025") < 4 * 0.7 and em_width("12345热线") > 2 + 5 * 0.5 + 0.25 - 1e-9


# -- the reading test -------------------------------------------------------------------------------------------
FLAGGED = {   # what a reader flagged, as a pattern that matches it
    "“（上年0件）” where the year before has no data": re.compile(r"上年0件"),
    "ties as “第1名A…，第1名B…”": re.compile(r"第(\d+)名[^；。]{0,60}[，；]第\1名"),
    "“其余企业排名不变或上月未参加排名”": re.compile(r"其余企业排名不变或上月未参加排名"),
    "an article in Arabic numerals (“第20条”)": re.compile(r"第\d+条"),
    "“1.2025年…” in the 附件说明": re.compile(r"(^|\n)\d\.\d{4}年"),
}


@pytest.mark.parametrize("period, annual, tie", [("2025-01", False, False), ("2025-12", False, False),
                                                 ("2025-12", False, True), ("2025", True, False), ("2025", True, True)])
def test_the_phrases_a_reader_flagged_never_appear(ev, period, annual, tie):
    p = stats.year(period) if annual else stats.month(period)
    rep = report(ev, p, annual)
    if tie:
        rep = with_tie(rep, 0, 1)
    d = make(ev, p, annual, rep=rep)
    text = all_text(d) + "\n" + "\n".join(f"{k}.{a.title}" for k, a in enumerate(d.attachments, start=1))
    for what, pattern in FLAGGED.items():
        assert not pattern.search(text), f"{what}: {pattern.search(text)}"
    assert "HYPERLINK" not in text
