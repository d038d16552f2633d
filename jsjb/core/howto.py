"""How a clerk does something, in the words of the door in use.

A message made in the core or the jobs layer that tells the user how to fix something names the
action through :func:`how`; the phrase depends on the door the user is at — a command for the
command line, a button for Excel, a page or a control for the browser (CONTRACT §5: no page tells a
browser clerk to type a command). Each door says which it is: :func:`use` for a whole process that is
one door (the browser door's server and its worker processes), :func:`door` around a piece of work
(a context variable: it holds for the thread or task that set it, so one process can serve the
browser in some threads while a test calls the CLI in another). Without either, the command line's
words are used (the CLI, scripts, tests).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

DOORS = ("cli", "excel", "web")
_DOOR: ContextVar[str | None] = ContextVar("jsjb_door", default=None)
_process_door = "cli"

# action → door → the words that finish a sentence such as "……，可用 {how} ……"
ACTIONS: dict[str, dict[str, str]] = {
    "parse_notice": {
        "cli": "jsjb holidays parse 通知.txt --out 节假日.xlsx",
        "excel": "功能区“接诉即办”选项卡的“导入节假日”按钮",
        "web": "网页版的“导入节假日”页面",
    },
    "template": {
        "cli": "用 jsjb template 新台账.xlsx 生成",
        "excel": "随本工具提供的 ledger_template.xlsx",
        "web": "可在首页“下载空白台账”下载",
    },
    "resend": {
        "cli": "如需重发请加 --resend",
        "excel": "如需重发，请在“发送通报”中选择重新发送",
        "web": "如需重发，请在“发送通报”页面勾选该企业后点“重新发送所选企业”",
    },
    "choose_month": {
        "cli": "请用 --month 指定要发送的月份",
        "excel": "请指定要发送的月份",
        "web": "请在本页选择要发送的月份",
    },
    "check": {
        "cli": "运行 jsjb check 台账.xlsx",
        "excel": "点功能区“接诉即办”选项卡的“刷新”按钮",
        "web": "在浏览器版打开本台账后点“校验”",
    },
    "regenerate_plain": {
        "cli": "用命令 jsjb template 新台账.xlsx --plain --from 本台账.xlsx",
        "excel": "在浏览器版打开本台账后点“生成通用台账”",
        "web": "在浏览器版打开本台账后点“生成通用台账”",
    },
    "reports": {
        "cli": "用命令行（jsjb bulletin / assess / dispatch / archive / mail）或浏览器版的同名按钮",
        "excel": "用功能区“接诉即办”选项卡的按钮，或浏览器版的同名按钮",
        "web": "在浏览器版打开本台账后点同名按钮",
    },
    "overwrite": {
        "cli": "或确认要覆盖时加 --force",
        "excel": "或确认要覆盖时先删除原文件",
        "web": "或请管理员删除原文件",
    },
}


def setting(variable: str, option: str) -> str:
    """Where a setting of the installation comes from, at the door in use: the environment variable
    and the command's option at the command line; for the browser and Excel the variable only, as
    something the administrator sets (the clerk has no option to type)."""
    door = current()
    if door == "cli":
        return f"{variable} 或 {option}"
    return f"管理员设置的 {variable}"


def current() -> str:
    """The door in use here: "cli" (default), "excel" or "web"."""
    return _DOOR.get() or _process_door


def use(name: str) -> None:
    """The whole process is ``name``'s door (threads that set no door of their own use it)."""
    global _process_door
    if name not in DOORS:
        raise ValueError(f"unknown door {name!r}")
    _process_door = name


@contextmanager
def door(name: str) -> Iterator[None]:
    """Messages made inside the block use ``name``'s words (one of :data:`DOORS`)."""
    if name not in DOORS:
        raise ValueError(f"unknown door {name!r}")
    token = _DOOR.set(name)
    try:
        yield
    finally:
        _DOOR.reset(token)


def how(action: str) -> str:
    """The words for ``action`` at the door in use."""
    return ACTIONS[action][current()]


__all__ = ["ACTIONS", "DOORS", "current", "door", "how", "setting", "use"]
