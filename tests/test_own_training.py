"""Training a learner's own model with their own Values: the lecture's loop, their backward()."""

from __future__ import annotations

import pytest

from engine.data import LECTURE_XS, LECTURE_YS
from engine.nn import MLP
from engine.stepping import Timeline
from engine.train import Trainer, Training
from mgtui.screens.graph import GraphScreen
from tests import own_values as ov
from tests.screen import screen_text, settle
from tests.test_training_view import SIZE, training_app, training_screen


def engine_and_own(cls: type = ov.Mini) -> tuple[Training, Training]:
    engine_model = MLP(3, [4, 4, 1], activation="tanh", seed=1337)
    own_model = ov.MLP(engine_model, cls)
    common = {"inputs": LECTURE_XS, "targets": LECTURE_YS, "loss": "sse", "learning_rate": 0.1, "epochs": 20}
    return Training(engine_model, **common), Training(own_model, **common)


def test_a_learner_s_model_trains_to_the_engine_s_numbers_from_the_same_weights():
    engine, own = engine_and_own()
    engine_run, own_run = Trainer(engine), Trainer(own)
    for _ in range(20):
        want, got = engine_run.step(), own_run.step()
        assert got.loss == pytest.approx(want.loss, rel=1e-12)
        assert got.scores == pytest.approx(want.scores, rel=1e-12)
        assert got.grad_norm == pytest.approx(want.grad_norm, rel=1e-12)
    for p, q in zip(engine.model.parameters(), own.model.parameters()):
        assert q.data == pytest.approx(p.data, rel=1e-12)
    assert own_run.history[-1].loss == pytest.approx(0.01778, abs=1e-5)


def test_the_loop_runs_their_backward_on_their_values():
    calls = []

    class Counted(ov.Mini):
        def backward(self):
            calls.append(self)
            super().backward()

    _, own = engine_and_own(Counted)
    trainer = Trainer(own)
    trainer.step()
    assert len(calls) == 1 and isinstance(calls[0], Counted)
    graph = trainer.loss_graph()
    assert isinstance(graph, Counted)
    assert Timeline(graph).observed


def test_an_epoch_s_graph_steps_through_their_closures_without_a_finding():
    _, own = engine_and_own()
    trainer = Trainer(own)
    trainer.step()
    t = Timeline(trainer.loss_graph(sample=2))
    assert t.observed and t.findings == {}
    assert t.values[-1] == pytest.approx((trainer.history[0].scores[2] - LECTURE_YS[2]) ** 2)


def test_their_weights_are_named_by_their_place_in_the_model_as_the_engine_names_its_own():
    engine, own = engine_and_own()
    assert Trainer(own).parameter_labels == Trainer(engine).parameter_labels  # L0.n0.w0 … L2.n0.b
    trainer = Trainer(own)
    t = Timeline(trainer.loss_graph(sample=0))
    names = {t.name(i) for i in range(len(t.nodes)) if not t.operands[i]}
    assert {"L0.n0.w0", "L0.n3.b", "L2.n0.b", "x0.0"} <= names
    assert all(p.label == "" for p in own.model.parameters())  # the copy's weights were named, not theirs


def test_weights_of_a_model_of_another_shape_are_named_by_their_index():
    class Flat:
        def __init__(self):
            self.w, self.b = ov.Mini(0.5), ov.Mini(-0.1)

        def __call__(self, x):
            return (self.w * x[0] + self.b).tanh()

        def parameters(self):
            return [self.w, self.b]

    assert Trainer(Training(Flat(), LECTURE_XS, LECTURE_YS)).parameter_labels == ["p0", "p1"]


def test_a_loss_their_class_cannot_build_is_a_clear_error():
    _, own = engine_and_own()
    own.loss_fn = Training(own.model, LECTURE_XS, LECTURE_YS, loss="hinge").loss_fn
    own.loss = "hinge"
    with pytest.raises(TypeError, match=r"the loss 'hinge' cannot be built with your Mini: .*relu"):
        Trainer(own).step()


def test_a_model_whose_parameters_are_not_values_is_refused():
    class Broken:
        def __call__(self, x):
            return x[0]

        def parameters(self):
            return [1.0, 2.0]

    with pytest.raises(TypeError, match="parameters\\(\\) must return Values"):
        Trainer(Training(Broken(), LECTURE_XS, LECTURE_YS))


def test_micrograd_s_own_mlp_trains_with_mse():
    pytest.importorskip("micrograd")
    import random

    from micrograd.nn import MLP as MicrogradMLP

    random.seed(3)
    model = MicrogradMLP(3, [4, 1])
    trainer = Trainer(Training(model, LECTURE_XS, LECTURE_YS, loss="mse", learning_rate=0.05, epochs=30))
    losses = [trainer.step().loss for _ in range(30)]
    assert losses[-1] < losses[0]
    assert Timeline(trainer.loss_graph()).findings == {}


async def test_the_training_view_trains_own_mlp_and_i_opens_its_epoch_graph():
    app = training_app("own_mlp")
    async with app.run_test(size=SIZE) as pilot:
        screen = training_screen(app)
        screen.run_epochs_now(20)
        await pilot.pause()
        assert "epoch 20/20" in screen_text(app)
        assert screen.trainer.history[-1].loss == pytest.approx(0.0177819, abs=1e-6)
        await pilot.press("i")
        await settle(pilot)
        assert isinstance(app.screen, GraphScreen)
        assert app.screen.cursor.timeline.observed
        await pilot.press("e")
        assert "pass complete" in screen_text(app)
