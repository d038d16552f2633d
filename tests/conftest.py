import os
import sys

# The conformance harness (DESIGN.md): xlwings' own remote engine runs the real UDF dispatch and
# a real Book/Sheet/Range API on Linux. Must be set before anything imports xlwings.
os.environ.setdefault("XLWINGS_ON_SERVER", "true")
os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")
sys.path.insert(0, os.path.dirname(__file__))
import xlwings_harness  # noqa: E402

xlwings_harness.install()

import pytest  # noqa: E402
from hypothesis import settings  # noqa: E402

settings.register_profile("ci", max_examples=150, deadline=None)
settings.register_profile("dev", max_examples=60, deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")


@pytest.fixture(scope="session")
def calendar():
    from jsjb.core.calendar import WorkCalendar

    return WorkCalendar()

# The suite runs the default install's writer (XlsxWriter) even where the opt-in Rust writer is
# installed; tests/test_book_engines.py writes the same workbooks on both and compares them.
os.environ.setdefault("JSJB_WRITER", "xlsxwriter")
