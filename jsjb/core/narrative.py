"""The words and figures of the 通报 (公文 draft) of a bulletin or an assessment.

Pure: a :class:`~jsjb.core.stats.Report` (the same result the workbooks are written from) plus the
ticket frames in, a :class:`Draft` out — sentences with the figures, the ranking table, the lists of
第十六条, the parameters in force. No figure is computed a second way: counts, rates, scores, ranks and
lists are read from the report; month-on-month figures come from the previous period's report, made
by the same ``stats.report`` (the caller passes it). The only sums here are totals over the report's
own per-enterprise counts (全区 rates), with the denominators of R12–R14.

How the 公文 reads (each rule a reader asked for):
- One number format per kind: every percentage (rates, shares, 环比/同比) with two decimals (96.83%,
  100%), changes of a rate in percentage points with two decimals, scores with two decimals.
- Comparisons only with a period that has data: no 环比/同比, no "上月N件", no rank changes when no
  ticket was dispatched in the period before (the first month or year of a ledger).
- Ties are 并列 (R17 ranks them alike); a sentence names only what it says something about.
- Articles in Chinese numerals (第二十条), as 公文 cite them.
- An enterprise is named in full once, with its 简称 (“以下简称……”), and by the 简称 after that.
- No caller data (R19): a summary of 诉求内容 is scrubbed, then shortened; text that looks like a
  formula (R20: it begins with =, +, -, @) is left out.
- Lists of 第十六条 longer than the attachment can hold in a few pages are summarised per enterprise,
  with "共N件，明细见附件工作簿…" — the workbook carries the rows.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd

from . import schema as S
from .masking import is_formula_like, scrub_text
from .params import BY_CODE, Params, display
from .scoring import MANUAL_ITEMS, full_marks
from .stats import NO_TICKETS_MONTH, NO_TICKETS_YEAR, Report

REGULATION_TITLE = "《鄂尔多斯市东胜区国有资产监督管理委员会“接诉即办”暂行规定》"
REGULATION_NUMBER = "东国资发〔2023〕21号"
REGULATION_SHORT = "《暂行规定》"
APPENDIX = "《“接诉即办”工作考核细则及评价方法》"
NO_DATA = "无数据"
DASH = "—"
SUMMARY_CHARS = 30
BREAK = "\u2063"             # INVISIBLE SEPARATOR: where a table cell or header may break onto its next line
LIST_ROWS_BUDGET = 40        # rows of the 第十六条 lists the attachment shows in full (about three landscape pages)
LIST_ORDER = ("overdue", "on_hold", "exempt", "major", "renminwang", "invalid")
LIST_HEADINGS = {
    "overdue": "超期未办结情况",
    "on_hold": "挂单情况",
    "exempt": "申请不计入考核情况",
    "major": "重大、疑难工单情况",
    "renminwang": "人民网领导留言板工单情况",
    "invalid": "台账数据有误情况",
}
LIST_TITLES = {   # also the sheet names of the lists in the bulletin workbook
    "overdue": "超期未办结工单",
    "on_hold": "挂单工单",
    "exempt": "申请不计入考核工单",
    "major": "重大、疑难工单",
    "renminwang": "人民网领导留言板工单",
    "invalid": "数据有误、未计入三率的工单",
}
HOLD_STATES = ("挂单中", "已结束", "未开始", "未计入")
NO_ENTERPRISE = "未确定承办企业"
NUMERALS = "一二三四五六七八九十"


# -- the document model ------------------------------------------------------------------------------
@dataclass
class Para:
    """A body paragraph: ``kind`` h1 (一、…, 黑体) or body; ``lead`` a level-2 heading (（一）…, 楷体)
    that starts a body paragraph, its text following in the body font."""

    text: str
    kind: str = "body"
    lead: str = ""


@dataclass
class Table:
    """A table of an attachment. Cells and headers are text; :data:`BREAK` marks where one may go
    onto a next line (a header "响应率⁣得分⁣（20分）", an enterprise's name before 有限公司), ``\\n``
    where it always does. Each cell of a column not in ``wrap`` stays on its line(s) as given — the
    writer sizes the column to it; cells of ``wrap`` columns (free text) flow over several lines."""

    headers: list[str]
    rows: list[list[str]]
    wrap: tuple[int, ...] = ()
    left: tuple[int, ...] = ()             # columns aligned left (names, summaries); others centred
    title: str = ""                        # a level-2 heading above the table (楷体)
    intro: str = ""                        # a sentence between the title and the table (alone: no headers)
    notes: list[str] = field(default_factory=list)


@dataclass
class Attachment:
    title: str
    tables: list[Table]
    empty: str = ""                        # shown when there is no table


@dataclass
class Draft:
    kind: str                              # "month" | "year"
    title_words: list[str]                 # the title in the words a line break may fall between
    opening: str
    body: list[Para]
    attachments: list[Attachment]
    annotation: str | None                 # 附注: parameters that differ from their defaults
    summarised: list[str] = field(default_factory=list)    # lists shown per enterprise only (keys)

    @property
    def title(self) -> str:
        return "".join(self.title_words)


# -- number style ------------------------------------------------------------------------------------
def _missing(v) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA


def _percent_number(value: float) -> str:
    text = f"{value:.2f}"
    return "100" if text == "100.00" else "0" if text in ("0.00", "-0.00") else text


def pct(rate) -> str:
    """A rate (fraction) as the 公文 writes it: 96.83%; 100%; 无数据 when there is no denominator."""
    if _missing(rate):
        return NO_DATA
    return _percent_number(float(rate) * 100) + "%"


def points(v) -> str:
    """A score with two decimals (R16), never "-0.00"."""
    return f"{abs(float(v)) if float(v) == 0 else float(v):.2f}"


def change(now: int, before: int, word: str) -> str:
    """环比/同比 of a count, a percentage like every other (two decimals): 环比增加29.37% · 与上月持平.
    Only for a period before that has data (``before`` > 0)."""
    prev = "上月" if word == "环比" else "上年"
    if now == before:
        return f"与{prev}持平"
    if before <= 0:
        raise ValueError("no comparison with an empty period")
    return f"{word}{'增加' if now > before else '减少'}{_percent_number(abs(now - before) / before * 100)}%"


def pp_change(now, before) -> str:
    """Change of a rate in percentage points: 上升1.25个百分点 · 下降… · 持平."""
    if _missing(now) or _missing(before):
        return ""
    diff = round((float(now) - float(before)) * 100, 2)
    if diff == 0:
        return "持平"
    return f"{'上升' if diff > 0 else '下降'}{abs(diff):.2f}个百分点"


def chinese_number(n: int) -> str:
    """1 → 一, 20 → 二十, 16 → 十六, 201 → 二百零一 (0 < n < 10000), as 公文 number articles."""
    if not 0 < n < 10000:
        raise ValueError(n)
    digits = "零一二三四五六七八九"
    units = ("千", "百", "十", "")
    out, zero = "", False
    for k, d in enumerate(f"{n:04d}"):
        d = int(d)
        if d == 0:
            zero = bool(out)
            continue
        if zero:
            out += "零"
            zero = False
        out += digits[d] + units[k]
    return out[1:] if out.startswith("一十") else out


def cite(text: str) -> str:
    """Articles and items cited in Chinese numerals: 第20条 → 第二十条, 第13条(2) → 第十三条第（二）项."""
    text = re.sub(r"第(\d+)条[(（](\d+)[)）]",
                  lambda m: f"第{chinese_number(int(m.group(1)))}条第（{chinese_number(int(m.group(2)))}）项", text)
    return re.sub(r"第(\d+)条", lambda m: f"第{chinese_number(int(m.group(1)))}条", text)


def moment(ts: pd.Timestamp) -> str:
    """2026年1月5日10时（30分）."""
    ts = pd.Timestamp(ts)
    return f"{ts.year}年{ts.month}月{ts.day}日{ts.hour}时" + (f"{ts.minute}分" if ts.minute else "")


def day(ts: pd.Timestamp) -> str:
    ts = pd.Timestamp(ts)
    return f"{ts.year}年{ts.month}月{ts.day}日"


def _iso_day(v) -> str:
    return "" if _missing(v) or pd.isna(v) else pd.Timestamp(v).strftime("%Y-%m-%d")


def _join(items: list[str], sep: str = "、") -> str:
    return sep.join(items)


def _text(v) -> str:
    """A ledger value as cell text (blank for a missing one), without our line-break marks."""
    return "" if _missing(v) or v is None or v is pd.NaT else str(v).replace(BREAK, "")


# -- names --------------------------------------------------------------------------------------------------
class Names:
    """Enterprises as the 公文 names them: in full at the first mention, with the 简称 defined there
    (东胜区公共交通有限责任公司（以下简称“公交公司”）), by the 简称 after it. Call it in the order the
    text reads."""

    def __init__(self, short: Mapping[str, str] | None = None):
        self.short = dict(short or {})
        self.introduced: set[str] = set()

    def __call__(self, name) -> str:
        name = str(name)
        short = self.short.get(name)
        if short is None:
            return name
        if name in self.introduced:
            return short
        self.introduced.add(name)
        return f"{name}（以下简称“{short}”）"

    def known(self, name) -> str:
        """The name a table may use: the 简称 once the text has introduced it, else the full name."""
        name = str(name)
        return self.short[name] if name in self.introduced else name


def name_breaks(name: str) -> str:
    """An enterprise's name with the places it may break marked (:data:`BREAK`): after a leading
    place name (…区, …市, …旗, …县) and before the company form (有限责任公司, 集团有限公司, …)."""
    name = str(name)
    m = re.match(r"^(.{2,4}?[区市旗县])(.+)$", name)
    if m and len(m.group(2)) >= 2:
        name = m.group(1) + BREAK + m.group(2)
    return re.sub(r"(?<=.)(集团有限公司|股份有限公司|有限责任公司|有限公司)$", BREAK + r"\1", name)


# -- figures from the report -------------------------------------------------------------------------
def overall(rep: Report) -> dict[str, float | None]:
    """全区 rates over the report's per-enterprise counts (R12–R14 denominators, R13's parameter)."""
    t = rep.table
    closed, timely = int(t["closed"].sum()), int(t["timely"].sum())
    overdue, not_due = int(t["overdue_open"].sum()), int(t["not_due"].sum()) if "not_due" in t else 0
    visits, satisfied = int(t["visits"].sum()), int(t["satisfied"].sum())
    unresolved = overdue + (not_due if rep.params is not None and rep.params.count_not_due_as_unresolved else 0)
    return {
        "response_rate": timely / closed if closed else None,
        "resolution_rate": closed / (closed + unresolved) if closed + unresolved else None,
        "satisfaction_rate": satisfied / visits if visits else None,
    }


def dispatched(rep: Report) -> int | None:
    """Tickets dispatched in the report's period (returned ones too), or None when unknown."""
    mom = rep.overview.get("环比") if rep.overview else None
    return None if mom is None else int(mom["本期受理"])


