"""`make bundle`: a self-contained folder for PCs with no Python environment (CONTRACT §3).

    python scripts/build_bundle.py [--venv DIR] [--out DIR]

1. A build environment (default build/bundle-venv, made from the Python running this script):
   ``pip install '.[bundle]'`` — the run-time dependencies of a plain install (no test tools, no
   opt-in extras) plus PyInstaller. ``--venv`` names an existing environment where jsjb is already
   installed (tests/test_install.py passes the one it installed on the floor Python); only
   PyInstaller is added to it.
2. PyInstaller with packaging/jsjb.spec → one folder holding the program ``jsjb`` (``jsjb.exe`` on
   Windows) and its libraries.
3. The folder ``jsjb-<version>-<os>-<arch>`` gets the launchers (Linux: ``jsjb-serve.desktop`` and
   ``install-desktop.sh``; Windows: ``jsjb-serve.bat``) and ``使用说明.txt`` (how to start it; on
   Linux the oldest glibc it runs on), and is packed into ``<out>/jsjb-<version>-<os>-<arch>.tar.gz``
   (``.zip`` on Windows). Prints the build time and the sizes.

A bundle runs on the operating system and processor it was built on, and (Linux) on a glibc at
least as new as the build machine's: build it on the oldest system it must run on (docs/安装说明.md).
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import subprocess
import sys
import tarfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGING = ROOT / "packaging"
BUILD = ROOT / "build" / "bundle"
ARCH_NAMES = {"amd64": "x86_64", "x64": "x86_64", "arm64": "aarch64"}   # one name per processor kind


def version() -> str:
    m = re.search(r'^version\s*=\s*"([^"]+)"', (ROOT / "pyproject.toml").read_text(encoding="utf-8"), re.M)
    return m.group(1)


def target(system: str | None = None, machine: str | None = None) -> tuple[str, str]:
    """(os, arch) of the bundle name: linux/windows/macos × x86_64/aarch64/…"""
    system = (system or platform.system()).lower()
    machine = (machine or platform.machine()).lower()
    return {"darwin": "macos"}.get(system, system), ARCH_NAMES.get(machine, machine)


def bundle_name(ver: str, system: str, arch: str) -> str:
    return f"jsjb-{ver}-{system}-{arch}"


def archive_name(ver: str, system: str, arch: str) -> str:
    return bundle_name(ver, system, arch) + (".zip" if system == "windows" else ".tar.gz")


def venv_python(venv: Path) -> Path:
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def run(cmd: list, **kw) -> None:
    print("$ " + " ".join(map(str, cmd)), flush=True)
    subprocess.run([str(c) for c in cmd], check=True, **kw)


def build_env(venv: Path | None) -> Path:
    """The Python of the build environment, with jsjb (plain install) and PyInstaller."""
    if venv is not None:
        py = venv_python(venv.resolve())
        run([py, "-m", "pip", "install", "-q", "pyinstaller>=6.10,<7"])
        return py
    venv = ROOT / "build" / "bundle-venv"
    py = venv_python(venv)
    if not py.exists():
        run([sys.executable, "-m", "venv", venv])
    run([py, "-m", "pip", "install", "-q", "--upgrade", "pip"])
    run([py, "-m", "pip", "install", "-q", f"{ROOT}[bundle]"])
    run([py, "-m", "pip", "install", "-q", "--no-deps", "--force-reinstall", str(ROOT)])   # this checkout's code
    return py


def glibc_needed(folder: Path) -> str | None:
    """The newest glibc symbol version any binary in ``folder`` asks for (the oldest glibc the bundle
    runs on), read from the version names in the ELF files; None when there are none (not Linux)."""
    newest = None
    for path in folder.rglob("*"):
        if not path.is_file() or path.is_symlink():
            continue
        with open(path, "rb") as f:
            if f.read(4) != b"\x7fELF":
                continue
            data = f.read()
        for m in re.finditer(rb"GLIBC_(\d+)\.(\d+)(?:\.(\d+))?", data):
            v = tuple(int(x or 0) for x in m.groups())
            newest = max(newest or v, v)
    return None if newest is None else ".".join(map(str, newest[:3] if newest[2] else newest[:2]))


# The launcher inside the folder, double-clicked where it is: %k is its own path, the program sits
# beside it. Written with the Desktop Entry quoting (\\ for \ in the file, then \" \$ inside "…").
IN_PLACE_EXEC = r'sh -c "exec \\"\\$(dirname \\"\\$0\\")/jsjb\\" serve" %k'


def desktop_entry(exec_line: str) -> str:
    return ("[Desktop Entry]\nType=Application\nVersion=1.0\nName=接诉即办台账（网页版）\n"
            "Comment=在浏览器中使用接诉即办台账：校验、刷新、日调度、月通报、年度考核、归档、发送通报\n"
            f"Exec={exec_line}\nTerminal=true\nIcon=x-office-spreadsheet\nCategories=Office;\n")


def readme(ver: str, system: str, arch: str, glibc: str | None) -> str:
    sys.path.insert(0, str(ROOT))
    from jsjb.web import DEFAULT_HOST, DEFAULT_PORT  # the address `serve` opens

    exe = "jsjb.exe" if system == "windows" else "./jsjb"
    lines = [
        f"接诉即办工单台账工具（jsjb）{ver}：独立运行包（{system}-{arch}）",
        "",
        "本文件夹不需要安装 Python，也不需要联网。在本文件夹中打开终端（Windows：命令提示符）即可运行：",
        f"  {exe} demo                  演示：生成样例台账并计算月通报",
        f"  {exe} serve 台账.xlsx       浏览器版（在浏览器中打开 http://{DEFAULT_HOST}:{DEFAULT_PORT}/）",
        f"  {exe} --help                全部命令",
        f"  {exe} doctor                安装自检",
        "",
    ]
    if system == "windows":
        lines += ["双击 jsjb-serve.bat 启动浏览器版（把台账文件拖到它上面可直接打开该台账）。",
                  "Excel 加载项（功能区按钮、单元格公式）需要在电脑上安装 Python，见 docs/安装说明.md。"]
    else:
        lines += ["桌面图标：在本文件夹中运行 sh install-desktop.sh，桌面和应用菜单中会出现“接诉即办台账（网页版）”；",
                  "首次双击时若提示“不受信任”，右键该图标选择“允许运行”（或“允许启动”）。",
                  "也可以直接双击本文件夹中的 jsjb-serve.desktop（同样需要先右键“允许运行”）。"]
        if glibc:
            lines += [f"运行要求：Linux {arch}，glibc {glibc} 或更新（查看：ldd --version）。"]
    lines += ["", "完整说明见随工具提供的 README.md 和 docs/ 文件夹。"]
    return "\n".join(lines) + "\n"


def assemble(frozen: Path, dest: Path, ver: str, system: str, arch: str) -> Path:
    """The bundle folder: the frozen program, the launchers, 使用说明.txt."""
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(frozen, dest, symlinks=True)
    if system == "windows":
        (dest / "jsjb-serve.bat").write_text((PACKAGING / "jsjb-serve.bat").read_text(encoding="utf-8"),
                                              encoding="utf-8", newline="\r\n")
        glibc = None
    else:
        # double-clicked in place: %k is the launcher's own path, the program sits beside it
        (dest / "jsjb-serve.desktop").write_text(
            desktop_entry(IN_PLACE_EXEC), encoding="utf-8")
        shutil.copy(PACKAGING / "install-desktop.sh", dest / "install-desktop.sh")
        for name in ("jsjb-serve.desktop", "install-desktop.sh"):
            (dest / name).chmod(0o755)
        glibc = glibc_needed(dest)
    (dest / "使用说明.txt").write_text(readme(ver, system, arch, glibc), encoding="utf-8")
    return dest


def pack(folder: Path, archive: Path) -> Path:
    archive.parent.mkdir(parents=True, exist_ok=True)
    tmp = archive.with_name(archive.name + ".part")
    if archive.suffix == ".zip":
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as z:
            for path in sorted(folder.rglob("*")):
                z.write(path, path.relative_to(folder.parent))
    else:
        with tarfile.open(tmp, "w:gz", compresslevel=6) as t:
            t.add(folder, arcname=folder.name)
    os.replace(tmp, archive)
    return archive


def size_mb(path: Path) -> float:
    if path.is_file():
        return path.stat().st_size / 2**20
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink()) / 2**20


def startup_seconds(folder: Path, runs: int = 3) -> float:
    """The median wall time of ``jsjb --version`` from the bundle (the program's start-up: the
    interpreter, pandas and the command line loaded)."""
    exe = folder / ("jsjb.exe" if os.name == "nt" else "jsjb")
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run([str(exe), "--version"], check=True, capture_output=True)
        times.append(time.perf_counter() - t)
    return sorted(times)[len(times) // 2]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="生成独立运行包（不需要 Python 环境）")
    p.add_argument("--venv", type=Path, help="已安装 jsjb 的构建环境（默认新建 build/bundle-venv）")
    p.add_argument("--out", type=Path, default=ROOT / "dist", help="压缩包的位置（默认 dist/）")
    args = p.parse_args(argv)
    t0 = time.perf_counter()
    ver = version()
    system, arch = target()
    py = build_env(args.venv)
    t1 = time.perf_counter()
    BUILD.mkdir(parents=True, exist_ok=True)
    run([py, "-m", "PyInstaller", "--noconfirm", "--clean", "--log-level", "WARN", "--distpath", BUILD / "dist",
         "--workpath", BUILD / "work", PACKAGING / "jsjb.spec"], cwd=BUILD)      # cwd: not the source tree
    t2 = time.perf_counter()
    folder = assemble(BUILD / "dist" / "jsjb", BUILD / bundle_name(ver, system, arch), ver, system, arch)
    archive = pack(folder, args.out / archive_name(ver, system, arch))
    t3 = time.perf_counter()
    print(f"独立运行包：{archive}（{size_mb(archive):.0f} MB，解压后 {size_mb(folder):.0f} MB）\n"
          f"用时：构建环境 {t1 - t0:.0f} 秒，PyInstaller {t2 - t1:.0f} 秒，打包 {t3 - t2:.0f} 秒；"
          f"启动（jsjb --version）{startup_seconds(folder):.2f} 秒" +
          (f"（1 分钟平均负载 {os.getloadavg()[0]:.1f}）" if hasattr(os, "getloadavg") else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
