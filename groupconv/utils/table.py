"""Plain-text tables that fit a terminal.

:func:`format_table` lays out a header and rows of text cells within a width: long cells wrap onto
continuation lines of their column, headers break between words (``max_rel_error`` over lines such as
``max_rel_`` and ``error``, never cut inside a word), and the columns that still do not fit (empty ones
first, then those with the longest cells), or that would wrap onto more than three lines, are written
under each row as indented ``name: value`` lines, so nothing is dropped. :func:`wrap_lines` wraps the
lines of prose that are too long. :func:`terminal_width` is the width to fit: the ``COLUMNS``
environment variable, else the terminal's, never below a readable minimum.

>>> print(format_table(["layer", "note"], [["0", "exact on the grid"], ["1", "interpolated"]], width=19))
layer  note
-----  ------------
0      exact on the
       grid
1      interpolated
"""

from __future__ import annotations

import re
import shutil
import textwrap
from collections.abc import Sequence

__all__ = ["format_table", "terminal_width", "wrap_lines", "MIN_WIDTH"]

MIN_WIDTH = 40
"""The narrowest width :func:`terminal_width` returns: below it tables are not readable anyway."""

# a word longer than this may be broken across lines of its column (long identifiers)
_LONGEST_UNBROKEN_WORD = 32
# a column whose cells would wrap onto more lines than this is written under its rows instead
_MOST_WRAPPED_LINES = 3
_INDENT = "    "


def terminal_width(fallback: int = 80, minimum: int = MIN_WIDTH) -> int:
    """The width to fit tables in: ``COLUMNS`` when set, else the size of the terminal on standard
    output, else ``fallback``; never below ``minimum``.

    >>> import os; os.environ["COLUMNS"] = "100"; terminal_width()
    100
    >>> os.environ["COLUMNS"] = "12"; terminal_width()
    40
    >>> del os.environ["COLUMNS"]
    """
    return max(int(minimum), shutil.get_terminal_size((int(fallback), 24)).columns)


def _header_pieces(text: str) -> list[list[str]]:
    # words split after underscores: a header breaks only there or between words
    return [re.findall(r"[^_]+_*|_+", word) for word in text.split()] or [[""]]


def _wrap_header(text: str, width: int) -> list[str]:
    lines: list[str] = []
    line = ""
    for word in _header_pieces(text):
        for i, piece in enumerate(word):
            joiner = "" if i > 0 or not line else " "
            if line and len(line) + len(joiner) + len(piece) > width:
                lines.append(line)
                line, joiner = "", ""
            line += joiner + piece
    return lines + [line]


def _wrap_cell(text: str, width: int) -> list[str]:
    return textwrap.wrap(text, width, break_long_words=True, break_on_hyphens=False) or [""]


def _min_width(head: str, cells: Sequence[str]) -> int:
    header = max(len(p) for word in _header_pieces(head) for p in word)
    longest_word = max((len(w) for c in cells for w in c.split()), default=0)
    natural = max((len(c) for c in cells), default=0)
    return max(header, min(natural, longest_word, _LONGEST_UNBROKEN_WORD), 1)


def _widen(widths: list[int], wanted: list[int], extra: int) -> list[int]:
    # the room left completes the columns that lack the least first: a column that no longer wraps saves
    # more lines than a long one wrapping a little less
    widths = list(widths)
    for i in sorted(range(len(widths)), key=lambda j: wanted[j] - widths[j]):
        grant = max(0, min(extra, wanted[i] - widths[i]))
        widths[i] += grant
        extra -= grant
    return widths


