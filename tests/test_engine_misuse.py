"""The engine against graphs a learner can build by hand: cycles, labels that are not text, data
that is not a number. Each is refused with the nodes named, or made harmless."""

from __future__ import annotations

import pytest

from engine import Value
from engine.ops import op_named
from engine.stepping import Timeline
from engine.text import label_text, one_line, printable


def test_a_cycle_made_by_mutating_operands_is_refused_with_its_nodes_named():
    a, b = Value(1.0, label="a"), Value(2.0, label="b")
    c = a * b
    c.label = "c"
    d = c + a
    d.label = "d"
    a._a, a._b, a._op = d, b, op_named("*")  # a now depends on d, which depends on a
    with pytest.raises(ValueError, match=r"the graph has a cycle: d → c → a → d"):
        Timeline(d)
    with pytest.raises(ValueError, match="cycle"):
        d.backward()  # the engine's own backward refuses it too, rather than give contradictory grads


def test_a_node_that_is_its_own_operand():
    x = Value(3.0, label="x")
    y = x.tanh()
    y.label = "y"
    y._a = y
    with pytest.raises(ValueError, match=r"cycle: y → y"):
        Timeline(y)


def test_an_unlabelled_node_on_a_cycle_is_named_by_its_op_and_data():
    x = Value(3.0)
    y = x * 2.0
    x._a, x._b, x._op = y, y, op_named("+")
    with pytest.raises(ValueError, match=r"Value\(data=6.0, op='\*'\)"):
        Timeline(y)


def test_a_long_cycle_is_named_by_its_ends():
    first = Value(1.0, label="n0")
    node = first
    for k in range(1, 40):
        node = node + 1.0
        node.label = f"n{k}"
    first._a, first._b, first._op = node, node, op_named("*")
    with pytest.raises(ValueError) as raised:
        Timeline(node)
    message = str(raised.value)
    assert "n39 →" in message and "more …" in message and len(message) < 300


def test_a_diamond_is_not_a_cycle():
    a = Value(2.0, label="a")
    top = (a * 3.0) + (a * 4.0)
    assert Timeline(top).output.data == 14.0


@pytest.mark.parametrize(("label", "shown"), [(1, "1"), (None, ""), (2.5, "2.5"), ("a", "a")])
def test_labels_are_text_whatever_a_learner_passes(label, shown):
    value = Value(1.0, label=label)
    assert value.label == shown
    value.label = label  # assigned later, as the lecture does
    assert value.label == shown


def test_labels_of_every_kind_sort_and_search_together():
    a, b = Value(1.0, label=1), Value(2.0, label="b")
    timeline = Timeline(a * b)
    assert sorted(node.label for node in timeline.nodes) == ["", "1", "b"]
    assert timeline.name(0) == "1"


def test_a_leaf_whose_data_is_not_a_number_is_named():
    with pytest.raises(TypeError, match=r"^w: data must be a number, got str"):
        Timeline(Value("0.5", label="w") + Value("1"))  # str + str computes: the leaves are the trouble


def test_control_characters_in_labels_are_shown_escaped():
    a = Value(2.0, label="\x1b[2Ja")
    b = Value(3.0, label="b\nc\td")
    out = a * b
    out.label = "\u202eout"
    assert out.label == "\\u202eout"  # a Value's label is one printable line, set either way
    timeline = Timeline(out)
    assert timeline.labels == ["\\x1b[2Ja", "b\\nc\\td", "\\u202eout"]
    assert all(text.isprintable() for step in range(len(timeline)) for text in timeline.step(step).text)


def test_printable_keeps_what_prints_and_escapes_the_rest():
    assert printable("α·β ≤ 漢字 🙂 café") == "α·β ≤ 漢字 🙂 café"
    assert printable("a\x00b\x7fc\x9bd") == "a\\x00b\\x7fc\\x9bd"
    assert printable("\u200b\u2028\ud800") == "\\u200b\\u2028\\ud800"
    assert printable("one\ntwo", newlines=True) == "one\ntwo"
    assert printable("x" * 50, limit=10) == "x" * 9 + "…"
    assert printable("\u00a0") == "\u00a0"  # a no-break space prints (as a space)


