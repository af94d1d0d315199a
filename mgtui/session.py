"""A scenario made ready to show: its graph recorded as a timeline and, if it trains, its training.

All of the user's code runs here, before any screen is drawn, and every failure becomes a
`ScenarioError` naming the file.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine import Value
from engine.stepping import Cursor, Timeline
from engine.train import Trainer, Training
from mgtui.scenario import Scenario, ScenarioError, describe_exception


@dataclass
class Session:
    scenario: Scenario
    timeline: Timeline
    training: Training | None
    position: int | None = None  # where the cursor starts (None: the start)

    @classmethod
    def open(cls, scenario: Scenario, need_training: bool = False, position: int | None = None) -> Session:
        if need_training and not scenario.has_training:
            raise ScenarioError(f"{scenario.path}: defines no training(), so there is nothing to train")
        training = scenario.training() if scenario.has_training else None
        if scenario.has_graph:
            if training is not None:  # one sample's forward pass proves model, data and loss fit
                first_loss_graph(training, scenario, sample=0)
            output = scenario.graph()
        else:
            output = first_loss_graph(training, scenario)
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
    except Exception as error:
        raise ScenarioError(describe_exception(error, scenario.path, "in training()'s first forward pass")) from None


def record(output: object, scenario: Scenario) -> Timeline:
    """The timeline of `output`, or a `ScenarioError` saying why the pass cannot be recorded."""
    try:
        return Timeline(output)
    except (ValueError, TypeError, ArithmeticError, RecursionError, MemoryError) as error:
        raise ScenarioError(f"{scenario.path}: cannot record the pass of graph(): {error}") from None
