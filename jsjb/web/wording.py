"""What a browser clerk reads: no server paths (CONTRACT §5).

Jobs and errors name files with their full paths — right for the command line, wrong for a page:
a clerk at another PC cannot open the server's folders, and a path tells her nothing but the
server's layout. :class:`Scrubber` turns every absolute path in a message (POSIX or Windows) into
the name of the file or folder it ends in; the folders it is told about (the work folder, the
command-line ledger's folder) also when their names hold spaces."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

_PART = r"[^\s/\\：:，,。；;、（）()“”\"'<>|*?]+"
PATH = re.compile(rf"(?<![\w.~:/\\])(?:[A-Za-z]:)?[\\/](?:{_PART}[\\/])*(?:{_PART})?")


def _last(match: re.Match) -> str:
    parts = [p for p in re.split(r"[\\/]", match.group(0)) if p and not p.endswith(":")]
    return parts[-1] if parts else match.group(0)


class Scrubber:
    """``scrub(text)``: ``text`` with each server path replaced by the last name in it."""

    def __init__(self, roots: Iterable[Path] = ()):
        texts = set()
        for r in roots:
            for form in (Path(r), Path(r).resolve()):
                texts.add(str(form))
        self.roots = sorted(texts, key=len, reverse=True)     # the longest first: nested folders

    def __call__(self, text: str) -> str:
        if not text:
            return text
        names = {}
        for k, root in enumerate(self.roots):
            if root in text:
                names[f"@root{k}@"] = Path(root).name
                text = text.replace(root, f"/@root{k}@")
        text = PATH.sub(_last, text)
        for marker, name in names.items():
            text = text.replace(marker, name)
        return text


__all__ = ["Scrubber"]
