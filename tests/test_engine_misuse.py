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


def test_control_characters_in_labels_are_shown_escaped_in_the_timeline():
    a = Value(2.0, label="\x1b[2Ja")
    b = Value(3.0, label="b\nc\td")
    out = a * b
    out.label = "\u202eout"
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