def has_data(rep: Report | None) -> bool:
    """Whether a period can be compared with: a ticket was dispatched in it."""
    if rep is None:
        return False
    n = dispatched(rep)
    return (n if n is not None else int(rep.table["received"].sum())) > 0


def _ranked(rep: Report) -> pd.DataFrame:
    return rep.table[rep.table["rank"].notna()]


def _unranked(rep: Report) -> list[str]:
    return [str(n) for n in rep.table.loc[rep.table["rank"].isna(), "enterprise"]]


def _per_enterprise(t: pd.DataFrame, index, order: list[str], name: Names) -> str:
    """"A2件、B1件" for the tickets ``index``, most first, ties in the report's order."""
    names = t.loc[index, S.ENTERPRISE].fillna(NO_ENTERPRISE).astype(str)
    counts = names.value_counts()
    pos = {n: i for i, n in enumerate(order)}
    items = sorted(counts.items(), key=lambda kv: (-kv[1], pos.get(kv[0], len(pos)), kv[0]))
    return _join([f"{name(n) if n != NO_ENTERPRISE else n}{k}件" for n, k in items])


def _status_summary(c: pd.DataFrame, index) -> str:
    counts = c.loc[index, S.STATUS].value_counts()
    return "，".join(f"{s}{int(counts[s])}件" for s in S.STATUSES if s in counts)


