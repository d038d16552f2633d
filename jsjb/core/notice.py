"""R23: the State Council's annual holiday notice (国务院办公厅关于YYYY年部分节假日安排的通知),
as published, → rows for the ledger's 节假日 sheet (日期, 类型, 说明).

Pure text processing; no file or workbook access.

What the parser understands (every shape seen in the notices 2008–2026):

- full-width or half-width digits and punctuation (the text is NFKC-normalised first);
- items numbered 一、二、… whose heading names one or more festivals (``国庆节、中秋节``, with or
  without a colon, ``“五一”国际劳动节``), also unnumbered ``元旦：…`` lines;
- dates ``M月D日`` with an optional ``YYYY年`` and an optional annotation ``（周三）``,
  ``（星期日）``, ``（农历除夕、周二）``; a date without a month takes the previous date's month
  (``5月1日至5日``), one without a year the year written for that month earlier in the same item,
  else the notice's year; a span may cross months or years (``5月31日至6月2日``);
- a clause with ``放假``, ``补休``, ``休息`` or a bare ``调休`` makes every day of its spans and each of
  its single dates a rest day (休息日); a clause with ``上班``, ``补班`` or ``工作日`` makes its dates
  working days (工作日) — ``照常/正常上班`` is not a 调休 day; clauses that only explain
  (``为法定节假日``, ``为公休日``, ``公休日调至…``, ``照常公休``) add nothing; a sentence with ``鼓励``
  (``鼓励…安排职工在除夕（2月9日）休息``) is not a holiday;
- ``延长YYYY年春节假期至M月D日`` (2020) extends that festival's span to the date;
- a notice without numbered items (the 2015 commemoration notice) takes the festival from its title;
- several notices of one year in one text (2015, 2019 amendment, 2020 extension), and lines broken
  inside a sentence (copied from a PDF) — such lines are joined until the sentence ends.

Checks (each a :class:`NoticeError` with a ``code``, the line number and the line's text):
the weekday written must be the date's weekday; ``共N天`` must equal the rest days its sentence
gives; a clause that dates a day with holiday words (休, 班, 假, 工作日) the parser does not know is
refused naming its sentence (``unknown_wording``) — wrong rows shift every deadline of the year,
so never fewer rows than the notice says; the year must be
written (``关于2027年…`` / ``现将2027年…``); festival names must be known; no date may be both a
rest day and a working day.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field

from .calendar import REST, WORK
from .errors import NoticeError

ANTI_FASCIST = "中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日"
FESTIVALS = ("元旦", "春节", "清明节", "劳动节", "端午节", "中秋节", "国庆节", ANTI_FASCIST)
_ALIASES = {
    "新年": "元旦", "元旦节": "元旦", "春节假期": "春节", "清明": "清明节", "五一": "劳动节",
    "国际劳动节": "劳动节", "五一国际劳动节": "劳动节", "五一劳动节": "劳动节", "劳动": "劳动节",
    "端午": "端午节", "中秋": "中秋节", "十一": "国庆节", "国庆": "国庆节",
}
_WEEKDAYS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}
_WEEKDAY_NAMES = "一二三四五六日"

_DATE = re.compile(r"(?:(\d{4})\s*年\s*)?(?:(\d{1,2})\s*月\s*)?(\d{1,2})\s*日(?:\s*\(([^()]*)\))?")
_ITEM = re.compile(r"^[\s—\-·•*]*(?:([一二三四五六七八九十]{1,3})\s*[、.]\s*)?(.*)$")
_SPAN = re.compile(r"\x01(\d+)\x02\s*(?:至|到|—|–|-|~)\s*\x01(\d+)\x02")
_MARK = re.compile(r"\x01(\d+)\x02")
_WEEKDAY_IN = re.compile(r"(?:星期|礼拜|周)([一二三四五六日天])")
_YEAR_PATTERNS = (re.compile(r"关于\s*(\d{4})\s*年"), re.compile(r"现将\s*(\d{4})\s*年"),
                  re.compile(r"延长\s*(\d{4})\s*年"))
_MAX_SPAN = 31


@dataclass(frozen=True)
class HolidayRow:
    """One row for the 节假日 sheet."""

    date: dt.date
    kind: str          # 休息日 / 工作日
    note: str

    def as_dict(self) -> dict:
        return {"date": self.date.isoformat(), "type": self.kind, "note": self.note}


@dataclass
class Notice:
    """A parsed notice: its year and one row per date, in date order."""

    year: int
    rows: list[HolidayRow] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"year": self.year, "rows": [r.as_dict() for r in self.rows]}

    def overrides(self) -> list:
        """The rows as :class:`jsjb.core.calendar.Override` (what the 节假日 sheet becomes)."""
        from .calendar import Override

        return [Override(r.date, r.kind, r.note) for r in self.rows]


def canonical_festival(name: str) -> str | None:
    """A festival name as written (``“五一”国际劳动节``) → its canonical name, or None."""
    n = re.sub(r"[\s“”\"'‘’《》〈〉<>「」]", "", name)
    if n in FESTIVALS:
        return n
    if "抗日战争" in n and "纪念日" in n:
        return ANTI_FASCIST
    return _ALIASES.get(n)


def _festivals_in(text: str) -> list[str]:
    """Known festival names mentioned anywhere in ``text``, in order of first mention."""
    found = []
    if "抗日战争" in text and "纪念日" in text:
        found.append((text.index("抗日战争"), ANTI_FASCIST))
    for name in FESTIVALS[:-1]:
        short = name.rstrip("节") if name.endswith("节") and name != "春节" else name
        pos = text.find(short)
        if pos >= 0:
            found.append((pos, name))
    return [n for _, n in sorted(found)]


def _is_title(line: str) -> bool:
    return "关于" in line and ("通知" in line or re.search(r"关于\s*\d{4}\s*年\s*$", line) is not None)


@dataclass
class _Item:
    """One numbered item (or one unnumbered section) and the state its dates share."""

    names: list[str] | None          # canonical festivals; None → unknown (see bad_name)
    line: int
    text: str
    bad_name: str = ""
    last_month: int | None = None
    year_of_month: dict[int, int] = field(default_factory=dict)


def _notice_year(lines: list[str]) -> int:
    for pattern in _YEAR_PATTERNS:
        years = []
        for line in lines:
            years += [int(y) for y in pattern.findall(line)]
        if years:
            distinct = sorted(set(years))
            if len(distinct) > 1 and pattern is _YEAR_PATTERNS[0]:
                raise NoticeError("several_years",
                                  f"文本中含有多个年份的通知（{'、'.join(map(str, distinct))}年），"
                                  f"请每次只导入一个年度的通知。")
            return years[0]
    raise NoticeError("missing_year",
                      "找不到通知所属的年份。请连同标题（如“国务院办公厅关于2027年部分节假日安排的通知”）"
                      "一起粘贴通知全文。")


def _heading(rest: str, numbered: bool) -> tuple[list[str] | None, str] | None:
    """The festival names of an item heading, or None when the line is no heading.

    Returns (names or None if a name is unknown, the unknown name)."""
    colon = re.match(r"([^\d:]{1,60}?)\s*:", rest)
    if colon:
        label = colon.group(1)
    elif numbered:
        label = re.match(r"[^\d]*", rest).group(0)
    else:
        return None
    if "延长" in label:
        names = _festivals_in(rest)
        return (names, "") if names else (None, label)
    parts = [p for p in re.split(r"[、,和及与]", label) if p.strip()]
    if not parts:
        return ([], "") if numbered else None
    names = [canonical_festival(p) for p in parts]
    if all(names):
        return names, ""
    if not numbered:
        return None            # e.g. the addressees line "各省、自治区、…:"
    return None, next(p for p, n in zip(parts, names) if n is None).strip()


def parse_notice(text: str) -> Notice:
    """The notice's text → :class:`Notice` (raises :class:`NoticeError`, quoting the line as
    written)."""
    raw = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    try:
        return _parse([unicodedata.normalize("NFKC", line) for line in raw])
    except NoticeError as e:
        if e.line and 0 < e.line <= len(raw):
            raise NoticeError(e.code, e.reason, e.line, raw[e.line - 1]) from None
        raise


def _parse(lines: list[str]) -> Notice:
    year = _notice_year(lines)

    # sections (from one title line to the next) and their items
    sections: list[dict] = [{"title": "", "items": [], "loose": []}]
    current: _Item | None = None
    for no, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        if _is_title(line):
            sections.append({"title": line, "items": [], "loose": []})
            current = None
            continue
        m = _ITEM.match(line)
        numbered, rest = m.group(1) is not None, m.group(2)
        head = _heading(rest, numbered)
        if head is not None:
            names, bad = head
            current = _Item(names, no, line, bad)
            sections[-1]["items"].append((current, [(no, line)]))
        elif current is not None:
            sections[-1]["items"][-1][1].append((no, line))
        else:
            sections[-1]["loose"].append((no, line))

    rows: dict[dt.date, HolidayRow] = {}
    where: dict[dt.date, tuple[int, str]] = {}
    extensions: list[tuple[list[str], dt.date, int, str]] = []

    def add(day: dt.date, kind: str, note: str, no: int, line: str) -> None:
        old = rows.get(day)
        if old is not None and old.kind != kind:
            raise NoticeError("conflict", f"{day.month}月{day.day}日既是放假日又是上班日，请核对通知原文。",
                              no, line)
        if old is None:
            rows[day] = HolidayRow(day, kind, note)
            where[day] = (no, line)

    for sec in sections:
        if sec["items"]:
            units = sec["items"]
        elif sec["loose"]:
            names = _festivals_in(sec["title"])
            units = [(_Item(names or [], sec["loose"][0][0], sec["loose"][0][1]), sec["loose"])]
        else:
            continue
        for item, item_lines in units:
            for no, line in _paragraphs(item_lines):
                _parse_line(line, no, item, year, add, extensions)

    for names, end, no, line in extensions:
        note = "、".join(names)
        base = [d for d, r in rows.items() if r.kind == REST and r.note == note]
        if not base:
            raise NoticeError("extension_without_base",
                              f"通知延长{note}假期，但文本中没有{note}原来的放假安排。"
                              f"请把原年度通知和延长假期的通知一起粘贴。", no, line)
        day = max(base) + dt.timedelta(days=1)
        while day <= end:
            rows[day] = HolidayRow(day, REST, f"{note}（延长假期）")
            day += dt.timedelta(days=1)

    if not rows:
        raise NoticeError("empty", "没有找到任何“放假”或“上班”的日期。请粘贴通知全文。")
    return Notice(year, [rows[d] for d in sorted(rows)])


def _paragraphs(lines: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """Join lines broken inside a sentence (text copied from a PDF or a narrow page) until a
    sentence ends; each paragraph keeps the number of its first line."""
    out: list[tuple[int, str]] = []
    start, buf = None, ""
    for no, line in lines:
        start = no if start is None else start
        buf += line.strip()
        if re.search(r"[。;!?]$", buf):
            out.append((start, buf))
            start, buf = None, ""
    if buf:
        out.append((start, buf))
    return out


def _parse_line(line: str, no: int, item: _Item, year: int, add, extensions: list) -> None:
    dates: list[dt.date] = []
    explicit_year: list[bool] = []

    def mark(m: re.Match) -> str:
        y, mo, d, note = m.group(1), m.group(2), m.group(3), m.group(4)
        if mo is not None:
            month = int(mo)
        elif item.last_month is not None:
            month = item.last_month
        else:
            raise NoticeError("bad_date", f"日期“{m.group(0)}”缺少月份。", no, line)
        if y is not None:
            item.year_of_month[month] = int(y)
        yy = int(y) if y is not None else item.year_of_month.get(month, year)
        try:
            day = dt.date(yy, month, int(d))
        except ValueError:
            raise NoticeError("bad_date", f"日期“{m.group(0)}”不存在。", no, line) from None
        item.last_month = month
        if note:
            w = _WEEKDAY_IN.search(note)
            if w and _WEEKDAYS[w.group(1)] != day.weekday():
                raise NoticeError(
                    "weekday_mismatch",
                    f"{day.year}年{day.month}月{day.day}日是星期{_WEEKDAY_NAMES[day.weekday()]}，"
                    f"通知中写的却是“{w.group(0)}”。请核对日期和星期。", no, line)
        dates.append(day)
        explicit_year.append(y is not None)
        return f"\x01{len(dates) - 1}\x02"

    written: list[str] = []
    marked = _DATE.sub(lambda m: (written.append(m.group(0)), mark(m))[1], line)
    if not dates:
        return

    def as_written(text: str) -> str:
        return _MARK.sub(lambda m: written[int(m.group(1))], text).strip()

    for sentence in re.split(r"[。;!?]", marked):
        if "鼓励" in sentence or not _MARK.search(sentence):
            continue
        rest_days: set[dt.date] = set()
        for clause in re.split(r"[,:]", sentence):
            idx = [int(k) for k in _MARK.findall(clause)]
            if not idx:
                continue
            kind = _kind_of(clause)
            if kind is None:
                if _HOLIDAY_WORDS.search(clause) and not _EXPLAINS.search(clause):
                    raise NoticeError("unknown_wording",
                                      f"无法识别“{as_written(clause)}”（所在句：“{as_written(sentence)}”）是放假还是上班。"
                                      "请把这句改写成“…放假”或“…上班”后重试，或手工录入这些日期。", no, line)
                continue
            names = _names_for(item, sentence, no, line)
            note = "、".join(names)
            if kind == "extend":
                extensions.append((names, dates[idx[-1]], no, line))
                continue
            if kind == WORK:
                for k in idx:
                    add(dates[k], WORK, f"{note}调休上班", no, line)
                continue
            in_span = set()
            for a, b in ((int(x), int(y)) for x, y in _SPAN.findall(clause)):
                start, end = dates[a], dates[b]
                if end < start and not explicit_year[a]:
                    start = start.replace(year=start.year - 1)
                if end < start or (end - start).days >= _MAX_SPAN:
                    raise NoticeError("bad_span", f"放假起止日期“{start.isoformat()}至{end.isoformat()}”不合理。",
                                      no, line)
                day = start
                while day <= end:
                    add(day, REST, note, no, line)
                    rest_days.add(day)
                    day += dt.timedelta(days=1)
                in_span |= {a, b}
            for k in idx:
                if k not in in_span:
                    add(dates[k], REST, note, no, line)
                    rest_days.add(dates[k])
        total = re.search(r"共\s*(\d+)\s*天", sentence)
        if total and len(rest_days) != int(total.group(1)):
            given = (f"放假日期{_span_text(sorted(rest_days))}共{len(rest_days)}天" if rest_days
                     else "这句中没有能识别的放假日期")
            raise NoticeError("count_mismatch",
                              f"{given}，通知中写的却是共{total.group(1)}天（所在句：“{as_written(sentence)}”）。",
                              no, line)


def _span_text(days: list[dt.date]) -> str:
    first, last = days[0], days[-1]
    if (last - first).days + 1 == len(days):
        return f"{first.month}月{first.day}日至{last.month}月{last.day}日" if len(days) > 1 else f"{first.month}月{first.day}日"
    return "、".join(f"{d.month}月{d.day}日" for d in days)


# words that make a dated clause about the calendar; a clause with one of them that is neither
# understood (_kind_of) nor only an explanation (_EXPLAINS) is refused (R23: never fewer rows)
_HOLIDAY_WORDS = re.compile(r"休|班|假|工作日")
_EXPLAINS = re.compile(r"法定节假日|为公休日|公休日.*调至|照常(公休|休息)|(照常|正常|起)\s*上班|不放假|不调休")


def _kind_of(clause: str) -> str | None:
    if "延长" in clause and "至" in clause:
        return "extend"
    if re.search(r"上班|补班|工作日", clause) and not re.search(r"(照常|正常|起)\s*上班", clause):
        return WORK
    if ("放假" in clause and "不放假" not in clause) or "补休" in clause or (
            "休息" in clause and "照常休息" not in clause) or re.search(r"(?<!不)调休(?!日)", clause):
        return REST
    return None


def _names_for(item: _Item, sentence: str, no: int, line: str) -> list[str]:
    if item.names is None:
        raise NoticeError("unknown_festival",
                          f"未知的节日名称“{item.bad_name}”，应为{'、'.join(FESTIVALS[:-1])}之一。",
                          item.line, item.text)
    if item.names:
        return item.names
    names = _festivals_in(sentence)
    if names:
        return names
    raise NoticeError("no_festival", "无法判断这些日期属于哪个节日：请保留通知的标题和各项的节日名称。",
                      no, line)
