"""The ``linear-regions`` reproduction (Serra, Tjandraatmadja & Ramalingam, ICML 2018): the smoke run writes
its tables, the exact counts respect the paper's upper bound and the MILP counts equal the traversal's."""

from __future__ import annotations

from _reproduce_helpers import smoke_run


def test_smoke_run_writes_table(tmp_path, capsys):
    data = smoke_run(tmp_path, capsys, "linear-regions")
    bounds, milp = data["tables"]["Bounds and counts"], data["tables"]["MILP vs traversal"]
    assert len(bounds) == 4 and milp
    for row in bounds:
        assert row["exact_mean"] <= row["exact_max"] <= row["upper_thm1"] <= row["montufar_2017"]
        if row["constructed"] != "n/a":
            assert row["constructed"] == row["upper_thm1"]
    for row in milp:
        assert row["milp"] == row["traversal"] >= row["sampled"]
