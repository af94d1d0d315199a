"""Neuron, Layer and MLP, as micrograd builds them, plus the lecture's tanh net.

Two flavours, chosen by `activation`:

- ``"relu"`` (the default) is micrograd's net: ReLU hidden layers, a linear output layer, weights
  drawn with ``uniform(-1, 1)`` and biases starting at 0. With ``random.seed(1337)`` it reproduces
  micrograd's demo to the digit.
- ``"tanh"`` or ``"sigmoid"`` is the lecture's net: that nonlinearity on every layer, the output
  included, and each neuron draws its weights and then its bias from ``uniform(-1, 1)``.

Weights come from the global `random` module, in micrograd's order, unless `seed` is given: an int
or a `random.Random` gives a run isolated from everything else that uses `random`.

Every node a neuron computes is labelled for the debugger ("L1.n3.act"). A loss over many samples
calls the net once per sample, so each of those labels would appear once per sample: inputs
labelled ``x{s}.{j}`` (as `engine.train` labels sample s) make the labels of that call name the
sample too, ``s3.L1.n3.act``, and every label in a loss graph is one node's. Labels only: not a
number changes.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence

from engine.ops import RELU, SIGMOID, TANH
from engine.value import Value

Seed = int | random.Random | None  # None: the global `random` module


def _rng(seed: Seed) -> random.Random:
    if isinstance(seed, random.Random) or seed is random:
        return seed
    if seed is None:
        return random  # type: ignore[return-value]  # the module's uniform(), so random.seed() applies
    return random.Random(seed)


ACTIVATION_OPS = {"relu": RELU, "tanh": TANH, "sigmoid": SIGMOID}


def _float_forward(neuron: tuple[list[float], float, Callable[[float], float] | None], x: Sequence[float]) -> float:
    """One neuron on plain floats, in the order its Values add up: b + w0·x0 + w1·x1 + ..."""
    weights, act, activate = neuron
    for wi, xi in zip(weights, x):
        act = act + wi * xi
    return act if activate is None else activate(act)


def sample_tag(x: Sequence[Value | float]) -> str:
    """``"s3."`` for inputs labelled ``x3.0, x3.1, ...`` (sample 3's), else ``""``."""
    label = getattr(x[0], "label", "") if len(x) else ""
    if isinstance(label, str) and label.startswith("x"):
        sample, dot, _ = label[1:].partition(".")
        if dot and sample.isdigit():
            return f"s{sample}."
    return ""


class Module:
    def zero_grad(self) -> None:
        for p in self.parameters():
            p.grad = 0.0

    def parameters(self) -> list[Value]:
        return []


class Neuron(Module):
    def __init__(self, nin: int, nonlin: bool = True, activation: str = "relu", seed: Seed = None):
        if activation not in ACTIVATION_OPS:
            raise ValueError(f"activation must be one of {', '.join(ACTIVATION_OPS)}, got {activation!r}")
        rng = _rng(seed)
        self.w = [Value(rng.uniform(-1, 1), label=f"w{i}") for i in range(nin)]
        self.b = Value(rng.uniform(-1, 1) if activation != "relu" else 0.0, label="b")
        self.nonlin = nonlin
        self.activation = activation
        self._name("")

    def __call__(self, x: Sequence[Value | float], tag: str | None = None) -> Value:
        """The neuron on one input; `tag` starts its nodes' labels (default: `sample_tag` of `x`)."""
        if tag is None:
            tag = sample_tag(x)
        # Labels go straight into the slot: they are the engine's own printable names (the tag is
        # "s" and digits), and the checking `label` setter would cost a tenth of a rebuilt epoch.
        act = self.b  # b + w0·x0 + w1·x1 + ..., the very nodes micrograd's sum() builds, labelled
        for wi, xi, product_label, sum_label in zip(self.w, x, self._product_labels, self._sum_labels):
            product = wi * xi
            product._label = tag + product_label
            act = act + product
            act._label = tag + sum_label
        act._label = f"{tag}{self.name}act"  # w·x + b, before the nonlinearity
        if not self.nonlin:
            return act
        out = getattr(act, self.activation)()  # act.relu(), act.tanh() or act.sigmoid()
        out._label = f"{tag}{self.name}out"
        return out

    def predict(self, x: Sequence[float]) -> float:
        """The same number as ``self(x).data``, computed on plain floats without building a graph."""
        return _float_forward(self._frozen(), x)

    def _frozen(self) -> tuple[list[float], float, Callable[[float], float] | None]:
        """Today's weights, bias and nonlinearity, as plain floats and a function."""
        activate = ACTIVATION_OPS[self.activation].forward if self.nonlin else None
        return [w.data for w in self.w], self.b.data, activate

    def parameters(self) -> list[Value]:
        return [*self.w, self.b]

    def _name(self, prefix: str) -> None:
        """Label the parameters and what the neuron computes: "L1.n3.w5", "L1.n3.w5x", "L1.n3.sum5"."""
        self.name = prefix
        for i, w in enumerate(self.w):
            w.label = f"{prefix}w{i}"
        self.b.label = f"{prefix}b"
        self._product_labels = [f"{prefix}w{i}x" for i in range(len(self.w))]
        self._sum_labels = [f"{prefix}sum{i}" for i in range(len(self.w))]

    def __repr__(self) -> str:
        kind = {"relu": "ReLU", "tanh": "Tanh", "sigmoid": "Sigmoid"}[self.activation] if self.nonlin else "Linear"
        return f"{kind}Neuron({len(self.w)})"


class Layer(Module):
    def __init__(self, nin: int, nout: int, **kwargs):
        self.neurons = [Neuron(nin, **kwargs) for _ in range(nout)]

    def __call__(self, x: Sequence[Value | float], tag: str | None = None) -> Value | list[Value]:
        if tag is None:
            tag = sample_tag(x)
        out = [n(x, tag) for n in self.neurons]
        return out[0] if len(out) == 1 else out

    def predict(self, x: Sequence[float]) -> float | list[float]:
        out = [n.predict(x) for n in self.neurons]
        return out[0] if len(out) == 1 else out

    def parameters(self) -> list[Value]:
        return [p for n in self.neurons for p in n.parameters()]

    def _name(self, prefix: str) -> None:
        for j, n in enumerate(self.neurons):
            n._name(f"{prefix}n{j}.")

    def __repr__(self) -> str:
        return f"Layer of [{', '.join(str(n) for n in self.neurons)}]"


class MLP(Module):
    def __init__(self, nin: int, nouts: Sequence[int], activation: str = "relu", seed: Seed = None):
        rng = _rng(seed)
        sizes = [nin, *nouts]
        last = len(nouts) - 1
        self.layers = [
            Layer(sizes[i], sizes[i + 1], nonlin=i != last or activation != "relu", activation=activation, seed=rng)
            for i in range(len(nouts))
        ]
        for i, layer in enumerate(self.layers):
            layer._name(f"L{i}.")

    def __call__(self, x: Sequence[Value | float]) -> Value | list[Value]:
        tag = sample_tag(x)  # the sample of the inputs names the nodes of every layer
        for layer in self.layers:
            x = layer(x, tag)
        return x

    def predict(self, x: Sequence[float]) -> float | list[float]:
        """The same numbers as ``self(x)``, on plain floats: no graph, about 40× cheaper."""
        return self.predictor()(x)

    def predictor(self) -> Callable[[Sequence[float]], float | list[float]]:
        """`predict` frozen at today's weights: its answers no longer follow the weights, so it
        can run on another thread, and many points (a decision-boundary map) share one snapshot."""
        layers = [[n._frozen() for n in layer.neurons] for layer in self.layers]

        def predict(x: Sequence[float]) -> float | list[float]:
            for layer in layers:
                x = [_float_forward(neuron, x) for neuron in layer]
            return x[0] if len(x) == 1 else x

        return predict

    def parameters(self) -> list[Value]:
        return [p for layer in self.layers for p in layer.parameters()]

    def __repr__(self) -> str:
        return f"MLP of [{', '.join(str(layer) for layer in self.layers)}]"


def parameter_norms(parameters: Module | Sequence[Value]) -> tuple[float, float]:
    """(L2 norm of all gradients, largest |gradient|) over a module's (or a list of) parameters."""
    grads = [p.grad for p in (parameters.parameters() if isinstance(parameters, Module) else parameters)]
    if not grads:
        return 0.0, 0.0
    return math.sqrt(sum(g * g for g in grads)), max(abs(g) for g in grads)
