"""R23: the State Council notice's text → 节假日 rows.

Oracle: the chinesecalendar package (``constants.holidays`` / ``constants.workdays``), which is
maintained from the same notices. Each fixture in fixtures/notices is one year's notice written
in that year's style (own wording, the year's facts); parsing it must give exactly the package's
weekday rest days and weekend working days for the dates that notice governs.
"""

import datetime as dt
from pathlib import Path

import pytest
from chinese_calendar import constants
from helpers import d
from hypothesis import given
from hypothesis import strategies as st

from jsjb.core.calendar import REST, WORK
from jsjb.core.errors import LedgerError, NoticeError
from jsjb.core.notice import HolidayRow, parse_notice

FIXTURES = Path(__file__).parent / "fixtures" / "notices"
YEARS = range(2008, 2027)


def window(year: int) -> tuple[dt.date, dt.date]:
    """The dates a year's notice governs: its 元旦 arrangement may start in late December of the
    year before (2008, 2019, 2023) and the next notice's may claim late December (2011-12-31)."""
    return dt.date(year - 1, 12, 25), dt.date(year, 12, 24)


def package_facts(year: int) -> tuple[set, set]:
    lo, hi = window(year)
    rest = {x for x in constants.holidays if lo <= x <= hi and x.weekday() < 5}
    work = {x for x in constants.workdays if lo <= x <= hi}
    return rest, work


@pytest.mark.parametrize("year", YEARS)
def test_fixture_matches_package(year):
    notice = parse_notice((FIXTURES / f"{year}.txt").read_text(encoding="utf-8"))
    assert notice.year == year
    rest = {r.date for r in notice.rows if r.kind == REST}
    work = {r.date for r in notice.rows if r.kind == WORK}
    lo, hi = window(year)
    assert all(lo <= r.date <= hi for r in notice.rows)
    exp_rest, exp_work = package_facts(year)
    assert {x for x in rest if x.weekday() < 5} == exp_rest
    assert work == exp_work
    # every parsed rest day is a package holiday or a weekend; every working day a weekend
    assert all(x in constants.holidays or x.weekday() >= 5 for x in rest)
    assert all(x.weekday() >= 5 for x in work)
    # one row per date, in date order, each with the festival as note
    dates = [r.date for r in notice.rows]
    assert dates == sorted(set(dates))
    assert all(r.note for r in notice.rows)


def test_package_oracle_covers_the_fixture_years():
    # guard the oracle itself: if the package ever drops a year the test above would be vacuous
    for year in YEARS:
        rest, work = package_facts(year)
        assert len(rest) >= 10 and len(work) >= 1, year


def rows(text: str) -> list[tuple[str, str, str]]:
    return [(r.date.isoformat(), r.kind, r.note) for r in parse_notice(text).rows]


TITLE_2025 = "国务院办公厅关于2025年部分节假日安排的通知\n"


def test_2025_rows_and_notes_in_full():
    got = rows((FIXTURES / "2025.txt").read_text(encoding="utf-8"))
    # 春节 (hand-listed from the notice: 1月28日至2月4日, 1月26日、2月8日上班)
    spring = [r for r in got if r[2].startswith("春节")]
    assert spring == [
        ("2025-01-26", WORK, "春节调休上班"),
        ("2025-01-28", REST, "春节"), ("2025-01-29", REST, "春节"), ("2025-01-30", REST, "春节"),
        ("2025-01-31", REST, "春节"), ("2025-02-01", REST, "春节"), ("2025-02-02", REST, "春节"),
        ("2025-02-03", REST, "春节"), ("2025-02-04", REST, "春节"),
        ("2025-02-08", WORK, "春节调休上班"),
    ]
    assert ("2025-10-01", REST, "国庆节、中秋节") in got
    assert ("2025-09-28", WORK, "国庆节、中秋节调休上班") in got
    assert ("2025-01-01", REST, "元旦") in got
    assert [r for r in got if r[0].startswith("2025-05-3") or r[0].startswith("2025-06-0")] == [
        ("2025-05-31", REST, "端午节"), ("2025-06-01", REST, "端午节"), ("2025-06-02", REST, "端午节")]


def test_as_dict_shape():
    out = parse_notice(TITLE_2025 + "一、元旦：1月1日（周三）放假1天，不调休。").as_dict()
    assert out == {"year": 2025, "rows": [{"date": "2025-01-01", "type": "休息日", "note": "元旦"}]}


def test_full_width_digits_and_punctuation():
    text = ("国务院办公厅关于２０２５年部分节假日安排的通知\n"
            "四、劳动节：５月１日（周四）至５日（周一）放假调休，共５天。４月２７日（周日）上班。")
    assert rows(text) == [("2025-04-27", WORK, "劳动节调休上班")] + [
        (f"2025-05-0{i}", REST, "劳动节") for i in range(1, 6)]


