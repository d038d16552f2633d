"""docs/规则说明.md, the project's own rules document, against the code.

- The generated tables (R3 limits, D/B codes, annual make-up, parameters) are exactly what
  ``scripts/render_rules_doc.py`` renders now: a parameter or code change that forgets the
  document fails here (fix: ``python scripts/render_rules_doc.py``, review the diff).
- Every rule id R0–R23 is explained; every parameter is named in the prose or its table, and a
  numeric parameter named in the prose comes with its current default in the same paragraph.
- The document stands on its own (no link outside the repository) and its command lines parse.
"""

from __future__ import annotations

import dataclasses
import re
import shlex
from pathlib import Path

import pytest
from helpers import load_script

from jsjb.core import params as P
from jsjb.core import schema as S
from jsjb.core import scoring

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "规则说明.md"


gen = load_script("render_rules_doc")


@pytest.fixture(scope="module")
def text() -> str:
    return DOC.read_text(encoding="utf-8")


def _prose(text: str) -> str:
    """The hand-written part: the document without its generated blocks."""
    for name in gen.BLOCKS:
        begin, end = gen.markers(name)
        text = re.sub(re.escape(begin) + ".*?" + re.escape(end), "", text, flags=re.S)
    return text


def _block(text: str, name: str) -> str:
    begin, end = gen.markers(name)
    return text.split(begin)[1].split(end)[0]


def test_committed_doc_is_what_the_generator_renders(text):
    assert gen.render(text) == text, "docs/规则说明.md is out of date: run python scripts/render_rules_doc.py"


def test_rendering_is_idempotent_and_check_mode_agrees(text, tmp_path):
    assert gen.render(gen.render(text)) == gen.render(text)
    assert gen.main(["--check"]) == 0
    stale = tmp_path / "stale.md"
    stale.write_text(text.replace("| `limit_normal` |", "| `limit_normal_old` |"), encoding="utf-8")
    assert gen.main(["--check", "--doc", str(stale)]) == 1
    assert gen.main(["--doc", str(stale)]) == 0           # rewrites it
    assert stale.read_text(encoding="utf-8") == text


def test_a_changed_default_is_caught(text, monkeypatch):
    """What CI sees when someone changes a parameter and forgets the document."""
    changed = tuple(dataclasses.replace(p, default=72) if p.code == "materials_hours" else p for p in P.PARAMETERS)
    monkeypatch.setattr(P, "PARAMETERS", changed)
    monkeypatch.setattr(P, "BY_CODE", {p.code: p for p in changed})
    assert gen.render(text) != text


@pytest.mark.parametrize("attr, value", [
    ("CODES", {**scoring.CODES, "B7": scoring.Code("B7", 0.2, "新加分项", "附表")}),
    ("MANUAL_ITEMS", {**scoring.MANUAL_ITEMS, "组织机构": 6}),
])
def test_a_changed_code_or_item_is_caught(text, monkeypatch, attr, value):
    monkeypatch.setattr(scoring, attr, value)
    assert gen.render(text) != text


def test_markers_must_be_present_once_and_in_order(text):
    begin, end = gen.markers("参数表")
    with pytest.raises(ValueError):
        gen.render(text.replace(end, ""))
    with pytest.raises(ValueError):
        gen.render(text + "\n" + begin + "\n")
    swapped = text.replace(begin, "\0").replace(end, begin).replace("\0", end)
    with pytest.raises(ValueError):
        gen.render(swapped)


@pytest.mark.parametrize("rule", [f"R{i}" for i in range(24)])
def test_every_rule_id_is_explained_in_the_prose(text, rule):
    assert re.search(rf"(?<![A-Za-z0-9]){rule}(?!\d)", _prose(text)), f"{rule} missing from docs/规则说明.md"


def test_sections_in_order(text):
    heads = re.findall(r"^## (.+)$", text, flags=re.M)
    assert [h[:2] for h in heads] == ["一、", "二、", "三、", "四、", "五、", "六、", "七、", "八、", "九、", "十、", "附："]


def test_every_parameter_code_and_score_code_is_in_its_table(text):
    table = _block(text, "参数表")
    for p in P.PARAMETERS:
        assert f"| `{p.code}` |" in table
    codes = _block(text, "代码表")
    for code in scoring.CODES:
        assert f"| `{code}` |" in codes


def test_limit_table_covers_every_limit_type():
    assert tuple(kind for kind, _, _ in gen.LIMITS) == S.LIMIT_TYPES
    days = P.Params().limit_days()
    assert {kind: P.BY_CODE[code].default for kind, _, code in gen.LIMITS if code} == days


def test_prose_names_numeric_defaults_next_to_their_parameter(text):
    """Hand-written numbers: a paragraph naming a numeric parameter states its current default,
    so a changed default shows up here as well as in the generated table."""
    paragraphs = re.split(r"\n\s*\n", _prose(text))
    for p in P.PARAMETERS:
        if p.kind != P.NUMBER:
            continue
        value = P.display(p.default)
        for para in paragraphs:
            if f"`{p.code}`" in para:
                assert re.search(rf"(?<![\d.]){re.escape(value)}(?![\d.])", para), \
                    f"paragraph naming {p.code} does not state its default {value}:\n{para}"


def test_prose_rate_total_matches_the_parameters(text):
    full = sum(float(P.BY_CODE[code].default) for code in scoring.RATES.values())
    assert f"三项比率得分（满分 {full:g}）" in _prose(text)


def test_the_worked_example_still_holds(calendar):
    import datetime as dt

    assert calendar.add(dt.date(2023, 9, 28), 5) == dt.date(2023, 10, 11)
    assert calendar.count(dt.date(2023, 10, 9), dt.date(2023, 10, 10)) == 2
    assert calendar.add(dt.date(2023, 10, 11), 2) == dt.date(2023, 10, 13)


def test_self_contained(text):
    assert "../shared" not in text and "RULES.md" not in text


def test_command_lines_parse(text):
    """Every command the clerk is told to type exists, and the full lines parse as written."""
    import argparse

    from jsjb.cli import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    for name in re.findall(r"`jsjb (\w+)", text):
        assert name in sub.choices, f"jsjb {name} is not a command"
    blocks = re.findall(r"```bash\n(.*?)```", text, flags=re.S)
    lines = [line.strip() for block in blocks for line in block.splitlines() if line.strip()]
    assert "jsjb holidays parse 通知.txt --out 节假日.xlsx" in lines
    for line in lines:
        words = shlex.split(line)
        assert words[0] == "jsjb"
        parser.parse_args(words[1:])
