"""The training view's run, without widgets: how fast epochs come, and what stopped them.

A teacher narrates a run, so epochs come at a *pace*: a few a second for the lecture's 20-epoch net
(several seconds to watch), faster for long runs, and as fast as they go on request. `TrainingRun`
keeps the pace and runs the epochs; the screen owns the threads.

Threads: the screen's keys set `running` and `pace` from the UI thread; everything that runs the
scenario's code — the model, the loss, the learning-rate schedule, the measure — runs in the
training thread, through `run_epochs`, `restart` and `look_ahead`. A failure there is kept as the
scenario's ``file:line`` in `failure`, never raised into the UI. The clock and the sleep are
parameters, so a test can run a paced run on a clock of its own.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from pathlib import Path

from engine.train import Trainer, TrainingDiverged
from mgtui.scenario import describe_exception

PACES = (1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1000.0, math.inf)  # epochs per second
WATCHABLE_SECONDS = 8.0  # a run this short (at the slowest default pace) is paced to be watched
SLOWEST_DEFAULT = 5.0  # epochs per second: slower is a teacher's choice, not a default


def default_pace(epochs: int) -> float:
    """The pace a run opens with: the lecture's 20 epochs in 4 s, micrograd's 100 in 5 s, and a run
    too long to watch at 1,000 epochs a second as fast as it goes."""
    for pace in PACES:
        if pace >= SLOWEST_DEFAULT and epochs / pace <= WATCHABLE_SECONDS:
            return pace
    return math.inf


def pace_text(pace: float) -> str:
    return "full speed" if math.isinf(pace) else f"{pace:g} epochs/s"


class TrainingRun:
    """Epochs at a pace, on a `Trainer`, with what stopped them."""

    def __init__(
        self,
        trainer: Trainer,
        source: Path,
        pace: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], object] | None = None,
    ) -> None:
        self.trainer = trainer
        self.source = source  # the scenario file, named in failures
        self.pace = pace or trainer.training.pace or default_pace(trainer.training.epochs)
        self.clock = clock
        self._wake = threading.Event()
        self.sleep = sleep or self._wake.wait  # how a paced wait waits (a test: its own clock)
        self.running = False  # epochs wanted, one after the other at the pace
        self.stepping = threading.Lock()  # held by whoever steps, restarts or copies the trainer
        self._loop_guard = threading.Lock()
        self._loop_active = False
        self.failure = ""  # why the scenario's code stopped training ("file:line: error (at epoch k)")
        self._due = -math.inf  # when the next paced epoch may start

    # --- asked from the UI thread ---------------------------------------------------------------

    def faster(self, steps: int) -> float:
        """The next pace up (`steps` > 0) or down the ladder of `PACES`."""
        below = [i for i, pace in enumerate(PACES) if pace <= self.pace]
        index = below[-1] if below else 0
        self.pace = PACES[max(0, min(len(PACES) - 1, index + steps))]
        self.wake()
        return self.pace

    def wake(self) -> None:
        """Cut a paced wait short: the run was paused, or its pace changed."""
        self._wake.set()

    def claim_loop(self) -> bool:
        """True if the caller is to start a thread for `run_loop`; False if a loop is alive and
        will go on (it sees `running`): two threads never step one trainer at once."""
        with self._loop_guard:
            if self._loop_active:
                return False
            self._loop_active = True
            return True

    # --- the training thread -----------------------------------------------------------------------

    def run_loop(self, cancelled: Callable[[], bool]) -> None:
        """Epochs one after the other at the pace while `running`; sets `running` to False when
        training finishes, fails or diverges. Between epochs it lets go of `stepping`, so a
        restart or an epoch's graph waits for one epoch at most."""
        self._due = -math.inf  # a resumed run starts at once
        while True:
            if not self.trainer.finished and self._wait_turn(cancelled):
                with self.stepping:  # paused meanwhile (a restart may have run): no epoch
                    going = self.running and not self.trainer.finished and self.one_epoch()
                if going:
                    continue
            if self.trainer.finished or self.failure:
                self.running = False
            with self._loop_guard:
                if self.running and not cancelled():
                    continue  # resumed while this loop was on its way out: it goes on
                self._loop_active = False
                return

    def epochs_now(self, epochs: int) -> None:
        """Run up to `epochs` epochs at once, whatever the pace (a single step while paused)."""
        with self.stepping:
            for _ in range(epochs):
                if self.trainer.finished or not self.one_epoch():
                    return

    def _wait_turn(self, cancelled: Callable[[], bool]) -> bool:
        """Wait until the next epoch is due at the pace; False if paused or cancelled meanwhile."""
        while True:
            if not self.running or cancelled():
                return False
            period = 1.0 / self.pace
            now = self.clock()
            if now >= self._due:
                # on time: keep the cadence; late (a slow epoch, a pause): start from now, no burst
                self._due = self._due + period if now - self._due < period else now + period
                return True
            self.sleep(self._due - now)
            self._wake.clear()

    def one_epoch(self) -> bool:
        """Step the trainer once, then ask the schedule for the next rate; False if training
        stopped (a NaN loss, which the trainer records; or the scenario's code failing)."""
        try:
            self.trainer.step()
        except TrainingDiverged:
            return False
        except Exception as error:  # the scenario's loss, model or measure failing mid-run
            self.failure = describe_exception(error, self.source, f"at epoch {self.trainer.epoch + 1}")
            return False
        return self.look_ahead()

    def look_ahead(self) -> bool:
        """Ask the schedule for the next epoch's rate now, so the screen can show it; False (and
        `failure` says where) if the schedule fails."""
        if self.trainer.finished and not callable(self.trainer.training.learning_rate):
            return True
        try:
            self.trainer.look_ahead()
        except Exception as error:
            self.failure = describe_exception(
                error, self.source, f"in the learning-rate schedule at epoch {self.trainer.epoch + 1}"
            )
            return False
        return True

    def restart(self, keep_settings: bool) -> None:
        """The trainer back to its initial weights (see `Trainer.restart`), the failure forgotten."""
        with self.stepping:
            self.trainer.restart(keep_settings)
            self.failure = ""
            self.look_ahead()
