"""Regenerate workbook/ledger_template.xlsx from the core's schema (``make template``).

The file is committed; tests/test_template.py fails if it drifts from this generator (compared
semantically: sheets, cells, formulas, drop-downs, tables, highlighting — not bytes)."""

from pathlib import Path

from jsjb.io.ledger_book import write_ledger

TEMPLATE = Path(__file__).resolve().parent.parent / "workbook" / "ledger_template.xlsx"

if __name__ == "__main__":
    write_ledger(TEMPLATE)
    print(f"已生成 {TEMPLATE}")
