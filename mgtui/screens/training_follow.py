"""Where the training view is, as follow mode publishes it, and a student's run brought there.

Mixed into `TrainingScreen`. The numbers travel as settings, never as numbers: the epoch and the
learning-rate / L2 settings of each stretch of the teacher's run since its last restart. The
student's own trainer runs the same scenario through them (`Trainer.follow`), so every loss,
weight and map is the teacher's bit for bit, on any terminal size.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from textual import work
from textual.screen import Screen

from engine.train import Trainer
from mgtui.classroom import fingerprint
from mgtui.training_run import TrainingRun


class TrainingFollowed(Screen):
    run: TrainingRun
    running: bool
    sample: int | None
    trainer: Trainer

    def where(self) -> dict:
        trainer = self.trainer
        return {
            "settings": [list(entry) for entry in trainer.settings],
            "sample": self.sample,
            "running": bool(self.running),
            "weights": fingerprint(trainer.initial_weights),
        }

    def follow_teacher(self, epoch: int, training: dict) -> None:
        """Bring this run to the teacher's epoch (in the training thread), and its sample choice."""
        settings = _settings(training.get("settings"))
        if settings is None or epoch < 0:
            return
        if self.running:
            self.running = False  # a student's run moves only with the teacher's
        sample = training.get("sample")
        if sample is None or (isinstance(sample, int) and 0 <= sample < len(self.trainer.training.inputs)):
            self.sample = sample
        if training.get("weights") != fingerprint(self.trainer.initial_weights):
            self._say("your copy starts from other weights than the teacher's (random numbers drawn without a seed?)")
        if epoch != self.trainer.epoch or settings != self.trainer.settings:
            self._follow(epoch, settings)

    @work(thread=True, exclusive=True, group="follow", exit_on_error=False)
    def _follow(self, epoch: int, settings: list[tuple[int, float, float | None]]) -> None:
        self.run.follow(epoch, settings)
        self._from_thread(self._worker_done)

    def open_epoch_graph(self, sample: int | None, when_open: Callable[[Screen], None] | None = None) -> None:
        """Open the shown epoch's loss graph, as `i` does (`when_open` gets the graph view)."""
        self._when_graph_open = when_open
        self._open_graph(sample)


def _settings(raw: object) -> list[tuple[int, float, float | None]] | None:
    """A teacher's settings, checked entry by entry: (first epoch, lr scale, L2 strength or None)."""
    if not isinstance(raw, list):
        return None
    settings = []
    for entry in raw:
        if not (isinstance(entry, list) and len(entry) == 3):
            return None
        first, scale, l2 = entry
        if not (isinstance(first, int) and not isinstance(first, bool) and first >= 1):
            return None
        if not (isinstance(scale, float) and math.isfinite(scale) and scale > 0):
            return None
        if not (l2 is None or (isinstance(l2, float) and math.isfinite(l2) and l2 >= 0)):
            return None
        settings.append((first, scale, l2))
    return settings
