"""How nodes and positions read on screen and in print: fixed-width numbers, markers, phases.

Shared by the graph view and the headless printer so both say the same thing. Every marker is a
character as well as a colour, so nothing is lost with NO_COLOR or on a monochrome terminal.
"""

from __future__ import annotations

import math

from engine.recording import KINDS, Finding
from engine.stepping import Cursor

NOT_YET = "·"  # a value or grad not computed yet at this position (and nothing else)
CURRENT = "▶"  # the node of the step just taken
RECEIVING = "◀"  # an operand that just received gradient (or was just read, going forward)
FINAL = "✓"  # grad final: every consumer has passed its contribution
WRONG = "✗"  # a final grad the chain rule does not give: the learner's code went wrong on the way
BAD = "⚠"  # NaN or infinite, or a step of the learner's own code that disagrees with the chain rule
REFERENCE = "↪"  # a shared node drawn in full elsewhere
LEAF = "○"  # in the topological list: a leaf, its value given rather than computed


def final_mark(cursor: Cursor, node: int) -> str:
    """``✓`` once a grad is final, ``✗`` if it is final but wrong (a learner's pass), else ``""``."""
    if not cursor.grad_is_final(node):
        return ""
    return WRONG if cursor.grad_is_wrong(node) else FINAL


def number(x: float | None, width: int = 9) -> str:
    """A number in a fixed width so rows don't jitter between steps."""
    if x is None:
        return NOT_YET.rjust(width)
    if not math.isfinite(x):
        return str(x).rjust(width)
    text = f"{x:.4f}"
    if len(text) > width or (x != 0 and abs(x) < 1e-3):  # never show a small gradient as 0.0000
        text = f"{x:.{max(1, width - 7)}e}"
    return text.rjust(width)


def shorten(name: str, width: int) -> str:
    """`name` in at most `width` cells, its middle replaced by "…": ``s37.L1.n13.sum15`` → ``s37.L…sum15``.

    The end is kept longer than the start: it says what the node is (``sum15``, ``act``)."""
    if len(name) <= width:
        return name
    if width <= 1:
        return "…"[:width]
    tail = (width - 1) * 3 // 5
    head = width - 1 - tail
    return f"{name[:head]}…{name[len(name) - tail :]}"


def position_text(cursor: Cursor) -> str:
    """``start``, ``forward 2/3``, ``seed``, ``backward 7/12`` or ``end``-of-pass wording."""
    t, p = cursor.timeline, cursor.position
    computed = len(t.computed)
    if p == 0:
        return "start"
    last = p - 1
    if last < t.seed_step:
        return f"forward {last + 1}/{computed}"
    if last == t.seed_step:
        return "seed"
    return f"backward {last - t.seed_step}/{computed}"


def is_bad(x: float | None) -> bool:
    return x is not None and not math.isfinite(x)


def finding_text(finding: Finding) -> str:
    """A finding as one line: its kind, the learner's words, and where in their code."""
    where = f" [{finding.where}]" if finding.where else ""
    return f"{KINDS[finding.kind]}: {finding.message}{where}"
