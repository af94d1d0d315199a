"""Data sets of the lecture and of micrograd's demo, without numpy or scikit-learn.

`moons()` gives the very points micrograd's demo trains on. The demo calls
``np.random.seed(1337); sklearn.datasets.make_moons(n_samples=100, noise=0.1)``, which draws from
NumPy's legacy Mersenne Twister. Python's `random` runs the same MT19937 generator, so seeding it
the way NumPy does (``init_genrand``) and drawing the way NumPy does (bounded integers for the
shuffle, the polar Box–Muller method for the noise) reproduces the data set bit for bit.
"""

from __future__ import annotations

import math
import random

# The lecture's four samples (second half, "tiny MLP"): three inputs each, targets ±1.
LECTURE_XS: list[list[float]] = [
    [2.0, 3.0, -1.0],
    [3.0, -1.0, 0.5],
    [0.5, 1.0, 1.0],
    [1.0, 1.0, -1.0],
]
LECTURE_YS: list[float] = [1.0, -1.0, -1.0, 1.0]


def moons(n_samples: int = 100, noise: float = 0.1, seed: int = 1337) -> tuple[list[list[float]], list[float]]:
    """Two interleaving half circles, labelled -1 and +1, as ``make_moons`` + ``y*2 - 1`` give them."""
    if n_samples < 2:
        raise ValueError(f"moons needs at least 2 samples, got {n_samples}")
    rng = _LegacyNumpyRandom(seed)
    n_out = n_samples // 2
    n_in = n_samples - n_out
    points = [[math.cos(t), math.sin(t)] for t in _linspace_pi(n_out)]
    points += [[1 - math.cos(t), 1 - math.sin(t) - 0.5] for t in _linspace_pi(n_in)]
    labels = [-1.0] * n_out + [1.0] * n_in

    order = rng.permutation(n_samples)
    points = [points[i] for i in order]
    labels = [labels[i] for i in order]
    for point in points:
        point[0] += noise * rng.standard_normal()
        point[1] += noise * rng.standard_normal()
    return points, labels


def _linspace_pi(n: int) -> list[float]:
    """``np.linspace(0, np.pi, n)``: i * step, with the last point exactly pi."""
    if n == 1:
        return [0.0]
    step = math.pi / (n - 1)
    values = [i * step for i in range(n)]
    values[-1] = math.pi
    return values


class _LegacyNumpyRandom:
    """The parts of ``numpy.random.RandomState`` that ``make_moons`` uses, on Python's MT19937."""

    def __init__(self, seed: int) -> None:
        self._random = random.Random()
        self._random.setstate((3, (*_init_genrand(seed), 624), None))
        self._spare_gauss: float | None = None

    def _uint32(self) -> int:
        return self._random.getrandbits(32)

    def _bounded(self, high: int) -> int:
        """A uniform integer in [0, high], by masking and rejecting (NumPy's legacy interval)."""
        if high == 0:
            return 0
        mask = (1 << high.bit_length()) - 1
        while True:
            value = self._uint32() & mask
            if value <= high:
                return value

    def permutation(self, n: int) -> list[int]:
        order = list(range(n))
        for i in reversed(range(1, n)):
            j = self._bounded(i)
            order[i], order[j] = order[j], order[i]
        return order

    def standard_normal(self) -> float:
        if self._spare_gauss is not None:
            value, self._spare_gauss = self._spare_gauss, None
            return value
        while True:
            x1 = 2.0 * self._random.random() - 1.0  # random() is NumPy's 53-bit double, too
            x2 = 2.0 * self._random.random() - 1.0
            r2 = x1 * x1 + x2 * x2
            if 0.0 < r2 < 1.0:
                break
        f = math.sqrt(-2.0 * math.log(r2) / r2)
        self._spare_gauss = f * x1
        return f * x2


def _init_genrand(seed: int) -> list[int]:
    """MT19937's state for a 32-bit integer seed (how NumPy seeds from an int)."""
    state = [seed & 0xFFFFFFFF]
    for i in range(1, 624):
        state.append((1812433253 * (state[-1] ^ (state[-1] >> 30)) + i) & 0xFFFFFFFF)
    return state
