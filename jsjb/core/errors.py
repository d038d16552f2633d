"""The error hierarchy. Every door translates these: the CLI into a message and exit code,
a macro into an alert box, a UDF into a short message in the cell.

Messages are user-facing Simplified Chinese and name what is wrong and how to fix it.
Every error also has a stable ``code`` (a class attribute, the same family as ``Issue.code`` in
``codes.py``): doors decide by class or code, never by searching the message text.
"""

from __future__ import annotations

from .codes import ALIAS, HEADER_TWICE, HOLIDAY_YEAR, NO_ID_COLUMN, message
from .howto import how


class LedgerError(Exception):
    """Base of every error the product reports to a user."""

    exit_code = 2
    code = "E_LEDGER"

    def __init__(self, message: str, code: str | None = None):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code

    def __str__(self) -> str:
        return self.message


class HolidayDataMissing(LedgerError):
    """A date falls in a year for which no holiday arrangement is known (R1)."""

    code = "E_HOLIDAY_YEAR"

    def __init__(self, year: int):
        self.year = int(year)
        super().__init__(message(HOLIDAY_YEAR, year=self.year)
                         + f"（内置数据和“节假日”表都未收录该年；可用 {how('parse_notice')} 把国务院办公厅的通知转成表格）。")


class InvalidValue(LedgerError):
    """One input value (a UDF argument, a CLI option, a cell) cannot be used."""

    code = "E_VALUE"

    def __init__(self, what: str, value: object, reason: str):
        self.what, self.value, self.reason = what, value, reason
        super().__init__(f"{what}的值“{_show(value)}”无效：{reason}")


class ParameterError(InvalidValue):
    """A value on the 参数 sheet is not valid for its parameter."""

    code = "E_PARAMETER"


class LedgerFileError(LedgerError):
    """The ledger file is missing, not .xlsx, unreadable (damaged, encrypted, a sheet that
    cannot be parsed, parts too large to unpack), or lacks the 工单台账 sheet."""

    code = "E_FILE"


class InvalidRows(LedgerError):
    """Rows failed validation where the job cannot go on without them (e.g. 考核录入 maxima): bad input,
    exit code 2 like every input the job cannot use (1 means the job ran and something needs attention)."""

    code = "E_ROWS"


def _show(value: object, limit: int = 40) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


class NoticeError(LedgerError):
    """The State Council holiday notice's text cannot be turned into 节假日 rows (R23).

    ``code`` says what is wrong, for programs: ``missing_year``, ``several_years``,
    ``weekday_mismatch``, ``unknown_festival``, ``no_festival``, ``bad_date``, ``bad_span``,
    ``conflict``, ``extension_without_base``, ``empty``, ``count_mismatch``, ``unknown_wording``.
    ``line`` is the 1-based line number of the text (None when the problem is not on one line) and ``text`` that line.
    """

    def __init__(self, code: str, message: str, line: int | None = None, text: str = ""):
        self.code, self.line, self.text, self.reason = code, line, text, message
        where = f"第{line}行“{_show(text.strip(), 60)}”：" if line else ""
        super().__init__(f"无法识别国务院放假通知：{where}{message}")


class HeaderError(LedgerError):
    """A sheet's header cannot be mapped onto the ledger's columns (``core.headers``, R24)."""

    code = "E_HEADER"


class HeaderConflict(HeaderError):
    """Two headers of a sheet name the same ledger column; the message names both and their columns."""

    code = HEADER_TWICE


class AliasError(HeaderError):
    """A row of the 列名对照 sheet cannot be used; the message names the row."""

    code = ALIAS


class ExportError(HeaderError):
    """An export of the 接诉即办 system cannot be used at all: no sheet with a 工单编号 header
    (``E_NO_ID_COLUMN``), or no 派单时间 column (``E_NO_DISPATCH_COLUMN``)."""

    code = NO_ID_COLUMN