def hold_state(t: pd.DataFrame, c: pd.DataFrame, i, as_of: pd.Timestamp) -> str:
    """R6/R17: the state of ticket ``i``'s hold judged at ``as_of``: 未计入 (hold_allowed = 否, or an
    unusable hold), 未开始 (挂单开始 after as_of: the hold has not begun), 挂单中 (begun at or before
    as_of, no 挂单结束 at or before as_of), else 已结束."""
    if any(str(f).startswith("挂单未计入") for f in c.at[i, S.FLAGS]):
        return "未计入"
    start = t.at[i, S.HOLD_START]
    if not _missing(start) and pd.Timestamp(start) > as_of:
        return "未开始"
    if c.at[i, S.STATUS] == S.ST_ON_HOLD:
        return "挂单中"
    return "已结束"


def summary(t: pd.DataFrame, i) -> str:
    """诉求内容 for a list: the ticket's own caller data removed, the rest scrubbed (R19), then
    shortened (scrubbed first, so a cut can never leave a partial number unmasked). Text that looks
    like a formula (R20: it begins with =, +, -, @) says nothing a reader can use: left out (—)."""
    text = t.at[i, S.CONTENT]
    if _missing(text) or text is None:
        return ""
    if is_formula_like(str(text).strip()):
        return DASH
    own = {key: (t.at[i, col] if col in t.columns else None)
           for key, col in (("name", S.CALLER), ("phone", S.PHONE), ("address", S.ADDRESS))}
    text = (scrub_text(str(text), **own) or "").replace("\n", " ").replace(BREAK, "").strip()
    return text if len(text) <= SUMMARY_CHARS else text[: SUMMARY_CHARS - 1] + "…"


