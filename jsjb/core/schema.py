"""The ledger schema of CONTRACT.md §1: sheet names, columns, vocabularies.

The template generator, the reader, validation and the sample generator all take their
names from here, so a column is named in exactly one place.
"""

from __future__ import annotations

from dataclasses import dataclass

# -- sheets -------------------------------------------------------------------------------
SHEET_TICKETS = "工单台账"
SHEET_ENTERPRISES = "承办企业"
SHEET_HOLIDAYS = "节假日"
SHEET_PARAMS = "参数"
SHEET_ADJUSTMENTS = "加减分"
SHEET_MANUAL = "考核录入"
SHEET_HELP = "使用说明"
AS_OF_NAME = "统计时点"   # the named cell (参数!J1) the status columns of both ledger variants judge at
PLAIN_SPARE_ROWS = 5000   # the plain ledger's rows prepared below the last ticket (CONTRACT §3: at least 5,000; --spare)
SHEETS = (
    SHEET_TICKETS, SHEET_ENTERPRISES, SHEET_HOLIDAYS, SHEET_PARAMS,
    SHEET_ADJUSTMENTS, SHEET_MANUAL, SHEET_HELP,
)

# -- vocabularies (data-validation drop-downs) --------------------------------------------
CHANNELS = ("12345热线", "短信", "微信", "好差评", "蒙速办", "人民网领导留言板", "书记信箱", "市长信箱", "其他")
REQUEST_TYPES = ("咨询", "求助", "投诉", "举报", "意见建议")
CATEGORIES = ("城乡建设", "公共安全", "交通出行", "经济综合", "科教文旅", "住房保障", "意见建议", "其他")
YES_NO = ("是", "否")
LIMIT_TYPES = ("紧急", "民生", "一般", "复杂", "法定")
VISIT_RESULTS = ("满意", "基本满意", "不满意", "未接通")
EXEMPT = ("是",)
MAJOR = ("重大", "疑难")
HOLIDAY_KINDS = ("休息日", "工作日")

# -- the ticket columns -------------------------------------------------------------------
TEXT, DATETIME, DATE, DAYS = "text", "datetime", "date", "days"


@dataclass(frozen=True)
class Column:
    name: str
    kind: str = TEXT                  # text · datetime · date · days (whole working days ≥ 1)
    vocab: tuple[str, ...] | None = None
    required: bool = False
    personal: bool = False            # caller data (R19): never leaves the ledger unmasked
    free_text: bool = False           # citizen text: scrubbed (R19) and never a formula (R20)
    width: float = 12


ID = "工单编号"
CHANNEL = "来源渠道"
REQ_TYPE = "诉求类型"
CATEGORY = "诉求类别"
CONTENT = "诉求内容"
CALLER = "来话人"
PHONE = "联系电话"
ADDRESS = "地址"
DISPATCHED = "派单时间"
ENTERPRISE = "承办企业"
FORWARDED = "转办时间"
CONFIRMED = "企业确认时间"
OWN = "是否本企业"
RETURNED = "退回时间"
LIMIT_TYPE = "时限类型"
LEGAL_DATE = "法定期限"
EXT1_AT = "延期1申请时间"
EXT1_DAYS = "延期1工作日"
EXT2_AT = "延期2申请时间"
EXT2_DAYS = "延期2工作日"
HOLD_START = "挂单开始"
HOLD_END = "挂单结束"
MATERIALS_AT = "材料提交时间"
CLOSED = "办结时间"
VISITED = "回访时间"
VISIT_RESULT = "回访结果"
NOT_ASSESSED = "不计入考核"
MAJOR_DIFFICULT = "重大疑难"
ARCHIVED = "归档时间"
REMARKS = "备注"

INPUT_COLUMNS: tuple[Column, ...] = (
    Column(ID, required=True, width=16),
    Column(CHANNEL, vocab=CHANNELS, width=14),
    Column(REQ_TYPE, vocab=REQUEST_TYPES, width=10),
    Column(CATEGORY, vocab=CATEGORIES, width=10),
    Column(CONTENT, free_text=True, width=40),
    Column(CALLER, personal=True, width=10),
    Column(PHONE, personal=True, width=14),
    Column(ADDRESS, personal=True, width=24),
    Column(DISPATCHED, DATETIME, required=True, width=17),
    Column(ENTERPRISE, width=26),
    Column(FORWARDED, DATETIME, width=17),
    Column(CONFIRMED, DATETIME, width=17),
    Column(OWN, vocab=YES_NO, width=10),
    Column(RETURNED, DATETIME, width=17),
    Column(LIMIT_TYPE, vocab=LIMIT_TYPES, required=True, width=10),
    Column(LEGAL_DATE, DATE, width=12),
    Column(EXT1_AT, DATETIME, width=17),
    Column(EXT1_DAYS, DAYS, width=11),
    Column(EXT2_AT, DATETIME, width=17),
    Column(EXT2_DAYS, DAYS, width=11),
    Column(HOLD_START, DATETIME, width=17),
    Column(HOLD_END, DATETIME, width=17),
    Column(MATERIALS_AT, DATETIME, width=17),
    Column(CLOSED, DATETIME, width=17),
    Column(VISITED, DATETIME, width=17),
    Column(VISIT_RESULT, vocab=VISIT_RESULTS, width=10),
    Column(NOT_ASSESSED, vocab=EXEMPT, width=10),
    Column(MAJOR_DIFFICULT, vocab=MAJOR, width=10),
    Column(ARCHIVED, DATETIME, width=17),
    Column(REMARKS, free_text=True, width=30),
)
INPUT_NAMES = tuple(c.name for c in INPUT_COLUMNS)
COLUMNS = {c.name: c for c in INPUT_COLUMNS}
TIME_COLUMNS = tuple(c.name for c in INPUT_COLUMNS if c.kind in (DATETIME, DATE))
PERSONAL_COLUMNS = tuple(c.name for c in INPUT_COLUMNS if c.personal)
FREE_TEXT_COLUMNS = tuple(c.name for c in INPUT_COLUMNS if c.free_text)