def test_half_width_and_mixed_punctuation():
    text = "关于2025年部分节假日安排的通知\n四、劳动节:5月1日(周四)至5日(周一)放假调休,共5天;4月27日(周日)上班."
    assert ("2025-04-27", WORK, "劳动节调休上班") in rows(text)
    assert len(rows(text)) == 6


def test_span_across_months_and_years():
    got = rows(TITLE_2025 + "五、端午节：5月31日（周六）至6月2日（周一）放假，共3天。")
    assert [r[0] for r in got] == ["2025-05-31", "2025-06-01", "2025-06-02"]
    got = rows("国务院办公厅关于2023年部分节假日安排的通知\n"
               "一、元旦：2022年12月31日至2023年1月2日放假调休，共3天。")
    assert [r[0] for r in got] == ["2022-12-31", "2023-01-01", "2023-01-02"]


def test_december_dates_take_the_year_written_earlier_in_the_item():
    # 2008 style: 12月29日 after "2007年12月30日" in the same item is 2007-12-29 (a Saturday)
    got = rows("国务院办公厅关于2008年部分节假日安排的通知\n"
               "一、元旦：2007年12月30日至2008年1月1日放假，共3天。12月29日（星期六）上班。")
    assert ("2007-12-29", WORK, "元旦调休上班") in got


def test_not_swapped_days_and_week_end_phrases():
    got = rows(TITLE_2025 + "一、元旦：1月1日（周三）放假1天，不调休。\n"
               "五、端午节：6月10日放假，与周末连休。")
    assert [r[0] for r in got] == ["2025-01-01", "2025-06-10"]


def test_several_festivals_in_one_item_and_heading_styles():
    text = ("国务院办公厅关于2009年部分节假日安排的通知\n"
            "三、清明节4月4日至6日放假，共3天。\n"                       # no colon
            "四、“五一”国际劳动节：5月1日至3日放假，共3天。\n"            # quotes, long name
            "六、国庆节、中秋节：10月1日至8日放假，共8天。9月27日（星期日）上班。")
    got = rows(text)
    assert ("2009-04-04", REST, "清明节") in got
    assert ("2009-05-02", REST, "劳动节") in got
    assert ("2009-10-08", REST, "国庆节、中秋节") in got
    assert ("2009-09-27", WORK, "国庆节、中秋节调休上班") in got


def test_items_without_numbers():
    text = ("2024年部分节假日安排（国务院办公厅关于2024年部分节假日安排的通知）\n"
            "元旦：1月1日放假，与周末连休。\n——春节：2月10日至17日放假调休，共8天。2月4日（星期日）上班。")
    got = rows(text)
    assert ("2024-01-01", REST, "元旦") in got and ("2024-02-04", WORK, "春节调休上班") in got
    assert len(got) == 10


def test_encouragement_to_rest_on_new_years_eve_is_not_a_holiday():
    got = rows("国务院办公厅关于2026年部分节假日安排的通知\n"
               "二、春节：2月17日（周二）至23日（周一）放假调休，共7天。2月14日（周六）上班。"
               "鼓励各单位结合带薪年休假等制度落实，安排职工在除夕（2月16日）休息。")
    assert "2026-02-16" not in [r[0] for r in got]


def test_explanatory_clauses_add_nothing():
    # only the span and the 上班 day count; 公休日调至… and 法定节假日 are explanations
    got = rows("国务院办公厅关于2009年部分节假日安排的通知\n"
               "一、元旦：1月1日至3日放假，共3天。其中，1月1日（星期四、新年）为法定节假日，"
               "1月3日（星期六）为公休日。1月4日（星期日）的公休日调至1月2日（星期五）。1月4日（星期日）上班。")
    assert got == [("2009-01-01", REST, "元旦"), ("2009-01-02", REST, "元旦"), ("2009-01-03", REST, "元旦"),
                   ("2009-01-04", WORK, "元旦调休上班")]


def test_extension_notice_extends_the_span_and_cancels_working_days_in_it():
    got = dict((r[0], r[1]) for r in rows((FIXTURES / "2020.txt").read_text(encoding="utf-8")))
    for day in ("2020-01-31", "2020-02-01", "2020-02-02"):
        assert got[day] == REST
    assert "2020-02-03" not in got      # 2月3日起正常上班: an ordinary Monday, no row