# -- body -------------------------------------------------------------------------------------------
def _words(rep: Report) -> dict[str, str]:
    monthly = rep.period.kind == "month"
    return {"this": "本月" if monthly else "本年度", "prev": "上月" if monthly else "上年",
            "mom": "环比" if monthly else "同比", "span": rep.period.title}


def _volumes(rep: Report, previous: Report | None, key: str, label: str) -> str:
    """从来源渠道看，12345热线210件（占71.92%，上月181件）；…  — "上月…" only when the month before has data."""
    now = rep.overview[key]
    before = previous.overview.get(key) if has_data(previous) and previous.overview else None
    total = int(now.sum())
    order = {name: i for i, name in enumerate(now.index)}
    items = sorted(((str(k), int(v)) for k, v in now.items() if int(v) > 0), key=lambda kv: (-kv[1], order[kv[0]]))
    w = _words(rep)
    parts = []
    for name, n in items:
        extra = f"占{pct(n / total)}"
        if before is not None:
            extra += f"，{w['prev']}{int(before.get(name, 0))}件"
        parts.append(f"{name}{n}件（{extra}）")
    if not parts:
        return ""
    return f"从{label}看，" + "；".join(parts) + "。"


def _basic(rep: Report, previous: Report | None) -> list[Para]:
    w = _words(rep)
    mom = rep.overview["环比"]
    now, before = int(mom["本期受理"]), int(mom["上期受理"])
    compare = has_data(previous) and before > 0
    tab = rep.table
    cohort = int(tab["received"].sum())
    active = int((tab["received"] > 0).sum())
    closed, overdue = int(tab["closed"].sum()), int(tab["overdue_open"].sum())
    invalid = int(tab["invalid"].sum())
    pending = cohort - closed - overdue - invalid
    end = rep.period.end - pd.Timedelta(days=1)
    first = f"{w['span']}（{day(rep.period.start)}至{day(end)[5:]}派发的工单，统计截至{moment(rep.as_of)}），"
    if not now:
        return [Para(first + "区国资委未受理“接诉即办”工单。")]
    first += f"区国资委共受理“接诉即办”工单{now}件"
    first += f"，{change(now, before, w['mom'])}（{w['prev']}{before}件）。" if compare else "。"
    parts = [f"{label}{n}件" for label, n in (("退回", int(mom["本期退回"])), ("申请不计入考核", len(rep.lists["exempt"])))
             if n]
    cohort_text = f"纳入考核统计{cohort}件"
    if compare:
        cohort_text += f"（{w['prev']}{int(previous.table['received'].sum())}件）"
    parts.append(cohort_text)
    first += "其中，" + "，".join(parts)
    if not cohort:
        return [Para(first + "。")]
    first += f"，涉及{active}家企业。纳入考核统计的工单中，已办结{closed}件"
    first += f"，超期未办结{overdue}件" if overdue else ""
    first += f"，其余{pending}件正在办理（含挂单、未到期）" if pending else ""
    first += f"，另有{invalid}件数据有误、未计入三率。" if invalid else "。"
    paras = [Para(first)]
    for key, label in (("来源渠道", "来源渠道"), ("诉求类别", "诉求类别"), ("诉求类型", "诉求类型")):
        text = _volumes(rep, previous, key, label)
        if text:
            paras.append(Para(text))
    return paras


RATES = (("response_rate", "响应率"), ("resolution_rate", "解决率"), ("satisfaction_rate", "满意率"))


def _ranking_sentence(ranked: pd.DataFrame, name: Names) -> str:
    """第1名为A，得65.00分；B、C并列第2名，均得63.00分；… (R17: totals that print alike share a rank)."""
    parts = []
    for rank, group in ranked.groupby("rank", sort=False):
        who = [name(n) for n in group["enterprise"]]
        total = points(group["total"].iloc[0])
        if len(who) == 1:
            parts.append(f"第{int(rank)}名为{who[0]}，得{total}分")
        else:
            parts.append(f"{_join(who)}并列第{int(rank)}名，均得{total}分")
    return "；".join(parts)


