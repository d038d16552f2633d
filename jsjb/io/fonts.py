"""The fonts of a 公文 (GB/T 9704-2012) and whether this computer has them.

One place for everything that knows font names: the 公文 writer names them in the document
(:mod:`jsjb.io.docx_report`), ``--pdf`` tells the clerk which are missing and what the PDF will look
like (and has LibreOffice use the closest installed look-alike instead of an arbitrary fallback),
and ``jsjb doctor`` checks them.

A font counts as installed when the system knows it by its own name or by one of its aliases — the
same design under another name (仿宋_GB2312 is shipped by Windows as 仿宋/FangSong). The look-alikes
(``substitutes``) are other designs of the same style, best first; the PDF uses the first one
installed when neither the font nor an alias is there.

Where the names come from: fontconfig (``fc-list``) on Linux and macOS; on Windows the font
registry (HKLM and HKCU ``…\\Windows NT\\CurrentVersion\\Fonts``) and the font folders' file names.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class GovFont:
    role: str                          # title · body · h1 · h2 · page · latin
    name: str                          # as the document names it
    label: str                         # short Chinese label (doctor)
    used_for: str                      # what GB/T 9704 sets in it
    alt: str                           # w:altName in the document's font table (Word's own substitute)
    aliases: tuple[str, ...] = ()      # the same design under other family names
    substitutes: tuple[str, ...] = ()  # look-alikes, best first
    windows_files: tuple[str, ...] = ()
    required: bool = True              # one of the four 公文 fonts

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)


_SERIF = ("Noto Serif CJK SC", "Source Han Serif SC", "思源宋体", "Source Han Serif CN", "AR PL UMing CN",
          "Noto Serif CJK JP")
_SANS = ("Noto Sans CJK SC", "Source Han Sans SC", "思源黑体", "Source Han Sans CN", "WenQuanYi Zen Hei",
         "WenQuanYi Micro Hei", "文泉驿正黑", "Droid Sans Fallback", "Noto Sans CJK JP")

FONTS: tuple[GovFont, ...] = (
    GovFont("title", "方正小标宋简体", "方正小标宋", "标题", "宋体",
            ("方正小标宋_GBK", "FZXiaoBiaoSong-B05S", "FZXiaoBiaoSong-B05"),
            ("华文中宋", "STZhongsong", "宋体", "SimSun", *_SERIF),
            ("FZXBSJW.TTF", "方正小标宋简体.TTF", "FZXBSK.TTF")),
    GovFont("body", "仿宋_GB2312", "仿宋", "正文", "仿宋",
            ("FangSong_GB2312", "仿宋", "FangSong"),
            ("华文仿宋", "STFangsong", *_SERIF),
            ("simfang.ttf", "FS_GB2312.ttf", "仿宋_GB2312.ttf")),
    GovFont("h1", "黑体", "黑体", "一级标题", "SimHei",
            ("SimHei",),
            ("微软雅黑", "Microsoft YaHei", *_SANS),
            ("simhei.ttf",)),
    GovFont("h2", "楷体_GB2312", "楷体", "二级标题", "楷体",
            ("KaiTi_GB2312", "楷体", "KaiTi"),
            ("华文楷体", "STKaiti", "AR PL UKai CN", "AR PL KaitiM GB", *_SERIF),
            ("simkai.ttf", "KT_GB2312.ttf", "楷体_GB2312.ttf")),
    GovFont("page", "宋体", "宋体", "页码", "SimSun",
            ("SimSun",), _SERIF, ("simsun.ttc",), required=False),
    GovFont("latin", "Times New Roman", "Times New Roman", "数字和西文", "Times New Roman",
            (), ("Liberation Serif", "Tinos", "TeX Gyre Termes", "Nimbus Roman", "DejaVu Serif"),
            ("times.ttf",), required=False),
)
BY_ROLE = {f.role: f for f in FONTS}
REQUIRED = tuple(f for f in FONTS if f.required)


@dataclass(frozen=True)
class FontStatus:
    font: GovFont
    found: str | None            # the installed family that is this font (its name or an alias)
    substitute: str | None       # when not found: the installed look-alike the PDF uses, else None

    @property
    def ok(self) -> bool:
        return self.found is not None

    @property
    def replacement(self) -> str | None:
        """What LibreOffice should use for the document's name: an alias, else a look-alike."""
        if self.found == self.font.name:
            return None
        return self.found or self.substitute


# -- what is installed -------------------------------------------------------------------------------------
def _fc_families(pattern: str = ":") -> set[str] | None:
    if not shutil.which("fc-list"):
        return None
    try:
        text = subprocess.run(["fc-list", pattern, "family"], capture_output=True, text=True, timeout=30,
                              encoding="utf-8", errors="replace").stdout
    except (OSError, subprocess.SubprocessError):
        return None
    # fc-list escapes "-", ":" and "," in a name (FZXiaoBiaoSong\-B05S); a family's names are
    # separated by unescaped commas
    names = (re.sub(r"\\(.)", r"\1", name).strip() for line in text.splitlines()
             for name in re.split(r"(?<!\\),", line))
    return {name for name in names if name}


def _windows_families() -> set[str]:
    """Family names from the font registry ("SimHei (TrueType)", "SimSun & NSimSun (TrueType)")."""
    try:
        import winreg
    except ImportError:
        return set()
    names: set[str] = set()
    key_path = r"SOFTWARE\Microsoft\Windows NT\CurrentVersion\Fonts"
    for hive in (winreg.HKEY_LOCAL_MACHINE, winreg.HKEY_CURRENT_USER):
        try:
            with winreg.OpenKey(hive, key_path) as key:
                for i in range(winreg.QueryInfoKey(key)[1]):
                    value = winreg.EnumValue(key, i)[0]
                    for part in re.sub(r"\s*\((TrueType|OpenType)\)\s*$", "", value).split("&"):
                        if part.strip():
                            names.add(part.strip())
        except OSError:
            continue
    return names


