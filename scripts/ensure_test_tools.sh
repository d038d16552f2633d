#!/usr/bin/env bash
# Installs what the tests need beyond Python packages: LibreOffice (headless) to open every
# workbook we write, as a real spreadsheet program would. Idempotent; needs root or sudo for apt.
set -euo pipefail
if command -v soffice >/dev/null 2>&1 || command -v libreoffice >/dev/null 2>&1; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" != "0" ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "需要 LibreOffice（libreoffice-calc-nogui）：请以管理员身份安装后重试。" >&2; exit 1
  fi
fi
echo "正在安装 LibreOffice（测试用，仅首次）…" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null
$SUDO apt-get install -y -qq --no-install-recommends libreoffice-calc-nogui fonts-noto-cjk >/dev/null
