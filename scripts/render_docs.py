"""Render the pictures in docs/images/ (README): the ledger as Excel shows it with the add-in,
the first page of a monthly bulletin workbook, the first page, the first 附件 page and the last
page (版记) of its 公文 draft, and the 核对结果 of an intake (``jsjb intake``) —
through LibreOffice (PDF) and pdftoppm (PNG). ``python scripts/render_docs.py intake`` renders only the last.

Documentation only, never run by the tests. Needs LibreOffice and poppler-utils
(``apt-get install libreoffice-calc-nogui poppler-utils``).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import openpyxl

ROOT = Path(__file__).resolve().parent.parent
IMAGES = ROOT / "docs" / "images"
SHOWN = ("工单编号", "派单时间", "承办企业", "时限类型", "延期1工作日", "挂单开始", "办结时间", "办理期限", "状态",
         "是否及时", "提示")


def _content_box(pgm: Path) -> tuple[int, int, int, int]:
    """Bounding box (x, y, w, h) of the non-white pixels of a binary PGM (P5) image."""
    data = pgm.read_bytes()
    parts, pos = [], 0
    while len(parts) < 4:                      # magic, width, height, maxval
        while data[pos:pos + 1].isspace():
            pos += 1
        end = pos
        while not data[end:end + 1].isspace():
            end += 1
        parts.append(data[pos:end])
        pos = end
    pos += 1
    w, h = int(parts[1]), int(parts[2])
    pixels = data[pos:pos + w * h]
    rows = [y for y in range(h) if min(pixels[y * w:(y + 1) * w]) < 245]
    cols = [x for x in range(w) if min(pixels[x::w][:h]) < 245]
    pad = 12
    x0, y0 = max(cols[0] - pad, 0), max(rows[0] - pad, 0)
    return x0, y0, min(cols[-1] + pad, w) - x0, min(rows[-1] + pad, h) - y0


def to_png(xlsx: Path, png: Path, work: Path, dpi: int = 110) -> None:
    subprocess.run(["soffice", f"-env:UserInstallation=file://{work}/profile", "--headless", "--convert-to", "pdf",
                    "--outdir", str(work), str(xlsx)], check=True, capture_output=True, timeout=300)
    pdf = work / (xlsx.stem + ".pdf")
    gray = work / "page"
    subprocess.run(["pdftoppm", "-gray", "-r", str(dpi), "-f", "1", "-l", "1", "-singlefile", str(pdf), str(gray)],
                   check=True)
    x, y, w, h = _content_box(gray.with_suffix(".pgm"))
    subprocess.run(["pdftoppm", "-png", "-r", str(dpi), "-f", "1", "-l", "1", "-singlefile", "-x", str(x), "-y", str(y),
                    "-W", str(w), "-H", str(h), str(pdf), str(png.with_suffix(""))], check=True)


def draft_pages(ledger: Path, month: str, as_of, work: Path, dpi: int = 60) -> None:
    """The 公文 draft of ``month`` as the office receives it from ``--docx --pdf``: its first page
    (版头, title, body) and its last (the 版记), whole pages as printed."""
    from jsjb import jobs

    result = jobs.bulletin(ledger, month, as_of=as_of, out_dir=work / "draft", docx=True, pdf=True)
    pdf = Path(result.data["files"]["pdf"])
    info = subprocess.run(["pdfinfo", "-f", "1", "-l", "999", str(pdf)], capture_output=True, text=True,
                          check=True).stdout.splitlines()
    sizes = [[float(x) for x in re.findall(r"[\d.]+", line.split(":", 1)[1])[:2]] for line in info
             if re.match(r"Page\s+\d+ size:", line)]
    landscape = next(k for k, (w, h) in enumerate(sizes, start=1) if w > h)
    for page, name in ((1, "bulletin_docx.png"), (landscape, "bulletin_docx_attachment.png"),
                       (len(sizes), "bulletin_docx_last.png")):
        subprocess.run(["pdftoppm", "-png", "-r", str(dpi), "-f", str(page), "-l", str(page), "-singlefile", str(pdf),
                        str((IMAGES / name).with_suffix(""))], check=True)


def intake_picture() -> None:
    """docs/images/intake.png: the 核对结果 sheet of `jsjb intake` on a sample ledger and its sample export."""
    from jsjb import jobs

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        ledger, export, out = work / "ledger.xlsx", work / "export.xlsx", work / "intake.xlsx"
        jobs.sample(ledger, rows=3000, seed=8, export=export, export_rows=120)
        jobs.intake(export, ledger, out=out)
        wb = openpyxl.load_workbook(out)
        del wb["工单台账"]                    # a throw-away copy for the picture: the 核对结果 sheet only
        ws = wb["核对结果"]
        report = [r for r in ws.iter_rows(min_row=4) if r[0].value]
        keep, seen = set(), {}
        for r in report:                      # the first rows of each kind, so the page shows every kind
            kind = r[0].value
            seen[kind] = seen.get(kind, 0) + 1
            if seen[kind] <= 3:
                keep.add(r[0].row)
        for r in reversed(report):
            if r[0].row not in keep:
                ws.delete_rows(r[0].row)
        ws.column_dimensions["H"].width = 40
        for row in ws.iter_rows(min_row=4, max_row=3 + len(keep)):
            for cell in row:
                cell.alignment = openpyxl.styles.Alignment(wrap_text=cell.column == 8, vertical="top")
            ws.row_dimensions[row[0].row].height = 15 * (1 + len(str(row[7].value or "")) // 22)
        ws.page_setup.orientation = "landscape"
        ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        picture = work / "intake_picture.xlsx"
        wb.save(picture)
        to_png(picture, IMAGES / "intake.png", work, dpi=130)


def main() -> None:
    if sys.argv[1:] == ["intake"]:
        intake_picture()
        return
    from jsjb import jobs
    from jsjb.core import display, stats
    from jsjb.core.ledger import build
    from jsjb.core.sample import generate
    from jsjb.io.ledger_book import write_ledger
    from jsjb.io.reports import write_bulletin

    if not (shutil.which("soffice") and shutil.which("pdftoppm")):
        sys.exit("需要 LibreOffice 和 pdftoppm：apt-get install libreoffice-calc-nogui poppler-utils")
    IMAGES.mkdir(parents=True, exist_ok=True)
    sample = generate(3000, 2025, 8)
    ev = jobs.evaluate(build(sample.sheets), sample.as_of)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        # the ledger: a mix of statuses from the last weeks, a readable subset of columns,
        # the computed columns as the values Excel shows with the add-in
        status = ev.computed["状态"]
        recent = ev.tickets["派单时间"] >= "2025-11-01"
        pick = []
        for name, count in (("超期未办结", 5), ("临期", 2), ("在办", 3), ("挂单中", 2), ("已退回", 2), ("已办结", 10)):
            pick += list(ev.tickets.index[(status == name) & recent][-count:])
        rows = ev.tickets.loc[pick].sort_values("派单时间").index
        sheets = dict(sample.sheets)
        sheets["工单台账"] = sample.sheets["工单台账"].loc[rows]
        computed = ev.computed.loc[rows].copy()
        computed["是否及时"] = display.yes_no(computed["是否及时"])
        computed["提示"] = display.joined(computed["提示"])
        ledger = work / "ledger.xlsx"
        write_ledger(ledger, sheets, computed=computed)
        wb = openpyxl.load_workbook(ledger)
        ws = wb["工单台账"]
        header = [c.value for c in ws[1]]
        for idx, name in enumerate(header, start=1):
            letter = openpyxl.utils.get_column_letter(idx)
            ws.column_dimensions[letter].hidden = name not in SHOWN
            ws.column_dimensions[letter].width = 30 if name in ("承办企业", "提示") else 16
        ws.page_setup.orientation = "landscape"
        ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.freeze_panes = None
        picture = work / "ledger_picture.xlsx"
        wb.save(picture)                      # a throw-away copy for the picture only
        to_png(picture, IMAGES / "ledger.png", work, dpi=130)
        rep = stats.report(ev.ledger.enterprise_names, ev.tickets, ev.computed, stats.month("2025-12"), ev.as_of,
                           ev.ledger.params, ev.ledger.adjustments)
        bulletin = work / "bulletin.xlsx"
        write_bulletin(bulletin, rep, ev.tickets, ev.computed)
        to_png(bulletin, IMAGES / "bulletin.png", work)
        sample_book = write_ledger(work / "台账.xlsx", sample.sheets)
        draft_pages(sample_book, "2025-12", sample.as_of, work)
    intake_picture()
    print(f"pictures written to {IMAGES}")


if __name__ == "__main__":
    main()
