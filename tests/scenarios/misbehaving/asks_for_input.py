"""Prints, then asks for its learning rate with input() while loading, after a pause."""

import time

from engine import Value

time.sleep(1.0)  # long enough for mgtui's progress line to show first
print("setting up...")
rate = float(input("learning rate? "))


def graph():
    return Value(rate, label="lr") * 2.0
