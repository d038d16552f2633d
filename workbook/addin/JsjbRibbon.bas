Attribute VB_Name = "JsjbRibbon"
' 功能区“接诉即办”选项卡的按钮。每个 Sub 通过 RunPython 调用 Python 包 macros 中的同名任务。
' 本文件在仓库中为 UTF-8；scripts/build_addin.py 把它转为 cp936（GBK，中文 Windows 的 ANSI 代码页）后导入
' jsjb.xlam。tests/test_addin.py 检查按钮、Sub 与 Python 函数一一对应，以及每个按钮先检查是否打开了台账。
Option Explicit

Sub OnRefresh(control As IRibbonControl)
    If Not LedgerOpen() Then Exit Sub
    RunPython "import macros; macros.refresh()"
End Sub

Sub OnDispatch(control As IRibbonControl)
    If Not LedgerOpen() Then Exit Sub
    RunPython "import macros; macros.dispatch()"
End Sub

Sub OnBulletin(control As IRibbonControl)
    If Not LedgerOpen() Then Exit Sub
    Dim m As String
    m = AskMonth("月通报")
    If m = "" Then Exit Sub
    RunPython "import macros; macros.bulletin('" & m & "', docx=" & AskDocx() & ")"
End Sub

Sub OnAssess(control As IRibbonControl)
    If Not LedgerOpen() Then Exit Sub
    Dim y As String
    y = InputBox("请输入考核年度（四位数字，如 2025）：", "年度考核", CStr(Year(Date) - 1))
    If y = "" Then Exit Sub
    If Not y Like "####" Then
        MsgBox "年度格式不正确：" & y & "。请输入四位数字，如 2025。", vbExclamation, "接诉即办"
        Exit Sub
    End If
    RunPython "import macros; macros.assess('" & y & "', docx=" & AskDocx() & ")"
End Sub

Sub OnArchive(control As IRibbonControl)
    If Not LedgerOpen() Then Exit Sub
    RunPython "import macros; macros.archive()"
End Sub

Sub OnSendBulletin(control As IRibbonControl)
    If Not LedgerOpen() Then Exit Sub
    Dim m As String
    m = AskMonth("发送通报")
    If m = "" Then Exit Sub
    If MsgBox("将把 " & m & " 的各企业月通报工作簿发送到“承办企业”表中的邮箱，是否继续？", _
              vbYesNo + vbQuestion, "接诉即办") <> vbYes Then Exit Sub
    RunPython "import macros; macros.send_bulletin('" & m & "')"
End Sub

Sub OnImportHolidays(control As IRibbonControl)
    If Not LedgerOpen() Then Exit Sub
    Dim f As Variant
    f = Application.GetOpenFilename("文本文件 (*.txt),*.txt", , "选择国务院办公厅放假安排通知（把通知全文另存为 .txt）")
    If VarType(f) = vbBoolean Then Exit Sub
    RunPython "import macros; macros.import_holidays('" & PyText(CStr(f)) & "')"
End Sub

' 把文件路径写成 Python 字符串字面量的内容（反斜杠和单引号转义）。
Private Function PyText(s As String) As String
    PyText = Replace(Replace(s, "\", "\\"), "'", "\'")
End Function

' 是否同时生成公文稿（Word，GB/T 9704 版式）；返回 Python 的 True / False。
Private Function AskDocx() As String
    If MsgBox("是否同时生成公文稿（Word，供修改后报审）？", vbYesNo + vbQuestion, "接诉即办") = vbYes Then
        AskDocx = "True"
    Else
        AskDocx = "False"
    End If
End Function

' 询问月份（默认上个月），格式 YYYY-MM；取消或格式不对时返回空字符串。
Private Function AskMonth(title As String) As String
    Dim m As String
    m = InputBox("请输入月份（格式 YYYY-MM，如 2025-12）：", title, Format(DateAdd("m", -1, Date), "yyyy-mm"))
    If m = "" Then Exit Function
    If Not m Like "####-##" Then
        MsgBox "月份格式不正确：" & m & "。请按 YYYY-MM 输入，如 2025-12。", vbExclamation, "接诉即办"
        Exit Function
    End If
    AskMonth = m
End Function

' 按钮作用于当前活动的台账工作簿；没有打开任何工作簿时提示，而不是报“对象变量未设置”。
Private Function LedgerOpen() As Boolean
    If ActiveWorkbook Is Nothing Then
        MsgBox "请先打开台账工作簿（.xlsx），再点击“接诉即办”选项卡上的按钮。", vbExclamation, "接诉即办"
        Exit Function
    End If
    LedgerOpen = True
End Function

' 供 jsjb doctor 自检：返回本加载项的 xlwings VBA 版本和项目名，如 "0.37.8|jsjb"。
Public Function JsjbAddinInfo() As String
    JsjbAddinInfo = XLWINGS_VERSION & "|" & PROJECT_NAME
End Function
