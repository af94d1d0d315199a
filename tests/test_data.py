"""engine.data: micrograd's moons (without numpy or scikit-learn) and the lecture's four samples."""

from __future__ import annotations

import random

import pytest

from engine.data import LECTURE_XS, LECTURE_YS, moons


def test_moons_first_rows_and_classes():
    xs, ys = moons()
    assert len(xs) == len(ys) == 100
    assert xs[0] == [1.1221146075409685, 0.08147717341718697]
    assert ys[:10] == [-1, -1, 1, -1, 1, 1, 1, 1, 1, -1]
    assert ys.count(-1.0) == ys.count(1.0) == 50
    assert all(isinstance(v, float) for row in xs for v in row) and all(isinstance(y, float) for y in ys)


def test_moons_is_deterministic_and_leaves_the_global_random_alone():
    random.seed(5)
    state = random.getstate()
    assert moons() == moons()
    assert random.getstate() == state
    assert moons(seed=1) != moons()
    assert moons(noise=0.2)[1] == moons()[1]  # same shuffle, more noise


def test_moons_without_noise_lie_on_the_two_half_circles():
    xs, ys = moons(n_samples=21, noise=0.0, seed=3)
    assert (ys.count(-1.0), ys.count(1.0)) == (10, 11)  # the odd sample goes to the inner moon, as in sklearn
    for (x1, x2), y in zip(xs, ys):
        cx, cy = (0.0, 0.0) if y < 0 else (1.0, 0.5)
        assert (x1 - cx) ** 2 + (x2 - cy) ** 2 == pytest.approx(1.0, rel=1e-12)
        assert (x2 >= -1e-12) if y < 0 else (x2 <= 0.5 + 1e-12)


def test_moons_needs_two_samples():
    with pytest.raises(ValueError, match="at least 2"):
        moons(n_samples=1)


@pytest.mark.parametrize(
    ("n_samples", "noise", "seed"),
    [(100, 0.1, 1337), (101, 0.3, 7), (2, 0.1, 0), (57, 0.0, 123456789), (300, 0.2, 2**32 - 1)],
)
def test_moons_equals_sklearn_bit_for_bit(n_samples, noise, seed):
    np = pytest.importorskip("numpy")
    datasets = pytest.importorskip("sklearn.datasets")
    state = np.random.get_state()
    try:
        np.random.seed(seed)  # the demo: np.random.seed(1337); make_moons(n_samples=100, noise=0.1)
        X, y = datasets.make_moons(n_samples=n_samples, noise=noise or None)
    finally:
        np.random.set_state(state)
    xs, ys = moons(n_samples, noise, seed)
    assert xs == X.tolist()
    assert ys == (y * 2 - 1).astype(float).tolist()


def test_lecture_samples():
    assert LECTURE_XS == [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
    assert LECTURE_YS == [1.0, -1.0, -1.0, 1.0]
