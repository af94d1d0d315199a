"""The loss curve's thinning: epochs from a tape come by the thousand, the plot has a few hundred dots."""

from __future__ import annotations

import math
import random

from mgtui.widgets.loss_chart import thinned


def test_a_short_run_is_plotted_point_for_point():
    points = [(i, 1.0 / (i + 1)) for i in range(400)]
    assert thinned(points, 400) is points


def test_a_long_run_keeps_every_spike_in_epoch_order():
    rng = random.Random(3)
    points = [(i, math.exp(-i / 5000) + rng.random() * 0.01) for i in range(20_000)]
    points[12_345] = (12_345, 7.5)  # one epoch's spike
    points[17_001] = (17_001, -0.25)  # and one dip
    kept = thinned(points, 400)
    assert len(kept) <= 400
    assert kept == sorted(kept)  # epoch order
    assert (12_345, 7.5) in kept and (17_001, -0.25) in kept
    assert max(kept, key=lambda p: p[1]) == max(points, key=lambda p: p[1])
    assert min(kept, key=lambda p: p[1]) == min(points, key=lambda p: p[1])
    assert set(kept) <= set(points)
