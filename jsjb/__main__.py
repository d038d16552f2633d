"""``python -m jsjb …`` works like ``jsjb …`` (CONTRACT §3)."""

import sys

from .cli import main

sys.exit(main())