def _rank_changes(ranked: pd.DataFrame, previous: Report, name: Names, prev_word: str) -> str:
    """与上月相比，排名上升的有…；排名下降的有…；A上月未参加排名；其余企业排名不变。 — each clause only
    when it names someone; "" when the month before had no ranking."""
    before = {e: r for e, r in zip(previous.table["enterprise"], previous.table["rank"])
              if not (_missing(r) or r is None)}
    if not before:
        return ""
    ups, downs, same, new = [], [], [], []
    for e, r in zip(ranked["enterprise"], ranked["rank"]):
        old = before.get(e)
        if old is None:
            new.append(e)
        elif int(old) > int(r):
            ups.append(f"{name(e)}（由第{int(old)}名升至第{int(r)}名）")
        elif int(old) < int(r):
            downs.append(f"{name(e)}（由第{int(old)}名降至第{int(r)}名）")
        else:
            same.append(e)
    parts = []
    if ups:
        parts.append("排名上升的有" + _join(ups))
    if downs:
        parts.append("排名下降的有" + _join(downs))
    if new:
        parts.append(f"{_join([name(e) for e in new])}{prev_word}未参加排名")
    if same:
        parts.append("其余企业排名不变" if parts else f"各企业排名均与{prev_word}相同")
    return f"与{prev_word}相比，" + "；".join(parts) + "。"


def _lowest(ranked: pd.DataFrame, name: Names) -> str:
    """响应率、解决率、满意率均为100%的企业有…。响应率最低的是…（80.65%）… — a lowest only where the
    enterprises differ (with one enterprise, or all alike, nobody is lowest)."""
    full = [e for e, *rates in zip(ranked["enterprise"], *(ranked[k] for k, _ in RATES))
            if all(not _missing(r) and float(r) >= 1 for r in rates)]
    text = "响应率、解决率、满意率均为100%的企业有：" + _join([name(e) for e in full]) + "。" if full else ""
    lows = []
    for key, label in RATES:
        vals = ranked[ranked[key].notna()]
        if len(vals) < 2:
            continue
        low = float(vals[key].min())
        who = list(vals.loc[vals[key] == low, "enterprise"])
        if low < 1 and len(who) < len(vals):
            lows.append(f"{label}最低的是{_join([name(e) for e in who])}（{pct(low)}）")
    if lows:
        text += "，".join(lows) + "。"
    return text


def _rates_and_ranking(rep: Report, previous: Report | None, name: Names, annex: str = "附件1") -> list[Para]:
    w = _words(rep)
    annual = rep.period.kind == "year"
    ranked = _ranked(rep)
    order = list(rep.table["enterprise"].astype(str))
    compare = has_data(previous)
    paras: list[Para] = []
    if not int(rep.table["received"].sum()):
        paras.append(Para(f"{w['this']}无纳入考核统计的工单，不计算三率"
                          + ("，各企业不参加考核。" if annual else "，不排名。")))
    else:
        rates = overall(rep)
        text = "纳入考核统计的工单中，全区" + "、".join(f"{label}{pct(rates[k])}" for k, label in RATES)
        if compare:
            before = overall(previous)
            moves = [(label, pp_change(rates[k], before[k])) for k, label in RATES if pp_change(rates[k], before[k])]
            if moves and all(m == "持平" for _, m in moves):
                text += f"，均与{w['prev']}持平" if len(moves) == 3 else f"，{'、'.join(lb for lb, _ in moves)}与{w['prev']}持平"
            elif moves:
                text += f"，与{w['prev']}相比，" + "，".join(f"{lb}{m}" for lb, m in moves)
        paras.append(Para(text + "。"))

    unranked = _unranked(rep)
    if len(ranked):
        if annual:
            p = rep.params if rep.params is not None else Params()
            head = (f"{len(ranked)}家企业参加{w['span']}考核，考核满分{display(full_marks(p))}分"
                    f"（另有加分最多{display(p.bonus_cap)}分）。")
        else:
            head = f"{w['this']}{len(ranked)}家企业参加排名，总分为响应率、解决率、满意率得分之和减去扣分、加上加分。"
        head += "排名情况：" + _ranking_sentence(ranked, name) + "。"
        if unranked:
            reason = NO_TICKETS_YEAR if annual else f"{NO_TICKETS_MONTH}，不参加排名"
            head += f"{_join([name(e) for e in unranked])}{reason}。"
        paras.append(Para(head))
        if compare:
            moved = _rank_changes(ranked, previous, name, w["prev"])
            if moved:
                paras.append(Para(moved))
        text = _lowest(ranked, name)
        if text:
            paras.append(Para(text))

    if annual:
        missing = [e for e, m in zip(ranked["enterprise"], ranked["manual"]) if _missing(m) or m is None]
        if missing:
            paras.append(Para(f"{_join([name(e) for e in missing])}的考核项目（{_join(list(MANUAL_ITEMS))}）未录入，"
                              "按0分计。"))

    ded = [(e, float(d), int(k or 0)) for e, d, k in
           zip(rep.table["enterprise"], rep.table["deductions"], rep.table.get("late_replies", [0] * len(rep.table)))
           if float(d) > 0]
    bon = [(e, float(b)) for e, b in zip(rep.table["enterprise"], rep.table["bonuses"]) if float(b) > 0]
    ded.sort(key=lambda x: (-x[1], order.index(x[0])))
    bon.sort(key=lambda x: (-x[1], order.index(x[0])))
    if ded:
        text = "扣分情况：" + _join([f"{name(n)}扣{points(v)}分" + (f"（含确认超时自动扣分{k}次）" if k else "")
                                 for n, v, k in ded]) + "。"
    else:
        text = f"扣分情况：{w['this']}无企业扣分。"
    if bon:
        text += "加分情况：" + _join([f"{name(n)}加{points(v)}分" for n, v in bon]) + "。"
    else:
        text += f"加分情况：{w['this']}无企业加分。"
    paras.append(Para(text))
    paras.append(Para(f"各企业考核得分及排名详见{annex}。" if annual else f"各企业三率、得分及排名详见{annex}。"))
    return paras


