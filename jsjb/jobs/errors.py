"""Every failure as one clear Chinese sentence — the same words in every door (CLI, buttons, browser).

``LedgerError`` already carries its message; the rest are translated here, with the exit code the
CLI uses: 2 for the files and the machine (a file in use, no permission, disk full), 3 for anything
unexpected (a bug: the message asks to send the ledger and says how to see the details).
"""

from __future__ import annotations

import errno

from ..core.errors import LedgerError

_OS_REASONS = {
    errno.EACCES: "文件被占用或没有写入权限（可能已在 Excel/WPS 中打开，请先关闭）",
    errno.EPERM: "没有权限（可能已在 Excel/WPS 中打开，请先关闭）",
    errno.ENOSPC: "磁盘空间不足",
    errno.ENOENT: "文件或文件夹不存在",
    errno.EROFS: "文件夹只读，无法写入",
    errno.EEXIST: "文件已存在",
    errno.EISDIR: "这是一个文件夹，不是文件",
    errno.ENAMETOOLONG: "文件名或路径太长",
}
DEBUG_HINT = "设置环境变量 JSJB_DEBUG=1 可显示详细信息"


class EmptyPeriod(LedgerError):
    """A report asked for a period in which no ticket was dispatched (the workbooks would all be
    empty): refused where the door asks for that (the browser), a note elsewhere. ``latest``: the
    period of the last dispatched ticket, the door's suggestion."""

    code = "E_EMPTY_PERIOD"

    def __init__(self, text: str, latest: str | None):
        super().__init__(text)
        self.latest = latest


def describe(e: BaseException) -> tuple[str, int]:
    """(the message, the CLI exit code) for any failure."""
    if isinstance(e, LedgerError):
        return str(e), e.exit_code
    if isinstance(e, MemoryError):
        return "内存不足，无法完成。请关闭其他程序，或把台账按年份拆分后重试。", 3
    if isinstance(e, OSError):
        reason = _OS_REASONS.get(e.errno, "无法读写文件")
        where = f"：{e.filename}" if e.filename else ""
        return f"{reason}{where}", 2
    return f"程序内部出错（{type(e).__name__}）。请把台账和这条信息发给系统管理员；{DEBUG_HINT}。", 3