def _windows_font_files() -> set[str]:
    folders = [Path(os.environ.get("WINDIR", r"C:\Windows")) / "Fonts"]
    local = os.environ.get("LOCALAPPDATA")
    if local:
        folders.append(Path(local) / "Microsoft" / "Windows" / "Fonts")
    files: set[str] = set()
    for folder in folders:
        try:
            files |= {p.name.lower() for p in folder.iterdir()}
        except OSError:
            continue
    return files


def is_windows() -> bool:
    return sys.platform.startswith("win")


def installed_families() -> set[str] | None:
    """The font family names this computer knows; None when it cannot tell (no fc-list, not Windows).
    On Windows the names of the 公文 fonts whose files are in a font folder are added."""
    if is_windows():
        names = _windows_families()
        files = _windows_font_files()
        for font in FONTS:
            if any(f.lower() in files for f in font.windows_files):
                names.add(font.name)
        return names
    return _fc_families()


def chinese_families() -> set[str] | None:
    """Families with Chinese glyphs (fontconfig's lang=zh), which pages and workbooks need to show
    Chinese at all; None when fontconfig cannot tell (no fc-list; Windows always has them)."""
    return _fc_families(":lang=zh")


def check(families: set[str] | None = None) -> list[FontStatus] | None:
    """The status of every font the 公文 names (``families``: the installed ones, default: this
    computer's); None when the installed fonts cannot be listed."""
    if families is None:
        families = installed_families()
        if families is None:
            return None
    out = []
    for font in FONTS:
        found = next((n for n in font.names if n in families), None)
        substitute = None if found else next((n for n in font.substitutes if n in families), None)
        out.append(FontStatus(font, found, substitute))
    return out


def missing(statuses: list[FontStatus]) -> list[FontStatus]:
    """The required 公文 fonts that are not installed."""
    return [s for s in statuses if s.font.required and not s.ok]


# -- what to tell the clerk ----------------------------------------------------------------------------------
def install_hint() -> str:
    """How to install fonts on this kind of computer (Chinese)."""
    if is_windows():
        how = "在字体文件（.ttf）上点右键，选“为所有用户安装”"
    elif sys.platform == "darwin":
        how = "双击字体文件，在“字体册”中点“安装字体”"
    else:
        how = ("把字体文件（.ttf）复制到 /usr/share/fonts/gongwen/（需管理员权限；只给自己用可放在 "
               "~/.local/share/fonts/），再运行 fc-cache -f")
    return (f"安装方法：向本单位信息化部门索取公文字体（方正小标宋简体需方正字库授权），{how}，"
            "然后重新生成 PDF。")


def describe(status: FontStatus) -> str:
    """"正文字体仿宋_GB2312（以 Noto Serif CJK SC 代替）"."""
    font = status.font
    instead = f"以 {status.substitute} 代替" if status.substitute else "以系统默认字体代替"
    return f"{font.used_for}字体{font.name}（{instead}）"


def pdf_notice(statuses: list[FontStatus] | None) -> str | None:
    """The note ``--pdf`` adds when the 公文 fonts are missing (None when all are installed):
    which are missing, what the PDF looks like, how to install them."""
    if statuses is None:
        return ("无法列出本机已安装的字体（没有 fc-list），不能确认 PDF 是否使用了公文字体（方正小标宋简体、仿宋_GB2312、"
                "黑体、楷体_GB2312）；PDF 可能以其他字体代替。" + install_hint())
    lacking = missing(statuses)
    if not lacking:
        return None
    latin = next(s for s in statuses if s.font.role == "latin")
    extra = f"，数字和西文以 {latin.substitute or '系统默认字体'} 代替 Times New Roman" if not latin.ok else ""
    return (f"本机缺少公文字体：{'、'.join(describe(s) for s in lacking)}{extra}。"
            "PDF 中这些文字的字形与正式公文不同，每行字数和分页也可能与装有公文字体的电脑上不同；"
            "Word 稿中的字体名称不变，在装有公文字体的电脑上打开即为正式字体。" + install_hint())


# -- LibreOffice -----------------------------------------------------------------------------------------------
def _xml_text(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def libreoffice_replacements(statuses: list[FontStatus] | None) -> str:
    """A LibreOffice ``registrymodifications.xcu`` whose font replacement table maps each font the
    document names but this computer lacks onto its alias or closest installed look-alike."""
    pairs = [(s.font.name, s.replacement) for s in statuses or () if s.replacement]
    items = ['<item oor:path="/org.openoffice.Office.Common/Font/Substitution">'
             '<prop oor:name="Replacement" oor:op="fuse"><value>true</value></prop></item>']
    for k, (name, by) in enumerate(pairs):
        items.append(
            '<item oor:path="/org.openoffice.Office.Common/Font/Substitution/FontPairs">'
            f'<node oor:name="_{k}" oor:op="replace">'
            '<prop oor:name="Always" oor:op="fuse"><value>true</value></prop>'
            '<prop oor:name="OnScreenOnly" oor:op="fuse"><value>false</value></prop>'
            f'<prop oor:name="ReplaceFont" oor:op="fuse"><value>{_xml_text(name)}</value></prop>'
            f'<prop oor:name="SubstituteFont" oor:op="fuse"><value>{_xml_text(by)}</value></prop>'
            '</node></item>')
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<oor:items xmlns:oor="http://openoffice.org/2001/registry" '
            'xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\n'
            + "\n".join(items) + "\n</oor:items>\n")
