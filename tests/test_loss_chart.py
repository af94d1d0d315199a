"""The loss curve's thinning: epochs from a tape come by the thousand, the plot has a few hundred dots."""

from __future__ import annotations

import math
import random

from mgtui.widgets.axes import EpochAxis, LossAxis, count_label
from mgtui.widgets.loss_chart import axis_end, thinned


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


# --- tick labels: short, one form per axis, never running together ---------------------------------------------


def test_a_diverging_loss_is_labelled_in_a_short_form():
    axis = LossAxis()
    axis.rows = 10
    labels = axis.get_labels_for_ticks(axis.get_ticks(0.0, 159_999.0))
    assert labels == ["0", "5e4", "1e5", "1.5e5"]  # not 50000 100000 150000, nor 159999
    assert axis.get_labels_for_ticks(axis.get_ticks(0.0107, 1.72)) == ["0.5", "1.0", "1.5"]
    assert all(len(label) <= 5 for label in axis.get_labels_for_ticks(axis.get_ticks(0.0, 1e150)))


def test_a_log_axis_is_labelled_with_the_loss_itself():
    axis = LossAxis(log=True)
    axis.rows = 10
    assert axis.get_labels_for_ticks(axis.get_ticks(-2.0, 5.2)) == ["0.01", "1", "100", "10000"]
    assert axis.get_labels_for_ticks([-6.0, 150.0, 0.5]) == ["1e-6", "1e150", "3.2"]


def test_epoch_labels_fit_the_width_they_have():
    axis = EpochAxis()
    for width in (20, 30, 60):
        axis.width = width
        for last in (20, 100, 1000, 200_000, 10**6, 10**9):
            labels = axis.get_labels_for_ticks(axis.get_ticks(0, last))
            assert sum(len(label) + 2 for label in labels) <= width or len(labels) <= 2, (width, last, labels)
            assert all(len(label) <= 5 for label in labels)
    axis.width = 30
    assert axis.get_labels_for_ticks(axis.get_ticks(0, 200_000)) == ["0", "50k", "100k", "150k", "200k"]
    assert count_label(1_500_000) == "1.5M" and count_label(2500) == "2500"


def test_the_epoch_axis_shows_a_short_run_whole_and_grows_with_a_long_one():
    assert axis_end(3, 20) == 20
    assert axis_end(0, 10**6) == 1000 and axis_end(900, 10**6) == 2000 and axis_end(300_000, 10**6) == 500_000
    assert axis_end(990_000, 10**6) == 10**6
