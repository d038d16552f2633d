"""Workbooks of the everyday jobs: the daily dispatch list (日调度) for the office and for each
enterprise, and the archive (立卷存档). Values only, caller data masked or absent (R19), text
never a formula (R20), written atomically (R21)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..core import schema as S
from ..core.archive import ARCHIVE_NO
from ..core.dispatch import REASONS, DispatchList
from ..core.errors import LedgerFileError
from .book import Book
from .reports import OFFICE, PROPERTIES, enterprise_file_tag, ticket_list
from .writer import Table, atomic_path, write_tables


def _dispatch_rows(dl: DispatchList, t: pd.DataFrame, c: pd.DataFrame, index, *, caller: bool) -> pd.DataFrame:
    base = ticket_list(t, c, index, caller=caller)
    items = dl.items.loc[index]
    base.insert(0, "督办事项", ["；".join(r) for r in items["reasons"]])
    base.insert(0, "优先级", [REASONS.index(r) + 1 for r in items["reason"]])
    return base


def dispatch_table(dl: DispatchList, t: pd.DataFrame, c: pd.DataFrame) -> pd.DataFrame:
    """The office's list of every item (no caller data), as the 督办清单 sheet shows it."""
    return _dispatch_rows(dl, t, c, dl.items.index, caller=False)


def write_dispatch(out_dir: Path, dl: DispatchList, t: pd.DataFrame, c: pd.DataFrame,
                   enterprises: pd.DataFrame, progress=lambda _: None,
                   office_list: pd.DataFrame | None = None) -> dict[str, object]:
    """The office's dispatch workbook and one per enterprise with items; returns the paths.
    ``office_list``: the office's 督办清单 when the caller has it already (:func:`dispatch_table`)."""
    if office_list is None:
        office_list = dispatch_table(dl, t, c)
    out_dir = Path(out_dir)
    stamp = f"{dl.as_of:%Y-%m-%d}"
    when = f"{dl.as_of:%Y年%m月%d日 %H:%M}"
    office_path = out_dir / f"日调度_{stamp}.xlsx"

    def write_office(tmp: str) -> None:
        book = Book(tmp, **PROPERTIES)
        sh = book.sheet("汇总")
        sh.title(f"{OFFICE}“接诉即办”日调度（{when}）")
        sh.line(f"需督办工单 {len(dl.items)} 件。优先级：{dl.legend}。明细见“督办清单”工作表（来话人信息不在本表中）。")
        sh.row += 1
        counts = dl.counts.reset_index().rename(columns={"enterprise": "承办企业"})
        sh.table(counts)
        sh.widths([32, 12, 12, 8, 12, 14, 8, 8])
        sh.print_setup()
        ls = book.sheet("督办清单")
        ls.title(f"督办清单（{when}）")
        head, _ = ls.table(office_list, plain=True)
        ls.widths([6, 40, 16, 16, 30, 14, 10, 40, 8, 16, 16, 10, 8, 16, 16, 8, 30])
        ls.freeze(head + 1, 2)
        ls.print_setup(repeat_row=head)
        book.close()

    files = {"office": atomic_path(office_path, write_office), "enterprises": {}}
    names = list(dict.fromkeys(dl.items["enterprise"]))
    for k, name in enumerate(names, start=1):
        progress(f"写入企业日调度 {k}/{len(names)}：{name}")
        index = dl.items.index[dl.items["enterprise"] == name]

        def write_one(tmp: str, name=name, index=index) -> None:
            book = Book(tmp, **PROPERTIES)
            sh = book.sheet("督办清单")
            sh.title(f"{name} 督办清单（{when}）")
            sh.line(f"共 {len(index)} 件，请按优先级处理并及时向区国资委办公室反馈。来话人信息已脱敏，请勿外传（第20条）。")
            head, _ = sh.table(_dispatch_rows(dl, t, c, index, caller=True), plain=True)
            sh.widths([6, 40, 16, 16, 30, 14, 10, 40, 8, 14, 8, 16, 16, 10, 8, 16, 16, 8, 30])
            sh.freeze(head + 1, 2)
            sh.print_setup(repeat_row=head)
            book.close()

        path = out_dir / f"日调度_{stamp}_{enterprise_file_tag(name, enterprises)}.xlsx"
        files["enterprises"][name] = atomic_path(path, write_one)
    return files


def write_archive(path: Path, frames: dict[str, pd.DataFrame], as_of: pd.Timestamp) -> Path:
    notes = [f"统计时点：{as_of:%Y-%m-%d %H:%M}。归档号 = 办结年份-年内序号，已编号的工单保持原号。"
             "本表不含来话人姓名、电话、地址（第20条）。"]
    tables = [Table(name, frame, title=f"{name}（立卷存档，第17条）", notes=notes,
                    widths={"诉求内容": 40, "承办企业": 30, "提示": 30, "备注": 24})
              for name, frame in frames.items()]
    return write_tables(path, tables)


def read_numbers(path: Path) -> dict[str, str]:
    """工单编号 → 归档号 from a previous archive workbook (empty if there is none)."""
    path = Path(path)
    if not path.exists():
        return {}
    import fastexcel

    try:
        reader = fastexcel.read_excel(str(path))
        is_archive = "归档目录" in reader.sheet_names
    except Exception:  # noqa: BLE001 - not a workbook at all
        is_archive = False
    if not is_archive:     # R21: never replace a workbook that is not an earlier archive
        raise LedgerFileError(f"{path.name} 已存在，但不是归档文件（没有“归档目录”表）：为避免覆盖，请换一个归档文件名")
    table = None
    try:                                    # title, blank, header; only the two columns (0.2 s less at 100,000)
        table = reader.load_sheet_by_name("归档目录", header_row=2, dtypes="string",
                                          use_columns=[ARCHIVE_NO, S.ID]).to_arrow()
    except Exception:  # noqa: BLE001 - a column missing: read the whole sheet below
        pass
    try:
        if table is None:
            table = reader.load_sheet_by_name("归档目录", header_row=2, dtypes="string").to_arrow()
    except Exception:  # noqa: BLE001 - never renumber silently over an archive we cannot read
        raise LedgerFileError(f"无法读取已有的归档文件 {path.name}：为避免重复编号，请先移走或修复该文件") from None
    if ARCHIVE_NO not in table.column_names or S.ID not in table.column_names:
        return {}
    frame = table.select([ARCHIVE_NO, S.ID]).to_pandas().dropna()        # only the two columns become Python
    return dict(zip(frame[S.ID].astype(str), frame[ARCHIVE_NO].astype(str)))
