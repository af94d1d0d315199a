"""graph() calls sys.exit(0): a scenario must return its Value, not end the program."""

import sys


def graph():
    sys.exit(0)
