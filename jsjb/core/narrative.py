"""The words and figures of the 通报 (公文 draft) of a bulletin or an assessment.

Pure: a :class:`~jsjb.core.stats.Report` (the same result the workbooks are written from) plus the
ticket frames in, a :class:`Draft` out — sentences with the figures, the ranking table, the lists of
第16条, the parameters in force. No figure is computed a second way: counts, rates, scores, ranks and
lists are read from the report; month-on-month figures come from the previous period's report, made
by the same ``stats.report`` (the caller passes it). The only sums here are totals over the report's
own per-enterprise counts (全区 rates), with the denominators of R12–R14.

Style of the 公文: Arabic numerals, rates with two decimals (96.83%), scores with two decimals,
enterprises by full name, no caller data (R19: no name, phone or address; the summary of 诉求内容 is
scrubbed, then shortened).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd

from . import schema as S
from .masking import scrub_text
from .params import BY_CODE, Params, display
from .scoring import MANUAL_ITEMS, full_marks
from .stats import Report

REGULATION = "《鄂尔多斯市东胜区国有资产监督管理委员会“接诉即办”暂行规定》（东国资发〔2023〕21号）"
NO_DATA = "无数据"
DASH = "—"
SUMMARY_CHARS = 30
LIST_ORDER = ("overdue", "on_hold", "exempt", "major", "renminwang", "invalid")
LIST_HEADINGS = {
    "overdue": "超期未办结情况",
    "on_hold": "挂单情况",
    "exempt": "申请不计入考核情况",
    "major": "重大、疑难工单情况",
    "renminwang": "人民网领导留言板工单情况",
    "invalid": "台账数据有误情况",
}
LIST_TITLES = {
    "overdue": "超期未办结工单",
    "on_hold": "挂单工单",
    "exempt": "申请不计入考核工单",
    "major": "重大、疑难工单",
    "renminwang": "人民网领导留言板工单",
    "invalid": "数据有误、未计入三率的工单",
}
NO_ENTERPRISE = "未确定承办企业"


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
    headers: list[str]
    rows: list[list[str]]
    widths: list[float]                    # relative column widths
    left: tuple[int, ...] = ()             # columns aligned left (names, summaries); others centred
    title: str = ""                        # a level-2 heading above the table (楷体)
    notes: list[str] = field(default_factory=list)


@dataclass
class Attachment:
    title: str
    tables: list[Table]
    empty: str = ""                        # shown when there is no table


@dataclass
class Draft:
    kind: str                              # "month" | "year"
    title: str
    opening: str
    body: list[Para]
    attachments: list[Attachment]
    annotation: str | None                 # 附注: parameters that differ from their defaults


# -- number style ------------------------------------------------------------------------------------
def _missing(v) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA


def pct(rate) -> str:
    """A rate (fraction) as the 公文 writes it: 96.83%; 100%; 无数据 when there is no denominator."""
    if _missing(rate):
        return NO_DATA
    text = f"{float(rate) * 100:.2f}"
    return ("100" if text == "100.00" else "0" if text == "0.00" else text) + "%"


def points(v) -> str:
    """A score with two decimals (R16), never "-0.00"."""
    return f"{abs(float(v)) if float(v) == 0 else float(v):.2f}"


def change(now: int, before: int, word: str) -> str:
    """环比/同比 of a count: 环比增加29.4% · 环比减少3.1% · 与上月持平 · 上月为0."""
    prev = "上月" if word == "环比" else "上年"
    if now == before:
        return f"与{prev}持平"
    if before == 0:
        return f"{prev}为0"
    return f"{word}{'增加' if now > before else '减少'}{abs(now - before) / before * 100:.1f}%"


def pp_change(now, before) -> str:
    """Change of a rate in percentage points: 上升1.25个百分点 · 下降… · 持平."""
    if _missing(now) or _missing(before):
        return ""
    diff = round((float(now) - float(before)) * 100, 2)
    if diff == 0:
        return "持平"
    return f"{'上升' if diff > 0 else '下降'}{abs(diff):.2f}个百分点"


def moment(ts: pd.Timestamp) -> str:
    """2026年1月5日10时（30分）."""
    ts = pd.Timestamp(ts)
    return f"{ts.year}年{ts.month}月{ts.day}日{ts.hour}时" + (f"{ts.minute}分" if ts.minute else "")


def day(ts: pd.Timestamp) -> str:
    ts = pd.Timestamp(ts)
    return f"{ts.year}年{ts.month}月{ts.day}日"


def _iso_minute(v) -> str:
    return "" if _missing(v) or v is pd.NaT or pd.isna(v) else pd.Timestamp(v).strftime("%Y-%m-%d %H:%M")


def _iso_day(v) -> str:
    return "" if _missing(v) or pd.isna(v) else pd.Timestamp(v).strftime("%Y-%m-%d")


def _join(items: list[str], sep: str = "、") -> str:
    return sep.join(items)


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


def _ranked(rep: Report) -> pd.DataFrame:
    return rep.table[rep.table["rank"].notna()]


def _unranked(rep: Report) -> list[str]:
    return [str(n) for n in rep.table.loc[rep.table["rank"].isna(), "enterprise"]]


def _per_enterprise(t: pd.DataFrame, index, order: list[str]) -> str:
    """"A 2件、B 1件" for the tickets ``index``, most first, ties in the report's order."""
    names = t.loc[index, S.ENTERPRISE].fillna(NO_ENTERPRISE).astype(str)
    counts = names.value_counts()
    pos = {n: i for i, n in enumerate(order)}
    items = sorted(counts.items(), key=lambda kv: (-kv[1], pos.get(kv[0], len(pos)), kv[0]))
    return _join([f"{n}{k}件" for n, k in items])