# -- malformed input ------------------------------------------------------------------------------
def test_missing_year():
    with pytest.raises(NoticeError) as e:
        parse_notice("一、元旦：1月1日（周三）放假1天，不调休。")
    assert e.value.code == "missing_year"
    assert isinstance(e.value, LedgerError)
    assert "年份" in str(e.value)


def test_weekday_mismatch_names_line_and_text():
    text = TITLE_2025 + "\n一、元旦：1月1日（周三）放假1天，不调休。\n二、春节：1月26日（周六）上班。"
    with pytest.raises(NoticeError) as e:
        parse_notice(text)
    err = e.value
    assert err.code == "weekday_mismatch"
    assert err.line == 4            # title, blank line, 元旦, 春节
    assert "1月26日（周六）上班" in err.text
    assert "第4行" in str(err) and "星期日" in str(err) and "周六" in str(err)


def test_unknown_festival():
    with pytest.raises(NoticeError) as e:
        parse_notice(TITLE_2025 + "八、植树节：3月12日（周三）放假1天。")
    assert e.value.code == "unknown_festival"
    assert "植树节" in str(e.value) and e.value.line == 2


def test_numbered_items_without_dates_are_not_festivals():
    # the 2020 extension notice has items about schools; they carry no dates and are skipped
    got = rows((FIXTURES / "2020.txt").read_text(encoding="utf-8"))
    assert got


@pytest.mark.parametrize("text, code, line", [
    ("国务院办公厅关于延长2020年春节假期的通知\n一、延长2020年春节假期至2月2日（星期日）。", "extension_without_base", None),
    ("国务院办公厅关于２０２６年部分节假日安排的通知\n七、国庆节：１０月１日（星期五）至７日放假调休，共７天。",
     "weekday_mismatch", 2),
    (TITLE_2025 + "三、清明节：4月4日（周五）至6日（周日）放假，共4天。", "count_mismatch", None),
    (TITLE_2025 + "二、春节：2月30日上班。", "bad_date", None),
    (TITLE_2025 + "一、元旦：1月4日放假。1月4日（周六）上班。", "conflict", None),
    (TITLE_2025 + "国务院办公厅关于2026年部分节假日安排的通知\n一、元旦：1月1日放假。", "several_years", None),
    (TITLE_2025 + "节假日期间，各地区要妥善安排值班。", "empty", None),
])
def test_malformed_notices_are_refused_with_a_code(text, code, line):
    with pytest.raises(NoticeError) as e:
        parse_notice(text)
    assert e.value.code == code
    if line is not None:
        assert e.value.line == line


def test_row_type():
    row = parse_notice(TITLE_2025 + "一、元旦：1月1日放假。").rows[0]
    assert row == HolidayRow(d("2025-01-01"), REST, "元旦")


# -- generated notices ------------------------------------------------------------------------------
_CN_NUM = "一二三四五六七八九十"
_WD = "一二三四五六日"
_FULL = str.maketrans("0123456789():,", "０１２３４５６７８９（）：，")


@st.composite
def arrangements(draw):
    """A year and up to 7 festivals, each a rest span (1–9 days) and 0–2 working weekend days,
    all disjoint; plus the style choices of the text."""
    year = draw(st.integers(2008, 2040))
    names = draw(st.lists(st.sampled_from(["元旦", "春节", "清明节", "劳动节", "端午节", "中秋节", "国庆节"]),
                          min_size=1, max_size=7, unique=True))
    used: set[dt.date] = set()
    items = []
    for name in names:
        start = dt.date(year, 1, 1) + dt.timedelta(days=draw(st.integers(0, 350)))
        length = draw(st.integers(1, 9))
        span = [start + dt.timedelta(days=i) for i in range(length)]
        span = [x for x in span if x.year == year]
        work = [x for x in (start - dt.timedelta(days=k) for k in range(1, 8)) if x.weekday() >= 5][:draw(
            st.integers(0, 2))]
        work = [x for x in work if x.year == year]
        if used & (set(span) | set(work)) or not span:
            continue
        used |= set(span) | set(work)
        items.append((name, span, work))
    style = draw(st.sampled_from(["周", "星期"]))
    full = draw(st.booleans())
    return year, items, style, full


def render(year, items, style, full) -> str:
    def day(x: dt.date, month: bool = True) -> str:
        return (f"{x.month}月" if month else "") + f"{x.day}日（{style}{_WD[x.weekday()]}）"

    lines = [f"国务院办公厅关于{year}年部分节假日安排的通知", "各省、自治区、直辖市人民政府："]
    for i, (name, span, work) in enumerate(items):
        a, b = span[0], span[-1]
        if a == b:
            text = f"{day(a)}放假1天，不调休。"
        else:
            text = f"{day(a)}至{day(b, b.month != a.month)}放假调休，共{len(span)}天。"
        if work:
            text += "、".join(day(w) for w in sorted(work)) + "上班。"
        lines.append(f"{_CN_NUM[i]}、{name}：{text}")
    lines.append("节假日期间，各地区、各部门要妥善安排好值班和安全、保卫等工作。")
    out = "\n".join(lines)
    return out.translate(_FULL) if full else out


