#!/usr/bin/env bash
# Installs what the tests need beyond Python packages, from Debian's packages:
# - LibreOffice headless (Calc to open and recalculate every workbook we write, as a real spreadsheet
#   program would; Writer to convert the 公文 draft to PDF), with CJK fonts;
# - poppler-utils (pdftotext) to read the PDF back;
# - Chromium for the browser door's tests (pip playwright drives /usr/bin/chromium; no browser download).
# Idempotent: only what is missing is installed. Needs root or sudo for apt.
set -euo pipefail
PACKAGES=(libreoffice-calc-nogui libreoffice-writer-nogui fonts-noto-cjk chromium poppler-utils)
missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ "${#missing[@]}" = 0 ]; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" != "0" ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "测试需要以下软件包：${missing[*]}。请以管理员身份安装后重试。" >&2; exit 1
  fi
fi
echo "正在安装测试用软件（仅首次）：${missing[*]} …" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
