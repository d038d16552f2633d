"""Stable codes of validation findings (``Issue.code``) and of errors (``LedgerError.code``).

Doors decide what to show by the code, never by searching the Chinese message: a UDF cell
says "不是有效的日期时间" for every ``E_DATE_*`` code, the browser may group by code, a test
asserts a code. Each code has a default Chinese message template; the placeholders are
``{column}`` (the column or parameter), ``{value}`` (the cell as shown) and, where a template
uses them, keyword details given by the caller. Codes starting ``E_`` are errors by default,
``W_`` warnings. A code, once published, keeps its meaning; new findings get new codes.
"""

from __future__ import annotations

# The years the program can represent and calendar (see ``timeconv``): pandas' nanosecond
# timestamps end in 2262; 1900 … 2199 holds every real ticket and deadline with room to spare.
YEAR_MIN, YEAR_MAX = 1900, 2199

# -- values that cannot be used (R21: the row is invalid; the run goes on) ---------------------------
REQUIRED = "E_REQUIRED"
DATE_FORMAT = "E_DATE_FORMAT"
DATE_INCOMPLETE = "E_DATE_INCOMPLETE"
DATE_RANGE = "E_DATE_RANGE"
TIME_OF_DAY = "E_TIME_OF_DAY"
DAYS = "E_DAYS"
NUMBER = "E_NUMBER"
VOCAB = "E_VOCAB"
# -- relations inside a row / between rows ------------------------------------------------------
DUPLICATE = "E_DUPLICATE"
TIME_ORDER = "E_TIME_ORDER"
TIME_ORDER_WARN = "W_TIME_ORDER"
LEGAL_DATE_MISSING = "E_LEGAL_DATE_MISSING"
LEGAL_DATE_UNUSED = "W_LEGAL_DATE_UNUSED"
LEGAL_BEFORE_DISPATCH = "W_LEGAL_BEFORE_DISPATCH"
HOLD_END_ONLY = "E_HOLD_END_ONLY"
HOLD_STILL_OPEN = "W_HOLD_STILL_OPEN"
EXTENSION_INCOMPLETE = "W_EXTENSION_INCOMPLETE"
VISIT_NOT_CLOSED = "W_VISIT_NOT_CLOSED"
NO_ENTERPRISE = "W_NO_ENTERPRISE"
UNKNOWN_ENTERPRISE = "E_UNKNOWN_ENTERPRISE"
EMAIL = "W_EMAIL"
DUPLICATE_SHORT = "E_DUPLICATE_SHORT"
HOLIDAY_YEAR = "E_HOLIDAY_YEAR"
# -- the sheet as a whole -----------------------------------------------------------------------
COLUMN_MISSING = "E_COLUMN_MISSING"
COLUMN_MISSING_WARN = "W_COLUMN_MISSING"
COLUMN_RENAMED = "W_COLUMN_RENAMED"     # a header read as a ledger column by a synonym or the 列名对照 sheet

# -- LedgerError.code of the file-level errors (LedgerFileError, exit 2) ---------------------------
FILE = "E_FILE"                         # missing, a folder, not .xlsx, no 工单台账 sheet
FILE_DAMAGED = "E_FILE_DAMAGED"         # not a zip / workbook, damaged archive
FILE_ENCRYPTED = "E_FILE_ENCRYPTED"     # password to open (or an old .xls renamed)
FILE_TOO_LARGE = "E_FILE_TOO_LARGE"     # parts would unpack beyond the bounds of io/sheets.py
SHEET_UNREADABLE = "E_SHEET_UNREADABLE"  # a sheet that is present cannot be parsed
# -- intake of an export of the 接诉即办 system (R24, CONTRACT §6) ---------------------------------------
HEADER_TWICE = "E_HEADER_TWICE"         # two headers name the same ledger column
ALIAS = "E_ALIAS"                       # a row of the 列名对照 sheet cannot be used
NO_ID_COLUMN = "E_NO_ID_COLUMN"         # no sheet of the export has a 工单编号 header
NO_DISPATCH_COLUMN = "E_NO_DISPATCH_COLUMN"   # the export's header has no 派单时间
EXPORT_FORMAT = "E_EXPORT_FORMAT"       # not a workbook or CSV (a web page saved as .xls, a document …)
EXPORT_ENCODING = "E_EXPORT_ENCODING"   # a CSV in neither UTF-8 nor GBK

