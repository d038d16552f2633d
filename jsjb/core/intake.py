"""Intake and reconciliation with the 接诉即办 system (R24, CONTRACT §6): an export of the system
against the ledger, by 工单编号.

The reader (``jsjb.io.export``) hands over each sheet of the export as a :class:`Grid` of cell
texts; from there everything is here:

1. :func:`locate` finds the header in the sheet's first :data:`SCAN_ROWS` rows — one row, or two
   when the names stand in a second row under merged group titles (工单信息 | 办理信息) — and maps
   it onto the ledger's columns (``core.headers``: built-in synonyms and the ledger's 列名对照);
2. :func:`parse_export` types the rows with the ledger's own parser (``core.ledger.parse_tickets``:
   the same time spellings, vocabularies and day counts as the ledger);
3. :func:`reconcile` classifies every row (R24):

   - an id is 工单编号 trimmed, full-width digits and letters folded (:func:`fold_ids`);
   - **invalid**: a row without an id, or whose 派单时间 is blank or unreadable — reported by sheet row
     (a row with data only in columns that map to nothing has no id: invalid too);
   - **duplicate**: an id a second time (its first row counts, whatever the first row is);
   - **new**: the first row of an id the ledger does not hold;
   - **changed**: the first row of an id the ledger holds, one entry per field that differs —
     times equal to the minute are equal (both floored to the minute), 法定期限 by date, text after
     trimming, 承办企业 by the full name (a 简称 of the 承办企业 sheet is its enterprise), day counts
     by number; a cell that cannot be read is compared as its text;
   - **missing in export**: a ledger ticket dispatched within the export's first..last 派单时间
     (to the minute, both ends included) whose id no row of the export carries.

   Only the fields both the export and the ledger's sheet have are compared. The ledger's first row
   of an id stands for it (``check`` reports the repeats).

R19: caller data in the export is the ledger's own data; it goes unmasked only into the rows to
paste (:meth:`Reconciliation.paste`). Every other view — the ``--json`` result, the 核对结果 sheet,
the pages, the button's question — shows 来话人 as 张**, 联系电话 as 138****1234, 地址 hidden and
诉求内容/备注 scrubbed (``core.masking``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from . import codes as C
from . import schema as S
from .enterprises import canonical
from .errors import ExportError
from .headers import SHEET_ALIASES, Aliases, HeaderMap, column_letter, known_names, map_headers, target_of
from .ledger import ROW, Issue, Ledger, parse_tickets
from .masking import ADDRESS_MASK, mask_name, mask_phone, scrub_texts
from .timeconv import iso

SCAN_ROWS = 50            # the header must start within the first 50 rows of a sheet
SHEET = "_sheet"          # the export's sheet of each row, carried as a column (ROW: its sheet row)
TEXT_DTYPE = pd.StringDtype("pyarrow", na_value=np.nan)

# categories of the 核对结果 sheet
NEW, CHANGED, MISSING, DUPLICATE, INVALID, UNREADABLE = "新工单", "不一致", "系统导出中没有", "重复", "无效行", "无法识别的值"
REPORT_COLUMNS = ("类别", "工单编号", "字段", "台账中的值", "系统中的值", "导出文件位置", "台账行号", "说明")


@dataclass
class Grid:
    """One sheet of an export as read: cell texts (str; None for a blank cell), rows of any length.
    ``row0`` is the sheet row (1-based) of ``rows[0]``, ``col0`` the sheet column (0-based) of
    each row's first cell."""

    name: str
    rows: list[list[str | None]]
    row0: int = 1
    col0: int = 0


@dataclass
class ExportSheet:
    """A sheet whose header was found: the header's mapping, its sheet rows and the data rows after it."""

    name: str
    header: HeaderMap
    header_rows: tuple[int, int]
    data: list[list[str | None]]
    first_row: int
    col0: int = 0


def place(source: str, sheet: str, row: int | None = None, column: str | None = None) -> str:
    """Where something is, in the words of every message: 导出文件“x.xlsx”的“Sheet1”表第5行【派单时间】."""
    text = f"导出文件“{source}”" + (f"的“{sheet}”表" if sheet else "")
    if row is not None:
        text += f"第{row}行"
    if column:
        text += f"【{column}】"
    return text


# -- 1. the header -----------------------------------------------------------------------------------
def _text(row: Sequence[str | None], j: int) -> str:
    v = row[j] if j < len(row) else None
    return "" if v is None else str(v).strip()


