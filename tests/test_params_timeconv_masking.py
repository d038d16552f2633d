"""Parameters (overrides, validation), date normalisation and masking (R19/R20)."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from jsjb.core.errors import ParameterError
from jsjb.core.masking import is_formula_like, mask_name, mask_phone, scrub_text
from jsjb.core.params import BY_CODE, PARAMETERS, Params
from jsjb.core.timeconv import to_timestamps


def test_every_parameter_has_a_rule_an_article_and_a_description():
    for p in PARAMETERS:
        assert p.rule and p.article and p.description, p.code
    assert len(BY_CODE) == len(PARAMETERS)


@pytest.mark.parametrize("code, raw, value", [
    ("count_start_day", "是", True), ("count_start_day", "否", False), ("hold_allowed", False, False),
    ("materials_hours", "24", 24.0), ("materials_hours", 36.5, 36.5), ("limit_normal", 7.0, 7),
    ("late_reply_deduction_scope", "全部", "全部"), ("basic_satisfied_counts", "1", True),
])
def test_parameter_overrides(code, raw, value):
    assert Params({code: raw})[code] == value


@pytest.mark.parametrize("code, raw", [
    ("count_start_day", "也许"), ("materials_hours", "四十八"), ("materials_hours", -1),
    ("limit_normal", 2.5), ("limit_urgent", 0), ("late_reply_deduction_scope", "部分"), ("no_such_code", 1),
])
def test_bad_parameter_values_name_the_parameter(code, raw):
    with pytest.raises(ParameterError) as e:
        Params({code: raw})
    assert code in str(e.value)


def test_changed_lists_only_overrides():
    assert Params().changed() == {}
    assert Params({"materials_hours": 24}).changed() == {"materials_hours": 24.0}


@pytest.mark.parametrize("value, expected", [
    ("2023-09-28 10:00", "2023-09-28 10:00:00"),
    ("2023-09-28T10:00:00", "2023-09-28 10:00:00"),
    ("2023/9/28", "2023-09-28 00:00:00"),
    ("2023年9月28日 10时30分", "2023-09-28 10:30:00"),
    ("2023.9.28 10:30", "2023-09-28 10:30:00"),
    (45197.4166666667, "2023-09-28 10:00:00"),          # Excel serial
    ("45197.4166666667", "2023-09-28 10:00:00"),
    (45197, "2023-09-28 00:00:00"),
    (dt.datetime(2023, 9, 28, 10), "2023-09-28 10:00:00"),
    (dt.date(2023, 9, 28), "2023-09-28 00:00:00"),
    (pd.Timestamp("2023-09-28 10:00"), "2023-09-28 10:00:00"),
    (np.datetime64("2023-09-28T10:00"), "2023-09-28 10:00:00"),
    ("2023-09-28T02:00:00Z", "2023-09-28 10:00:00"),    # converted to Shanghai time
])
def test_date_forms(value, expected):
    times, bad = to_timestamps(pd.Series([value], dtype=object))
    assert not bad.iloc[0]
    assert times.iloc[0] == pd.Timestamp(expected)


@pytest.mark.parametrize("value, is_bad", [(None, False), ("", False), ("  ", False), (np.nan, False),
                                           ("明天", True), ("2023-13-01", True), (True, True), (-5, True)])
def test_blank_and_bad_dates(value, is_bad):
    times, bad = to_timestamps(pd.Series([value], dtype=object))
    assert pd.isna(times.iloc[0])
    assert bool(bad.iloc[0]) is is_bad


@pytest.mark.parametrize("value, code", [
    ("3025-03-03", "E_DATE_RANGE"), ("9999-12-31", "E_DATE_RANGE"), ("0205-03-03", "E_DATE_RANGE"),
    (dt.datetime(3025, 3, 3), "E_DATE_RANGE"), (dt.date(1899, 12, 31), "E_DATE_RANGE"),
    (np.datetime64("2262-04-12"), "E_DATE_RANGE"), (1e30, "E_DATE_RANGE"), (float("inf"), "E_DATE_RANGE"),
    (2958466, "E_DATE_RANGE"), ("2025-03-03 9:75", "E_TIME_OF_DAY"), ("2025-03-03 25:00", "E_TIME_OF_DAY"),
    ("2025年3月3日 10时61分", "E_TIME_OF_DAY"), ("2025-03", "E_DATE_INCOMPLETE"), ("2025年3月", "E_DATE_INCOMPLETE"),
    ("2025-02-29", "E_DATE_FORMAT"),
])
def test_values_outside_the_window_or_impossible_are_bad_with_a_reason(value, code):
    """Years 1900–2199 only (timeconv.WINDOW); no exception, whatever the cell holds."""
    from jsjb.core.timeconv import problem

    for column in (pd.Series([value], dtype=object), pd.Series([value, "2025-03-03 10:00"], dtype=object)):
        times, bad = to_timestamps(column)
        assert pd.isna(times.iloc[0]) and bool(bad.iloc[0])
        assert problem(value) == code
    if isinstance(value, str):           # the reader's Arrow text column takes its own fast path
        arrow = pd.Series([value, "2025-03-03 10:00:00"], dtype=pd.StringDtype("pyarrow", na_value=np.nan))
        times, bad = to_timestamps(arrow)
        assert bad.tolist() == [True, False] and times.iloc[1] == pd.Timestamp("2025-03-03 10:00")


@pytest.mark.parametrize("value, expected", [
    ("1900-01-01", "1900-01-01 00:00:00"), ("2199-12-31 23:59:59", "2199-12-31 23:59:59"),
    ("2025-03-03 23:59:59", "2025-03-03 23:59:59"), ("2025/3/3 0:00", "2025-03-03 00:00:00"),
])
def test_the_edges_of_the_window_and_the_clock_are_accepted(value, expected):
    times, bad = to_timestamps(pd.Series([value], dtype=object))
    assert not bad.iloc[0] and times.iloc[0] == pd.Timestamp(expected)


@pytest.mark.parametrize("name, masked", [("张三", "张*"), ("王小明", "王**"), ("欧阳娜娜", "欧阳**"),
                                          ("司马光", "司马*"), ("诸葛亮", "诸葛*"), ("欧阳", "欧*"), (None, None)])
def test_mask_name(name, masked):
    assert mask_name(name) == masked


@pytest.mark.parametrize("phone, masked", [("13812341234", "138****1234"), (13812341234.0, "138****1234"),
                                           ("138-1234-1234", "138****1234"), ("0477-8512345", "0477-*****45"),
                                           ("8512345", "*****45")])
def test_mask_phone(phone, masked):
    assert mask_phone(phone) == masked


def test_scrub_free_text():
    text = "请回电13812341234或0477-8512345，身份证150602199001011234"
    out = scrub_text(text)
    assert "13812341234" not in out and "8512345" not in out and "199001011234" not in out
    assert "138****1234" in out
    assert scrub_text("工单编号DS2025000001") == "工单编号DS2025000001"


@pytest.mark.parametrize("text", ["=1+1", "+86 138", "-5", "@SUM(A1)", "\tx", "\rx"])
def test_formula_like(text):
    assert is_formula_like(text)
    assert not is_formula_like("正常文本")
