"""`jsjb doctor` (jsjb.doctor): on Linux it runs what applies and marks the Excel checks skipped;
every failure carries a Chinese fix. The Windows/Excel checks themselves (jsjb.doctor_windows)
are in tests/test_doctor_windows.py, on a fake COM layer."""

import datetime as dt
import importlib.util
import json
import sys
from pathlib import Path

import pytest
import xlwings

from jsjb import doctor

ROOT = Path(__file__).resolve().parent.parent


def has_chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


@pytest.fixture(scope="module")
def checks():
    return doctor.run()


def test_every_check_is_ok_fail_or_skipped_and_failures_say_the_fix(checks):
    assert checks
    for c in checks:
        assert c.status in (doctor.OK, doctor.FAIL, doctor.SKIPPED), c
        assert has_chinese(c.name + c.detail), c
        if c.status == doctor.FAIL:
            assert c.fix and has_chinese(c.fix), c


@pytest.mark.skipif(sys.platform.startswith("win"), reason="Linux behaviour")
def test_on_linux_the_excel_checks_are_skipped_and_the_rest_run(checks):
    by_name = {c.name: c for c in checks}
    for name in ("xlwings DLL", "加载项文件", "宏的信任设置", "Excel 的 COM 注册", "Excel 启动", "加载项已勾选",
                 "加载项已加载", "按钮通路（VBA → RunPython → Python）", "台账计算列", "按钮“刷新”", "按钮“发送通报”"):
        assert by_name[name].status == doctor.SKIPPED and "Windows" in by_name[name].detail
    assert by_name["Python"].status == doctor.OK and sys.executable in by_name["Python"].detail
    assert by_name["依赖包"].status == doctor.OK
    year = dt.date.today().year
    assert f"{year}年节假日安排" in by_name and f"{year + 1}年节假日安排" in by_name
    assert "PDF 字体" in by_name


def test_the_xlwings_pin_is_checked(checks, monkeypatch):
    """Checked on Windows, where the Excel door uses xlwings; skipped elsewhere (not installed there)."""
    c = next(c for c in checks if c.name == "xlwings 版本")
    assert c.status == (doctor.OK if sys.platform.startswith("win") else doctor.SKIPPED), c
    monkeypatch.setattr(doctor, "is_windows", lambda: True)
    c = next(c for c in doctor.check_packages() if c.name == "xlwings 版本")
    assert c.status == doctor.OK and xlwings.__version__ in c.detail


def test_json_shape(checks):
    data = doctor.as_json(checks)
    json.dumps(data, ensure_ascii=False)
    assert set(data) >= {"ok", "checks", "failed"}
    assert [c["name"] for c in data["checks"]] == [c.name for c in checks]
    assert set(data["checks"][0]) == {"name", "status", "detail", "fix"}
    assert data["ok"] == (not data["failed"])
    assert "共" in doctor.report(checks)


def test_holiday_coverage_names_the_missing_year():
    got = {c.name: c for c in doctor.check_holidays(dt.date(2099, 3, 1))}
    assert got["2099年节假日安排"].status == doctor.FAIL and got["2100年节假日安排"].status == doctor.FAIL
    assert "节假日" in got["2100年节假日安排"].fix and "2100" in got["2100年节假日安排"].fix
    covered = doctor.check_holidays(dt.date(2024, 6, 1))     # 2024 and 2025: published and in the package
    assert [c.status for c in covered] == [doctor.OK, doctor.OK]


def test_fonts_for_pdf(monkeypatch):
    from jsjb.io import fonts

    monkeypatch.setattr(fonts, "is_windows", lambda: False)
    monkeypatch.setattr(fonts, "_fc_families", lambda: {"FangSong", "SimHei", "DejaVu Sans"})
    checked = doctor.check_fonts()[0]
    assert checked.status == doctor.FAIL and "楷体" in checked.detail and "方正小标宋" in checked.detail
    assert "仿宋" in checked.detail.split("缺少")[0]
    assert "fc-cache" in checked.fix
    monkeypatch.setattr(fonts, "_fc_families", lambda: {"仿宋_GB2312", "黑体", "KaiTi", "方正小标宋简体"})
    assert doctor.check_fonts()[0].status == doctor.OK
    monkeypatch.setattr(fonts, "_fc_families", lambda: None)
    assert doctor.check_fonts()[0].status == doctor.SKIPPED


def test_the_optional_speed_ups_are_reported(checks, monkeypatch):
    """The opt-in Rust writer (jsjb[fast-writer]): present → ok; missing → skipped, saying what is slower."""
    c = next(c for c in checks if c.name == "加速组件")
    installed = [name for name in doctor.ACCELERATORS if importlib.util.find_spec(name.replace("-", "_"))]
    assert c.status == (doctor.OK if len(installed) == len(doctor.ACCELERATORS) else doctor.SKIPPED)
    monkeypatch.setattr(doctor, "_version", lambda name: None)
    c = doctor.check_accelerators()
    assert c.status == doctor.SKIPPED and "未安装 rvgsrust-xlsxwriter" in c.detail and "XlsxWriter" in c.detail
