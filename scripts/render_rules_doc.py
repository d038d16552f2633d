"""Render the generated tables of docs/规则说明.md from the code that the product runs on.

The rules document is prose written by hand, except for the tables that must never drift
from the code: the limits per 时限类型 (R3), the deduction and bonus codes
(``jsjb.core.scoring.CODES``), the make-up of the annual score (``scoring.MANUAL_ITEMS`` and
``scoring.RATES`` with the caps) and the adjustable parameters (``jsjb.core.params.PARAMETERS``).
Each table sits between a pair of marker comments, e.g. ``<!-- 参数表开始 -->`` … ``<!-- 参数表结束 -->``;
everything between the markers is replaced, everything outside them is left alone.

    python scripts/render_rules_doc.py           # rewrite the tables in the document
    python scripts/render_rules_doc.py --check   # exit 1 when the document is out of date

``tests/test_rules_doc.py`` runs the same rendering and fails when the committed document
differs, so a parameter or code change that forgets the document fails CI.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:          # run from a checkout without installing
    sys.path.insert(0, str(ROOT))

from jsjb.core import params as P  # noqa: E402
from jsjb.core import scoring  # noqa: E402

DOC = ROOT / "docs" / "规则说明.md"


def _cell(value: object) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def _table(headers: list[str], rows: list[list[object]]) -> list[str]:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
    return lines


def _number(value: float) -> str:
    return f"{value:g}"


def _unit(p: P.Parameter) -> str:
    if p.kind == P.BOOL:
        return "是/否"
    if p.kind == P.CHOICE:
        return "选项：" + "、".join(p.choices)
    return p.unit or "—"


def param_table() -> str:
    """附：every policy parameter with its default, unit, article and rule id."""
    rows = [[f"`{p.code}`", p.description, P.display(p.default), _unit(p), p.article, p.rule]
            for p in P.PARAMETERS]
    lines = _table(["代码", "含义", "默认值", "单位", "依据", "规则编号"], rows)
    lines += ["", f"共 {len(P.PARAMETERS)} 个参数。数值参数不得小于下限，标为工作日、次、月的须为整数；"
                  "填写不合规时，所有命令都会报错并指出参数代码和所填的值，不会按猜测的值计算。"]
    return "\n".join(lines)


# 时限类型 → (who it is for, parameter); 法定 has no parameter: the date in 法定期限
LIMITS: tuple[tuple[str, str, str | None], ...] = (
    ("紧急", "反映问题紧急、需当即解答的", "limit_urgent"),
    ("民生", "水电气暖等基本生活保障的一般诉求", "limit_livelihood"),
    ("一般", "其他事项中的一般事项", "limit_normal"),
    ("复杂", "其他事项中较复杂、需较长时间的", "limit_complex"),
    ("法定", "须经法律程序处理的", None),
)


def limit_table() -> str:
    """第二节 R3：时限类型 → working days, with parameter and article."""
    rows = []
    for kind, meaning, code in LIMITS:
        if code is None:
            rows.append([kind, meaning, "按“法定期限”列的日期，到当天 23:59:59", "—", "附表 响应率 第3项"])
        else:
            p = P.BY_CODE[code]
            rows.append([kind, meaning, f"{P.display(p.default)} 个{p.unit}", f"`{code}`", p.article])
    return "\n".join(_table(["时限类型", "适用", "办理时限", "参数", "依据"], rows))


def code_table() -> str:
    """第六节：the deduction (D) and bonus (B) codes of the 加减分 sheet."""
    rows = []
    for c in scoring.CODES.values():
        kind, verb = ("扣分", "扣") if c.points < 0 else ("加分", "加")
        rows.append([f"`{c.code}`", kind, c.label, f"{verb} {_number(abs(c.points))} 分", c.article])
    lines = _table(["代码", "类别", "事项", "每次分值", "依据"], rows)
    dcap, bcap = P.BY_CODE["deduction_cap"], P.BY_CODE["bonus_cap"]
    lines += ["", f"每个考核期内扣分合计最多 {P.display(dcap.default)} 分（参数 `{dcap.code}`），"
                  f"加分合计最多 {P.display(bcap.default)} 分（参数 `{bcap.code}`）。"
                  f"程序按 R8 自动计入的 `{scoring.LATE_REPLY_CODE}` 不要再在“加减分”表手工录入，否则会重复扣分。"]
    return "\n".join(lines)


def assessment_table() -> str:
    """第七节：the make-up of the annual score (R18)."""
    rows: list[list[object]] = []
    total = 0.0
    for item, maximum in scoring.MANUAL_ITEMS.items():
        rows.append([item, _number(maximum), "“考核录入”表人工评分，超过满分即报错"])
        total += maximum
    for item, code in scoring.RATES.items():
        full = float(P.BY_CODE[code].default)
        rows.append([item, _number(full), f"全年{item} × 满分（参数 `{code}`）"])
        total += full
    dcap, bcap = float(P.BY_CODE["deduction_cap"].default), float(P.BY_CODE["bonus_cap"].default)
    rows.append(["小计", _number(total), ""])
    rows.append(["扣分", f"−{_number(dcap)} 至 0", "全年扣分合计，封顶（参数 `deduction_cap`）"])
    rows.append(["加分", f"0 至 +{_number(bcap)}", "全年加分合计，封顶（参数 `bonus_cap`）"])
    rows.append(["最高", _number(total + bcap), "小计 + 加分上限"])
    return "\n".join(_table(["项目", "满分", "怎样得出"], rows))


BLOCKS: dict[str, Callable[[], str]] = {
    "时限表": limit_table,
    "参数表": param_table,
    "代码表": code_table,
    "考核构成表": assessment_table,
}


def markers(name: str) -> tuple[str, str]:
    return f"<!-- {name}开始 -->", f"<!-- {name}结束 -->"


def render(text: str) -> str:
    """``text`` with every generated block replaced by the current rendering."""
    for name, make in BLOCKS.items():
        begin, end = markers(name)
        if text.count(begin) != 1 or text.count(end) != 1:
            raise ValueError(f"文档中应各有一个 {begin} 和 {end}")
        head, rest = text.split(begin)
        _, tail = rest.split(end)
        if end in head or begin in tail:
            raise ValueError(f"{end} 应在 {begin} 之后")
        text = f"{head}{begin}\n{make()}\n{end}{tail}"
    return text


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="生成 docs/规则说明.md 中由程序决定的表格（时限、扣分加分代码、年度考核构成、参数）")
    ap.add_argument("--check", action="store_true", help="只检查文档是否最新，不写入；过时则退出码为 1")
    ap.add_argument("--doc", type=Path, default=DOC, help="文档路径（默认 docs/规则说明.md）")
    args = ap.parse_args(argv)
    text = args.doc.read_text(encoding="utf-8")
    new = render(text)
    if args.check:
        if new != text:
            print(f"{args.doc} 与参数/代码不一致：请运行 python scripts/render_rules_doc.py", file=sys.stderr)
            return 1
        return 0
    if new != text:
        tmp = args.doc.with_suffix(".tmp")
        tmp.write_text(new, encoding="utf-8", newline="\n")
        tmp.replace(args.doc)
        print(f"已更新：{args.doc}")
    else:
        print(f"无需更新：{args.doc}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
