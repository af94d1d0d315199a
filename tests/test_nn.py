"""engine.nn: micrograd's Module/Neuron/Layer/MLP, seeded exactly like micrograd, and the lecture's tanh net."""

from __future__ import annotations

import random

import pytest

from engine import Value
from engine.data import LECTURE_XS, moons
from engine.nn import MLP, Layer, Module, Neuron, parameter_norms

ARCHITECTURES = [(2, [16, 16, 1]), (3, [4, 4, 1]), (1, [1]), (5, [3, 2]), (4, [7, 1])]


def data(module):
    return [p.data for p in module.parameters()]


@pytest.fixture
def micrograd_nn():
    return pytest.importorskip("micrograd.nn")


def test_parameter_counts():
    assert len(MLP(2, [16, 16, 1]).parameters()) == 337
    assert len(MLP(3, [4, 4, 1]).parameters()) == 41
    assert len(MLP(3, [4, 4, 1], activation="tanh").parameters()) == 41
    assert len(Layer(3, 4).parameters()) == 16
    assert len(Neuron(5).parameters()) == 6
    assert Module().parameters() == []


def test_parameters_are_distinct_values():
    params = MLP(2, [16, 16, 1]).parameters()
    assert all(isinstance(p, Value) for p in params)
    assert len({id(p) for p in params}) == len(params)


def test_seeded_neuron_matches_micrograds_readme_numbers():
    random.seed(1337)
    n = Neuron(2)
    assert [w.data for w in n.w] == [0.23550571390294128, 0.06653114721000164]
    assert n.b.data == 0.0
    x = [Value(1.0), Value(-2.0)]
    out = n(x)
    assert out.data == 0.102443419482938
    out.backward()
    assert [w.grad for w in n.w] == [1.0, -2.0]
    assert n.b.grad == 1.0
    assert [xi.grad for xi in x] == [0.23550571390294128, 0.06653114721000164]


def test_seeded_neuron_equals_micrograds(micrograd_nn):
    random.seed(1337)
    n = Neuron(2)
    random.seed(1337)
    n_mg = micrograd_nn.Neuron(2)
    assert data(n) == data(n_mg)
    assert n([1.0, -2.0]).data == n_mg([1.0, -2.0]).data


@pytest.mark.parametrize(("nin", "nouts"), ARCHITECTURES)
def test_seeded_mlp_equals_micrograds(micrograd_nn, nin, nouts):
    random.seed(1337)
    model = MLP(nin, nouts)
    random.seed(1337)
    model_mg = micrograd_nn.MLP(nin, nouts)
    assert data(model) == data(model_mg)
    assert repr(model) == repr(model_mg)

    x = [0.5 - 0.3 * i for i in range(nin)]
    out = model([Value(v) for v in x])
    out_mg = model_mg([micrograd_nn.Value(v) for v in x])
    outs, outs_mg = (out, out_mg) if isinstance(out, list) else ([out], [out_mg])
    assert [o.data for o in outs] == [o.data for o in outs_mg]
    sum(outs).backward()
    sum(outs_mg).backward()
    for p, p_mg in zip(model.parameters(), model_mg.parameters()):
        assert p.grad == pytest.approx(p_mg.grad, rel=1e-12, abs=1e-12)


def test_mlp_draws_as_many_numbers_as_micrograd(micrograd_nn):
    random.seed(1337)
    MLP(2, [16, 16, 1])
    after = random.random()
    random.seed(1337)
    micrograd_nn.MLP(2, [16, 16, 1])
    assert random.random() == after


def test_global_seed_gives_micrograd_draws_in_order():
    random.seed(1337)
    draws = [random.uniform(-1, 1) for _ in range(2 * 16 + 16 * 16 + 16)]
    random.seed(1337)
    model = MLP(2, [16, 16, 1])
    weights = [w.data for layer in model.layers for n in layer.neurons for w in n.w]
    assert weights == draws
    assert all(n.b.data == 0 for layer in model.layers for n in layer.neurons)  # relu net: biases start at 0


def test_relu_net_structure():
    model = MLP(2, [16, 16, 1])
    assert [len(layer.neurons) for layer in model.layers] == [16, 16, 1]
    assert all(n.nonlin for n in model.layers[0].neurons + model.layers[1].neurons)
    assert not model.layers[2].neurons[0].nonlin  # the output layer is linear
    assert repr(model.layers[2]) == "Layer of [LinearNeuron(16)]"
    assert repr(Neuron(3)) == "ReLUNeuron(3)"
    assert repr(Neuron(3, nonlin=False)) == "LinearNeuron(3)"
    assert repr(MLP(1, [2, 1])) == "MLP of [Layer of [ReLUNeuron(1), ReLUNeuron(1)], Layer of [LinearNeuron(2)]]"


def test_one_neuron_layer_returns_a_value_and_wider_layers_a_list():
    x = [1.0, -1.0]
    assert isinstance(Layer(2, 1)(x), Value)
    out = Layer(2, 3)(x)
    assert isinstance(out, list) and len(out) == 3 and all(isinstance(o, Value) for o in out)
    assert isinstance(MLP(2, [3, 1])(x), Value)
    assert isinstance(MLP(2, [3, 2])(x), list)


def test_neuron_relu_and_linear_outputs():
    n = Neuron(2, seed=0)
    n.w[0].data, n.w[1].data, n.b.data = 1.0, 2.0, -4.0
    assert n([1.0, 1.0]).data == 0.0  # relu(-1)
    assert n([2.0, 2.0]).data == 2.0
    n.nonlin = False
    assert n([1.0, 1.0]).data == -1.0


