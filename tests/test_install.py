"""Installing as an office would, not as a developer: a plain `pip install .` on the floor Python
(pyproject's requires-python) into a fresh environment, then `jsjb demo`; one minor below, pip
refuses; the lowest versions pyproject admits run the demo and the browser door; and `make bundle`'s
self-contained folder, built once here from the plain install, runs the README's every command —
`jsjb serve` included — with `env -i PATH=/usr/bin:/bin HOME=<fresh>` and (where the machine
allows) no network at all.

These install from the package index and build the bundle: about five minutes together, once per
run (session fixtures). `pytest -m "not install"` leaves them out while iterating.
"""

from __future__ import annotations

import glob
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tarfile
import time
import tomllib
from pathlib import Path

import pytest
from readme_commands import OK_CODES, command_env, offline_wrapper, run_readme

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
FLOOR = tuple(int(x) for x in re.search(r">=\s*(\d+)\.(\d+)", PYPROJECT["project"]["requires-python"]).groups())
NOT_IN_A_PLAIN_INSTALL = {"xlwings", "rvgsrust-xlsxwriter", "pytest", "playwright", "hypothesis", "ruff", "aiosmtpd",
                          "oletools", "holidays", "httpx", "openpyxl", "python-calamine", "pyinstaller"}

pytestmark = pytest.mark.install


def interpreter(minor: int) -> Path | None:
    """A working Python 3.<minor> on this machine: pyenv's, on PATH, or the one this venv was made from."""
    candidates = [*sorted(glob.glob(os.path.expanduser(f"~/.pyenv/versions/3.{minor}.*/bin/python3.{minor}"))),
                  shutil.which(f"python3.{minor}"), getattr(sys, "_base_executable", None)]
    for c in candidates:
        if not c or not Path(c).exists():
            continue
        try:
            got = subprocess.run([c, "-c", "import sys; print(sys.version_info[1])"], capture_output=True, text=True,
                                 timeout=60).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            continue
        if got == str(minor):
            return Path(c)
    return None


def pip_install(python: Path, venv: Path, *args: str) -> None:
    subprocess.run([str(python), "-m", "venv", str(venv)], check=True)
    proc = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", *args], capture_output=True,
                          text=True, timeout=1200)
    assert proc.returncode == 0, proc.stderr[-3000:]


def installed(venv: Path) -> set[str]:
    out = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "list", "--format=json"], capture_output=True,
                         text=True, check=True).stdout
    return {p["name"].lower() for p in json.loads(out)}


@pytest.fixture(scope="session")
def plain(tmp_path_factory):
    """A fresh environment on the floor Python with `pip install .` — and what it holds right after."""
    python = interpreter(FLOOR[1])
    if python is None:
        pytest.skip(f"no Python {FLOOR[0]}.{FLOOR[1]} on this machine")
    venv = tmp_path_factory.mktemp("plain") / "venv"
    pip_install(python, venv, str(ROOT))
    return venv, installed(venv)


def clean_env(home: Path) -> dict:
    home.mkdir(parents=True, exist_ok=True)
    return {"PATH": "/usr/bin:/bin", "HOME": str(home)}


