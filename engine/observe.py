"""Record the pass of a learner's own Value class by running *their* ``_backward``, one node at a time.

The forward steps show the values their code computed. The backward pass does what the lecture's
``backward()`` does — zero every grad, seed the output's grad with 1.0, call each node's
``_backward`` in reverse topological order — and watches every write to a ``grad`` while it runs:
for the length of the recording, the class's ``__setattr__`` also notes ``(node, value)``. Each
write becomes an edge of the recording, so stepping back restores exactly what their code did,
including writes to nodes that are not the step's operands.

`engine.judge` then holds every step against the op table.
"""

from __future__ import annotations

import math
import os
import traceback
from array import array
from collections.abc import Iterator
from contextlib import contextmanager

from engine.foreign import GraphShape, number, walk
from engine.recording import Recording, collector_paused
from engine.text import one_line, printable


def record_observed_pass(output: object) -> Recording:
    """The pass over `output`'s graph as the learner's code computes it, every step judged."""
    from engine.judge import judge

    with collector_paused():
        shape = walk(output)
        computed = [i for i, operands in enumerate(shape.operands) if operands]
        log = run_backward(shape, computed)
        recording = replay(shape, _values(shape), computed, log)
        recording.findings = judge(recording, log)
    return recording


def _values(shape: GraphShape) -> array:
    try:
        return array("d", [float(node.data) for node in shape.nodes])
    except (TypeError, ValueError):
        for node in shape.nodes:
            number(node)  # raises, naming the node whose data is not a number
        raise


class GradWrites:
    """Every write to a grad during the run, in order, and where each ``_backward`` call's end."""

    def __init__(self) -> None:
        self.objects: list[object] = []
        self.values: list[object] = []
        self.ends: list[int] = []  # call k's writes end at index ends[k]
        self.raised: dict[int, tuple[str, str]] = {}  # node -> (what it raised, where)
        self.not_numbers: dict[int, str] = {}  # edge -> the type of what was written instead of a number


def run_backward(shape: GraphShape, computed: list[int]) -> GradWrites:
    """Zero the grads, seed the output, call each ``_backward`` in reverse topological order.

    The loop is as bare as the lecture's: what a call writes is noted by the watched ``__setattr__``,
    and a call that raises is a learner's bug to report on that step, not a crash of ours.
    """
    nodes = shape.nodes
    for node in nodes:
        node.grad = 0.0
    nodes[shape.output_index].grad = 1.0
    log = GradWrites()
    end, raised = log.ends.append, log.raised
    with watching_grad_writes({type(node) for node in nodes}, log) as unwatched:
        if unwatched:
            _run_reading_back(nodes, computed, shape.operands, log, tuple(unwatched))
            return log
        objects = log.objects
        for i in reversed(computed):
            try:
                nodes[i]._backward()
            except Exception as error:
                raised[i] = _what_raised(error)
            end(len(objects))
    return log


def _run_reading_back(nodes: list, computed: list[int], operands: list, log: GradWrites, unwatched: tuple) -> None:
    """With nodes of a class whose writes cannot be watched: read their grads back after each call
    (only the operands', so a stray write to such a node goes unseen)."""
    known = {id(node): node.grad for node in nodes if isinstance(node, unwatched)}
    for i in reversed(computed):
        try:
            nodes[i]._backward()
        except Exception as error:
            log.raised[i] = _what_raised(error)
        for o in dict.fromkeys(operands[i]):
            node = nodes[o]
            if isinstance(node, unwatched) and node.grad != known[id(node)]:
                known[id(node)] = node.grad
                log.objects.append(node)
                log.values.append(node.grad)
        log.ends.append(len(log.objects))


