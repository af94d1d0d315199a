"""engine.losses and engine.train: the lecture's SSE loop, micrograd's moons demo, and the Trainer API."""

from __future__ import annotations

import math
import random

import pytest

from engine import Value, topological_order
from engine.data import LECTURE_XS, LECTURE_YS, moons
from engine.losses import LOSSES, accuracy, hinge, mse, sse
from engine.nn import MLP, Neuron, parameter_norms
from engine.train import EpochRecord, Trainer, Training, TrainingDiverged, train

# micrograd's demo.ipynb, cell 7: the loss printed at each of the 100 steps (before that step's update)
DEMO_LOSSES = [
    0.8958441028683222, 1.7235905336972022, 0.7429006313851131, 0.7705641260584198,
    0.3692793385976538, 0.313545481918522, 0.2814234349772435, 0.26888733313983904,
    0.2567147286057417, 0.2704862551637922, 0.24507023853658053, 0.2509905529791503,
    0.21560951851922952, 0.23090378446402726, 0.20152151227899445, 0.22574506279282217,
    0.19447987596204114, 0.21089496199246363, 0.159830773563036, 0.1845374874688392,
    0.18977522856087634, 0.19072704042579647, 0.11733695088756485, 0.12173524408232454,
    0.1261571261277045, 0.16049097780801674, 0.18747197705245805, 0.16741837891059408,
    0.09586583491455399, 0.0877878370742091, 0.11731297569011848, 0.09340146460619836,
    0.12454454903103446, 0.07984002652777272, 0.07727519232921673, 0.07661250143094483,
    0.10610492379198365, 0.09062808429265976, 0.10671887043036932, 0.05225659921975849,
    0.06016009895234464, 0.08596724533333942, 0.051121079431796, 0.052401424016428284,
    0.045306841790015734, 0.07211073370655095, 0.03334238651310234, 0.03143222795751122,
    0.03658536747111507, 0.04829139382390309, 0.09875114765619622, 0.05449063965875453,
    0.03392679435708309, 0.05261517263568441, 0.03250295251424923, 0.02888327387207822,
    0.04139151104027239, 0.018987407426128502, 0.0252383352388374, 0.02079656521341895,
    0.0325971115781023, 0.017863351693480307, 0.023008717832211683, 0.022079325463581503,
    0.029432917853529684, 0.01625151464409193, 0.02846853448326446, 0.013994365546208731,
    0.015552344843651405, 0.0338911994616017, 0.014229870065926908, 0.013255281583285504,
    0.012300277590022063, 0.012676052498355976, 0.020593811955954763, 0.011845398205364453,
    0.016012697472883086, 0.025458360239222128, 0.014382930289661911, 0.011698962425817985,
    0.012318500800515763, 0.014121117031464233, 0.011664591962446225, 0.011589314549188726,
    0.010990299347735226, 0.01098922672069161, 0.010988193757655071, 0.010987200447388707,
    0.010986246779084925, 0.010985332742365272, 0.010984458327280174, 0.010983623524308862,
    0.010982828324359073, 0.010982072718767003, 0.010981356699297042, 0.010980680258141723,
    0.010980043387921506, 0.010979446081684675, 0.010978888332907229, 0.010978370135492717,
]  # fmt: skip
DEMO_ACCURACY_PERCENT = [
    50, 81, 77, 82, 84, 86, 89, 91, 91, 91, 91, 92, 91, 93, 92, 93, 92, 93, 94, 93,
    91, 93, 97, 95, 95, 95, 92, 95, 97, 96, 95, 97, 95, 97, 97, 98, 96, 99, 95, 98,
    100, 96, 99, 97, 100, 97, 99, 100, 99, 99, 96, 99, 100, 97, 99, 100, 98, 100, 100, 100,
    99, 100, 100, 100, 99, 100, 99, 100, 100, 99, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100,
    100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100,
]  # fmt: skip

# The lecture's MLP(3, [4, 4, 1]) tanh net after random.seed(1337): SSE, lr 0.1, 20 steps (6 digits)
LECTURE_LOSSES = [
    6.005403, 3.20215, 2.462171, 2.0881, 1.527864, 0.700098, 0.253941, 0.134797, 0.090351, 0.067319,
    0.053355, 0.044033, 0.037391, 0.032431, 0.028593, 0.025539, 0.023053, 0.020994, 0.01926, 0.017782,
]  # fmt: skip


def demo_schedule(k: int) -> float:
    return 1.0 - 0.9 * k / 100


def moons_training(epochs: int = 100) -> Training:
    xs, ys = moons()
    random.seed(1337)
    return Training(MLP(2, [16, 16, 1]), xs, ys, loss="hinge", learning_rate=demo_schedule, epochs=epochs)


