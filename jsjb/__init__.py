"""接诉即办 ledger tools: the pure rule engine (`jsjb.core`), workbook I/O (`jsjb.io`),
the jobs shared by every door (`jsjb.jobs`) and the `jsjb` command line (`jsjb.cli`)."""

__version__ = "0.1.0"
