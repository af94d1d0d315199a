"""graph() takes a few seconds before it returns."""

import time

from engine import Value


def graph():
    time.sleep(2.5)
    return Value(3.0, label="slow") * 2.0
