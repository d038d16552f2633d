"""Column names other programs use for the ledger's input columns (CONTRACT §6, R24): the 接诉即办
system's export (工单号, 下派时间, 承办单位 …) and an office's own older ledger, mapped onto the
ledger's names by built-in synonyms and by the ledger's sheet 列名对照 (系统列名, 台账列名).

Pure Python (no pandas): the reader maps a sheet's header before anything else is loaded.

Headers are compared after :func:`normalize`: Unicode NFKC (full-width letters, digits and brackets
folded), all white space removed (line breaks of a wrapped header cell too), a leading or trailing
``*`` (a "required" marker) and a trailing colon dropped, Latin letters in lower case.

Which header wins when several name the same column (``map_headers``), by rank, best first:

- an export (``ledger=False``): a 列名对照 row (the clerk's explicit word) · the ledger's own name ·
  a built-in synonym;
- a ledger (``ledger=True``): the ledger's own name · a 列名对照 row · a built-in synonym — a
  ledger written from the template always keeps its own columns.

Two different headers of the same best rank for one column are an error naming both
(:class:`HeaderConflict`); the same text twice keeps the first (the later one is listed as not
mapped). A header that loses to a better-ranked one is listed as not mapped. A 列名对照 row whose
台账列名 is blank or ``不导入`` makes that header ignored.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from . import schema as S
from .errors import AliasError, HeaderConflict

SHEET_ALIASES = "列名对照"
ALIAS_COLUMNS = ("系统列名", "台账列名")
IGNORE = "不导入"            # 台账列名 meaning "leave this column out"

# Built-in synonyms: ledger column → the names the 接诉即办 system and offices' own ledgers use for it.
# CONTRACT §6 fixes the first ones of each line; the rest are names met in exports and hand-made ledgers.
# A name appears once in the whole table (a test checks it) and never names a computed column.
SYNONYMS: dict[str, tuple[str, ...]] = {
    S.ID: ("工单号", "工单编码", "工单ID", "受理编号", "诉求编号", "案件编号", "事项编号", "工单流水号"),
    S.CHANNEL: ("来源", "渠道", "诉求来源", "受理渠道", "来电渠道", "工单来源", "诉求渠道"),
    S.REQ_TYPE: ("诉求性质", "工单类型", "来电类型", "诉求类型名称"),
    S.CATEGORY: ("问题分类", "诉求分类", "类别", "事项分类", "业务类别", "问题类别"),
    S.CONTENT: ("问题描述", "来电内容", "诉求详情", "反映内容", "诉求描述", "工单内容", "事项内容", "内容"),
    S.CALLER: ("来电人", "诉求人", "来电人姓名", "诉求人姓名", "反映人", "来话人姓名", "姓名"),
    S.PHONE: ("来电号码", "来电电话", "联系方式", "诉求人电话", "来电人电话", "手机号码", "手机号", "电话"),
    S.ADDRESS: ("事发地址", "事发地点", "详细地址", "诉求地址", "问题地址", "地点"),
    S.DISPATCHED: ("下派时间", "派单日期", "交办时间", "派发时间", "派遣时间", "下派日期", "交办日期", "派单时刻"),
    S.ENTERPRISE: ("承办单位", "主办单位", "办理单位", "责任单位", "承办部门", "处置单位", "承办企业名称"),
    S.FORWARDED: ("转办日期", "转交时间", "转派时间"),
    S.CONFIRMED: ("确认时间", "签收时间", "接单时间", "企业签收时间"),
    S.OWN: ("是否本单位", "是否本企业工单", "是否属于本企业"),
    S.RETURNED: ("回退时间", "退单时间", "退回日期"),
    S.LIMIT_TYPE: ("办理时限", "时限", "时限类别", "办理时限类型"),
    S.LEGAL_DATE: ("法定办结期限", "法定时限", "法定期限日期"),
    S.EXT1_AT: ("延期申请时间", "第一次延期申请时间", "首次延期申请时间"),
    S.EXT1_DAYS: ("延期工作日", "延期天数", "第一次延期天数", "首次延期天数"),
    S.EXT2_AT: ("第二次延期申请时间", "二次延期申请时间"),
    S.EXT2_DAYS: ("第二次延期天数", "二次延期天数"),
    S.HOLD_START: ("挂单开始时间", "挂单时间", "挂起时间", "挂起开始时间"),
    S.HOLD_END: ("挂单结束时间", "解挂时间", "挂起结束时间"),
    S.MATERIALS_AT: ("回复材料提交时间", "材料上报时间", "材料提交日期"),
    S.CLOSED: ("办结日期", "结案时间", "办结完成时间", "完成时间"),
    S.VISITED: ("回访日期",),
    S.VISIT_RESULT: ("回访满意度", "满意度", "满意度评价", "回访评价", "评价结果"),
    S.NOT_ASSESSED: ("免考核", "不考核"),
    S.MAJOR_DIFFICULT: ("重大疑难问题", "疑难件"),
    S.ARCHIVED: ("归档日期",),
    S.REMARKS: ("备注信息", "附注", "说明"),
}

_RANK_NAMES = {"own": "台账列名", "alias": "按“列名对照”表", "synonym": "按内置的同义列名"}


def normalize(text: object) -> str:
    """A header as compared: NFKC, no white space, no leading/trailing ``*``, no trailing colon,
    Latin letters in lower case. ``None`` → ''."""
    if text is None:
        return ""
    t = unicodedata.normalize("NFKC", str(text))
    t = re.sub(r"\s+", "", t)
    t = t.strip("*").rstrip(":")
    return t.lower()


_OWN = {normalize(n): n for n in S.INPUT_NAMES}
_BUILTIN = {normalize(s): col for col, names in SYNONYMS.items() for s in names}


def column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA (a sheet column's letters)."""
    letters = ""
    n = index + 1
    while n:
        n, r = divmod(n - 1, 26)
        letters = chr(65 + r) + letters
    return letters


