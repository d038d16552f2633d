"""Regenerate tests/golden/ from the current code (run after a deliberate change, then review
the diff): the bulletin and assessment JSON and the cell values of three written workbooks,
for the fixed sample the tests use (800 rows, seed 11, as of 2026-01-05 10:00)."""

from __future__ import annotations

import contextlib
import io
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from outputs import cells  # noqa: E402

from jsjb.cli import main  # noqa: E402

GOLDEN = ROOT / "tests" / "golden"


def run() -> None:
    GOLDEN.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        ledger = base / "台账.xlsx"
        main(["sample", str(ledger), "--rows", "800", "--seed", "11", "-q"])
        for key, argv in (("bulletin", ["bulletin", str(ledger), "--month", "2025-12"]),
                          ("assess", ["assess", str(ledger), "--year", "2025"])):
            buf = io.StringIO()
            with contextlib.redirect_stdout(buf):
                main([*argv, "--as-of", "2026-01-05T10:00", "--out", str(base / "out"), "--json", "-q"])
            data = {k: v for k, v in json.loads(buf.getvalue()).items() if k != "files"}
            (GOLDEN / f"{key}.json").write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        for name in ("月通报_2025-12.xlsx", "年度考核_2025.xlsx", "月通报_2025-12_热力公司.xlsx"):
            (GOLDEN / f"{name}.json").write_text(
                json.dumps(cells(base / "out" / name), ensure_ascii=False, indent=0) + "\n", encoding="utf-8")
    print(f"golden outputs written to {GOLDEN}")


if __name__ == "__main__":
    run()
