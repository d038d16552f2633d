"""LibreOffice as a real spreadsheet engine for tests: open a workbook headless, recalculate
every formula on load, and save the computed values.

Writers store a cached result for each formula (XlsxWriter stores 0) and LibreOffice shows
cached results of a file it believes Excel saved unless told to recalculate on load. The
profile here sets /org.openoffice.Office.Calc/Formula/Load OOXMLRecalcMode = 0 (always), so
the values read back are LibreOffice's own.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

XCU = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema"
 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load">
 <prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load">
 <prop oor:name="ODFRecalcMode" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"""


def soffice() -> str:
    exe = shutil.which("soffice") or shutil.which("libreoffice")
    assert exe, "LibreOffice is required (scripts/ensure_test_tools.sh installs it)"
    return exe


def profile(root: Path, recalc: bool = True) -> str:
    """A fresh LibreOffice user profile; returns its URL. ``recalc``: recalculate every formula
    on load; otherwise LibreOffice's default settings (a clerk's installation)."""
    user = root / "user"
    user.mkdir(parents=True, exist_ok=True)
    if recalc:
        (user / "registrymodifications.xcu").write_text(XCU, encoding="utf-8")
    return root.resolve().as_uri()


def convert(path: Path, out_dir: Path, fmt: str = "xlsx", *, recalc: bool = True, timeout: int = 900) -> Path:
    """Open ``path`` in LibreOffice (recalculating on load) and save it as ``fmt`` into
    ``out_dir``; returns the new file. ``fmt`` is a --convert-to target (xlsx, pdf, png…)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / ("in" + path.suffix)          # ASCII name: robust against locale issues
        shutil.copy(path, src)
        url = profile(Path(tmp) / "profile", recalc)
        run = subprocess.run([soffice(), f"-env:UserInstallation={url}", "--headless", "--norestore",
                              "--convert-to", fmt, "--outdir", str(out_dir), str(src)],
                             capture_output=True, text=True, timeout=timeout, check=False)
        produced = out_dir / ("in." + fmt.split(":")[0])
        assert produced.exists(), f"LibreOffice did not convert {path.name}: {run.stdout} {run.stderr}"
        target = out_dir / (path.stem + "." + fmt.split(":")[0])
        produced.replace(target)
        return target


def recalculated(path: Path, out_dir: Path, *, recalc: bool = True) -> Path:
    """The workbook as LibreOffice computes it: every formula recalculated (or, with
    ``recalc=False``, as LibreOffice's default settings open it), values saved."""
    return convert(path, out_dir, "xlsx", recalc=recalc)