def _problems(rep: Report, t: pd.DataFrame, c: pd.DataFrame, name: Names) -> list[Para]:
    w = _words(rep)
    order = list(rep.table["enterprise"].astype(str))
    lists = rep.lists
    paras: list[Para] = []
    k = 0

    def add(key: str, text: str) -> None:
        nonlocal k
        paras.append(Para(text, lead=f"（{NUMERALS[k]}）{LIST_HEADINGS[key]}。"))
        k += 1

    def item(key: str, none: str, found) -> None:
        """One 第十六条 list: ``found(idx)`` when it has tickets, else ``none``."""
        idx = lists[key]
        add(key, found(idx) if len(idx) else none)

    def per(idx) -> str:
        return _per_enterprise(t, idx, order, name)

    def counted(values: pd.Series, names) -> str:
        counts = values.value_counts()
        known = [s for s in names if s in counts] + [s for s in counts.index if s not in names]
        return "，".join(f"{s}{int(counts[s])}件" for s in known)

    this = w["this"]
    item("overdue", f"截至统计时点，{this}派发的工单无超期未办结情况。",
         lambda idx: f"截至统计时点，{this}派发的工单中有{len(idx)}件超期未办结：{per(idx)}。"
                     "相关企业要立即办结，并说明超期原因。")
    def states(idx) -> str:
        return counted(pd.Series([hold_state(t, c, i, rep.as_of) for i in idx], dtype=object), HOLD_STATES)

    item("on_hold", f"{this}无挂单工单。", lambda idx: f"{this}挂单工单{len(idx)}件（{states(idx)}）：{per(idx)}。")
    item("exempt", f"{this}无申请不计入考核的工单。",
         lambda idx: f"{this}申请不计入考核的工单{len(idx)}件：{per(idx)}。")
    item("major", f"{this}无重大、疑难工单。",
         lambda idx: f"{this}重大、疑难工单{len(idx)}件（{counted(t.loc[idx, S.MAJOR_DIFFICULT], S.MAJOR)}）："
                     f"{per(idx)}；办理状态：{_status_summary(c, idx)}。")
    item("renminwang", f"{this}无人民网领导留言板工单。",
         lambda idx: f"{this}受理人民网领导留言板工单{len(idx)}件：{per(idx)}；办理状态：{_status_summary(c, idx)}。")

    idx = lists["invalid"]
    if len(idx):
        add("invalid", f"台账中有{len(idx)}件工单数据有误，未计入三率，请核对台账后重新统计。")

    if any(len(lists[key]) for key in LIST_ORDER):
        paras.append(Para("上述工单明细见附件2。"))
    return paras


# -- attachments ----------------------------------------------------------------------------------------
def _head(*lines: str) -> str:
    return BREAK.join(lines)


