"""The 公文 fonts in one place (jsjb.io.fonts): which are installed under their own name or an alias,
which look-alike the PDF uses instead, what the clerk is told, and LibreOffice's replacement table.

Font names are those GB/T 9704-2012 sets (方正小标宋简体 标题, 仿宋_GB2312 正文, 黑体 一级标题,
楷体_GB2312 二级标题) and the names Windows and Linux distributions ship them under."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from jsjb.io import fonts

GOV = {"方正小标宋简体", "仿宋_GB2312", "黑体", "楷体_GB2312", "宋体", "Times New Roman"}
DEBIAN = {"DejaVu Sans", "DejaVu Serif", "Noto Serif CJK SC", "Noto Sans CJK SC"}
WINDOWS = {"FangSong", "KaiTi", "SimHei", "SimSun", "NSimSun", "Times New Roman", "Microsoft YaHei"}


@pytest.mark.parametrize("families, missing, replaced", [
    # everything under its own name: nothing missing, nothing replaced
    (GOV, [], {}),
    # Windows ships the GB2312 designs as 仿宋/楷体 (FangSong/KaiTi): installed, used under that name
    (WINDOWS, ["方正小标宋简体"],
     {"仿宋_GB2312": "FangSong", "楷体_GB2312": "KaiTi", "黑体": "SimHei", "宋体": "SimSun",
      "方正小标宋简体": "SimSun"}),
    # a Linux desktop with Noto only: all four missing; serif designs for 宋/仿宋/楷, sans for 黑体
    (DEBIAN, ["方正小标宋简体", "仿宋_GB2312", "黑体", "楷体_GB2312"],
     {"方正小标宋简体": "Noto Serif CJK SC", "仿宋_GB2312": "Noto Serif CJK SC", "黑体": "Noto Sans CJK SC",
      "楷体_GB2312": "Noto Serif CJK SC", "宋体": "Noto Serif CJK SC", "Times New Roman": "DejaVu Serif"}),
    # nothing at all that looks alike: missing, and no replacement (the system's own fallback)
    ({"DejaVu Sans"}, ["方正小标宋简体", "仿宋_GB2312", "黑体", "楷体_GB2312"], {}),
])
def test_status_of_each_font(families, missing, replaced):
    statuses = fonts.check(families)
    assert [s.font.name for s in fonts.missing(statuses)] == missing
    assert {s.font.name: s.replacement for s in statuses if s.replacement} == replaced


def test_notice_names_the_missing_fonts_the_look_and_the_fix(monkeypatch):
    monkeypatch.setattr(fonts, "is_windows", lambda: False)
    text = fonts.pdf_notice(fonts.check(DEBIAN))
    for name in ("方正小标宋简体", "仿宋_GB2312", "黑体", "楷体_GB2312"):
        assert name in text
    assert "正文字体仿宋_GB2312（以 Noto Serif CJK SC 代替）" in text
    assert "以 DejaVu Serif 代替 Times New Roman" in text
    assert "字形与正式公文不同" in text and "fc-cache -f" in text
    assert fonts.pdf_notice(fonts.check(GOV)) is None
    assert "无法列出" in fonts.pdf_notice(None)
    monkeypatch.setattr(fonts, "is_windows", lambda: True)
    assert "为所有用户安装" in fonts.pdf_notice(fonts.check({"SimSun"}))


def test_windows_fonts_found_by_file_name(monkeypatch):
    monkeypatch.setattr(fonts, "is_windows", lambda: True)
    monkeypatch.setattr(fonts, "_windows_families", lambda: {"SimSun"})
    monkeypatch.setattr(fonts, "_windows_font_files", lambda: {"simfang.ttf", "simhei.ttf", "fzxbsjw.ttf"})
    statuses = fonts.check()
    assert [s.font.name for s in fonts.missing(statuses)] == ["楷体_GB2312"]


def test_libreoffice_replacement_table_is_valid_registry_xml():
    xcu = fonts.libreoffice_replacements(fonts.check(DEBIAN | {"Liberation Serif"}))
    root = ET.fromstring(xcu)
    oor = "{http://openoffice.org/2001/registry}"
    pairs = {}
    for node in root.iter("node"):
        props = {p.get(f"{oor}name"): p.find("value").text for p in node.iter("prop")}
        assert props["Always"] == "true" and props["OnScreenOnly"] == "false"
        pairs[props["ReplaceFont"]] = props["SubstituteFont"]
    assert pairs["仿宋_GB2312"] == "Noto Serif CJK SC" and pairs["黑体"] == "Noto Sans CJK SC"
    assert pairs["Times New Roman"] == "Liberation Serif"
    assert fonts.libreoffice_replacements(fonts.check(GOV)).count("<node") == 0


def test_fc_list_names_are_read_without_its_escapes(monkeypatch):
    """fc-list writes “FZXiaoBiaoSong\\-B05S,方正小标宋简体”: the escaped hyphen is part of the name, the
    bare comma separates a family's names."""
    import subprocess

    out = "FZXiaoBiaoSong\\-B05S,方正小标宋简体\nFangSong\\,Odd\nSimHei\n"
    monkeypatch.setattr(fonts.shutil, "which", lambda _: "/usr/bin/fc-list")
    monkeypatch.setattr(fonts.subprocess, "run", lambda *a, **k: subprocess.CompletedProcess(a, 0, stdout=out))
    assert fonts._fc_families() == {"FZXiaoBiaoSong-B05S", "方正小标宋简体", "FangSong,Odd", "SimHei"}
