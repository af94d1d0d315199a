"""The training view: the lecture's loop running live — loss curve, accuracy, decision boundary.

Epochs run in a thread worker (`Trainer.step`: forward, zero grad, backward, update), so keys are
answered while the model trains. The worker never touches a widget: it only advances the trainer,
and a 4 Hz timer repaints from the trainer's records. Redraws are therefore capped whatever the
epoch rate (over SSH every redraw costs bytes), and the boundary map — the most expensive
picture — is recomputed at most once a second, off the UI thread, from a snapshot of the weights.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Static
from textual.worker import Worker, get_current_worker

from engine.stepping import Timeline
from engine.train import Trainer, TrainingDiverged
from mgtui.scenario import describe_exception
from mgtui.screens import forget_removed_widgets
from mgtui.widgets.boundary import BoundaryMap, data_bounds, grid_scores
from mgtui.widgets.key_bar import KeyBar
from mgtui.widgets.loss_chart import LossChart
from mgtui.widgets.status_bar import StatusBar

REDRAW_EVERY = 0.5  # seconds between repaints while training runs
BOUNDARY_EVERY = 2.0  # seconds between decision-boundary recomputations while training runs


LEARNING_RATE = Binding.Group("lr ×÷2")


class TrainingScreen(Screen):
    BINDINGS = [
        Binding("space", "toggle_run", "Run", id="train.run", priority=True, tooltip="Run or pause training"),
        Binding("n", "one_epoch", "Epoch", id="train.epoch", tooltip="Run one epoch (while paused)"),
        Binding("r", "restart", "Restart", id="train.restart", tooltip="Restart from the same initial weights"),
        Binding(
            "plus,equals_sign",
            "rate(2.0)",
            "lr×2",
            key_display="+",
            group=LEARNING_RATE,
            id="train.faster",
            tooltip="Double the learning rate (while paused)",
        ),
        Binding(
            "minus",
            "rate(0.5)",
            "lr÷2",
            key_display="-",
            group=LEARNING_RATE,
            id="train.slower",
            tooltip="Halve the learning rate (while paused)",
        ),
        Binding(
            "i",
            "inspect",
            "Inspect",
            id="train.inspect",
            tooltip="Open the last epoch's loss graph in the graph view (t comes back)",
        ),
        Binding(
            "s",
            "choose_sample(1)",
            "Next sample",
            show=False,
            id="train.sample",
            tooltip="Choose the sample whose loss i opens (or the whole batch)",
        ),
        Binding(
            "S",
            "choose_sample(-1)",
            "Prev sample",
            show=False,
            id="train.sample_back",
            tooltip="Choose the previous sample for i",
        ),
        Binding(
            "l", "log_scale", "Log scale", show=False, id="train.log", tooltip="Loss curve on a log scale, or back"
        ),
        Binding("g", "graph", "Graph", id="view.graph", tooltip="The scenario's graph view"),
    ]

    running: reactive[bool] = reactive(False, init=False)  # epochs run in the worker
    log_scale: reactive[bool] = reactive(False, init=False)

    def __init__(
        self, trainer: Trainer, title: str, autostart: bool = True, source: Path = Path("scenario"), note: str = ""
    ) -> None:
        super().__init__()
        self.trainer = trainer
        self.source = source  # the scenario file, named in error messages
        self.scenario_title = title
        self.autostart = autostart
        self.sample: int | None = None  # which loss `i` opens: None = the whole batch
        self.note = note
        self._painted_epoch = -1
        self._boundary_at = 0.0
        self._boundary_epoch = -1
        self._boundary_size = None
        self._open_graph_when_paused = False
        training = trainer.training
        self.two_d = all(len(x) == 2 for x in training.inputs)

    def compose(self) -> ComposeResult:
        yield StatusBar()
        with Horizontal(id="train-main"):
            with Vertical(id="train-left"):
                yield Static(id="train-stats")
                yield LossChart(id="loss-chart")
            if self.two_d:
                yield BoundaryMap(self.trainer.training.inputs, self.trainer.training.targets, id="boundary")
            else:
                with VerticalScroll(id="predictions-box"):
                    yield Static(id="predictions")
        yield KeyBar(id="key-bar")

    def on_mount(self) -> None:
        self._wire()
        self.set_interval(REDRAW_EVERY, self._repaint_if_new)
        self.paint(force=True)
        if self.autostart and not self.trainer.finished:
            self.running = True

    def _wire(self) -> None:
        """Find the panels (on mount, and after a reload recomposed them)."""
        self.status = self.query_one(StatusBar)
        self.stats = self.query_one("#train-stats", Static)
        self.chart = self.query_one(LossChart)
        if self.two_d:
            self.boundary = self.query_one(BoundaryMap)
            self.boundary.border_title = "boundary: ● +1  ○ −1  × wrong"
            self.boundary.monochrome = self.app.no_color
        else:
            self.predictions = self.query_one("#predictions", Static)
            self.query_one("#predictions-box").border_title = "predictions vs targets"

    @work(exclusive=True, group="restart")
    async def show_trainer(self, trainer: Trainer, note: str) -> None:
        """Train a reloaded scenario's model instead, from its start and paused."""
        self.running = False
        self.workers.cancel_group(self, "train")
        while self._busy:
            await asyncio.sleep(0.01)
        self.trainer, self.note = trainer, note
        self.two_d = all(len(x) == 2 for x in trainer.training.inputs)
        self._painted_epoch = self._boundary_epoch = -1
        await self.recompose()
        forget_removed_widgets(self)
        self._wire()
        self.paint(force=True)

    # --- running epochs --------------------------------------------------------------------------

    def watch_running(self, running: bool) -> None:
        if running:
            self._train()
        self.paint(force=True)

    @work(thread=True, exclusive=True, group="train", exit_on_error=False)
    def _train(self, epochs: int | None = None) -> None:
        """Step the trainer until paused, finished or `epochs` are done (runs in a thread)."""
        worker = get_current_worker()
        done, failure = 0, None
        while not self.trainer.finished and not worker.is_cancelled:
            if epochs is None and not self.running:
                break
            failure = self._one_epoch()
            done += 1
            if failure is not None or (epochs is not None and done >= epochs):
                break
        self.app.call_from_thread(self._worker_done, failure or "")

    def _one_epoch(self) -> str | None:
        """Step the trainer once: None if it may go on, else why it stopped ("" for a NaN loss,
        which the trainer itself records)."""
        try:
            self.trainer.step()
        except TrainingDiverged:
            return ""
        except Exception as error:  # the scenario's loss or schedule failing mid-run
            return describe_exception(error, self.source, f"at epoch {self.trainer.epoch + 1}")
        return None

    def _worker_done(self, failure: str = "") -> None:
        if failure:
            self.running = False
            self._say(f"training stopped: {failure}")
        if self.trainer.finished or self.trainer.diverged is not None:
            self.running = False
        self.paint(force=True)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """`i` pressed while training ran: open the graph once the last epoch's worker is gone."""
        if event.worker.group == "train" and event.worker.is_finished and self._open_graph_when_paused:
            if not self._busy:
                self._open_graph_when_paused = False
                self.action_inspect()

    @property
    def _busy(self) -> bool:
        return any(w.is_running for w in self.workers if w.group == "train")

    def run_epochs_now(self, epochs: int) -> None:
        """Run epochs on this thread and repaint: for tests and scripts that want no threads."""
        failure = None
        for _ in range(epochs):
            if self.trainer.finished:
                break
            failure = self._one_epoch()
            if failure is not None:
                break
        self._worker_done(failure or "")

    # --- keys ------------------------------------------------------------------------------------

    def action_toggle_run(self) -> None:
        if self.trainer.finished:
            self._say("training is over: r restarts it")
            return
        self.running = not self.running

    def action_one_epoch(self) -> None:
        if self.running:
            self._say("pause first (space), then n runs one epoch at a time")
        elif self.trainer.finished:
            self._say("training is over: r restarts it")
        elif not self._busy:
            self._train(1)

    def action_restart(self) -> None:
        was_running = self.running
        self.running = False
        self.workers.cancel_group(self, "train")
        self._restart_when_idle(was_running)

    @work(exclusive=True, group="restart")
    async def _restart_when_idle(self, resume: bool) -> None:
        while self._busy:
            await asyncio.sleep(0.01)
        self.trainer.restart()
        self._painted_epoch = self._boundary_epoch = -1
        self._say("restarted from the same initial weights")
        self.paint(force=True)
        if resume:
            self.running = True

    def action_rate(self, factor: float) -> None:
        if self.running or self._busy:
            self._say("pause first (space): the learning rate changes between epochs")
            return
        self.trainer.rate_scale *= factor
        self._say(f"learning rate ×{self.trainer.rate_scale:g} of the schedule")
        self.paint(force=True)

    def action_choose_sample(self, direction: int) -> None:
        count = len(self.trainer.training.inputs)
        order = [None, *range(count)]
        self.sample = order[(order.index(self.sample) + direction) % len(order)]
        which = "the whole batch" if self.sample is None else f"sample {self.sample}"
        self._say(f"i opens the loss graph of {which}")

    def action_log_scale(self) -> None:
        self.log_scale = not self.log_scale
        self.paint(force=True)

    def action_inspect(self) -> None:
        """Open the loss graph of the last epoch (paused first) in the graph view."""
        if self.running or self._busy:
            self.running = False
            self._open_graph_when_paused = True
            self._say("pausing to open the graph…")
            return
        self._say("recording the pass…")
        self._open_graph(self.sample)

    @work(thread=True, exclusive=True, group="inspect")
    def _open_graph(self, sample: int | None) -> None:
        output = self.trainer.loss_graph(sample)
        timeline = Timeline(output)
        epoch = max(self.trainer.epoch - 1, 0)
        which = "batch" if sample is None else f"sample {sample}"
        title = f"epoch {epoch + 1} loss ({which}) · {self.scenario_title}"
        self.app.call_from_thread(self._push_graph, timeline, title)

    def _push_graph(self, timeline: Timeline, title: str) -> None:
        from mgtui.screens.graph import GraphScreen

        self._say("")
        self.app.push_screen(GraphScreen(timeline, title, opened_from_training=True))

    def action_graph(self) -> None:
        self.app.switch_mode("graph")

    # --- painting --------------------------------------------------------------------------------

    def refresh_status(self) -> None:
        self.paint(force=True)

    def _say(self, note: str) -> None:
        self.note = note
        self.paint(force=True)

    def _repaint_if_new(self) -> None:
        self.paint(force=False)

    def paint(self, force: bool) -> None:
        if not self.is_mounted:
            return
        trainer = self.trainer
        if not force and trainer.epoch == self._painted_epoch:
            return
        self._painted_epoch = trainer.epoch
        history = list(trainer.history)
        epochs = trainer.training.epochs
        state = "running" if self.running else ("finished" if trainer.finished else "paused")
        if trainer.diverged is not None:
            state = "stopped: loss not finite"
        self.status.show(self.scenario_title, f"epoch {trainer.epoch}/{epochs} · {state}")
        self.stats.update(self._stats_table(history), layout=False)
        self.chart.show([r.loss for r in history], epochs, self.log_scale)
        if self.two_d:
            self._refresh_boundary()
        else:
            self.predictions.update(self._predictions_table(history), layout=False)

    def _stats_table(self, history) -> RenderableType:
        trainer = self.trainer
        last = history[-1] if history else None
        table = Table.grid(padding=(0, 1))
        table.add_column(style="bold", no_wrap=True, min_width=9)
        table.add_column(no_wrap=True, overflow="ellipsis")
        table.add_row("epoch", f"{trainer.epoch} of {trainer.training.epochs}")
        table.add_row("loss", "—" if last is None else f"{last.loss:.6g} ({trainer.training.loss_name})")
        table.add_row(trainer.training.measure.name, "—" if last is None else trainer.training.measure.text(last.measure))
        rate = trainer.next_learning_rate
        table.add_row("next lr", "—" if rate is None else f"{rate:.4g}")
        table.add_row("params", f"{len(trainer.parameters):,}")
        table.add_row("‖grad‖", "—" if last is None else f"{last.grad_norm:.4g}")
        table.add_row("max|grad|", "—" if last is None else f"{last.max_abs_grad:.4g}")
        which = "batch" if self.sample is None else f"sample {self.sample}"
        table.add_row("i opens", f"{which} (s: change)")
        if trainer.diverged is not None:
            stopped = f"stopped at epoch {trainer.diverged.epoch}: the loss is {trainer.diverged.loss}"
            return Group(table, Text(stopped, style="bold red"), Text("r restarts from the start", style="red"))
        if self.note:
            return Group(table, Text(self.note, style="italic"))
        if trainer.tape_note:  # why epochs run slower than a tape makes them: shown whenever nothing else is
            return Group(table, Text(trainer.tape_note, style="dim"))
        return table

    def _predictions_table(self, history) -> Table:
        training = self.trainer.training
        scores = history[-1].scores if history else [None] * len(training.targets)
        table = Table(box=None, padding=(0, 1), show_edge=False)
        table.add_column("#", justify="right")
        table.add_column("target", justify="right")
        table.add_column("prediction", justify="right")
        table.add_column("")
        for i, (target, score) in enumerate(zip(training.targets, scores)):
            if score is None:
                table.add_row(str(i), f"{target:.3g}", "—", "")
            else:
                table.add_row(str(i), f"{target:.3g}", f"{score:.4g}", "✓" if (target > 0) == (score > 0) else "✗")
        return table

    @work(thread=True, exclusive=True, group="boundary")
    def _compute_boundary(self, predict) -> None:
        """Score every cell and every data point with one snapshot of the weights."""
        size = self.boundary.content_region.size
        if size.width <= 0 or size.height <= 0:
            return
        inputs = self.trainer.training.inputs
        bounds = data_bounds(inputs, size)
        scores = grid_scores(predict, bounds, size)
        point_scores = [predict(x) for x in inputs]
        self.app.call_from_thread(self.boundary.show, scores, bounds, point_scores)

    def _refresh_boundary(self) -> None:
        """Rescore the map when the weights (or the size) changed: at once while paused, at most
        every BOUNDARY_EVERY seconds while training runs (each map is ~25 ms of Python)."""
        epoch = self.trainer.epoch
        now = time.monotonic()
        if epoch == self._boundary_epoch and self.boundary.size == self._boundary_size:
            return
        if self.running and now - self._boundary_at < BOUNDARY_EVERY:
            return
        self._boundary_at, self._boundary_epoch, self._boundary_size = now, epoch, self.boundary.size
        self._compute_boundary(self.trainer.predictor())

    def on_resize(self) -> None:
        self.paint(force=True)
