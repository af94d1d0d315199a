"""The lecture's switches on a training run: the forgotten zero_grad, L2, a validation set, what is
measured beside the loss, continuing a finished run; and memory that stays flat however long it runs."""

from __future__ import annotations

import math
import random
import sys

import pytest

from engine import Value
from engine.curve import Curve
from engine.data import LECTURE_XS, LECTURE_YS, moons
from engine.losses import hinge, mse, sse
from engine.measures import BITS, SIGNS, Measure, classes_of, max_abs_error
from engine.nn import MLP
from engine.train import Trainer, Training
from tests.test_tape import KINDS, bits, record_bits, run

# The lecture's seed-1337 net without zeroing grads (micrograd notes §4.5): the loss bounces.
FORGOT_ZERO_GRAD = [6.0054, 3.2021, 2.4325, 1.1427, 0.0457, 0.0016, 0.0003, 0.1742, 0.0, 0.0, 0.0099, 3.7837, 0.0]


def lecture(**kwargs) -> Training:
    options = {"loss": "sse", "learning_rate": 0.1, "epochs": 20, **kwargs}
    return Training(MLP(3, [4, 4, 1], activation="tanh", seed=1337), LECTURE_XS, LECTURE_YS, **options)


# --- the forgotten zero_grad ------------------------------------------------------------------------------------


def test_without_zero_grad_the_trainer_is_the_lectures_buggy_loop_bit_for_bit():
    trainer = Trainer(lecture(zero_grad=False), tape="off")
    trained = [trainer.step().loss for _ in range(20)]

    random.seed(1337)
    n = MLP(3, [4, 4, 1], activation="tanh")
    by_hand = []
    for _ in range(20):
        ypred = [n(x) for x in LECTURE_XS]
        loss = sum((yout - ygt) ** 2 for ygt, yout in zip(LECTURE_YS, ypred))
        loss.backward()  # no zero_grad: the grads of every epoch so far add up
        for p in n.parameters():
            p.data += -0.1 * p.grad
        by_hand.append(loss.data)
    assert trained == by_hand
    assert [bits(p.data) for p in trainer.parameters] == [bits(p.data) for p in n.parameters()]
    assert [round(x, 4) for x in trained[:13]] == FORGOT_ZERO_GRAD


@pytest.mark.parametrize("kind", KINDS)
def test_without_zero_grad_the_tape_adds_to_last_epochs_grads_bit_for_bit(kind):
    expected = run(lecture(zero_grad=False), "off")
    got = run(lecture(zero_grad=False), kind)
    assert got[2].replay is not None and got[2].replay.kind == kind and got[2].tape_note == ""
    assert got[:2] == expected[:2]


