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


def test_irreps_command(capsys):
    assert main(["irreps", "D4"]) == 0
    out = capsys.readouterr().out
    assert "irrep(1,1)" in out and "order 8, 5 conjugacy classes, sum of d^2/e = 8" in out
    assert main(["irreps", "SO2", "--max-degree", "2"]) == 0
    assert "irrep(2): dim 2" in capsys.readouterr().out


def test_bad_group_name(capsys):
    assert main(["irreps", "Q8"]) == 2
    assert "cannot parse group name" in capsys.readouterr().err


def test_character_table_rows():
    table = character_table(Dihedral(3)).splitlines()
    # header, rule, three irreps, blank, summary
    assert len(table) == 7
    assert table[4].split()[:3] == ["irrep(1,1)", "2", "R"]


def test_console_entry_point_runs():
    out = subprocess.run(
        [sys.executable, "-m", "groupconv.cli", "demo", "--group", "C4"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "regular representation: C4[regular]" in out.stdout
