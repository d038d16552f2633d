"""Scores of the appendix (附表): rate scores (R15), deduction/bonus codes (R16), the
manual items of the annual assessment (R18). Rules as data, each with its article."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .errors import InvalidValue
from .params import Params


@dataclass(frozen=True)
class Code:
    code: str
    points: float            # per occurrence; negative for deductions
    label: str
    article: str


CODES: dict[str, Code] = {c.code: c for c in (
    Code("D1", -0.1, "拖沓敷衍，引起群众不满", "附表 扣分项 工单办理回复1"),
    Code("D2", -0.1, "失密泄密", "附表 扣分项 工单办理回复2"),
    Code("D3", -0.1, "态度恶劣", "附表 扣分项 工单办理回复3"),
    Code("D4", -0.1, "未组织/参加现场调查或协调会", "附表 扣分项 工单办理回复4"),
    Code("D5", -0.1, "3小时内未回复是否本企业工单", "附表 扣分项 工单办理回复5、第21条"),
    Code("D6", -0.1, "互联网渠道答复内容不规范", "附表 扣分项 答复内容标准化"),
    Code("D7", -1.0, "通报批评/媒体曝光", "附表 扣分项 通报批评"),
    Code("B1", 0.1, "报送新闻稿件并在自办媒体发布", "附表 加分项 宣传工作1"),
    Code("B2", 0.1, "典型案例被市级以上主流媒体采用", "附表 加分项 宣传工作2"),
    Code("B3", 0.1, "在区级及以上主流媒体开展宣传", "附表 加分项 宣传工作3"),
    Code("B4", 0.1, "得到群众认可和表扬", "附表 加分项 工作表扬1"),
    Code("B5", 0.5, "得到区级以上新闻报道", "附表 加分项 工作表扬2"),
    Code("B6", 1.0, "工作创新经验被12345热线推广", "附表 加分项 工作创新"),
)}
LATE_REPLY_CODE = "D5"   # the automatic R8 events

MANUAL_ITEMS: dict[str, float] = {   # R18: 考核录入 items and their maxima (附表)
    "组织机构": 5, "制度建设": 10, "知识库建设": 10, "重视程度": 10,
}

RATES = {   # 项目 → parameter holding its full marks (R15)
    "响应率": "response_points",
    "解决率": "resolution_points",
    "满意率": "satisfaction_points",
}


def full_marks(params: Params) -> float:
    """The annual assessment's full marks (R18): the 考核录入 items plus the three rate scores, before
    bonuses (at most ``params.bonus_cap``). 100 with the default parameters."""
    return sum(MANUAL_ITEMS.values()) + params.response_points + params.resolution_points + params.satisfaction_points


def score_value(value):
    """Points as printed (R16: 2 decimals), never ``-0``: rounds to 2 decimals and turns a
    negative zero (e.g. ``-(0.0)`` from a deduction column holding only bonuses, or a total
    like ``round(-1e-17, 2)``) into ``0.0``. Takes a number, a numpy array or a pandas Series."""
    if np.ndim(value) == 0:
        return round(float(value), 2) + 0.0      # IEEE: -0.0 + 0.0 == +0.0; every other value unchanged
    return np.round(value, 2) + 0.0


def rate_score(item: str, rate: float | None, params: Params) -> float:
    """Points for a rate (R15): rate × full marks; no data (None) → full marks or 0."""
    if item not in RATES:
        raise InvalidValue("项目", item, "应为“响应率”、“解决率”或“满意率”")
    full = float(params[RATES[item]])
    if rate is None or (isinstance(rate, float) and math.isnan(rate)):
        return score_value(full) if params.empty_rate_full_marks else 0.0
    if not 0 <= rate <= 1:
        raise InvalidValue("比率", rate, "应在0到1之间（或0%到100%）")
    return score_value(full * rate)
