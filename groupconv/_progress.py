"""A minimal progress bar on stderr, silent when stderr is not a terminal.

It appears only once the work has run for ``delay`` seconds (default 1 s), so quick calls print nothing.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterable, Iterator
from typing import Any, TextIO

__all__ = ["Progress", "progress"]


class Progress:
    """A progress bar over ``total`` steps, written to ``stream`` (default ``sys.stderr``).

    Use as a context manager and call :meth:`update` after each step. Nothing is written when the
    stream is not a TTY, when ``enabled=False``, or when the environment variable ``GROUPCONV_PROGRESS``
    is ``0``; the bar is drawn only after ``delay`` seconds.
    """

    def __init__(
        self,
        total: int | None,
        desc: str = "",
        stream: TextIO | None = None,
        delay: float = 1.0,
        enabled: bool | None = None,
        width: int = 30,
    ):
        self.total = total
        self.desc = desc
        self.stream = stream if stream is not None else sys.stderr
        self.delay = delay
        self.width = width
        if enabled is None:
            isatty = getattr(self.stream, "isatty", None)
            enabled = bool(isatty and isatty()) and os.environ.get("GROUPCONV_PROGRESS", "1") != "0"
        self.enabled = enabled
        self.count = 0
        self._start = time.perf_counter()
        self._last = 0.0
        self._drawn = False

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def set_description(self, desc: str) -> None:
        """Change the label shown before the bar."""
        self.desc = desc
        self._draw(force=False)

    def update(self, n: int = 1) -> None:
        """Advance by ``n`` steps."""
        self.count += n
        self._draw(force=False)

    def _draw(self, force: bool) -> None:
        if not self.enabled:
            return
        now = time.perf_counter()
        elapsed = now - self._start
        if elapsed < self.delay or (not force and now - self._last < 0.1):
            return
        self._last = now
        if self.total:
            frac = min(1.0, self.count / self.total)
            filled = int(round(frac * self.width))
            bar = "#" * filled + "." * (self.width - filled)
            text = f"\r{self.desc} [{bar}] {self.count}/{self.total} {elapsed:5.1f}s"
        else:
            text = f"\r{self.desc} {self.count} {elapsed:5.1f}s"
        self.stream.write(text)
        self.stream.flush()
        self._drawn = True

    def close(self) -> None:
        """Draw the final state and end the line (only if the bar was shown)."""
        if self._drawn:
            self._draw(force=True)
            self.stream.write("\n")
            self.stream.flush()
            self._drawn = False


def progress(iterable: Iterable, total: int | None = None, desc: str = "", **kwargs: Any) -> Iterator:
    """Iterate over ``iterable`` while showing a :class:`Progress` bar."""
    if total is None and hasattr(iterable, "__len__"):
        total = len(iterable)  # type: ignore[arg-type]
    with Progress(total, desc, **kwargs) as bar:
        for item in iterable:
            yield item
            bar.update()
