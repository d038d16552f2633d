"""The ledger template: generated from the schema, committed, and checked against its generator."""

from pathlib import Path

import openpyxl
import pytest
from outputs import open_in_libreoffice, semantics

from jsjb.cli import main
from jsjb.core import schema as S
from jsjb.core.params import PARAMETERS, Params
from jsjb.core.scoring import CODES
from jsjb.io.ledger_book import computed_formulas, write_ledger

TEMPLATE = Path(__file__).resolve().parent.parent / "workbook" / "ledger_template.xlsx"


@pytest.fixture(scope="module")
def fresh(tmp_path_factory):
    path = tmp_path_factory.mktemp("t") / "fresh.xlsx"
    write_ledger(path)
    return path


def test_committed_template_matches_its_generator(fresh):
    assert TEMPLATE.exists(), "run: make template"
    assert semantics(TEMPLATE) == semantics(fresh), "workbook/ledger_template.xlsx drifted: run make template"


def test_cli_template_is_the_same_workbook(tmp_path):
    out = tmp_path / "t.xlsx"
    assert main(["template", str(out)]) == 0
    assert semantics(out) == semantics(TEMPLATE)


def test_sheets_table_and_dropdowns(fresh):
    wb = openpyxl.load_workbook(fresh)
    assert wb.sheetnames == list(S.SHEETS)
    ws = wb[S.SHEET_TICKETS]
    header = [c.value for c in ws[1]]
    assert header == [*S.INPUT_NAMES, *S.COMPUTED_COLUMNS]
    table = ws.tables["工单"]
    assert table.ref.startswith("A1:AD") and [c.name for c in table.tableColumns] == list(S.INPUT_NAMES)
    lists = {str(dv.sqref).split(":")[0]: dv.formula1 for dv in ws.data_validations.dataValidation if dv.type == "list"}
    for j, col in enumerate(S.INPUT_COLUMNS):
        if col.vocab:
            letter = openpyxl.utils.get_column_letter(j + 1)
            assert lists[f"{letter}2"] == '"' + ",".join(col.vocab) + '"', col.name
    assert ws.freeze_panes == "B2"


# The formulas the add-in template must hold, typed from CONTRACT §2's signatures (argument order) and
# the template's layout: table 工单, 办理期限 in column AE (its spill AE2# is ANCHORARRAY(AE2) in the file),
# 节假日 A:C, 参数 A:B, the named cell 统计时点 as as_of.
HOL, PAR = "'节假日'!$A$2:$C$3000", "'参数'!$A$2:$B$200"
EXPECTED_FORMULAS = {
    S.DEADLINE: "=JSJB_DEADLINE(工单[派单时间],工单[时限类型],工单[法定期限],工单[延期1工作日]+工单[延期2工作日],"
                f"工单[挂单开始],工单[挂单结束],{HOL},{PAR})",
    S.MATERIALS_DUE: f"=JSJB_MATERIALS_DUE(_xlfn.ANCHORARRAY(AE2),工单[派单时间],{PAR})",
    S.REPLY_DUE: f"=JSJB_REPLY_DUE(工单[转办时间],{PAR})",
    S.STATUS: "=JSJB_STATUS(_xlfn.ANCHORARRAY(AE2),工单[办结时间],工单[退回时间],工单[挂单开始],工单[挂单结束],"
              f"统计时点,{PAR})",
    S.TIMELY: "=JSJB_TIMELY(_xlfn.ANCHORARRAY(AE2),工单[办结时间],工单[退回时间],统计时点)",
    S.FLAGS: f"=JSJB_FLAGS(工单[#All],{HOL},{PAR},统计时点)",
}