def lecture_training(epochs: int = 20, **kwargs) -> Training:
    random.seed(1337)
    model = MLP(3, [4, 4, 1], activation="tanh")
    options = {"loss": "sse", "learning_rate": 0.1, "epochs": epochs, **kwargs}
    return Training(model, LECTURE_XS, LECTURE_YS, **options)


# --- losses ----------------------------------------------------------------------------------------


def test_sse():
    scores = [Value(0.5), Value(-0.25)]
    loss = sse(scores, [1.0, -1.0])
    assert loss.data == 0.8125  # 0.25 + 0.5625
    loss.backward()
    assert [s.grad for s in scores] == [-1.0, 1.5]  # 2 (score - target)


def test_mse_is_the_mean():
    scores = [Value(0.5), Value(-0.25)]
    loss = mse(scores, [1.0, -1.0])
    assert loss.data == 0.40625
    loss.backward()
    assert [s.grad for s in scores] == [-0.5, 0.75]


def test_mse_multiplies_by_the_reciprocal_like_the_demo():
    scores = [Value(0.1), Value(0.25), Value(-1.1)]
    loss = mse(scores, [1.0, -1.0, 1.0])
    total = sse(scores, [1.0, -1.0, 1.0]).data
    assert loss.data == total * (1.0 / 3) == 2.2608333333333333  # total / 3 would end in ...337
    assert loss._op == "*" and loss._prev[1].data == 1.0 / 3


def test_hinge_without_model():
    scores = [Value(0.5), Value(2.0), Value(3.0)]
    loss = hinge(scores, [1.0, -1.0, 1.0])
    assert loss.data == pytest.approx((0.5 + 3.0 + 0.0) / 3, rel=1e-15)  # relu(1 - y·score), averaged
    loss.backward()
    assert [s.grad for s in scores] == pytest.approx([-1 / 3, 1 / 3, 0.0], rel=1e-15)


def test_hinge_with_l2_regularisation():
    model = Neuron(2, nonlin=False, seed=4)
    model.b.data = 0.3
    scores = [model([1.0, 2.0]), model([-1.0, 0.5])]
    targets = [1.0, -1.0]
    data_loss = sum(max(0.0, 1 - y * s.data) for y, s in zip(targets, scores)) / 2
    l2 = sum(p.data**2 for p in model.parameters())
    assert hinge(scores, targets, model).data == pytest.approx(data_loss + 1e-4 * l2, rel=1e-14)
    assert hinge(scores, targets, model, alpha=0.5).data == pytest.approx(data_loss + 0.5 * l2, rel=1e-14)
    loss = hinge(scores, targets, model, alpha=0.5)
    model.zero_grad()
    loss.backward()
    assert model.b.grad == pytest.approx(_hinge_bias_grad(scores, targets) + 0.5 * 2 * model.b.data, rel=1e-12)


def _hinge_bias_grad(scores, targets):
    return sum(-y for y, s in zip(targets, scores) if 1 - y * s.data > 0) / len(scores)


def test_losses_by_name():
    assert LOSSES == {"sse": sse, "mse": mse, "hinge": hinge}


def test_accuracy():
    assert accuracy([0.3, -0.2, 0.0, -5.0], [1.0, -1.0, 1.0, 1.0]) == 0.5  # a zero score is a negative call
    assert accuracy([], []) == 0.0
    assert accuracy([1.0], [1.0]) == 1.0


# --- Training validation ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"model": "not a model"}, TypeError, "model"),
        ({"inputs": [], "targets": []}, ValueError, "empty"),
        ({"targets": [1.0, -1.0]}, ValueError, "4 inputs but 2 targets"),
        ({"epochs": 0}, ValueError, "epochs"),
        ({"epochs": 2.5}, ValueError, "epochs"),
        ({"epochs": True}, ValueError, "epochs"),
        ({"loss": "cross-entropy"}, ValueError, "unknown loss"),
        ({"loss": 3}, TypeError, "loss"),
        ({"learning_rate": "fast"}, TypeError, "learning_rate"),
    ],
)
def test_training_validation(kwargs, error, match):
    options = {"model": MLP(3, [4, 1], seed=0), "inputs": LECTURE_XS, "targets": LECTURE_YS, **kwargs}
    with pytest.raises(error, match=match):
        Training(**options)


def test_training_rates_and_loss_names():
    training = lecture_training()
    assert training.rate(0) == training.rate(7) == 0.1
    assert training.loss_fn is sse and training.loss_name == "sse"
    scheduled = moons_training()
    assert [scheduled.rate(k) for k in (0, 50, 99)] == [1.0, 0.55, 1.0 - 0.9 * 99 / 100]
    custom = Training(MLP(3, [1], seed=0), LECTURE_XS, LECTURE_YS, loss=sse)
    assert custom.loss_name == "sse"
    assert Training(MLP(3, [1], seed=0), LECTURE_XS, LECTURE_YS).loss == "mse"  # the default


