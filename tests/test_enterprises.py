"""R22: each enterprise's files carry a tag no other enterprise's files carry — also when one's
简称 is another's name, or two 简称 differ only in characters a file name cannot hold."""

import pandas as pd
import pytest

from jsjb.core.enterprises import file_tags, safe_name, shared_short_names


def frame(rows):
    return pd.DataFrame(rows, columns=["企业名称", "简称"])


@pytest.mark.parametrize("rows, expected", [
    # the ordinary case: the 简称
    ([("东胜区热力有限责任公司", "热力公司"), ("东胜区水务有限责任公司", "水务公司")],
     {"东胜区热力有限责任公司": "热力公司", "东胜区水务有限责任公司": "水务公司"}),
    # no 简称: the full name
    ([("甲公司", None), ("乙公司", "")], {"甲公司": "甲公司", "乙公司": "乙公司"}),
    # a shared 简称: both fall back to their full names
    ([("甲公司", "热力"), ("乙公司", "热力")], {"甲公司": "甲公司", "乙公司": "乙公司"}),
    # one's 简称 is the other's name
    ([("甲公司", "乙公司"), ("乙公司", None)], {"甲公司": "甲公司", "乙公司": "乙公司"}),
    # alike only after cleaning for the file system
    ([("甲公司", "X/Y"), ("乙公司", "X_Y")], {"甲公司": "甲公司", "乙公司": "乙公司"}),
    # even the full names clean alike: numbered in sheet order
    ([("A/B", None), ("A_B", None)], {"A/B": "A_B", "A_B": "A_B_2"}),
])
def test_file_tags_never_collide(rows, expected):
    tags = file_tags(frame(rows))
    assert tags == expected
    assert len(set(tags.values())) == len(tags)


def test_shared_short_names_name_the_others():
    got = shared_short_names(frame([("甲公司", "热力"), ("乙公司", "热力"), ("丙公司", "丙")]))
    assert got == {"甲公司": ("热力", "“乙公司”"), "乙公司": ("热力", "“甲公司”")}


@pytest.mark.parametrize("text, expected", [("热力公司", "热力公司"), ('a\\b/c:d*e?f"g<h>i|j k', "a_b_c_d_e_f_g_h_i_j_k"),
                                            ("  ", "未命名")])
def test_safe_name(text, expected):
    assert safe_name(text) == expected