DATE_RANGE_TEXT = f"{YEAR_MIN}年至{YEAR_MAX}年"
# The missing-year text, in every door the same words (a cell formula of the plain ledger joins the
# two parts around the year): 缺少2027年节假日安排.
MISSING_YEAR_HEAD, MISSING_YEAR_TAIL = "缺少", "年节假日安排"

MESSAGES: dict[str, str] = {
    REQUIRED: "缺少{column}（必填）",
    DATE_FORMAT: "无法识别的日期时间“{value}”，请填写如 2024-03-01 09:30 的日期时间",
    DATE_INCOMPLETE: "日期“{value}”不完整（缺少月或日），请填写完整日期，如 2024-03-01 09:30",
    DATE_RANGE: f"日期“{{value}}”超出可处理的范围（{DATE_RANGE_TEXT}），请核对年份",
    TIME_OF_DAY: "“{value}”中的时刻不存在（时应为0–23，分、秒应为0–59）",
    DAYS: "“{value}”不是有效的工作日数，应为1到{maximum}之间的整数",
    NUMBER: "“{value}”无效：{column}应为{expected}",
    VOCAB: "“{value}”不在下拉选项中（可选：{choices}）",
    DUPLICATE: "{column}“{value}”重复（首次出现在第{first}行）",
    TIME_ORDER: "{column}（{value}）早于{other}：请核对时间",
    TIME_ORDER_WARN: "{column}（{value}）早于{other}：{hint}",
    LEGAL_DATE_MISSING: "时限类型为“法定”时须填写法定期限",
    LEGAL_DATE_UNUSED: "已填写法定期限，但时限类型不是“法定”，法定期限未被采用",
    LEGAL_BEFORE_DISPATCH: "法定期限（{value}）早于派单时间：工单一派出即已超期，请核对",
    HOLD_END_ONLY: "有挂单结束时间但缺少挂单开始时间",
    HOLD_STILL_OPEN: "工单已办结，但挂单尚未结束：请填写挂单结束时间",
    EXTENSION_INCOMPLETE: "{detail}",
    VISIT_NOT_CLOSED: "有回访结果但工单未办结",
    NO_ENTERPRISE: "未填写承办企业：该工单不计入任何企业的统计",
    UNKNOWN_ENTERPRISE: "“{value}”不在“承办企业”表中，请核对名称或先在该表中添加",
    EMAIL: "邮箱地址有误（{detail}）：该地址不会收到通报，多个邮箱请用分号分隔",
    DUPLICATE_SHORT: "“{name}”的简称“{value}”与{other}相同：简称用于区分各企业的通报文件和邮件，请改为不同的简称",
    HOLIDAY_YEAR: MISSING_YEAR_HEAD + "{year}" + MISSING_YEAR_TAIL + "，请在“节假日”表录入{year}年放假调休安排",
    COLUMN_MISSING: "表头中没有“{column}”列，{needed}无法计算：请按模板恢复该列的名称",
    COLUMN_MISSING_WARN: "表头中没有“{column}”列，{needed}将视为空白：请按模板恢复该列的名称",
    COLUMN_RENAMED: "表头“{value}”按台账的“{column}”列读取（{how}）；如不对，请在“列名对照”表中写明，或按模板改回列名",
}

# Codes of a cell whose value cannot be read at all (the door shows "not a valid date" etc.).
DATE_CODES = frozenset({DATE_FORMAT, DATE_INCOMPLETE, DATE_RANGE, TIME_OF_DAY})


def message(code: str, **fields) -> str:
    """The default Chinese message of ``code`` with its placeholders filled."""
    return MESSAGES[code].format(**fields)


def level_of(code: str) -> str:
    return "warning" if code.startswith("W_") else "error"