def _names(rows: Sequence[Sequence[str | None]], aliases: Aliases) -> list[str]:
    """The header name of each column of a one- or two-row header block. Two rows: the lower cell,
    else upper + lower (a name split over two cells), else the upper cell (a name merged over both
    rows, or written in the upper row only) — the first that maps to a ledger column, else the
    first that is not blank."""
    width = max((len(r) for r in rows), default=0)
    out = []
    for j in range(width):
        if len(rows) == 1:
            out.append(_text(rows[0], j))
            continue
        upper, lower = _text(rows[0], j), _text(rows[1], j)
        candidates = [c for c in (lower, upper + lower if upper != lower else lower, upper) if c]
        chosen = next((c for c in candidates if target_of(c, aliases)[0]), candidates[0] if candidates else "")
        out.append(chosen)
    return out


def _score(names: list[str], aliases: Aliases) -> tuple[int, int | None]:
    """(distinct ledger columns the names map to, the position of the 工单编号 column) — 0 when no id."""
    targets = [target_of(n, aliases)[0] for n in names]
    if S.ID not in targets:
        return 0, None
    return len({t for t in targets if t}), targets.index(S.ID)


def locate(grid: Grid, aliases: Aliases | None = None, source: str = "") -> ExportSheet | None:
    """Find the header of an export sheet (the first of its :data:`SCAN_ROWS` rows that names a
    工单编号 and at least one other column; or two rows whose cells together do, when the second adds
    columns and is not a data row) and map it. None when the sheet has no such header.
    Raises :class:`~jsjb.core.headers.HeaderConflict` for two headers of one column."""
    aliases = aliases or Aliases()
    rows = grid.rows
    for r in range(min(SCAN_ROWS, len(rows))):
        single = _names(rows[r:r + 1], aliases)
        alone = _score(single, aliases)[0]
        if r + 1 < len(rows):
            pair = _names(rows[r:r + 2], aliases)
            together, id_at = _score(pair, aliases)
            below_id = _text(rows[r + 1], id_at) if id_at is not None else ""
            if not below_id or target_of(below_id, aliases)[0] == S.ID:       # the row below is no data row
                below = _score(_names(rows[r + 1:r + 2], aliases), aliases)[0]
                if below >= together and below > alone:
                    continue                                   # a title or group row: the header is below
                if together >= 2 and together > max(below, alone):      # the second row adds columns
                    return _sheet(grid, r, r + 1, pair, aliases, source)
        if alone >= 2:
            return _sheet(grid, r, r, single, aliases, source)
    return None


def _sheet(grid: Grid, top: int, bottom: int, names: list[str], aliases: Aliases, source: str) -> ExportSheet:
    # the names stand in sheet columns col0 + j; positions before col0 are not part of the grid
    where = place(source, grid.name, grid.row0 + bottom)
    header = map_headers(names, aliases, where=where, first_column=grid.col0)
    return ExportSheet(grid.name, header, (grid.row0 + top, grid.row0 + bottom), grid.rows[bottom + 1:],
                       grid.row0 + bottom + 1, grid.col0)


def locate_all(grids: Sequence[Grid], aliases: Aliases | None = None, source: str = "") -> tuple[list[ExportSheet], list[str]]:
    """The sheets of an export that hold tickets (a header with 工单编号), and notes about the
    non-empty sheets that do not. Raises :class:`ExportError` when no sheet has such a header, or
    one of them has no 派单时间 column."""
    found, notes = [], []
    for grid in grids:
        sheet = locate(grid, aliases, source)
        if sheet is None:
            if any(any(v not in (None, "") for v in row) for row in grid.rows):
                notes.append(f"{place(source, grid.name)}中没有找到“{S.ID}”列，未读取该表。")
            continue
        if sheet.header.position(S.DISPATCHED) is None:
            raise ExportError(
                f"{place(source, sheet.name, sheet.header_rows[1])}的表头中没有“{S.DISPATCHED}”列"
                f"（可识别的列名：{'、'.join(known_names(S.DISPATCHED, aliases))}）：无法判断工单的派单时间。"
                f"请在台账的“{SHEET_ALIASES}”表中写明系统的列名（系统列名、台账列名两列）。", C.NO_DISPATCH_COLUMN)
        found.append(sheet)
    if not found:
        names = "、".join(f"“{g.name}”" for g in grids if g.name) or "文件"
        raise ExportError(
            f"{place(source, '')}的{names}前{SCAN_ROWS}行中找不到工单的表头（须有“{S.ID}”列，可识别的列名："
            f"{'、'.join(known_names(S.ID, aliases))}）。请确认选择的是接诉即办系统导出的工单文件；"
            f"系统用的列名不同时，请在台账的“{SHEET_ALIASES}”表中写明（系统列名、台账列名两列）。")
    return found, notes


