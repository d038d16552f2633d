"""The pure core: every rule of RULES.md, on whole columns.

Nothing in this package imports xlwings or openpyxl, touches a file, or knows about cells;
``tests/test_architecture.py`` enforces that.
"""
