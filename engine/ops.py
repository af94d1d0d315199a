"""Every operation the engine knows: its forward value and its local derivatives, side by side.

This table is the single source of the calculus. `Value.backward()` and the stepping model both
read the local derivatives from here, so what the debugger explains is exactly what the engine does.

An `Op` is a `str` (``node._op == "+"`` works as in micrograd) that also carries:

- ``forward(*operand_data) -> float``: the node's value from its operands' values;
- ``local(out, *operand_data) -> tuple``: d out / d operand for each operand, in operand order;
- ``formula`` / ``local_text``: how the lecture writes them, with ``{0}``, ``{1}`` for the operands
  and ``{out}`` for the node itself (tanh's local derivative is ``1 − {out}²``, as the lecture's
  ``(1 - t**2)`` is written in terms of the output);
- ``passes``: what the op's backward step does with the grad ``{grad}`` it passes on, in words;
- ``method``: the Python method that computes it in a micrograd-style class (``__mul__``, ``tanh``),
  so a wrong number in a learner's own class can point at the method to look at.

The engine's own operators build only ``+ * **k tanh ReLU exp log sigmoid`` (``-`` and ``/`` are
spelled with them, as micrograd does); ``-`` and ``/`` are here because a learner's own class may
make them ops of their own, and mgtui checks and mirrors such graphs with this same table.
"""

from __future__ import annotations

import math
from collections.abc import Callable


class Op(str):
    """An operation's symbol, forward rule and local derivatives."""

    forward: Callable[..., float]
    local: Callable[..., tuple[float, ...]]
    formula: str
    local_text: tuple[str, ...]
    passes: str
    method: str
    exponent: float | None = None
    known = True  # False: an op of the learner's own that mgtui can show but not compute

    @property
    def arity(self) -> int:
        return len(self.local_text)

    # An op is a constant of the engine: copies and pickles of a graph share the table's instances.
    def __reduce__(self):
        return op_named, (str(self),)

    def __copy__(self) -> Op:
        return self

    def __deepcopy__(self, memo: dict) -> Op:
        return self


def _op(
    symbol: str,
    forward: Callable[..., float],
    local: Callable[..., tuple[float, ...]],
    formula: str,
    local_text: tuple[str, ...],
    passes: str = "passes its grad {grad} to its operands, each times its local derivative",
    method: str = "",
) -> Op:
    op = Op(symbol)
    op.forward, op.local, op.formula, op.local_text, op.method = forward, local, formula, local_text, method
    op.passes = passes
    return op


def _domain_error(op: str, why: str, x: float) -> ValueError:
    return ValueError(f"{op}: {why}, got {x!r}")


# --- the operations --------------------------------------------------------------------------

LEAF = _op("", lambda: math.nan, lambda out: (), "", (), "")

ADD = _op(
    "+",
    lambda a, b: a + b,
    lambda out, a, b: (1.0, 1.0),
    "{0} + {1}",
    ("1", "1"),
    "passes its grad {grad} unchanged to each operand",
    "__add__",
)

MUL = _op(
    "*",
    lambda a, b: a * b,
    lambda out, a, b: (b, a),
    "{0} · {1}",
    ("{1}", "{0}"),
    "each operand gets the other one's value times its grad {grad}",
    "__mul__",
)


def _tanh(x: float) -> float:
    # math.tanh saturates to ±1; the lecture's (e^2x - 1)/(e^2x + 1) overflows near |x| = 355.
    return math.tanh(x)


TANH = _op(
    "tanh",
    _tanh,
    lambda out, a: (1 - out**2,),
    "tanh({0})",
    ("1 − {out}²",),
    "its operand gets its grad {grad} times tanh's slope 1 − {out}²",
    "tanh",
)

RELU = _op(
    "ReLU",
    lambda a: 0.0 if a < 0 else a,
    lambda out, a: (float(out > 0),),
    "relu({0})",
    ("1 if {0} > 0 else 0",),
    "its operand gets its grad {grad} if it was positive, else nothing",
    "relu",
)


def _exp(x: float) -> float:
    try:
        return math.exp(x)
    except OverflowError:
        return math.inf  # as torch and numpy do: let the caller see the inf, not a crash


EXP = _op(
    "exp",
    _exp,
    lambda out, a: (out,),  # d/dx e^x = e^x: the output itself, not the input
    "exp({0})",
    ("{out}",),
    "its operand gets its grad {grad} times exp's slope: its own value {out}",
    "exp",
)


def _log(x: float) -> float:
    if not x > 0:
        raise _domain_error("log", "needs a positive input", x)
    return math.log(x)


LOG = _op(
    "log",
    _log,
    lambda out, a: (1 / a,),
    "log({0})",
    ("1/{0}",),
    "its operand gets its grad {grad} times log's slope 1/{0}",
    "log",
)


def _sigmoid(x: float) -> float:
    # Written so that exp never sees a large positive argument: 1/(1+exp(-x)) overflows below -709.
    if x >= 0:
        return 1 / (1 + math.exp(-x))
    e = math.exp(x)
    return e / (1 + e)