def test_one_spilling_formula_per_computed_column(fresh):
    ws = openpyxl.load_workbook(fresh)[S.SHEET_TICKETS]
    first = len(S.INPUT_NAMES) + 1
    assert openpyxl.utils.get_column_letter(first) == "AE"
    for k, name in enumerate(S.COMPUTED_COLUMNS):
        cell = ws.cell(row=2, column=first + k)
        assert cell.value.text == EXPECTED_FORMULAS[name], name
        assert ws.cell(row=3, column=first + k).value is None        # not one formula per row
    assert set(computed_formulas()) == set(EXPECTED_FORMULAS)        # what 刷新 re-enters: the same columns
    import zipfile

    with zipfile.ZipFile(fresh) as z:
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
        assert sheet.count('cm="1"') == len(S.COMPUTED_COLUMNS)      # dynamic-array markup
        assert "xl/metadata.xml" in z.namelist()


def test_highlighting_for_overdue_due_soon_and_on_hold(fresh):
    ws = openpyxl.load_workbook(fresh)[S.SHEET_TICKETS]
    formulas = [r.formula[0] for rules in ws.conditional_formatting._cf_rules.values() for r in rules]
    assert formulas == ['$AH2="超期未办结"', '$AH2="临期"', '$AH2="挂单中"']


def test_other_sheets_are_ready(fresh):
    wb = openpyxl.load_workbook(fresh)
    params = {r[0]: r for r in wb[S.SHEET_PARAMS].iter_rows(min_row=2, values_only=True)}
    assert set(params) == {p.code for p in PARAMETERS}
    for p in PARAMETERS:
        code, value, description, article, *_ = params[p.code]
        assert description == p.description and article == p.article
    assert [c.value for c in wb[S.SHEET_ENTERPRISES][1]] == list(S.ENTERPRISE_COLUMNS)
    assert [c.value for c in wb[S.SHEET_HOLIDAYS][1]][:3] == list(S.HOLIDAY_COLUMNS)
    assert "每年11月" in wb[S.SHEET_HOLIDAYS]["E1"].value
    codes = [r[6] for r in wb[S.SHEET_ADJUSTMENTS].iter_rows(min_row=2, values_only=True) if r[6]]
    assert codes == list(CODES)
    assert [c.value for c in wb[S.SHEET_MANUAL][1]] == list(S.MANUAL_COLUMNS)
    # no settings sheet: the add-in carries its own jsjb.conf; an xlwings.conf is never read (CONTRACT §4)
    assert not any(name.endswith(".conf") for name in wb.sheetnames)
    help_text = "\n".join(str(r[0]) for r in wb[S.SHEET_HELP].iter_rows(values_only=True) if r[0])
    for word in ("刷新", "月通报", "年度考核", "归档", "发送通报", *S.COMPUTED_COLUMNS[:5], "安装"):
        assert word in help_text, word


def test_template_and_sample_open_in_libreoffice(tmp_path):
    sample = tmp_path / "s.xlsx"
    assert main(["sample", str(sample), "--rows", "50", "-q"]) == 0
    opened = open_in_libreoffice([TEMPLATE, sample])
    assert all(opened.values()), opened


def test_help_numbers_come_from_the_parameters(tmp_path):
    """#10: 使用说明 renders 48 h / 3 h / 48 h from the parameters in force, not typed text."""
    default = "\n".join(str(r[0]) for r in openpyxl.load_workbook(TEMPLATE)[S.SHEET_HELP].iter_rows(values_only=True)
                        if r[0])
    assert "期限前48小时" in default and "转办后3小时" in default and "到期前48小时内" in default
    path = tmp_path / "p.xlsx"
    write_ledger(path, params=Params({"materials_hours": 36, "reply_hours": 2, "warning_hours": 24}))
    wb = openpyxl.load_workbook(path)
    text = "\n".join(str(r[0]) for r in wb[S.SHEET_HELP].iter_rows(values_only=True) if r[0])
    assert "期限前36小时" in text and "转办后2小时" in text and "到期前24小时内" in text
    assert "48小时" not in text
    values = {r[0]: r[1] for r in wb[S.SHEET_PARAMS].iter_rows(min_row=2, values_only=True)}
    assert values["materials_hours"] == 36 and values["reply_hours"] == 2
