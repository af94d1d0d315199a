"""The training view's keys: what each one asks of the run (`TrainingRun`) and the trainer.

Keys act from the UI thread and never run the scenario's code: a setting the next epoch reads
(learning-rate scale, L2 strength, pace) is set at once, even while epochs run; anything that
steps or restarts the trainer is handed to the training thread (the screen's workers).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.binding import Binding

from mgtui.training_run import pace_text

if TYPE_CHECKING:
    from mgtui.screens.training import TrainingScreen

L2_FLOOR = 1e-6  # the L2 keys step ×10 and ÷10; the step down from here is 0, and up from 0 comes back here

LEARNING_RATE = Binding.Group("lr ×÷2")
PACE = Binding.Group("pace")

TRAINING_BINDINGS = [
    Binding(
        "space",
        "toggle_run",
        "Run",
        id="train.run",
        priority=True,
        tooltip="Run or pause; after the last epoch, run as many again",
    ),
    Binding("n", "one_epoch", "Epoch", id="train.epoch", tooltip="One epoch (pauses a running run first)"),
    Binding(
        "r",
        "restart(True)",
        "Restart",
        id="train.restart",
        tooltip="Restart from the same initial weights, keeping the lr scale and L2 strength you set",
    ),
    Binding(
        "R",
        "restart(False)",
        "Restart as loaded",
        show=False,
        id="train.restart_as_loaded",
        tooltip="Restart with the scenario's own learning rate and L2 strength",
    ),
    Binding(
        "plus,equals_sign",
        "rate(2.0)",
        "lr×2",
        key_display="+",
        group=LEARNING_RATE,
        id="train.lr_up",
        tooltip="Double the learning rate, from the next epoch",
    ),
    Binding(
        "minus",
        "rate(0.5)",
        "lr÷2",
        key_display="-",
        group=LEARNING_RATE,
        id="train.lr_down",
        tooltip="Halve the learning rate, from the next epoch",
    ),
    Binding(
        "greater_than_sign,full_stop",
        "pace(1)",
        "faster",
        key_display=">",
        group=PACE,
        id="train.pace_up",
        tooltip="More epochs a second (up to: as fast as it goes)",
    ),
    Binding(
        "less_than_sign,comma",
        "pace(-1)",
        "slower",
        key_display="<",
        group=PACE,
        id="train.pace_down",
        tooltip="Fewer epochs a second (down to 1)",
    ),
    Binding(
        "a",
        "l2(10.0)",
        "α×10",
        show=False,
        id="train.l2_up",
        tooltip="L2 strength α ×10, from the next epoch (losses with an L2 term)",
    ),
    Binding(
        "A",
        "l2(0.1)",
        "α÷10",
        show=False,
        id="train.l2_down",
        tooltip="L2 strength α ÷10, from the next epoch (losses with an L2 term)",
    ),
    Binding(
        "i",
        "inspect",
        "Inspect",
        id="train.inspect",
        tooltip="Open the last epoch's loss graph in the graph view (pauses first; t comes back)",
    ),
    Binding(
        "w",
        "weights",
        "Weights",
        show=False,
        id="train.weights",
        tooltip="Every parameter by |grad|, with its value and grad at the shown epoch (w: back)",
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
    Binding("l", "log_scale", "Log scale", show=False, id="train.log", tooltip="Loss curve on a log scale, or back"),
    Binding(
        "g",
        "graph",
        "Graph",
        show=False,
        id="view.graph",
        tooltip="The scenario's graph view: graph() as loaded, before any training",
    ),
]


class TrainingActions:
    """The actions of `TRAINING_BINDINGS`, mixed into `TrainingScreen`."""

    def action_toggle_run(self: TrainingScreen) -> None:
        if self._cannot_go_on():
            return
        trainer = self.trainer
        if trainer.finished:  # a finished run goes on from its last weights, as many epochs again
            trainer.extend(trainer.training.epochs)
            held = ", at the schedule's last lr" if callable(trainer.training.learning_rate) else ""
            self._say(f"continuing: epochs {trainer.epoch + 1}–{trainer.epochs_planned}{held}", lasts="run")
            self.running = True
            return
        self.running = not self.running

    def action_one_epoch(self: TrainingScreen) -> None:
        if self.running:
            self._say("paused: n runs one epoch at a time", lasts="pause")
            self.running = False
            return
        if self._cannot_go_on():
            return
        if self.trainer.finished:
            self.trainer.extend(1)
        self._epochs(1)

    def _cannot_go_on(self: TrainingScreen) -> bool:
        if self.run.failure or self.trainer.diverged is not None:
            self._say("training has stopped: r restarts it")
            return True
        return False

    def action_restart(self: TrainingScreen, keep_settings: bool) -> None:
        resume = self.running and not self.trainer.finished
        self.running = False
        self._restart(keep_settings, resume)

    def action_rate(self: TrainingScreen, factor: float) -> None:
        trainer = self.trainer
        trainer.rate_scale *= factor  # read once as each epoch starts: safe while one runs
        self._say(f"learning rate ×{trainer.rate_scale:g} of the scenario's, from epoch {trainer.epoch + 1}")

    def action_pace(self: TrainingScreen, steps: int) -> None:
        self._pace_chosen = True
        self._say(f"pace: {pace_text(self.run.faster(steps))}")

    def action_l2(self: TrainingScreen, factor: float) -> None:
        trainer = self.trainer
        alpha = trainer.next_l2
        if alpha is None:
            self._say("this loss has no L2 term (no alpha parameter)")
            return
        if alpha == 0:
            alpha = L2_FLOOR if factor > 1 else 0.0
        elif factor < 1 and alpha < L2_FLOOR * 1.5:
            alpha = 0.0
        else:
            alpha = float(f"{alpha * factor:.3g}")  # 0.001, not 0.0010000000000000002
        trainer.request_l2(alpha)  # taken up as the next epoch starts: safe while one runs
        self._say(f"L2 α {alpha:g} from epoch {trainer.epoch + 1} (it records a new tape)")

    def check_action(self: TrainingScreen, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "l2" and self.trainer.l2 is None:
            return None  # greyed in help: this loss has no L2 term
        return True

    def action_weights(self: TrainingScreen) -> None:
        self.show_weights = not self.show_weights

    def action_choose_sample(self: TrainingScreen, direction: int) -> None:
        count = len(self.trainer.training.inputs)
        order = [None, *range(count)]
        self.sample = order[(order.index(self.sample) + direction) % len(order)]
        which = "the whole batch" if self.sample is None else f"sample {self.sample}"
        self._say(f"i opens the loss graph of {which}")

    def action_log_scale(self: TrainingScreen) -> None:
        self.log_scale = not self.log_scale
        self.paint()

    def action_inspect(self: TrainingScreen) -> None:
        """Open the last epoch's loss graph in the graph view, pausing first."""
        self.running = False
        self._say("recording the pass…")
        self._open_graph(self.sample)

    def action_graph(self: TrainingScreen) -> None:
        self.app.switch_mode("graph")
        self.app.notify(
            "graph() as the scenario built it when loaded: training does not change it "
            "(i in the training view opens the last epoch's loss graph)",
            title="graph view",
            timeout=4,
        )
