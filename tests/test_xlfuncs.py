"""The cell functions through xlwings' own dispatch (custom_functions_call), as Excel would
call them: serial dates, text, whole columns, blanks and bad values; plus a fuzz that no input
escapes as an exception, and agreement with the core on a whole sample ledger."""

import asyncio
import datetime as dt

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import xlfuncs
from jsjb.core import schema as S
from jsjb.core.ledger import build
from jsjb.core.sample import generate

xlwings_server = pytest.importorskip("xlwings.server")
UDFS = [getattr(xlfuncs, name) for name in xlfuncs.__all__]


def serial(text: str) -> float:
    return (pd.Timestamp(text) - pd.Timestamp("1899-12-30")) / pd.Timedelta(days=1)


def call(name: str, *args):
    """What Office.js sends: every argument a 2-D array, omitted optionals as null."""
    data = {"func_name": name, "args": [a if a is None or isinstance(a, list) else [[a]] for a in args],
            "version": "dev", "client": "Office.js", "runtime": "1.4"}
    return asyncio.run(xlwings_server.custom_functions_call(data, xlfuncs))


def col(*values):
    return [[v] for v in values]


def test_every_udf_is_registered_with_chinese_help():
    meta = {m["name"]: m for m in xlwings_server.custom_functions_meta(xlfuncs)["functions"]}
    assert {"JSJB_WORKDAY", "JSJB_NETWORKDAYS", "JSJB_DEADLINE", "JSJB_STATUS", "JSJB_SCORE",
            "JSJB_EXPLAIN"} <= set(meta)
    for name, m in meta.items():
        assert any("\u4e00" <= ch <= "\u9fff" for ch in m["description"]), name
        for p in m["parameters"]:
            assert any("\u4e00" <= ch <= "\u9fff" for ch in p.get("description", "")), (name, p["name"])


@pytest.mark.parametrize("args, expected", [
    ((serial("2023-09-28 10:00"), 5, None), [[serial("2023-10-11")]]),
    (("2023-09-28", 5, None), [[serial("2023-10-11")]]),
    (("2023-10-11", -5, None), [[serial("2023-09-28")]]),
    ((col(serial("2023-09-28"), "2024-02-09", "", "明天"), 1, None),
     [[serial("2023-10-07")], [serial("2024-02-18")], [""], ["#错误：开始“明天”不是有效的日期时间"]]),
    (("2023-09-28", "五", None), [["#错误：天数“五”不是整数"]]),
    (("2026-12-30", 3, None), [["#错误：缺少2027年节假日安排，请在“节假日”表录入2027年放假调休安排"]]),
    (("2026-12-30", 3, [["日期", "类型"], [serial("2027-01-01"), "休息日"]]), [[serial("2027-01-05")]]),
])
def test_workday(args, expected):
    assert call("JSJB_WORKDAY", *args) == expected


def test_networkdays():
    assert call("JSJB_NETWORKDAYS", col("2023-09-28", "2023-10-11"), col("2023-10-11", "2023-09-28"), None) == \
        [[6], [-6]]


def test_deadline_columns_blanks_and_bad_values():
    got = call("JSJB_DEADLINE", col(serial("2023-09-28 10:00"), "2023-09-28 10:00", "", "abc", "2023-09-28", "2023-09-28"),
               col("一般", "紧急", "", "一般", "特急", "法定"), col("", "", "", "", "", ""),
               col(5, "", "", "", "", ""), None, None, None, None)
    assert got[0] == [pytest.approx(serial("2023-10-18 23:59:59"))]
    assert got[1] == [pytest.approx(serial("2023-10-07 23:59:59"))]
    assert got[2] == [""]
    assert got[3] == ["#错误：派单时间“abc”不是有效的日期时间"]
    assert got[4][0].startswith("#错误：时限类型“特急”无效")
    assert got[5] == ["#错误：时限类型为“法定”时须填写法定期限"]


def test_deadline_with_hold_and_params():
    got = call("JSJB_DEADLINE", "2023-09-28 10:00", "一般", None, None, "2023-10-09 09:00", "2023-10-10 17:00",
               None, [["参数", "值"], ["limit_normal", 3]])
    assert got == [[pytest.approx(serial("2023-10-11 23:59:59"))]]
    bad = call("JSJB_DEADLINE", "2023-09-28 10:00", "一般", None, None, None, None, None, [["materials_hours", "两天"]])
    assert bad[0][0].startswith("#错误：") and "materials_hours" in bad[0][0]