# --- the lecture's loop and micrograd's demo --------------------------------------------------------


def test_lecture_sse_training_losses():
    trainer = Trainer(lecture_training())
    losses = [trainer.step().loss for _ in range(20)]
    assert losses[0] == pytest.approx(6.005403, abs=5e-7)
    assert [round(loss, 6) for loss in losses] == LECTURE_LOSSES
    assert trainer.finished


def test_trainer_runs_the_lectures_loop_exactly():
    """forward, zero the grads, backward, p.data += -0.1 * p.grad: the same floats as the Trainer."""
    trainer = Trainer(lecture_training(epochs=5))
    trained = [trainer.step().loss for _ in range(5)]

    random.seed(1337)
    n = MLP(3, [4, 4, 1], activation="tanh")
    by_hand = []
    for _ in range(5):
        ypred = [n(x) for x in LECTURE_XS]
        loss = sum((yout - ygt) ** 2 for ygt, yout in zip(LECTURE_YS, ypred))
        for p in n.parameters():
            p.grad = 0.0
        loss.backward()
        for p in n.parameters():
            p.data += -0.1 * p.grad
        by_hand.append(loss.data)
    assert trained == by_hand
    assert [p.data for p in trainer.training.model.parameters()] == [p.data for p in n.parameters()]


def test_moons_step_zero():
    trainer = Trainer(moons_training())
    record = trainer.step()
    assert record.loss == 0.8958441028683222
    assert record.measure == 0.5 and trainer.training.measure.name == "accuracy"
    assert record.learning_rate == 1.0
    assert len(record.scores) == 100


@pytest.mark.slow
def test_moons_demo_full_run():
    """micrograd's demo, all 100 steps (about 10 s): the stored trajectory to 1e-9 and its accuracies."""
    records = list(train(moons_training()))
    assert len(records) == 100
    assert records[0].loss == 0.8958441028683222
    assert records[0].measure == 0.5
    first_perfect = next(r.epoch for r in records if r.measure == 1.0)
    assert first_perfect == 41  # the demo's step 40: epochs count from 1, as the view and --print show them
    for record, loss, percent in zip(records, DEMO_LOSSES, DEMO_ACCURACY_PERCENT):
        assert record.loss == pytest.approx(loss, rel=1e-9), record.epoch
        assert round(record.measure * 100) == percent, record.epoch
    assert records[-1].loss == pytest.approx(0.010978370135492717, rel=1e-9)


# --- Trainer -----------------------------------------------------------------------------------------


def test_step_records():
    trainer = Trainer(moons_training(epochs=3))
    assert (trainer.epoch, trainer.finished, trainer.next_learning_rate) == (0, False, None)  # not asked yet
    assert trainer.look_ahead() == 1.0 and trainer.next_learning_rate == 1.0
    model = trainer.training.model
    before = [p.data for p in model.parameters()]
    record = trainer.step()
    assert isinstance(record, EpochRecord) and record.finite
    assert record.epoch == 1 and trainer.epoch == 1 and list(trainer.history) == [record]
    assert (record.grad_norm, record.max_abs_grad) == parameter_norms(model)  # the grads of this epoch
    assert [p.data for p in model.parameters()] == [w - 1.0 * p.grad for w, p in zip(before, model.parameters())]
    assert trainer.next_learning_rate is None  # the schedule is asked once per epoch, by whoever trains
    assert trainer.look_ahead() == trainer.next_learning_rate == demo_schedule(1)
    assert trainer.step().learning_rate == demo_schedule(1)


def test_scores_are_the_forward_pass_before_the_update():
    training = lecture_training(epochs=2)
    expected = [training.model.predict(x) for x in LECTURE_XS]
    trainer = Trainer(training)
    record = trainer.step()
    assert record.scores == tuple(expected)
    assert record.loss == sum((s - y) ** 2 for s, y in zip(expected, LECTURE_YS))
    assert record.measure == accuracy(expected, LECTURE_YS)


def test_rate_scale():
    trainer = Trainer(lecture_training(epochs=3))
    trainer.rate_scale = 2.0
    assert trainer.step().learning_rate == 0.2


def test_stepping_past_the_last_epoch():
    trainer = Trainer(lecture_training(epochs=2))
    trainer.step()
    trainer.step()
    assert trainer.finished
    with pytest.raises(RuntimeError, match="2 epochs"):
        trainer.step()


def test_restart_gives_the_same_run_again():
    trainer = Trainer(lecture_training(epochs=5))
    initial = [p.data for p in trainer.parameters]
    first = [trainer.step() for _ in range(3)]
    trainer.restart()
    assert trainer.epoch == 0 and not trainer.history and trainer.diverged is None and trainer.latest is None
    assert [p.data for p in trainer.parameters] == initial
    assert all(p.grad == 0.0 for p in trainer.parameters)
    again = [trainer.step() for _ in range(3)]
    assert [r.loss for r in again] == [r.loss for r in first]
    assert again == first


