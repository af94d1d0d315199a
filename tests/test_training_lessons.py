"""The training view as a teacher drives it: pace, one state on every panel, the learning-rate and
L2 lessons, accuracy that means something, validation, the forgotten zero_grad, a diverging run
numbered alike everywhere, and the scenario's code kept off the UI thread. Pilot at 80×24 and
headless; paced runs go by the test's own clock."""

from __future__ import annotations

import math
import re
import textwrap

import pytest

from engine.measures import max_abs_error
from engine.train import Trainer, train
from mgtui.cli import main
from mgtui.scenario import load, resolve
from mgtui.screens.graph import GraphScreen
from mgtui.session import Session
from mgtui.widgets.boundary import fast_grid_scores
from tests.screen import screen_text, settle
from tests.test_training_view import (
    FIXTURES,
    SIZE,
    on_fake_clock,
    training_app,
    training_screen,
    until_stopped,
)

SIGMOID_BITS = '''
    """A sigmoid net on 0/1 targets: OR of two bits, judged at 0.5"""
    from engine.nn import MLP
    from engine.train import Training

    def training():
        xs = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]
        model = MLP(2, [4, 1], activation="sigmoid", seed=3)
        return Training(model, xs, [0.0, 1.0, 1.0, 1.0], loss="mse", learning_rate=2.0, epochs=400, pace=float("inf"))
'''

REGRESSION = '''
    """A regression: tanh net fitting y = x²/2 on five points"""
    from engine.nn import MLP
    from engine.train import Training

    def training():
        xs = [[-1.0], [-0.5], [0.0], [0.5], [1.0]]
        ys = [x[0] ** 2 / 2 for x in xs]
        return Training(MLP(1, [6, 1], activation="tanh", seed=4), xs, ys, loss="mse", learning_rate=0.2, epochs=30)
'''

VALIDATED = '''
    """Moons with a validation set: the L2 lesson"""
    from engine.data import moons
    from engine.nn import MLP
    from engine.train import Training

    def training():
        xs, ys = moons(n_samples=30, seed=4)
        vx, vy = moons(n_samples=20, seed=9)
        model = MLP(2, [8, 8, 1], seed=2)
        return Training(model, xs, ys, loss="hinge", learning_rate=0.5, epochs=40, validation=(vx, vy), paused=True)
'''


# --- pace -----------------------------------------------------------------------------------------------------------


async def test_a_20_epoch_run_takes_seconds_at_the_default_pace_and_the_pace_keys_change_it():
    app = training_app("tiny_mlp")
    async with app.run_test(size=SIZE) as pilot:
        screen = training_screen(app)
        clock = on_fake_clock(screen)
        assert "pace      5 epochs/s" in screen_text(app)
        await pilot.press("space")
        await until_stopped(pilot, screen)
        assert screen.trainer.epoch == 20
        assert clock.now - 1000.0 == pytest.approx(19 / 5)  # the first epoch at once, then one every 0.2 s
        await pilot.press("r")
        await settle(pilot)
        await pilot.press("greater_than_sign")
        assert "pace      10 epochs/s" in screen_text(app)
        started = clock.now
        await pilot.press("space")
        await until_stopped(pilot, screen)
        assert clock.now - started == pytest.approx(19 / 10)
        await pilot.press("r")
        await settle(pilot)
        await pilot.press(*["full_stop"] * 8)  # up the ladder to the top: as fast as it goes
        assert "pace      full speed" in screen_text(app)
        started = clock.now
        await pilot.press("space")
        await until_stopped(pilot, screen)
        assert screen.trainer.epoch == 20 and clock.now == started


def test_paused_and_pace_reach_the_view_from_the_command_line(monkeypatch):
    from mgtui.app import MgtuiApp

    opened = []
    monkeypatch.setattr(MgtuiApp, "run", lambda app, **_: opened.append(app))
    monkeypatch.setattr("mgtui.terminal.full_screen_problem", lambda: None)  # pytest's stdout is no terminal
    assert main(["tiny_mlp", "--train", "--paused", "--pace", "max"]) == 0
    assert main(["moons", "--train", "--pace", "2"]) == 0
    assert [(app.autostart_training, app.pace) for app in opened] == [(False, math.inf), (True, 2.0)]


def test_a_pace_that_is_no_number_is_refused(capsys):
    with pytest.raises(SystemExit):
        main(["tiny_mlp", "--train", "--pace", "fast"])
    assert "is not a number of epochs per second" in capsys.readouterr().err