# -- 2. typed rows -------------------------------------------------------------------------------------
@dataclass
class Export:
    """The tickets of an export: ``tickets`` typed by the ledger's parser (every input column; ID
    folded) plus SHEET and ROW; ``raw`` the same rows' cell texts (the export's columns only);
    ``issues`` the cells that cannot be used; ``empty_id`` (sheet, row) of the rows whose data
    stands only in columns that map to nothing."""

    source: str
    sheets: list[ExportSheet]
    tickets: pd.DataFrame
    raw: pd.DataFrame
    columns: list[str]
    issues: list[Issue] = field(default_factory=list)
    empty_id: list[tuple[str, int]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def mapping(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for sheet in self.sheets:
            for header, column in sheet.header.mapping.items():
                out.setdefault(header, column)
        return out

    @property
    def unmapped(self) -> list[str]:
        out: list[str] = []
        for sheet in self.sheets:
            out += [h for h in sheet.header.unmapped_names if h not in out]
        return out


_FOLD = {0xFF10 + i: 0x30 + i for i in range(10)} | {0xFF21 + i: 0x41 + i for i in range(26)} \
    | {0xFF41 + i: 0x61 + i for i in range(26)}


def fold_ids(col: pd.Series) -> pd.Series:
    """工单编号 as compared (R24): full-width digits and letters folded to ASCII, white space trimmed
    (the ideographic space too); None where blank. Object dtype. Arrow finds the few ids with a
    full-width character; only those are translated (100,000 ids: 25 ms)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = pa.array(col.astype(object).where(col.notna(), None).tolist(), type=pa.string()) if len(col) else \
        pa.array([], type=pa.string())
    wide = pc.fill_null(pc.match_substring_regex(arr, "[\uff10-\uff19\uff21-\uff3a\uff41-\uff5a]"), False)
    values = arr.to_numpy(zero_copy_only=False).astype(object)
    for k in np.flatnonzero(wide.to_numpy(zero_copy_only=False)):
        values[k] = values[k].translate(_FOLD)
    text = pc.utf8_trim(pa.array(values, type=pa.string()), " \t\r\n\u3000\u00a0")
    text = pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.string()), text)
    return pd.Series(text.to_numpy(zero_copy_only=False), index=col.index, dtype=object)


def parse_export(sheets: Sequence[ExportSheet], source: str = "", notes: Sequence[str] = ()) -> Export:
    """The data rows of the export's sheets → :class:`Export` (one frame over all sheets, in sheet order)."""
    columns = [c for c in S.INPUT_NAMES if any(s.header.position(c) is not None for s in sheets)]
    typed_parts, raw_parts, issues, empty_id = [], [], [], []
    for sheet in sheets:
        positions = {c: sheet.header.position(c) for c in columns}
        data = sheet.data
        filled = [k for k, row in enumerate(data) if any(v is not None and str(v).strip() for v in row)]
        rows = np.asarray(filled, dtype=np.int64) + sheet.first_row
        kept = [data[k] for k in filled]
        raw = pd.DataFrame({c: pd.Series([r[j] if j < len(r) else None for r in kept], dtype=TEXT_DTYPE)
                            for c, j in positions.items() if j is not None}, index=range(len(filled)))
        typed, found = parse_tickets(raw, first_row=0)
        kept = typed[ROW].to_numpy()
        dropped = np.setdiff1d(np.arange(len(filled)), kept)
        empty_id += [(sheet.name, int(rows[k])) for k in dropped]
        typed[ROW] = rows[kept]
        typed[SHEET] = sheet.name
        typed[S.ID] = fold_ids(typed[S.ID])
        raw = raw.iloc[kept].reset_index(drop=True)
        raw[ROW], raw[SHEET] = rows[kept], sheet.name
        issues += [Issue(int(rows[i.row]), i.column, i.value, i.message, i.level, sheet.name, i.code) for i in found]
        typed_parts.append(typed)
        raw_parts.append(raw)
    tickets = pd.concat(typed_parts, ignore_index=True) if typed_parts else pd.DataFrame()
    raw = pd.concat(raw_parts, ignore_index=True) if raw_parts else pd.DataFrame()
    return Export(source, list(sheets), tickets, raw, columns, issues, empty_id, list(notes))


# -- 3. the comparison ------------------------------------------------------------------------------------
def _floor(col: pd.Series) -> pd.Series:
    return pd.to_datetime(col).dt.floor("min")


def _equal(kind: str, a: pd.Series, b: pd.Series) -> np.ndarray:
    """Element-wise equality of two typed columns by R24 (blank equals blank)."""
    if kind == S.DATETIME:
        a, b = _floor(a), _floor(b)
    elif kind == S.DATE:
        a, b = pd.to_datetime(a).dt.normalize(), pd.to_datetime(b).dt.normalize()
    elif kind == S.DAYS:
        a, b = pd.to_numeric(a), pd.to_numeric(b)
    else:
        a = pd.Series(a, dtype=TEXT_DTYPE).str.strip().replace("", np.nan)
        b = pd.Series(b, dtype=TEXT_DTYPE).str.strip().replace("", np.nan)
    both_blank = (a.isna() & b.isna()).to_numpy()
    same = (a.to_numpy() == b.to_numpy()) if kind in (S.DATETIME, S.DATE, S.DAYS) else (a == b).fillna(False).to_numpy()
    return both_blank | np.asarray(same, dtype=bool)


@dataclass
class Reconciliation:
    """What an export says against the ledger (R24). ``new``: the typed first rows of the new ids
    (export order) and ``new_raw`` their cell texts; ``changed``: one row per differing field (id,
    field, ledger, export — masked by R19 —, sheet, row, ledger_row); ``missing``: ledger tickets
    (id, 派单时间, 承办企业, ledger_row); ``duplicates``: (id, sheet, first row, later rows);
    ``invalid``: (sheet, row, id, reason); ``warnings``: unreadable cells of the other columns."""

    export: Export
    new: pd.DataFrame
    new_raw: pd.DataFrame
    changed: pd.DataFrame
    missing: pd.DataFrame
    duplicates: list[dict]
    invalid: list[dict]
    warnings: list[dict]
    compared: list[str]
    span: tuple[pd.Timestamp | None, pd.Timestamp | None]
    layout: tuple[str, ...] = ()
    last_row: int = 1
    matched: int = 0            # first valid rows of ids the ledger holds
    repeated: int = 0           # later rows of duplicated ids (not invalid themselves)

    @property
    def nothing_to_do(self) -> bool:
        return not (len(self.new) or len(self.changed) or len(self.missing) or self.duplicates or self.invalid)

    def counts(self) -> dict[str, int]:
        """How many of each; every row of the export is in exactly one of ``new``, ``matched`` (an id the
        ledger holds), ``repeated`` (a later row of a duplicated id) and ``invalid``: they add up to ``rows``."""
        return {"rows": len(self.export.tickets) + len(self.export.empty_id), "new": len(self.new),
                "matched": self.matched, "repeated": self.repeated, "invalid": len(self.invalid),
                "changed": len(self.changed), "changed_tickets": int(self.changed["id"].nunique()) if len(self.changed) else 0,
                "missing_in_export": len(self.missing), "duplicates": len(self.duplicates)}

    def json(self) -> dict:
        """CONTRACT §6 (keys fixed; the rest are extra)."""
        ex = self.export
        return {
            "export": ex.source,
            "sheets": [{"sheet": s.name, "header_rows": list(s.header_rows)} for s in ex.sheets],
            "mapping": ex.mapping,
            "unmapped": ex.unmapped,
            "compared": self.compared,
            "span": [iso(self.span[0]), iso(self.span[1])],
            "new": self.new[S.ID].tolist(),
            "changed": [{"id": r.id, "field": r.field, "ledger": r.ledger, "export": r.export, "sheet": r.sheet,
                         "row": int(r.row), "ledger_row": int(r.ledger_row)} for r in self.changed.itertuples(index=False)],
            "missing_in_export": self.missing["id"].tolist(),
            "duplicates": [d["id"] for d in self.duplicates],
            "duplicate_rows": self.duplicates,
            "invalid": self.invalid,
            "warnings": self.warnings,
            "counts": self.counts(),
            "paste_at_row": self.last_row + 1,
            "notes": ex.notes,
        }

    # -- the rows to paste ------------------------------------------------------------------------------
    def paste(self, layout: Sequence[str] | None = None) -> pd.DataFrame:
        """The new tickets as rows of the ledger's 工单台账 (R24: its own data, unmasked): one column per
        position of ``layout`` (the ledger's header, default :attr:`layout`, else the contract order),
        up to its last input column; a position that is no input column stays blank. Values typed
        (times as datetime64, 法定期限 as a date at midnight, day counts as numbers); a cell the parser
        could not read keeps its text, so nothing is lost."""
        layout = list(layout or self.layout or S.INPUT_NAMES)
        inputs = [k for k, name in enumerate(layout) if name in S.COLUMNS]
        layout = layout[: (inputs[-1] + 1) if inputs else 0]
        out = {}
        for k, name in enumerate(layout):
            key = name if name and name not in out else f"（第{column_letter(k)}列）"
            if key == name and name in S.COLUMNS and (name in self.export.columns or name == S.ID):
                out[key] = self._paste_column(name)
            else:
                out[key] = pd.Series([None] * len(self.new), dtype=object)
        return pd.DataFrame(out, index=range(len(self.new)))

    def _paste_column(self, name: str) -> pd.Series:
        typed = self.new[name].reset_index(drop=True)
        if name == S.ID:
            return typed.astype(object)
        col = S.COLUMNS[name]
        raw = self.new_raw[name].reset_index(drop=True) if name in self.new_raw else None
        if col.kind in (S.DATETIME, S.DATE, S.DAYS) or col.vocab:
            unread = typed.isna().to_numpy() & (raw.notna().to_numpy() if raw is not None else False)
            if raw is not None and unread.any():
                values = typed.astype(object).where(typed.notna(), None)
                if col.kind == S.DAYS:
                    values = values.map(lambda v: None if v is None else int(v))
                values[unread] = raw[unread].str.strip().to_numpy()
                return values
            if col.kind == S.DAYS:
                return typed.astype("Float64").round().astype("Int64")
            return typed
        return typed.astype(object).where(typed.notna(), None)

    # -- the 核对结果 sheet ---------------------------------------------------------------------------------
    def report(self) -> pd.DataFrame:
        """Every difference as one row of the 核对结果 sheet (:data:`REPORT_COLUMNS`), masked by R19:
        new tickets, per-field differences, tickets the export lacks, duplicates, invalid rows and
        unreadable cells — in that order."""
        ex = self.export
        rows = []

        def where(sheet, row):
            return f"{sheet}第{row}行" if sheet else f"第{row}行"
        for d in self.new[[S.ID, S.DISPATCHED, S.ENTERPRISE, SHEET, ROW]].to_dict("records"):
            rows.append([NEW, d[S.ID], S.DISPATCHED, None, _show(d[S.DISPATCHED]), where(d[SHEET], d[ROW]), None,
                         f"台账中没有；承办企业：{d[S.ENTERPRISE] or '（空）'}。请把“{S.SHEET_TICKETS}”表中的该行粘贴到台账"])
        for r in self.changed.itertuples(index=False):
            rows.append([CHANGED, r.id, r.field, _show(r.ledger), _show(r.export), where(r.sheet, r.row), r.ledger_row,
                         "以系统数据为统计依据；如系统尚未更新，请核实后再决定是否修改台账"])
        for r in self.missing.itertuples(index=False):
            rows.append([MISSING, r.id, S.DISPATCHED, _show(r.dispatched), None, None, r.ledger_row,
                         f"台账中的该工单在导出时间范围内，但导出文件中没有；承办企业：{r.enterprise or '（空）'}"])
        for d in self.duplicates:
            later = "、".join(map(str, d["rows"][1:]))
            rows.append([DUPLICATE, d["id"], None, None, None, where(d["sheet"], d["rows"][0]), None,
                         f"导出文件中该工单编号重复，以第{d['rows'][0]}行为准；重复的行：第{later}行"])
        for d in self.invalid:
            rows.append([INVALID, d["id"], d.get("column"), None, None, where(d["sheet"], d["row"]), None, d["reason"]])
        for d in self.warnings:
            rows.append([UNREADABLE, d["id"], d["column"], None, d["value"], where(d["sheet"], d["row"]), None, d["message"]])
        frame = pd.DataFrame(rows, columns=list(REPORT_COLUMNS), dtype=object)
        frame[REPORT_COLUMNS[-2]] = pd.Series([None if v is None or pd.isna(v) else int(v) for v in frame[REPORT_COLUMNS[-2]]],
                                              index=frame.index, dtype=object)
        if ex.source:
            frame.attrs["source"] = ex.source
        return frame


def _show(v) -> str | None:
    """A value of the 核对结果 sheet as text: times to the minute (what R24 compares)."""
    if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NaT:
        return None
    if isinstance(v, str):
        try:
            if len(v) >= 16 and v[4] == "-" and v[10] == "T":
                return v[:16].replace("T", " ")
        except IndexError:
            pass
        return v
    if isinstance(v, pd.Timestamp):
        return f"{v:%Y-%m-%d %H:%M}"
    return str(v)


def _jsonable(v, kind: str):
    if v is None or v is pd.NaT or (isinstance(v, float) and np.isnan(v)):
        return None
    if isinstance(v, pd.Timestamp | np.datetime64):
        t = pd.Timestamp(v)
        return t.date().isoformat() if kind == S.DATE else iso(t)
    if isinstance(v, float | np.floating):
        return int(v) if float(v).is_integer() else float(v)
    return str(v)


def _masked(field: str, values: list, own: dict[str, list]) -> list:
    """One side's values of ``field`` as they may be shown (R19)."""
    if field == S.CALLER:
        return [mask_name(v) for v in values]
    if field == S.PHONE:
        return [mask_phone(v) for v in values]
    if field == S.ADDRESS:
        return [None if v is None else ADDRESS_MASK for v in values]
    if field in S.FREE_TEXT_COLUMNS:
        scrubbed = scrub_texts(pd.Series(values, dtype=object), own[S.CALLER], own[S.PHONE], own[S.ADDRESS])
        return scrubbed.tolist()
    return values


def _bad_cells(issues: Sequence[Issue], *, with_sheet: bool) -> dict[str, dict]:
    """column → {row (or (sheet, row)) → the cell as written}, for the cells a parser could not use."""
    out: dict[str, dict] = {}
    for i in issues:
        if i.row is not None and i.level == "error":
            out.setdefault(i.column, {})[(i.sheet, i.row) if with_sheet else i.row] = i.value
    return out


def _shown_at(values: pd.Series, texts: pd.Series | None, k: int, kind: str):
    """A side's value at position ``k`` as compared and shown: the typed value as JSON, or the cell's
    text where it could not be read."""
    if texts is not None:
        text = texts.iloc[k]
        if text is not None and not (isinstance(text, float) and np.isnan(text)):
            return str(text).strip()
    return _jsonable(values.iloc[k], kind)


def needed_rows(raw: pd.DataFrame, export: Export, first_row: int = S.FIRST_DATA_ROW) -> tuple[np.ndarray, int]:
    """Which rows of a ledger's raw 工单台账 an intake of ``export`` can concern — those whose id the
    export carries and those dispatched within its first..last 派单时间 (to the minute) — and the
    sheet row of the ledger's last ticket (its last row with any input cell filled). The rest need not
    be parsed: a 10,000-row export against a 1,000,000-row ledger parses a few per cent of it.
    Whole-column work on the reader's Arrow text."""
    from .ledger import _arrow_clean, _is_arrow_text
    from .timeconv import is_blank, to_timestamps

    n = len(raw)
    filled = np.zeros(n, dtype=bool)
    for name in (c for c in S.INPUT_NAMES if c in raw.columns):
        col = raw[name]
        filled |= _arrow_clean(col).is_valid().to_numpy(zero_copy_only=False) if _is_arrow_text(col) \
            else ~is_blank(col).to_numpy()
    last_row = int(np.flatnonzero(filled)[-1]) + first_row if filled.any() else first_row - 1
    keep = np.zeros(n, dtype=bool)
    E = export.tickets  # noqa: N806
    if not len(E):
        return keep, last_row
    ids = set(E[S.ID].dropna())
    if S.ID in raw.columns and ids:
        keep |= fold_ids(raw[S.ID]).isin(ids).to_numpy()
    times = E[S.DISPATCHED][E[S.ID].notna()].dropna()
    if S.DISPATCHED in raw.columns and len(times):
        lo, hi = _floor(times).min(), _floor(times).max()
        at, _ = to_timestamps(raw[S.DISPATCHED].reset_index(drop=True))
        at = _floor(at)
        keep |= ((at >= lo) & (at <= hi)).to_numpy()
    return keep & filled, last_row


def reconcile(export: Export, ledger: Ledger, layout: Sequence[str] | None = None,
              last_row: int | None = None) -> Reconciliation:
    """Classify every row of ``export`` against ``ledger`` (R24; the module docstring). Whole-column
    work: one hash lookup of the ids, one comparison per field. ``ledger`` may hold only the tickets of
    :func:`needed_rows`; then ``last_row`` (the sheet row of its last ticket) comes from there."""
    E = export.tickets.reset_index(drop=True)  # noqa: N806
    L = ledger.tickets                         # noqa: N806
    n = len(E)
    layout = tuple(layout or getattr(ledger, "header", ()) or ())
    if n == 0:
        E = pd.DataFrame({c: pd.Series(dtype=object) for c in (*S.INPUT_NAMES, ROW, SHEET)})  # noqa: N806
    ids = E[S.ID]
    has_id = ids.notna().to_numpy()
    bad_time = {(i.sheet, i.row): i for i in export.issues if i.column == S.DISPATCHED}
    time_bad = np.zeros(n, dtype=bool)
    if bad_time:
        time_bad = np.array([k in bad_time for k in zip(E[SHEET].tolist(), E[ROW].tolist())], dtype=bool)
    no_time = E[S.DISPATCHED].isna().to_numpy() & ~time_bad
    invalid_mask = ~has_id | time_bad | no_time
    dup = ids.duplicated(keep="first").to_numpy() & has_id
    first = has_id & ~dup
    valid = first & ~invalid_mask

    # the ledger: the first row of each id stands for it
    lids = fold_ids(L[S.ID]) if len(L) else pd.Series([], dtype=object)
    lfirst = lids.notna().to_numpy() & ~lids.duplicated(keep="first").to_numpy()
    lpos = np.flatnonzero(lfirst)
    index = pd.Index(lids[lfirst].to_numpy())
    found = index.get_indexer(ids.where(pd.Series(valid), None).to_numpy()) if n else np.array([], dtype=np.int64)
    found = np.where(valid, found, -1)
    new = valid & (found < 0)
    both = valid & (found >= 0)

    # per-field differences
    present = set(layout) if layout else set(S.INPUT_NAMES)
    compared = [c for c in export.columns if c != S.ID and c in present]
    ex_rows = np.flatnonzero(both)
    led_rows = lpos[found[both]]
    lraw = _bad_cells(ledger.issues, with_sheet=False)
    xraw = _bad_cells(export.issues, with_sheet=True)
    parts = []
    eside_all = E.iloc[ex_rows].reset_index(drop=True)
    lside_all = L.iloc[led_rows].reset_index(drop=True) if len(led_rows) else L.iloc[:0]
    if S.ENTERPRISE in compared:
        eside_all[S.ENTERPRISE] = canonical(eside_all[S.ENTERPRISE], ledger.enterprises)
    e_keys = pd.Series(list(zip(eside_all[SHEET], eside_all[ROW])), dtype=object) if xraw else None
    for order, name in enumerate(compared):
        col = S.COLUMNS[name]
        kind = col.kind if not col.vocab else S.TEXT
        e_vals, l_vals = eside_all[name], lside_all[name].reset_index(drop=True)
        equal = _equal(kind, e_vals, l_vals)
        # a cell that could not be read (either side) is compared as its text
        e_text = e_keys.map(xraw[name]).astype(object) if name in xraw else None
        l_text = lside_all[ROW].map(lraw[name]).astype(object) if name in lraw else None
        odd = np.zeros(len(equal), dtype=bool)
        if e_text is not None:
            odd |= e_text.notna().to_numpy()
        if l_text is not None:
            odd |= l_text.notna().to_numpy()
        for k in np.flatnonzero(odd):
            a, b = _shown_at(e_vals, e_text, k, kind), _shown_at(l_vals, l_text, k, kind)
            equal[k] = (a is None and b is None) or (a is not None and b is not None and str(a).strip() == str(b).strip())
        differ = np.flatnonzero(~equal)
        if not len(differ):
            continue
        ev = [_shown_at(e_vals, e_text, k, kind) for k in differ]
        lv = [_shown_at(l_vals, l_text, k, kind) for k in differ]
        e_own = {c: eside_all[c].iloc[differ].tolist() for c in S.PERSONAL_COLUMNS}
        l_own = {c: lside_all[c].iloc[differ].tolist() for c in S.PERSONAL_COLUMNS}
        parts.append(pd.DataFrame({
            "id": eside_all[S.ID].iloc[differ].to_numpy(), "field": name,
            "ledger": pd.Series(_masked(name, lv, l_own), dtype=object),
            "export": pd.Series(_masked(name, ev, e_own), dtype=object),
            "sheet": eside_all[SHEET].iloc[differ].to_numpy(), "row": eside_all[ROW].iloc[differ].to_numpy(),
            "ledger_row": lside_all[ROW].iloc[differ].to_numpy(), "_pos": ex_rows[differ], "_order": order}))
    if parts:
        changed = pd.concat(parts, ignore_index=True).sort_values(["_pos", "_order"], kind="stable")
        changed = changed.drop(columns=["_pos", "_order"]).reset_index(drop=True)
    else:
        changed = pd.DataFrame({c: pd.Series(dtype=object) for c in ("id", "field", "ledger", "export", "sheet", "row",
                                                                      "ledger_row")})

    # ledger tickets the export lacks, within its first..last 派单时间
    times = _floor(E.loc[valid, S.DISPATCHED]) if valid.any() else pd.Series([], dtype="datetime64[ns]")
    span = (times.min(), times.max()) if len(times) else (None, None)
    if span[0] is not None and len(L):
        lt = _floor(L[S.DISPATCHED])
        inside = lfirst & (lt >= span[0]).to_numpy() & (lt <= span[1]).to_numpy()
        lacks = inside & ~lids.isin(set(ids[has_id])).to_numpy()
        miss = L[lacks].assign(_id=lids[lacks]).sort_values([S.DISPATCHED, ROW], kind="stable")
        missing = pd.DataFrame({"id": miss["_id"].to_numpy(), "dispatched": miss[S.DISPATCHED].to_numpy(),
                                "enterprise": miss[S.ENTERPRISE].to_numpy(), "ledger_row": miss[ROW].to_numpy()})
    else:
        missing = pd.DataFrame({"id": pd.Series(dtype=object), "dispatched": pd.Series(dtype="datetime64[ns]"),
                                "enterprise": pd.Series(dtype=object), "ledger_row": pd.Series(dtype=np.int64)})

    # duplicates: every later row of an id, grouped under its first
    duplicates = []
    if dup.any():
        again = ids.duplicated(keep=False).to_numpy() & has_id
        groups: dict[str, dict] = {}
        for i, sheet, row in zip(ids[again].tolist(), E.loc[again, SHEET].tolist(), E.loc[again, ROW].tolist()):
            if i not in groups:
                groups[i] = {"id": i, "sheet": sheet, "rows": [int(row)]}
            else:
                groups[i]["rows"].append(int(row))
        duplicates = list(groups.values())

    # invalid rows: no id, no usable 派单时间 (and rows with data only in unmapped columns)
    invalid = []
    sheets_of, rows_of = E[SHEET].to_numpy(), E[ROW].to_numpy()
    for k in np.flatnonzero(invalid_mask):
        sheet, row = sheets_of[k], int(rows_of[k])
        reasons, column = [], S.ID
        if not has_id[k]:
            reasons.append(f"缺少{S.ID}")
        if time_bad[k] or no_time[k]:
            text = bad_time[(sheet, row)].message if time_bad[k] else f"缺少{S.DISPATCHED}"
            reasons.append(text if has_id[k] else f"{S.DISPATCHED}：{text}")
            column = S.DISPATCHED if has_id[k] else column
        invalid.append({"sheet": sheet, "row": row, "id": ids.iloc[k], "column": column,
                        "reason": f"{place(export.source, sheet, row, column)}：{'；'.join(reasons)}"})
    for sheet, row in export.empty_id:
        invalid.append({"sheet": sheet, "row": row, "id": None, "column": S.ID,
                        "reason": f"{place(export.source, sheet, row, S.ID)}：缺少{S.ID}（该行只在不对应台账的列中有内容）"})
    order = {s.name: k for k, s in enumerate(export.sheets)}
    invalid.sort(key=lambda d: (order.get(d["sheet"], 0), d["row"]))

    others = [i for i in export.issues if i.column != S.DISPATCHED]
    id_at = dict(zip(zip(E[SHEET].tolist(), E[ROW].tolist()), ids.tolist())) if others else {}
    warnings = [{"sheet": i.sheet, "row": i.row, "column": i.column, "value": i.value, "code": i.code,
                 "id": id_at.get((i.sheet, i.row)), "message": f"{place(export.source, i.sheet, i.row, i.column)}：{i.message}"}
                for i in others]

    new_rows = E[new].reset_index(drop=True)
    raw = export.raw.reset_index(drop=True)
    new_raw = raw[new].reset_index(drop=True) if len(raw) else raw
    if last_row is None:
        last_row = int(L[ROW].max()) if len(L) else 1
    return Reconciliation(export, new_rows, new_raw, changed, missing, duplicates, invalid, warnings, compared,
                          span, layout, last_row, int(both.sum()), int((dup & ~invalid_mask).sum()))
