"""Shared checks of the reproductions' smoke runs (``groupconv reproduce NAME --smoke``)."""

from __future__ import annotations

import json
import math

from groupconv.cli import main


def smoke_run(tmp_path, capsys, name: str) -> dict:
    """``groupconv reproduce NAME --smoke`` prints and writes its table; returns its results.json."""
    out = tmp_path / name
    assert main(["reproduce", name, "--smoke", "--out", str(out), "--quiet"]) == 0
    printed = capsys.readouterr().out
    # the terminal gets the smoke-test notice and text tables; results.md the Markdown ones
    assert printed.startswith("SMOKE TEST") and str(out) in printed
    assert any(line.startswith("--") and set(line) <= {"-", " "} for line in printed.splitlines())
    md = (out / "results.md").read_text()
    data = json.loads((out / "results.json").read_text())
    assert data["name"] == name and data["settings"]["smoke"] is True
    (rows,) = list(data["tables"].values())[:1]
    assert rows and all(set(r) == set(rows[0]) for r in rows)
    assert "| ---" in md
    return data


def check_accuracy_table(tmp_path, name: str) -> None:
    """The smoke run of a classification reproduction writes one table of five rows whose test
    accuracies are percentages."""
    out = tmp_path / name
    assert main(["reproduce", name, "--smoke", "--out", str(out), "--quiet"]) == 0
    data = json.loads((out / "results.json").read_text())
    (rows,) = list(data["tables"].values())
    assert data["name"] == name and data["settings"]["smoke"] is True and len(rows) == 5
    assert all(set(r) == set(rows[0]) for r in rows)
    assert "| ---" in (out / "results.md").read_text()
    for r in rows:
        for k, v in r.items():
            if k.endswith("test") or k.startswith("test_acc"):
                mean = float(str(v).split(" ")[0])
                assert 0 <= mean <= 100 and not math.isnan(mean)
