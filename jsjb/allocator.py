"""The process's memory allocator, tuned for column-sized arrays (Linux/glibc; elsewhere nothing).

Kept apart from the jobs so that the command line can tune it before it starts reading a ledger
ahead (``jsjb.launch``), without importing pandas first."""

from __future__ import annotations

from pathlib import Path

_ALLOCATOR_TUNED = False
TUNE_MAX_BYTES = 48 * 1024**2     # ledger files up to this size (about 400,000 rows) get the tuned allocator


def tune_allocator(path: Path | None = None) -> None:
    """Let glibc's malloc keep freed memory for the next column instead of returning it to the system
    at once (Linux; elsewhere nothing). A job allocates and frees hundreds of column-sized arrays; by
    default each big one is mapped fresh and faulted in page by page. Measured on `compute --json` over
    100,000 rows: 181,000 → 138,000 page faults, 0.5 → 0.3 s of system time, peak memory +50 MB. Over
    1,000,000 rows the kept memory costs more than it saves (peak 3.6 → 4.1 GB for 1.3 s), so a ledger
    file above ``TUNE_MAX_BYTES`` leaves the allocator alone. Memory above the trim threshold still goes
    back to the system, so a long-running browser door keeps at most that much spare."""
    global _ALLOCATOR_TUNED
    if _ALLOCATOR_TUNED:
        return
    import sys

    if not sys.platform.startswith("linux"):
        return
    try:
        if path is not None and path.stat().st_size > TUNE_MAX_BYTES:
            return
    except OSError:
        return
    _ALLOCATOR_TUNED = True
    try:
        import ctypes

        libc = ctypes.CDLL(None)
        mallopt = libc.mallopt
    except (OSError, AttributeError):       # not glibc (e.g. musl): leave the allocator alone
        return
    m_trim_threshold, m_top_pad, m_mmap_threshold = -1, -2, -3      # <malloc.h>
    mallopt(m_mmap_threshold, 256 * 1024**2)     # arrays below this come from the heap and are reused
    mallopt(m_trim_threshold, 512 * 1024**2)     # free memory kept at the heap's top before returning it
    mallopt(m_top_pad, 64 * 1024**2)             # grow the heap in big steps
