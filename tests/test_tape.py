"""Training on a tape (engine.tape, engine.replay): exactly the floats of rebuilding the graph.

Every comparison is bit for bit (`float.hex`, which also tells -0.0 from 0.0): each epoch's loss,
accuracy, learning rate, grad norms and scores, and every weight after every update. Each test
also asserts which path really ran — the tape and which replay, or the rebuild and why — so none
can pass by quietly falling back to the reference it is compared with.
"""

from __future__ import annotations

import math
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from engine import Value
from engine.data import LECTURE_XS, LECTURE_YS, moons
from engine.nn import MLP
from engine.ops import ADD, RELU, SIGMOID, TANH, _op
from engine.replay import PythonReplay, new_replay
from engine.tape import NotRecordable, record
from engine.train import EpochRecord, Trainer, Training

try:
    import numpy  # noqa: F401

    HAVE_NUMPY = True
except ImportError:
    HAVE_NUMPY = False

needs_numpy = pytest.mark.skipif(not HAVE_NUMPY, reason="numpy is not installed (the 'fast' extra)")
KINDS = ["python", pytest.param("numpy", marks=needs_numpy)]  # "python" is the run without numpy


# --- runs and how they are compared ------------------------------------------------------------------------


def bits(x: float) -> str:
    return float(x).hex()


def record_bits(record: EpochRecord) -> tuple:
    numbers = (record.loss, record.measure, record.learning_rate, record.grad_norm, record.max_abs_grad)
    validation = (record.validation_loss, record.validation_measure)
    checked = tuple(None if x is None else bits(x) for x in validation)
    return (record.epoch, record.l2, *map(bits, numbers), *map(bits, record.scores), *checked)


def run(training: Training, tape: str, scale_at: dict[int, float] | None = None) -> tuple[list, list, Trainer]:
    """Every epoch of `training`: the records and the weights after each update, as bits."""
    trainer = Trainer(training, tape=tape)
    records, weights = [], []
    while not trainer.finished:
        trainer.rate_scale *= (scale_at or {}).get(trainer.epoch, 1.0)
        records.append(record_bits(trainer.step()))
        weights.append([bits(p.data) for p in trainer.parameters])
    return records, weights, trainer


@cache
def rebuilt(name: str) -> tuple[list, list]:
    records, weights, trainer = run(TRAININGS[name](), "off")
    assert trainer.replay is None and trainer.tape_note == ""
    return records, weights


def assert_tape_run_equals_rebuild(name: str, kind: str) -> Trainer:
    records, weights, trainer = run(TRAININGS[name](), kind)
    assert trainer.tape_note == ""
    assert trainer.replay is not None and trainer.replay.kind == kind
    expected_records, expected_weights = rebuilt(name)
    assert records == expected_records
    assert weights == expected_weights
    return trainer


# --- what is trained -------------------------------------------------------------------------------------------


def moons_demo() -> Training:
    """micrograd's demo: ReLU net, hinge loss + L2, a falling learning-rate schedule, 100 epochs."""
    xs, ys = moons()
    model = MLP(2, [16, 16, 1], seed=1337)
    return Training(model, xs, ys, loss="hinge", learning_rate=lambda k: 1.0 - 0.9 * k / 100, epochs=100)


def lecture_mlp() -> Training:
    """The lecture's tiny net: tanh everywhere, sum of squared errors, lr 0.1, 20 epochs."""
    return Training(MLP(3, [4, 4, 1], activation="tanh", seed=1337), LECTURE_XS, LECTURE_YS, loss="sse", epochs=20)


def mse_relu() -> Training:
    xs, ys = moons(n_samples=30, seed=7)
    return Training(MLP(2, [8, 8, 1], seed=3), xs, ys, loss="mse", learning_rate=0.1, epochs=25)


def sigmoid_net() -> Training:
    xs, ys = moons(n_samples=20, seed=5)
    return Training(MLP(2, [6, 1], activation="sigmoid", seed=4), xs, ys, loss="mse", learning_rate=0.5, epochs=25)


def logistic_with_l2(scores, targets, model):
    """A loss written as a function: log(1 + e^(-y·s)), a mean by division, 1/(1 + s²) and √Σp²."""
    total = 0
    for s, y in zip(scores, targets):
        total = total + (1 + (-y * s).exp()).log() + 0.1 / (1 + s * s)
    l2 = sum((p * p for p in model.parameters()), 0) ** 0.5
    return total / len(scores) - 1e-3 * -l2


