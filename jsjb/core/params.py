"""Policy parameters (RULES.md): one table with default, unit, description and article.

The workbook's 参数 sheet overrides any of them by code; a row left out keeps its default.
Every number the rules use comes from here, so a rule traces to RULES.md through its code.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from .errors import ParameterError

BOOL, NUMBER, CHOICE = "是/否", "数值", "选项"


@dataclass(frozen=True)
class Parameter:
    code: str
    default: object
    kind: str                     # BOOL · NUMBER · CHOICE
    unit: str
    description: str              # Chinese, shown on the 参数 sheet
    article: str                  # 依据
    rule: str                     # RULES.md id
    choices: tuple[str, ...] = ()
    minimum: float = 0
    integer: bool = False

    @property
    def maximum(self) -> float:
        """The largest value that still means something (a year of hours, 100 points…); above it a
        typo such as 1e30 would overflow the date arithmetic, so it is refused (R21)."""
        return MAXIMUM_BY_UNIT.get(self.unit, 1e6)


# Upper bounds by unit: a deadline horizon of one year, at most 10 extensions, 10 years of hold,
# at most 100 points for any score item.
MAXIMUM_BY_UNIT = {"工作日": 365, "次": 10, "小时": 8760, "月": 120, "分": 100}


PARAMETERS: tuple[Parameter, ...] = (
    Parameter("count_start_day", False, BOOL, "", "派单当日是否计入办理时限（默认否：从次日起算）",
              "《民法典》第201条", "R2"),
    Parameter("limit_urgent", 1, NUMBER, "工作日", "紧急诉求的办理时限", "附表 响应率 第1项", "R3",
              minimum=1, integer=True),
    Parameter("limit_livelihood", 3, NUMBER, "工作日", "民生诉求（水电气暖等基本生活保障）的办理时限",
              "附表 响应率 第2项", "R3", minimum=1, integer=True),
    Parameter("limit_normal", 5, NUMBER, "工作日", "一般诉求的办理时限", "附表 响应率 第3项", "R3",
              minimum=1, integer=True),
    Parameter("limit_complex", 15, NUMBER, "工作日", "复杂诉求的办理时限", "附表 响应率 第3项", "R3",
              minimum=1, integer=True),
    Parameter("max_extensions", 2, NUMBER, "次", "延期次数上限", "第13条(2)", "R4", integer=True),
    Parameter("max_extension_days", 15, NUMBER, "工作日", "每次延期的工作日上限", "第13条(2)", "R4",
              integer=True),
    Parameter("max_extension_total", 30, NUMBER, "工作日", "延期累计工作日上限",
              "市12345热线工作管理办法第19条（规定第13条批注）", "R4", integer=True),
    Parameter("extension_request_hours", 24, NUMBER, "小时", "延期申请须在到期前至少提前的小时数",
              "第13条(2)", "R5"),
    Parameter("hold_allowed", True, BOOL, "", "是否认可挂单（否：挂单不顺延期限，并提示）",
              "第13条(2)及其批注", "R6"),
    Parameter("hold_max_months", 3, NUMBER, "月", "每次挂单的最长期限", "第13条(2)", "R6",
              minimum=1, integer=True),
    Parameter("materials_hours", 48, NUMBER, "小时", "回复材料须在最终期限前提交的小时数",
              "第13条(1)", "R7"),
    Parameter("reply_hours", 3, NUMBER, "小时", "转办后企业答复是否本企业工单的时限",
              "第21条、附表扣分项5", "R8"),
    Parameter("late_reply_deduction_scope", "非本企业", CHOICE, "",
              "确认超时自动扣分的范围：非本企业（默认）或全部", "附表 扣分项5", "R8",
              choices=("非本企业", "全部")),
    Parameter("return_hours", 12, NUMBER, "小时", "不属于受理范围的工单须在派单后退回的小时数",
              "第14条", "R9"),
    Parameter("warning_hours", 48, NUMBER, "小时", "到期前多少小时内显示为临期", "第13条(1)", "状态"),
    Parameter("dispatch_lookahead_hours", 24, NUMBER, "小时",
              "日调度提前提示的小时数：材料截止、延期申请截止在此时间内的工单列入督办",
              "第16条 日调度（产品默认）", "日调度"),
    Parameter("count_not_due_as_unresolved", False, BOOL, "",
              "解决率分母是否包含未到期的在办工单（是：按受理总数计算）", "附表 解决率", "R13"),
    Parameter("basic_satisfied_counts", True, BOOL, "", "“基本满意”是否计为满意", "附表 满意率", "R14"),
    Parameter("empty_rate_full_marks", True, BOOL, "", "无数据（分母为0）的比率是否得满分",
              "附表（未规定，默认得满分）", "R15"),
    Parameter("response_points", 20, NUMBER, "分", "响应率满分", "附表 响应率", "R15"),
    Parameter("resolution_points", 20, NUMBER, "分", "解决率满分", "附表 解决率", "R15"),
    Parameter("satisfaction_points", 25, NUMBER, "分", "满意率满分", "附表 满意率", "R15"),
    Parameter("deduction_cap", 10, NUMBER, "分", "每个考核期扣分上限", "附表 扣分项", "R16"),
    Parameter("bonus_cap", 2, NUMBER, "分", "每个考核期加分上限", "附表 加分项", "R16"),
)
BY_CODE = {p.code: p for p in PARAMETERS}

TRUE_WORDS = ("是", "true", "1", "yes", "y", "t", "对")     # how a 是/否 cell may say yes (lower case)
FALSE_WORDS = ("否", "false", "0", "no", "n", "f", "错")
# R3: 时限类型 → its parameter (法定 has no fixed count: the 法定期限 date)
LIMIT_CODES = {"紧急": "limit_urgent", "民生": "limit_livelihood", "一般": "limit_normal", "复杂": "limit_complex"}


def parse_value(param: Parameter, raw: object) -> object:
    """Convert a 参数-sheet cell to the parameter's type, or raise ParameterError."""
    what = f"参数 {param.code}"
    if param.kind == BOOL:
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text.endswith(".0"):
            text = text[:-2]
        if text in TRUE_WORDS:
            return True
        if text in FALSE_WORDS:
            return False
        raise ParameterError(what, raw, "应为“是”或“否”")
    if param.kind == CHOICE:
        text = str(raw).strip()
        if text not in param.choices:
            raise ParameterError(what, raw, "应为" + "、".join(f"“{c}”" for c in param.choices) + "之一")
        return text
    try:
        number = float(str(raw).strip())
    except ValueError:
        raise ParameterError(what, raw, f"应为数值（单位：{param.unit}）") from None
    if not math.isfinite(number) or not param.minimum <= number <= param.maximum:
        raise ParameterError(what, raw, f"应为{param.minimum:g}到{param.maximum:g}之间的数值（单位：{param.unit}）")
    if param.integer:
        if number != int(number):
            raise ParameterError(what, raw, f"应为整数（单位：{param.unit}）")
        return int(number)
    return number


