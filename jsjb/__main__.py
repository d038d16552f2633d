"""``python -m jsjb …`` works like ``jsjb …`` (CONTRACT §3)."""

import sys

from .launch import main

sys.exit(main())
