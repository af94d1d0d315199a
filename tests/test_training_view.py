"""The training view through the pilot at 80×24.

Training runs in a thread worker, and the pilot waits for the app to be idle after every key, so
most tests start the view paused and drive epochs synchronously (`run_epochs_now`, or `n`, whose
single epoch of the tiny MLP takes about a millisecond); one test lets the worker run.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from engine.train import Trainer
from mgtui.app import MgtuiApp
from mgtui.scenario import load, resolve
from mgtui.screens.graph import GraphScreen
from mgtui.screens.training import TrainingScreen
from mgtui.session import Session
from tests.screen import screen_text, settle

SIZE = (80, 24)
FIXTURES = Path(__file__).parent / "scenarios"


def training_app(name: str, autostart: bool = False) -> MgtuiApp:
    session = Session.open(load(resolve(str(name))), need_training=True)
    return MgtuiApp(session, start_in_training=True, autostart_training=autostart)


def headless_losses(name: str, epochs: int) -> list[float]:
    trainer = Trainer(load(resolve(name)).training())
    return [trainer.step().loss for _ in range(epochs)]


def training_screen(app: MgtuiApp) -> TrainingScreen:
    assert isinstance(app.screen, TrainingScreen)
    return app.screen


async def test_paused_view_shows_epoch_zero_and_the_targets():
    app = training_app("tiny_mlp")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        text = screen_text(app)
        assert "epoch 0/20 · paused" in text
        assert "params    41" in text
        assert "predictions vs targets" in text


async def test_n_runs_exactly_one_epoch_with_the_headless_numbers():
    expected = headless_losses("tiny_mlp", 2)
    app = training_app("tiny_mlp")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("n")
        await settle(pilot)
        screen = training_screen(app)
        assert screen.trainer.epoch == 1
        assert screen.trainer.history[0].loss == expected[0]
        assert "epoch 1/20 · paused" in screen_text(app)
        assert f"{expected[0]:.6g} (sse)" in screen_text(app)
        await pilot.press("n")
        await settle(pilot)
        assert [r.loss for r in screen.trainer.history] == expected


async def test_pausing_and_resuming_changes_nothing_in_the_result():
    expected = headless_losses("tiny_mlp", 20)
    app = training_app("tiny_mlp")
    async with app.run_test(size=SIZE) as pilot:
        screen = training_screen(app)
        screen.run_epochs_now(7)
        await pilot.press("n")
        await settle(pilot)
        screen.run_epochs_now(50)  # stops at the last epoch
        assert [r.loss for r in screen.trainer.history] == expected
        await pilot.pause()
        assert "epoch 20/20 · finished" in screen_text(app)
        assert "100.0%" in screen_text(app)


async def test_r_restarts_with_the_same_first_loss():
    app = training_app("tiny_mlp")
    async with app.run_test(size=SIZE) as pilot:
        screen = training_screen(app)
        screen.run_epochs_now(5)
        first = screen.trainer.history[0].loss
        await pilot.press("r")
        await settle(pilot)
        assert screen.trainer.epoch == 0
        assert screen.note == "restarted from the same initial weights"
        assert "restarted from the same initial" in screen_text(app)
        await pilot.press("n")
        await settle(pilot)
        assert screen.trainer.history[0].loss == first


async def test_plus_and_minus_change_the_learning_rate_while_paused():
    app = training_app("tiny_mlp")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("plus")
        screen = training_screen(app)
        assert screen.trainer.next_learning_rate == 0.2
        assert "next lr   0.2" in screen_text(app)
        assert "learning rate ×2 of the schedule" in screen_text(app)
        await pilot.press("minus", "minus")
        assert screen.trainer.next_learning_rate == 0.05
        await pilot.press("n")
        await settle(pilot)
        assert screen.trainer.history[0].learning_rate == 0.05


async def test_i_opens_a_graph_whose_output_is_that_epochs_loss():
    app = training_app("tiny_mlp")
    async with app.run_test(size=SIZE) as pilot:
        screen = training_screen(app)
        screen.run_epochs_now(3)
        loss = screen.trainer.history[-1].loss
        await pilot.press("i")
        await settle(pilot)
        graph = app.screen
        assert isinstance(graph, GraphScreen)
        timeline = graph.cursor.timeline
        assert timeline.values[timeline.output_index] == loss
        assert "epoch 3 loss (batch)" in screen_text(app)
        await pilot.press("e")
        assert graph.cursor.at_end
        await pilot.press("t")  # back to training, which carries on from where it was
        await pilot.pause()
        assert app.screen is screen
        await pilot.press("n")
        await settle(pilot)
        assert screen.trainer.epoch == 4


async def test_s_chooses_one_samples_loss_for_i():
    app = training_app("tiny_mlp")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("s", "s")  # batch → sample 0 → sample 1
        assert "sample 1 (s: change)" in screen_text(app)
        await pilot.press("i")
        await settle(pilot)
        graph = app.screen
        assert isinstance(graph, GraphScreen)
        trainer = training_screen_of(app).trainer
        expected = trainer.loss_graph(1).data
        timeline = graph.cursor.timeline
        assert timeline.values[timeline.output_index] == expected


def training_screen_of(app: MgtuiApp) -> TrainingScreen:
    return next(s for s in app.screen_stack if isinstance(s, TrainingScreen))


async def test_g_and_t_switch_between_the_graph_and_training_views():
    app = training_app("tiny_mlp")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("g")
        await pilot.pause()
        assert isinstance(app.screen, GraphScreen)
        await pilot.press("n")
        await pilot.press("t")
        await pilot.pause()
        assert isinstance(app.screen, TrainingScreen)
        await pilot.press("g")
        await pilot.pause()
        assert app.screen.cursor.position == 1  # the graph view kept its place


async def test_training_runs_in_a_worker_while_keys_are_answered():
    long_run = str(FIXTURES / "moons_long.py")  # epochs from a tape are fast: moons' 100 would be over
    app = training_app(long_run, autostart=True)
    async with app.run_test(size=SIZE) as pilot:
        screen = training_screen(app)
        await asyncio.sleep(0.5)
        assert screen.running
        await pilot.press("l")  # answered while epochs run in the worker
        assert screen.log_scale
        running_epoch = screen.trainer.epoch
        assert running_epoch >= 1
        await pilot.press("space")  # pause
        await settle(pilot)
        paused_at = screen.trainer.epoch
        await asyncio.sleep(0.3)
        assert screen.trainer.epoch == paused_at
        assert f"epoch {paused_at}/1000000 · paused" in screen_text(app)
        history = [r.loss for r in screen.trainer.history]  # the latest 1,000 epochs' records
        assert history == headless_losses(long_run, paused_at)[-len(history) :]


async def test_a_nan_loss_stops_training_with_a_message():
    path = FIXTURES / "diverges.py"
    app = training_app(path)
    async with app.run_test(size=SIZE) as pilot:
        screen = training_screen(app)
        screen.run_epochs_now(50)
        await pilot.pause()
        diverged = screen.trainer.diverged
        assert diverged is not None
        text = screen_text(app)
        assert "stopped: loss not finite" in text
        assert f"at epoch {diverged.epoch}" in text
        await pilot.press("n", "space")  # neither starts a stopped run again
        await settle(pilot)
        assert screen.trainer.epoch == diverged.epoch
        assert "r restarts from the start" in screen_text(app)


def test_snapshot_paused_moons(snap_compare):
    async def run_five_epochs(pilot) -> None:
        app = pilot.app
        training_screen(app).run_epochs_now(5)
        await settle(pilot)

    assert snap_compare(training_app("moons"), run_before=run_five_epochs, terminal_size=SIZE)


async def test_the_decision_boundary_reads_without_colour(monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    app = training_app("moons")
    async with app.run_test(size=SIZE) as pilot:
        assert app.no_color
        training_screen(app).run_epochs_now(2)
        await settle(pilot)
        region = app.screen.query_one("#boundary").content_region
        rows = screen_text(app).splitlines()[region.y : region.bottom]
        cells = "".join(row[region.x : region.right] for row in rows)
        assert "░" in cells and " " in cells  # the +1 region is shaded, the −1 region blank
        assert "●" in cells and "○" in cells  # data points of both classes
        assert "boundary: ● +1  ○ −1  × wrong" in screen_text(app)


async def test_a_loss_that_fails_mid_training_stops_the_view_with_the_users_line():
    path = FIXTURES / "picky_loss.py"
    app = training_app(path)
    async with app.run_test(size=SIZE) as pilot:
        screen = training_screen(app)
        await pilot.press("space")
        await settle(pilot)
        assert not screen.running
        assert screen.trainer.epoch == 2
        assert "training stopped" in screen_text(app)
        assert screen.note.endswith("picky_loss.py:12: RuntimeError: out of patience (at epoch 3)")


async def test_keys_that_need_a_pause_say_so_and_i_pauses_before_opening_the_graph():
    app = training_app(str(FIXTURES / "moons_long.py"), autostart=True)  # still running when the keys come
    async with app.run_test(size=SIZE) as pilot:
        screen = training_screen(app)
        await asyncio.sleep(0.3)
        assert screen.running
        await pilot.press("n")
        assert screen.note == "pause first (space), then n runs one epoch at a time"
        await pilot.press("plus")
        assert screen.note == "pause first (space): the learning rate changes between epochs"
        assert screen.trainer.rate_scale == 1.0
        await pilot.press("i")  # pauses, lets the running epoch finish, then opens its graph
        await settle(pilot)
        graph = app.screen
        assert isinstance(graph, GraphScreen)
        timeline = graph.cursor.timeline
        assert not screen.running
        assert timeline.values[timeline.output_index] == screen.trainer.history[-1].loss


async def test_shift_s_chooses_the_previous_sample():
    app = training_app("tiny_mlp")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("S")  # batch → the last sample
        assert training_screen(app).sample == 3
        assert "i opens the loss graph of sample 3" in screen_text(app)
        await pilot.press("S", "S", "S", "S")
        assert training_screen(app).sample is None


async def test_a_finished_run_says_r_restarts_it():
    app = training_app("tiny_mlp")
    async with app.run_test(size=SIZE) as pilot:
        screen = training_screen(app)
        screen.run_epochs_now(20)
        await pilot.press("space")
        assert not screen.running
        assert "training is over: r restarts it" in screen_text(app)
        await pilot.press("n")
        assert screen.trainer.epoch == 20
        assert screen.note == "training is over: r restarts it"
