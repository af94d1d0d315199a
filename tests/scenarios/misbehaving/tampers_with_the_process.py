"""Replaces sys.stdout and lowers the recursion limit while loading."""

import io
import sys

from engine import Value

sys.stdout = io.StringIO()
sys.setrecursionlimit(40)


def graph():
    return Value(1.0, label="x") * 2.0
