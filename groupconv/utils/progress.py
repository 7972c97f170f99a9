"""A tiny dependency-free progress bar on stderr, silent when stderr is not a terminal or when quiet.

>>> [x * x for x in progress(range(4), desc="squares")]  # no terminal here: nothing is drawn
[0, 1, 4, 9]
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Iterator
from typing import TypeVar

__all__ = ["progress"]

T = TypeVar("T")


def progress(
    iterable: Iterable[T], total: int | None = None, desc: str = "", quiet: bool = False, width: int = 30
) -> Iterator[T]:
    """Yield from ``iterable`` while drawing ``desc [#####     ] i/total elapsed`` on stderr.

    Nothing is written when ``quiet`` is true or stderr is not a TTY (logs and CI stay clean).
    """
    if total is None:
        try:
            total = len(iterable)  # type: ignore[arg-type]
        except TypeError:
            total = None
    stream = sys.stderr
    show = not quiet and hasattr(stream, "isatty") and stream.isatty()
    if not show:
        yield from iterable
        return
    start = time.monotonic()
    last = 0.0
    i = 0

    def draw(final: bool = False) -> None:
        elapsed = time.monotonic() - start
        if total:
            filled = int(width * i / total)
            bar = "#" * filled + " " * (width - filled)
            text = f"\r{desc} [{bar}] {i}/{total} {elapsed:5.1f}s"
        else:
            text = f"\r{desc} {i} {elapsed:5.1f}s"
        stream.write(text + ("\n" if final else ""))
        stream.flush()

    draw()
    for item in iterable:
        yield item
        i += 1
        now = time.monotonic()
        if now - last > 0.1:
            last = now
            draw()
    draw(final=True)
