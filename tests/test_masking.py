"""The free-text scrubber (R19) against a table of real-world spellings.

Each spelling is embedded in Chinese text the way citizens and operators write it. The checks are
independent of the scrubber's patterns: the output, normalised (NFKC: full-width → ASCII; Chinese
numerals → digits; separators dropped), must not contain the number, ID, e-mail or IP the spelling
writes; where the mask form is fixed by R19 (138****1234, area code + last two digits, omitted
e-mail/IP) the exact output is asserted too. Text around the number stays as it was.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata

import numpy as np
import pandas as pd
import pytest

from jsjb.core import schema as S
from jsjb.core.masking import (
    ADDRESS_MASK,
    EMAIL_MASK,
    IP_MASK,
    free_text_columns,
    is_formula_like,
    mask_tickets,
    scrub_text,
    scrub_texts,
)

BEFORE, AFTER = "市民来电反映小区供暖不热，", "，请尽快处理。"

# (spelling as typed, what it writes — digits, e-mail or IP —, exact mask or None)
SPELLINGS = [
    # mobile numbers
    ("13912345678", "13912345678", "139****5678"),
    ("+8613912345679", "13912345679", "139****5679"),
    ("8613912345670", "13912345670", "139****5670"),
    ("+86 139 1234 5671", "13912345671", "139****5671"),
    ("0086 13912345672", "13912345672", "139****5672"),
    ("0086-139-1234-5673", "13912345673", "139****5673"),
    ("(+86)13912345674", "13912345674", "139****5674"),
    ("139 1234 5675", "13912345675", "139****5675"),
    ("139-1234-5676", "13912345676", "139****5676"),
    ("139.1234.5677", "13912345677", "139****5677"),
    ("１３９１２３４５６７８", "13912345678", "139****5678"),
    ("１３９－１２３４－５６８０", "13912345680", "139****5680"),
    ("139\u30001234\u30005681", "13912345681", "139****5681"),
    ("1391 2345 682", "13912345682", "139****5682"),
    ("139一1234一5683", "13912345683", "139****5683"),
    ("139—1234—5684", "13912345684", "139****5684"),
    ("139/1234/5685", "13912345685", "139****5685"),
    ("1 3 9 1 2 3 4 5 6 8 6", "13912345686", "139****5686"),
    ("手机：15647781234", "15647781234", "手机：156****1234"),
    ("Tel:13912345687", "13912345687", None),
    ("＋８６ １３９ １２３４ ５６８８", "13912345688", None),
    ("一三九一二三四五六八九", "13912345689", None),
    ("幺三九幺二三四五六九零", "13912345690", None),
    ("电话：壹叁捌壹贰叁肆伍陆柒捌", "13812345678", None),
    # landlines, local numbers, service numbers
    ("(0477)8512345", "8512345", "0477-*****45"),
    ("（0477）8512348", "8512348", "0477-*****48"),
    ("0477-8512345", "8512345", "0477-*****45"),
    ("0477－8512347", "8512347", "0477-*****47"),
    ("0477 8512349", "8512349", "0477-*****49"),
    ("0477 - 8512339", "8512339", "0477-*****39"),
    ("04778512340", "8512340", None),
    ("0477-8512341转123", "8512341", "0477-*****41转***"),
    ("0477-85123421", "85123421", "0477-******21"),
    ("010-62345678", "62345678", "010-******78"),
    ("+86 477 8512343", "8512343", "0477-*****43"),
    ("+86-10-62345679", "62345679", "010-******79"),
    ("8512346", "8512346", "*****46"),
    ("电话：8512344", "8512344", "电话：*****44"),
    ("电话8512342", "8512342", "电话*****42"),
    ("851-2350", "8512350", "*****50"),
    ("8512 3451", "85123451", "******51"),
    ("400-123-4567", "4001234567", None),
    ("4001234568", "4001234568", None),
    ("800 810 8888", "8008108888", None),
    # ID numbers
    ("150602199001011234", "150602199001011234", "150602************"),
    ("15060219900101123X", "15060219900101123X", "150602************"),
    ("15060219900101124x", "15060219900101124X", "150602************"),
    ("150602 19900101 1235", "150602199001011235", "150602************"),
    ("150602 1990 0101 1236", "150602199001011236", "150602************"),
    ("1506 0219 9001 0112 37", "150602199001011237", None),
    ("１５０６０２１９９００１０１１２３８", "150602199001011238", "150602************"),
    ("150602900101123", "150602900101123", "150602*********"),
    ("150602 900101 124", "150602900101124", "150602*********"),
    ("身份证号：150602199001011239，", "150602199001011239", "身份证号：150602************，"),
    # e-mail addresses
    ("user@example.com", "user@example.com", EMAIL_MASK),
    ("Zhang.San+12345@mail.example.com.cn", "zhang.san+12345@mail.example.com.cn", EMAIL_MASK),
    ("user(at)example.com", "user@example.com", EMAIL_MASK),
    ("user（at）example.com", "user@example.com", EMAIL_MASK),
    ("user[at]example[dot]com", "user@example.com", EMAIL_MASK),
    ("user＠example．com", "user@example.com", EMAIL_MASK),
    ("ｕｓｅｒ＠ｅｘａｍｐｌｅ．ｃｏｍ", "user@example.com", EMAIL_MASK),
    ("user#qq.com", "user@qq.com", EMAIL_MASK),
    ("12345678@qq.com", "12345678@qq.com", EMAIL_MASK),
    # IP addresses
    ("10.1.2.3", "10.1.2.3", IP_MASK),
    ("192.168.100.200:8080", "192.168.100.200", IP_MASK + ":8080"),
    ("１９２．１６８．１．１", "192.168.1.1", IP_MASK),
    ("2001:db8::1", "2001:db8::1", IP_MASK),
    ("fe80::1%eth0", "fe80::1", IP_MASK),
    ("2001:0db8:85a3:0000:0000:8a2e:0370:7334", "2001:db8:85a3::8a2e:370:7334", IP_MASK),
    ("[2001:db8::2]:443", "2001:db8::2", "[" + IP_MASK + "]:443"),
    ("::ffff:192.0.2.1", "::ffff:192.0.2.1", IP_MASK),
    # messenger accounts, bank cards
    ("QQ：123456789", "123456789", "QQ：*********"),
    ("微信号：zhang_san88", "zhang_san88", "微信号：***********"),
    ("6222 0212 3456 7890 123", "6222021234567890123", None),
]

HANZI_DIGITS = str.maketrans("〇零一幺二两三四五六七八九壹贰叁肆伍陆柒捌玖", "0011223456789123456789")


def _nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def digit_strings(text: str) -> list[str]:
    """The text's digits as the leak scan reads them: full-width → ASCII, separators dropped,
    and once more with Chinese numerals read as digits."""
    t = _nfkc(text)
    return [re.sub(r"[^0-9Xx]", "", t).upper(), re.sub(r"[^0-9Xx]", "", t.translate(HANZI_DIGITS)).upper()]


def email_form(text: str) -> str:
    t = _nfkc(text).lower()
    t = re.sub(r"\s*[(\[]\s*at\s*[)\]]\s*|#", "@", t)
    return re.sub(r"\s*[(\[]\s*dot\s*[)\]]\s*", ".", t)


def leaked(secret: str, out: str) -> bool:
    if "@" in secret:
        local = secret.split("@")[0]
        return secret in email_form(out) or local in _nfkc(out).lower()
    if ":" in secret or secret.count(".") == 3:
        ip = ipaddress.ip_address(secret)
        forms = {secret, str(ip), getattr(ip, "exploded", secret)}
        if ip.version == 4:
            forms.add(".".join(secret.split(".")))
        norm = _nfkc(out).lower()
        return any(f.lower() in norm for f in forms) or bool(re.search(r"\d+\.\d+\.\d+\.\d+|::|(\w+:){4}", norm))
    if not secret.isdigit() and not secret[:-1].isdigit():
        return secret.lower() in _nfkc(out).lower()
    return any(secret in d for d in digit_strings(out))


def test_the_table_is_large_and_its_secrets_are_what_the_spellings_write():
    assert len(SPELLINGS) >= 40
    assert len({s for s, _, _ in SPELLINGS}) == len(SPELLINGS)
    missed = [s for s, secret, _ in SPELLINGS if not leaked(secret, BEFORE + s + AFTER)]
    assert missed == []                              # the leak check finds every spelling unscrubbed


@pytest.mark.parametrize("spelling, secret, masked", SPELLINGS, ids=[s for s, _, _ in SPELLINGS])
def test_spelling_is_scrubbed(spelling, secret, masked):
    text = BEFORE + spelling + AFTER
    out = scrub_text(text)
    assert isinstance(out, str)
    assert not leaked(secret, out), out
    assert out.startswith(BEFORE) and out.endswith(AFTER), out          # the text around it stays
    if masked is not None:
        assert out == BEFORE + masked + AFTER


@pytest.mark.parametrize("spelling, secret, masked", SPELLINGS, ids=[s for s, _, _ in SPELLINGS])
def test_spelling_is_scrubbed_alone_and_next_to_other_text(spelling, secret, masked):
    for text in (spelling, f"{spelling}回电", f"回电{spelling}", f"联系人电话{spelling}或邮件"):
        out = scrub_text(text)
        assert not leaked(secret, out), (text, out)


def test_two_numbers_in_one_text_and_a_date_beside_them():
    out = scrub_text("13912345678 2025-12-01来电，又留0477-8512345；身份证150602199001011234。")
    assert out == "139****5678 2025-12-01来电，又留0477-*****45；身份证150602************。"


@pytest.mark.parametrize("text", [
    "工单编号DS2025000001", "2025-12-01 10:00:00 来电", "2025年12月1日上午", "10:30:00开会",
    "小区3号楼2单元301室", "缴费1500元", "满意率95.5%", "依据第13条第(2)款", "12345热线转来",
    "室温18度", "延期5个工作日", "=HYPERLINK(\"http://example.invalid\",\"点击\")", "@所有人 请处理",
    "一直没有人来修", "2025.12.01", "建议增加2路公交班次", "请于12月3日前答复",
])
def test_ordinary_text_stays_as_it_is(text):
    assert scrub_text(text) == text


def test_blank_values():
    assert scrub_text(None) is None
    assert scrub_text(float("nan")) is None
    out = scrub_texts(pd.Series(["请回电13912345678", None, np.nan, ""], dtype=object))
    assert out.tolist() == ["请回电139****5678", None, None, ""]


def test_formula_like_text_stays_text():
    """R20: scrubbing never turns text into something else than a string; a formula sign stays."""
    out = scrub_texts(pd.Series(["=1+1 请回电13912345678", "+86 13912345678", "-0477-8512345", "@SUM(1)"]))
    assert all(isinstance(v, str) for v in out)
    assert out[0] == "=1+1 请回电139****5678" and is_formula_like(out[0])
    assert out[3] == "@SUM(1)"
    assert not leaked("13912345678", out[1]) and not leaked("8512345", out[2])


# -- the ticket's own caller values ------------------------------------------------------------

@pytest.mark.parametrize("text, name, expected", [
    ("张三丰来电反映", "张三丰", "张**来电反映"),
    ("来电人张 三丰称", "张三丰", "来电人张**称"),
    ("欧阳娜娜反映；娜娜说楼道灯不亮", "欧阳娜娜", "欧阳**反映；**说楼道灯不亮"),
    ("司马光称", "司马光", "司马*称"),
    ("李四说", "李四", "李*说"),
    ("匿名来电反映", "匿名", "匿名来电反映"),
    ("王小明反映", "张三", "王小明反映"),
])
def test_own_name_in_the_text(text, name, expected):
    assert scrub_text(text, name=name) == expected


@pytest.mark.parametrize("text, phone, secrets", [
    ("请拨打 851 2345 联系", "0477-8512345", ["8512345"]),
    ("请回电1 3 9 1 2 3 4 5 6 7 8", "13912345678", ["13912345678"]),
    ("号码96777", "96777", ["96777"]),
    ("回电 13912345678", "+86 139 1234 5678", ["13912345678"]),
    ("回电8613912345678", "13912345678", ["13912345678"]),
    ("回电１３９１２３４５６７８", "13912345678", ["13912345678"]),
    ("回电13912345678或0477-8512345", "13912345678/0477-8512345", ["13912345678", "8512345"]),
])
def test_own_phone_in_the_text(text, phone, secrets):
    out = scrub_text(text, phone=phone)
    for secret in secrets:
        assert not leaked(secret, out), out
    assert out[:2] == text[:2]


@pytest.mark.parametrize("text, address", [
    ("住鄂尔多斯市东胜区天骄路12号，漏水", "鄂尔多斯市东胜区天骄路12号"),
    ("天骄路12号楼下漏水", "鄂尔多斯市东胜区天骄路12号"),
    ("天骄路１２号漏水", "鄂尔多斯市东胜区天骄路12号"),
    ("家住 天骄路 12号", "鄂尔多斯市东胜区天骄路12号"),
    ("住林荫路3号", "内蒙古自治区鄂尔多斯市东胜区林荫路3号"),
])
def test_own_address_in_the_text(text, address):
    out = scrub_text(text, address=address)
    assert ADDRESS_MASK in out
    assert "12号" not in _nfkc(out).replace(" ", "") and "林荫路3号" not in out


def test_own_values_belong_to_their_row():
    col = pd.Series(["张三丰说王小明也来过", "王小明反映"], index=[10, 11])
    out = scrub_texts(col, names=["张三丰", "王小明"], phones=[None, None], addresses=[None, None])
    assert out.tolist() == ["张**说王小明也来过", "王**反映"]
    assert out.index.tolist() == [10, 11]


# -- a whole ticket frame -------------------------------------------------------------------------

def ticket_frame() -> pd.DataFrame:
    return pd.DataFrame({
        S.ID: ["A1", "A2", "A3"],
        S.CONTENT: ["张三丰反映天骄路12号漏水，回电13912345678", "匿名：请拨0477-8512345", None],
        S.CALLER: ["张三丰", "匿名", None],
        S.PHONE: ["13912345678", "0477-8512345", None],
        S.ADDRESS: ["鄂尔多斯市东胜区天骄路12号", None, "东胜区某路1号"],
        S.REMARKS: ["张三丰又来电，邮箱zsf@example.com", None, "IP 10.1.2.3"],
        "回访记录": ["已联系张三丰 139 1234 5678", "", None],
        "件数": [1, 2, 3],
        S.STATUS: ["在办", "已办结", "在办"],
    }, index=[5, 6, 7])


def test_mask_tickets():
    frame = ticket_frame()
    before = frame.copy()
    out = mask_tickets(frame)
    pd.testing.assert_frame_equal(frame, before)                     # the input is untouched
    assert out.index.tolist() == [5, 6, 7] and list(out.columns) == list(frame.columns)
    assert out[S.CALLER].tolist() == ["张**", "匿*", None]
    assert out[S.PHONE].tolist() == ["139****5678", "0477-*****45", None]
    assert out[S.ADDRESS].isna().all()
    assert out[S.CONTENT].tolist() == [f"张**反映{ADDRESS_MASK}漏水，回电139****5678", "匿名：请拨0477-*****45", None]
    assert out[S.REMARKS].tolist() == [f"张**又来电，邮箱{EMAIL_MASK}", None, f"IP {IP_MASK}"]
    assert out["回访记录"].tolist() == ["已联系张** 139****5678", "", None]     # a column the clerk added
    assert out["件数"].tolist() == [1, 2, 3] and out[S.STATUS].tolist() == ["在办", "已办结", "在办"]


def test_free_text_columns():
    assert free_text_columns(ticket_frame()) == [S.CONTENT, S.REMARKS, "回访记录"]
    out = mask_tickets(ticket_frame(), text_columns=[S.CONTENT])
    assert out["回访记录"][5] == "已联系张三丰 139 1234 5678"                # only the columns asked for


def test_mask_tickets_on_the_readers_column_types():
    """The reader gives Arrow-backed text columns with NaN for blanks."""
    frame = ticket_frame().astype({c: pd.StringDtype("pyarrow", na_value=np.nan)
                                   for c in (S.CONTENT, S.CALLER, S.PHONE, S.ADDRESS, S.REMARKS)})
    out = mask_tickets(frame)
    assert out[S.CONTENT][5] == f"张**反映{ADDRESS_MASK}漏水，回电139****5678"
    assert out[S.CONTENT][7] is None and out[S.PHONE][7] is None


def test_a_hundred_thousand_rows_are_scrubbed_row_by_row():
    """Whole-column scrubbing keeps each row's own caller out of its text (its speed is measured by
    the benchmark, scripts/bench.py, not here)."""
    n = 100_000
    rng = np.random.default_rng(1)
    phones = [f"1{rng.integers(3, 10)}{rng.integers(0, 10**9):09d}" for _ in range(n)]
    names = [f"王{chr(0x4E00 + int(k))}{chr(0x4E00 + int(j))}" for k, j in rng.integers(0, 2000, size=(n, 2))]
    content = np.where(rng.random(n) < 0.05, [f"{nm}反映路灯不亮，回电{p}" for nm, p in zip(names, phones)],
                       "反映小区供暖温度不达标，2025年12月1日起室温低于18度，请求处理")
    frame = pd.DataFrame({S.CONTENT: content, S.CALLER: names, S.PHONE: phones,
                          S.ADDRESS: [f"东胜区天骄路{i % 300}号" for i in range(n)], S.REMARKS: None})
    out = mask_tickets(frame)
    for i in np.flatnonzero(content != content[-1])[:200]:
        assert phones[i] not in out[S.CONTENT].iloc[i] and names[i] not in out[S.CONTENT].iloc[i]


def test_an_output_without_callers_drops_them_and_scrubs_the_same():
    """mask_tickets(callers=False) (the archive): no caller column at all, free text as with callers."""
    frame = pd.DataFrame({S.ID: ["T1", "T2"], S.CALLER: ["欧阳娜娜", "王五"], S.PHONE: ["13912345678", None],
                          S.ADDRESS: ["幸福路18号", None], S.CONTENT: ["欧阳娜娜住幸福路18号，电话13912345678", "无"],
                          S.REMARKS: ["回电 0477-8391234", None]}, dtype=object)
    full = mask_tickets(frame)
    bare = mask_tickets(frame, callers=False)
    assert list(bare.columns) == [S.ID, S.CONTENT, S.REMARKS]
    assert bare[S.CONTENT].tolist() == full[S.CONTENT].tolist() and bare[S.REMARKS].tolist() == full[S.REMARKS].tolist()
    assert not any(secret in bare[S.CONTENT][0] for secret in ("娜娜", "幸福路", "13912345678"))
    assert "8391234" not in bare[S.REMARKS][0]
