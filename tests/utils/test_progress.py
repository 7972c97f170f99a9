"""The progress bar: silent off a terminal, complete on one, and it never changes what it yields."""

from __future__ import annotations

import io

from groupconv.utils.progress import progress


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_silent_when_stderr_is_not_a_terminal(monkeypatch):
    stream = io.StringIO()
    monkeypatch.setattr("sys.stderr", stream)
    assert list(progress(range(5), desc="x")) == [0, 1, 2, 3, 4]
    assert stream.getvalue() == ""


def test_draws_on_a_terminal_and_ends_the_line(monkeypatch):
    stream = _Terminal()
    monkeypatch.setattr("sys.stderr", stream)
    assert list(progress([3, 1, 2], desc="steps")) == [3, 1, 2]
    text = stream.getvalue()
    assert text.startswith("\rsteps [") and text.endswith("\n")
    assert "3/3" in text.splitlines()[-1]


def test_quiet_and_unsized_iterables(monkeypatch):
    stream = _Terminal()
    monkeypatch.setattr("sys.stderr", stream)
    assert list(progress(range(3), quiet=True)) == [0, 1, 2]
    assert stream.getvalue() == ""
    assert list(progress(iter("ab"), desc="gen")) == ["a", "b"]
    assert stream.getvalue().rstrip("\n").endswith("s") and "2" in stream.getvalue()
