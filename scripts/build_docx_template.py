"""Regenerate workbook/通报模板.docx, the 公文 template of the bulletin and the assessment.

The file is committed; tests/test_docx.py fails if it drifts from this generator (compared by
meaning: page setup, styles and fonts, paragraphs and their styles, page numbers — not bytes).
An office may edit its own copy (fonts, fixed text, 发文机关) and pass it with --template."""

from pathlib import Path

from jsjb.io.docx_report import TEMPLATE, write_template

if __name__ == "__main__":
    write_template(TEMPLATE)
    print(f"已生成 {Path(TEMPLATE)}")
