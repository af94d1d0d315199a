"""The training view: the lecture's loop running live — loss curve, accuracy, decision boundary.

Epochs run in a training thread at a pace a teacher can narrate (`mgtui.training_run`); the
scenario's code — model, loss, schedule, measure — runs only there. The screen never reads a
half-finished epoch: the trainer publishes each epoch as a `Snapshot` (record, weights, grads), and
every panel paints the same snapshot, the boundary map included — a new epoch goes on screen when
its map is drawn, off the UI thread. A timer repaints a few times a second at most, whatever the
epoch rate (over SSH every redraw costs bytes); what the panels say is in `training_panels`.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from pathlib import Path

from rich.table import Table
from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.geometry import Size
from textual.reactive import reactive
from textual.screen import Screen
from textual.worker import get_current_worker

from engine.stepping import Timeline
from engine.train import Snapshot, Trainer
from mgtui.scenario import describe_exception
from mgtui.screens import forget_removed_widgets
from mgtui.screens import training_panels as panels
from mgtui.screens.training_follow import TrainingFollowed
from mgtui.screens.training_keys import TRAINING_BINDINGS, TrainingActions
from mgtui.training_run import TrainingRun, pace_text
from mgtui.widgets.boundary import BoundaryMap, BoundaryPicture, picture_of
from mgtui.widgets.key_bar import KeyBar
from mgtui.widgets.loss_chart import LossChart, axis_end
from mgtui.widgets.panel import Panel
from mgtui.widgets.status_bar import StatusBar

# How often the screen looks for a new epoch, so at most how often it repaints: each repaint of
# the panels costs bytes over SSH (measured at 80×24, 256 colours: ~8 KiB for loss curve, figures
# and predictions, ~12 KiB with a boundary map), and ≤ 50 KiB/s is the budget.
TICK = 0.2
TICK_WITH_MAP = 0.25
# At full speed the training thread needs the CPU (a repaint of curve, map and figures is ~40 ms of
# Python holding the GIL): repaint once a second, so the view is never more than a second behind.
FULL_SPEED_REPAINT = 1.0


class TrainingScreen(TrainingActions, TrainingFollowed, Screen):
    BINDINGS = TRAINING_BINDINGS

    running: reactive[bool] = reactive(False, init=False, repaint=False)  # epochs wanted, at the pace
    log_scale: reactive[bool] = reactive(False, init=False, repaint=False)  # the panels paint themselves
    show_weights: reactive[bool] = reactive(False, init=False, repaint=False)

    def __init__(
        self,
        trainer: Trainer,
        title: str,
        autostart: bool = True,
        source: Path = Path("scenario"),
        note: str = "",
        pace: float | None = None,
    ) -> None:
        super().__init__()
        self.run = TrainingRun(trainer, source, pace)
        self.scenario_title = title
        self.autostart = autostart and not trainer.training.paused
        self.sample: int | None = None  # which loss `i` opens: None = the whole batch
        self.shown: Snapshot | None = None  # the epoch every panel shows (None: the initial weights)
        self._generation = 0  # counts restarts and reloads: a map of an older run is never shown
        self._note = (note, "epoch", 0, 0)  # what, how long it lasts, said at which epoch, in which generation
        self._on_pause = ""  # a note for when the running epoch has finished
        self._map_pending = False
        self._map_size = Size(0, 0)
        self._painted_at = 0.0
        self._pace_chosen = pace is not None
        self._wired = False  # the panels are found (painting before that has nothing to paint on)
        self.two_d = all(len(x) == 2 for x in trainer.training.inputs)
        self._when_graph_open: Callable[[Screen], None] | None = None  # follow mode: the epoch graph it asked for

    @property
    def trainer(self) -> Trainer:
        return self.run.trainer

    def compose(self) -> ComposeResult:
        training = self.trainer.training
        yield StatusBar()
        with Horizontal(id="train-main"):
            with Vertical(id="train-left"):
                yield Panel(id="train-stats")
                yield LossChart(id="loss-chart")
            if self.two_d:
                yield BoundaryMap(training.classes, training.targets, id="boundary")
            else:
                with VerticalScroll(id="predictions-box"):
                    yield Panel(id="predictions")
            with VerticalScroll(id="weights-box"):
                yield Panel(id="weights")
        yield KeyBar(id="key-bar")

    def on_mount(self) -> None:
        self._wire()
        self._timer = self.set_interval(TICK_WITH_MAP if self.two_d else TICK, self._tick)
        self._look_ahead()
        self.paint()
        self.call_after_refresh(self._tick)  # the map needs the laid-out size
        if self.autostart and not self.trainer.finished:
            self.running = True

    def on_unmount(self) -> None:
        self._wired = False
        self.run.running = False
        self.run.wake()

    def _wire(self) -> None:
        """Find the panels (on mount, and after a reload recomposed them)."""
        self._wired = True
        self.status = self.query_one(StatusBar)
        self.stats = self.query_one("#train-stats", Panel)
        self.chart = self.query_one(LossChart)
        self.weights = self.query_one("#weights", Panel)
        if self.two_d:
            self.boundary = self.query_one(BoundaryMap)
            self.boundary.border_title = self._map_legend()
            validation = "◆◇ validation · " if self.trainer.training.validation is not None else ""
            self.boundary.border_subtitle = f"{validation}w: weights"
            self.boundary.monochrome = self.app.no_color
        else:
            self.predictions = self.query_one("#predictions", Panel)
            box = self.query_one("#predictions-box")
            validated = self.trainer.training.validation is not None
            box.border_title = "predictions (v0…: validation)" if validated else "predictions vs targets"
            box.border_subtitle = "w: weights"

    def _map_legend(self) -> str:
        training = self.trainer.training
        if training.classes is None:
            return "prediction: dark low, light high · • sample"
        return "boundary: ● +1  ○ −1  × wrong"

    @work(exclusive=True, group="reload")
    async def show_trainer(self, trainer: Trainer, note: str) -> None:
        """Train a reloaded scenario's model instead, from its start and paused."""
        self.running = False
        old = self.run
        old.running = False
        old.wake()
        self.run = TrainingRun(trainer, old.source, old.pace if self._pace_chosen else None)
        self._generation += 1
        self.shown, self._map_pending, self._map_size = None, False, Size(0, 0)
        self._note = (note, "epoch", 0, self._generation)
        self.two_d = all(len(x) == 2 for x in trainer.training.inputs)
        self._wired = False  # no painting on the panels being replaced
        await self.recompose()
        forget_removed_widgets(self)
        self._timer.stop()
        self._timer = self.set_interval(TICK_WITH_MAP if self.two_d else TICK, self._tick)
        self._wire()
        self._look_ahead()
        self.paint()
        self.call_after_refresh(self._tick)

    # --- running epochs ------------------------------------------------------------------------------------

    def watch_running(self, running: bool) -> None:
        self.run.running = running
        self.run.wake()
        if running:
            self._painted_at = time.monotonic()  # what is on screen is current: the first repaint can wait
        if running and self.run.claim_loop():
            self._train_loop()
        self.paint_settings()

    @work(thread=True, group="train", exit_on_error=False)
    def _train_loop(self) -> None:
        worker = get_current_worker()
        self.run.run_loop(lambda: worker.is_cancelled)
        self._from_thread(self._worker_done)

    @work(thread=True, group="train", exit_on_error=False)
    def _epochs(self, count: int) -> None:
        self.run.epochs_now(count)
        self._from_thread(self._worker_done)

    @work(thread=True, group="train", exit_on_error=False)
    def _look_ahead(self) -> None:
        """Ask a schedule for the first rate in the training thread, not while painting."""
        with self.run.stepping:
            self.run.look_ahead()
        self._from_thread(self._worker_done)

    def _from_thread(self, callback, *args) -> None:
        try:
            self.app.call_from_thread(callback, *args)
        except RuntimeError:  # the app has closed meanwhile: nothing to show it on
            pass

    def _worker_done(self) -> None:
        if not self.run.running:
            self.running = False
        if self._on_pause and not self.running:
            note, self._on_pause = self._on_pause, ""
            self._say(note)
        self._tick(force=True)
        self.paint_settings()

    def run_epochs_now(self, epochs: int) -> None:
        """Run epochs on this thread and repaint: for tests and scripts that want no threads."""
        self.run.epochs_now(epochs)
        self._worker_done()

    @work(thread=True, group="train", exit_on_error=False)
    def _restart(self, keep_settings: bool, resume: bool) -> None:
        self.run.restart(keep_settings)  # after the epoch in progress
        self._from_thread(self._restarted, keep_settings, resume)

    def _restarted(self, keep_settings: bool, resume: bool) -> None:
        trainer = self.trainer
        self._generation += 1
        kept = []
        if keep_settings and trainer.rate_scale != 1:
            kept.append(f"lr ×{trainer.rate_scale:g}")
        if keep_settings and trainer.next_l2 != trainer.training.l2_strength:
            kept.append(f"α {trainer.next_l2:g}")
        if kept:
            self._say(f"restarted from the same initial weights, still {', '.join(kept)} (R: as loaded)")
        elif keep_settings:
            self._say("restarted from the same initial weights")
        else:
            self._say("restarted as loaded: the scenario's learning rate and L2 strength")
        self._tick(force=True)
        if resume:
            self.running = True

    @work(thread=True, exclusive=True, group="inspect", exit_on_error=False)
    def _open_graph(self, sample: int | None) -> None:
        with self.run.stepping:  # after the epoch in progress: the scenario's code runs on one thread at a time
            trainer = self.trainer
            latest = trainer.latest
            try:
                if latest is None:
                    output = trainer.loss_graph(sample, weights=trainer.initial_weights)
                else:
                    output = trainer.loss_graph(sample, weights=latest.weights, l2=latest.record.l2)
                timeline = Timeline(output)
            except Exception as error:
                self._from_thread(self._say, describe_exception(error, self.run.source, "building the loss graph"))
                return
        which = "batch" if sample is None else f"sample {sample}"
        when = "the initial weights" if latest is None else f"epoch {latest.record.epoch}, before its update"
        source = f"{which}@{0 if latest is None else latest.record.epoch}"
        self._from_thread(self._push_graph, timeline, f"loss ({which}) at {when} · {self.scenario_title}", source)

    def _push_graph(self, timeline: Timeline, title: str, source: str) -> None:
        from mgtui.screens.graph import GraphScreen

        self._say("")
        screen = GraphScreen(timeline, title, opened_from_training=True, source=source)
        self.app.push_screen(screen)
        when_open, self._when_graph_open = self._when_graph_open, None
        if when_open is not None:
            screen.call_after_refresh(when_open, screen)

    # --- what is on screen ---------------------------------------------------------------------------------

    def watch_show_weights(self, show: bool) -> None:
        self.set_class(show, "-weights")
        self.paint()

    def refresh_status(self) -> None:
        self.paint_settings()

    def _say(self, note: str, lasts: str = "epoch") -> None:
        """A note about the state right now, shown until that state changes: with `lasts` "epoch",
        until the next epoch or a restart; with "run", while this run goes on; with "pause",
        from when the running epoch has finished until the next."""
        if lasts == "pause" and self.running:
            self._on_pause = note
            return
        self._note = (note, lasts, self.trainer.epoch, self._generation)
        self.paint_settings()

    @property
    def note(self) -> str:
        text, lasts, epoch, generation = self._note
        if generation != self._generation:
            return ""
        if lasts == "run":
            return text if self.running else ""
        return text if epoch == self.trainer.epoch else ""

    def _tick(self, force: bool = False) -> None:
        """Bring the panels to the trainer's latest epoch (through its map, for 2-D inputs)."""
        if not self._wired:
            return
        full_speed = self.running and math.isinf(self.run.pace)
        if not force and full_speed and time.monotonic() - self._painted_at < FULL_SPEED_REPAINT:
            return
        latest = self.trainer.latest
        if not self.two_d:
            if latest is not self.shown:
                self._show(latest)
            return
        size = self.boundary.content_region.size
        if self._map_pending or (latest is self.shown and size == self._map_size):
            return
        if size.width <= 0 or size.height <= 0:
            self._show(latest)
            return
        self._map_pending = True
        self._compute_map(latest, size, self._generation)

    @work(thread=True, exclusive=True, group="boundary", exit_on_error=False)
    def _compute_map(self, snapshot: Snapshot | None, size: Size, generation: int) -> None:
        try:
            picture = picture_of(self.trainer, snapshot, size, self.run.stepping)
        except Exception as error:  # a learner's model failing on a grid point: say so, keep training
            picture = describe_exception(error, self.run.source, "drawing the boundary map")
        self._from_thread(self._map_ready, snapshot, picture, generation)

    def _map_ready(self, snapshot: Snapshot | None, picture: BoundaryPicture | str, generation: int) -> None:
        self._map_pending = False
        if generation != self._generation or not self._wired:
            self._tick(force=True)  # a map of a run since restarted: draw the current one instead
            return
        if isinstance(picture, str):
            self.boundary.border_title = f"no map: {picture}"
        else:
            self.boundary.show(picture)
            self._map_size = picture.size
        self._show(snapshot)
        if not self.running and self.trainer.latest is not snapshot:
            self._tick(force=True)  # the run ended while this map was drawn: its last epoch next, not a tick later

    def _show(self, snapshot: Snapshot | None) -> None:
        self.shown = snapshot
        self.paint()

    def on_resize(self) -> None:
        self.call_after_refresh(self._tick, True)  # a map at the new size, at once

    def paint_settings(self) -> None:
        """The status line and the figures: cheap, for every key."""
        if not self._wired:
            return
        trainer, shown = self.trainer, self.shown
        epoch = 0 if shown is None else shown.record.epoch
        self.status.show(self.scenario_title, f"epoch {epoch}/{trainer.epochs_planned} · {self._state()}")
        self.stats.update(panels.stats(trainer, self.run, shown, self.sample, self.note), layout=False)

    def _state(self) -> str:
        trainer = self.trainer
        if self.run.failure:
            return "stopped: an error"
        if trainer.diverged is not None:
            return "stopped: loss not finite"
        if self.running:
            return f"running {pace_text(self.run.pace)}"
        return "finished" if trainer.finished else "paused"

    def paint(self) -> None:
        """Every panel, from the shown snapshot."""
        if not self._wired:
            return
        self._painted_at = time.monotonic()
        self.paint_settings()
        trainer, shown = self.trainer, self.shown
        epoch = 0 if shown is None else shown.record.epoch
        validation = trainer.validation_curve.points(up_to=epoch) if trainer.training.validation else ()
        end = axis_end(epoch, trainer.epochs_planned)
        self.chart.show(trainer.curve.points(up_to=epoch), end, self.log_scale, validation)
        box = self.query_one("#weights-box")
        if self.show_weights:
            box.border_title = f"{len(trainer.parameters):,} params by |grad| · epoch {epoch}"
            _update_rows(self.weights, panels.weights(trainer, shown))
        elif not self.two_d:
            _update_rows(self.predictions, panels.predictions(trainer, shown))


def _update_rows(panel: Panel, table: Table) -> None:
    """Show a table of rows; lay out again only when the number of rows changed (a layout repaints
    the whole screen, a few times a second while training runs)."""
    rows = table.row_count
    panel.update(table, layout=rows != getattr(panel, "_mg_rows", None))
    panel._mg_rows = rows
