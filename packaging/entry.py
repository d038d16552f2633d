"""The bundle's program (PyInstaller's entry script, packaging/jsjb.spec): ``jsjb`` as installed by
pip would run it (jsjb.launch.main)."""

import multiprocessing
import sys

from jsjb.launch import main

if __name__ == "__main__":
    multiprocessing.freeze_support()      # Windows: a worker process re-entering the program stops here
    sys.exit(main())
