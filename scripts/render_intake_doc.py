"""Render the generated part of docs/导入工单.md: the table of built-in column-name synonyms
(``jsjb.core.headers.SYNONYMS``), between the markers. tests/test_intake.py checks the file against it.

    python scripts/render_intake_doc.py
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "导入工单.md"
BEGIN, END = "<!-- synonyms:begin (scripts/render_intake_doc.py) -->", "<!-- synonyms:end -->"


def rendered(text: str) -> str:
    sys.path.insert(0, str(ROOT))
    from jsjb.core.headers import synonyms_table

    block = f"{BEGIN}\n{synonyms_table()}\n{END}"
    return re.sub(re.escape(BEGIN) + r".*?" + re.escape(END), lambda _: block, text, flags=re.S)


def main() -> None:
    DOC.write_text(rendered(DOC.read_text(encoding="utf-8")), encoding="utf-8")
    print(f"written: {DOC}")


if __name__ == "__main__":
    main()
