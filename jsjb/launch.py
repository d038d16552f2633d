"""The `jsjb` program's entry point: start reading the ledger, then load the rest.

A command that reads a ledger spends about 0.3 s importing pandas and the jobs before it could
start reading. Here the ledger named on the command line starts loading in a background thread
first (``io.sheets.read_ahead``: fastexcel parses without holding the GIL), and the imports run
meanwhile on the other core. The command itself then runs exactly as ``jsjb.cli.main`` would;
when the guess of the ledger argument is wrong, nobody takes the read and the command reads as usual.
"""

from __future__ import annotations

import sys
from pathlib import Path


def main() -> int:
    from .io.sheets import ledger_argument, read_ahead

    ledger = ledger_argument(sys.argv[1:])
    if ledger is not None:
        from .allocator import tune_allocator

        tune_allocator(Path(ledger))
        read_ahead(ledger)
    from .cli import main as cli_main

    return cli_main()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