@pytest.mark.parametrize("args, expected", [
    ((serial("2023-10-11 23:59:59"), "", None, None, None, "2023-10-12"), "超期未办结"),
    ((serial("2023-10-11 23:59:59"), "", None, None, None, "2023-10-10 12:00"), "临期"),
    ((serial("2023-10-11 23:59:59"), "", None, None, None, "2023-10-01"), "在办"),
    ((serial("2023-10-11 23:59:59"), serial("2023-10-10"), None, None, None, "2023-10-12"), "已办结"),
    ((serial("2023-10-11 23:59:59"), "", "2023-09-28 12:00", None, None, "2023-10-12"), "已退回"),
    ((serial("2023-10-11 23:59:59"), "", None, "2023-10-09", None, "2023-10-12"), "挂单中"),
    (("#错误：派单时间“abc”不是有效的日期时间", "", None, None, None, "2023-10-12"), "数据有误"),
    (("", "", None, None, None, "2023-10-12"), ""),
])
def test_status(args, expected):
    assert call("JSJB_STATUS", *args, None) == [[expected]]


def test_status_of_a_column_defaults_to_now():
    got = call("JSJB_STATUS", col(serial("2000-01-10 23:59:59"), serial("2000-01-10 23:59:59")),
               col("", serial("2000-01-05")), None, None, None, None, None)
    assert got == [["超期未办结"], ["已办结"]]


@pytest.mark.parametrize("item, rate, expected", [
    ("响应率", 0.9, 18.0), ("解决率", 1, 20.0), ("满意率", 0.5, 12.5), ("满意率", "无数据", 25.0),
    ("满意率", "", 25.0), ("响应率", "95%", 19.0),
    ("响应率", 1.2, "#错误：比率“1.2”应在 0 到 1 之间（或 0% 到 100%）"),
    ("速度", 0.5, "#错误：项目“速度”应为 响应率、解决率 或 满意率"),
])
def test_score(item, rate, expected):
    assert call("JSJB_SCORE", item, rate, None) == [[expected]]


def test_score_params():
    assert call("JSJB_SCORE", "满意率", "", [["empty_rate_full_marks", "否"]]) == [[0.0]]


def test_materials_reply_timely():
    deadline = serial("2023-10-11 23:59:59")
    assert call("JSJB_MATERIALS_DUE", deadline, "2023-09-28 10:00", None) == \
        [[pytest.approx(serial("2023-10-09 23:59:59"))]]
    assert call("JSJB_REPLY_DUE", "2023-09-28 10:30", None) == [[pytest.approx(serial("2023-09-28 13:30"))]]
    assert call("JSJB_TIMELY", col(deadline, deadline, deadline), col("2023-10-11 23:59:59", "2023-10-12", ""),
                None, "2023-12-01") == [["是"], ["否"], [""]]


def test_flags_over_the_whole_table():
    ledger = [[S.ID, S.DISPATCHED, S.LIMIT_TYPE, S.FORWARDED, S.CONFIRMED, S.RETURNED],
              ["A", "2023-09-28 10:00", "一般", "2023-09-28 10:30", "2023-09-28 14:00", ""],
              ["B", "2023-09-28 10:00", "一般", "", "", "2023-09-29 10:00"],
              ["C", "2023-09-28 10:00", "一般", "", "", ""]]
    assert call("JSJB_FLAGS", ledger, None, None, "2023-12-01") == \
        [["确认超时（第21条）"], ["退回超时（第14条）"], [""]]


def test_explain_names_the_holidays_and_each_step():
    text = call("JSJB_EXPLAIN", "2023-09-28 10:00", "一般", None, 5, "2023-10-16", "2023-10-17", None, None)[0][0]
    assert "中秋节放假" in text and "国庆节调休上班" in text
    assert "延期5个工作日" in text and "2个工作日" in text
    assert text.endswith("最终期限 2023-10-20 23:59:59")