class Params(Mapping[str, object]):
    """The parameter values in force: defaults overridden by the 参数 sheet.

    Access by attribute (``p.materials_hours``) or by code (``p["materials_hours"]``).
    """

    def __init__(self, overrides: Mapping[str, object] | None = None):
        values = {p.code: p.default for p in PARAMETERS}
        for code, raw in (overrides or {}).items():
            code = str(code).strip()
            if code not in BY_CODE:
                raise ParameterError("参数表", code, "不是已知的参数代码（参见模板“参数”表中的代码列表）")
            values[code] = parse_value(BY_CODE[code], raw)
        self._values = values

    def __getattr__(self, code: str) -> object:
        try:
            return self.__dict__["_values"][code]
        except KeyError:
            raise AttributeError(code) from None

    def __getitem__(self, code: str) -> object:
        return self._values[code]

    def __iter__(self):
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def changed(self) -> dict[str, object]:
        """The parameters whose value differs from the default."""
        return {c: v for c, v in self._values.items() if v != BY_CODE[c].default}

    def limit_days(self) -> dict[str, int]:
        """时限类型 → working days (R3); 法定 has no fixed count."""
        return {kind: self[code] for kind, code in LIMIT_CODES.items()}


def display(value: object) -> str:
    """A parameter value as the 参数 sheet shows it."""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value == int(value):
        return str(int(value))
    return str(value)
