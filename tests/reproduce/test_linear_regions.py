"""The ``linear-regions`` reproduction (Serra, Tjandraatmadja & Ramalingam, ICML 2018): the smoke run writes
its tables, the exact counts respect the paper's upper bound and the MILP counts equal the traversal's."""

from __future__ import annotations

import json

from groupconv.cli import main


def _smoke_run(tmp_path, capsys, name="linear-regions"):
    """``groupconv reproduce linear-regions --smoke`` writes its table; returns its results.json."""
    out = tmp_path / name
    assert main(["reproduce", name, "--smoke", "--out", str(out), "--quiet"]) == 0
    printed = capsys.readouterr().out
    assert "| ---" in printed and str(out) in printed
    md = (out / "results.md").read_text()
    data = json.loads((out / "results.json").read_text())
    assert data["name"] == name and data["settings"]["smoke"] is True
    (rows,) = list(data["tables"].values())[:1]
    assert rows and all(set(r) == set(rows[0]) for r in rows)
    assert "| ---" in md
    return data


def test_smoke_run_writes_table(tmp_path, capsys):
    data = _smoke_run(tmp_path, capsys)
    bounds, milp = data["tables"]["Bounds and counts"], data["tables"]["MILP vs traversal"]
    assert len(bounds) == 4 and milp
    for row in bounds:
        assert row["exact_mean"] <= row["exact_max"] <= row["upper_thm1"] <= row["montufar_2017"]
        if row["constructed"] != "n/a":
            assert row["constructed"] == row["upper_thm1"]
    for row in milp:
        assert row["milp"] == row["traversal"] >= row["sampled"]