def test_udfs_agree_with_the_day_by_day_oracle_on_a_whole_ledger():
    """One call per column over a 3,000-row sample gives, row by row, the deadline an independent
    day-by-day walk of the calendar gives (tests/test_oracle.py, written from RULES.md, not from the core)."""
    from test_oracle import Uncovered, day_end, nth_workday_after, workdays_between

    sample = generate(3000, 2025, 3)
    t = build(sample.sheets).tickets

    def cells(series):
        return [[("" if pd.isna(v) else (pd.Timestamp(v).to_pydatetime() if isinstance(v, pd.Timestamp) else v))]
                for v in series]
    ext = (t[S.EXT1_DAYS].fillna(0) + t[S.EXT2_DAYS].fillna(0)).astype(int)
    got = xlfuncs.JSJB_DEADLINE(cells(t[S.DISPATCHED]), cells(t[S.LIMIT_TYPE]), cells(t[S.LEGAL_DATE]),
                                [[int(v)] for v in ext], cells(t[S.HOLD_START]), cells(t[S.HOLD_END]))
    limits = {"紧急": 1, "民生": 3, "一般": 5, "复杂": 15}     # R3
    checked = 0
    for row, (sent, kind, legal, extra, hs, he) in zip(got, zip(
            t[S.DISPATCHED], t[S.LIMIT_TYPE], t[S.LEGAL_DATE], ext, t[S.HOLD_START], t[S.HOLD_END])):
        if pd.isna(sent) or not isinstance(kind, str):
            continue
        try:
            base = legal.date() if kind == "法定" else nth_workday_after(sent.date(), limits[kind])
            deadline = nth_workday_after(base, int(extra))
            if not pd.isna(hs) and not pd.isna(he) and he >= hs:
                deadline = nth_workday_after(deadline, workdays_between(hs.date(), he.date()))
            expected = day_end(deadline)
        except Uncovered:
            continue
        assert row[0] == expected, (sent, kind, extra, hs, he)
        checked += 1
    assert checked > 2500


# -- fuzz: nothing escapes as an exception ------------------------------------------------------
cell = st.one_of(st.none(), st.text(max_size=12), st.integers(-10**7, 10**7), st.booleans(),
                 st.floats(allow_nan=True, allow_infinity=True), st.sampled_from(["一般", "法定", "紧急", "无数据", "95%"]),
                 st.datetimes(min_value=dt.datetime(1990, 1, 1), max_value=dt.datetime(2040, 1, 1)),
                 st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2040, 1, 1)))
arg = st.one_of(cell, st.lists(cell, min_size=1, max_size=6), st.lists(st.lists(cell, min_size=1, max_size=2),
                                                                         min_size=1, max_size=5))


@pytest.mark.parametrize("udf", UDFS, ids=[u.__name__ for u in UDFS])
@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None, max_examples=80)
@given(data=st.data())
def test_no_input_escapes_as_an_exception(udf, data):
    import inspect

    n = len(inspect.signature(udf).parameters)
    args = [data.draw(arg) for _ in range(n)]
    result = udf(*args)
    if isinstance(result, list):
        assert all(isinstance(r, list) and len(r) == 1 for r in result)
        values = [r[0] for r in result]
    else:
        values = [result]
    for v in values:
        assert v is None or isinstance(v, (str, int, float, dt.datetime)), v
        # every failure is a specific message naming the argument, never the generic catch-all
        assert not (isinstance(v, str) and "计算出错" in v), (args, v)


@given(st.dates(min_value=dt.date(2004, 3, 1), max_value=dt.date(2026, 6, 30)),
       st.sampled_from(["紧急", "民生", "一般", "复杂"]), st.integers(0, 20), st.integers(0, 30), st.integers(0, 20))
@settings(deadline=None, max_examples=60)
def test_explain_always_ends_at_the_deadline(day, limit, ext, hold_offset, hold_len):
    start = dt.datetime.combine(day, dt.time(10))
    hs = start + dt.timedelta(days=hold_offset)
    he = hs + dt.timedelta(days=hold_len)
    deadline = xlfuncs.JSJB_DEADLINE(start, limit, None, ext, hs, he)
    text = xlfuncs.JSJB_EXPLAIN(start, limit, None, ext, hs, he)
    assert isinstance(deadline, dt.datetime)
    assert text.endswith(f"最终期限 {deadline:%Y-%m-%d} 23:59:59")


# -- the argument shapes classic (COM) xlwings delivers on Windows --------------------------------------
# Through classic_udfs: the classic-decorated copy of xlfuncs and the COM read path (n×1 → 1-D list,
# numbers as floats, dates as datetime, blanks None, error cells as text where err_to_str is set,
# a one-cell range → a scalar). Expected values are the rulebook's, computed by hand (R2, R3):
# 2023-09-29…10-06 are holidays, 10-07 and 10-08 调休 working days.
import classic_udfs  # noqa: E402
from classic_udfs import ExcelError  # noqa: E402

D = dt.datetime


@pytest.fixture(scope="module")
def com():
    return classic_udfs.load()[1]


def test_com_one_row_table_arrives_as_scalars(com):
    got = classic_udfs.call(com.JSJB_DEADLINE, D(2023, 9, 28, 10), "一般", None, 0, None, None,
                            [[D(2027, 1, 1), "休息日", "元旦"], [None, None, None]], [["参数", "值"], [None, None]])
    assert got == D(2023, 10, 11, 23, 59, 59)


