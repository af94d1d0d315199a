"""Labels \x1b]0;a window title\x07 that \x1b[2Jclear the screen

and a description with \x1b[31mcolour\x1b[0m, \u202ereversed text and [bold]markup[/bold] [/].
"""

from engine import Value


def graph():
    a = Value(2.0, label="\x1b[2J\x1b[Ha")
    b = Value(-3.0, label="b\nnext line\tand a tab")
    c = Value(10.0, label="\x1b]0;pwned\x07c")
    e = a * b
    e.label = "\u202ee\u200b\x9b31m"
    d = e + c
    d.label = "[bold]d[/bold] [/]"
    return d
