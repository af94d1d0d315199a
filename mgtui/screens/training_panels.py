"""What the training view's panels say, as Rich renderables: plain functions of one `Snapshot`.

Every measured figure on screen — loss, accuracy, predictions, grads, the weights table — comes
from the one snapshot the screen shows (an epoch's pass, at the weights before its update), so the
panels cannot disagree. The settings (learning rate, L2 strength, pace) are what the *next*
epoch will use.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from rich.console import Group
from rich.table import Table
from rich.text import Text

from engine.train import Snapshot, Trainer
from mgtui.training_run import TrainingRun, pace_text

STATS_HEIGHT = 10  # rows of the stats panel (fixed in app.tcss, so updates never re-layout)
ACCUMULATING = "zero_grad=False: grads add up across epochs (the lecture's bug)"


def which_weights(snapshot: Snapshot | None) -> str:
    """The weights every measured figure is at."""
    if snapshot is None:
        return "initial (no epoch run yet)"
    text = f"epoch {snapshot.record.epoch}, before its update"
    return text if len(text) <= 28 else f"epoch {snapshot.record.epoch}, pre-update"


def stats(trainer: Trainer, run: TrainingRun, shown: Snapshot | None, sample: int | None, note: str) -> Group:
    """The figures of the shown epoch, the settings of the next, then what the run's state calls for."""
    training, record = trainer.training, None if shown is None else shown.record
    measure = training.measure
    table = Table.grid(padding=(0, 1))
    table.add_column(style="bold", no_wrap=True, min_width=9)
    table.add_column(no_wrap=True, overflow="ellipsis")
    table.add_row("weights", which_weights(shown))
    if record is None:
        table.add_row("loss", f"— ({training.loss_name})")
        table.add_row(measure.name, "—")
    else:
        table.add_row("loss", f"{record.loss:.6g} ({training.loss_name})")
        table.add_row(measure.name, measure.text(record.measure))
    if training.validation is not None:  # the same loss and measure, on samples it never trains on
        if record is None:
            table.add_row("val", "—")
        else:
            table.add_row("val", f"loss {record.validation_loss:.4g} · {measure.text(record.validation_measure)}")
    table.add_row("lr", _rate_text(trainer, record))
    if trainer.l2 is not None:
        table.add_row("L2 α", _l2_text(trainer))
    table.add_row("pace", f"{pace_text(run.pace)} (</>)")
    if record is not None:
        table.add_row("‖grad‖", f"{record.grad_norm:.4g} · max {record.max_abs_grad:.4g}")
    if sample is not None:  # i opens the whole batch's loss unless s chose one sample
        table.add_row("i opens", f"sample {sample}'s loss (s: change)")
    rows = table.row_count
    return Group(table, *_notes(trainer, run, note)[: max(0, STATS_HEIGHT - rows)])


def _rate_text(trainer: Trainer, record) -> str:
    rate = trainer.next_learning_rate
    if rate is None:  # a schedule not asked yet for the next epoch
        return "—" if record is None else f"{record.learning_rate:.4g} last epoch"
    scale = trainer.rate_scale
    text = f"{rate:.4g}" if scale == 1 else f"{rate:.4g} = {rate / scale:.4g} ×{scale:g}"
    if trainer.schedule_held:
        return f"{text} (schedule held)"
    return f"{text} (+/-)"


def _l2_text(trainer: Trainer) -> str:
    alpha, start = trainer.next_l2, trainer.training.l2_strength
    changed = "" if alpha == start else f", was {start:g}"
    return f"{alpha:g} (a/A{changed})"


def _notes(trainer: Trainer, run: TrainingRun, note: str) -> list[Text]:
    """What the run's state calls for, most urgent first."""
    notes = []
    if run.failure:
        notes.append(Text(f"training stopped: {run.failure}", style="bold red"))
    diverged = trainer.diverged
    if diverged is not None:
        notes.append(Text(f"stopped at epoch {diverged.epoch}: the loss is {diverged.loss}", style="bold red"))
        notes.append(Text("r restarts (- first lowers the learning rate)", style="red"))
    if note:
        notes.append(Text(note, style="italic"))
    if not trainer.training.zero_grad:
        notes.append(Text(ACCUMULATING, style="yellow"))
    if trainer.tape_note:  # why epochs run slower than a tape makes them
        notes.append(Text(trainer.tape_note, style="dim"))
    return notes


def predictions(trainer: Trainer, shown: Snapshot | None) -> Table:
    """Each sample's target beside the shown epoch's score: ✓/✗ for classes, the error otherwise."""
    training = trainer.training
    classes = training.classes
    table = Table(box=None, padding=(0, 1), show_edge=False)
    table.add_column("#", justify="right")
    table.add_column("target", justify="right")
    table.add_column("score" if classes else "prediction", justify="right")
    table.add_column("" if classes else "error", justify="right")
    scores = None if shown is None else shown.record.scores
    _prediction_rows(table, training.targets, scores, classes, "")
    if training.validation is not None:  # rows v0, v1, …: samples never trained on
        table.add_section()
        validation_scores = None if shown is None else shown.validation_scores
        _prediction_rows(table, training.validation[1], validation_scores, classes, "v")
    return table


def _prediction_rows(table: Table, targets: Sequence[float], scores, classes, prefix: str) -> None:
    for i, target in enumerate(targets):
        if scores is None:
            table.add_row(f"{prefix}{i}", f"{target:.3g}", "—", "")
            continue
        score = scores[i]
        if classes is None:
            last = f"{abs(score - target):.3g}"
        else:
            last = "✓" if classes.correct(score, target) else Text("✗", style="bold red")
        table.add_row(f"{prefix}{i}", f"{target:.3g}", f"{score:.4g}", last)


def weights(trainer: Trainer, shown: Snapshot | None) -> Table:
    """Every parameter, the ones with the largest |grad| first: which weights the shown epoch moves."""
    table = Table(box=None, padding=(0, 1), show_edge=False)
    table.add_column("parameter", no_wrap=True, overflow="ellipsis")
    table.add_column("value", justify="right")
    table.add_column("grad", justify="right")
    labels = trainer.parameter_labels
    if shown is None:
        for label, value in zip(labels, trainer.initial_weights):
            table.add_row(label, f"{value:.4g}", "—")
        return table
    order = sorted(range(len(labels)), key=lambda i: _magnitude(shown.grads[i]), reverse=True)
    for i in order:
        table.add_row(labels[i], f"{shown.weights[i]:.4g}", f"{shown.grads[i]:.4g}")
    return table


def _magnitude(grad: float) -> float:
    return math.inf if math.isnan(grad) else abs(grad)