class WithSpare(MLP):
    """An MLP with one more parameter that its output never uses."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.spare = Value(0.75, label="spare")

    def parameters(self):
        return [*super().parameters(), self.spare]


@pytest.mark.parametrize("kind", KINDS)
def test_without_zero_grad_a_parameter_the_loss_never_reaches_keeps_its_grad(kind):
    xs, ys = moons(n_samples=20, seed=3)

    def no_l2(scores, targets, model):
        return hinge(scores, targets)  # without the L2 term nothing reaches the spare parameter

    def training() -> Training:
        model = WithSpare(2, [6, 1], seed=8)
        model.spare.grad = 0.25  # a grad from before the run: without zero_grad, every update applies it
        return Training(model, xs, ys, loss=no_l2, learning_rate=0.3, epochs=12, zero_grad=False)

    expected = run(training(), "off")
    got = run(training(), kind)
    assert got[2].replay is not None and got[2].tape_note == "", got[2].tape_note
    assert got[:2] == expected[:2]
    spare, data = got[2].training.model.spare, 0.75
    for _ in range(12):
        data -= 0.3 * 0.25
    assert (spare.grad, spare.data) == (0.25, data)


# --- L2 -------------------------------------------------------------------------------------------------------------


def test_l2_strength_is_the_losss_alpha():
    assert Trainer(lecture()).l2 is None  # the lecture's sse has no L2 term
    xs, ys = moons(n_samples=10)
    assert Training(MLP(2, [4, 1], seed=1), xs, ys, loss="hinge").l2_strength == 1e-4  # the demo's
    assert Training(MLP(2, [4, 1], seed=1), xs, ys, loss="hinge", l2=0.01).l2_strength == 0.01
    with pytest.raises(TypeError, match="no alpha parameter"):
        Training(MLP(3, [1], seed=1), LECTURE_XS, LECTURE_YS, loss=lambda s, t, m: s[0], l2=0.1)
    with pytest.raises(ValueError, match="l2 must be a number"):
        lecture(l2=-1.0)


def test_mse_with_l2_adds_alpha_times_the_sum_of_squares():
    model = MLP(3, [2, 1], seed=6)
    scores = [model(x) for x in LECTURE_XS]
    plain = mse(scores, LECTURE_YS, model).data
    squares = sum((p * p for p in model.parameters()), 0).data
    assert mse(scores, LECTURE_YS, model, alpha=0.5).data == pytest.approx(plain + 0.5 * squares, rel=1e-14)
    assert sse(scores, LECTURE_YS, model).data == sse(scores, LECTURE_YS).data  # no alpha: no term


@pytest.mark.parametrize("kind", KINDS)
def test_changing_the_l2_strength_mid_run_records_a_new_tape_bit_for_bit(kind):
    def training() -> Training:
        xs, ys = moons(n_samples=24, seed=2)
        return Training(MLP(2, [8, 1], seed=5), xs, ys, loss="mse", l2=1e-3, learning_rate=0.2, epochs=14)

    def with_changes(tape: str) -> tuple[list, list, Trainer]:
        trainer = Trainer(training(), tape=tape)
        records, weights, tapes = [], [], []
        while not trainer.finished:
            if trainer.epoch in (4, 9):
                trainer.request_l2({4: 0.5, 9: 0.0}[trainer.epoch])
            records.append(record_bits(trainer.step()))
            weights.append([bits(p.data) for p in trainer.parameters])
            tapes.append(trainer.replay)
        return records, weights, tapes

    expected_records, expected_weights, _ = with_changes("off")
    records, weights, tapes = with_changes(kind)
    assert (records, weights) == (expected_records, expected_weights)
    assert [r[1] for r in records] == [1e-3] * 4 + [0.5] * 5 + [0.0] * 5
    assert tapes[3] is not tapes[4] is not tapes[9] and all(t is not None for t in tapes)  # re-recorded twice


def test_a_restart_puts_the_l2_strength_and_the_lr_scale_back_unless_kept():
    xs, ys = moons(n_samples=10)
    trainer = Trainer(Training(MLP(2, [4, 1], seed=1), xs, ys, loss="hinge", epochs=5))
    trainer.request_l2(0.1)
    trainer.rate_scale = 4.0
    trainer.step()
    assert trainer.l2 == 0.1
    trainer.restart(keep_settings=True)
    assert (trainer.next_l2, trainer.rate_scale) == (0.1, 4.0)
    trainer.restart()
    assert (trainer.next_l2, trainer.rate_scale) == (1e-4, 1.0)
    assert trainer.step().l2 == 1e-4


# --- validation -----------------------------------------------------------------------------------------------------


def validated(epochs: int = 15) -> Training:
    xs, ys = moons(n_samples=30, seed=4)
    vx, vy = moons(n_samples=20, seed=9)
    model = MLP(2, [8, 8, 1], seed=2)
    return Training(model, xs, ys, loss="hinge", learning_rate=0.5, epochs=epochs, validation=(vx, vy))


@pytest.mark.parametrize("kind", KINDS)
def test_validation_figures_on_a_tape_are_the_rebuilds_bit_for_bit(kind):
    expected = run(validated(), "off")
    got = run(validated(), kind)
    assert got[2].validation.replay is not None and got[2].validation.replay.kind == kind
    assert got[:2] == expected[:2]


def test_validation_is_measured_at_the_epochs_weights_and_never_trained_on():
    training = validated(epochs=3)
    vx, vy = training.validation
    trainer = Trainer(training)
    for _ in range(3):
        predict = trainer.predictor()  # the weights this epoch starts from
        scores = [predict(x) for x in vx]
        record = trainer.step()
        assert record.validation_measure == sum((s > 0) == (y > 0) for s, y in zip(scores, vy)) / len(vy)
        assert trainer.latest.validation_scores == pytest.approx(scores, rel=1e-12)
    same = {"loss": "hinge", "learning_rate": 0.5}
    unvalidated = Training(MLP(2, [8, 8, 1], seed=2), training.inputs, training.targets, **same)
    without = Trainer(unvalidated)
    for _ in range(3):
        without.step()
    assert [p.data for p in without.parameters] == [p.data for p in trainer.parameters]  # same training


def test_a_validation_set_must_pair_up():
    with pytest.raises(ValueError, match="validation has 2 inputs and 1 targets"):
        lecture(validation=([[1.0, 2.0, 3.0], [1.0, 1.0, 1.0]], [1.0]))
    with pytest.raises(ValueError, match="3 numbers each"):
        lecture(validation=([[1.0, 2.0]], [1.0]))


# --- what is measured beside the loss ---------------------------------------------------------------------------


def test_the_targets_choose_the_measure():
    assert lecture().measure.name == "accuracy" and lecture().classes is SIGNS
    bits_training = Training(MLP(2, [4, 1], activation="sigmoid", seed=1), [[0, 1], [1, 0]], [0.0, 1.0])
    assert bits_training.classes is BITS and bits_training.measure.percent
    regression = Training(MLP(1, [4, 1], seed=1), [[0.0], [1.0], [2.0]], [0.5, 1.5, 2.25])
    assert regression.classes is None and regression.measure.name == "max error"
    assert classes_of([1.0, 1.0]) is SIGNS  # all ones: the lecture's ±1


def test_a_sigmoid_net_on_0_1_targets_is_judged_at_0_5():
    xs = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]
    ys = [0.0, 1.0, 1.0, 1.0]  # OR
    model = MLP(2, [4, 1], activation="sigmoid", seed=3)
    trainer = Trainer(Training(model, xs, ys, loss="mse", learning_rate=2.0, epochs=400))
    while not trainer.finished:
        record = trainer.step()
    assert all(0 < s < 1 for s in record.scores)  # a sign rule would call every sample positive: 75%
    assert record.measure == 1.0
    assert record.measure == sum((s > 0.5) == (y == 1.0) for s, y in zip(record.scores, ys)) / 4


def test_a_regression_reports_its_largest_error():
    xs, ys = [[0.0], [0.5], [1.0]], [0.1, 0.4, 0.9]
    trainer = Trainer(Training(MLP(1, [3, 1], activation="tanh", seed=2), xs, ys, loss="mse", epochs=3))
    record = trainer.step()
    assert record.measure == max(abs(s - y) for s, y in zip(record.scores, ys))
    assert max_abs_error([0.0, math.nan], [0.0, 1.0]) != max_abs_error([0.0, math.nan], [0.0, 1.0])  # NaN


def test_a_training_names_its_own_measure():
    def within_half(scores, targets):
        return sum(abs(s - y) < 0.5 for s, y in zip(scores, targets)) / len(scores)

    trainer = Trainer(lecture(measure=Measure("within ½", within_half, percent=True)))
    record = trainer.step()
    assert record.measure == within_half(record.scores, LECTURE_YS)
    assert trainer.training.measure.text(0.25) == "25.0%"
    plain = lecture(measure=within_half).measure
    assert (plain.name, plain.percent, plain.text(0.25)) == ("within_half", False, "0.25")


# --- continuing a finished run ---------------------------------------------------------------------------------------


def test_a_finished_run_continues_where_it_stopped():
    straight = Trainer(lecture(epochs=30))
    losses = [straight.step().loss for _ in range(30)]
    trainer = Trainer(lecture(epochs=20))
    while not trainer.finished:
        trainer.step()
    trainer.extend(10)
    assert not trainer.finished and trainer.epochs_planned == 30
    assert [trainer.step().loss for _ in range(10)] == losses[20:]
    trainer.restart()
    assert trainer.epochs_planned == 20


def test_a_continued_schedule_holds_its_last_rate():
    xs, ys = moons(n_samples=10)
    schedule = lambda k: 1.0 - 0.9 * k / 100  # noqa: E731  (micrograd's: negative after k = 111)
    trainer = Trainer(Training(MLP(2, [4, 1], seed=1), xs, ys, loss="hinge", learning_rate=schedule, epochs=100))
    while not trainer.finished:
        last = trainer.step()
    trainer.extend(20)
    assert trainer.schedule_held
    assert [trainer.step().learning_rate for _ in range(20)] == [last.learning_rate] * 20


# --- memory ----------------------------------------------------------------------------------------------------------


def test_a_curve_keeps_bounded_points_and_every_extreme():
    curve = Curve(capacity=16)
    rng = random.Random(1)
    values = [rng.random() for _ in range(10_000)]
    values[7_777] = 5.0
    values[1_234] = -5.0
    values[500] = math.inf  # never plotted
    for epoch, value in enumerate(values, start=1):
        curve.append(epoch, value)
    points = curve.points()
    assert len(points) <= 32 and len(curve) == 10_000
    assert (7_778, 5.0) in points and (1_235, -5.0) in points
    assert points == sorted(points)
    assert curve.points(up_to=5_000) == [p for p in points if p[0] <= 5_000]


@pytest.mark.slow
def test_memory_of_a_200_000_epoch_run_is_flat_after_warm_up():
    """A run of any length keeps a bounded history and curve: after warm-up, 200,000 epochs of a
    tiny net leave the interpreter's allocated blocks where they were."""
    training = Training(MLP(1, [1], seed=1), [[1.0], [-1.0]], [0.5, -0.5], loss="mse", learning_rate=0.01, epochs=10**9)
    trainer = Trainer(training, tape="python")
    for _ in range(20_000):
        trainer.step()
    warm = sys.getallocatedblocks()
    for _ in range(180_000):
        trainer.step()
    grown = sys.getallocatedblocks() - warm
    assert trainer.epoch == 200_000
    assert len(trainer.history) == 1000 and len(trainer.curve.points()) <= 2 * trainer.curve.capacity
    assert grown < 2_000, f"{grown} blocks more after 180,000 epochs"  # a list of every epoch would be 180,000+
