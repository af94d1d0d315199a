"""A scenario made ready to show: its graph recorded as a timeline and, if it trains, its training.

All of the user's code runs here, before any screen is drawn, and every failure becomes a
`ScenarioError` naming the file.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from engine import Value
from engine.stepping import Cursor, Timeline
from engine.text import one_line
from engine.train import Trainer, Training
from mgtui.scenario import Scenario, ScenarioError, describe_exception, is_users_own_interrupt, users_line


@dataclass
class Session:
    scenario: Scenario
    timeline: Timeline
    training: Training | None
    position: int | None = None  # where the cursor starts (None: the start)

    @classmethod
    def open(
        cls,
        scenario: Scenario,
        need_training: bool = False,
        position: int | None = None,
        on_stage: Callable[[str], None] | None = None,
    ) -> Session:
        """`on_stage` hears what runs next ("running graph()"...), for a slow scenario's progress line."""
        stage = on_stage or (lambda _: None)
        if need_training and not scenario.has_training:
            raise ScenarioError(f"{scenario.path}: defines no training(), so there is nothing to train")
        stage("running training()")
        training = scenario.training() if scenario.has_training else None
        if scenario.has_graph:
            if training is not None:  # one sample's forward pass proves model, data and loss fit
                stage("running the model and loss on one sample")
                first_loss_graph(training, scenario, sample=0)
            stage("running graph()")
            output = scenario.graph()
        else:
            stage("building the first epoch's loss graph")
            output = first_loss_graph(training, scenario)
        stage("recording the pass")
        timeline = record(output, scenario)
        if position is not None and not 0 <= position <= len(timeline):
            raise ScenarioError(f"--steps {position}: {scenario.name}'s timeline has positions 0 to {len(timeline)}")
        return cls(scenario, timeline, training, position)

    def cursor(self, position: int | None = None) -> Cursor:
        """A cursor at `position`, by default where the session starts (the end for --print)."""
        if position is None:
            position = len(self.timeline) if self.position is None else self.position
        return Cursor(self.timeline, position)

    def fresh_output(self) -> object:
        """The graph built once more, from scratch (for checks that run the graph's own backward())."""
        if self.scenario.has_graph:
            return self.scenario.graph()
        return first_loss_graph(self.training, self.scenario)

    def trainer(self) -> Trainer:
        """A fresh trainer for the scenario's training (callers check that it has one)."""
        return Trainer(self.training)


def first_loss_graph(training: Training, scenario: Scenario, sample: int | None = None) -> Value:
    """The loss graph before any training (of one sample, or the batch): proof that model, data
    and loss fit together."""
    try:
        return Trainer(training).loss_graph(sample)
    except BaseException as error:  # their model and loss run here: an exit or a raise is theirs
        if is_users_own_interrupt(error):
            raise
        raise ScenarioError(describe_exception(error, scenario.path, "in training()'s first forward pass")) from None


def record(output: object, scenario: Scenario) -> Timeline:
    """The timeline of `output`, or a `ScenarioError` saying why the pass cannot be recorded.

    Recording runs the learner's code too (their ``_backward`` closures, a ``_prev`` property):
    what fails there is named at their line; what the graph itself is (a cycle, a label or data
    that is not a number) is said of the graph."""
    try:
        return Timeline(output)
    except BaseException as error:
        if is_users_own_interrupt(error):
            raise
        if users_line(error, scenario.path) is not None:
            raise ScenarioError(describe_exception(error, scenario.path, "while recording the pass")) from None
        raise ScenarioError(f"{scenario.path}: cannot record the pass of graph(): {one_line(error)}") from None