@dataclass(frozen=True)
class Aliases:
    """The 列名对照 sheet: normalized 系统列名 → 台账列名 (None: not imported), the texts as typed,
    and the rows that could not be used (sheet row, message) — left out of ``targets``."""

    targets: dict[str, str | None] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)
    problems: tuple[tuple[int, str], ...] = ()

    def __bool__(self) -> bool:
        return bool(self.targets)

    def check(self) -> None:
        """Raise :class:`AliasError` for the first row that could not be used (a job that maps an
        export must not guess around a broken 列名对照 row)."""
        if self.problems:
            raise AliasError("；".join(m for _, m in self.problems[:3]))


def parse_aliases(rows: Iterable[Sequence[object]] | None, first_row: int = 2) -> Aliases:
    """The 列名对照 sheet's rows (系统列名, 台账列名) → :class:`Aliases`. Blank rows are skipped. A row
    whose 台账列名 is not an input column of the ledger, that lacks its 系统列名, or that gives a
    系统列名 already given another 台账列名, is left out and reported in ``problems`` with its row."""
    targets: dict[str, str | None] = {}
    names: dict[str, str] = {}
    where: dict[str, int] = {}
    problems: list[tuple[int, str]] = []
    for k, row in enumerate(rows or (), start=first_row):
        cells = list(row) + [None, None]
        system, target = ("" if c is None else str(c).strip() for c in cells[:2])
        if not system and not target:
            continue
        if not system:
            problems.append((k, f"“{SHEET_ALIASES}”表第{k}行缺少{ALIAS_COLUMNS[0]}（台账列名为“{target}”）"))
            continue
        key = normalize(system)
        if not target or target == IGNORE:
            wanted = None
        else:
            wanted = _OWN.get(normalize(target))
            if wanted is None:
                problems.append((k, f"“{SHEET_ALIASES}”表第{k}行：台账列名“{target}”不是台账“{S.SHEET_TICKETS}”表的输入列"
                                    f"（可填：{'、'.join(S.INPUT_NAMES)}；填“{IGNORE}”或留空表示不导入“{system}”列）"))
                continue
        if key in targets and targets[key] != wanted:
            problems.append((k, f"“{SHEET_ALIASES}”表第{where[key]}行和第{k}行都写了系统列名“{system}”，但对应的台账列名"
                                f"不同（“{targets[key] or IGNORE}”和“{wanted or IGNORE}”）：请只保留一行"))
            continue
        targets[key], names[key], where[key] = wanted, system, k
    return Aliases(targets, names, tuple(problems))


