"""The `jsjb` program's entry point: start reading the ledger, then load the rest; leave at once.

A command that reads a ledger spends about 0.3 s importing pandas and the jobs before it could
start reading. Here the ledger named on the command line starts loading in a background thread
first (``io.sheets.read_ahead``: fastexcel parses without holding the GIL), and the imports run
meanwhile on the other core. The command itself then runs exactly as ``jsjb.cli.main`` would;
when the guess of the ledger argument is wrong, nobody takes the read and the command reads as usual.

When a one-shot command has finished, the process ends without the interpreter's tear-down
(:func:`leave`): unloading pandas, pyarrow and the rest module by module takes about 0.1 s of every
command and gives the clerk nothing — every file a job writes is closed (and renamed into place) by
then, and the operating system takes back the memory.
"""

from __future__ import annotations

import sys
from pathlib import Path

# commands that keep running or hold processes and servers of their own: these end the usual way
USUAL_EXIT = frozenset({"serve", "doctor"})


def main() -> int:
    from .io.sheets import ledger_argument, read_ahead

    ledger = ledger_argument(sys.argv[1:])
    if ledger is not None:
        from .allocator import tune_allocator

        tune_allocator(Path(ledger))
        read_ahead(ledger)
    from .cli import main as cli_main

    return leave(cli_main(), sys.argv[1:])


def leave(code: int, argv: list[str]) -> int:
    """End the process now with ``code`` once its output is flushed — unless the command is one of
    :data:`USUAL_EXIT`, a child process is still alive, or the output cannot be flushed (a closed
    pipe): then return ``code`` for the usual exit. Threads still running (a read ahead nobody took)
    only read, and end with the process."""
    import multiprocessing
    import os

    command = next((a for a in argv if not a.startswith("-")), None)
    if command in USUAL_EXIT or multiprocessing.active_children():
        return code
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):
        return code
    os._exit(int(code or 0))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