@contextmanager
def watching_grad_writes(classes: set[type], log: GradWrites) -> Iterator[list[type]]:
    """While inside, every ``obj.grad = value`` on an instance of `classes` is also noted in `log`.

    The class's own ``__setattr__`` (usually object's) still does the write. A class that cannot be
    patched (a built-in type) is left alone and yielded: its writes can only be read back.
    """
    patched: list[tuple[type, object]] = []
    unwatched: list[type] = []
    try:
        for cls in classes:
            own = cls.__dict__.get("__setattr__")

            def watched(obj, name, value, _set=cls.__setattr__, _object=log.objects.append, _value=log.values.append):
                _set(obj, name, value)
                if name == "grad":
                    _object(obj)
                    _value(value)

            try:
                cls.__setattr__ = watched
            except TypeError:
                unwatched.append(cls)
                continue
            patched.append((cls, own))
        yield unwatched
    finally:
        for cls, own in patched:
            if own is None:
                del cls.__setattr__
            else:
                cls.__setattr__ = own


def replay(shape: GraphShape, values: array, computed: list[int], log: GradWrites) -> Recording:
    """Turn the writes into the recording's edges: each one's grad before and after, and the
    steps of the first and last write to every grad."""
    n = len(shape.nodes)
    index = shape.index.get
    operand_of = [index(id(obj), -1) for obj in log.objects]
    written = log.values
    if -1 in operand_of:  # writes to grads outside this graph: not part of its pass
        kept = [w for w, j in enumerate(operand_of) if j >= 0]
        operand_of, written = [operand_of[w] for w in kept], [written[w] for w in kept]
        log.ends = [sum(1 for w in kept if w < end) for end in log.ends]
    after = _as_floats(written, log)
    grads = [0.0] * n
    first, last, edge_start = [-1] * n, [-1] * n, [-1] * n
    before = [0.0] * len(operand_of)
    is_first = bytearray(len(operand_of))
    upstream = [0.0] * n
    seed = len(computed)
    output = n - 1
    grads[output] = 1.0
    first[output] = last[output] = seed
    w = 0
    for step, (i, end) in enumerate(zip(reversed(computed), log.ends), start=seed + 1):
        edge_start[i] = w
        upstream[i] = grads[i]
        while w < end:
            j = operand_of[w]
            before[w] = grads[j]
            grads[j] = after[w]
            if first[j] < 0:
                first[j] = step
                is_first[w] = 1
            last[j] = step
            w += 1
    edges = len(operand_of)
    return Recording(
        nodes=shape.nodes,
        labels=shape.labels,
        operands=shape.operands,
        ops=shape.ops,
        computed=computed,
        values=values,
        grads=array("d", grads),
        first_touch=array("l", first),
        last_touch=array("l", last),
        edge_start=array("l", edge_start),
        edge_operand=array("l", operand_of),
        edge_local=array("d", [math.nan]) * edges,
        edge_before=array("d", before),
        edge_after=array("d", after),
        edge_first=is_first,
        edge_slot=array("l", [-1]) * edges,
        upstream=array("d", upstream),
        observed=True,
    )


def _as_floats(written: list[object], log: GradWrites) -> list[float]:
    """The values written, as floats. One that is not a number (a Value, by mistake) reads as nan,
    and its edge and type are kept in ``log.not_numbers`` for `engine.judge` to report."""
    try:
        return array("d", written).tolist()
    except TypeError:
        pass
    floats = []
    for e, value in enumerate(written):
        try:
            floats.append(float(value))
        except (TypeError, ValueError):
            floats.append(math.nan)
            log.not_numbers[e] = type(value).__name__
    return floats


def _what_raised(error: Exception) -> tuple[str, str]:
    """What a ``_backward`` raised, and where in the learner's code (the innermost frame)."""
    frames = traceback.extract_tb(error.__traceback__)[1:]
    where = printable(f"{short_path(frames[-1].filename)}:{frames[-1].lineno}") if frames else ""
    message = one_line(error)  # their exception's text, shown on a terminal
    return (f"{type(error).__name__}: {message}" if message else type(error).__name__), where


def short_path(filename: str) -> str:
    """A path relative to the working directory when that is shorter, as a learner typed it."""
    try:
        relative = os.path.relpath(filename)
    except ValueError:
        return filename
    return relative if len(relative) < len(filename) else filename
