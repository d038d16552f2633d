@echo off
rem 双击启动“接诉即办台账”网页版（浏览器界面，适合 WPS、信创电脑等没有 Microsoft Excel 的电脑）。
rem 也可以把台账文件拖到本文件上：网页版会直接使用该台账（只读取，不修改）。
rem 关闭本窗口即停止网页版。说明见 docs\browser.md。
chcp 65001 >nul
setlocal
set "JSJB_PY=%LOCALAPPDATA%\jsjb\venv\Scripts\python.exe"
if not exist "%JSJB_PY%" set "JSJB_PY=%~dp0..\.venv\Scripts\python.exe"
if not exist "%JSJB_PY%" (
  echo 没有找到本工具的 Python 环境。请先按 docs\安装说明.md 第一、二步安装。
  pause
  exit /b 1
)
echo 正在启动接诉即办台账网页版，稍后会自动打开浏览器……
"%JSJB_PY%" -m jsjb serve %*
if errorlevel 1 pause
endlocal
