"""Is this Python new enough for jsjb? The floor is pyproject.toml's ``requires-python`` (read here,
not repeated). ``make`` runs this with the Python it is about to build .venv from, and with .venv's
own Python when .venv already exists (a .venv made by an older Python is then rebuilt).

Runs on any Python from 3.6 on (Kylin's 3.8, UOS's 3.7 included), so that an old one gets a plain Chinese
message instead of pip's resolver output. Exit 0: new enough; 1: too old (message on stderr).

    python3 scripts/check_python.py [--quiet]
"""

import re
import sys
from pathlib import Path

PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"


def floor(text):
    """(major, minor) from ``requires-python = ">=X.Y"``."""
    m = re.search(r'^requires-python\s*=\s*">=\s*(\d+)\.(\d+)"', text, re.M)
    if not m:
        raise SystemExit("pyproject.toml: requires-python is not of the form \">=X.Y\"")
    return int(m.group(1)), int(m.group(2))


def main(argv):
    need = floor(PYPROJECT.read_text(encoding="utf-8"))
    have = sys.version_info[:2]
    if have >= need:
        return 0
    if "--quiet" not in argv:
        sys.stderr.write(
            f"本工具需要 Python {need[0]}.{need[1]} 或更高版本，当前的 {sys.executable} 是 Python {have[0]}.{have[1]}。\n"
            f"请安装更新的 Python 后指定它，例如：make demo PYTHON=python3.{need[1]}\n"
            "麒麟、统信等系统自带的 Python 较旧：可直接使用不需要 Python 的独立运行包（见 docs/安装说明.md“信创电脑”）。\n")
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
