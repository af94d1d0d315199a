"""Text that comes from a learner's code, made safe to show: labels, op names, titles, error messages.

A terminal obeys what it is sent. An ESC in a label can clear the screen or set the window's title,
a newline or a tab breaks the rows a tree draws, and Unicode's format characters (bidi overrides,
zero-width joiners) reorder or hide what is around them. So every character that does not simply
print is shown the way Python's ``repr`` writes it — ``\\n``, ``\\x1b``, ``\\u202e`` — and the text
keeps one line and says what it holds. Everything else (accents, Greek, CJK, emoji) is kept as it is.
"""

from __future__ import annotations

# Unicode categories that do not print as themselves: controls (C0, DEL, C1), format characters,
# lone surrogates (which cannot even be encoded to UTF-8), line and paragraph separators, and
# unassigned code points (a terminal does not know their width).
_NOT_PRINTED = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp", "Cn"})
_NAMED = {"\n": "\\n", "\t": "\\t", "\r": "\\r"}

LABEL_LIMIT = 200  # characters of a label shown; a longer one is cut with "…"
MESSAGE_LIMIT = 500  # characters of a one-line message


def printable(text: str, *, newlines: bool = False, limit: int | None = None) -> str:
    """`text` with every character that would not print as itself escaped (``\\x1b``, ``\\n``).

    `newlines`: keep line breaks (a description of several paragraphs). `limit`: cut the result to
    that many characters, ending with "…".
    """
    if not text.isprintable():  # the common case, a plain label, costs one C-level scan
        text = "".join(_shown(ch, newlines) for ch in text)
    if limit is not None and len(text) > limit:
        text = text[: limit - 1] + "…"
    return text


def _shown(ch: str, newlines: bool) -> str:
    import unicodedata  # only for text that is not plainly printable: not at every start-up

    if ch == "\n" and newlines:
        return ch
    if unicodedata.category(ch) not in _NOT_PRINTED:
        return ch  # printable after all: a space other than " " (no-break space, ideographic space)
    named = _NAMED.get(ch)
    if named is not None:
        return named
    code = ord(ch)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def label_text(label: object) -> str:
    """A node's label as one printable line, whatever the learner stored there (None: no label)."""
    if type(label) is str:
        if len(label) <= LABEL_LIMIT and label.isprintable():
            return label  # nearly every label: no copy, no scan in Python
    elif label is None:
        return ""
    else:
        label = safe_str(label)
    return printable(label, limit=LABEL_LIMIT)


def safe_str(thing: object) -> str:
    """``str(thing)``, or a description of it when its own ``__str__`` fails (it is the learner's)."""
    try:
        text = str(thing)
    except Exception as error:  # their __str__ raised: say so rather than fail showing it
        return f"<{type(thing).__name__} whose str() raised {type(error).__name__}>"
    return text if type(text) is str else f"<{type(thing).__name__}>"


def one_line(thing: object, limit: int = MESSAGE_LIMIT) -> str:
    """The first non-empty line of ``str(thing)``, printable (an exception's message, say)."""
    text = safe_str(thing).strip()
    first = text.splitlines()[0] if text else ""
    return printable(first, limit=limit)
