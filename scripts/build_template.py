"""Regenerate workbook/ledger_template.xlsx from the core's schema (``make template``).

The file is committed; tests/test_template.py fails if it drifts from this generator (compared
semantically: sheets, cells, formulas, drop-downs, tables, highlighting — not bytes).

    python scripts/build_template.py                 # workbook/ledger_template.xlsx (add-in formulas)
    python scripts/build_template.py --plain PATH    # the plain ledger (native formulas, #13), empty
    python scripts/build_template.py --picture       # docs/images/plain_ledger.png, as LibreOffice shows it
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import tempfile
from pathlib import Path

from jsjb.io.ledger_book import write_ledger
from jsjb.io.plain_book import write_plain_ledger

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "workbook" / "ledger_template.xlsx"
PICTURE = ROOT / "docs" / "images" / "plain_ledger.png"
SHOWN = ("工单编号", "派单时间", "时限类型", "延期1工作日", "挂单开始", "挂单结束", "办结时间",
         "办理期限", "材料截止", "状态", "是否及时", "提示")


# two tickets a clerk types into the first empty rows after the ledger was built (the picture's
# last rows): computed at once, like every ticket above them
TYPED = (("DS2026000001", "2026-01-04 10:20", "紧急"), ("DS2026000002", "2026-01-05 09:05", "一般"))


def picture(png: Path = PICTURE) -> None:
    """The plain ledger built from the bundled sample, two tickets typed into its first empty rows
    (input columns only), opened and computed by LibreOffice (soffice → PDF → pdftoppm), a
    readable subset of columns: docs/images/plain_ledger.png."""
    import openpyxl

    from jsjb.core import schema as S
    from jsjb.core.ledger import build
    from jsjb.core.rules import compute
    from jsjb.core.sample import generate
    from jsjb.io.plain_book import read_ledger_sheets

    spec = importlib.util.spec_from_file_location("render_docs", ROOT / "scripts" / "render_docs.py")
    render = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(render)
    sample = generate(3000, 2025, 8)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        source = work / "sample.xlsx"
        write_ledger(source, sample.sheets)
        sheets, params = read_ledger_sheets(source)
        ledger = build(sample.sheets)
        status = compute(ledger.tickets, ledger.params, ledger.calendar, sample.as_of)[S.STATUS]
        recent = (ledger.tickets[S.DISPATCHED] >= "2025-11-01").to_numpy()
        pick = []                         # a mix of statuses from the last weeks, in dispatch order
        for name, count in ((S.ST_OVERDUE, 5), (S.ST_DUE_SOON, 2), (S.ST_OPEN, 3), (S.ST_ON_HOLD, 2),
                            (S.ST_RETURNED, 2), (S.ST_CLOSED, 10)):
            pick += list(ledger.tickets.index[(status == name).to_numpy() & recent][-count:])
        rows = sorted(int(r) - 2 for r in ledger.tickets.loc[pick, "_row"])
        sheets["工单台账"] = sheets["工单台账"].iloc[rows].reset_index(drop=True)
        plain = work / "plain.xlsx"
        write_plain_ledger(plain, sheets, params=params, as_of=sample.as_of.to_pydatetime(), spare=4)
        wb = openpyxl.load_workbook(plain)         # a throw-away copy for the picture only
        ws = wb["工单台账"]
        header = [c.value for c in ws[1]]
        for k, (tid, sent, kind) in enumerate(TYPED):            # typed: input cells only
            row = len(rows) + 2 + k
            ws.cell(row, header.index(S.ID) + 1, tid)
            ws.cell(row, header.index(S.DISPATCHED) + 1, dt.datetime.fromisoformat(sent)).number_format = \
                "yyyy-mm-dd hh:mm"
            ws.cell(row, header.index(S.LIMIT_TYPE) + 1, kind)
            ws.cell(row, header.index(S.ENTERPRISE) + 1, "东胜区热力有限责任公司")
        for dim in list(ws.column_dimensions.values()):      # one entry per column, not per group
            dim.max = dim.min
        for idx, cell in enumerate(ws[1], start=1):
            letter = openpyxl.utils.get_column_letter(idx)
            ws.column_dimensions[letter].hidden = cell.value not in SHOWN
            ws.column_dimensions[letter].width = 34 if cell.value == "提示" else 16
        ws.page_setup.orientation = "landscape"
        ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.freeze_panes = None
        shown = work / "plain_picture.xlsx"
        wb.save(shown)
        png.parent.mkdir(parents=True, exist_ok=True)
        render.to_png(shown, png, work, dpi=130)


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--plain", metavar="PATH", help="write the empty plain ledger (native formulas) to PATH")
    ap.add_argument("--picture", action="store_true", help="render docs/images/plain_ledger.png")
    args = ap.parse_args()
    if args.plain:
        write_plain_ledger(args.plain)
        print(f"已生成通用公式版台账：{args.plain}")
    elif args.picture:
        picture()
        print(f"已生成 {PICTURE}")
    else:
        write_ledger(TEMPLATE)
        print(f"已生成 {TEMPLATE}")