def _status_summary(c: pd.DataFrame, index) -> str:
    counts = c.loc[index, S.STATUS].value_counts()
    return "，".join(f"{s}{int(counts[s])}件" for s in S.STATUSES if s in counts)


HOLD_STATES = ("挂单中", "已结束", "未开始", "未计入")


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
    shortened (scrubbed first, so a cut can never leave a partial number unmasked)."""
    text = t.at[i, S.CONTENT]
    if _missing(text) or text is None:
        return ""
    own = {key: (t.at[i, col] if col in t.columns else None)
           for key, col in (("name", S.CALLER), ("phone", S.PHONE), ("address", S.ADDRESS))}
    text = (scrub_text(str(text), **own) or "").replace("\n", " ").strip()
    return text if len(text) <= SUMMARY_CHARS else text[: SUMMARY_CHARS - 1] + "…"


# -- body -------------------------------------------------------------------------------------------
def _words(rep: Report) -> dict[str, str]:
    monthly = rep.period.kind == "month"
    return {"this": "本月" if monthly else "本年度", "prev": "上月" if monthly else "上年",
            "mom": "环比" if monthly else "同比", "span": rep.period.title}


def _volumes(rep: Report, previous: Report | None, key: str, label: str) -> str:
    now = rep.overview[key]
    before = previous.overview.get(key) if previous is not None else None
    total = int(now.sum())
    order = {name: i for i, name in enumerate(now.index)}
    items = sorted(((str(k), int(v)) for k, v in now.items() if int(v) > 0), key=lambda kv: (-kv[1], order[kv[0]]))
    w = _words(rep)
    parts = []
    for name, n in items:
        extra = f"占{n / total * 100:.2f}%" if total else ""
        if before is not None:
            extra += f"，{w['prev']}{int(before.get(name, 0))}件"
        parts.append(f"{name}{n}件（{extra}）")
    if not parts:
        return ""
    return f"从{label}看，" + "；".join(parts) + "。"


def _basic(rep: Report, previous: Report | None, c: pd.DataFrame) -> list[Para]:
    w = _words(rep)
    mom = rep.overview["环比"]
    now, before = int(mom["本期受理"]), int(mom["上期受理"])
    tab = rep.table
    cohort = int(tab["received"].sum())
    active = int((tab["received"] > 0).sum())
    closed, overdue = int(tab["closed"].sum()), int(tab["overdue_open"].sum())
    invalid = int(tab["invalid"].sum())
    pending = cohort - closed - overdue - invalid
    end = rep.period.end - pd.Timedelta(days=1)
    first = (f"{w['span']}（{day(rep.period.start)}至{day(end)[5:]}派发的工单，统计截至{moment(rep.as_of)}），"
             f"区国资委共受理“接诉即办”工单{now}件")
    first += f"，{change(now, before, w['mom'])}（{w['prev']}{before}件）。" if before else "。"
    first += (f"其中，退回{int(mom['本期退回'])}件，申请不计入考核{len(rep.lists['exempt'])}件，"
             f"纳入考核统计{cohort}件")
    if previous is not None:
        first += f"（{w['prev']}{int(previous.table['received'].sum())}件）"
    first += f"，涉及{active}家企业。纳入考核统计的工单中，已办结{closed}件，超期未办结{overdue}件"
    first += f"，其余{pending}件正在办理（含挂单、未到期）" if pending else ""
    first += f"，另有{invalid}件数据有误、未计入三率。" if invalid else "。"
    paras = [Para(first)]
    for key, label in (("来源渠道", "来源渠道"), ("诉求类别", "诉求类别"), ("诉求类型", "诉求类型")):
        text = _volumes(rep, previous, key, label)
        if text:
            paras.append(Para(text))
    return paras


def _rates_and_ranking(rep: Report, previous: Report | None) -> list[Para]:
    w = _words(rep)
    annual = rep.period.kind == "year"
    ranked = _ranked(rep)
    names = list(rep.table["enterprise"].astype(str))
    paras: list[Para] = []
    rates = overall(rep)
    text = (f"纳入考核统计的工单中，全区响应率{pct(rates['response_rate'])}、解决率{pct(rates['resolution_rate'])}、"
            f"满意率{pct(rates['satisfaction_rate'])}")
    if previous is not None:
        before = overall(previous)
        moves = [f"{label}{pp_change(rates[k], before[k])}" for k, label in
                 (("response_rate", "响应率"), ("resolution_rate", "解决率"), ("satisfaction_rate", "满意率"))
                 if pp_change(rates[k], before[k])]
        if moves:
            text += f"，与{w['prev']}相比，" + "，".join(moves)
    paras.append(Para(text + "。"))

    unranked = _unranked(rep)
    if annual:
        head = f"{len(ranked)}家企业参加{w['span']}考核"
        if unranked:
            head += f"，{_join(unranked)}本年度无接诉即办工作，不参加考核"
        p = rep.params if rep.params is not None else Params()
        head += f"。考核满分{display(full_marks(p))}分（另有加分最多{display(p.bonus_cap)}分）"
    else:
        head = f"{w['this']}{len(ranked)}家企业参加排名"
        if unranked:
            head += f"，{_join(unranked)}本月无工单，不参加排名"
        head += "。总分为响应率、解决率、满意率得分之和减去扣分、加上加分"
    order = [f"第{int(r['rank'])}名{r['enterprise']}（{points(r['total'])}分）" for _, r in ranked.iterrows()]
    if order:
        head += "，排名依次为：" + "，".join(order) + "。"
    else:
        head += "。"
    paras.append(Para(head))

    if previous is not None and len(ranked):
        before = dict(zip(previous.table["enterprise"], previous.table["rank"]))
        ups, downs = [], []
        for _, r in ranked.iterrows():
            old = before.get(r["enterprise"])
            if _missing(old) or old is None:
                continue
            diff = int(old) - int(r["rank"])
            if diff > 0:
                ups.append(f"{r['enterprise']}（由第{int(old)}名升至第{int(r['rank'])}名）")
            elif diff < 0:
                downs.append(f"{r['enterprise']}（由第{int(old)}名降至第{int(r['rank'])}名）")
        if ups or downs:
            parts = []
            if ups:
                parts.append("排名上升的有" + _join(ups))
            if downs:
                parts.append("排名下降的有" + _join(downs))
            paras.append(Para(f"与{w['prev']}相比，" + "；".join(parts) + "，其余企业排名不变或" + w["prev"] + "未参加排名。"))

    if len(ranked):
        full = [r["enterprise"] for _, r in ranked.iterrows()
                if all(not _missing(r[k]) and float(r[k]) >= 1 for k in ("response_rate", "resolution_rate",
                                                                             "satisfaction_rate"))]
        lows = []
        for key, label in (("response_rate", "响应率"), ("resolution_rate", "解决率"), ("satisfaction_rate", "满意率")):
            vals = ranked[ranked[key].notna()]
            if len(vals):
                low = float(vals[key].min())
                if low < 1:
                    who = [str(n) for n in vals.loc[vals[key] == low, "enterprise"]]
                    lows.append(f"{label}最低的是{_join(who)}（{pct(low)}）")
        text = ""
        if full:
            text = "响应率、解决率、满意率均为100%的企业有：" + _join(full) + "。"
        if lows:
            text += "，".join(lows) + "。"
        if text:
            paras.append(Para(text))

    if annual:
        missing = [str(r["enterprise"]) for _, r in ranked.iterrows() if _missing(r["manual"]) or r["manual"] is None]
        if missing:
            paras.append(Para(f"{_join(missing)}的考核项目（{_join(list(MANUAL_ITEMS))}）未录入，按0分计。"))

    ded = [(r["enterprise"], float(r["deductions"]), int(r.get("late_replies", 0) or 0))
           for _, r in rep.table.iterrows() if float(r["deductions"]) > 0]
    bon = [(r["enterprise"], float(r["bonuses"])) for _, r in rep.table.iterrows() if float(r["bonuses"]) > 0]
    ded.sort(key=lambda x: (-x[1], names.index(x[0])))
    bon.sort(key=lambda x: (-x[1], names.index(x[0])))
    if ded:
        items = [f"{n}扣{points(v)}分" + (f"（含确认超时自动扣分{k}次）" if k else "") for n, v, k in ded]
        text = f"扣分情况：{_join(items)}。"
    else:
        text = f"扣分情况：{w['this']}无企业扣分。"
    text += f"加分情况：{_join([f'{n}加{points(v)}分' for n, v in bon])}。" if bon else f"加分情况：{w['this']}无企业加分。"
    paras.append(Para(text))
    paras.append(Para("各企业三率、得分及排名详见附件1。" if not annual else "各企业考核得分及排名详见附件1。"))
    return paras


def _problems(rep: Report, t: pd.DataFrame, c: pd.DataFrame) -> list[Para]:
    w = _words(rep)
    order = list(rep.table["enterprise"].astype(str))
    lists = rep.lists
    paras: list[Para] = []
    numerals = "一二三四五六七八九十"
    k = 0

    def add(key: str, text: str) -> None:
        nonlocal k
        paras.append(Para(text, lead=f"（{numerals[k]}）{LIST_HEADINGS[key]}。"))
        k += 1

    def item(key: str, none: str, found) -> None:
        """One 第16条 list: ``found(idx)`` when it has tickets, else ``none``."""
        idx = lists[key]
        add(key, found(idx) if len(idx) else none)

    def per(idx) -> str:
        return _per_enterprise(t, idx, order)

    def counted(values: pd.Series, names) -> str:
        counts = values.value_counts()
        return "，".join(f"{s}{int(counts[s])}件" for s in names if s in counts)

    this = w["this"]
    item("overdue", f"截至统计时点，{this}派发的工单无超期未办结情况。",
         lambda idx: f"截至统计时点，{this}派发的工单中有{len(idx)}件超期未办结：{per(idx)}。"
                     "相关企业要立即办结，并说明超期原因。")
    item("on_hold", f"{this}无挂单工单。",
         lambda idx: f"{this}挂单工单{len(idx)}件"
                     f"（{counted(pd.Series([hold_state(t, c, i, rep.as_of) for i in idx]), HOLD_STATES)}）：{per(idx)}。")
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
def ranking_table(rep: Report) -> Table:
    """附件1: every enterprise's figures, in the report's order (ranked first)."""
    p = rep.params
    full = {"response_score": p.response_points if p else 20, "resolution_score": p.resolution_points if p else 20,
            "satisfaction_score": p.satisfaction_points if p else 25}

    def score_head(label: str, key: str) -> str:
        return f"{label}（{display(full[key])}分）"

    annual = rep.period.kind == "year"
    if annual:
        headers = ["排名", "承办企业", "受理", *[f"{k}（{display(v)}分）" for k, v in MANUAL_ITEMS.items()],
                   "响应率", score_head("响应率得分", "response_score"), "解决率", score_head("解决率得分", "resolution_score"),
                   "满意率", score_head("满意率得分", "satisfaction_score"), "扣分", "加分", "总分"]
        widths = [10, 46, 11, 15, 15, 15, 15, 16, 16, 16, 16, 16, 16, 11, 11, 14]
    else:
        headers = ["排名", "承办企业", "受理", "办结", "及时办结", "超期未办结", "响应率", "解决率", "满意率",
                   score_head("响应率得分", "response_score"), score_head("解决率得分", "resolution_score"),
                   score_head("满意率得分", "satisfaction_score"), "扣分", "加分", "总分"]
        widths = [10, 50, 11, 11, 13, 13, 17, 17, 17, 19, 19, 19, 11, 11, 14]
    rows = []
    notes = []
    for _, r in rep.table.iterrows():
        ranked = not (_missing(r["rank"]) or r["rank"] is None)
        rank = str(int(r["rank"])) if ranked else DASH
        total = points(r["total"]) if ranked else DASH
        if annual:
            manual = [DASH if _missing(r.get(k)) or r.get(k) is None else points(r[k]) for k in MANUAL_ITEMS]
            rows.append([rank, str(r["enterprise"]), str(int(r["received"])), *manual,
                         pct(r["response_rate"]), points(r["response_score"]), pct(r["resolution_rate"]),
                         points(r["resolution_score"]), pct(r["satisfaction_rate"]), points(r["satisfaction_score"]),
                         points(r["deductions"]), points(r["bonuses"]), total])
        else:
            rows.append([rank, str(r["enterprise"]), str(int(r["received"])), str(int(r["closed"])),
                         str(int(r["timely"])), str(int(r["overdue_open"])), pct(r["response_rate"]),
                         pct(r["resolution_rate"]), pct(r["satisfaction_rate"]), points(r["response_score"]),
                         points(r["resolution_score"]), points(r["satisfaction_score"]), points(r["deductions"]),
                         points(r["bonuses"]), total])
    unranked = _unranked(rep)
    if unranked:
        reason = "本年度无接诉即办工作，不参加考核" if annual else "本月无工单，不参加排名"
        notes.append(f"注：{_join(unranked)}{reason}。")
    empty = "计满分" if p is None or p.empty_rate_full_marks else "计0分"
    unresolved = "超期未办结+在办未到期" if p is not None and p.count_not_due_as_unresolved else "超期未办结"
    good = "满意（含基本满意）" if p is None or p.basic_satisfied_counts else "满意"
    notes.append(f"说明：响应率=及时办结÷办结，解决率=办结÷（办结+{unresolved}），满意率={good}÷有效回访；"
                 f"比率无数据（分母为0）的{empty}。统计截至{moment(rep.as_of)}。")
    return Table(headers, rows, widths, left=(1,), notes=notes)


def list_table(key: str, t: pd.DataFrame, c: pd.DataFrame, index, as_of: pd.Timestamp) -> Table:
    """One list of 第16条 as a table: no caller data; 诉求内容 scrubbed and shortened (R19); holds
    judged at ``as_of``."""
    headers = ["序号", "工单编号", "承办企业", "派单时间", "来源渠道", "诉求类别", "诉求摘要", "办理期限", "状态"]
    widths = [11, 27, 40, 22, 18, 16, 48, 22, 21]       # millimetres of a landscape text block (225 mm)
    extra = {"on_hold": "挂单情况", "major": "重大疑难"}.get(key)
    if extra:
        headers.append(extra)
        widths.append(36 if key == "on_hold" else 14)
        widths[2], widths[6] = (34, 28) if key == "on_hold" else (36, 40)
    rows = []
    for n, i in enumerate(index, start=1):
        ent = t.at[i, S.ENTERPRISE]
        row = [str(n), str(t.at[i, S.ID] if not _missing(t.at[i, S.ID]) else ""),
               NO_ENTERPRISE if _missing(ent) or ent is None else str(ent),
               _iso_minute(t.at[i, S.DISPATCHED]), str(t.at[i, S.CHANNEL] or "") if not _missing(t.at[i, S.CHANNEL]) else "",
               str(t.at[i, S.CATEGORY] or "") if not _missing(t.at[i, S.CATEGORY]) else "",
               summary(t, i), _iso_day(c.at[i, S.DEADLINE]), str(c.at[i, S.STATUS])]
        if key == "on_hold":
            state = hold_state(t, c, i, as_of)
            start, end = _iso_day(t.at[i, S.HOLD_START]), _iso_day(t.at[i, S.HOLD_END])
            row.append(f"{state}（{start}起" + (f"至{end}）" if end else "）"))
        elif key == "major":
            row.append(str(t.at[i, S.MAJOR_DIFFICULT]))
        rows.append(row)
    return Table(headers, rows, widths, left=(2, 6), title=f"{LIST_TITLES[key]}（{len(rows)}件）")


def _attachments(rep: Report, t: pd.DataFrame, c: pd.DataFrame) -> list[Attachment]:
    span = rep.period.title
    if rep.period.kind == "year":
        first = Attachment(f"{span}各企业“接诉即办”工作考核结果", [ranking_table(rep)])
    else:
        first = Attachment(f"{span}各企业“接诉即办”三率、得分及排名情况", [ranking_table(rep)])
    tables = []
    numerals = "一二三四五六七八九十"
    for key in LIST_ORDER:
        idx = rep.lists[key]
        if len(idx):
            table = list_table(key, t, c, idx, rep.as_of)
            table.title = f"（{numerals[len(tables)]}）{table.title}"
            tables.append(table)
    out = [first]
    if tables:
        out.append(Attachment(f"{span}“接诉即办”专项工单清单", tables))
    return out


def annotation(rep: Report) -> str | None:
    """附注: the parameters in force that differ from their defaults (none: no 附注)."""
    changed = rep.params.changed() if rep.params is not None else {}
    if not changed:
        return None
    items = [f"{BY_CODE[k].description}：{display(v)}（默认{display(BY_CODE[k].default)}，依据{BY_CODE[k].article}）"
             for k, v in changed.items()]
    return "本通报统计采用的参数与默认值不同：" + "；".join(items) + "。"


# -- the whole draft ------------------------------------------------------------------------------------
def draft(rep: Report, t: pd.DataFrame, c: pd.DataFrame, previous: Report | None = None) -> Draft:
    """The 通报 of a bulletin (month) or an assessment (year). ``previous``: the report of the
    period before, made by the same ``stats.report`` (month-on-month / year-on-year figures)."""
    annual = rep.period.kind == "year"
    span = rep.period.title
    if annual:
        title = f"关于{span}区属国有企业“接诉即办”工作考核结果的通报"
        opening = (f"根据{REGULATION}第22条及附表《“接诉即办”工作考核细则及评价方法》，区国资委对各区属国有企业"
                   f"{span}“接诉即办”工作进行了考核。现将考核结果通报如下。")
        second = "二、考核结果及排名"
    else:
        title = f"关于{span}区属国有企业“接诉即办”工作情况的通报"
        opening = f"根据{REGULATION}第16条、第22条，现将{span}区属国有企业“接诉即办”工作情况通报如下。"
        second = "二、三率情况及排名"
    body = [Para("一、基本情况", "h1"), *_basic(rep, previous, c),
            Para(second, "h1"), *_rates_and_ranking(rep, previous),
            Para("三、存在问题", "h1"), *_problems(rep, t, c)]
    return Draft(rep.period.kind, title, opening, body, _attachments(rep, t, c), annotation(rep))