async def test_a_scenario_can_open_its_training_view_paused(write_scenario):
    path = write_scenario(VALIDATED)
    app = training_app(str(path), autostart=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert not training_screen(app).running
        assert "epoch 0/40 · paused" in screen_text(app)


# --- one state on every panel ---------------------------------------------------------------------------------------


async def test_every_panel_shows_the_same_epoch_at_the_weights_before_its_update():
    app = training_app("moons")
    async with app.run_test(size=SIZE) as pilot:
        screen = training_screen(app)
        screen.run_epochs_now(7)
        await settle(pilot)
        shown, trainer = screen.shown, screen.trainer
        record = shown.record
        assert shown is trainer.latest and record.epoch == 7
        text = screen_text(app)
        assert "epoch 7/100 · paused" in text
        assert "weights   epoch 7, before its update" in text
        assert f"accuracy  {record.measure * 100:.1f}%" in text
        picture = screen.boundary.picture
        assert picture.epoch == 7
        model = trainer.training.model
        assert picture.scores == fast_grid_scores(model, shown.weights, picture.bounds, picture.size)
        now = [p.data for p in trainer.parameters]  # after epoch 7's update: not what is shown
        assert picture.scores != fast_grid_scores(model, now, picture.bounds, picture.size)
        wrong = [i for i, (s, y) in enumerate(zip(record.scores, trainer.training.targets)) if (s > 0) != (y > 0)]
        assert len(wrong) == round((1 - record.measure) * 100)  # the × marks count what the accuracy counts
        marked = {cell for cell, glyph in picture.points.items() if glyph == "×"}
        assert marked and len(marked) <= len(wrong)
        await pilot.press("w")  # every parameter, largest |grad| first: the grads that epoch's update used
        text = screen_text(app)
        assert "337 params by |grad| · epoch 7" in text
        biggest = max(range(337), key=lambda i: abs(shown.grads[i]))
        assert f"{trainer.parameter_labels[biggest]} " in text.splitlines()[3]
        assert f"{shown.grads[biggest]:.4g}" in text.splitlines()[3]


async def test_the_map_is_redrawn_at_the_new_size_when_the_terminal_is():
    app = training_app("moons")
    async with app.run_test(size=SIZE) as pilot:
        screen = training_screen(app)
        await settle(pilot)
        assert screen.boundary.picture.size == screen.boundary.content_region.size
        await pilot.resize_terminal(120, 36)
        await settle(pilot)
        await settle(pilot)
        size = screen.boundary.content_region.size
        assert size.width > 40 and screen.boundary.picture.size == size


# --- notes, g -------------------------------------------------------------------------------------------------------


async def test_g_says_the_graph_view_holds_the_graph_as_loaded():
    app = training_app("tiny_mlp")
    async with app.run_test(size=SIZE) as pilot:
        training_screen(app).run_epochs_now(5)
        await pilot.press("g")
        await pilot.pause()
        assert isinstance(app.screen, GraphScreen)
        await settle(pilot)
        assert any("graph() as the scenario built it when loaded" in n.message for n in app._notifications)


# --- the learning rate and L2 -----------------------------------------------------------------------------------


async def test_restart_keeps_the_learning_rate_scale_and_says_so_and_shift_r_puts_it_back():
    app = training_app("tiny_mlp")
    async with app.run_test(size=SIZE) as pilot:
        screen = training_screen(app)
        await pilot.press("plus", "plus")
        screen.run_epochs_now(3)
        await pilot.press("r")
        await settle(pilot)
        assert screen.trainer.rate_scale == 4.0
        assert screen.note == "restarted from the same initial weights, still lr ×4 (R: as loaded)"
        await pilot.press("R")
        await settle(pilot)
        assert screen.trainer.rate_scale == 1.0
        assert "lr        0.1 (+/-)" in screen_text(app)


async def test_l2_strength_is_shown_and_set_between_epochs(write_scenario):
    app = training_app(str(write_scenario(VALIDATED)))
    async with app.run_test(size=SIZE) as pilot:
        screen = training_screen(app)
        assert "L2 α      0.0001 (a/A)" in screen_text(app)
        await pilot.press("a")
        assert "L2 α      0.001 (a/A, was 0.0001)" in screen_text(app)
        await pilot.press("n")
        await settle(pilot)
        assert screen.trainer.latest.record.l2 == 0.001
        await pilot.press(*["A"] * 4)  # 1e-4, 1e-5, 1e-6, then none at all
        assert screen.trainer.next_l2 == 0.0
        await pilot.press("a")
        assert screen.trainer.next_l2 == 1e-6


async def test_l2_keys_are_greyed_for_a_loss_without_an_l2_term():
    app = training_app("tiny_mlp")
    async with app.run_test(size=(80, 50)) as pilot:  # tall enough for the whole help list
        assert "L2" not in screen_text(app)
        await pilot.press("question_mark")
        assert "with an L2 term) (not available here)" in screen_text(app)


# --- accuracy that means something ----------------------------------------------------------------------------


async def test_0_1_targets_are_judged_at_0_5_in_the_view_and_headless(write_scenario, capsys):
    path = write_scenario(SIGMOID_BITS)
    app = training_app(str(path))
    async with app.run_test(size=SIZE) as pilot:
        screen = training_screen(app)
        screen.run_epochs_now(400)
        await settle(pilot)
        record = screen.shown.record
        assert all(0 < s < 1 for s in record.scores)  # by sign, every sample would be "1": 75%
        assert record.measure == 1.0 and "accuracy  100.0%" in screen_text(app)
        assert "×" not in screen.boundary.picture.points.values()
    assert main([str(path), "--train", "--print"]) == 0
    last = capsys.readouterr().out.splitlines()[-1]
    assert last.startswith("epoch 400/400") and "accuracy 100.0%" in last


async def test_a_regression_shows_its_largest_error_not_a_percentage(write_scenario, capsys):
    path = write_scenario(REGRESSION)
    app = training_app(str(path))
    async with app.run_test(size=SIZE) as pilot:
        screen = training_screen(app)
        screen.run_epochs_now(30)
        await settle(pilot)
        record, text = screen.shown.record, screen_text(app)
        assert record.measure == max_abs_error(record.scores, screen.trainer.training.targets)
        assert f"max error {record.measure:.4g}" in text
        assert "accuracy" not in text and "%" not in text
        assert "error" in text.splitlines()[2]  # the predictions' last column: each sample's error
    assert main([str(path), "--train", "--print"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 30 and all("max error" in line and "%" not in line for line in lines)


# --- validation --------------------------------------------------------------------------------------------------


async def test_validation_loss_is_plotted_beside_the_training_loss(write_scenario, capsys):
    path = write_scenario(VALIDATED)
    app = training_app(str(path))
    async with app.run_test(size=SIZE) as pilot:
        screen = training_screen(app)
        screen.run_epochs_now(10)
        await settle(pilot)
        record, text = screen.shown.record, screen_text(app)
        assert f"val       loss {record.validation_loss:.4g} · {record.validation_measure * 100:.1f}%" in text
        assert "bright: training, dim: validation" in text
        assert len(screen.chart._datasets) == 2  # the training curve and the validation curve
        assert len(screen.trainer.validation_curve.points()) == 10
        glyphs = set(screen.boundary.picture.points.values())
        assert glyphs & {"◆", "◇"} and glyphs & {"●", "○"}
    assert main([str(path), "--train", "--print"]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    assert re.match(r"epoch  1/40  loss \S+  accuracy  \d+\.\d%  val loss \S+  val accuracy  \d+\.\d%  lr 0.5", first)


# --- the forgotten zero_grad -------------------------------------------------------------------------------------


async def test_the_forgotten_zero_grad_scenario_trains_as_the_buggy_loop_and_says_so(capsys):
    expected = Trainer(load(resolve("zero_grad_bug")).training(), tape="off")
    losses = [expected.step().loss for _ in range(20)]
    app = training_app("zero_grad_bug")
    async with app.run_test(size=SIZE) as pilot:
        screen = training_screen(app)
        screen.run_epochs_now(20)
        await settle(pilot)
        assert [r.loss for r in screen.trainer.history] == losses
        assert round(losses[11], 4) == 3.7837  # the lecture's bounce
        assert "zero_grad=False: grads add up across" in screen_text(app)
    assert main(["zero_grad_bug", "--train", "--print"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("mgtui: note: zero_grad=False: grads add up across epochs")
    assert out[12].startswith("epoch 12/20  loss 3.7836")  # 3.78367…


# --- the lecture's "too high a learning rate" -----------------------------------------------------------------


async def test_a_diverging_loss_reads_well_on_both_axis_scales():
    app = training_app(str(FIXTURES / "too_high_lr.py"))
    async with app.run_test(size=SIZE) as pilot:
        screen = training_screen(app)
        screen.run_epochs_now(4)  # loss 16.6, 4036, 987177, 2.4e8
        await settle(pilot)
        chart = screen.chart.region
        for log in (False, True):
            assert screen.log_scale == log
            rows = screen_text(app).splitlines()[chart.y : chart.bottom]
            labels = [row[chart.x + 1 : chart.x + 7].strip() for row in rows]
            ticks = [label for label in labels if label and label[0].isdigit()]
            assert len(ticks) >= 2, rows
            assert all(len(t) <= 5 for t in ticks), ticks  # 1e8, 2.5e8: never 249999999
            assert any("e" in t for t in ticks), ticks
            await pilot.press("l")
            await settle(pilot)


async def test_a_diverging_run_is_numbered_alike_in_the_view_and_headless(capsys):
    path = str(FIXTURES / "too_high_lr.py")
    assert main([path, "--train", "--print"]) == 1
    out = capsys.readouterr().out.splitlines()
    last_epoch = re.match(r"epoch (\d+)/400  loss inf", out[-2]).group(1)
    assert out[-1] == f"mgtui: loss became inf at epoch {last_epoch}: training stopped"
    app = training_app(path)
    async with app.run_test(size=SIZE) as pilot:
        screen = training_screen(app)
        screen.run_epochs_now(400)
        await settle(pilot)
        text = screen_text(app)
        assert f"epoch {last_epoch}/400 · stopped: loss not finite" in text
        assert f"stopped at epoch {last_epoch}: the loss is inf" in text


# --- the scenario's code never runs on the UI thread ----------------------------------------------------------


async def test_schedule_and_measure_run_in_the_training_thread_and_a_failing_schedule_stops_with_its_line(capsys):
    path = FIXTURES / "threads_seen.py"
    app = training_app(str(path), autostart=True)
    async with app.run_test(size=SIZE) as pilot:
        screen = training_screen(app)
        seen = screen.trainer.training.learning_rate.__globals__["seen"]
        on_fake_clock(screen)
        await until_stopped(pilot, screen)
        assert screen.trainer.epoch == 3  # the schedule has no rate for epoch 4 (its step 3)
        assert screen.run.failure.endswith(
            "threads_seen.py:14: ValueError: no rate for step 3 (in the learning-rate schedule at epoch 4)"
        )
        assert "training stopped: " in screen_text(app)
        await pilot.press("plus", "l", "w", "w")  # repaints: none asks the scenario for anything
        await settle(pilot)
        assert {what for what, _ in seen} == {"schedule", "measure"}
        assert not any(on_main for _, on_main in seen)
    assert main([str(path), "--train", "--print"]) == 1
    last = capsys.readouterr().out.splitlines()[-1]
    assert last.startswith("mgtui: ") and "threads_seen.py:14: ValueError: no rate for step 3 (at epoch 4)" in last


# --- numbers that agree everywhere -------------------------------------------------------------------------------


def test_the_scenarios_docstrings_number_epochs_as_the_runs_print_them():
    moons = load(resolve("moons"))
    records = list(train(moons.training()))
    first = next(r.epoch for r in records if r.measure == 1.0)
    last_miss = max(r.epoch for r in records if r.measure < 1.0)
    said = " ".join(moons.description.split())
    assert (first, last_miss) == (41, 70)
    assert f"first reaches 100% at epoch {first}" in said and f"from epoch {last_miss + 1} on" in said
    assert f"the last loss is {records[-1].loss:.6g}" in said
    bug = load(resolve("zero_grad_bug"))
    losses = [r.loss for r in train(bug.training())]
    said = " ".join(bug.description.split())
    assert f"{losses[7]:.3f} at epoch 8" in said and f"{losses[11]:.3f} at epoch 12" in said


# --- reload on save ---------------------------------------------------------------------------------------------


async def test_a_saved_scenario_trains_anew_paused_keeping_a_pace_the_teacher_chose(write_scenario):
    path = write_scenario(REGRESSION, name="fit.py")
    app = training_app(str(path))
    async with app.run_test(size=SIZE) as pilot:
        screen = training_screen(app)
        await pilot.press("full_stop")  # the teacher's pace: 10 epochs/s
        screen.run_epochs_now(12)
        await settle(pilot)
        path.write_text(textwrap.dedent(VALIDATED).lstrip())  # now 2-D, with a validation set
        app.reloaded(Session.open(load(path)), ["fit.py"])
        await settle(pilot)
        await settle(pilot)
        assert training_screen(app) is screen and screen.trainer.epoch == 0 and not screen.running
        assert screen.two_d and screen.boundary.picture is not None and screen.boundary.picture.epoch == 0
        text = screen_text(app)
        assert "epoch 0/40 · paused" in text and "pace      10 epochs/s" in text
        assert "reloaded after saving fit.py" in screen.note
        screen.run_epochs_now(3)
        await settle(pilot)
        assert screen.boundary.picture.epoch == 3 and "val       loss" in screen_text(app)
