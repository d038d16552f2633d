"""Personal data (R19) and formula safety (R20), on whole columns.

- names: surname + one ``*`` per other character (compound surnames keep both characters);
- phones: ``138****1234``; landlines keep area code and last 2 digits; addresses and IPs: omitted;
- free text (诉求内容, 备注, any text column a clerk adds): :func:`scrub_texts` — the one scrubber —
  removes the ticket's own 来话人, 联系电话 and 地址 wherever they appear in that ticket's text, then
  every number, e-mail and IP address in the spellings people type (see ``_PATTERN``);
- :func:`mask_tickets` masks a whole ticket frame for output: the entry point every output path uses;
- R20: text beginning with ``=``, ``+``, ``-``, ``@``, tab or CR is data, never a formula.
  Writers write every string as a string cell; :func:`is_formula_like` lets tests check it.

Over-masking a number is acceptable; leaking one is not (R19). So the number patterns are wide:
any digit run of 7 or more, any 11 digits starting ``1[3-9]`` with separators between them (and
+86/0086/86 before), landlines with area codes in brackets or not and extensions, 400/800 numbers,
ID numbers of 15 and 18 digits spaced or not, long numbers in groups of four, numbers in Chinese
numerals, messenger accounts after their keyword, e-mail addresses (also ``(at)``, ``#``, full-width)
and IPv4/IPv6 addresses. Masks are ASCII text: ``139****5678``, ``0477-*****45``, ``150602****…``,
``[邮箱已隐去]``, ``[IP已隐去]``, ``[地址已隐去]``. tests/test_masking.py holds the table of spellings.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

import pandas as pd

from . import schema as S

COMPOUND_SURNAMES = frozenset((
    "欧阳 太史 端木 上官 司马 东方 独孤 南宫 万俟 闻人 夏侯 诸葛 尉迟 公羊 赫连 澹台 皇甫 宗政 濮阳 "
    "公冶 太叔 申屠 公孙 慕容 仲孙 钟离 长孙 宇文 司徒 鲜于 司空 闾丘 子车 亓官 司寇 巫马 公西 颛孙 "
    "壤驷 公良 漆雕 乐正 宰父 谷梁 拓跋 夹谷 轩辕 令狐 段干 百里 呼延 东郭 南门 羊舌 微生 公户 公玉 "
    "公仪 梁丘 公仲 公上 公门 公山 公坚 左丘 公伯 西门 公祖 第五 公乘 贯丘 公皙 南荣 东里 东宫 仲长 "
    "子书 子桑 即墨 达奚 褚师 吴铭"
).split())
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
ADDRESS_MASK = "[地址已隐去]"
EMAIL_MASK = "[邮箱已隐去]"
IP_MASK = "[IP已隐去]"
# 来话人 values that are not a person's name: never searched for in the text
NOT_A_NAME = frozenset("匿名 无 不详 未知 未提供 市民 群众 先生 女士 来电人 来话人 热心市民 匿名市民".split())

# full-width ASCII (０-９, Ａ-Ｚ, ａ-ｚ, ＠, ．, －…) and the ideographic space → ASCII
_FULLWIDTH = {0xFF01 + i: 0x21 + i for i in range(94)} | {0x3000: 0x20}

# -- building blocks of the number patterns ----------------------------------------------------
_D = "[0-9\uff10-\uff19]"                         # ASCII or full-width digit
# between digits people type: spaces (also 　), dashes of every width, 一 typed as a dash,
# dots (also ．), middle dots, slash, underscore
_SEP = "[\\s\\-\uff0d\u2010-\u2015\u2212\u4e00.\uff0e\u00b7\u30fb/_]"
_G = f"{_SEP}{{0,3}}"                             # a gap between two digits
_NB = "(?<![0-9\uff10-\uff19*])"                  # no digit (or mask) just before
_NA = "(?![0-9\uff10-\uff19])"                    # no digit just after
_CC = f"(?:[(\uff08]?(?:[+\uff0b]|00|\uff10\uff10)?{_G}(?:86|\uff18\uff16)[)\uff09]?{_G})"   # +86 0086 86 (+86)


def _cls(ascii_digits: str) -> str:
    """A character class of the given digits in ASCII and full-width form."""
    return "[" + "".join(d + chr(0xFF10 + int(d)) for d in ascii_digits) + "]"


def _seq(*parts: str) -> str:
    """Digit classes (or groups) in sequence, with a gap allowed between them."""
    return _G.join(parts)


_ANY = _cls("0123456789")                                # any digit
_MONTH = f"(?:{_seq(_cls('0'), _cls('123456789'))}|{_seq(_cls('1'), _cls('012'))})"
_DAY = f"(?:{_seq(_cls('0'), _cls('123456789'))}|{_seq(_cls('12'), _ANY)}|{_seq(_cls('3'), _cls('01'))})"
_REGION = _seq(_cls("123456789"), *[_ANY] * 5)           # ID numbers never begin with 0
# 18 digits: region, birth date 18xx-20xx, sequence, check digit (0-9 or X); 15 digits: region, yymmdd, sequence
_ID18 = _seq(_REGION, f"(?:{_seq(_cls('1'), _cls('89'))}|{_seq(_cls('2'), _cls('0'))})", _ANY, _ANY, _MONTH, _DAY,
             _ANY, _ANY, _ANY, "[0-9\uff10-\uff19XxＸｘ×]")
_ID15 = _seq(_REGION, _ANY, _ANY, _MONTH, _DAY, _ANY, _ANY, _ANY)
_HEX = "[0-9A-Fa-f]"
_H4 = f"{_HEX}{{1,4}}"
_V4_TAIL = "(?:[.\uff0e][0-9]{1,3}){3}"

_HANZI_DIGITS = "〇零一二三四五六七八九幺两壹贰叁肆伍陆柒捌玖"   # digits as people write them in words
_ALTERNATIVES = (
    # e-mail, also obfuscated: user(at)example.com, user#qq.com, user at example dot com, full-width
    ("email", "(?<![A-Za-z0-9._%+\\-\uff21-\uff3a\uff41-\uff5a\uff10-\uff19])"
              "[A-Za-z0-9\uff21-\uff3a\uff41-\uff5a\uff10-\uff19][A-Za-z0-9._%+\\-\uff21-\uff3a\uff41-\uff5a"
              "\uff10-\uff19]*"
              "\\s?(?:@|\uff20|(?i:[(\uff08\\[\u3010{]\\s?at\\s?[)\uff09\\]\u3011}]| at )|#)\\s?"
              "[A-Za-z0-9\\-\uff21-\uff3a\uff41-\uff5a\uff10-\uff19]+"
              "(?:(?:[.\uff0e]|(?i:[(\uff08\\[\u3010{]\\s?dot\\s?[)\uff09\\]\u3011}]| dot ))"
              "[A-Za-z0-9\\-\uff21-\uff3a\uff41-\uff5a\uff10-\uff19]+)*"
              "(?:[.\uff0e]|(?i:[(\uff08\\[\u3010{]\\s?dot\\s?[)\uff09\\]\u3011}]| dot ))"
              "[A-Za-z\uff21-\uff3a\uff41-\uff5a]{2,}"),
    # IPv6: eight groups, five or more groups (never a time of day), or compressed with ::; zone id
    ("ip6", "(?<![0-9A-Za-z:])(?:"
            f"{_H4}(?::{_H4}){{4,7}}"
            f"|(?:{_H4}(?::{_H4}){{0,6}})?::(?:{_H4}(?::{_H4}){{0,6}})?(?<=[0-9A-Fa-f:]{{3}})"
            f")(?:{_V4_TAIL})?(?:%[0-9A-Za-z_.\\-]+)?(?![0-9A-Za-z:])"),
    # IPv4 (also with full-width digits and dots)
    ("ip4", f"(?<![0-9\uff10-\uff19.\uff0e]){_D}{{1,3}}(?:[.\uff0e]{_D}{{1,3}}){{3}}"
            f"(?![0-9\uff10-\uff19]|[.\uff0e]{_D})"),
    # user names on messengers after their keyword: QQ：123456, 微信号：zhang_san88, Tel13912345678
    ("kw", "(?P<kwname>(?<![A-Za-z])(?i:qq|wechat|weixin|wx|vx|tel|mobile|phone|fax)|微信号?|扣扣)(?P<kwsep>[\\s:\uff1a号]*)"
           "(?P<tok>[A-Za-z0-9_\\-\uff10-\uff19]{5,30})"),
    # ID numbers: 18 digits (last may be X) or 15, spaced or not, with a valid birth date
    ("id", f"{_NB}(?:{_ID18}|{_ID15}){_NA}"),
    # mobile numbers, with +86 / 0086 / 86 prefixes and any gaps between digits
    ("mobile", f"{_NB}{_CC}?(?P<mob>{_seq(_cls('1'), _cls('3456789'), *[_ANY] * 9)}){_NA}"),
    # service numbers 400 / 800
    ("service", f"{_NB}[48４８]{_G}[0０]{_G}[0０](?:{_G}{_D}){{7}}{_NA}"),
    # landlines with area code: 0477-8512345, (0477)8512345, +86 477 8512345, 0477-8512345转123
    ("landline", f"{_NB}(?:(?:[+\uff0b]|00|\uff10\uff10){_G}(?:86|\uff18\uff16){_G}[(\uff08]?[0０]?|[(\uff08]?[0０])"
                 f"(?P<area>[1-9１-９]{_D}{{1,2}})[)\uff09]?{_G}(?P<lnum>{_D}(?:{_SEP}?{_D}){{6,7}})"
                 f"(?:{_G}(?P<extword>转|分机|(?i:ext)\\.?|[-\uff0d#])\\s?(?P<ext>{_D}{{1,6}}))?{_NA}"),
    # bank cards and other long numbers typed in groups of four
    ("groups", f"{_NB}{_D}{{4}}(?:[\\s\\-\uff0d]{_D}{{4}}){{2,4}}(?:[\\s\\-\uff0d]{_D}{{1,3}})?{_NA}"),
    # local numbers of 7–8 digits typed with one separator: 851-2345, 8512 3456
    ("local", f"{_NB}[2-9２-９]{_D}{{2,3}}[\\-\uff0d\\s.\uff0e]{_D}{{4}}{_NA}"),
    # every other run of 7 or more digits (not the tail of a code such as DS2025000001)
    ("run", f"(?<![0-9\uff10-\uff19A-Za-z]){_D}{{7,}}{_NA}"),
    # numbers written in Chinese numerals, ordinary or financial: 一三九一二三四五六七八, 壹叁玖…
    ("hanzi", f"[{_HANZI_DIGITS}]{{7,}}"),
)
_PATTERN = re.compile("|".join(f"(?P<{name}>{body})" for name, body in _ALTERNATIVES))
# a text with none of these characters has nothing the pattern can find
_CANDIDATE = re.compile(f"[0-9\uff10-\uff19@\uff20:#]|[{_HANZI_DIGITS}]{{7}}"
                        "|(?i:at|qq|wx|vx|tel|phone|mobile|weixin|fax)|微信|扣扣")


def _ascii_digits(text: str) -> str:
    return re.sub("[^0-9Xx]", "", text.translate(_FULLWIDTH))


def _stars_keep(digits: str, keep: int) -> str:
    """All but the last ``keep`` digits as ``*``."""
    if len(digits) <= keep:
        return "*" * len(digits)
    return "*" * (len(digits) - keep) + digits[-keep:]


def _replace(m: re.Match) -> str:
    kind = m.lastgroup
    text = m.group(0)
    if kind == "email":
        return EMAIL_MASK
    if kind in ("ip4", "ip6"):
        return IP_MASK
    if kind == "kw":
        return m.group("kwname") + m.group("kwsep") + "*" * len(m.group("tok"))
    if kind == "hanzi":
        return "*" * len(text)
    if kind == "mobile":
        d = _ascii_digits(m.group("mob"))
        return f"{d[:3]}****{d[-4:]}"
    if kind == "id":
        d = _ascii_digits(text)
        return d[:6] + "*" * (len(d) - 6)
    if kind == "service":
        d = _ascii_digits(text)
        return d[:3] + "*" * (len(d) - 5) + d[-2:]
    if kind == "landline":
        area = "0" + _ascii_digits(m.group("area"))
        out = area + "-" + _stars_keep(_ascii_digits(m.group("lnum")), 2)
        if m.group("ext"):
            out += ("转" if m.group("extword") in "-\uff0d" else m.group("extword")) + "*" * len(m.group("ext"))
        return out
    return _stars_keep(_ascii_digits(text), 2)          # groups, local, run


# -- the caller's own values in the ticket's text ----------------------------------------------
_ADMIN = re.compile("自治区|特别行政区|地区|街道|[省市盟州区县旗镇乡]")
_WS = re.compile(r"\s+")


def _loose(text: str) -> str:
    """A pattern for ``text`` (already half-width) that tolerates white space between characters
    and full-width forms of its ASCII characters."""
    parts = []
    for ch in text:
        if "!" <= ch <= "~":
            parts.append(f"[{re.escape(ch)}{chr(ord(ch) + 0xFEE0)}]")
        else:
            parts.append(re.escape(ch))
    return r"\s*".join(parts)


# A rule for one own value: (needles, replacements, digits). Needles are what the text must contain
# (white space removed, half-width; ``digits``: the text's digits only) before its pattern is
# compiled and run — most rows never need one.
Rule = tuple[tuple[str, ...], tuple[str, ...], bool]


@lru_cache(maxsize=65536)
def _name_rule(name: str) -> Rule | None:
    """One caller's name: the full name → its masked form (张**), the given name (2+ characters)
    → one ``*`` per character."""
    full = _WS.sub("", name.translate(_FULLWIDTH))
    if len(full) < 2 or full in NOT_A_NAME:
        return None
    masked = mask_name(full)
    needles, replacements = [full], [masked]
    given = full[len(masked.rstrip("*")):]
    if len(given) >= 2 and given not in NOT_A_NAME:
        needles.append(given)
        replacements.append("*" * len(given))
    return tuple(needles), tuple(replacements), False


@lru_cache(maxsize=65536)
def _phone_rule(phone: str) -> Rule | None:
    """The caller's number(s) as digit strings of 5+ digits (whole field, each part, without a
    +86/0086 prefix), found in the text with any gaps between digits → the masked number."""
    text = phone.translate(_FULLWIDTH)
    if text.endswith(".0") and text[:-2].isdigit():                 # a number read as a float
        text = text[:-2]
    needles: set[str] = set()
    whole = re.sub(r"\D", "", text)
    parts = [re.sub(r"\D", "", p) for p in re.split(r"[;；,，、/|或和及\n]+", text)]
    for d in (whole, *parts, *re.findall(r"\d+", text)):
        for v in (d, d[4:] if d.startswith("0086") else d, d[2:] if d.startswith("86") and len(d) == 13 else d):
            if len(v) >= 5:
                needles.add(v)
    if not needles:
        return None
    ordered = tuple(sorted(needles, key=len, reverse=True))
    return ordered, tuple(mask_phone(v) for v in ordered), True


@lru_cache(maxsize=65536)
def _address_rule(address: str) -> Rule | None:
    """The address and what is left of it after each administrative level (市, 区, 旗, 街道…),
    as long as 4+ characters remain: the text often names only the street and number."""
    full = _WS.sub("", address.translate(_FULLWIDTH))
    if len(full) < 2:
        return None
    variants = {full}
    for m in _ADMIN.finditer(full):
        rest = full[m.end():]
        if len(rest) >= 4:
            variants.add(rest)
    ordered = tuple(sorted(variants, key=len, reverse=True))
    return ordered, (ADDRESS_MASK,) * len(ordered), False


@lru_cache(maxsize=4096)
def _loose_pattern(needles: tuple[str, ...]) -> re.Pattern:
    return re.compile("|".join(f"({_loose(v)})" for v in needles))


_DIGIT_RUN = re.compile(f"{_D}(?:{_G}{_D})*")       # digits with any gaps between them


def _mask_digits(text: str, needle: str, replacement: str) -> str:
    """Replace each occurrence of the digit string ``needle`` typed with any gaps between its
    digits (and in full-width digits) by ``replacement``; the rest of the digit run stays."""
    out, last = [], 0
    for m in _DIGIT_RUN.finditer(text):
        run = m.group(0)
        where = [i for i, ch in enumerate(run) if ch.isdigit()]
        digits = "".join(run[i] for i in where).translate(_FULLWIDTH)
        k = digits.find(needle)
        if k < 0:
            continue
        pieces, pos = [], 0
        while k >= 0:
            start, end = where[k], where[k + len(needle) - 1] + 1
            pieces.append(run[pos:start] + replacement)
            pos = end
            k = digits.find(needle, k + len(needle))
        out.append(text[last:m.start()] + "".join(pieces) + run[pos:])
        last = m.end()
    return "".join(out) + text[last:] if out else text


def _apply(rule: Rule, text: str, haystack: str) -> str:
    needles, replacements, digits = rule
    if not any(n in haystack for n in needles):
        return text
    if digits:
        for needle, replacement in zip(needles, replacements):
            text = _mask_digits(text, needle, replacement)
        return text
    if haystack == text:                  # no white space or full-width forms: plain replace
        for needle, replacement in zip(needles, replacements):
            text = text.replace(needle, replacement)
        return text
    return _loose_pattern(needles).sub(lambda m: replacements[m.lastindex - 1], text)


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, float) and value != value) or value is pd.NA or value is pd.NaT


_NON_DIGIT = re.compile(r"\D+")


def _may_contain(text: str, ch: str) -> bool:
    """Whether ``text`` holds ``ch`` (a value's last character) in half- or full-width form."""
    return ch in text or ("!" <= ch <= "~" and chr(ord(ch) + 0xFEE0) in text)


def _own_values(values: list, names: list, phones: list, addresses: list) -> None:
    """Remove each row's own caller name, phone and address from its text, in place. A value's
    rule is built (cached) only when the text could hold it, and a pattern runs only on rows whose
    text contains the value (white space, separators and full-width forms ignored)."""
    for i, text in enumerate(values):
        if text is None:
            continue
        name, phone, address = names[i], phones[i], addresses[i]
        if address is not None:
            rule = _address_rule(address)
            if rule and _may_contain(text, rule[0][-1][-1]):          # every variant ends like the address
                text = _apply(rule, text, _WS.sub("", text.translate(_FULLWIDTH)))
        if name is not None and _may_contain(text, name[-1]):
            rule = _name_rule(name)
            if rule:
                text = _apply(rule, text, _WS.sub("", text.translate(_FULLWIDTH)))
        if phone is not None:
            digits = _NON_DIGIT.sub("", text)
            if len(digits) >= 5:
                rule = _phone_rule(phone)
                if rule:
                    text = _apply(rule, text, digits.translate(_FULLWIDTH))
        values[i] = text


def _column(values: Iterable | None, n: int) -> list:
    """Per-row values as stripped text, None where blank."""
    if values is None:
        return [None] * n
    out = [None if _blank(v) else (str(v).strip() or None) for v in
           (values.tolist() if isinstance(values, pd.Series) else list(values))]
    if len(out) != n:
        raise ValueError(f"expected {n} values, got {len(out)}")
    return out


def _scrub(col: pd.Series, names: list | None, phones: list | None, addresses: list | None) -> pd.Series:
    values = [None if _blank(v) else str(v) for v in col.tolist()]
    if names is not None:
        _own_values(values, names, phones, addresses)
    sub, candidate = _PATTERN.sub, _CANDIDATE.search
    values = [v if v is None or not candidate(v) else sub(_replace, v) for v in values]
    return pd.Series(values, index=col.index, dtype=object, name=col.name)


def scrub_texts(col: pd.Series, names=None, phones=None, addresses=None) -> pd.Series:
    """The scrubber (R19): free text with the row's own caller name (→ 张**), phone (→ 138****1234)
    and address (→ [地址已隐去]) removed, then every phone, ID, e-mail and IP address in any
    spelling. ``names``/``phones``/``addresses`` are per-row sequences aligned with ``col``
    (or None). Returns an object Series of str/None with ``col``'s index; text stays text."""
    n = len(col)
    if names is None and phones is None and addresses is None:
        return _scrub(col, None, None, None)
    return _scrub(col, _column(names, n), _column(phones, n), _column(addresses, n))


def scrub_text(text: object, name: object = None, phone: object = None, address: object = None) -> str | None:
    """:func:`scrub_texts` for one value."""
    return scrub_texts(pd.Series([text], dtype=object), [name], [phone], [address]).iloc[0]


def mask_name(name: object) -> str | None:
    if _blank(name):
        return None
    text = str(name).strip()
    if not text:
        return None
    keep = 2 if text[:2] in COMPOUND_SURNAMES and len(text) > 2 else 1
    return text[:keep] + "*" * (len(text) - keep)


def mask_phone(phone: object) -> str | None:
    if _blank(phone):
        return None
    digits = _NON_DIGIT.sub("", str(phone).translate(_FULLWIDTH))
    if isinstance(phone, float) and str(phone).endswith(".0"):
        digits = digits[:-1]
    if len(digits) == 13 and digits.startswith("861") or len(digits) == 15 and digits.startswith("00861"):
        digits = digits[-11:]
    if len(digits) == 11 and digits.startswith("1"):
        return f"{digits[:3]}****{digits[-4:]}"
    if digits.startswith("0") and 10 <= len(digits) <= 12:          # landline with area code
        area = 3 if digits[1] in "12" else 4
        return digits[:area] + "-" + "*" * (len(digits) - area - 2) + digits[-2:]
    if len(digits) >= 7:
        return "*" * (len(digits) - 2) + digits[-2:]
    return "*" * len(digits) if digits else None


def mask_names(col: pd.Series) -> pd.Series:
    return pd.Series([mask_name(v) for v in col.tolist()], index=col.index, dtype=object, name=col.name)


def mask_phones(col: pd.Series) -> pd.Series:
    return pd.Series([mask_phone(v) for v in col.tolist()], index=col.index, dtype=object, name=col.name)


# columns of a ticket frame that are never free text (schema input and computed columns that are
# not citizen text, the reader's row number, the archive number and checklist)
_NOT_FREE_TEXT = (frozenset(S.INPUT_NAMES) - frozenset(S.FREE_TEXT_COLUMNS)) | frozenset(S.COMPUTED_COLUMNS) | {
    "_row", "行号", "归档号", "电子工单", "正式回复文件", "佐证材料"}


def free_text_columns(frame: pd.DataFrame) -> list[str]:
    """诉求内容, 备注 and every column that is not part of the schema and holds text — a column the
    clerk added (e.g. 回访记录) is citizen text until proven otherwise."""
    out = []
    for col in frame.columns:
        if col in S.FREE_TEXT_COLUMNS:
            out.append(col)
        elif col not in _NOT_FREE_TEXT and (pd.api.types.is_object_dtype(frame[col])
                                            or pd.api.types.is_string_dtype(frame[col])):
            out.append(col)
    return out


def mask_tickets(frame: pd.DataFrame, text_columns: Iterable[str] | None = None, *,
                 callers: bool = True) -> pd.DataFrame:
    """A ticket frame as it may leave the ledger (R19): 来话人 → 张**, 联系电话 → 138****1234,
    地址 → None, and every free-text column (``text_columns``, default :func:`free_text_columns`)
    scrubbed with each row's own name, phone and address. ``callers=False``: the caller columns
    are left out of the result instead (an output that shows no caller at all need not mask them).
    Returns a new frame; the input is untouched. Columns missing from ``frame`` are skipped."""
    out = frame.copy() if callers else frame.drop(columns=[c for c in S.PERSONAL_COLUMNS if c in frame])
    n = len(frame)
    own = [_column(frame[c] if c in frame else None, n) for c in (S.CALLER, S.PHONE, S.ADDRESS)]
    columns = free_text_columns(frame) if text_columns is None else [c for c in text_columns if c in frame]
    for col in columns:
        out[col] = _scrub(frame[col], *own)
    if not callers:
        return out
    if S.CALLER in frame:
        out[S.CALLER] = mask_names(frame[S.CALLER])
    if S.PHONE in frame:
        out[S.PHONE] = mask_phones(frame[S.PHONE])
    if S.ADDRESS in frame:
        out[S.ADDRESS] = pd.Series([None] * len(frame), index=frame.index, dtype=object)
    return out


def is_formula_like(value: object) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_START)
