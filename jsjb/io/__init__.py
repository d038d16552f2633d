"""Workbook I/O: reading ledgers (fastexcel/calamine) and writing new values-only workbooks
(XlsxWriter). Never rewrites an input file (R21)."""
