#!/usr/bin/env bash
# What the tests need beyond Python packages (`make test` runs this first):
# - LibreOffice headless, Calc and Writer (`soffice`): opens and recalculates every workbook we write,
#   as a real spreadsheet program would, and converts the 公文 draft to PDF;
# - a CJK font (fontconfig knows it for lang=zh), so those documents render Chinese;
# - pdftotext (poppler) to read the PDF back;
# - Chromium at /usr/bin/chromium for the browser door's tests (pip's playwright drives it; no
#   browser download).
# On Debian/Ubuntu (dpkg and apt-get present) the missing Debian packages are installed (root or sudo).
# Elsewhere nothing is installed: the script lists what is missing and exits 1, before any test runs.
# Idempotent.
set -euo pipefail

have_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

if command -v dpkg-query >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
  # What is there already counts, whichever package brought it: a desktop LibreOffice is never
  # replaced by the -nogui packages (they conflict with it), and its own Calc/Writer are added instead.
  lo=-nogui
  if have_pkg libreoffice-core; then lo=""; fi
  missing=()
  have_pkg libreoffice-calc || have_pkg libreoffice-calc-nogui || missing+=("libreoffice-calc$lo")
  have_pkg libreoffice-writer || have_pkg libreoffice-writer-nogui || missing+=("libreoffice-writer$lo")
  if ! command -v fc-list >/dev/null 2>&1 || [ -z "$(fc-list :lang=zh family 2>/dev/null | head -n 1)" ]; then
    missing+=(fonts-noto-cjk)
  fi
  command -v pdftotext >/dev/null 2>&1 || missing+=(poppler-utils)
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  if [ "${#missing[@]}" = 0 ]; then
    exit 0
  fi
  SUDO=""
  if [ "$(id -u)" != "0" ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
      echo "测试需要以下软件包：${missing[*]}。请以管理员身份安装后重试：apt-get install ${missing[*]}" >&2; exit 1
    fi
  fi
  echo "正在安装测试用软件（仅首次）：${missing[*]} …" >&2
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq >/dev/null
  for p in "${missing[@]}"; do
    if ! apt-cache policy "$p" 2>/dev/null | grep -q "Candidate: [^(]"; then
      echo "软件源中没有 $p（例如 Ubuntu 的 Chromium 只有 snap 版）。请自行安装后重试：需要 ${missing[*]}；" \
           "Chromium 须位于 /usr/bin/chromium。" >&2
      exit 1
    fi
  done
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  exit 0
fi

# Not Debian: check the tools themselves.
missing=()
command -v soffice >/dev/null 2>&1 || command -v libreoffice >/dev/null 2>&1 \
  || missing+=("LibreOffice（Calc 和 Writer，命令 soffice 须在 PATH 中）")
command -v pdftotext >/dev/null 2>&1 || missing+=("poppler 的 pdftotext")
[ -x /usr/bin/chromium ] || missing+=("Chromium，位于 /usr/bin/chromium（浏览器版的测试固定使用该路径）")
if ! command -v fc-list >/dev/null 2>&1 || [ -z "$(fc-list :lang=zh family 2>/dev/null | head -n 1)" ]; then
  missing+=("fontconfig 和一种中文字体（如 Noto Sans CJK / Noto Serif CJK）")
fi
if [ "${#missing[@]}" = 0 ]; then
  exit 0
fi
{
  echo "运行测试还需要以下软件（本脚本只在 Debian/Ubuntu 上自动安装，本机不是）："
  for m in "${missing[@]}"; do echo "  - $m"; done
  echo "请用本系统的软件包管理器安装后再运行 make test。只想使用本工具时不需要它们：make demo 即可。"
} >&2
exit 1
