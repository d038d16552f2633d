"""A realistic synthetic ledger: fictional people and enterprises, deterministic per seed.

Every ticket is dispatched in ``year``; the ledger is a snapshot taken at ``snapshot(year)``
(5 January of the next year, 10:00): events after it are not yet in the ledger, so late-December
tickets are open, some overdue or due soon. Proportions follow what a district office sees:
mostly 12345热线 tickets, 一般 limits, a few extensions, holds, returns, exemptions, late replies
and late closings, and return visits of every result. Vectorised: a million rows take seconds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import schema as S
from .calendar import WorkCalendar, days_of
from .params import Params
from .rules import compute

DEFAULT_YEAR = 2025
DEFAULT_ROWS = 2000
DEFAULT_SEED = 12345

ENTERPRISES = (   # (企业名称, 简称, 联系人, 邮箱, typical categories, typical limit, weight)
    ("东胜区城市发展投资集团有限公司", "城投集团", "王**", "chengtou@example.invalid", ("城乡建设", "经济综合"), "一般", 14),
    ("东胜区公共交通有限责任公司", "公交公司", "李**", "gongjiao@example.invalid", ("交通出行",), "一般", 16),
    ("东胜区热力有限责任公司", "热力公司", "张**", "reli@example.invalid", ("城乡建设", "住房保障"), "民生", 22),
    ("东胜区水务有限责任公司", "水务公司", "刘**", "shuiwu@example.invalid", ("城乡建设",), "民生", 14),
    ("东胜区智慧停车管理有限公司", "停车公司", "陈**", "tingche@example.invalid", ("交通出行",), "一般", 10),
    ("东胜区文化旅游投资有限公司", "文旅公司", "杨**", "wenlv@example.invalid", ("科教文旅", "经济综合"), "一般", 8),
    ("东胜区国有物业服务有限公司", "物业公司", "赵**", "wuye@example.invalid", ("住房保障",), "一般", 11),
    ("东胜区新能源充电服务有限公司", "充电公司", "黄**", None, ("交通出行",), "一般", 5),
)

TOPICS = {
    "城投集团": ("反映{p}节日亮化彩灯损坏，夜间不亮，请求维修", "咨询{p}国有资产出租的办理流程",
               "反映{p}施工围挡占道，影响通行"),
    "公交公司": ("反映{p}公交站牌信息未更新，线路调整后无法查询", "投诉{p}公交车未按时发车，等候超过40分钟",
               "建议在{p}增设公交站点"),
    "热力公司": ("反映{p}家中暖气不热，室温不足18度", "反映{p}供热管道漏水", "咨询{p}供暖费缴纳及退费政策"),
    "水务公司": ("反映{p}停水未提前通知", "反映{p}自来水水质浑浊", "反映{p}井盖缺失存在安全隐患"),
    "停车公司": ("投诉{p}公共停车场收费标准不明确", "反映{p}停车信息显示屏故障", "咨询{p}停车场月卡办理"),
    "文旅公司": ("投诉{p}景点收费与公示价格不一致", "咨询恰特影剧院{p}演出退票事宜", "建议{p}景区延长开放时间"),
    "物业公司": ("咨询{p}租房补贴申请条件", "申请{p}公租房租金减免", "反映{p}小区电梯故障无人维修"),
    "充电公司": ("反映{p}充电桩故障无法充电", "投诉{p}充电站收费高于公示标准", "反映{p}充电车位被燃油车占用"),
}
PLACES = ("天骄路附近", "鄂尔多斯大街东段", "吉劳庆北路", "伊金霍洛西街", "准格尔北路", "铁西小区", "林荫路南段",
          "宝日陶亥东街", "罕台镇", "富兴街道", "巴音门克街道", "民族街道", "交通街道", "公园街道")
SURNAMES = tuple(
    "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪"
    "田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文"
) + ("欧阳", "司马", "诸葛", "上官", "呼延")
GIVEN = tuple("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国志文斌宇浩凯晨婷雪琳博鹏飞慧颖佳欣怡晓东海波宁亮")
STREETS = ("天骄北路", "鄂尔多斯西街", "吉劳庆南路", "伊金霍洛东街", "准格尔南路", "林荫路", "宝日陶亥西街", "达拉特南路",
           "杭锦北路", "乌审西街", "罕台大街", "纺织街")
REMARKS = ("已电话联系来话人，正在处理", "企业已安排人员现场核实", "来话人补充联系方式{phone}", "需协调相关部门共同处理",
           "已答复来话人，来话人表示认可", "来话人身份证号{idno}，申请材料已收到")


def snapshot(year: int) -> pd.Timestamp:
    """The moment the sample ledger of ``year`` reflects: 5 January of the next year, 10:00."""
    return pd.Timestamp(year + 1, 1, 5, 10, 0)


@dataclass
class Sample:
    sheets: dict[str, pd.DataFrame]
    as_of: pd.Timestamp


def _pick(rng, options, p, n):
    p = np.asarray(p, dtype=float)
    return np.asarray(options, dtype=object)[rng.choice(len(options), size=n, p=p / p.sum())]


def generate(rows: int = DEFAULT_ROWS, year: int = DEFAULT_YEAR, seed: int = DEFAULT_SEED,
             calendar: WorkCalendar | None = None) -> Sample:
    rng = np.random.default_rng([seed, year, rows])
    cal = calendar or WorkCalendar()
    n = int(rows)
    as_of = snapshot(year)

    # dispatch moments: working days of the year, office hours, in time order
    first, last = pd.Timestamp(year, 1, 1), pd.Timestamp(year, 12, 31)
    all_days = pd.date_range(first, last, freq="D")
    work = cal.work[days_of(pd.Series(all_days)) - cal.lo]
    weight = np.where(work, 1.0, 0.15)
    # seasonal: heating season (Oct–Apr) brings more tickets
    month = all_days.month.to_numpy()
    weight *= np.where((month >= 10) | (month <= 4), 1.35, 1.0)
    day = rng.choice(len(all_days), size=n, p=weight / weight.sum())
    minutes = rng.integers(8 * 60, 18 * 60, size=n)
    dispatched = (all_days.to_numpy()[day] + minutes.astype("timedelta64[m]")
                  + rng.integers(0, 60, size=n).astype("timedelta64[s]"))
    dispatched.sort()
    dispatched = pd.Series(dispatched, dtype="datetime64[ns]")

    ent_names = np.array([e[0] for e in ENTERPRISES], dtype=object)
    np.array([e[1] for e in ENTERPRISES], dtype=object)
    ent_idx = rng.choice(len(ENTERPRISES), size=n, p=np.array([e[6] for e in ENTERPRISES]) / sum(e[6] for e in ENTERPRISES))
    enterprise = ent_names[ent_idx]

    channel = _pick(rng, S.CHANNELS, (70, 4, 8, 4, 4, 4, 2, 2, 2), n)
    req_type = _pick(rng, S.REQUEST_TYPES, (25, 25, 35, 5, 10), n)
    category = np.empty(n, dtype=object)
    limit_type = np.empty(n, dtype=object)
    content = np.empty(n, dtype=object)
    topic_pick = rng.integers(0, 3, size=n)
    place = np.asarray(PLACES, dtype=object)[rng.integers(0, len(PLACES), size=n)]
    for k, e in enumerate(ENTERPRISES):
        m = ent_idx == k
        cnt = int(m.sum())
        cats = e[4]
        category[m] = np.asarray(cats, dtype=object)[rng.integers(0, len(cats), size=cnt)]
        if e[5] == "民生":
            limit_type[m] = _pick(rng, S.LIMIT_TYPES, (8, 62, 22, 6, 2), cnt)
        else:
            limit_type[m] = _pick(rng, S.LIMIT_TYPES, (8, 10, 65, 14, 3), cnt)
        templates = TOPICS[e[1]]
        content[m] = [templates[t].format(p=p) for t, p in zip(topic_pick[m], place[m])]
    opinion = req_type == "意见建议"
    category[opinion & (rng.random(n) < 0.5)] = "意见建议"
    category[rng.random(n) < 0.02] = "公共安全"

    # callers (fictional)
    surname = np.asarray(SURNAMES, dtype=object)[rng.integers(0, len(SURNAMES), size=n)]
    g1 = np.asarray(GIVEN, dtype=object)[rng.integers(0, len(GIVEN), size=n)]
    g2 = np.asarray(GIVEN, dtype=object)[rng.integers(0, len(GIVEN), size=n)]
    two = rng.random(n) < 0.6
    caller = surname + g1 + np.where(two, g2, "")
    anonymous = rng.random(n) < 0.05
    caller[anonymous] = None
    phone = np.char.add(np.char.add("1", rng.choice(list("3456789"), size=n)),
                        np.char.zfill(rng.integers(0, 10**9, size=n).astype(str), 9)).astype(object)
    address = (np.char.add(np.char.add("鄂尔多斯市东胜区", np.asarray(STREETS)[rng.integers(0, len(STREETS), size=n)]),
                           np.char.add(rng.integers(1, 300, size=n).astype(str), "号")).astype(object))
    address[rng.random(n) < 0.3] = None
    # some citizens put numbers into the text (R19 scrubbing) or start it with a formula sign (R20)
    with_phone = rng.random(n) < 0.03
    content[with_phone] = content[with_phone] + "，回电" + phone[with_phone]
    formula_like = rng.random(n) < 0.002
    content[formula_like] = np.where(rng.random(int(formula_like.sum())) < 0.5,
                                     "=HYPERLINK(\"http://example.invalid\",\"点击\")", "+86 " + phone[formula_like])

    # forwarding and the ownership reply (R8)
    forwarded = dispatched + pd.to_timedelta(rng.integers(5, 90, size=n), unit="m")
    late_reply = rng.random(n) < 0.07
    reply_minutes = np.where(late_reply, rng.uniform(190, 600, size=n), rng.exponential(45, size=n).clip(1, 170))
    reply = pd.Series(pd.to_timedelta(reply_minutes, unit="m"))
    confirmed = forwarded + reply
    own = np.where(rng.random(n) < 0.95, "是", "否").astype(object)
    no_answer = rng.random(n) < 0.015
    confirmed[no_answer] = pd.NaT
    own[no_answer] = None

    # returns (R9): most disowned tickets, and a few out of scope for the whole office
    returned = pd.Series(pd.NaT, index=range(n), dtype="datetime64[ns]")
    ret = (own == "否") & (rng.random(n) < 0.8)
    late_ret = rng.random(n) < 0.1
    ret_hours = np.where(late_ret, rng.uniform(13, 30, size=n), rng.uniform(1, 11, size=n))
    returned[ret] = dispatched[ret] + pd.to_timedelta(ret_hours[ret], unit="h")
    out_of_scope = ~ret & (rng.random(n) < 0.015)
    returned[out_of_scope] = dispatched[out_of_scope] + pd.to_timedelta(ret_hours[out_of_scope], unit="h")
    enterprise = enterprise.copy()
    enterprise[out_of_scope] = None
    forwarded[out_of_scope] = pd.NaT
    confirmed[out_of_scope] = pd.NaT
    own[out_of_scope] = None

    # legal limits, extensions (R4/R5) and holds (R6)
    legal = pd.Series(pd.NaT, index=range(n), dtype="datetime64[ns]")
    is_legal = limit_type == "法定"
    legal[is_legal] = (dispatched[is_legal] + pd.to_timedelta(rng.integers(30, 61, size=n)[is_legal], unit="D")).dt.normalize()
    active = ~ret & ~out_of_scope
    e1 = np.where(active & (rng.random(n) < 0.05), rng.choice([5, 10, 15], size=n, p=[0.4, 0.35, 0.25]), 0)
    e1[(e1 > 0) & (rng.random(n) < 0.03)] = 20          # over the 15-day limit
    e2 = np.where((e1 > 0) & (rng.random(n) < 0.25), rng.choice([5, 10, 15], size=n), 0)
    hold = active & (rng.random(n) < 0.02)
    hold_start = pd.Series(pd.NaT, index=range(n), dtype="datetime64[ns]")
    hold_end = pd.Series(pd.NaT, index=range(n), dtype="datetime64[ns]")
    hold_start[hold] = dispatched[hold] + pd.to_timedelta(rng.uniform(1, 4, size=n)[hold], unit="D")
    hold_len = np.where(rng.random(n) < 0.05, rng.uniform(95, 120, size=n), rng.uniform(5, 60, size=n))
    hold_end[hold] = hold_start[hold] + pd.to_timedelta(hold_len[hold], unit="D")

    typed = pd.DataFrame({
        S.DISPATCHED: dispatched, S.LIMIT_TYPE: limit_type, S.LEGAL_DATE: legal,
        S.EXT1_DAYS: np.where(e1 > 0, e1, np.nan), S.EXT2_DAYS: np.where(e2 > 0, e2, np.nan),
        S.HOLD_START: hold_start, S.HOLD_END: hold_end,
    })
    for c in S.INPUT_NAMES:
        if c not in typed:
            typed[c] = pd.Series(pd.NaT if c in S.TIME_COLUMNS else None, index=typed.index,
                                 dtype="datetime64[ns]" if c in S.TIME_COLUMNS else object)
    params = Params()
    base = compute(typed.assign(**{S.EXT1_DAYS: np.nan, S.EXT2_DAYS: np.nan, S.HOLD_START: pd.NaT,
                                    S.HOLD_END: pd.NaT}), params, cal, as_of)[S.DEADLINE]
    final = compute(typed, params, cal, as_of)[S.DEADLINE]
    # extension requests: usually days before the deadline they extend, sometimes too late
    ext1_at = base - pd.to_timedelta(rng.uniform(26, 96, size=n), unit="h")
    late_ext = rng.random(n) < 0.1
    ext1_at[late_ext] = base[late_ext] - pd.to_timedelta(rng.uniform(2, 20, size=n)[late_ext], unit="h")
    ext1_at = ext1_at.where(e1 > 0).clip(lower=dispatched)
    ext2_at = (base + pd.to_timedelta(e1 * 1.4, unit="D") - pd.to_timedelta(rng.uniform(26, 72, size=n), unit="h"))
    ext2_at = ext2_at.where(e2 > 0)
    ext2_at = ext2_at.where(ext2_at.isna() | (ext2_at > ext1_at), ext1_at + pd.Timedelta(hours=1))

    # closing (R10): mostly within the deadline, some late
    span = (final - dispatched).dt.total_seconds().to_numpy()
    frac = rng.beta(2.0, 3.5, size=n)
    closed = dispatched + pd.to_timedelta(span * frac, unit="s")
    late_close = rng.random(n) < 0.08
    closed[late_close] = final[late_close] + pd.to_timedelta(rng.uniform(1, 120, size=n)[late_close], unit="h")
    on_hold_end = hold_end.notna()
    closed[on_hold_end] = closed[on_hold_end].where(closed[on_hold_end] > hold_end[on_hold_end],
                                                    hold_end[on_hold_end] + pd.Timedelta(hours=4))
    closed[~active] = pd.NaT
    closed[final.isna()] = pd.NaT
    stuck = active & (rng.random(n) < 0.012)                 # never closed: overdue at the snapshot
    closed[stuck] = pd.NaT
    # materials (R7): before the materials deadline (48 h before the final one), a few late
    mat_due = final - pd.Timedelta(hours=48)
    mat_due = mat_due.where(mat_due > dispatched, final)
    materials = closed.where(closed < mat_due, mat_due) - pd.to_timedelta(rng.uniform(0, 6, size=n), unit="h")
    late_mat = rng.random(n) < 0.04
    materials[late_mat] = mat_due[late_mat] + pd.to_timedelta(rng.uniform(1, 40, size=n)[late_mat], unit="h")
    materials = materials.clip(lower=dispatched + pd.Timedelta(minutes=30))
    materials = materials.where(closed.notna())
    materials = materials.where(materials.isna() | (materials <= closed), closed)

    # return visits (R14)
    visited = closed + pd.to_timedelta(rng.uniform(2, 72, size=n), unit="h")
    visited = visited.where(rng.random(n) < 0.88)
    result = _pick(rng, S.VISIT_RESULTS, (72, 14, 7, 7), n)

    exempt = np.where(active & (rng.random(n) < 0.02), "是", None).astype(object)
    major = np.where(rng.random(n) < 0.01, "重大", np.where(rng.random(n) < 0.02, "疑难", None)).astype(object)
    archived = visited + pd.to_timedelta(rng.uniform(3, 20, size=n), unit="D")

    # the snapshot: nothing after as_of is in the ledger yet
    def upto(s: pd.Series) -> pd.Series:
        return s.where(s <= as_of)
    hold_end = upto(hold_end)
    closed = upto(closed)
    materials = upto(materials)
    visited = upto(visited.where(closed.notna()))
    archived = upto(archived.where(visited.notna()))
    ext1_at = upto(ext1_at)
    ext2_at = upto(ext2_at.where(ext1_at.notna()))
    returned = upto(returned)
    e1 = np.where(ext1_at.notna(), e1, 0)
    e2 = np.where(ext2_at.notna(), e2, 0)
    result = np.where(visited.notna(), result, None)
    confirmed = upto(confirmed)

    remarks = np.full(n, None, dtype=object)
    has_remark = rng.random(n) < 0.15
    pick = rng.integers(0, len(REMARKS), size=n)
    ids = np.char.zfill(rng.integers(0, 10**17, size=n).astype(str), 17)
    for i in np.flatnonzero(has_remark):
        remarks[i] = REMARKS[pick[i]].format(phone=phone[i], idno="150602" + ids[i][:11] + "X")

    number = np.char.zfill((np.arange(n) + 1).astype(str), 6 if n < 10**6 else 7)
    tickets = pd.DataFrame({
        S.ID: np.char.add(f"DS{year}", number).astype(object),
        S.CHANNEL: channel, S.REQ_TYPE: req_type, S.CATEGORY: category, S.CONTENT: content,
        S.CALLER: caller, S.PHONE: phone, S.ADDRESS: address,
        S.DISPATCHED: dispatched, S.ENTERPRISE: enterprise, S.FORWARDED: forwarded,
        S.CONFIRMED: confirmed, S.OWN: own, S.RETURNED: returned, S.LIMIT_TYPE: limit_type,
        S.LEGAL_DATE: legal, S.EXT1_AT: ext1_at, S.EXT1_DAYS: np.where(e1 > 0, e1, np.nan),
        S.EXT2_AT: ext2_at, S.EXT2_DAYS: np.where(e2 > 0, e2, np.nan),
        S.HOLD_START: hold_start, S.HOLD_END: hold_end, S.MATERIALS_AT: materials,
        S.CLOSED: closed, S.VISITED: visited, S.VISIT_RESULT: result,
        S.NOT_ASSESSED: exempt, S.MAJOR_DIFFICULT: major, S.ARCHIVED: archived, S.REMARKS: remarks,
    })
    for c in S.TIME_COLUMNS:
        tickets[c] = tickets[c].dt.floor("min") if c != S.LEGAL_DATE else tickets[c]
    sheets = {
        S.SHEET_TICKETS: tickets,
        S.SHEET_ENTERPRISES: pd.DataFrame([e[:4] for e in ENTERPRISES], columns=list(S.ENTERPRISE_COLUMNS)),
        S.SHEET_ADJUSTMENTS: _adjustments(rng, year),
        S.SHEET_MANUAL: _manual(rng, year),
    }
    return Sample(sheets, as_of)


def _adjustments(rng, year: int) -> pd.DataFrame:
    rows = []
    notes = {"B1": "报送接诉即办新闻稿件并在公众号发布", "B4": "来话人致电表扬处理及时", "D1": "处理拖沓引起来话人不满",
             "D6": "人民网留言答复未经审核", "B5": "区融媒体中心报道", "D7": "在区接诉即办调度会上被点名批评"}
    for name, _short, *_ in ENTERPRISES:
        for month in range(1, 13):
            for code, p in (("B1", 0.35), ("B4", 0.2), ("D1", 0.08), ("D6", 0.05), ("B5", 0.03), ("D7", 0.01)):
                if rng.random() < p:
                    day = int(rng.integers(1, 28))
                    rows.append((pd.Timestamp(year, month, day), name, code, 1, notes[code]))
    return pd.DataFrame(rows, columns=list(S.ADJUSTMENT_COLUMNS))


def _manual(rng, year: int) -> pd.DataFrame:
    rows = []
    for name, *_ in ENTERPRISES:
        rows.append((year, name, float(rng.choice([4, 5])), float(rng.choice([8, 9, 10])),
                     float(rng.choice([7, 8, 9, 10])), float(rng.choice([8, 9, 10]))))
    return pd.DataFrame(rows, columns=list(S.MANUAL_COLUMNS))


# -- a sample export of the 接诉即办 system (R24, CONTRACT §6) -------------------------------------------
# The system's own column names (the header the intake maps), with two columns it has and the ledger
# does not (序号, 工单状态), under group titles merged over two header rows, below a title line.
EXPORT_COLUMNS: tuple[tuple[str, str | None], ...] = (
    ("序号", None), ("工单号", S.ID), ("工单来源", S.CHANNEL), ("诉求性质", S.REQ_TYPE), ("问题分类", S.CATEGORY),
    ("问题描述", S.CONTENT), ("来电人", S.CALLER), ("来电号码", S.PHONE), ("事发地址", S.ADDRESS),
    ("下派时间", S.DISPATCHED), ("承办单位", S.ENTERPRISE), ("办理时限", S.LIMIT_TYPE), ("签收时间", S.CONFIRMED),
    ("办结时间", S.CLOSED), ("回访满意度", S.VISIT_RESULT), ("工单状态", None),
)
EXPORT_GROUPS = (("诉求信息", "工单来源", "事发地址"), ("办理信息", "下派时间", "回访满意度"))
DEFAULT_EXPORT_ROWS = 300


@dataclass
class SampleExport:
    """An export of the system for a sample ledger: ``rows`` of cell values in :data:`EXPORT_COLUMNS`
    order (str, Timestamp, float serials, None; ``None`` rows are blank lines), and what was planted in
    it against the ledger: ``new`` ids, ``changed`` (id, ledger column) pairs, ``missing`` ids (ledger
    tickets within its span left out), ``duplicates`` ids, ``invalid`` (row index in ``rows``, reason)."""

    title: str
    header: tuple[str, ...]
    groups: tuple[tuple[str, str, str], ...]
    rows: list[list | None]
    new: list[str]
    changed: list[tuple[str, str]]
    missing: list[str]
    duplicates: list[str]
    invalid: list[tuple[int, str]]


def _spell(t: pd.Timestamp, k: int):
    """The system's time spellings, in turn: a date cell, 2025/12/01 10:00, 2025年12月1日 10时00分,
    an Excel serial number, 2025-12-01 10:00:00."""
    if t is None or pd.isna(t):
        return None
    kind = k % 9
    if kind == 1:
        return f"{t:%Y/%m/%d %H:%M}"
    if kind == 3:
        return f"{t.year}年{t.month}月{t.day}日 {t.hour:02d}时{t.minute:02d}分"
    if kind == 5:
        return round((t - pd.Timestamp("1899-12-30")) / pd.Timedelta(days=1), 10)
    if kind == 7:
        return f"{t:%Y-%m-%d %H:%M:%S}"
    return t


def export_from(sample: Sample, rows: int = DEFAULT_EXPORT_ROWS, seed: int = DEFAULT_SEED) -> SampleExport:
    """An export of the system covering the sample ledger's last ``rows`` tickets (by 派单时间), with
    a few of each thing R24 classifies: new tickets (dispatched after the ledger's last one), fields
    the ledger holds otherwise (派单时间 an hour off, 办结时间, 承办企业, 回访结果, 联系电话), ledger
    tickets the export lacks, a duplicated row, a row without 工单号 (a 合计 line), one with an
    unreadable 下派时间, and a blank line. Also: some ids in full-width digits or with spaces, some
    承办单位 as the 简称, the five time spellings of :func:`_spell` — none of which is a difference.
    Deterministic for (the sample, rows, seed); fictional people only."""
    rng = np.random.default_rng([seed, rows, 24])
    tickets = sample.sheets[S.SHEET_TICKETS]
    tickets = tickets.sort_values(S.DISPATCHED, kind="stable").reset_index(drop=True)
    cut = tickets[S.DISPATCHED].iloc[max(len(tickets) - int(rows), 0)].floor("min") if len(tickets) else None
    base = tickets[tickets[S.DISPATCHED].dt.floor("min") >= cut].reset_index(drop=True) if cut is not None else tickets
    m = len(base)
    names = {e[0]: e[1] for e in ENTERPRISES}
    other = [e[0] for e in ENTERPRISES]

    def pick(count: int, avoid: set[int]) -> list[int]:
        pool = [i for i in range(1, m - 1) if i not in avoid]          # first and last keep the span
        return sorted(int(i) for i in rng.choice(pool, size=min(count, len(pool)), replace=False)) if pool else []

    used: set[int] = set()
    missing_at = pick(max(1, m // 50), used)
    used |= set(missing_at)
    changed_at = pick(max(5, m // 25), used)
    used |= set(changed_at)
    odd_time_at = pick(1, used)
    used |= set(odd_time_at)
    dup_at = pick(1, used)

    frame = base.copy()
    changed: list[tuple[str, str]] = []
    fields = (S.DISPATCHED, S.CLOSED, S.ENTERPRISE, S.VISIT_RESULT, S.PHONE)
    for k, i in enumerate(changed_at):
        field_ = fields[k % len(fields)]
        tid = frame.at[i, S.ID]
        if field_ == S.DISPATCHED:
            frame.at[i, S.DISPATCHED] = frame.at[i, S.DISPATCHED] + pd.Timedelta(hours=1)
        elif field_ == S.CLOSED:
            closed = frame.at[i, S.CLOSED]
            frame.at[i, S.CLOSED] = (frame.at[i, S.DISPATCHED] + pd.Timedelta(days=2)) if pd.isna(closed) \
                else closed + pd.Timedelta(days=1)
        elif field_ == S.ENTERPRISE:
            now = frame.at[i, S.ENTERPRISE]
            frame.at[i, S.ENTERPRISE] = next(e for e in other[int(rng.integers(0, len(other))):] + other if e != now)
        elif field_ == S.VISIT_RESULT:
            now = frame.at[i, S.VISIT_RESULT]
            frame.at[i, S.VISIT_RESULT] = "基本满意" if now == "满意" else "满意"
        else:
            frame.at[i, S.PHONE] = "1" + str(int(rng.integers(3, 10))) + f"{int(rng.integers(0, 10**9)):09d}"
        changed.append((tid, field_))

    # new tickets: dispatched after the ledger's last one, numbered after its ids
    n_new = max(3, m // 20)
    last_number = len(tickets)
    year = int(str(tickets[S.ID].iloc[0])[2:6]) if len(tickets) else DEFAULT_YEAR
    new_rows = base.sample(n=min(n_new, m), random_state=int(rng.integers(0, 2**31))).reset_index(drop=True)
    start = tickets[S.DISPATCHED].max() if len(tickets) else pd.Timestamp(year, 12, 31, 9)
    new_ids = [f"DS{year}{last_number + k + 1:06d}" for k in range(len(new_rows))]
    new_rows[S.ID] = new_ids
    new_rows[S.DISPATCHED] = [start + pd.Timedelta(minutes=17 * (k + 1)) for k in range(len(new_rows))]
    for c in (S.CONFIRMED, S.CLOSED, S.VISIT_RESULT):
        new_rows[c] = None if c == S.VISIT_RESULT else pd.NaT

    out_rows: list[list | None] = []
    invalid: list[tuple[int, str]] = []
    keep = [i for i in range(m) if i not in set(missing_at)]
    order = [("old", i) for i in keep] + [("new", k) for k in range(len(new_rows))]
    serial = 0
    for pos, (kind, i) in enumerate(order):
        r = frame.iloc[i] if kind == "old" else new_rows.iloc[i]
        serial += 1
        tid = str(r[S.ID])
        if kind == "old" and pos % 37 == 5:
            tid = tid.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789"})      # full-width digits
        elif kind == "old" and pos % 41 == 9:
            tid = f" {tid} "
        enterprise = r[S.ENTERPRISE]
        if enterprise is not None and pos % 5 == 2:
            enterprise = names.get(enterprise, enterprise)                            # the 简称
        dispatched = _spell(r[S.DISPATCHED], pos)
        if kind == "old" and i in odd_time_at:
            dispatched = f"{r[S.DISPATCHED].year}-13-{r[S.DISPATCHED].day:02d} 10:00"
            invalid.append((len(out_rows), "下派时间无法识别"))
        status = "已办结" if pd.notna(r[S.CLOSED]) else ("已退回" if pd.notna(r[S.RETURNED]) else "办理中")
        out_rows.append([serial, tid, r[S.CHANNEL], r[S.REQ_TYPE], r[S.CATEGORY], r[S.CONTENT], r[S.CALLER],
                         r[S.PHONE], r[S.ADDRESS], dispatched, enterprise, r[S.LIMIT_TYPE],
                         _spell(r[S.CONFIRMED], pos + 7), r[S.CLOSED] if pd.notna(r[S.CLOSED]) else None,
                         r[S.VISIT_RESULT], status])
        if kind == "old" and i in dup_at:
            again = list(out_rows[-1])
            again[0] = None
            out_rows.append(again)
        if pos == len(order) // 2:
            out_rows.append(None)                                                     # a blank line
    out_rows.append(["合计", None, None, None, None, None, None, None, None, None, None, None, None, None, None,
                     f"共{serial}件"])
    invalid.append((len(out_rows) - 1, "合计行没有工单号"))
    first, last = base[S.DISPATCHED].min(), new_rows[S.DISPATCHED].max()
    title = f"东胜区接诉即办系统工单导出（派单时间 {first:%Y-%m-%d} 至 {last:%Y-%m-%d}）"
    return SampleExport(title, tuple(h for h, _ in EXPORT_COLUMNS), EXPORT_GROUPS, out_rows, new_ids, changed,
                        [str(base.at[i, S.ID]) for i in missing_at], [str(base.at[i, S.ID]) for i in dup_at], invalid)