def test_com_columns_with_blanks_and_error_cells(com):
    got = classic_udfs.call(com.JSJB_DEADLINE, [[D(2023, 9, 28, 10)], [D(2023, 9, 28, 10)], [None],
                                                [ExcelError("#N/A")]],
                            [["一般"], ["紧急"], [None], ["一般"]], [[None]] * 4, [[5], [0], [0], [0]], None, None)
    assert got[0] == [D(2023, 10, 18, 23, 59, 59)]          # 10-11 + 5 working days (10-12…10-18, weekend skipped)
    assert got[1] == [D(2023, 10, 7, 23, 59, 59)]
    assert got[2] == [""]
    assert got[3][0].startswith("#错误：") and "#N/A" in got[3][0]


def test_com_error_cell_in_a_vocabulary_column_is_reported(com):
    got = classic_udfs.call(com.JSJB_DEADLINE, D(2023, 9, 28, 10), ExcelError("#VALUE!"))
    assert got.startswith("#错误：") and "#VALUE!" in got


def test_com_workday_and_networkdays_with_float_counts(com):
    assert classic_udfs.call(com.JSJB_WORKDAY, D(2023, 9, 28, 10), 5) == D(2023, 10, 11)
    assert classic_udfs.call(com.JSJB_WORKDAY, [[D(2023, 9, 28)], [D(2023, 10, 11)]], [[5], [-5]]) == \
        [[D(2023, 10, 11)], [D(2023, 9, 28)]]
    assert classic_udfs.call(com.JSJB_NETWORKDAYS, D(2023, 9, 28), D(2023, 10, 11)) == 6   # 9-28, 10-07…10-11
    assert classic_udfs.call(com.JSJB_NETWORKDAYS, dt.date(2023, 10, 1), dt.date(2023, 10, 6)) == 0


def test_com_status_timely_take_as_of_from_a_cell(com):
    deadline = D(2023, 10, 11, 23, 59, 59)
    assert classic_udfs.call(com.JSJB_STATUS, deadline, None, None, None, None, D(2023, 10, 12)) == "超期未办结"
    assert classic_udfs.call(com.JSJB_STATUS, deadline, None, None, None, None, D(2023, 10, 10, 12)) == "临期"
    assert classic_udfs.call(com.JSJB_STATUS, [[deadline], [deadline]], [[D(2023, 10, 10)], [None]], None, None, None,
                             D(2023, 10, 10, 12)) == [["已办结"], ["临期"]]
    bad = classic_udfs.call(com.JSJB_STATUS, deadline, None, None, None, None, ExcelError("#NAME?"))
    assert bad.startswith("#错误：") and "#NAME?" in bad
    assert classic_udfs.call(com.JSJB_TIMELY, [[deadline], [deadline]], [[deadline], [D(2023, 10, 12)]], None,
                             D(2023, 12, 1)) == [["是"], ["否"]]


def test_com_flags_over_a_one_ticket_table_and_an_empty_one(com):
    header = [S.ID, S.DISPATCHED, S.LIMIT_TYPE, S.FORWARDED, S.CONFIRMED]
    one = [header, ["A", D(2023, 9, 28, 10), "一般", D(2023, 9, 28, 10, 30), D(2023, 9, 28, 14)]]
    assert classic_udfs.call(com.JSJB_FLAGS, one, None, None, D(2023, 12, 1)) == "确认超时（第21条）"   # 3.5 h > 3 h
    assert classic_udfs.call(com.JSJB_FLAGS, [header], None, None, D(2023, 12, 1)) == ""


def test_com_score_and_reply_due(com):
    assert classic_udfs.call(com.JSJB_SCORE, "响应率", 0.9) == 18.0
    assert classic_udfs.call(com.JSJB_SCORE, [["满意率"], ["解决率"]], [[None], [0.5]]) == [[25.0], [10.0]]
    assert classic_udfs.call(com.JSJB_REPLY_DUE, D(2023, 9, 28, 10, 30)) == D(2023, 9, 28, 13, 30)
    assert classic_udfs.call(com.JSJB_MATERIALS_DUE, D(2023, 10, 11, 23, 59, 59), D(2023, 9, 28, 10)) == \
        D(2023, 10, 9, 23, 59, 59)


def test_com_explain_cites_the_holidays(com):
    text = classic_udfs.call(com.JSJB_EXPLAIN, D(2023, 9, 28, 10), "一般")
    assert "国庆节调休上班" in text and text.endswith("最终期限 2023-10-11 23:59:59")