def custom_loss() -> Training:
    model = MLP(3, [4, 4, 1], activation="tanh", seed=11)
    return Training(model, LECTURE_XS, LECTURE_YS, loss=logistic_with_l2, learning_rate=0.2, epochs=20)


def schedule() -> Training:
    model = MLP(3, [4, 4, 1], activation="tanh", seed=2)
    return Training(model, LECTURE_XS, LECTURE_YS, loss="sse", learning_rate=lambda k: 0.2 / (1 + k), epochs=15)


TRAININGS = {
    "moons": moons_demo,
    "lecture": lecture_mlp,
    "mse": mse_relu,
    "sigmoid": sigmoid_net,
    "custom loss": custom_loss,
    "schedule": schedule,
}


# --- bit for bit -----------------------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("kind", KINDS)
def test_moons_demo_on_a_tape_is_the_rebuild_bit_for_bit(kind):
    trainer = assert_tape_run_equals_rebuild("moons", kind)
    assert trainer.history[-1].loss == 0.010978370135492717  # micrograd's own last loss
    assert trainer.replay.tape.nodes == 65_818


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("name", ["lecture", "mse", "sigmoid", "custom loss", "schedule"])
def test_a_run_on_a_tape_is_the_rebuild_bit_for_bit(name, kind):
    assert_tape_run_equals_rebuild(name, kind)


@pytest.mark.parametrize("kind", KINDS)
def test_the_learning_rate_scale_changed_mid_run(kind):
    """The training view's + and - scale the schedule between epochs."""
    doubled_then_quartered = {3: 2.0, 9: 0.25}
    expected = run(schedule(), "off", doubled_then_quartered)
    got = run(schedule(), kind, doubled_then_quartered)
    assert got[2].replay is not None
    assert got[:2] == expected[:2]


@pytest.mark.parametrize("kind", KINDS)
def test_restart_after_some_epochs_is_a_fresh_run(kind):
    trainer = Trainer(lecture_mlp(), tape=kind)
    for _ in range(7):
        trainer.step()
    replay = trainer.replay
    trainer.restart()
    records, weights = [], []
    while not trainer.finished:
        records.append(record_bits(trainer.step()))
        weights.append([bits(p.data) for p in trainer.parameters])
    assert trainer.replay is replay  # the same tape, not a new recording
    assert (records, weights) == rebuilt("lecture")


def test_auto_uses_numpy_when_it_is_installed_and_python_when_not(monkeypatch):
    trainer = Trainer(lecture_mlp())
    trainer.step()
    assert trainer.replay.kind == ("numpy" if HAVE_NUMPY else "python")

    monkeypatch.setitem(sys.modules, "engine.replay_numpy", None)  # `import` now fails: numpy is "missing"
    trainer = Trainer(lecture_mlp())
    trainer.step()
    assert trainer.replay.kind == "python" and trainer.tape_note == ""


