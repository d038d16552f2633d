"""An offline wheel folder for intranet PCs without a package index (DESIGN "Install realities").

Run on any machine that reaches the package index; copy the folder to the office PC and install
there with ``python -m pip install --no-index --find-links DIR jsjb``. It holds:
  - the wheel of this project (built here, ``pip wheel --no-deps``);
  - every dependency as a binary wheel for 64-bit Windows and the given Python (default 3.13):
    ``pip download --platform win_amd64 --only-binary=:all: --python-version 3.13 -d DIR …``.

pip evaluates environment markers (``; platform_system == "Windows"``) for the machine it runs
on, not for ``--platform``; so the Windows-only dependencies of xlwings and pandas (pywin32,
tzdata) are named explicitly — otherwise a folder built on Linux would lack them.

Usage: python scripts/build_wheels.py [DIR] [--python-version 3.13]   (default DIR: build/wheels)
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    tomllib = None

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DIR = ROOT / "build" / "wheels"
WINDOWS_ONLY = ("pywin32", "tzdata")          # markers pip would evaluate for this machine, not Windows


def requirements(pyproject: Path = ROOT / "pyproject.toml") -> list[str]:
    """The project's runtime dependencies on Windows (xlwings pinned exactly there) plus the
    Windows-only ones. A dependency marked ``sys_platform == 'win32'`` is named without its marker
    (pip would evaluate it for this machine); one marked for other systems is left out."""
    if tomllib is None:
        sys.exit("需要 Python 3.11 或更高版本运行本脚本。")
    deps = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["dependencies"]
    out = []
    for dep in deps:
        requirement, _, marker = (part.strip() for part in dep.partition(";"))
        if not marker or re.fullmatch(r"""sys_platform\s*==\s*["']win32["']""", marker):
            out.append(requirement)
    return [*out, *WINDOWS_ONLY]


def download_command(dest: Path, python_version: str = "3.13") -> list[str]:
    return [sys.executable, "-m", "pip", "download", "--platform", "win_amd64", "--only-binary=:all:",
            "--python-version", python_version, "-d", str(dest), *requirements()]


def wheel_command(dest: Path) -> list[str]:
    return [sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", str(dest), str(ROOT)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="为不能上网的 Windows 电脑准备离线安装包文件夹")
    parser.add_argument("dest", nargs="?", type=Path, default=DEFAULT_DIR)
    parser.add_argument("--python-version", default="3.13", help="目标电脑的 Python 版本（默认 3.13）")
    args = parser.parse_args(argv)
    args.dest.mkdir(parents=True, exist_ok=True)
    for cmd in (wheel_command(args.dest), download_command(args.dest, args.python_version)):
        print(" ".join(cmd), flush=True)
        if subprocess.call(cmd) != 0:
            print("下载失败：请检查网络和 pip 的软件源设置。", file=sys.stderr)
            return 1
    print(f"离线安装包已就绪：{args.dest}\n在办公电脑上运行：python -m pip install --no-index --find-links "
          f"<该文件夹> jsjb")
    return 0


if __name__ == "__main__":
    sys.exit(main())
