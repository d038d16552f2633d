"""The bundle recipe's parts that do not need a build (scripts/build_bundle.py): names per system,
the Windows folder (a .bat launcher, a .zip) that can only be built on Windows, the oldest glibc
read from the binaries, and the PyInstaller spec's syntax. The Linux build itself is run by
tests/test_install.py."""

from __future__ import annotations

import ast
import zipfile
from pathlib import Path

from helpers import load_script

ROOT = Path(__file__).resolve().parent.parent


def load():
    return load_script("build_bundle")


def test_names_per_system():
    b = load()
    assert b.target("Windows", "AMD64") == ("windows", "x86_64")
    assert b.target("Linux", "aarch64") == ("linux", "aarch64")
    assert b.target("Linux", "x86_64") == ("linux", "x86_64")
    assert b.archive_name("0.1.0", "windows", "x86_64") == "jsjb-0.1.0-windows-x86_64.zip"
    assert b.archive_name("0.1.0", "linux", "aarch64") == "jsjb-0.1.0-linux-aarch64.tar.gz"


def test_the_windows_folder_gets_a_bat_launcher_and_a_zip(tmp_path):
    b = load()
    frozen = tmp_path / "frozen"
    frozen.mkdir()
    (frozen / "jsjb.exe").write_bytes(b"MZ")
    folder = b.assemble(frozen, tmp_path / "jsjb-0.1.0-windows-x86_64", "0.1.0", "windows", "x86_64")
    bat = (folder / "jsjb-serve.bat").read_bytes()
    assert b"\r\n" in bat and b'"%~dp0jsjb.exe" serve %*' in bat and b"chcp 65001" in bat
    assert not (folder / "jsjb-serve.desktop").exists()
    readme = (folder / "使用说明.txt").read_text(encoding="utf-8")
    assert "jsjb.exe demo" in readme and "jsjb-serve.bat" in readme
    archive = b.pack(folder, tmp_path / "dist" / "jsjb-0.1.0-windows-x86_64.zip")
    with zipfile.ZipFile(archive) as z:
        assert "jsjb-0.1.0-windows-x86_64/jsjb.exe" in z.namelist()


def test_the_oldest_glibc_is_read_from_the_binaries(tmp_path):
    b = load()
    (tmp_path / "a.so").write_bytes(b"\x7fELF....GLIBC_2.17\x00GLIBC_2.34\x00GLIBCXX_3.4.30\x00")
    (tmp_path / "b").write_bytes(b"\x7fELF....GLIBC_2.28\x00GLIBC_PRIVATE\x00")
    (tmp_path / "c.txt").write_bytes(b"GLIBC_2.99 in a text file does not count")
    assert b.glibc_needed(tmp_path) == "2.34"


def test_the_spec_is_python():
    ast.parse((ROOT / "packaging" / "jsjb.spec").read_text(encoding="utf-8"))
