"""How wide a line of Chinese text is, in ems (one em = one Chinese character at the font size).

Chinese characters and full-width punctuation (“”（）、，：；〔〕—) take one em; digits, Latin
letters and ASCII punctuation take less; word processors add a quarter em between Chinese and
Latin. The Latin widths here are those of DejaVu Serif — wider than Times New Roman, which the 公文
names for digits — so a line measured here also fits when a PC without Times New Roman renders it
in the common fallback (LibreOffice on Linux): a column sized from these widths keeps "92.86%" on
one line in either font.
"""

from __future__ import annotations

import unicodedata

LATIN_EM = {   # DejaVu Serif advance widths / 2048 (rounded up)
    **dict.fromkeys("0123456789", 0.64),
    ".": 0.32, ",": 0.32, ":": 0.34, ";": 0.34, "-": 0.34, "/": 0.34, " ": 0.32, "%": 0.95, "(": 0.39,
    ")": 0.39, "+": 0.84, "=": 0.84, "#": 0.84, "*": 0.5, "_": 0.5, "'": 0.27, '"': 0.46,
}
LOWER_EM, UPPER_EM = 0.62, 0.76
AUTOSPACE_EM = 0.25     # the gap Word, WPS and LibreOffice put between Chinese and Latin letters or digits


def char_em(ch: str) -> float:
    if ch in LATIN_EM:
        return LATIN_EM[ch]
    if ch.isascii():
        if ch.isupper():
            return UPPER_EM
        return LOWER_EM
    if unicodedata.east_asian_width(ch) in ("W", "F", "A"):
        return 1.0
    return UPPER_EM


def em_width(text: str) -> float:
    """The width of ``text`` on one line, in ems, with the automatic gap between Chinese and Latin
    letters or digits ("12345热线" is wider than its characters)."""
    total, before = 0.0, None
    for ch in str(text):
        total += char_em(ch)
        kind = "cjk" if not ch.isascii() else "latin" if ch.isalnum() else None
        if kind and before and kind != before:
            total += AUTOSPACE_EM
        before = kind or before
    return total


def break_lines(segments: list[str], max_em: float) -> list[str]:
    """Set a title's words on as few lines as hold them within ``max_em``, breaking only between
    ``segments`` (the words a reader keeps together, GB/T 9704 7.3.1: 回行时要做到词意完整), and of
    those layouts the most even one (排列对称，长短适宜). A segment wider than a line stays whole on
    its own line."""
    n = len(segments)
    widths = [em_width(s) for s in segments]
    best: tuple | None = None

    def layouts(start: int):
        if start == n:
            yield []
            return
        total = 0.0
        for end in range(start + 1, n + 1):
            total += widths[end - 1]
            if total > max_em and end > start + 1:
                break
            for rest in layouts(end):
                yield [(start, end), *rest]

    for layout in layouts(0):
        lines = [sum(widths[a:b]) for a, b in layout]
        key = (len(layout), max(lines) - min(lines), -lines[0])
        if best is None or key < best[0]:
            best = (key, layout)
    return ["".join(segments[a:b]) for a, b in best[1]] if best else []