def test_the_floor_python_installs_and_runs_the_demo(plain, tmp_path):
    venv, _ = plain
    version = subprocess.run([str(venv / "bin" / "python"), "-c", "import sys; print(sys.version_info[:2])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    assert version == str(FLOOR)
    proc = subprocess.run([str(venv / "bin" / "jsjb"), "demo"], cwd=tmp_path, env=clean_env(tmp_path / "home"),
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "月通报" in proc.stdout and "再试试" in proc.stdout
    assert list((tmp_path / "out" / "demo" / "月通报").glob("月通报_*.xlsx"))


def test_a_plain_install_pulls_no_excel_door_no_beta_writer_no_test_tools(plain):
    _, names = plain
    assert not names & NOT_IN_A_PLAIN_INSTALL, names & NOT_IN_A_PLAIN_INSTALL
    for dep in PYPROJECT["project"]["dependencies"]:
        name, _, marker = dep.partition(";")
        if not marker:
            assert re.match(r"[\w.-]+", name).group(0).lower() in names, dep


def test_one_minor_below_the_floor_is_refused_by_pip(tmp_path):
    python = interpreter(FLOOR[1] - 1)
    if python is None:
        pytest.skip(f"no Python {FLOOR[0]}.{FLOOR[1] - 1} on this machine")
    proc = subprocess.run([str(python), "-m", "pip", "install", "--no-deps", "--target", str(tmp_path / "t"), str(ROOT)],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode != 0
    assert re.search(rf"requires a different Python: {FLOOR[0]}\.{FLOOR[1] - 1}\.\d+ not in '>={FLOOR[0]}\.{FLOOR[1]}'",
                     proc.stdout + proc.stderr), proc.stderr[-2000:]
    assert not (tmp_path / "t" / "jsjb").exists()


def test_make_demo_installs_the_runtime_only_and_quietly(tmp_path):
    """The README's first command: no test tool in the environment afterwards, no pip or setuptools
    chatter (deprecation banners) on the screen — only the program's own lines."""
    python = interpreter(FLOOR[1])
    if python is None or not shutil.which("make"):
        pytest.skip("needs the floor Python and make")
    venv = tmp_path / "venv"
    proc = subprocess.run(["make", "demo", f"VENV={venv}", f"PYTHON={python}"], cwd=ROOT, capture_output=True,
                          text=True, timeout=1200)
    assert proc.returncode == 0, (proc.stdout[-2000:], proc.stderr[-2000:])
    shown = proc.stdout + proc.stderr
    assert not re.search(r"(?i)deprecat|warning|!!|\*{20}", shown), shown[:3000]
    assert "月通报" in proc.stdout
    assert not installed(venv) & NOT_IN_A_PLAIN_INSTALL


def test_make_refuses_a_python_below_the_floor_in_plain_words(tmp_path):
    python = interpreter(FLOOR[1] - 1)
    if python is None or not shutil.which("make"):
        pytest.skip(f"needs Python {FLOOR[0]}.{FLOOR[1] - 1} and make")
    proc = subprocess.run(["make", "demo", f"VENV={tmp_path / 'venv'}", f"PYTHON={python}"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0
    assert f"本工具需要 Python {FLOOR[0]}.{FLOOR[1]} 或更高版本" in proc.stderr
    assert not (tmp_path / "venv").exists()


def lowest_constraints() -> list[str]:
    """Each run-time dependency pinned to the lower bound pyproject declares (markers kept)."""
    pins = []
    for dep in PYPROJECT["project"]["dependencies"]:
        spec, _, marker = dep.partition(";")
        name = re.match(r"[\w.-]+", spec.strip()).group(0)
        low = re.search(r"(?:>=|==)\s*([\w.]+)", spec)
        assert low, f"{dep}: no lower bound"
        pins.append(f"{name}=={low.group(1)}" + (f"; {marker.strip()}" if marker else ""))
    return pins


def test_the_lowest_declared_versions_run_the_demo_and_the_door(tmp_path):
    python = interpreter(FLOOR[1])
    if python is None:
        pytest.skip(f"no Python {FLOOR[0]}.{FLOOR[1]} on this machine")
    constraints = tmp_path / "lowest.txt"
    constraints.write_text("\n".join(lowest_constraints()) + "\n", encoding="utf-8")
    venv = tmp_path / "venv"
    pip_install(python, venv, "-c", str(constraints), str(ROOT))
    env = clean_env(tmp_path / "home")
    jsjb = str(venv / "bin" / "jsjb")
    proc = subprocess.run([jsjb, "demo"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    ledger = str(tmp_path / "out" / "demo" / "样例台账.xlsx")
    for argv in (["bulletin", ledger, "--month", "2025-11", "--docx", "--out", "b"], ["archive", ledger],
                 ["template", "通用.xlsx", "--plain", "--from", ledger], ["compute", ledger, "--json"]):
        proc = subprocess.run([jsjb, *argv, "-q"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
        assert proc.returncode in OK_CODES, (argv, proc.stderr[-2000:])
    door = subprocess.run([str(venv / "bin" / "python"), "-c", DOOR_PROBE], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)
    assert door.returncode == 0 and door.stdout.split() == ["200", "200"], door.stderr[-2000:]


DOOR_PROBE = """
import threading, time, urllib.request, socket, tempfile
from jsjb.web import create_app, make_server
s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close()
server = make_server(create_app(None, work_dir=tempfile.mkdtemp(), password=None), "127.0.0.1", port)
t = threading.Thread(target=server.run, daemon=True); t.start()
for _ in range(200):
    try:
        home = urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5); break
    except OSError:
        time.sleep(0.1)
style = urllib.request.urlopen(f"http://127.0.0.1:{port}/static/style.css", timeout=5)
print(home.status, style.status)
server.should_exit = True; t.join(10)
"""


# -- the self-contained folder (make bundle) --------------------------------------------------------------
@pytest.fixture(scope="session")
def bundle(plain, tmp_path_factory):
    """scripts/build_bundle.py on the plain install (PyInstaller added to it), the archive unpacked."""
    venv, _ = plain
    out = tmp_path_factory.mktemp("dist")
    proc = subprocess.run([str(venv / "bin" / "python"), str(ROOT / "scripts" / "build_bundle.py"), "--venv", str(venv),
                           "--out", str(out)], capture_output=True, text=True, timeout=1800)
    assert proc.returncode == 0, (proc.stdout[-2000:], proc.stderr[-3000:])
    archives = list(out.iterdir())
    assert len(archives) == 1
    unpacked = tmp_path_factory.mktemp("unpacked")
    with tarfile.open(archives[0]) as t:
        t.extractall(unpacked, filter="tar")
    (folder,) = unpacked.iterdir()
    return archives[0], folder, proc.stdout


def test_the_bundle_is_named_for_its_system_and_holds_the_launchers(bundle):
    archive, folder, report = bundle
    version = PYPROJECT["project"]["version"]
    machine = {"amd64": "x86_64", "arm64": "aarch64"}.get(os.uname().machine.lower(), os.uname().machine.lower())
    assert archive.name == f"jsjb-{version}-linux-{machine}.tar.gz"
    assert folder.name == archive.name.removesuffix(".tar.gz")
    for name in ("jsjb", "jsjb-serve.desktop", "install-desktop.sh", "使用说明.txt"):
        assert (folder / name).exists(), name
    assert os.access(folder / "jsjb", os.X_OK)
    assert "独立运行包" in report and "MB" in report
    assert re.search(r"glibc \d+\.\d+ 或更新", (folder / "使用说明.txt").read_text(encoding="utf-8"))
    assert not list(folder.rglob("xlwings*")) and not list(folder.rglob("rvgsrust*"))


def test_the_bundle_runs_every_readme_command_with_no_python_environment(bundle, tmp_path):
    """`env -i PATH=/usr/bin:/bin HOME=<fresh>` (plus the bundle's folder on PATH as `jsjb`), offline."""
    _, folder, _ = bundle
    results = run_readme([str(folder / "jsjb")], tmp_path)
    failed = [(line, code, err) for line, code, err in results if code not in OK_CODES]
    assert not failed, failed
    assert len(results) >= 15
    assert (tmp_path / "工作" / "jsjb输出" / "月通报_2025-11.pdf").exists()


def test_the_bundle_serves_the_browser_door_offline(bundle, tmp_path):
    """The door answers its pages and JSON API, in a namespace where loopback is the only network."""
    _, folder, _ = bundle
    wrapper = offline_wrapper()
    curl = shutil.which("curl")
    if not wrapper or not curl:
        pytest.skip("needs unshare (root) and curl")
    home = tmp_path / "home"
    home.mkdir()
    subprocess.run([str(folder / "jsjb"), "sample", "台账.xlsx", "--rows", "500", "-q"], cwd=tmp_path,
                   env=command_env(home, folder), check=True, timeout=120)
    script = f"""
{curl} -s -m 2 -o /dev/null https://pypi.org/ && echo ONLINE
jsjb serve 台账.xlsx > serve.log 2>&1 &
pid=$!
i=0
until {curl} -sf -o home.html http://127.0.0.1:8765/; do i=$((i+1)); [ $i -gt 300 ] && break; sleep 0.1; done
{curl} -sf -o check.json http://127.0.0.1:8765/api/check
{curl} -sf -o bulletin.json "http://127.0.0.1:8765/api/bulletin?month=2025-12"
kill -INT $pid
wait $pid
echo "exit=$?"
"""
    env = command_env(home, folder)
    proc = subprocess.run([*wrapper, "/bin/sh", "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=180)
    assert "ONLINE" not in proc.stdout
    assert "exit=0" in proc.stdout, (proc.stdout, (tmp_path / "serve.log").read_text(encoding="utf-8"))
    assert "接诉即办" in (tmp_path / "home.html").read_text(encoding="utf-8")
    assert json.loads((tmp_path / "check.json").read_text(encoding="utf-8"))["rows"] == 500
    assert json.loads((tmp_path / "bulletin.json").read_text(encoding="utf-8"))["enterprises"]


def desktop_exec(path: Path) -> list[str]:
    """The Exec line of a .desktop file as the launcher runs it (Desktop Entry Specification: the
    string's escapes, then double-quoted arguments with \\\\ \\" \\` \\$ escaped, %k = the file)."""
    line = next(l for l in path.read_text(encoding="utf-8").splitlines() if l.startswith("Exec="))[5:]
    value = re.sub(r"\\(.)", lambda m: {"s": " ", "n": "\n", "t": "\t", "r": "\r", "\\": "\\"}.get(m.group(1),
                                                                                            "\\" + m.group(1)), line)
    args, i = [], 0
    while i < len(value):
        if value[i] == " ":
            i += 1
            continue
        if value[i] == '"':
            j, arg = i + 1, ""
            while value[j] != '"':
                if value[j] == "\\" and value[j + 1] in '"`$\\':
                    j += 1
                arg += value[j]
                j += 1
            args.append(arg)
            i = j + 1
        else:
            j = value.find(" ", i)
            j = len(value) if j < 0 else j
            args.append(value[i:j])
            i = j
    return [str(path) if a == "%k" else a for a in args]


def test_the_desktop_launchers_start_the_bundled_door(bundle, tmp_path):
    """The launcher inside the folder (double-clicked in place) and the one install-desktop.sh puts on
    the desktop (absolute path: works when copied) both start this bundle's `jsjb serve`."""
    _, folder, _ = bundle
    wrapper = offline_wrapper()
    if not wrapper:
        pytest.skip("needs unshare (root): port 8765 of its own")
    home = tmp_path / "home"
    (home / "桌面").mkdir(parents=True)
    env = {"PATH": "/usr/bin:/bin", "HOME": str(home), "BROWSER": "none"}
    proc = subprocess.run(["/bin/sh", str(folder / "install-desktop.sh")], env=env, capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0, proc.stderr
    placed = [home / "桌面" / "jsjb-serve.desktop", home / ".local" / "share" / "applications" / "jsjb-serve.desktop"]
    for launcher in placed:
        assert os.access(launcher, os.X_OK) and desktop_exec(launcher) == [str(folder / "jsjb"), "serve"]
    for launcher in (folder / "jsjb-serve.desktop", placed[0]):
        log = tmp_path / f"{launcher.parent.name}.log"
        with open(log, "w") as err:
            p = subprocess.Popen([*wrapper, *desktop_exec(launcher)], env=env, stdout=subprocess.DEVNULL, stderr=err,
                                 cwd=tmp_path, start_new_session=True)
            try:
                for _ in range(300):
                    if "已启动" in log.read_text(encoding="utf-8") or p.poll() is not None:
                        break
                    time.sleep(0.1)
            finally:
                if p.poll() is None:
                    os.killpg(p.pid, signal.SIGINT)
                p.wait(timeout=30)
        assert "接诉即办网页版已启动：http://127.0.0.1:8765/" in log.read_text(encoding="utf-8"), launcher
