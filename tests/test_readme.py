"""The README and the install guide say what is true: every line of the README's command block
runs as written (tests/readme_commands.py) with the installed `jsjb`, and the ribbon buttons both
documents list are the add-in's (workbook/addin/customUI.xml), in its order."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from readme_commands import OK_CODES, readme_block, run_readme

ROOT = Path(__file__).resolve().parent.parent


def test_the_command_block_names_every_command():
    lines = readme_block()
    commands = {line.split()[1] for line in lines}
    for name in ("sample", "template", "check", "compute", "bulletin", "assess", "dispatch", "archive", "mail",
                 "holidays", "serve", "doctor", "demo", "intake"):
        assert name in commands, name
    assert all(line.startswith("jsjb ") for line in lines)


def test_every_readme_command_runs_as_written(tmp_path):
    results = run_readme([str(Path(sys.executable).parent / "jsjb")], tmp_path)
    failed = [(line, code, err) for line, code, err in results if code not in OK_CODES]
    assert not failed, failed
    work = tmp_path / "工作"
    for name in ("台账.xlsx", "空白台账.xlsx", "台账_通用.xlsx", "结果.xlsx", "结果.json", "节假日.xlsx", "系统导出.xlsx",
                 "导入核对.xlsx"):
        assert (work / name).stat().st_size > 0, name
    out = work / "jsjb输出"
    assert (out / "月通报_2025-12.xlsx").exists() and (out / "月通报_2025-11.pdf").exists()
    assert list(out.rglob("*.eml")), "mail --dry-run wrote no message"


def ribbon_labels() -> list[str]:
    xml = (ROOT / "workbook" / "addin" / "customUI.xml").read_text(encoding="utf-8")
    return re.findall(r'<button\b[^>]*\blabel="([^"]+)"', xml)


def test_the_docs_list_the_ribbon_buttons():
    labels = ribbon_labels()
    assert len(labels) >= 7
    wanted = " · ".join(labels)
    def text(path):                         # a list may wrap onto the next line
        return re.sub(r"\s*\n\s*", " ", path.read_text(encoding="utf-8"))

    readme, guide = text(ROOT / "README.md"), text(ROOT / "docs" / "安装说明.md")
    assert f"选项卡：{wanted}" in readme
    assert f"选项卡：{wanted}" in guide