@dataclass(frozen=True)
class HeaderMap:
    """How one sheet's header maps onto the ledger's input columns.

    ``headers``: the header text of every position (stripped; '' for a blank header cell);
    ``columns``: position → ledger column, for the mapped positions; ``how``: position → the rule
    that mapped it ('own', 'alias', 'synonym'); ``unmapped``: positions of non-blank headers that
    map to nothing (or lost to a better header of the same column)."""

    headers: tuple[str, ...]
    columns: dict[int, str]
    how: dict[int, str]
    unmapped: tuple[int, ...]

    @property
    def mapping(self) -> dict[str, str]:
        """Header text → ledger column, in sheet order (CONTRACT §6 ``mapping``)."""
        return {self.headers[i]: c for i, c in sorted(self.columns.items())}

    @property
    def unmapped_names(self) -> list[str]:
        return [self.headers[i] for i in self.unmapped]

    def position(self, column: str) -> int | None:
        for i, c in self.columns.items():
            if c == column:
                return i
        return None

    def renamed(self) -> list[str | None]:
        """Per position: the ledger column, or None for a position that is not mapped."""
        return [self.columns.get(i) for i in range(len(self.headers))]


def target_of(header: object, aliases: Aliases | None = None, *, ledger: bool = False) -> tuple[str | None, str | None]:
    """(ledger column or None, how) for one header text, without looking at the other headers."""
    key = normalize(header)
    if not key:
        return None, None
    aliases = aliases or Aliases()
    own = _OWN.get(key)
    if ledger and own:
        return own, "own"
    if key in aliases.targets:
        return aliases.targets[key], "alias"
    if own:
        return own, "own"
    if key in _BUILTIN:
        return _BUILTIN[key], "synonym"
    return None, None


def _rank(how: str, ledger: bool) -> int:
    order = ("own", "alias", "synonym") if ledger else ("alias", "own", "synonym")
    return order.index(how)


def map_headers(headers: Sequence[object], aliases: Aliases | None = None, *, ledger: bool = False,
                where: str = "", first_column: int = 0) -> HeaderMap:
    """Map a sheet's header cells onto the ledger's input columns (the rules in the module docstring).
    ``where`` (e.g. “导出.xlsx的“Sheet1”表第3行”) starts the message of a :class:`HeaderConflict`;
    ``first_column`` is the sheet column (0-based) of ``headers[0]``, for the column letters it names."""
    texts = tuple("" if h is None else str(h).strip() for h in headers)
    found: dict[str, list[tuple[int, int]]] = {}       # column → [(rank, position)]
    ignored: list[int] = []
    unmapped: list[int] = []
    for i, text in enumerate(texts):
        if not text:
            continue
        column, how = target_of(text, aliases, ledger=ledger)
        if column is None:
            (ignored if how == "alias" else unmapped).append(i)
            continue
        found.setdefault(column, []).append((_rank(how, ledger), i))
    columns: dict[int, str] = {}
    how_of: dict[int, str] = {}
    for column, candidates in found.items():
        best = min(r for r, _ in candidates)
        top = [i for r, i in candidates if r == best]
        distinct = {}
        for i in top:
            distinct.setdefault(normalize(texts[i]), i)
        if len(distinct) > 1:
            a, b = list(distinct.values())[:2]
            raise HeaderConflict(
                f"{where}表头中“{texts[a]}”（{column_letter(first_column + a)}列）和“{texts[b]}”"
                f"（{column_letter(first_column + b)}列）"
                f"都对应台账的“{column}”列，无法确定用哪一列：请删除或改名其中一列，或在台账的“{SHEET_ALIASES}”表中"
                f"写明（{ALIAS_COLUMNS[0]}填其中一列，{ALIAS_COLUMNS[1]}填“{column}”；另一列的台账列名填“{IGNORE}”）。")
        first = top[0]
        columns[first] = column
        how_of[first] = next(h for h in ("own", "alias", "synonym") if _rank(h, ledger) == best)
        unmapped += [i for _, i in candidates if i != first]
    return HeaderMap(texts, columns, how_of, tuple(sorted(unmapped + ignored)))


def known_names(column: str, aliases: Aliases | None = None) -> list[str]:
    """Every header that maps to ``column``: its own name, the 列名对照 rows, the built-in synonyms."""
    names = [column]
    if aliases:
        names += [aliases.names[k] for k, v in aliases.targets.items() if v == column]
    return names + list(SYNONYMS.get(column, ()))


def describe_how(how: str) -> str:
    return _RANK_NAMES[how]


def synonyms_table() -> str:
    """The built-in synonyms as a Markdown table (docs/导入工单.md is checked against it)."""
    lines = ["| 台账列名 | 也识别为 |", "|---|---|"]
    lines += [f"| {column} | {'、'.join(names)} |" for column, names in SYNONYMS.items()]
    return "\n".join(lines)
