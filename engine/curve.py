"""A loss curve of any length in bounded memory: per run of epochs, its lowest and highest point.

A run of ``epochs=10**9`` must not keep a billion losses. `Curve` keeps at most `capacity` buckets,
each covering `width` consecutive epochs and remembering the epoch and value of its lowest and its
highest point; when the buckets are full, neighbours merge pairwise and `width` doubles. A plot of
the kept points draws every spike and dip the full series has, at the resolution a terminal has.

The training thread appends while the screen reads, so both go through a lock.
"""

from __future__ import annotations

import math
import threading

Point = tuple[int, float]  # (epoch, value)


class Curve:
    def __init__(self, capacity: int = 1024) -> None:
        if capacity < 2 or capacity % 2:
            raise ValueError(f"capacity must be an even number ≥ 2, got {capacity}")
        self.capacity = capacity
        self._lock = threading.Lock()
        self.clear()

    def clear(self) -> None:
        with self._lock:
            self.width = 1  # epochs per bucket
            self._buckets: list[tuple[Point, Point]] = []  # (lowest, highest) of each bucket, in epoch order
            self._count = 0  # points appended

    def __len__(self) -> int:
        return self._count

    def append(self, epoch: int, value: float) -> None:
        """Add the next epoch's value (NaN and infinities are kept out: they have no place on an axis)."""
        with self._lock:
            index = self._count // self.width
            self._count += 1
            if not math.isfinite(value):
                return
            point = (epoch, value)
            if index < len(self._buckets):
                low, high = self._buckets[index]
                self._buckets[index] = (min(low, point, key=_value), max(high, point, key=_value))
                return
            while index >= self.capacity:  # full: halve the resolution
                self._merge_pairs()
                index = (self._count - 1) // self.width
            self._buckets.extend([((0, math.inf), (0, -math.inf))] * (index - len(self._buckets)))  # gaps: NaNs
            self._buckets.append((point, point))

    def _merge_pairs(self) -> None:
        merged = []
        for i in range(0, len(self._buckets), 2):
            pair = self._buckets[i : i + 2]
            merged.append((min((p[0] for p in pair), key=_value), max((p[1] for p in pair), key=_value)))
        self._buckets = merged
        self.width *= 2

    def points(self, up_to: int | None = None) -> list[Point]:
        """The kept points in epoch order (each bucket's lowest and highest), epochs ≤ `up_to` only."""
        with self._lock:
            buckets = list(self._buckets)
        kept: list[Point] = []
        for low, high in buckets:
            for point in sorted({low, high}):
                if math.isfinite(point[1]) and (up_to is None or point[0] <= up_to):
                    kept.append(point)
        return kept


def _value(point: Point) -> float:
    return point[1]
