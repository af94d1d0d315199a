"""The training view through the pilot at 80×24.

Training runs in a thread worker, and the pilot waits for the app to be idle after every key, so
most tests start the view paused and drive epochs synchronously (`run_epochs_now`, or `n`, whose
single epoch of the tiny MLP takes about a millisecond); paced runs go by a clock of the test's
own (`FakeClock`), so seconds of app time take none of the suite's; one test lets the worker run
at full speed.
"""

from __future__ import annotations

import asyncio
import math
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


def training_app(name: str, autostart: bool = False, pace: float | None = None) -> MgtuiApp:
    session = Session.open(load(resolve(str(name))), need_training=True)
    return MgtuiApp(session, start_in_training=True, autostart_training=autostart, pace=pace)


class FakeClock:
    """A clock for a paced run: waiting advances it at once."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def on_fake_clock(screen: TrainingScreen) -> FakeClock:
    clock = FakeClock()
    screen.run.clock, screen.run.sleep = clock, clock.sleep
    return clock


async def until_stopped(pilot, screen: TrainingScreen) -> None:
    """Until the run has stopped by itself (finished, diverged, failed); 30 s at most, against a hang."""
    for _ in range(3000):
        if not screen.running and not screen.run.running:
            break
        await asyncio.sleep(0.01)
    await settle(pilot)
    assert not screen.running


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
        assert "weights   initial (no epoch run yet)" in text
        assert "pace      5 epochs/s" in text
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
        assert screen.note == ""  # the note said what the restart did; an epoch later it is gone
        assert "restarted" not in screen_text(app)


async def test_plus_and_minus_change_the_learning_rate_while_paused():
    app = training_app("tiny_mlp")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("plus")
        screen = training_screen(app)
        assert screen.trainer.next_learning_rate == 0.2
        assert "lr        0.2 = 0.1 ×2" in screen_text(app)
        assert screen.note == "learning rate ×2 of the scenario's, from epoch 1"
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
        assert "loss (batch) at epoch 3, before its update" in screen_text(app)
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
        assert "i opens   sample 1's loss (s: change)" in screen_text(app)
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
    app = training_app(long_run, autostart=True, pace=math.inf)
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
        assert f"epoch {paused_at}/1000000 · paused" in screen_text(app)  # every panel caught up
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
        assert f"epoch {diverged.epoch}/50 · stopped: loss not finite" in text
        assert f"stopped at epoch {diverged.epoch}: the loss is" in text
        await pilot.press("n", "space")  # neither starts a stopped run again
        await settle(pilot)
        assert screen.trainer.epoch == diverged.epoch
        assert screen.note == "training has stopped: r restarts it"


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
    app = training_app(path, pace=math.inf)
    async with app.run_test(size=SIZE) as pilot:
        screen = training_screen(app)
        await pilot.press("space")
        await until_stopped(pilot, screen)
        assert screen.trainer.epoch == 2
        assert "training stopped" in screen_text(app)
        assert "stopped: an error" in screen_text(app)
        assert screen.run.failure.endswith("picky_loss.py:12: RuntimeError: out of patience (at epoch 3)")


async def test_keys_while_running_pause_or_apply_from_the_next_epoch_and_i_opens_the_last_epoch():
    app = training_app(str(FIXTURES / "moons_long.py"), autostart=True, pace=math.inf)  # running when keys come
    async with app.run_test(size=SIZE) as pilot:
        screen = training_screen(app)
        await asyncio.sleep(0.3)
        assert screen.running
        await pilot.press("plus")  # applies from the next epoch, running or not
        assert screen.trainer.rate_scale == 2.0
        await pilot.press("n")  # pauses: n steps one epoch at a time from there
        await settle(pilot)
        assert not screen.running
        assert screen.note == "paused: n runs one epoch at a time"
        await pilot.press("space")
        await asyncio.sleep(0.2)
        await pilot.press("i")  # pauses, lets the running epoch finish, then opens its graph
        await settle(pilot)
        graph = app.screen
        assert isinstance(graph, GraphScreen)
        timeline = graph.cursor.timeline
        assert not screen.running
        assert timeline.values[timeline.output_index] == screen.trainer.latest.record.loss
        assert screen.trainer.latest.record.learning_rate == 0.1


async def test_shift_s_chooses_the_previous_sample():
    app = training_app("tiny_mlp")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("S")  # batch → the last sample
        assert training_screen(app).sample == 3
        assert "i opens the loss graph of sample 3" in screen_text(app)
        await pilot.press("S", "S", "S", "S")
        assert training_screen(app).sample is None


async def test_a_finished_run_continues_with_the_learning_rate_set_after_it():
    app = training_app("tiny_mlp")
    async with app.run_test(size=SIZE) as pilot:
        screen = training_screen(app)
        screen.run_epochs_now(20)
        await settle(pilot)
        assert "epoch 20/20 · finished" in screen_text(app)
        await pilot.press("plus")  # after the run: the lr for what comes next
        assert "lr        0.2 = 0.1 ×2" in screen_text(app)
        await pilot.press("n")  # one more epoch
        await settle(pilot)
        assert screen.trainer.latest.record.epoch == 21
        assert screen.trainer.latest.record.learning_rate == 0.2
        assert "epoch 21/21 · finished" in screen_text(app)
        await pilot.press("space")  # as many again, at 5 epochs a second
        assert screen.note == "continuing: epochs 22–41"  # said while that run goes on
        on_fake_clock(screen)
        screen.run.wake()  # the rest of the run on the test's clock: at once
        await until_stopped(pilot, screen)
        assert screen.note == ""
        assert "epoch 41/41 · finished" in screen_text(app)
        assert {r.learning_rate for r in list(screen.trainer.history)[20:]} == {0.2}


async def test_a_map_that_lands_after_the_run_stopped_is_followed_by_the_last_epochs():
    app = training_app("moons")
    async with app.run_test(size=SIZE) as pilot:
        screen = training_screen(app)
        screen.run_epochs_now(1)
        await settle(pilot)
        older = screen.trainer.latest
        screen._timer.pause()  # no periodic tick to catch up by chance
        screen._map_pending = True  # a map of `older` is being drawn while the run goes on and stops
        screen.run_epochs_now(2)
        screen._map_ready(older, "drawn for an older epoch", screen._generation)  # ...and lands now
        await settle(pilot)
        assert screen.shown is screen.trainer.latest and screen.shown.record.epoch == 3
        assert "epoch 3/100 · paused" in screen_text(app)
