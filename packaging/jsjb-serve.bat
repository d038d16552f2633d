@echo off
rem 双击启动“接诉即办台账”网页版（独立运行包：不需要安装 Python）。
rem 也可以把台账文件拖到本文件上：网页版会直接使用该台账（只读取，不修改）。
rem 关闭本窗口即停止网页版。
chcp 65001 >nul
echo 正在启动接诉即办台账网页版，稍后会自动打开浏览器……
"%~dp0jsjb.exe" serve %*
if errorlevel 1 pause
