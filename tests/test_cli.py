from __future__ import annotations

import subprocess
import sys

import pytest

import groupconv
from groupconv.cli import character_table, main
from groupconv.groups import Dihedral


def test_version_and_help(capsys):
    with pytest.raises(SystemExit) as e:
        main(["--version"])
    assert e.value.code == 0
    assert groupconv.__version__ in capsys.readouterr().out
    assert main([]) == 0
    assert "demo" in capsys.readouterr().out


def test_irreps_command(monkeypatch, capsys):
    monkeypatch.setenv("COLUMNS", "100")
    assert main(["irreps", "D4"]) == 0
    out = capsys.readouterr().out
    assert "irrep(1,1)" in out and "order 8, 5 conjugacy classes, sum of d^2/e = 8" in out
    header = out.splitlines()[0].split()
    assert header[3:] == ["e", "(x1)", "r", "(x2)", "r^2", "(x1)", "f", "(x2)", "r", "f", "(x2)"]
    assert "R real, C complex" in out and "H quaternionic" in out and "sum of d^2/e over the irreps" in out


def test_irreps_symmetric_cycle_types(capsys):
    assert main(["irreps", "S4"]) == 0
    out = capsys.readouterr().out
    for label in ("(1,1,1,1) (x1)", "(2,1,1) (x6)", "(2,2) (x3)", "(3,1) (x8)", "(4) (x6)"):
        assert label in out


def test_irreps_continuous_groups(capsys):
    assert main(["irreps", "SO2", "--max-degree", "2"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["irrep", "degree", "dim", "type", "e"]
    assert lines[4].split() == ["irrep(2)", "2", "2", "C", "2"]
    assert main(["irreps", "SO3"]) == 0
    out = capsys.readouterr().out
    assert len(out.splitlines()) > 4 and "irrep(3)" in out and "sin((2l+1) t/2)" in out


@pytest.mark.parametrize(
    "name, first",
    [
        ("so3", "SO3"),
        ("SO(3)", "SO3"),
        ("s4", "S4"),
        ("D(4)", "D4"),
        ("o(2)", "O2"),
        ("o", "O"),
        ("oh", "Oh"),
        ("OH", "Oh"),
        ("i", "I"),
        ("ih", "Ih"),
    ],
)
def test_irreps_group_name_variants(capsys, name, first):
    assert main(["irreps", name]) == 0
    out = capsys.readouterr().out
    assert f"{first}: " in out


def test_bad_group_name(capsys):
    assert main(["irreps", "Q8"]) == 2
    assert "cannot parse group name" in capsys.readouterr().err
    assert main(["irreps", "SO(3"]) == 2
    assert "cannot parse group name" in capsys.readouterr().err


def test_character_table_rows():
    table = character_table(Dihedral(3)).splitlines()
    # header, rule, three irreps, blank, summary, four lines of legend
    assert len(table) == 11
    assert table[4].split()[:3] == ["irrep(1,1)", "2", "R"]
    assert table[0].split()[3:] == ["e", "(x1)", "r", "(x2)", "f", "(x3)"]


def test_console_entry_point_runs():
    out = subprocess.run(
        [sys.executable, "-m", "groupconv.cli", "demo", "--group", "C4"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "regular representation: C4[regular]" in out.stdout


@pytest.mark.parametrize("columns", [80, 100, 200])
@pytest.mark.parametrize("name", ["C12", "O"])
def test_irreps_fit_the_terminal(monkeypatch, capsys, columns, name):
    # wide character tables are split into blocks of class columns, each repeating irrep, dim and type
    monkeypatch.setenv("COLUMNS", str(columns))
    assert main(["irreps", name]) == 0
    out = capsys.readouterr().out
    assert max(len(line) for line in out.splitlines()) <= columns
    table = out.split("\n\n" + name + ":")[0]
    blocks = table.split("\n\n")
    assert all(b.split()[:3] == ["irrep", "dim", "type"] for b in blocks)
    labels = " ".join(b.splitlines()[0] for b in blocks)
    assert (len(blocks) == 1) == (columns == 200)
    # every class column is shown once, whole
    if name == "C12":
        for k in range(2, 12):
            assert labels.count(f" r^{k} (x1)") == 1
    else:
        for label in ("E (x1)", "C4 (90 deg) (x6)", "C3 (120 deg) (x8)", "C2' (180 deg) (x6)"):
            assert labels.count(label) == 1
    # the legend wraps instead of running past the edge
    assert "H quaternionic" in " ".join(out.split())
