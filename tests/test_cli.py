"""The `mgtui` command through its real entry point: output, errors and exit statuses."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from mgtui.cli import main
from mgtui.scenario import bundled_paths, load
from mgtui.session import Session

FIXTURES = Path(__file__).parent / "scenarios"
BUNDLED = [
    "expression",
    "neuron",
    "neuron_exp",
    "reuse",
    "double",
    "own_value",
    "planted_bugs",
    "topo_bug",
    "tiny_mlp",
    "zero_grad_bug",
    "own_mlp",
    "moons",
]


def run(capsys, *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_list_names_every_bundled_scenario_with_its_title(capsys):
    status, out, _ = run(capsys, "--list")
    assert status == 0
    lines = out.splitlines()
    assert [line.split()[0] for line in lines] == BUNDLED
    assert "The lecture's first expression: L = (a·b + c) · f" in out
    assert "moons" in lines[-1] and "MLP(2, [16, 16, 1])" in lines[-1]


@pytest.mark.parametrize("path", bundled_paths(), ids=lambda p: p.stem)
def test_every_bundled_scenario_loads_and_builds(path: Path):
    scenario = load(path)
    assert scenario.title and scenario.description
    output = Session.open(scenario).timeline.output  # graph(), or the first epoch's loss graph
    assert output.data == output.data  # a number, not NaN
    if scenario.has_training:
        training = scenario.training()
        assert training.epochs > 0


def test_print_at_the_end_shows_the_lectures_gradients(capsys):
    status, out, _ = run(capsys, "expression", "--print")
    assert status == 0
    rows = {line.strip("│├└─ ").split()[0]: line for line in out.splitlines() if line.strip("│├└─ ")}
    assert "data -8.0000  grad 1.0000" in rows["L"]
    assert "data 2.0000  grad 6.0000" in rows["a"]
    assert "data -3.0000  grad -4.0000" in rows["b"]
    assert "data 10.0000  grad -2.0000" in rows["c"]
    assert "data -2.0000  grad 4.0000" in rows["f"]
    assert "position 7/7 (backward 3/3)" in out
    assert "last step: a.grad += b · e.grad = -3.0 · -2.0 = 6.0" in out


def test_print_at_the_start_shows_nothing_computed(capsys):
    status, out, _ = run(capsys, "expression", "--print", "--steps", "0")
    assert status == 0
    assert "position 0/7 (start)" in out
    assert "L  *  data ·  grad ·" in out
    assert "a  data 2.0000  grad ·" in out


def test_print_mid_pass_shows_the_forward_values_and_only_the_first_grads(capsys):
    status, out, _ = run(capsys, "expression", "--print", "--steps", "5")
    assert status == 0
    assert "position 5/7 (backward 1/3)" in out
    assert "L  *  data -8.0000  grad 1.0000 ✓" in out
    assert "d  +  data 4.0000  grad -2.0000 ✓" in out
    assert "e  *  data -6.0000  grad ·" in out
    assert "last step: d.grad += f · L.grad = -2.0 · 1.0 = -2.0" in out


def test_print_draws_a_shared_node_once_and_refers_to_it_elsewhere(capsys):
    status, out, _ = run(capsys, "reuse", "--print")
    assert status == 0
    assert out.count("a  data -2.0000  grad -3.0000 ✓") == 1
    assert out.count("↪ a (shared: drawn in full above)") == 1
    assert out.count("b  data 3.0000  grad -8.0000 ✓") == 1


def test_print_of_a_file_path(capsys, write_scenario):
    path = write_scenario(
        '''
        """Two leaves."""
        from engine import Value

        def graph():
            return Value(3.0, label="x") * Value(4.0, label="y")
        '''
    )
    status, out, _ = run(capsys, str(path), "--print")
    assert status == 0
    assert out.splitlines()[0] == "Two leaves."
    assert "x  data 3.0000  grad 4.0000 ✓" in out


def test_headless_training_prints_one_line_per_epoch(capsys):
    status, out, _ = run(capsys, "tiny_mlp", "--train", "--print")
    assert status == 0
    lines = out.splitlines()
    assert len(lines) == 20
    assert lines[0].startswith("epoch  1/20  loss 6.0054")
    assert "accuracy" in lines[0]
    assert lines[-1].startswith("epoch 20/20  loss 0.01778")
    assert "accuracy 100.0%" in lines[-1]


def test_headless_training_stops_on_a_nan_loss_with_the_epoch(capsys):
    status, out, _ = run(capsys, str(FIXTURES / "diverges.py"), "--train", "--print")
    assert status == 1
    assert "training stopped" in out
    last = out.strip().splitlines()
    assert "loss became" in last[-1] and "at epoch" in last[-1]
    assert len(last) < 50


# --- bad input: one line naming the user's file and line, exit status 2 ---------------------------


def assert_one_line_error(err: str, *fragments: str) -> None:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("mgtui: ")
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])


def test_missing_file(capsys, tmp_path):
    status, _, err = run(capsys, str(tmp_path / "nope.py"))
    assert status == 2
    assert_one_line_error(err, "nope.py", "no such file")


def test_unknown_bundled_name_lists_the_bundled_ones(capsys):
    status, _, err = run(capsys, "nosuchscenario")
    assert status == 2
    assert_one_line_error(err, "nosuchscenario", "expression", "moons")


def test_syntax_error_names_the_line(capsys, write_scenario):
    path = write_scenario("from engine import Value\n\ndef graph(:\n    return Value(1.0)\n")
    status, _, err = run(capsys, str(path), "--print")
    assert status == 2
    assert_one_line_error(err, f"{path}:3:", "syntax error")


def test_exception_while_loading_names_the_users_line(capsys, write_scenario):
    path = write_scenario("from engine import Value\nx = 1\ny = x / 0\n\ndef graph():\n    return Value(1.0)\n")
    status, _, err = run(capsys, str(path), "--print")
    assert status == 2
    assert_one_line_error(err, f"{path}:3:", "ZeroDivisionError", "while loading")


def test_exception_inside_graph_names_the_users_line_not_the_loaders(capsys, write_scenario):
    path = write_scenario(
        """
        from engine import Value

        def helper(a):
            return a.log()

        def graph():
            a = Value(-1.0, label="a")
            return helper(a)
        """
    )
    status, _, err = run(capsys, str(path), "--print")
    assert status == 2
    assert_one_line_error(err, f"{path}:4:", "ValueError", "log", "in graph()")
    assert "mgtui/" not in err


def test_no_entry_point(capsys, write_scenario):
    path = write_scenario("x = 1\n")
    status, _, err = run(capsys, str(path), "--print")
    assert status == 2
    assert_one_line_error(err, str(path), "neither graph() nor training()")


def test_graph_returning_the_wrong_type(capsys, write_scenario):
    path = write_scenario("def graph():\n    x = 6 * 7\n    return x\n")
    status, _, err = run(capsys, str(path), "--print")
    assert status == 2
    assert_one_line_error(err, f"{path}:3:", "graph() returned int", "Value")


def test_training_returning_the_wrong_type(capsys, write_scenario):
    path = write_scenario("def training():\n    return {'epochs': 3}\n")
    status, _, err = run(capsys, str(path), "--train", "--print")
    assert status == 2
    assert_one_line_error(err, f"{path}:2:", "training() returned dict", "Training")


def test_invalid_training_setup_points_at_the_users_call(capsys, write_scenario):
    path = write_scenario(
        """
        from engine.nn import MLP
        from engine.train import Training

        def training():
            return Training(MLP(2, [1]), [[1.0, 2.0]], [1.0, -1.0], loss="mse", epochs=3)
        """
    )
    status, _, err = run(capsys, str(path), "--train", "--print")
    assert status == 2
    assert_one_line_error(err, f"{path}:5:", "1 inputs but 2 targets")


def test_train_on_a_scenario_without_training(capsys):
    status, _, err = run(capsys, "expression", "--train", "--print")
    assert status == 2
    assert_one_line_error(err, "expression.py", "defines no training()")


def test_steps_outside_the_timeline(capsys):
    status, _, err = run(capsys, "expression", "--print", "--steps", "99")
    assert status == 2
    assert_one_line_error(err, "--steps 99", "0 to 7")


def test_entry_point_with_arguments(capsys, write_scenario):
    path = write_scenario("def graph(x):\n    return x\n")
    status, _, err = run(capsys, str(path), "--print")
    assert status == 2
    assert_one_line_error(err, f"{path}:1:", "graph() must take no arguments")


# --- the installed command, as a user runs it -------------------------------------------------------


def test_piped_output_is_plain_text_and_exit_statuses_are_real():
    env = {**os.environ, "TERM": "xterm-256color", "COLORTERM": "truecolor"}
    ok = subprocess.run(
        [sys.executable, "-m", "mgtui", "neuron", "--print"], capture_output=True, text=True, env=env, timeout=60
    )
    assert ok.returncode == 0
    assert "\x1b[" not in ok.stdout
    assert "x1  data 2.0000  grad -1.5000 ✓" in ok.stdout
    assert "w1  data -3.0000  grad 1.0000 ✓" in ok.stdout
    bad = subprocess.run([sys.executable, "-m", "mgtui", "nosuch.py"], capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2
    assert bad.stderr.count("\n") == 1 and "Traceback" not in bad.stderr


def test_a_model_that_does_not_fit_its_data_is_caught_before_training(capsys, write_scenario):
    path = write_scenario(
        """
        from engine.nn import MLP
        from engine.train import Training

        def training():
            return Training(MLP(2, [3, 2]), [[1.0, 2.0]], [1.0], loss="mse", epochs=3)
        """
    )
    status, _, err = run(capsys, str(path), "--train", "--print")
    assert status == 2
    assert_one_line_error(err, str(path), "one Value per sample", "first forward pass")


def test_a_loss_that_fails_mid_training_stops_with_the_users_line(capsys):
    path = FIXTURES / "picky_loss.py"
    status, out, _ = run(capsys, str(path), "--train", "--print")
    assert status == 1
    last = out.strip().splitlines()[-1]
    assert f"{path}:12: RuntimeError: out of patience (at epoch 3)" in last


def test_print_or_train_without_a_scenario(capsys):
    status, _, err = run(capsys, "--print")
    assert status == 2
    assert_one_line_error(err, "no scenario given", "mgtui --list")


def test_steps_do_not_apply_to_training(capsys):
    status, _, err = run(capsys, "tiny_mlp", "--train", "--print", "--steps", "3")
    assert status == 2
    assert_one_line_error(err, "--steps applies to the graph, not to --train")


def test_a_directory_is_not_a_scenario(capsys, tmp_path):
    folder = tmp_path / "lesson.py"
    folder.mkdir()
    status, _, err = run(capsys, str(folder), "--print")
    assert status == 2
    assert_one_line_error(err, str(folder), "is a directory")


def test_a_file_that_is_not_text(capsys, tmp_path):
    path = tmp_path / "binary.py"
    path.write_bytes(b"\xff\xfe\x00graph")
    status, _, err = run(capsys, str(path), "--print")
    assert status == 2
    assert_one_line_error(err, str(path), "cannot read it")


def test_a_scenario_that_exits_while_loading(capsys, write_scenario):
    path = write_scenario("import sys\nsys.exit(3)\n")
    status, _, err = run(capsys, str(path), "--print")
    assert status == 2
    assert_one_line_error(err, str(path), "called exit(3) while loading")


def test_graph_that_is_not_a_function(capsys, write_scenario):
    path = write_scenario("graph = 42\n")
    status, _, err = run(capsys, str(path), "--print")
    assert status == 2
    assert_one_line_error(err, f"{path}:1:", "graph must be a function taking no arguments, got int")


def test_a_graph_whose_pass_cannot_be_recorded(capsys, write_scenario):
    path = write_scenario(
        """
        from engine import Value

        def graph():
            a = Value(-1.0, label="a")
            return Value(0.0, (a,), "log")  # built by hand: the op table refuses log(-1)
        """
    )
    status, _, err = run(capsys, str(path), "--print")
    assert status == 2
    assert_one_line_error(err, str(path), "cannot record the pass of graph()", "log")


# --- a learner's own Value class: --print and --check -------------------------------------------

MICROGRAD_SANITY = '''
    """micrograd's own sanity check, with micrograd's own Value."""
    from micrograd.engine import Value

    def graph():
        x = Value(-4.0)
        z = 2 * x + 2 + x
        q = z.relu() + z * x
        h = (z * z).relu()
        return h + q + q * x
    '''


def test_print_steps_micrograd_s_own_value(capsys, write_scenario):
    pytest.importorskip("micrograd")
    status, out, _ = run(capsys, str(write_scenario(MICROGRAD_SANITY)), "--print")
    assert status == 0
    root = out.splitlines()[5]
    assert root.startswith("#13  +  data -20.0000  grad 1.0000")
    assert "#0  data -4.0000  grad 46.0000 ✓" in out  # x: an unlabelled float leaf keeps its short id


def test_check_of_micrograd_s_own_value_passes(capsys, write_scenario):
    pytest.importorskip("micrograd")
    status, out, _ = run(capsys, str(write_scenario(MICROGRAD_SANITY)), "--check")
    assert status == 0, out
    assert out.splitlines()[-1].startswith("mgtui: all 23 steps of your code follow the chain rule; end to end,")


def test_check_names_both_planted_bugs_and_exits_1(capsys):
    status, out, _ = run(capsys, "planted_bugs", "--check")
    assert status == 1
    lines = out.splitlines()
    assert lines[0].startswith("step 4 (backward 1/2) o (tanh): wrong local derivative: expected n.grad += (1 − o²)")
    assert "yours added 0.292893 [" in lines[0] and "planted_bugs.py:" in lines[0]
    assert lines[1].startswith(
        "step 5 (backward 2/2) n (+): overwrote instead of accumulating: a.grad was 0.292893 and should have become"
    )
    assert "end to end, against mgtui's engine: ✗" in out
    assert lines[-1].startswith("mgtui: 2 of 5 steps disagree with the chain rule")


def test_print_tells_a_final_grad_a_bug_spoiled_from_one_that_is_right(capsys):
    status, out, _ = run(capsys, "planted_bugs", "--print")
    assert status == 0
    assert "✓ = grad final (✗: not what the chain rule gives)" in out
    assert "a  data 0.4407  grad 0.2929 ✗" in out and "o  tanh  data 0.7071  grad 1.0000 ✓ ⚠" in out
    status, out, _ = run(capsys, "planted_bugs", "--print", "--trace")
    assert "a.grad: 0.292893 → 0.292893  ⚠ should be 0.585786  ✗ final, the chain rule gives 1.0" in out
    status, out, _ = run(capsys, "own_value", "--print")
    assert out.count("✗") == 1 and "✓" in out  # the legend's alone: every grad of a correct class is right


def test_check_catches_the_topological_sort_of_topo_bug_that_stepping_cannot(capsys):
    status, out, _ = run(capsys, "topo_bug", "--check")
    assert status == 1
    lines = out.splitlines()
    assert not lines[0].startswith("step ")  # every step of its own follows the chain rule
    verdict = next(line for line in lines if "against your backward()" in line)
    assert "✗ 7 of 10 grads differ" in verdict
    # which product their sort reaches first follows their _prev, a set: either is named, never a leaf
    assert re.search(r"it called x[12]\*w[12]'s _backward before that of \(x1\*w1 \+ x2\*w2\), which uses it", verdict)
    assert lines[-1].startswith("mgtui: all 11 steps of your code follow the chain rule; end to end, ")


@pytest.mark.parametrize("name", ["expression", "own_value", "reuse"])
def test_check_of_correct_graphs_exits_0(capsys, name):
    status, out, _ = run(capsys, name, "--check")
    assert status == 0, out
    assert "✗" not in out and "measures agree" in out.splitlines()[-1]


def test_check_of_a_broken_scenario_exits_2(capsys, write_scenario):
    path = write_scenario("def graph():\n    return 1 / 0\n")
    status, _, err = run(capsys, str(path), "--check")
    assert status == 2 and "ZeroDivisionError" in err


def test_print_trace_explains_every_step_in_order_without_wrapping_an_equation(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "40")  # a narrow terminal still gets each equation on one line
    status, out, _ = run(capsys, "expression", "--print", "--trace")
    assert status == 0
    steps = [line for line in out.splitlines() if line.startswith("step ")]
    assert steps == [
        "step 1/7 · forward 1/3 · e (*): its value from its operands",
        "step 2/7 · forward 2/3 · d (+): its value from its operands",
        "step 3/7 · forward 3/3 · L (*): its value from its operands",
        "step 4/7 · seed · L (*): the backward pass starts at the output",
        "step 5/7 · backward 1/3 · L (*): each operand gets the other one's value times its grad 1.0",
        "step 6/7 · backward 2/3 · d (+): passes its grad -2.0 unchanged to each operand",
        "step 7/7 · backward 3/3 · e (*): each operand gets the other one's value times its grad -2.0 — pass complete",
    ]
    lines = out.splitlines()
    assert "a.grad += b · e.grad = -3.0 · -2.0 = 6.0" in lines
    assert "    a.grad: 0 → 6.0  ✓ final" in lines
    assert "L.grad = 1.0   (dL/dL: the output against itself)" in lines
    assert "\x1b" not in out  # plain text for a file


def test_print_trace_stops_at_steps_and_says_which_term_of_a_long_sum_a_step_is(capsys):
    status, out, _ = run(capsys, "tiny_mlp", "--print", "--trace", "--steps", "4")  # b + w0·x0 + w1·x1 + w2·x2
    assert status == 0
    assert out.count("\nstep ") == 4
    assert "term 1 of 3 of the sum s0.L0.n0.act, one row (Σ) in the tree" in out
    assert "term 2 of 3 of the sum s0.L0.n0.act, one row (Σ) in the tree" in out


def test_trace_needs_print_and_version_says_the_version(capsys):
    status, _, err = run(capsys, "expression", "--trace")
    assert status == 2 and "--trace goes with --print" in err
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out.strip() == "mgtui 0.1.0"
