Attribute VB_Name = "JsjbRibbon"
' 功能区“接诉即办”选项卡的按钮。每个 Sub 通过 RunPython 调用 Python 包 macros 中的同名任务。
' 本文件在仓库中为 UTF-8；scripts/build_addin.py 把它转为 cp936（GBK，中文 Windows 的 ANSI 代码页）后导入
' jsjb.xlam。tests/test_addin.py 检查：按钮、Sub 与 Python 函数一一对应；每个按钮先检查是否打开了台账；
' 每个按钮的 Sub 第一句是 On Error，出错时用中文说明原因并请信息员运行 jsjb doctor（不会弹出 VBA 调试框）；
' 全文能被 VBA 语法解析。
' 加载项的 jsjb.conf 中 Use UDF Server = True：按钮在单元格函数已经启动的常驻 Python 进程中运行。
Option Explicit

Private Const APP_TITLE As String = "接诉即办"

Sub OnRefresh(control As IRibbonControl)
    On Error GoTo Failed
    If Not LedgerOpen() Then Exit Sub
    RunJob "import macros; macros.refresh()"
    Exit Sub
Failed:
    ShowFailure "刷新", Err.Number, Err.Description
End Sub

Sub OnDispatch(control As IRibbonControl)
    On Error GoTo Failed
    If Not LedgerOpen() Then Exit Sub
    RunJob "import macros; macros.dispatch()"
    Exit Sub
Failed:
    ShowFailure "日调度", Err.Number, Err.Description
End Sub

Sub OnBulletin(control As IRibbonControl)
    On Error GoTo Failed
    If Not LedgerOpen() Then Exit Sub
    Dim m As String
    m = AskMonth("月通报")
    If m = "" Then Exit Sub
    RunJob "import macros; macros.bulletin('" & m & "', docx=" & AskDocx() & ")"
    Exit Sub
Failed:
    ShowFailure "月通报", Err.Number, Err.Description
End Sub

Sub OnAssess(control As IRibbonControl)
    On Error GoTo Failed
    If Not LedgerOpen() Then Exit Sub
    Dim y As String
    y = InputBox("请输入考核年度（四位数字，如 2025）：", APP_TITLE & " - 年度考核", CStr(Year(Date) - 1))
    If y = "" Then Exit Sub
    If Not y Like "####" Then
        MsgBox "年度格式不正确：" & y & "。请输入四位数字，如 2025。", vbExclamation, APP_TITLE
        Exit Sub
    End If
    RunJob "import macros; macros.assess('" & y & "', docx=" & AskDocx() & ")"
    Exit Sub
Failed:
    ShowFailure "年度考核", Err.Number, Err.Description
End Sub

Sub OnArchive(control As IRibbonControl)
    On Error GoTo Failed
    If Not LedgerOpen() Then Exit Sub
    RunJob "import macros; macros.archive()"
    Exit Sub
Failed:
    ShowFailure "归档", Err.Number, Err.Description
End Sub

Sub OnSendBulletin(control As IRibbonControl)
    On Error GoTo Failed
    If Not LedgerOpen() Then Exit Sub
    Dim m As String
    m = AskMonth("发送通报")
    If m = "" Then Exit Sub
    If MsgBox("将把 " & m & " 的各企业月通报工作簿发送到“承办企业”表中的邮箱，是否继续？", _
              vbYesNo + vbQuestion, APP_TITLE) <> vbYes Then Exit Sub
    RunJob "import macros; macros.send_bulletin('" & m & "')"
    Exit Sub
Failed:
    ShowFailure "发送通报", Err.Number, Err.Description
End Sub

Sub OnImportHolidays(control As IRibbonControl)
    On Error GoTo Failed
    If Not LedgerOpen() Then Exit Sub
    Dim f As Variant
    f = Application.GetOpenFilename("文本文件 (*.txt),*.txt", , "选择国务院办公厅放假安排通知（把通知全文另存为 .txt）")
    If VarType(f) = vbBoolean Then Exit Sub
    RunJob "import macros; macros.import_holidays('" & PyText(CStr(f)) & "')"
    Exit Sub
Failed:
    ShowFailure "导入节假日", Err.Number, Err.Description
End Sub

Sub OnImportTickets(control As IRibbonControl)
    On Error GoTo Failed
    If Not LedgerOpen() Then Exit Sub
    Dim f As Variant
    f = Application.GetOpenFilename("接诉即办系统导出文件 (*.xlsx;*.xls;*.csv),*.xlsx;*.xls;*.csv", , _
                                    "选择从接诉即办系统导出的工单文件")
    If VarType(f) = vbBoolean Then Exit Sub
    RunJob "import macros; macros.import_tickets('" & PyText(CStr(f)) & "')"
    Exit Sub
Failed:
    ShowFailure "导入工单", Err.Number, Err.Description
End Sub

' 运行一个按钮的 Python 任务。Python 端的错误由 macros 自己用中文提示；若 Python 根本没能运行（RunPython
' 返回 -1，xlwings 已在英文窗口中显示了 Python 的报错），再用中文说明下一步。
Private Sub RunJob(pythonCode As String)
    Dim outcome As Variant
    outcome = RunPython(pythonCode)
    If Not IsEmpty(outcome) Then
        If outcome = -1 Then
            MsgBox "按钮没有运行完成。上一个窗口是 Python 的英文报错（可按 Ctrl+C 复制）。" & vbCrLf & vbCrLf & _
                   "请信息员在命令提示符中运行 jsjb doctor 自检，它会给出处理办法。", vbExclamation, APP_TITLE
        End If
    End If
End Sub