def format_table(
    header: Sequence[str], rows: Sequence[Sequence[object]], width: int | None = None, sep: str = "  "
) -> str:
    """The table as text: a header line, a rule, and one line per row (more when cells wrap).

    Parameters
    ----------
    header : sequence of str
        The column names.
    rows : sequence of sequences
        The cells of each row (written with ``str``), as many as ``header`` has names.
    width : int, optional
        The width to fit (for example :func:`terminal_width`); ``None`` lays the columns out at their
        natural widths, however wide.
    sep : str
        Between two columns.

    Returns
    -------
    str
        Lines of at most ``width`` characters, without trailing spaces. Cells wider than their column
        wrap onto continuation lines; columns that do not fit at all (the widest first, never the first
        column; an empty one first) are written under each row as ``name: value`` (nothing for an
        empty cell).

    Examples
    --------
    >>> print(format_table(["n", "max_rel_error"], [[1, 2.5e-16]], width=10))
    n  max_
       rel_
       error
    -  -------
    1  2.5e-16
    """
    head = [str(h) for h in header]
    body = [[str(c) for c in row] for row in rows]
    for row in body:
        if len(row) != len(head):
            raise ValueError(
                f"every row needs {len(head)} cells (one per header name), got {len(row)}: {row}"
            )
    if width is not None and (isinstance(width, bool) or not isinstance(width, int) or width < 10):
        raise ValueError(f"width must be an integer >= 10 or None, got {width!r}")
    columns = [[row[i] for row in body] for i in range(len(head))]
    natural = [max([len(h), *(len(c) for c in col)]) for h, col in zip(head, columns)]

    def total(ws: Sequence[int]) -> int:
        return sum(ws) + len(sep) * (len(ws) - 1)

    kept = list(range(len(head)))
    widths = natural
    if width is not None and total(natural) > width:
        minimum = {i: _min_width(head[i], columns[i]) for i in kept}
        mean = {i: sum(len(c) for c in columns[i]) / max(1, len(body)) for i in kept}
        while len(kept) > 1 and total([minimum[i] for i in kept]) > width:
            # an empty column leaves the grid first: it takes room and says nothing; then the column with
            # the longest cells on average (among equals the rightmost): long text reads better as a line
            # of its own than folded into a narrow column
            kept.remove(max(kept[1:], key=lambda i: (mean[i] == 0, mean[i], i)))
        while True:
            least = [minimum[i] for i in kept]
            # headers wrap between words: a column wants the width of its longest cell
            wanted = [max(minimum[i], *(len(c) for c in columns[i])) for i in kept]
            widths = _widen(least, wanted, width - total(least))
            height = {i: max(len(_wrap_cell(c, w)) for c in columns[i]) for i, w in zip(kept, widths)}
            tallest = max(kept[1:], key=lambda i: (height[i], i), default=None)
            if tallest is None or height[tallest] <= _MOST_WRAPPED_LINES:
                break
            kept.remove(tallest)
    moved = [i for i in range(len(head)) if i not in kept]

    def block(cells: list[list[str]]) -> list[str]:
        height = max(len(c) for c in cells)
        return [
            sep.join((c[k] if k < len(c) else "").ljust(w) for c, w in zip(cells, widths)).rstrip()
            for k in range(height)
        ]

    lines = block([_wrap_header(head[i], w) for i, w in zip(kept, widths)])
    lines.append(sep.join("-" * w for w in widths))
    for row in body:
        lines += block([_wrap_cell(row[i], w) for i, w in zip(kept, widths)])
        for i in moved:
            if not row[i]:
                continue
            lines += textwrap.wrap(
                f"{head[i]}: {row[i]}",
                width,
                initial_indent=_INDENT,
                subsequent_indent=_INDENT + "  ",
                break_on_hyphens=False,
            )
    return "\n".join(lines)


def wrap_lines(text: str, width: int | None) -> str:
    """``text`` with every line longer than ``width`` wrapped between words, its continuation lines
    indented by two spaces; shorter lines (table rows among them) unchanged. ``None``: ``text`` as it is.

    >>> print(wrap_lines("short\\nthe legend of the irrep types", 16))
    short
    the legend of
      the irrep
      types
    """
    if width is None:
        return text
    return "\n".join(
        textwrap.fill(line, width, subsequent_indent="  ", break_on_hyphens=False)
        if len(line) > width
        else line
        for line in text.splitlines()
    )