def ranking_table(rep: Report) -> Table:
    """附件1: every enterprise's figures, in the report's order (ranked first); names in full."""
    p = rep.params if rep.params is not None else Params()
    full = {"response_score": p.response_points, "resolution_score": p.resolution_points,
            "satisfaction_score": p.satisfaction_points}

    def score_head(label: str, key: str) -> str:
        return _head(label, "得分", f"满分{display(full[key])}")

    annual = rep.period.kind == "year"
    if annual:
        headers = ["排名", "承办企业", "受理",
                   *[_head(k[:2], k[2:], f"满分{display(v)}") for k, v in MANUAL_ITEMS.items()],
                   "响应率", score_head("响应率", "response_score"), "解决率", score_head("解决率", "resolution_score"),
                   "满意率", score_head("满意率", "satisfaction_score"), "扣分", "加分", "总分"]
    else:
        headers = ["排名", "承办企业", "受理", "办结", _head("及时", "办结"), _head("超期", "未办结"), "响应率", "解决率",
                   "满意率", score_head("响应率", "response_score"), score_head("解决率", "resolution_score"),
                   score_head("满意率", "satisfaction_score"), "扣分", "加分", "总分"]
    rows = []
    notes = []
    for _, r in rep.table.iterrows():
        ranked = not (_missing(r["rank"]) or r["rank"] is None)
        rank = str(int(r["rank"])) if ranked else DASH
        total = points(r["total"]) if ranked else DASH
        ent = name_breaks(str(r["enterprise"]))
        if annual:
            manual = [DASH if _missing(r.get(k)) or r.get(k) is None else points(r[k]) for k in MANUAL_ITEMS]
            rows.append([rank, ent, str(int(r["received"])), *manual,
                         pct(r["response_rate"]), points(r["response_score"]), pct(r["resolution_rate"]),
                         points(r["resolution_score"]), pct(r["satisfaction_rate"]), points(r["satisfaction_score"]),
                         points(r["deductions"]), points(r["bonuses"]), total])
        else:
            rows.append([rank, ent, str(int(r["received"])), str(int(r["closed"])),
                         str(int(r["timely"])), str(int(r["overdue_open"])), pct(r["response_rate"]),
                         pct(r["resolution_rate"]), pct(r["satisfaction_rate"]), points(r["response_score"]),
                         points(r["resolution_score"]), points(r["satisfaction_score"]), points(r["deductions"]),
                         points(r["bonuses"]), total])
    unranked = _unranked(rep)
    if unranked:
        reason = NO_TICKETS_YEAR if annual else f"{NO_TICKETS_MONTH}，不参加排名"
        notes.append(f"注：{_join(unranked)}{reason}。")
    empty = "计满分" if p.empty_rate_full_marks else "计0分"
    unresolved = "超期未办结+在办未到期" if p.count_not_due_as_unresolved else "超期未办结"
    good = "满意（含基本满意）" if p.basic_satisfied_counts else "满意"
    notes.append(f"说明：响应率=及时办结÷办结，解决率=办结÷（办结+{unresolved}），满意率={good}÷有效回访；"
                 f"比率无数据（分母为0）的{empty}。统计截至{moment(rep.as_of)}。")
    return Table(headers, rows, left=(1,), notes=notes)


def list_table(key: str, t: pd.DataFrame, c: pd.DataFrame, index, as_of: pd.Timestamp,
               name: Names | None = None) -> Table:
    """One list of 第十六条 as a table: no caller data; 诉求内容 scrubbed and shortened (R19), a formula
    left out (R20); holds judged at ``as_of``; enterprises by the 简称 the text has introduced."""
    name = name or Names()
    headers = ["序号", "工单编号", "承办企业", _head("派单", "日期"), _head("来源", "渠道"), _head("诉求", "类别"),
               "诉求摘要", _head("办理", "期限"), "状态"]
    extra = {"on_hold": "挂单情况", "major": _head("重大", "疑难")}.get(key)
    if extra:
        headers.append(extra)
    t_id, t_ent, t_disp = t.loc[index, S.ID], t.loc[index, S.ENTERPRISE], t.loc[index, S.DISPATCHED]
    t_chan, t_cat, c_dead = t.loc[index, S.CHANNEL], t.loc[index, S.CATEGORY], c.loc[index, S.DEADLINE]
    c_stat = c.loc[index, S.STATUS]
    rows = []
    for n, i in enumerate(index, start=1):
        ent = t_ent.at[i]
        row = [str(n), _text(t_id.at[i]), NO_ENTERPRISE if _missing(ent) or ent is None else name.known(ent),
               _iso_day(t_disp.at[i]), _text(t_chan.at[i]), _text(t_cat.at[i]), summary(t, i), _iso_day(c_dead.at[i]),
               _text(c_stat.at[i])]
        if key == "on_hold":
            start, end = _iso_day(t.at[i, S.HOLD_START]), _iso_day(t.at[i, S.HOLD_END])
            row.append("\n".join([hold_state(t, c, i, as_of), f"{start}起", *([f"至{end}"] if end else [])]))
        elif key == "major":
            row.append(_text(t.at[i, S.MAJOR_DIFFICULT]))
        rows.append(row)
    return Table(headers, rows, wrap=(6,), left=(2, 6), title=f"{LIST_TITLES[key]}（{len(rows)}件）")