def test_zero_grad():
    model = MLP(3, [4, 4, 1], seed=3)
    model(LECTURE_XS[0]).backward()
    assert any(p.grad != 0 for p in model.parameters())
    model.zero_grad()
    assert all(p.grad == 0.0 and type(p.grad) is float for p in model.parameters())
    layer = model.layers[2]  # 4 inputs, one neuron
    layer([*LECTURE_XS[0], 1.0]).backward()
    layer.zero_grad()
    assert all(p.grad == 0.0 for p in layer.parameters())


def test_seed_int_is_reproducible_and_leaves_the_global_random_alone():
    random.seed(99)
    state = random.getstate()
    a = MLP(3, [4, 4, 1], seed=5)
    b = MLP(3, [4, 4, 1], seed=5)
    assert random.getstate() == state
    assert data(a) == data(b)
    assert data(MLP(3, [4, 4, 1], seed=6)) != data(a)
    random.seed(5)
    assert data(MLP(3, [4, 4, 1])) == data(a)  # seed=k draws what random.seed(k) would


def test_seed_random_instance():
    a = MLP(2, [3, 1], seed=random.Random(7))
    assert data(a) == data(MLP(2, [3, 1], seed=7))
    rng = random.Random(7)
    first, second = MLP(2, [3, 1], seed=rng), MLP(2, [3, 1], seed=rng)
    assert data(first) == data(a)
    assert data(second) != data(first)  # the generator goes on
    state = random.getstate()
    Neuron(4, seed=random.Random(1))
    assert random.getstate() == state


def test_activation_tanh_is_the_lecture_net():
    random.seed(1337)
    draws = [random.uniform(-1, 1) for _ in range(41)]
    random.seed(1337)
    model = MLP(3, [4, 4, 1], activation="tanh")
    assert data(model) == draws  # per neuron: its weights, then its random bias
    assert all(n.nonlin for layer in model.layers for n in layer.neurons)  # tanh on the output too
    assert repr(model.layers[2]) == "Layer of [TanhNeuron(4)]"
    random.seed(1337)
    model = MLP(3, [4, 4, 1], activation="tanh")
    out = model(LECTURE_XS[0])
    assert out.data == pytest.approx(0.42767811248845455, abs=1e-12)
    assert out._op == "tanh"


def test_activation_sigmoid():
    model = MLP(3, [4, 1], activation="sigmoid", seed=2)
    out = model(LECTURE_XS[1])
    assert out._op == "sigmoid" and 0 < out.data < 1
    assert repr(model.layers[0].neurons[0]) == "SigmoidNeuron(3)"


def test_unknown_activation():
    with pytest.raises(ValueError, match="activation"):
        MLP(2, [2, 1], activation="gelu")
    with pytest.raises(ValueError, match="activation"):
        Neuron(2, activation="softplus")


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid"])
def test_predict_equals_the_graphs_output_bit_for_bit(activation):
    model = MLP(2, [16, 16, 1], activation=activation, seed=1337)
    xs, _ = moons()
    for x in xs[:40]:
        assert model.predict(x) == model(x).data
    layer = Layer(2, 3, activation=activation, seed=4)
    assert layer.predict(xs[0]) == [o.data for o in layer(xs[0])]
    neuron = Neuron(2, nonlin=False, seed=4)
    assert neuron.predict(xs[1]) == neuron(xs[1]).data
    wide = MLP(2, [3, 2], activation=activation, seed=4)
    assert wide.predict(xs[2]) == [o.data for o in wide(xs[2])]


def test_predict_follows_weight_updates():
    model = MLP(2, [4, 1], seed=8)
    before = model.predict([0.3, -0.7])
    for p in model.parameters():
        p.data += 0.1
    assert model.predict([0.3, -0.7]) != before
    assert model.predict([0.3, -0.7]) == model([0.3, -0.7]).data


def test_parameter_names_are_unique_labels():
    labels = [p.label for p in MLP(2, [3, 1]).parameters()]
    assert all(labels) and len(set(labels)) == len(labels)


def test_parameter_norms():
    model = MLP(2, [2, 1], seed=1)
    grads = [3.0, -4.0] + [0.0] * (len(model.parameters()) - 2)
    for p, g in zip(model.parameters(), grads):
        p.grad = g
    assert parameter_norms(model) == (5.0, 4.0)
    assert parameter_norms(Module()) == (0.0, 0.0)


def test_every_label_in_the_moons_loss_graph_is_one_node_s_and_names_its_sample():
    from collections import Counter

    from engine.stepping import Timeline
    from mgtui.scenario import load, resolve

    loss = load(resolve("moons")).graph()
    assert loss.data == 0.8958441028683222  # labels only: micrograd's demo number, to the last bit
    t = Timeline(loss)
    counts = Counter(label for label in t.labels if label)
    assert max(counts.values()) == 1
    acts = [label for label in counts if label.endswith("L1.n3.act")]
    assert len(acts) == 100 and "s37.L1.n3.act" in acts
    assert not any(t.name(i).startswith("#") for i in range(len(t.nodes)))  # literals by value, the rest labelled


def test_a_sample_s_inputs_name_the_nodes_of_its_call_and_other_inputs_do_not():
    model = MLP(2, [2, 1], seed=1)
    tagged = model([Value(0.5, label="x7.0"), Value(-1.0, label="x7.1")])
    plain = model([0.5, -1.0])
    assert tagged.label == "s7.L1.n0.act" and plain.label == "L1.n0.act"
    assert tagged.data == plain.data
