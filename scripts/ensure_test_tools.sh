#!/usr/bin/env bash
# Installs what the tests need beyond Python packages: LibreOffice (headless) to open every
# workbook we write, as a real spreadsheet program would; Chromium (Debian's) for the browser
# door's tests (pip playwright drives /usr/bin/chromium; no browser download). Idempotent; needs
# root or sudo for apt.
set -euo pipefail
NEED_LO=1
if command -v soffice >/dev/null 2>&1 || command -v libreoffice >/dev/null 2>&1; then NEED_LO=0; fi
NEED_CHROMIUM=1
if [ -x /usr/bin/chromium ]; then NEED_CHROMIUM=0; fi
if [ "$NEED_LO" = 0 ] && [ "$NEED_CHROMIUM" = 0 ]; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" != "0" ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "需要 LibreOffice（libreoffice-calc-nogui）和 Chromium：请以管理员身份安装后重试。" >&2; exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null
if [ "$NEED_LO" = 1 ]; then
  echo "正在安装 LibreOffice（测试用，仅首次）…" >&2
  $SUDO apt-get install -y -qq --no-install-recommends libreoffice-calc-nogui fonts-noto-cjk >/dev/null
fi
if [ "$NEED_CHROMIUM" = 1 ]; then
  echo "正在安装 Chromium（网页版测试用，仅首次）…" >&2
  $SUDO apt-get install -y -qq --no-install-recommends chromium fonts-noto-cjk >/dev/null
fi
