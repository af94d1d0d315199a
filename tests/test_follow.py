"""Follow mode in the app: a teacher's mgtui shares, students' follow — in one process and as real commands."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest

from mgtui.app import MgtuiApp
from mgtui.classroom import Publisher, file_sha256
from mgtui.cli import main
from mgtui.follow import Following
from mgtui.scenario import bundled_dir, load, resolve
from mgtui.screens.check import CheckScreen
from mgtui.screens.graph import GraphScreen
from mgtui.screens.training import TrainingScreen
from mgtui.session import Session
from tests.pty_session import mgtui
from tests.screen import screen_text, settle


async def until(condition, timeout: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        assert loop.time() < deadline, "timed out"
        await asyncio.sleep(0.02)


def classroom(name: str, socket: Path) -> tuple[MgtuiApp, MgtuiApp]:
    """A teacher's app sharing at `socket`, and a student's following it (neither started yet)."""
    scenario = load(resolve(name))
    publisher = Publisher(socket, scenario.path)
    publisher.start()
    teacher = MgtuiApp(Session.open(scenario), autostart_training=False, share=publisher)
    student = MgtuiApp(
        Session.open(load(resolve(name))),
        autostart_training=False,
        following=Following(socket, file_sha256(scenario.path)),
    )
    return teacher, student


def graph(app: MgtuiApp) -> GraphScreen:
    assert isinstance(app.screen, GraphScreen)
    return app.screen


async def test_a_student_follows_the_teachers_step_and_its_own_key_detaches_until_f(tmp_path):
    teacher, student = classroom("neuron", tmp_path / "class.sock")
    async with teacher.run_test(size=(80, 24)) as tpilot, student.run_test(size=(100, 30)) as spilot:
        await until(lambda: teacher.sharing.followers == 1)
        assert "sharing: 1 following" in screen_text(teacher)
        await tpilot.press("n", "n", "n", "n", "n", "n", "n")
        await until(lambda: graph(student).cursor.position == 7)
        await spilot.pause()
        assert "following the teacher" in screen_text(student).splitlines()[0]
        assert "n.grad += (1 − o²) · o.grad = 0.5 · 1.0 = 0.5" in screen_text(student)
        await spilot.press("p")  # the student's own step back: looking around
        assert graph(student).cursor.position == 6
        await tpilot.press("e")
        await asyncio.sleep(0.3)
        await spilot.pause()
        assert graph(student).cursor.position == 6  # not following now...
        assert "looking around, f follows (teacher: the graph, step 11)" in screen_text(student)
        await spilot.press("f")  # ...until f
        assert graph(student).cursor.position == 11
        assert "following the teacher" in screen_text(student)


async def test_the_picture_the_selected_node_and_the_note_follow_too(tmp_path):
    teacher, student = classroom("expression", tmp_path / "class.sock")
    async with teacher.run_test(size=(80, 24)) as tpilot, student.run_test(size=(80, 24)):
        await until(lambda: teacher.sharing.followers == 1)
        await tpilot.press("e", "down", "down", "c")  # the teacher moves in the tree and checks a node
        await settle(tpilot)
        note = graph(teacher).note_bar.text
        assert note.startswith("check dL/d")
        await until(lambda: graph(student).note_bar.text == note)
        assert graph(student).graph_tree.selected_node() == graph(teacher).graph_tree.selected_node()
        await tpilot.press("v")
        await until(lambda: graph(student).picture)
        await tpilot.press("h")  # the lecture's nudge
        await settle(tpilot)
        await until(lambda: graph(student).nudged is not None)
        assert graph(student).nudged.after == graph(teacher).nudged.after


async def test_the_end_to_end_check_opens_and_closes_with_the_teachers(tmp_path):
    teacher, student = classroom("planted_bugs", tmp_path / "class.sock")
    async with teacher.run_test(size=(80, 24)) as tpilot, student.run_test(size=(80, 24)) as spilot:
        await until(lambda: teacher.sharing.followers == 1)
        await tpilot.press("e", "C")
        await until(lambda: isinstance(student.screen, CheckScreen))
        await settle(spilot)
        assert "✗ mgtui's engine: 2 of 3 grads differ" in screen_text(student)
        assert teacher.graph_view.cursor.position == len(teacher.graph_view.cursor.timeline)
        await tpilot.press("escape", "p")
        await until(lambda: isinstance(student.screen, GraphScreen) and student.screen.cursor.position == 4)
        assert "following the teacher" in screen_text(student)


async def test_training_follows_epoch_by_epoch_with_the_teachers_learning_rate_bit_for_bit(tmp_path):
    teacher, student = classroom("tiny_mlp", tmp_path / "class.sock")
    async with teacher.run_test(size=(80, 24)) as tpilot, student.run_test(size=(80, 24)) as spilot:
        await until(lambda: teacher.sharing.followers == 1)
        await tpilot.press("t", "n", "n", "plus", "n", "n")
        await settle(tpilot)
        teaching = teacher.screen
        assert isinstance(teaching, TrainingScreen) and teaching.trainer.epoch == 4
        await until(lambda: isinstance(student.screen, TrainingScreen) and student.screen.trainer.epoch == 4)
        await settle(spilot)
        theirs, ours = teaching.trainer, student.screen.trainer
        assert [p.data for p in ours.parameters] == [p.data for p in theirs.parameters]
        assert [r.learning_rate for r in ours.history] == [0.1, 0.1, 0.2, 0.2]
        await tpilot.press("r", "n")  # a restart, keeping the doubled rate
        await settle(tpilot)
        await until(lambda: student.screen.trainer.epoch == 1 and student.screen.trainer.settings == theirs.settings)
        await settle(spilot)
        assert [p.data for p in ours.parameters] == [p.data for p in theirs.parameters]
        await tpilot.press("i")  # an epoch's loss graph: the student opens the same one
        await settle(tpilot)
        await tpilot.press("n", "n")
        await until(lambda: isinstance(student.screen, GraphScreen) and student.screen.cursor.position == 2)
        assert student.screen.source == teacher.screen.source == "batch@1"


async def test_a_student_waits_for_a_teacher_who_left_and_follows_the_one_who_came_back(tmp_path):
    socket = tmp_path / "class.sock"
    teacher, student = classroom("expression", socket)
    async with student.run_test(size=(80, 24)) as spilot:
        async with teacher.run_test(size=(80, 24)) as tpilot:
            await until(lambda: student.following.connected)
            await tpilot.press("n", "n")
            await until(lambda: graph(student).cursor.position == 2)
        await until(lambda: not student.following.connected)
        await spilot.pause()
        assert "waiting for the teacher" in screen_text(student).splitlines()[0]
        scenario = load(resolve("expression"))
        publisher = Publisher(socket, scenario.path)
        publisher.start()
        again = MgtuiApp(Session.open(scenario), share=publisher)
        async with again.run_test(size=(80, 24)) as tpilot:
            await tpilot.press("e")
            await until(lambda: graph(student).cursor.position == 7)


def test_a_student_whose_copy_differs_is_refused_in_one_line(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr("mgtui.terminal.full_screen_problem", lambda: None)  # pytest's stdout is no terminal
    scenario = tmp_path / "lesson.py"
    shutil.copy(bundled_dir() / "expression.py", scenario)
    publisher = Publisher(tmp_path / "class.sock", scenario)
    publisher.start()
    try:
        scenario.write_text(scenario.read_text() + "\n# the student's edit\n")  # the file the student has
        status = main(["--follow", str(tmp_path / "class.sock")])
    finally:
        publisher.close()
    err = capsys.readouterr().err
    assert status == 2 and err.count("\n") == 1
    assert f"{scenario}: your copy differs from the teacher's" in err


def test_sharing_where_another_mgtui_already_shares_is_one_line(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr("mgtui.terminal.full_screen_problem", lambda: None)
    scenario = load(resolve("expression"))
    publisher = Publisher(tmp_path / "class.sock", scenario.path)
    publisher.start()
    try:
        status = main(["expression", "--share", str(tmp_path / "class.sock")])
    finally:
        publisher.close()
    assert status == 2
    assert "cannot share there: another mgtui is already sharing" in capsys.readouterr().err


@pytest.mark.skipif(shutil.which("stty") is None, reason="needs a pty")
def test_real_commands_a_teacher_and_a_student_in_their_own_terminals(tmp_path):
    socket = str(tmp_path / "class.sock")
    teacher = mgtui("expression", "--share", socket)
    student = mgtui("--follow", socket)
    try:
        teacher.wait_for(b"sharing: 1 following")
        student.wait_for(b"following the teacher")
        teacher.send("nnnn")
        teacher.wait_for(b"step 4/7")
        student.wait_for(b"step 4/7")
        student.send("p")  # the student's own key does not reach the teacher
        student.wait_for(b"looking around")
        teacher.send("q")
        assert teacher.exit_status() == 0
        student.wait_for(b"waiting for the teacher")
        student.send("q")
        assert student.exit_status() == 0
    finally:
        teacher.kill()
        student.kill()