@given(arrangements())
def test_generated_notices_round_trip(arr):
    year, items, style, full = arr
    if not items:
        return
    notice = parse_notice(render(*arr))
    assert notice.year == year
    expected = sorted([(x, REST, name) for name, span, _ in items for x in span]
                      + [(x, WORK, name + "调休上班") for name, _, work in items for x in work])
    assert [(r.date, r.kind, r.note) for r in notice.rows] == expected


def test_lines_broken_inside_a_sentence():
    text = (TITLE_2025 + "二、春节：1月28日（农历除夕、周二）至2月4日（农历正月初七、周二）放假调休，共8天。"
            "1月26日（周日）、\n2月8日（周六）上班。\n四、劳动节：5月1日（周四）至5日（周一）放假调休，共5\n天。4月\n27日（周日）上班。")
    got = rows(text)
    assert ("2025-01-26", WORK, "春节调休上班") in got and ("2025-02-08", WORK, "春节调休上班") in got
    assert ("2025-04-27", WORK, "劳动节调休上班") in got
    assert len(got) == 8 + 2 + 5 + 1


# -- R23: wordings beyond the published notices; never fewer rows than the notice says ------------------
TITLE_2026 = "国务院办公厅关于2026年部分节假日安排的通知\n"
SPRING_2026 = [f"2026-02-{d}" for d in range(15, 24)]       # 2月15日（周日）至23日（周一）, 9 days


@pytest.mark.parametrize("text, rest, work", [
    ("二、春节：1月28日至2月4日放假调休，共8天。1月26日（周日）、2月8日（周六）补班。",
     [f"2025-01-{d}" for d in range(28, 32)] + [f"2025-02-0{d}" for d in range(1, 5)], ["2025-01-26", "2025-02-08"]),
    ("二、春节：1月28日至2月4日放假调休，共8天。1月26日（周日）、2月8日（周六）为工作日。",
     [f"2025-01-{d}" for d in range(28, 32)] + [f"2025-02-0{d}" for d in range(1, 5)], ["2025-01-26", "2025-02-08"]),
    ("一、元旦：1月1日（周三）休息，共1天。", ["2025-01-01"], []),
    ("一、元旦：1月1日（周三）放假，不调休。", ["2025-01-01"], []),
])
def test_other_wordings_of_rest_and_working_days_are_understood(text, rest, work):
    got = rows(TITLE_2025 + text)
    assert sorted(r[0] for r in got if r[1] == REST) == sorted(rest)
    assert sorted(r[0] for r in got if r[1] == WORK) == sorted(work)


def test_a_spring_festival_written_as_休息_keeps_all_nine_days():
    got = rows(TITLE_2026 + "二、春节：2月15日（周日）至23日（周一）休息，共9天。2月14日（周六）、2月28日（周六）上班。")
    assert [r[0] for r in got if r[1] == REST] == SPRING_2026
    assert [r[0] for r in got if r[1] == WORK] == ["2026-02-14", "2026-02-28"]


@pytest.mark.parametrize("text, code, quoted", [
    # a dated clause with a calendar word the parser does not know: refused, the sentence named
    ("二、春节：2月15日至23日放假调休，共9天。2月14日（周六）、2月28日（周六）调班。", "unknown_wording", "2月28日（周六）调班"),
    ("二、春节：2月15日至23日放假调休，共9天。2月14日（周六）值班。", "unknown_wording", "2月14日（周六）值班"),
    ("二、春节：2月15日至23日歇假，共9天。", "unknown_wording", "2月15日至23日歇假"),
    # 共N天 disagreeing with the days the sentence gives (span or single dates), or with none at all
    ("二、春节：2月15日至23日休息，共8天。", "count_mismatch", "2月15日至23日休息"),
    ("一、元旦：1月1日（周四）、1月2日（周五）放假，共3天。", "count_mismatch", "1月1日（周四）、1月2日（周五）放假"),
    ("二、春节：2月15日至23日歇业，共9天。", "count_mismatch", "2月15日至23日歇业"),
])
def test_a_sentence_the_parser_cannot_turn_into_rows_is_refused_by_name(text, code, quoted):
    with pytest.raises(NoticeError) as e:
        parse_notice(TITLE_2026 + text)
    assert e.value.code == code
    assert e.value.line == 2
    assert quoted in str(e.value)
