"""Tests.

Bytecode is written whatever the environment says (PYTHONDONTWRITEBYTECODE, set on some
machines; __pycache__ is ignored by git), from the first module of the suite on: this package
is imported before its conftest, so the app's modules that conftest imports are compiled once,
by the first process, and read back by the xdist workers and by every `champbot` process a
test starts (the variable stops only the writing), instead of compiled in each (about
0.1 CPU-s a start); and pytest's assert-rewritten test modules (about 2.8 CPU-s a worker) are
kept for the next worker and the next run.
"""

import sys

sys.dont_write_bytecode = False