def test_text_of_objects_whose_str_misbehaves():
    class Raises:
        def __str__(self):
            raise RuntimeError("no")

    class NotText:
        def __str__(self):
            return 42

    assert label_text(Raises()) == "<Raises whose str() raised RuntimeError>"
    assert one_line(NotText()) == "<NotText whose str() raised TypeError>"
    assert one_line(ValueError("first\nsecond")) == "first"
    assert label_text("y" * 1000).endswith("…") and len(label_text("y" * 1000)) == 200


# --- training data that does not fit the model -------------------------------------------------------


def _training(xs, ys, model=None):
    from engine.nn import MLP
    from engine.train import Training

    return Training(model or MLP(2, [3, 1], seed=1), xs, ys, loss="mse", epochs=3)


def test_ragged_inputs_are_refused_before_training():
    with pytest.raises(ValueError, match=r"inputs\[1\] has 3 numbers but inputs\[0\] has 2"):
        _training([[0.0, 1.0], [1.0, 0.0, 5.0]], [1.0, -1.0])


def test_inputs_wider_than_the_model_are_refused_not_cut_by_zip():
    with pytest.raises(ValueError, match="each input has 3 numbers but the model takes 2"):
        _training([[0.0, 1.0, 9.0], [1.0, 0.0, 9.0]], [1.0, -1.0])
    with pytest.raises(ValueError, match="each input has 1 number but the model takes 2"):
        _training([[0.0], [1.0]], [1.0, -1.0])


def test_a_learners_own_model_is_measured_the_lectures_way():
    from engine.nn import MLP

    class Theirs:  # the lecture's shape: layers of neurons with weights w, but not an engine Module
        def __init__(self):
            self.layers = MLP(3, [2, 1], seed=1).layers

        def __call__(self, x):
            return self.layers[-1](self.layers[0](x))

        def parameters(self):
            return [p for layer in self.layers for p in layer.parameters()]

    with pytest.raises(ValueError, match="the model takes 3"):
        _training([[0.0, 1.0], [1.0, 0.0]], [1.0, -1.0], Theirs())


@pytest.mark.parametrize(
    ("xs", "ys", "message"),
    [
        ([[0.0, "1"]], [1.0], r"inputs\[0\]\[1\] must be a number, got str"),
        ([1.0], [1.0], r"inputs\[0\] must be a list of numbers, got float"),
        (["ab"], [1.0], r"inputs\[0\] must be a list of numbers, got str"),
        ([[0.0, 1.0]], ["yes"], r"targets\[0\] must be a number, got str"),
    ],
)
def test_inputs_and_targets_must_be_numbers(xs, ys, message):
    with pytest.raises(TypeError, match=message):
        _training(xs, ys)


def test_numpy_arrays_and_booleans_are_numbers_enough():
    numpy = pytest.importorskip("numpy")
    assert _training(numpy.array([[0.0, 1.0], [1.0, 0.0]]), numpy.array([1.0, -1.0])).epochs == 3
    assert _training([[True, False], [False, True]], [1, -1]).epochs == 3


def test_a_loss_named_with_control_characters_is_shown_printable():
    from engine.nn import MLP
    from engine.train import Training

    def loss(scores, targets, model):
        return sum(((s - y) ** 2 for s, y in zip(scores, targets)), 0.0)

    loss.__name__ = "my\x1b[2Jloss"
    training = Training(MLP(2, [1], seed=1), [[0.0, 1.0]], [1.0], loss=loss)
    assert training.loss_name == "my\\x1b[2Jloss"


def test_a_backward_that_exits_is_a_disagreement_of_the_check_not_the_end_of_mgtui():
    import threading

    from engine.check import end_to_end
    from tests.own_values import Mini

    class Exits(Mini):
        def backward(self):
            raise SystemExit(3)

    def graph():
        return Exits(2.0, label="a") * Exits(3.0, label="b")

    outcome: list = []
    worker = threading.Thread(target=lambda: outcome.extend(end_to_end(Timeline(graph()), graph)))
    worker.start()  # where the app runs it: a worker thread
    worker.join()
    theirs = [c for c in outcome if "backward()" in c.against]
    assert theirs and theirs[0].status == "differ" and "raised SystemExit: 3" in theirs[0].detail
