"""Personal data (R19) and formula safety (R20), on whole columns.

- names: surname + one ``*`` per other character (compound surnames keep both characters);
- phones: ``138****1234``; landlines keep area code and last 2 digits;
- free text: mobile numbers, landlines and 18-digit ID numbers are replaced by masks;
- R20: text beginning with ``=``, ``+``, ``-``, ``@``, tab or CR is data, never a formula.
  Writers write every string as a string cell; :func:`is_formula_like` lets tests check it.
"""

from __future__ import annotations

import re

import pandas as pd

COMPOUND_SURNAMES = frozenset((
    "欧阳 太史 端木 上官 司马 东方 独孤 南宫 万俟 闻人 夏侯 诸葛 尉迟 公羊 赫连 澹台 皇甫 宗政 濮阳 "
    "公冶 太叔 申屠 公孙 慕容 仲孙 钟离 长孙 宇文 司徒 鲜于 司空 闾丘 子车 亓官 司寇 巫马 公西 颛孙 "
    "壤驷 公良 漆雕 乐正 宰父 谷梁 拓跋 夹谷 轩辕 令狐 段干 百里 呼延 东郭 南门 羊舌 微生 公户 公玉 "
    "公仪 梁丘 公仲 公上 公门 公山 公坚 左丘 公伯 西门 公祖 第五 公乘 贯丘 公皙 南荣 东里 东宫 仲长 "
    "子书 子桑 即墨 达奚 褚师 吴铭"
).split())

_MOBILE = re.compile(r"(?<!\d)(1[3-9]\d)[\s-]?(\d{4})[\s-]?(\d{4})(?!\d)")
_ID18 = re.compile(r"(?<![\dA-Za-z])(\d{6})(\d{8})(\d{3}[\dXx])(?![\dA-Za-z])")
_LANDLINE = re.compile(r"(?<!\d)(0\d{2,3})[\s-]?(\d{7,8})(?!\d)")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def mask_name(name: object) -> str | None:
    if name is None or (isinstance(name, float) and pd.isna(name)):
        return None
    text = str(name).strip()
    if not text:
        return None
    keep = 2 if text[:2] in COMPOUND_SURNAMES and len(text) > 2 else 1
    return text[:keep] + "*" * (len(text) - keep)


def mask_phone(phone: object) -> str | None:
    if phone is None or (isinstance(phone, float) and pd.isna(phone)):
        return None
    digits = re.sub(r"\D", "", str(phone))
    if isinstance(phone, float) and str(phone).endswith(".0"):
        digits = digits[:-1]
    if len(digits) == 11 and digits.startswith("1"):
        return f"{digits[:3]}****{digits[-4:]}"
    if digits.startswith("0") and 10 <= len(digits) <= 12:          # landline with area code
        area = 3 if digits[1] in "12" else 4
        return digits[:area] + "-" + "*" * (len(digits) - area - 2) + digits[-2:]
    if len(digits) >= 7:
        return "*" * (len(digits) - 2) + digits[-2:]
    return "*" * len(digits) if digits else None


def scrub_text(text: object) -> str | None:
    """Mask phone and ID numbers inside free text (诉求内容, 备注)."""
    if text is None or (isinstance(text, float) and pd.isna(text)):
        return None
    s = str(text)
    s = _ID18.sub(lambda m: m.group(1) + "********" + "****", s)
    s = _MOBILE.sub(lambda m: f"{m.group(1)}****{m.group(3)}", s)
    s = _LANDLINE.sub(lambda m: m.group(1) + "-" + "*" * (len(m.group(2)) - 2) + m.group(2)[-2:], s)
    return s


def mask_names(col: pd.Series) -> pd.Series:
    return col.map(mask_name).astype(object)


def mask_phones(col: pd.Series) -> pd.Series:
    return col.map(mask_phone).astype(object)


def scrub_texts(col: pd.Series) -> pd.Series:
    return col.map(scrub_text).astype(object)


def is_formula_like(value: object) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_START)
