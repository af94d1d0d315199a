"""A chain 200,000 nodes deep: x · 1 · 1 · …"""

from engine import Value


def graph():
    x = Value(0.5, label="x")
    for _ in range(200_000):
        x = x * 1.0
    return x
