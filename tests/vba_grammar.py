"""VBA source checked against a VBA grammar (tests only): the MS-VBAL 7.1 grammar of the ANTLR
grammars collection (antlr/grammars-v4, vba/vba7_1 with vba_cc for conditional compilation), as
generated Python by the PyPI package ``antlr4-vba``.

A module is first parsed with the conditional-compilation grammar (``#Const``, ``#If``); the
branches an Excel on 64-bit Windows compiles are kept (the conditions met in our modules —
``App = "Microsoft Excel"``, ``Mac``, ``VBA7``, ``Win64`` — are evaluated here; any other condition
fails the test), then the logical lines are parsed with the VBA grammar. The first parse takes
some seconds (ANTLR builds its prediction tables); later ones are fast."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pytest

antlr4 = pytest.importorskip("antlr4")
pytest.importorskip("antlr4_vba")

from antlr4 import CommonTokenStream, InputStream  # noqa: E402
from antlr4.error.ErrorListener import ErrorListener  # noqa: E402
from antlr4_vba.vba_ccLexer import vba_ccLexer  # noqa: E402
from antlr4_vba.vba_ccParser import vba_ccParser  # noqa: E402
from antlr4_vba.vbaLexer import vbaLexer  # noqa: E402
from antlr4_vba.vbaParser import vbaParser  # noqa: E402

EXCEL_WIN64 = {"MAC": False, "VBA7": True, "WIN64": True, "WIN32": True, "WIN16": False}


class _Errors(ErrorListener):
    def __init__(self):
        self.found: list[str] = []

    def syntaxError(self, recognizer, offending, line, column, msg, e):  # noqa: N802 - ANTLR's name
        self.found.append(f"line {line}:{column} {msg}")


def _parse(lexer_cls, parser_cls, text):
    errors = _Errors()
    lexer = lexer_cls(InputStream(text))
    lexer.removeErrorListeners()
    lexer.addErrorListener(errors)
    parser = parser_cls(CommonTokenStream(lexer))
    parser.removeErrorListeners()
    parser.addErrorListener(errors)
    return parser.startRule(), errors.found


@dataclass
class Parsed:
    tree: object
    errors: list[str] = field(default_factory=list)
    code: str = ""                     # the module after conditional compilation


_CONDITION = re.compile(r'^(\w+)\s*=\s*"([^"]*)"$|^(Not\s+)?(\w+)$', re.I)


def _holds(condition: str, consts: dict) -> bool:
    m = _CONDITION.match(condition.strip())
    assert m, f"a conditional-compilation condition this helper does not evaluate: {condition}"
    if m.group(1):
        return str(consts.get(m.group(1).upper())) == m.group(2)
    value = bool(consts.get(m.group(4).upper(), False))
    return not value if m.group(3) else value


def conditional_compilation(text: str) -> tuple[str, list[str]]:
    """Parse ``text`` with the vba_cc grammar, then keep the lines Excel on 64-bit Windows
    compiles (directive lines become blank, so line numbers stay)."""
    _, errors = _parse(vba_ccLexer, vba_ccParser, text.replace("\r\n", "\n"))
    consts = dict(EXCEL_WIN64)
    out, stack = [], []                    # stack: (this branch active, a branch was taken)
    for line in text.replace("\r\n", "\n").split("\n"):
        s = line.strip()
        active = all(a for a, _ in stack)
        if m := re.match(r"#Const\s+(\w+)\s*=\s*\"([^\"]*)\"", s, re.I):
            if active:
                consts[m.group(1).upper()] = m.group(2)
            out.append("")
        elif m := re.match(r"#If\s+(.*?)\s+Then\b", s, re.I):
            taken = _holds(m.group(1), consts)
            stack.append((taken, taken))
            out.append("")
        elif m := re.match(r"#ElseIf\s+(.*?)\s+Then\b", s, re.I):
            _, done = stack.pop()
            taken = not done and _holds(m.group(1), consts)
            stack.append((taken, done or taken))
            out.append("")
        elif re.match(r"#Else\b", s, re.I):
            _, done = stack.pop()
            stack.append((not done, True))
            out.append("")
        elif re.match(r"#End\s*If\b", s, re.I):
            stack.pop()
            out.append("")
        else:
            out.append(line if active else "")
    assert not stack, "unbalanced #If"
    return "\n".join(out), errors


def parse_module(text: str) -> Parsed:
    """A .bas module (``Attribute VB_Name`` header first) through both grammars."""
    code, errors = conditional_compilation(text)
    tree, more = _parse(vbaLexer, vbaParser, code)
    return Parsed(tree, errors + more, code)


def procedures(parsed: Parsed) -> dict[str, object]:
    """Sub and Function declarations by name (parse-tree contexts)."""
    found = {}

    def walk(node):
        if isinstance(node, (vbaParser.SubroutineDeclarationContext, vbaParser.FunctionDeclarationContext)):
            name = node.subroutineName() if hasattr(node, "subroutineName") and node.subroutineName() else \
                node.functionName()
            found[name.getText()] = node
        for i in range(node.getChildCount() if hasattr(node, "getChildCount") else 0):
            walk(node.getChild(i))
    walk(parsed.tree)
    return found


def statements(procedure) -> list[object]:
    """The statements of a procedure's body, in order (labels included)."""
    body = procedure.procedureBody() if hasattr(procedure, "procedureBody") else None
    out = []

    def walk(node):
        if isinstance(node, (vbaParser.StatementContext, vbaParser.StatementLabelDefinitionContext)):
            out.append(node)
            return
        for i in range(node.getChildCount() if hasattr(node, "getChildCount") else 0):
            walk(node.getChild(i))
    if body is not None:
        walk(body)
    return out


def parameters(procedure) -> str:
    params = procedure.procedureParameters() if hasattr(procedure, "procedureParameters") else None
    return params.getText() if params else ""
