"""Tick labels a narrow terminal plot can hold: 1.6e5, not 159999; 250k, not 250000 run together.

The loss of a diverging run (the lecture's "too high a learning rate") climbs to 1e5 and beyond in
a few epochs, and a long run counts its epochs in millions: labels must stay short and never
overlap. Each axis picks the densest 1-2-5 spacing whose labels fit the room it has, which the
chart tells it before every redraw.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from textual_plot import NumericAxisFormatter

LABEL_WIDTH = 5  # the loss axis' margin holds this many characters


def nice_ticks(low: float, high: float, fits: Callable[[list[float]], bool], whole: bool = False) -> list[float]:
    """Multiples of the smallest 1, 2 or 5 × 10ⁿ step between `low` and `high` for which `fits`
    (the labels have room); with `whole`, whole numbers only."""
    span = high - low
    if not (math.isfinite(span) and span > 0):
        return [low] if math.isfinite(low) else []
    power = math.floor(math.log10(span)) - 2
    while True:
        for multiple in (1, 2, 5):
            step = multiple * 10.0**power
            if whole and step < 1:
                continue
            first, last = math.ceil(low / step - 1e-9), math.floor(high / step + 1e-9)
            # the plot draws no tick outside [low, high], so none counts (0 below a loss of 16.6, say)
            ticks = [t for t in (k * step for k in range(first, last + 1)) if low <= t <= high]
            if len(ticks) <= 2 or fits(ticks):
                return ticks
        power += 1


def number_label(value: float, step: float, room: int = LABEL_WIDTH) -> str:
    """`value` as a tick `step` apart from its neighbours needs it, in at most `room` characters
    if it can be: 0.25, 12, 4000, then 1.6e5, 2e-5."""
    if value == 0 or abs(value) < step * 1e-9:
        return "0"
    decimals = max(0, -math.floor(math.log10(step) + 1e-9))
    plain = f"{value:.{decimals}f}"
    if len(plain) <= room and abs(value) >= 1e-3:
        return plain
    digits = max(0, math.floor(math.log10(abs(value)) + 1e-9) - math.floor(math.log10(step) + 1e-9))
    return short_exponent(f"{value:.{min(digits, 3)}e}")


def short_exponent(text: str) -> str:
    """``1.60e+05`` → ``1.6e5``, ``2.0e-05`` → ``2e-5``: no plus sign, no padding zeros."""
    mantissa, exponent = text.split("e")
    if "." in mantissa:
        mantissa = mantissa.rstrip("0").rstrip(".")
    return f"{mantissa}e{int(exponent)}"


def count_label(value: float) -> str:
    """An epoch number in a few characters: 950, 2500, 250k, 1.5M."""
    n = round(value)
    for size, suffix in ((1e9, "G"), (1e6, "M"), (1e4, "k")):
        if abs(n) >= size:
            scale = 1e3 if suffix == "k" else size
            return f"{n / scale:g}{suffix}"
    return str(n)


class EpochAxis(NumericAxisFormatter):
    """Whole epochs, as many ticks as `width` columns hold with room between their labels."""

    def __init__(self) -> None:
        self.width = 30

    def get_ticks(self, min_: float, max_: float, max_ticks: int = 8) -> list[float]:
        def fits(ticks: list[float]) -> bool:
            return sum(len(count_label(t)) + 2 for t in ticks) <= self.width

        return nice_ticks(min_, max_, fits, whole=True)

    def get_labels_for_ticks(self, ticks: Sequence[float]) -> list[str]:
        return [count_label(t) for t in ticks]


class LossAxis(NumericAxisFormatter):
    """Loss values, at most a tick every other row of `rows`, labels of `LABEL_WIDTH` characters;
    with `log`, the ticks sit on log10(loss) and are labelled with the loss itself."""

    def __init__(self, log: bool = False) -> None:
        self.log = log
        self.rows = 10

    def get_ticks(self, min_: float, max_: float, max_ticks: int = 8) -> list[float]:
        most = max(2, self.rows // 2)
        ticks = nice_ticks(min_, max_, lambda ticks: len(ticks) <= most, whole=self.log and max_ - min_ >= 2)
        return ticks

    def get_labels_for_ticks(self, ticks: Sequence[float]) -> list[str]:
        if not ticks:
            return []
        if self.log:
            return [self._power_label(t) for t in ticks]
        step = ticks[1] - ticks[0] if len(ticks) > 1 else abs(ticks[0]) or 1.0
        labels = [number_label(t, step) for t in ticks]
        if any("e" in label for label in labels):  # one form along an axis: 5e4 1e5 1.5e5, not 50000 1e5
            labels = [number_label(t, step, room=0) for t in ticks]
        return labels

    @staticmethod
    def _power_label(exponent: float) -> str:
        """10^exponent to two significant digits: 0.032, 320, 32000, then 3.2e5, 3.2e-4, 1e-6."""
        if exponent == round(exponent) and not -3 <= exponent <= 4:
            return f"1e{round(exponent)}"
        value = 10.0**exponent
        if not 1e-3 <= value < 1e5:
            return short_exponent(f"{value:.1e}")
        return f"{round(value, 1 - math.floor(math.log10(value))):g}"
