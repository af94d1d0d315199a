"""Scenarios that misbehave, through the real command: each gets one line naming the user's file and
line and a meaningful exit status, or runs as Python would run it. (The cases that need a real
terminal — signals, a runaway worker after q, no terminal at all — are in test_terminal.py.)

The scenario files are in tests/scenarios/misbehaving/; each one's docstring says what it does.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest

from mgtui.cli import main
from tests.test_cli import assert_one_line_error

MISBEHAVING = Path(__file__).parent / "scenarios" / "misbehaving"


def run(capsys, *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def command(*argv: str, **kwargs) -> subprocess.CompletedProcess:
    """The installed command's entry point in a fresh process (what ``mgtui`` runs)."""
    return subprocess.run([sys.executable, "-m", "mgtui", *argv], capture_output=True, text=True, timeout=120, **kwargs)


def control_characters(text: str) -> set[str]:
    """Characters that a terminal would obey or hide rather than show (a newline ends a line: fine)."""
    return {ch for ch in text if ch != "\n" and unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Zl", "Zp")}


# --- exits and exceptions of every kind: a broken scenario, exit 2, its line named -------------------


@pytest.mark.parametrize(
    ("name", "what"),
    [
        ("exits_in_graph", ":7: called exit(0) in graph()"),
        ("raises_base_exception", ":5: BaseException: not an Exception at all (in graph())"),
        ("raises_keyboard_interrupt", ":5: KeyboardInterrupt (in graph())"),
    ],
)
def test_an_exit_or_any_base_exception_in_graph_is_a_broken_scenario(capsys, name, what):
    path = MISBEHAVING / f"{name}.py"
    status, out, err = run(capsys, str(path), "--print")
    assert status == 2 and out == ""
    assert_one_line_error(err, f"{path}{what}")
    assert "interrupted" not in err  # the scenario raised it: no Ctrl+C was typed


def test_the_same_through_the_installed_command():
    """The real process: sys.exit(0) in graph() used to end mgtui silently with status 0."""
    result = command(str(MISBEHAVING / "exits_in_graph.py"), "--print")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "called exit(0) in graph()" in result.stderr


def test_a_cycle_is_refused_with_its_nodes_named(capsys):
    path = MISBEHAVING / "cycle.py"
    status, _, err = run(capsys, str(path), "--check")
    assert status == 2
    assert_one_line_error(err, str(path), "the graph has a cycle: d → c → a → d")


@pytest.mark.parametrize(
    ("name", "what"),
    [
        ("ragged_inputs", "inputs[1] has 3 numbers but inputs[0] has 2"),
        ("inputs_too_wide", "each input has 3 numbers but the model takes 2"),
    ],
)
def test_data_that_does_not_fit_the_model_is_refused_before_training(capsys, name, what):
    path = MISBEHAVING / f"{name}.py"
    status, out, err = run(capsys, str(path), "--train", "--print")
    assert status == 2 and "epoch" not in out
    assert_one_line_error(err, f"{path}:9: ValueError: {what}", "(in training())")


def test_a_nan_loss_at_the_first_epoch_is_reported_at_epoch_1(capsys):
    status, out, _ = run(capsys, str(MISBEHAVING / "nan_at_first_epoch.py"), "--train", "--print")
    assert status == 1
    first, verdict = out.strip().splitlines()
    assert first.startswith("epoch  1/10  loss nan")
    assert verdict == "mgtui: loss became nan at epoch 1: training stopped"


def test_what_a_scenario_changes_for_the_whole_process_is_put_back():
    """sys.stdout replaced and the recursion limit lowered while loading: mgtui still prints.
    (In a process of its own: a limit of 40 would break any deeper stack, pytest's included.)"""
    result = command(str(MISBEHAVING / "tampers_with_the_process.py"), "--print")
    assert result.returncode == 0, result.stderr
    assert "x  data 1.0000  grad 2.0000" in result.stdout


# --- files Python would run, run -----------------------------------------------------------------------


SCENARIO_BODY = 'from engine import Value\n\ndef graph():\n    return Value(2.0, label="caf\u00e9") * 3.0\n'


@pytest.mark.parametrize(
    ("kind", "data"),
    [
        ("utf-8 BOM", b"\xef\xbb\xbf" + SCENARIO_BODY.encode()),
        ("coding line", b"# -*- coding: latin-1 -*-\n" + SCENARIO_BODY.encode("latin-1")),
        ("CRLF", SCENARIO_BODY.replace("\n", "\r\n").encode()),
    ],
)
def test_a_file_python_runs_runs(capsys, tmp_path, kind, data):
    path = tmp_path / "lesson.py"
    path.write_bytes(data)
    status, out, err = run(capsys, str(path), "--print")
    assert status == 0, err
    assert "café  data 2.0000  grad 3.0000 ✓" in out


def test_a_coding_line_that_names_no_codec(capsys, tmp_path):
    path = tmp_path / "lesson.py"
    path.write_bytes(b"# coding: klingon\n" + SCENARIO_BODY.encode())
    status, _, err = run(capsys, str(path), "--print")
    assert status == 2
    assert_one_line_error(err, str(path), "cannot read it", "klingon")


def test_changing_directory_while_loading_and_importing_a_neighbour_inside_graph(capsys, monkeypatch):
    """A relative path, os.chdir('/') while loading, then `import neighbour_helper` inside graph()."""
    monkeypatch.chdir(MISBEHAVING)
    status, out, err = run(capsys, "changes_directory.py", "--print")
    assert status == 0, err
    assert "helped  *  data -6.0000  grad 1.0000" in out


def test_a_loss_can_import_a_neighbour_mid_training(capsys):
    status, out, err = run(capsys, str(MISBEHAVING / "imports_in_its_loss.py"), "--train", "--print")
    assert status == 0, err
    assert out.count("\nepoch") == 2 and out.startswith("epoch 1/3")


def test_a_symlinked_scenario_imports_the_neighbours_of_its_target(capsys, tmp_path):
    link = tmp_path / "my_lesson.py"
    link.symlink_to(MISBEHAVING / "imports_neighbour.py")
    status, out, err = run(capsys, str(link), "--print")
    assert status == 0, err
    assert "helped  *  data -6.0000" in out


@pytest.mark.parametrize(
    ("make", "what"),
    [
        (lambda p: os.mkfifo(p), "is not a regular file"),
        (lambda p: p.mkdir(), "is a directory"),
        (lambda p: p.write_bytes(b"from engine import Value\x00\n"), "null bytes"),
    ],
    ids=["fifo", "directory", "null bytes"],
)
def test_what_is_not_a_python_file_is_refused_without_reading_forever(capsys, tmp_path, make, what):
    path = tmp_path / "lesson.py"
    make(path)
    status, _, err = run(capsys, str(path), "--print")
    assert status == 2
    assert_one_line_error(err, str(path), what)


# --- a bare name is a bundled scenario, a path is a file --------------------------------------------------


@pytest.fixture
def folder_with_lookalikes(tmp_path, monkeypatch):
    """A folder holding a file called `expression` and a folder called `moons`."""
    (tmp_path / "expression").write_text('def graph():\n    raise RuntimeError("the local file ran")\n')
    (tmp_path / "moons").mkdir()
    (tmp_path / "neuron.py").write_text('def graph():\n    raise RuntimeError("the local neuron.py ran")\n')
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_a_bare_name_runs_the_bundled_scenario_and_says_a_local_file_was_not_run(capsys, folder_with_lookalikes):
    status, out, err = run(capsys, "expression", "--print", "--lines", "2")
    assert status == 0
    assert out.startswith("The lecture's first expression")
    assert "mgtui: note: expression is the bundled scenario; the file here is not run (write ./expression" in err
    status, out, err = run(capsys, "neuron", "--print", "--lines", "2")
    assert status == 0 and "write ./neuron.py for it" in err


def test_a_local_folder_does_not_hide_the_bundled_scenario(capsys, folder_with_lookalikes):
    status, out, _ = run(capsys, "moons", "--print", "--lines", "1")
    assert status == 0
    assert out.startswith("micrograd's demo")


def test_a_path_runs_the_file(capsys, folder_with_lookalikes):
    status, _, err = run(capsys, "./expression", "--print")
    assert status == 2
    assert_one_line_error(err, "expression:2: RuntimeError: the local file ran (in graph())")


def test_an_unknown_bare_name_points_at_the_local_file(capsys, tmp_path, monkeypatch):
    (tmp_path / "lesson").write_text("")
    monkeypatch.chdir(tmp_path)
    status, _, err = run(capsys, "lesson", "--print")
    assert status == 2
    assert_one_line_error(err, "lesson: no such bundled scenario", "for the file here, write ./lesson")


def test_an_empty_name(capsys):
    status, _, err = run(capsys, "", "--print")
    assert status == 2
    assert_one_line_error(err, "the scenario's name is empty")


# --- what reaches the terminal: printable text, finite output ------------------------------------------


def test_labels_that_are_not_text_print(capsys):
    status, out, err = run(capsys, str(MISBEHAVING / "labels_not_text.py"), "--print")
    assert status == 0, err
    assert "2.5  *  data 2.0000  grad 1.0000 ✓" in out
    assert "── 1  data 1.0000  grad 2.0000 ✓" in out
    assert "── 2.0  data 2.0000  grad 1.0000 ✓" in out  # label=None: no label, so named by its value


@pytest.mark.parametrize("name", ["control_labels", "foreign_labels"])
@pytest.mark.parametrize("mode", [("--print",), ("--print", "--picture"), ("--print", "--steps", "1"), ("--check",)])
def test_control_characters_from_the_scenario_never_reach_the_output_raw(name, mode):
    result = command(str(MISBEHAVING / f"{name}.py"), *mode)
    assert result.returncode in (0, 1), result.stderr
    assert control_characters(result.stdout) == set()
    assert control_characters(result.stderr) == set()
    if name == "control_labels" and mode == ("--print",):
        assert result.stdout.startswith("Labels \\x1b]0;a window title\\x07 that \\x1b[2Jclear the screen\n")
        assert "\\x1b[2J\\x1b[Ha  data 2.0000" in result.stdout
        assert "b\\nnext line\\tand a tab  data -3.0000" in result.stdout
        assert "[bold]d[/bold] [/]  +  data 4.0000" in result.stdout  # shown as written, not as markup


def test_a_file_named_with_control_characters_and_no_docstring(capsys, tmp_path):
    path = tmp_path / "bell\x07and\x1b[2Jclear.py"
    path.write_text("from engine import Value\n\ndef graph():\n    return Value(1.0) * 2.0\n")
    status, out, err = run(capsys, str(path), "--print")
    assert status == 0, err
    assert out.startswith("bell\\x07and\\x1b[2Jclear\n")  # its name is its title
    assert control_characters(out) == set()


def test_an_error_message_quoting_the_scenario_is_printable(capsys, write_scenario):
    path = write_scenario('def graph():\n    raise ValueError("\\x1b]0;pwned\\x07 [/] done\\nsecond line")\n')
    status, _, err = run(capsys, str(path), "--print")
    assert status == 2
    assert_one_line_error(err, "ValueError: \\x1b]0;pwned\\x07 [/] done (in graph())")
    assert control_characters(err) == set()


def test_a_huge_tree_prints_its_first_rows_and_says_how_to_see_more(capsys):
    status, out, err = run(capsys, str(MISBEHAVING / "deep_chain.py"), "--print", "--lines", "300")
    assert status == 0
    lines = out.splitlines()
    assert lines[-1] == "… 399,701 more rows (--lines 0 prints all 400,001)"  # each · 1.0 is a row too
    assert len(lines) - lines.index("") - 2 == 300  # after the heading's blank line: the rows, then the note
    assert "printed the first 300 of the tree's 400,001 rows; --lines N prints N, --lines 0 all" in err


def test_a_tree_within_the_limit_prints_whole(capsys):
    status, out, err = run(capsys, "tiny_mlp", "--print")
    assert status == 0 and err == ""
    assert "more rows" not in out


def test_lines_must_not_be_negative(capsys):
    status, _, err = run(capsys, "expression", "--print", "--lines", "-1")
    assert status == 2
    assert_one_line_error(err, "--lines -1")


# --- output to a reader that goes away, and threads that never end ---------------------------------------


@pytest.mark.parametrize("argv", [("--list",), ("moons", "--print"), ("tiny_mlp", "--train", "--print")])
def test_a_reader_that_goes_away_ends_the_output_quietly(argv):
    """``mgtui --list | head -2``: the pipe closes before mgtui writes (here, at once)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "mgtui", *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    process.stdout.close()
    err = process.stderr.read()
    assert process.wait(timeout=120) == 141
    assert "Traceback" not in err and "Error" not in err


def test_a_thread_of_the_scenarios_does_not_keep_mgtui_alive():
    result = command(str(MISBEHAVING / "starts_a_thread.py"), "--print")
    assert result.returncode == 0
    assert "a  data 2.0000" in result.stdout


# --- the full-screen app, asked for where there is no terminal ----------------------------------------------


def test_the_app_with_output_redirected_says_to_use_print(capsys):
    """Here stdout is pytest's capture, not a terminal: no escape codes, no app, one line."""
    status, out, err = run(capsys, "expression")
    assert status == 2 and out == ""
    assert_one_line_error(err, "standard output is not a terminal: use --print")


def test_without_any_terminal_the_app_is_refused_before_the_scenario_runs():
    result = command(str(MISBEHAVING / "exits_in_graph.py"), stdin=subprocess.DEVNULL)
    assert result.returncode == 2
    assert re.fullmatch(r"mgtui: standard output is not a terminal: use --print for text\n", result.stderr)
    assert result.stdout == ""


@pytest.mark.parametrize(
    ("source", "what"),
    [
        ("async def graph():\n    return 1\n", ":1: graph() must be a plain def, not an async def"),
        ("def training():\n    yield 1\n", ":1: training() must return its result, not yield it"),
        (
            "from engine import Value\n\ndef graph():\n    return [Value(1.0) * 2]\n",
            ":4: graph() returned a list of one Value: return the Value",
        ),
    ],
)
def test_entry_points_that_do_not_return_a_value(capsys, write_scenario, source, what):
    path = write_scenario(source)
    status, _, err = run(capsys, str(path), "--print")
    assert status == 2
    assert_one_line_error(err, f"{path}{what}")