def test_loss_graph_is_the_last_epochs_loss():
    trainer = Trainer(lecture_training(epochs=5))
    graph = trainer.loss_graph()  # before any epoch: the first epoch's loss
    assert isinstance(graph, Value)
    first = trainer.step()
    assert graph.data == first.loss
    for _ in range(3):
        record = trainer.step()
        assert trainer.loss_graph().data == record.loss

    trainer.restart()
    record = trainer.step()
    assert trainer.loss_graph().data == record.loss == first.loss


def test_loss_graph_on_moons():
    trainer = Trainer(moons_training(epochs=2))
    record = trainer.step()
    graph = trainer.loss_graph()
    assert graph.data == record.loss == 0.8958441028683222
    assert len(topological_order(graph)) == 65_818  # micrograd's full-batch demo graph


def test_loss_graph_leaves_the_model_alone():
    trainer = Trainer(lecture_training(epochs=5))
    trainer.step()
    params = trainer.parameters
    state = [(p.data, p.grad) for p in params]
    graph = trainer.loss_graph()
    graph.backward()
    assert [(p.data, p.grad) for p in params] == state
    nodes = {id(node) for node in topological_order(graph)}
    assert not any(id(p) in nodes for p in params)  # built on a copy of the model


def test_loss_graph_of_one_sample():
    trainer = Trainer(lecture_training(epochs=5))
    record = trainer.step()
    for i, (score, target) in enumerate(zip(record.scores, LECTURE_YS)):
        assert trainer.loss_graph(sample=i).data == (score - target) ** 2
    assert sum(trainer.loss_graph(sample=i).data for i in range(4)) == pytest.approx(record.loss, rel=1e-15)


# --- divergence --------------------------------------------------------------------------------------


def test_huge_learning_rate_diverges_naming_the_epoch():
    training = Training(MLP(3, [4, 4, 1], seed=1), LECTURE_XS, LECTURE_YS, loss="sse", learning_rate=1e300)
    trainer = Trainer(training)
    first = trainer.step()
    assert first.finite
    with pytest.raises(TrainingDiverged, match="epoch 2") as caught:
        trainer.step()
    record = caught.value.record
    assert record.epoch == 2 == trainer.epoch and not record.finite and math.isinf(record.loss)
    assert trainer.diverged is record and trainer.finished
    assert math.isnan(record.grad_norm) and math.isnan(record.max_abs_grad)  # no backward through inf
    assert parameter_norms(trainer.training.model) == (first.grad_norm, first.max_abs_grad)  # epoch 0's grads
    assert trainer.history[-1] is record
    with pytest.raises(TrainingDiverged, match="epoch 2"):
        trainer.step()
    trainer.restart()
    assert trainer.step().finite  # a restart clears the divergence


def test_nan_input_diverges_at_epoch_zero():
    inputs = [[math.nan, 1.0, 2.0], [1.0, 1.0, 1.0]]
    trainer = Trainer(Training(MLP(3, [4, 1], seed=1), inputs, [1.0, -1.0], loss="mse"))
    with pytest.raises(TrainingDiverged, match="nan at epoch 1"):
        trainer.step()
    assert isinstance(TrainingDiverged(trainer.diverged), ArithmeticError)


def test_train_generator():
    records = list(train(lecture_training(epochs=4)))
    assert [r.epoch for r in records] == [1, 2, 3, 4]
    assert [round(r.loss, 6) for r in records] == LECTURE_LOSSES[:4]


def test_train_generator_stops_at_divergence():
    training = Training(MLP(3, [4, 4, 1], seed=1), LECTURE_XS, LECTURE_YS, loss="sse", learning_rate=1e300, epochs=50)
    records = list(train(training))
    assert len(records) == 2
    assert records[0].finite and not records[1].finite


# --- what the model and the loss must give back --------------------------------------------------------


def test_model_must_output_one_value_per_sample():
    trainer = Trainer(Training(MLP(3, [4, 2], seed=0), LECTURE_XS, LECTURE_YS))
    with pytest.raises(TypeError, match="one Value per sample"):
        trainer.step()


def test_custom_loss_and_a_loss_that_is_not_a_value():
    def total(scores, targets, model):
        return sum(scores)

    trainer = Trainer(Training(MLP(3, [1], seed=0), LECTURE_XS, LECTURE_YS, loss=total, epochs=1))
    assert trainer.step().loss == pytest.approx(sum(trainer.history[0].scores), rel=1e-15)

    trainer = Trainer(Training(MLP(3, [1], seed=0), LECTURE_XS, LECTURE_YS, loss=lambda s, t, m: 1.0))
    with pytest.raises(TypeError, match="must return a Value"):
        trainer.step()
