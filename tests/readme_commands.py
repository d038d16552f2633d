"""The README's command-line block (“四、命令行”), run as written: each line through the shell, with
`jsjb` on PATH being the program under test (the developer's install, a plain install, or the
bundle), in a folder holding what the lines name (台账.xlsx is made by the block's first line;
通知.txt is a State Council notice from tests/fixtures). Used by tests/test_readme.py and
tests/test_install.py (the bundle).

Long-running `jsjb serve` is started, must say it started, and is stopped. Where the machine allows
(root, util-linux unshare), every line runs in a network namespace of its own with only loopback:
offline for certain, and port 8765 is always free there.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOTICE = ROOT / "tests" / "fixtures" / "notices" / "2025.txt"
OK_CODES = {0, 1}        # README: 0 success, 1 something needs handling (a finding, not a failure)


def readme_block(readme: Path = ROOT / "README.md") -> list[str]:
    """The command lines of the README's “四、命令行” block, comments kept (the shell drops them)."""
    text = readme.read_text(encoding="utf-8")
    section = text[text.index("### 四、命令行"):]
    block = re.search(r"```bash\n(.*?)```", section, re.S).group(1)
    return [line.strip() for line in block.splitlines() if line.strip()]


def offline_wrapper() -> list[str]:
    """A prefix running a command in a new network namespace with loopback up (no other network),
    or [] where that is not possible here."""
    unshare, ip = shutil.which("unshare"), shutil.which("ip") or "/usr/sbin/ip"
    if not unshare or not Path(ip).exists():
        return []
    prefix = [unshare, "-n", "/bin/sh", "-c", f'{ip} link set lo up && exec "$0" "$@"']
    try:
        ok = subprocess.run([*prefix, "/bin/true"], capture_output=True, timeout=20).returncode == 0
    except (OSError, subprocess.SubprocessError):
        ok = False
    return prefix if ok else []


def command_env(home: Path, bin_dir: Path) -> dict:
    """What `env -i PATH=… HOME=…` leaves: no Python variables, no locale, no proxy; the program on
    PATH; BROWSER=none so that serve opens no window."""
    return {"PATH": f"{bin_dir}:/usr/bin:/bin", "HOME": str(home), "BROWSER": "none"}


def put_on_path(bin_dir: Path, program: list[str]) -> None:
    """`jsjb` in ``bin_dir`` runs ``program`` (an executable, or an interpreter and its arguments)."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    script = bin_dir / "jsjb"
    script.write_text("#!/bin/sh\nexec " + " ".join(shlex.quote(p) for p in program) + ' "$@"\n', encoding="utf-8")
    script.chmod(0o755)


def run_line(line: str, cwd: Path, env: dict, wrapper: list[str], timeout: float = 600) -> subprocess.CompletedProcess:
    argv = [*wrapper, "/bin/sh", "-c", line]
    if shlex.split(line, comments=True)[:2] == ["jsjb", "serve"]:
        return _serve(argv, cwd, env)
    return subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, encoding="utf-8",
                          errors="replace", timeout=timeout, stdin=subprocess.DEVNULL)


def _serve(argv: list[str], cwd: Path, env: dict, timeout: float = 60) -> subprocess.CompletedProcess:
    """Start the browser door, wait for its started line (bounded), stop it with Ctrl+C."""
    log = cwd / ".serve.log"
    with open(log, "w", encoding="utf-8") as err:
        proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=err,
                                stdin=subprocess.DEVNULL, start_new_session=True)
        t0 = time.monotonic()
        try:
            while time.monotonic() - t0 < timeout and proc.poll() is None:
                if "已启动" in log.read_text(encoding="utf-8", errors="replace"):
                    break
                time.sleep(0.2)
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGINT)
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()
    text = log.read_text(encoding="utf-8", errors="replace")
    started = "接诉即办网页版已启动" in text
    return subprocess.CompletedProcess(argv, 0 if started else 9, "", text)


def run_readme(program: list[str], folder: Path, wrapper: list[str] | None = None) -> list[tuple[str, int, str]]:
    """Run every README line with ``program`` as `jsjb`; returns (line, exit code, stderr tail) for each."""
    folder.mkdir(parents=True, exist_ok=True)
    work, home, bin_dir = folder / "工作", folder / "home", folder / "bin"
    work.mkdir(exist_ok=True)
    home.mkdir(exist_ok=True)
    put_on_path(bin_dir, program)
    shutil.copy(NOTICE, work / "通知.txt")
    env = command_env(home, bin_dir)
    wrapper = offline_wrapper() if wrapper is None else wrapper
    results = []
    for line in readme_block():
        proc = run_line(line, work, env, wrapper)
        results.append((line, proc.returncode, (proc.stderr or "")[-600:]))
    return results