SIGMOID = _op(
    "sigmoid",
    _sigmoid,
    lambda out, a: (out * (1 - out),),
    "σ({0})",
    ("{out} · (1 − {out})",),
    "its operand gets its grad {grad} times σ's slope {out} · (1 − {out})",
    "sigmoid",
)


SUB = _op(
    "-",
    lambda a, b: a - b,
    lambda out, a, b: (1.0, -1.0),
    "{0} − {1}",
    ("1", "−1"),
    "passes its grad {grad} to {0}, and its negative to {1}",
    "__sub__",
)


def _divide(a: float, b: float) -> float:
    if b == 0:
        raise _domain_error("/", "division by zero", b)
    return a / b


DIV = _op(
    "/",
    _divide,
    lambda out, a, b: (1 / b, -a / (b * b)),
    "{0} / {1}",
    ("1/{1}", "−{0}/{1}²"),
    "{0} gets its grad {grad} times 1/{1}; {1} gets it times −{0}/{1}²",
    "__truediv__",
)


_powers: dict[float, Op] = {}


def power(exponent: float) -> Op:
    """The op ``x ** exponent`` (micrograd spells it ``'**2'``), one instance per exponent."""
    op = _powers.get(exponent)
    if op is not None:
        return op
    k = exponent

    def forward(a: float) -> float:
        if a == 0 and k < 0:
            raise _domain_error(f"**{k}", "0 cannot be raised to a negative power (division by zero)", a)
        if a < 0 and k != int(k):
            raise _domain_error(f"**{k}", "a negative base needs a whole-number exponent", a)
        try:
            return a**k
        except OverflowError:
            return math.copysign(math.inf, a) if k % 2 == 1 else math.inf

    def local(out: float, a: float) -> tuple[float]:
        try:
            return (k * a ** (k - 1),)
        except ZeroDivisionError:  # 0 ** (k-1) with k < 1: a vertical slope, inf as torch gives it
            return (math.copysign(math.inf, k),)
        except OverflowError:  # like the forward: an infinite slope, not a crash
            negative = a < 0 and (k - 1) % 2 == 1
            return (math.copysign(math.inf, -k if negative else k),)

    op = _op(
        f"**{k}",
        forward,
        local,
        "{0}^" + _exponent_text(k),
        (_power_rule_text(k),),
        f"its operand gets its grad {{grad}} times the power rule's slope {_power_rule_text(k)}",
        "__pow__",
    )
    op.exponent = k
    _powers[exponent] = op
    return op


def _power_rule_text(k: float) -> str:
    """d/dx x^k = k·x^(k−1), as one writes it: ``2·x`` for a square, not ``2·x^1``."""
    if k - 1 == 1:
        return f"{_exponent_text(k)}·{{0}}"
    if k - 1 == 0:
        return _exponent_text(k)
    return f"{_exponent_text(k)}·{{0}}^{_exponent_text(k - 1)}"


def _exponent_text(k: float) -> str:
    text = repr(k)
    return text if k >= 0 else f"({text})"


_NAMED: dict[str, Op] = {op: op for op in (LEAF, ADD, MUL, TANH, RELU, EXP, LOG, SIGMOID, SUB, DIV)}
_NAMED_LOWER: dict[str, Op] = {symbol.lower(): op for symbol, op in _NAMED.items()}


def op_named(symbol: str) -> Op:
    """The `Op` for a micrograd-style op string: ``'+'``, ``'*'``, ``'**2'``, ``'ReLU'``, ``'tanh'``..."""
    if isinstance(symbol, Op):
        return symbol
    op = _NAMED.get(symbol)
    if op is not None:
        return op
    if symbol.startswith("**"):
        try:
            exponent = float(symbol[2:])
        except ValueError:
            pass
        else:
            return power(int(exponent) if exponent.is_integer() else exponent)
    op = _NAMED_LOWER.get(symbol.lower())
    if op is not None:
        return op
    known = ", ".join(repr(s) for s in _NAMED if s) + ", '**k'"
    raise ValueError(f"unknown op {symbol!r}: the engine knows {known}")


def unknown_op(symbol: str, arity: int) -> Op:
    """An op of a learner's own class that the table does not know: it can be drawn and stepped
    (with the numbers their code computed) but not computed, checked or mirrored."""

    def cannot(*_: float) -> tuple[float, ...]:
        raise ValueError(f"op {symbol!r} is not one mgtui knows, so it cannot compute it")

    operands = ", ".join(f"{{{j}}}" for j in range(arity))
    literal = symbol.replace("{", "{{").replace("}", "}}")  # the symbol is text in a template, not fields
    passes = f"op {literal!r} is yours: mgtui shows what your _backward added"
    op = _op(symbol, cannot, cannot, f"{literal}({operands})", ("?",) * arity, passes)
    op.known = False
    return op
