"""Tables fitted to a width (groupconv.utils.table): every line within the width, no cell or header word
lost or cut, columns that do not fit written under their rows, and the natural layout without a width."""

from __future__ import annotations

import re

import pytest

from groupconv.utils.table import MIN_WIDTH, format_table, terminal_width, wrap_lines

HEADER = ["layer", "kind", "in_type", "max_rel_error", "tolerance", "elements_tried", "passed", "note"]
ROWS = [
    ["0", "LiftingConv2d", "D4[irrep(0,0)]", "5.48e-16", "1.00e-10", "8", "pass", ""],
    ["1", "ReLU", "D4[4 x regular]", "0", "1.00e-10", "8", "pass", "fields permuted by the group"],
    [
        "(model)",
        "EquivariantSequential",
        "D4[irrep(0,0)]",
        "1.56e-15",
        "1.00e-10",
        "8",
        "FAIL",
        "per-sample ratio in [37.2989, 37.2989]; the exact tier compares grid rotations without "
        "interpolation, so any error above the float64 floor is a broken constraint",
    ],
]


def _words(text: str) -> list[str]:
    return text.replace("\n", " ").split()


@pytest.mark.parametrize("width", [40, 60, 80, 100, 200])
def test_every_line_fits_and_nothing_is_lost(width):
    text = format_table(HEADER, ROWS, width)
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= width
    assert all(line == line.rstrip() for line in lines)
    shown = set(_words(text))
    for row in ROWS:
        for cell in row:
            # a cell may wrap between words, but no word is dropped or cut (none is longer than 32)
            for word in _words(cell):
                assert word in shown or f"{word}:" in shown, (word, text)


def _segments(name: str, tokens: set[str]) -> bool:
    # whether name is a concatenation of tokens
    return name == "" or any(name.startswith(t) and _segments(name[len(t) :], tokens) for t in tokens)


@pytest.mark.parametrize("width", [40, 60, 80, 100])
def test_header_words_are_never_cut(width):
    text = format_table(HEADER, ROWS, width)
    head_lines = text.split("\n-")[0].splitlines()
    tokens = {t for line in head_lines for t in line.split()}
    moved = set(re.findall(r"^ {4}(\w+): ", text, flags=re.M))
    pieces = {p for name in HEADER for p in re.findall(r"[^_]+_?", name)}
    for token in tokens:
        # a header line holds whole words of a name, broken only after an underscore
        assert _segments(token, pieces), (token, text)
    for name in HEADER:
        assert name in moved or _segments(name, tokens), (name, text)


def test_wide_table_keeps_the_narrow_columns_and_moves_the_long_ones():
    text = format_table(HEADER, ROWS, 80)
    first = text.splitlines()[0]
    for name in ("layer", "tolerance", "passed"):
        assert name in first
    # the long note is written under its row, whole, not folded into a narrow column
    assert "    note: per-sample ratio in [37.2989, 37.2989];" in text
    assert "\n    note: fields permuted by the group" in text


def test_at_200_columns_the_table_is_laid_out_as_without_a_width():
    narrow_rows = [row[:-1] + ["short"] for row in ROWS]
    assert format_table(HEADER, narrow_rows, 200) == format_table(HEADER, narrow_rows)


def test_natural_layout_without_a_width():
    text = format_table(["a", "bb"], [["x", "1"], ["yyy", "22"]])
    assert text.splitlines() == ["a    bb", "---  --", "x    1", "yyy  22"]


def test_long_cells_wrap_onto_continuation_lines():
    text = format_table(["n", "reason"], [["1", "one two three four five six"]], 14)
    assert text.splitlines() == ["n  reason", "-  -----------", "1  one two", "   three four", "   five six"]


def test_bad_arguments_name_the_problem():
    with pytest.raises(ValueError, match=r"every row needs 2 cells \(one per header name\), got 1"):
        format_table(["a", "b"], [["x"]])
    with pytest.raises(ValueError, match=r"width must be an integer >= 10 or None, got 5"):
        format_table(["a"], [["x"]], 5)
    with pytest.raises(ValueError, match=r"width must be an integer >= 10 or None, got 80.0"):
        format_table(["a"], [["x"]], 80.0)


def test_terminal_width_reads_columns_and_keeps_a_minimum(monkeypatch):
    monkeypatch.setenv("COLUMNS", "123")
    assert terminal_width() == 123
    monkeypatch.setenv("COLUMNS", "10")
    assert terminal_width() == MIN_WIDTH


def test_wrap_lines_wraps_only_the_long_lines():
    text = "irrep  dim\n" + "type: R real, C complex (a complex irrep of dimension d/2 written as real)"
    wrapped = wrap_lines(text, 40).splitlines()
    assert wrapped[0] == "irrep  dim" and max(len(line) for line in wrapped) <= 40
    assert all(line.startswith("  ") for line in wrapped[2:])
    assert " ".join(" ".join(wrapped[1:]).split()) == text.splitlines()[1]
    assert wrap_lines(text, None) == text