' 按钮出错时的中文说明：按错误号和 xlwings 的英文说明判断常见原因，最后都请信息员运行 jsjb doctor。
' 错误 70（拒绝的权限）和“Could not create Python process … Access is denied”：Defender 的攻击面减少规则
' 不许 Excel 启动 cmd.exe（xlwings 经 cmd.exe 启动 Python，xlwings #1420）。
Private Sub ShowFailure(label As String, errNumber As Long, errText As String)
    Dim reason As String
    If errNumber = 70 Or InStr(1, errText, "Access is denied", vbTextCompare) > 0 Or InStr(errText, "拒绝访问") > 0 Then
        reason = "Windows 阻止了 Excel 启动 Python：Defender 的攻击面减少规则“阻止所有 Office 应用程序创建子进程”" & _
                 "拦截了 cmd.exe。请信息部门处理（安装说明第五步）。"
    ElseIf InStr(1, errText, "Could not load", vbTextCompare) > 0 Or InStr(1, errText, "Interpreter", vbTextCompare) > 0 Then
        reason = "找不到加载项设置（jsjb.conf 的 Interpreter_Win）中的 Python，或它旁边没有 xlwings 的 DLL。" & _
                 "请用安装了本工具的 Python 重新生成加载项。"
    ElseIf InStr(1, errText, "Could not activate", vbTextCompare) > 0 Or InStr(1, errText, "exited before", vbTextCompare) > 0 Then
        reason = "Python 已启动，但没能与 Excel 连接：该 Python 环境可能缺少本工具或 pywin32，或 Excel 是应用商店版。"
    Else
        reason = "运行出错（错误 " & errNumber & "：" & errText & "）。"
    End If
    MsgBox "“" & label & "”未能运行。" & vbCrLf & reason & vbCrLf & vbCrLf & _
           "请信息员在命令提示符中运行 jsjb doctor 自检，它会逐项给出处理办法。", vbExclamation, APP_TITLE
End Sub

' 把文件路径写成 Python 字符串字面量的内容（反斜杠和单引号转义）。
Private Function PyText(s As String) As String
    PyText = Replace(Replace(s, "\", "\\"), "'", "\'")
End Function

' 是否同时生成公文稿（Word，GB/T 9704 版式）；返回 Python 的 True / False。
Private Function AskDocx() As String
    If MsgBox("是否同时生成公文稿（Word，供修改后报审）？", vbYesNo + vbQuestion, APP_TITLE) = vbYes Then
        AskDocx = "True"
    Else
        AskDocx = "False"
    End If
End Function

' 询问月份（默认上个月），格式 YYYY-MM；取消或格式不对时返回空字符串。
Private Function AskMonth(caption As String) As String
    Dim m As String
    m = InputBox("请输入月份（格式 YYYY-MM，如 2025-12）：", APP_TITLE & " - " & caption, Format(DateAdd("m", -1, Date), "yyyy-mm"))
    If m = "" Then Exit Function
    If Not m Like "####-##" Then
        MsgBox "月份格式不正确：" & m & "。请按 YYYY-MM 输入，如 2025-12。", vbExclamation, APP_TITLE
        Exit Function
    End If
    AskMonth = m
End Function

' 按钮作用于当前活动的台账工作簿；没有打开任何工作簿时提示，而不是报“对象变量未设置”。
Private Function LedgerOpen() As Boolean
    If ActiveWorkbook Is Nothing Then
        MsgBox "请先打开台账工作簿（.xlsx），再点击“接诉即办”选项卡上的按钮。", vbExclamation, APP_TITLE
        Exit Function
    End If
    LedgerOpen = True
End Function

' 供 jsjb doctor 自检：返回本加载项的 xlwings VBA 版本和项目名，如 "0.37.8|jsjb"。
Public Function JsjbAddinInfo() As String
    JsjbAddinInfo = XLWINGS_VERSION & "|" & PROJECT_NAME
End Function

' 供 jsjb doctor 自检：走一遍按钮的完整通路——VBA → RunPython → jsjb.conf 中的 Python → macros.self_test，
' 后者把所用的 Python、版本和调用它的工作簿写入 reportPath。返回：
'   "ok"                    Python 写出了 reportPath（doctor 再核对其内容）
'   "nofile"                RunPython 没有报错，但 reportPath 不存在（Python 没有运行）
'   "python|<报错>"         Python 报错（自检台账的 jsjb.conf 表设 SHOW_ERROR_POPUPS = False，
'                           xlwings 把报错写入“Error”表而不弹窗）
'   "error|<错误号>|<说明>" VBA 运行时错误（70：cmd.exe 被拦截；1/1000：找不到或无法启动 Python）
Public Function JsjbSelfTest(reportPath As String) As String
    On Error GoTo Failed
    Dim outcome As Variant
    If Len(Dir(reportPath)) > 0 Then Kill reportPath
    outcome = RunPython("import macros; macros.self_test('" & PyText(reportPath) & "')")
    If Not IsEmpty(outcome) Then
        If outcome = -1 Then
            JsjbSelfTest = "python|" & ErrorSheetText()
            Exit Function
        End If
    End If
    If Len(Dir(reportPath)) = 0 Then
        JsjbSelfTest = "nofile"
    Else
        JsjbSelfTest = "ok"
    End If
    Exit Function
Failed:
    JsjbSelfTest = "error|" & Err.Number & "|" & Err.Description
End Function

' xlwings 在 SHOW_ERROR_POPUPS = False 时写入活动工作簿“Error”表 A1 的 Python 报错；没有时为空。
Private Function ErrorSheetText() As String
    On Error Resume Next
    ErrorSheetText = CStr(ActiveWorkbook.Worksheets("Error").Range("A1").Value)
End Function