def test_the_engine_does_not_import_numpy():
    code = (
        "import sys; sys.modules['numpy'] = None\n"  # any `import numpy` now raises ImportError
        "from engine.data import LECTURE_XS, LECTURE_YS\n"
        "from engine.nn import MLP\n"
        "from engine.train import Trainer, Training\n"
        "t = Trainer(Training(MLP(3, [4, 1], seed=1), LECTURE_XS, LECTURE_YS, loss='sse'))\n"
        "t.step(); t.step()\n"
        "print(t.replay.kind)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "python"


# --- when the tape cannot stand in for the graph -------------------------------------------------------------


def clipped(scores, targets, model):
    """A value-dependent loss: squared error near the target, linear far from it."""
    terms = []
    for s, y in zip(scores, targets):
        error = s - y
        terms.append(error * error if abs(error.data) < 1 else error * 2)
    return sum(terms)


calls: list[int] = []


def counting(scores, targets, model):
    calls.append(1)  # state of its own: a replay would not call it again
    return sum((s - y) ** 2 for s, y in zip(scores, targets))


def counted():
    """A loss closing over a counter: state again, in a closure this time."""
    count = [0]

    def counted_loss(scores, targets, model):
        count[0] += 1
        return sum((s - y) ** 2 for s, y in zip(scores, targets))

    return counted_loss


def shown(scores, targets, model):
    total = sum((s - y) ** 2 for s, y in zip(scores, targets))
    f"{total}"  # formatting a Value reads its numbers, as print would
    return total


class Gated(MLP):
    def __call__(self, x):
        out = super().__call__(x)
        return out if out.data > 0 else out * 0.5  # the model's shape follows the numbers


class Doubling(Value):
    """A Value subclass: the engine's ops, but it could compute or differentiate its own way."""


def with_a_subclass(scores, targets, model):
    return sum((s - y) ** 2 for s, y in zip(scores, targets)) * Doubling(2.0)


@pytest.mark.parametrize(
    ("net", "loss", "why"),
    [
        (MLP, clipped, "clipped (test_tape.py:"),
        (MLP, counting, "counting (test_tape.py:"),
        (MLP, counted(), "counted.<locals>.counted_loss (test_tape.py:"),
        (MLP, shown, "shown (test_tape.py:"),
        (Gated, "sse", "Gated.__call__ (test_tape.py:"),
        (MLP, with_a_subclass, "the graph holds a Doubling"),
    ],
    ids=[
        "loss reads .data",
        "loss keeps state",
        "closure keeps state",
        "loss shows a Value",
        "model reads .data",
        "Value subclass",
    ],
)
def test_what_a_tape_cannot_replay_is_rebuilt_and_says_why(net, loss, why):
    def training():
        return Training(net(3, [4, 1], seed=5), LECTURE_XS, LECTURE_YS, loss=loss, learning_rate=0.1, epochs=8)

    records, weights, trainer = run(training(), "auto")
    assert trainer.replay is None
    assert trainer.tape_note.startswith("rebuilding the graph every epoch: ")
    assert why in trainer.tape_note
    assert (records, weights) == run(training(), "off")[:2]


def test_the_notes_say_what_the_code_does():
    _, _, value_dependent = run(Training(MLP(3, [4, 1], seed=5), LECTURE_XS, LECTURE_YS, loss=clipped), "auto")
    assert value_dependent.tape_note.endswith("reads .data, so the graph may change with the numbers")
    _, _, stateful = run(Training(MLP(3, [4, 1], seed=5), LECTURE_XS, LECTURE_YS, loss=counting), "auto")
    assert stateful.tape_note.endswith("uses the list calls from outside, so it must run every epoch")


def test_a_custom_op_is_not_recorded():
    lookalike = _op("+", lambda a, b: a - b, lambda out, a, b: (1.0, -1.0), "{0} − {1}", ("1", "−1"))
    w = Value(1.5)
    node = w + 2.0
    node._op = lookalike  # an op that only looks like the table's "+"
    assert node._op == ADD and node._op is not ADD
    with pytest.raises(NotRecordable, match="op the engine does not know"):
        record(node * 3.0, [node], [w])


@pytest.mark.parametrize("kind", KINDS)
def test_a_domain_error_mid_run_stops_at_the_same_epoch_with_the_same_message(kind):
    """-1/relu(s) pushes the scores down until relu gives 0.0: the engine's / raises "division by
    zero" there. The tape's own error would be its **-1 node's; rerunning that epoch on a real
    graph makes it the rebuild's."""

    def reciprocal(scores, targets, model):
        return sum(-1 / s.relu() for s in scores)

    def training():
        return Training(MLP(1, [1], seed=2), [[1.0], [2.0]], [1.0, 1.0], loss=reciprocal, learning_rate=0.05)

    outcomes = []
    for tape in ("off", kind):
        trainer = Trainer(training(), tape=tape)
        with pytest.raises(ValueError) as caught:
            while not trainer.finished:
                trainer.step()
        outcomes.append((trainer.epoch, str(caught.value), [bits(p.data) for p in trainer.parameters]))
    assert outcomes[0] == outcomes[1]
    assert outcomes[0][0] == 4 and outcomes[0][1].startswith("division by zero: -1 / Value(data=0.0")
    assert trainer.replay is not None and trainer.replay.kind == kind  # the tape ran up to there, and stays
    with pytest.raises(ValueError, match=r"\*\*-1: 0 cannot be raised to a negative power"):
        trainer.replay.forward()  # what the tape alone would have said


def test_a_log_of_a_negative_number_mid_run():
    def log_loss(scores, targets, model):  # minimising log(s) drives s to zero and below
        return sum(s.log() for s in scores)

    def training():
        model = MLP(1, [1], seed=4)
        model.layers[0].neurons[0].b.data = 3.0
        return Training(model, [[1.0], [0.5]], [1.0, 1.0], loss=log_loss, learning_rate=0.3)

    outcomes = []
    for tape in ("off", "auto"):
        trainer = Trainer(training(), tape=tape)
        with pytest.raises(ValueError, match="log: needs a positive input") as caught:
            while not trainer.finished:
                trainer.step()
        outcomes.append((trainer.epoch, str(caught.value), trainer.replay is not None))
    assert outcomes[0][:2] == outcomes[1][:2] and outcomes[0][0] >= 1
    assert outcomes[1][2]  # the tape did the epochs before


# --- the first epoch checks the tape; a tape that fails where a graph does not is dropped ---------------------


def test_a_tape_that_disagrees_with_the_first_real_epoch_is_not_used(monkeypatch):
    original = PythonReplay.forward

    def off_by_one_ulp(self):
        loss, scores = original(self)
        return math.nextafter(loss, math.inf), scores

    monkeypatch.setattr(PythonReplay, "forward", off_by_one_ulp)
    records, weights, trainer = run(lecture_mlp(), "python")
    assert trainer.replay is None
    assert "the tape's loss" in trainer.tape_note and "is not the graph's" in trainer.tape_note
    assert (records, weights) == rebuilt("lecture")


def test_a_tape_failing_where_the_graph_does_not_is_dropped_mid_run(monkeypatch):
    original = PythonReplay.forward
    replays = []

    def fails_on_the_fifth_replay(self):
        replays.append(1)
        if len(replays) == 5:
            raise ArithmeticError("a replay bug")
        return original(self)

    monkeypatch.setattr(PythonReplay, "forward", fails_on_the_fifth_replay)
    records, weights, trainer = run(lecture_mlp(), "python")
    assert trainer.replay is None
    assert trainer.tape_note == "rebuilding the graph every epoch: the tape failed at epoch 5 (a replay bug)"
    assert (records, weights) == rebuilt("lecture")  # epoch 5 on onwards came from real graphs


# --- the tape on its own: random graphs, edge values ---------------------------------------------------------

UNARY = ["relu", "tanh", "sigmoid", "exp_tanh", "square", "cube", "inverse", "log", "sqrt", "neg"]
BINARY = ["+", "*", "-", "/", "+int", "*int"]


def build(recipe: list[tuple[str, int, int]], weights: list[float]) -> tuple[Value, list[Value], list[Value]]:
    """A graph from a recipe: each step combines earlier nodes (shared freely, `x*x` included)."""
    params = [Value(w, label=f"p{i}") for i, w in enumerate(weights)]
    nodes = [*params, Value(0.5), Value(-2), Value(-0.0)]  # constants: a float, an int, a negative zero
    for op, i, j in recipe:
        x, y = nodes[i % len(nodes)], nodes[j % len(nodes)]
        if op == "relu":
            out = x.relu()
        elif op == "tanh":
            out = x.tanh()
        elif op == "sigmoid":
            out = x.sigmoid()
        elif op == "exp_tanh":
            out = x.tanh().exp()
        elif op == "square":
            out = x**2
        elif op == "cube":
            out = x**3
        elif op == "inverse":
            out = (x * x + 1) ** -1
        elif op == "log":
            out = (x * x + 0.25).log()
        elif op == "sqrt":
            out = (x * x + 1) ** 0.5
        elif op == "neg":
            out = -x
        elif op == "+":
            out = x + y
        elif op == "*":
            out = x * y
        elif op == "-":
            out = x - y
        elif op == "/":
            out = x / (y * y + 1)
        elif op == "+int":
            out = 1 + x
        else:
            out = 3 * x
        nodes.append(out)
    loss = nodes[-1]
    scores = [nodes[len(nodes) // 2], nodes[-1], nodes[len(params)]]  # one may lie outside the loss's graph
    return loss, scores, params


def engine_numbers(loss: Value, scores: list[Value], params: list[Value]) -> list[str]:
    for p in params:
        p.grad = 0.0
    loss.backward()
    return [bits(loss.data), *(bits(s.data) for s in scores), *(bits(p.grad) for p in params)]


def tape_numbers(replay, params: list[Value]) -> list[str]:
    loss, scores = replay.forward()
    grads = replay.backward()
    return [bits(loss), *map(bits, scores), *map(bits, grads)]


steps = st.tuples(st.sampled_from(UNARY + BINARY), st.integers(0, 1000), st.integers(0, 1000))
weights = st.lists(st.floats(-3, 3, allow_nan=False), min_size=3, max_size=3)


@settings(max_examples=150, deadline=None)
@given(recipe=st.lists(steps, min_size=1, max_size=30), first=weights, second=weights)
def test_random_graphs_replay_bit_for_bit(recipe, first, second):
    try:
        loss, scores, params = build(recipe, first)
    except ValueError:  # log(NaN) once an overflow made one: nothing to record
        assume(False)
    expected_first = engine_numbers(loss, scores, params)
    tape = record(loss, scores, params)
    replays = [new_replay(tape, "python")] + ([new_replay(tape, "numpy")] if HAVE_NUMPY else [])
    for replay in replays:
        assert tape_numbers(replay, params) == expected_first, replay.kind
    for p, w in zip(params, second):  # new weights: the same tape against a fresh graph
        p.data = w
    try:
        fresh = build(recipe, second)
    except ValueError as error:  # then the tape fails too (its message may name another node)
        for replay in replays:
            with pytest.raises(ValueError):
                replay.forward()
        assert "log" in str(error)
        return
    expected_second = engine_numbers(*fresh)
    for replay in replays:
        assert tape_numbers(replay, params) == expected_second, replay.kind


EDGES = [0.0, -0.0, 0.25, -0.75, 1.0, -1.0, 3, 0, math.inf, -math.inf, math.nan, 1e-310, 709.0, -745.0]


@pytest.mark.parametrize("op", [RELU, TANH, SIGMOID], ids=str)
def test_local_derivatives_by_group_are_the_op_tables(op):
    """The replays compute relu', tanh', sigmoid' for whole groups with their own expressions;
    they must be the op table's to the bit, at zeros of both signs, infinities, NaN and ints."""
    from engine import replay as python_replay

    inputs = [x for x in EDGES if op is not TANH or not isinstance(x, int)]
    outs = [op.forward(x) for x in inputs]
    expected = [bits(op.local(o, x)[0]) for o, x in zip(outs, inputs)]
    by_group = python_replay._local_of(op)(tuple(outs), tuple(inputs), len(outs))
    assert [bits(v) for v in by_group] == expected
    if HAVE_NUMPY:
        import numpy as np

        from engine import replay_numpy

        local = replay_numpy._local_of(op)
        assert [bits(v) for v in local(np.array(outs, dtype=float), np.array(inputs, dtype=float))] == expected


def test_tape_shape_on_moons():
    """The moons graph's 65,818 nodes: the products and partial sums fold into the sums that use
    them, the inputs and targets are numbers, and what is left runs in ten groups."""
    xs, ys = moons()
    trainer = Trainer(Training(MLP(2, [16, 16, 1], seed=1337), xs, ys, loss="hinge"), tape="python")
    trainer.step()
    tape = trainer.replay.tape
    assert tape.nodes == 65_818
    assert len(tape.forward) == 10
    assert sum(group.count for group in tape.forward) == 6_703  # 3,401 sums and 3,302 ReLUs and products


# --- what a user sees ------------------------------------------------------------------------------------------

PICKY = Path(__file__).parent / "scenarios" / "picky_loss.py"  # counts its calls: no tape for it


def test_headless_training_says_once_why_it_rebuilds(capsys):
    from mgtui.cli import main

    status = main([str(PICKY), "--train", "--print"])
    lines = capsys.readouterr().out.splitlines()
    assert status == 1  # the loss gives up at epoch 3, as it does without a tape
    notes = [line for line in lines if line.startswith("mgtui: note: ")]
    assert notes == [f"mgtui: note: rebuilding the graph every epoch: {PICKY_WHY}"]
    assert lines.index(notes[0]) == 1  # right after the first epoch, which found it out


def test_headless_training_on_a_tape_prints_no_note(capsys):
    from mgtui.cli import main

    assert main(["tiny_mlp", "--train", "--print"]) == 0
    assert "note" not in capsys.readouterr().out


PICKY_WHY = "picky_loss (picky_loss.py:10) uses the list calls from outside, so it must run every epoch"


async def test_the_training_view_shows_why_it_rebuilds():
    from mgtui.app import MgtuiApp
    from mgtui.scenario import load
    from mgtui.screens.training import TrainingScreen
    from mgtui.session import Session
    from tests.screen import screen_text

    app = MgtuiApp(Session.open(load(PICKY), need_training=True), start_in_training=True, autostart_training=False)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        assert isinstance(screen, TrainingScreen)
        assert "rebuilding" not in screen_text(app)  # nothing is known before the first epoch
        screen.run_epochs_now(1)
        await pilot.pause()
        assert screen.trainer.tape_note.endswith(PICKY_WHY)
        lines = screen_text(app).splitlines()
        assert "rebuilding the graph every epoch:" in lines[7]  # under the figures
        assert "picky_loss (picky_loss.py:10)" in lines[8]