# -- what a missing contract column costs (R21: reported, never silently empty) --------------
# 工单编号, 派单时间 and 时限类型 are required: without them no row can be read (LedgerError).
# For every other input column of the contract: "error" where a deadline, a status or a
# statistic of the bulletin/assessment is wrong without it (check exits 1, every job reports
# it); "warning" where only a flag, a list, a masked output or a note is affected.
MISSING_COLUMN: dict[str, tuple[str, str]] = {
    CHANNEL: ("warning", "来源渠道（人民网领导留言板工单清单）"),
    REQ_TYPE: ("warning", "诉求类型"),
    CATEGORY: ("warning", "诉求类别"),
    CONTENT: ("warning", "诉求内容"),
    CALLER: ("warning", "来话人（诉求内容中的姓名脱敏）"),
    PHONE: ("warning", "联系电话（诉求内容中的号码脱敏）"),
    ADDRESS: ("warning", "地址（诉求内容中的地址脱敏）"),
    ENTERPRISE: ("error", "各承办企业的统计（R11）"),
    FORWARDED: ("error", "确认时限和确认超时的自动扣分（R8，扣分项5）"),
    CONFIRMED: ("error", "确认超时和确认超时的自动扣分（R8，扣分项5）"),
    OWN: ("error", "确认超时的自动扣分（R8，扣分项5）"),
    RETURNED: ("error", "退回工单的排除（R9、R11）"),
    LEGAL_DATE: ("error", "“法定”时限工单的办理期限（R3）"),
    EXT1_AT: ("warning", "延期申请逾期提示（R5）"),
    EXT1_DAYS: ("error", "延期后的办理期限（R4）"),
    EXT2_AT: ("warning", "延期申请逾期提示（R5）"),
    EXT2_DAYS: ("error", "延期后的办理期限（R4）"),
    HOLD_START: ("error", "挂单顺延的办理期限和挂单状态（R6）"),
    HOLD_END: ("error", "挂单顺延的办理期限和挂单状态（R6）"),
    MATERIALS_AT: ("warning", "材料逾期提示（R7）"),
    CLOSED: ("error", "办结状态、响应率和解决率（R10、R12、R13）"),
    VISITED: ("warning", "回访时间核对"),
    VISIT_RESULT: ("error", "满意率（R14）"),
    NOT_ASSESSED: ("error", "不计入考核工单的排除（R11）"),
    MAJOR_DIFFICULT: ("warning", "重大疑难工单清单"),
    ARCHIVED: ("warning", "归档时间"),
    REMARKS: ("warning", "备注"),
}

# -- computed columns (after the input columns; formulas calling the UDFs in the template) --
DEADLINE = "办理期限"
MATERIALS_DUE = "材料截止"
REPLY_DUE = "确认时限"
STATUS = "状态"
TIMELY = "是否及时"
FLAGS = "提示"
COMPUTED_COLUMNS = (DEADLINE, MATERIALS_DUE, REPLY_DUE, STATUS, TIMELY, FLAGS)

# -- statuses (RULES.md "Statuses") ------------------------------------------------------
ST_RETURNED = "已退回"
ST_ON_HOLD = "挂单中"
ST_CLOSED = "已办结"
ST_OVERDUE = "超期未办结"
ST_DUE_SOON = "临期"
ST_OPEN = "在办"
ST_INVALID = "数据有误"       # the deadline cannot be computed: see the row's errors
STATUSES = (ST_RETURNED, ST_ON_HOLD, ST_CLOSED, ST_OVERDUE, ST_DUE_SOON, ST_OPEN, ST_INVALID)

# -- the other sheets ---------------------------------------------------------------------
ENTERPRISE_COLUMNS = ("企业名称", "简称", "联系人", "邮箱")
HOLIDAY_COLUMNS = ("日期", "类型", "说明")
PARAM_COLUMNS = ("参数", "值", "说明", "依据")
ADJUSTMENT_COLUMNS = ("日期", "承办企业", "代码", "次数", "说明")
MANUAL_COLUMNS = ("年度", "承办企业", "组织机构", "制度建设", "知识库建设", "重视程度")

# Columns of the other sheets whose absence (in a sheet that is present) makes it unusable:
# their rows cannot be read (error); the others only default (warning).
SHEET_REQUIRED = {
    SHEET_ENTERPRISES: ("企业名称",),
    SHEET_HOLIDAYS: ("日期", "类型"),
    SHEET_PARAMS: ("参数", "值"),
    SHEET_ADJUSTMENTS: ("日期", "承办企业", "代码"),
    SHEET_MANUAL: MANUAL_COLUMNS,
}

FIRST_DATA_ROW = 2   # Excel row of the first ticket (header in row 1)