def list_summary(key: str, t: pd.DataFrame, index, order: list[str], name: Names, book: str | None) -> Table:
    """A list too long for the 公文, summarised in a sentence: how many, per enterprise, and where the
    rows are (the workbook)."""
    names = t.loc[index, S.ENTERPRISE].astype(object).where(t.loc[index, S.ENTERPRISE].notna(), NO_ENTERPRISE)
    counts = names.astype(str).value_counts()
    pos = {n: i for i, n in enumerate(order)}
    items = sorted(counts.items(), key=lambda kv: (-kv[1], pos.get(kv[0], len(pos)), kv[0]))
    per = _join([f"{name.known(n) if n != NO_ENTERPRISE else n}{int(v)}件" for n, v in items])
    where = f"附件工作簿“{book}”中的“{LIST_TITLES[key]}”工作表" if book else "附件工作簿"
    return Table([], [], title=f"{LIST_TITLES[key]}（{len(index)}件）",
                 intro=f"共{len(index)}件（{per}），明细见{where}。")


def _attachments(rep: Report, t: pd.DataFrame, c: pd.DataFrame, name: Names,
                 book: str | None) -> tuple[list[Attachment], list[str]]:
    """附件1 (the ranking) and 附件2 (the lists of 第十六条): lists in full while their rows stay within
    :data:`LIST_ROWS_BUDGET` (shortest first), the others per enterprise. Returns the attachments and
    the keys of the summarised lists."""
    span = rep.period.title
    if rep.period.kind == "year":
        first = Attachment(f"各企业{span}“接诉即办”工作考核结果", [ranking_table(rep)])
    else:
        first = Attachment(f"各企业{span}三率、得分及排名情况", [ranking_table(rep)])
    present = [k for k in LIST_ORDER if len(rep.lists[k])]
    full, used = set(), 0
    for key in sorted(present, key=lambda k: (len(rep.lists[k]), LIST_ORDER.index(k))):
        if used + len(rep.lists[key]) <= LIST_ROWS_BUDGET:
            full.add(key)
            used += len(rep.lists[key])
    order = list(rep.table["enterprise"].astype(str))
    tables = []
    for key in present:
        idx = rep.lists[key]
        table = (list_table(key, t, c, idx, rep.as_of, name) if key in full
                 else list_summary(key, t, idx, order, name, book))
        table.title = f"（{NUMERALS[len(tables)]}）{table.title}"
        tables.append(table)
    out = [first]
    if tables:
        out.append(Attachment(f"区属国有企业{span}专项工单清单", tables))
    return out, [k for k in present if k not in full]


def annotation(rep: Report) -> str | None:
    """附注: the parameters in force that differ from their defaults (none: no 附注)."""
    changed = rep.params.changed() if rep.params is not None else {}
    if not changed:
        return None
    items = [f"{BY_CODE[k].description}：{display(v)}（默认{display(BY_CODE[k].default)}，依据{cite(BY_CODE[k].article)}）"
             for k, v in changed.items()]
    return "本通报统计采用的参数与默认值不同：" + "；".join(items) + "。"


# -- the whole draft ------------------------------------------------------------------------------------
def draft(rep: Report, t: pd.DataFrame, c: pd.DataFrame, previous: Report | None = None, *,
          short_names: Mapping[str, str] | None = None, detail_book: str | None = None) -> Draft:
    """The 通报 of a bulletin (month) or an assessment (year). ``previous``: the report of the
    period before, made by the same ``stats.report`` (month-on-month / year-on-year figures, used
    only when that period has data); ``short_names``: 企业名称 → 简称 (:func:`enterprises.short_names`);
    ``detail_book``: the workbook that carries the rows of a list the draft summarises."""
    annual = rep.period.kind == "year"
    span = rep.period.title
    name = Names(short_names)
    regulation = f"{REGULATION_TITLE}（{REGULATION_NUMBER}，以下简称{REGULATION_SHORT}）"
    if annual:
        words = ["关于", span, "区属国有企业", "“接诉即办”工作", "考核结果的通报"]
        opening = (f"根据{regulation}{cite('第22条')}及附表{APPENDIX}，区国资委对各区属国有企业{span}“接诉即办”"
                   "工作进行了考核。现将考核结果通报如下。")
        second = "二、考核结果及排名"
    else:
        words = ["关于", span, "区属国有企业", "“接诉即办”", "工作情况的通报"]
        opening = f"根据{regulation}{cite('第16条')}、{cite('第22条')}，现将{span}区属国有企业“接诉即办”工作情况通报如下。"
        second = "二、三率情况及排名"
    # a single attachment has no number (GB/T 9704); the lists of 第十六条, when any, are the second
    annex = "附件1" if any(len(rep.lists[k]) for k in LIST_ORDER) else "附件"
    body = [Para("一、基本情况", "h1"), *_basic(rep, previous),
            Para(second, "h1"), *_rates_and_ranking(rep, previous, name, annex),
            Para("三、存在问题", "h1"), *_problems(rep, t, c, name)]
    attachments, summarised = _attachments(rep, t, c, name, detail_book)       # after the body: names in full once
    return Draft(rep.period.kind, words, opening, body, attachments, annotation(rep), summarised)
