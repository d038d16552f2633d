#!/bin/sh
# 在桌面和应用菜单中创建“接诉即办台账（网页版）”图标，指向本文件夹中的 jsjb（独立运行包）。
# 用法：在本文件夹中运行  sh install-desktop.sh
# The launcher names the program by its absolute path (a copied .desktop file cannot find it
# otherwise); GNOME-style desktops are told to trust it (gio), others ask once: 右键 → 允许运行.
set -e
here=$(cd "$(dirname "$0")" && pwd)
if [ ! -x "$here/jsjb" ]; then
  echo "错误：$here 中没有 jsjb。请在独立运行包的文件夹中运行本脚本。" >&2
  exit 1
fi
# the path as one Exec argument: inside "…", with \ " ` $ escaped; then every \ doubled (a desktop-file string)
exe=$(printf '%s' "$here/jsjb" | sed -e 's/[\\"`$]/\\&/g' -e 's/\\/\\\\/g')

write() {
  cat > "$1" <<DESKTOP
[Desktop Entry]
Type=Application
Version=1.0
Name=接诉即办台账（网页版）
Comment=在浏览器中使用接诉即办台账：校验、刷新、日调度、月通报、年度考核、归档、发送通报
Exec="$exe" serve
Terminal=true
Icon=x-office-spreadsheet
Categories=Office;
DESKTOP
  chmod +x "$1"
}

apps="${XDG_DATA_HOME:-$HOME/.local/share}/applications"
mkdir -p "$apps"
write "$apps/jsjb-serve.desktop"
echo "已加入应用菜单：$apps/jsjb-serve.desktop"

desk=$(xdg-user-dir DESKTOP 2>/dev/null || true)
if [ -z "$desk" ] || [ "$desk" = "$HOME" ] || [ ! -d "$desk" ]; then
  desk=""
  for d in "$HOME/桌面" "$HOME/Desktop"; do
    if [ -d "$d" ]; then desk="$d"; break; fi
  done
fi
if [ -n "$desk" ]; then
  write "$desk/jsjb-serve.desktop"
  gio set "$desk/jsjb-serve.desktop" metadata::trusted true 2>/dev/null || true
  echo "已放到桌面：$desk/jsjb-serve.desktop"
  echo "首次双击桌面图标时若提示“不受信任”或“未知来源”，请右键该图标选择“允许运行”（或“允许启动”）。"
else
  echo "没有找到桌面文件夹：请从应用菜单（办公）中打开“接诉即办台账（网页版）”。"
fi
