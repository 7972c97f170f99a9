"""The D_4 digits example runs end to end in its smoke mode."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_d4_digits_smoke(capsys):
    spec = importlib.util.spec_from_file_location("d4_digits", ROOT / "examples" / "d4_digits.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    results = module.main(["--smoke", "--seed", "1"])
    out = capsys.readouterr().out
    assert results["params_d4"] == results["params_plain"]
    assert f"{results['params_d4']} parameters" in out
    assert results["equivariance_passed"] and results["max_equivariance_error"] <= 1e-10
    assert "(model)" in out and "result: pass" in out
    # the runtime line first, then one progress line per epoch and network
    assert out.splitlines()[0] == "D4 digits: a smoke run (seconds), its numbers are not results"
    assert "d4 epoch   1/1  loss" in out and "plain epoch   1/1  loss" in out
    for key in ("acc_d4", "acc_plain", "acc_d4_upright", "acc_plain_upright"):
        assert 0.0 <= results[key] <= 1.0


def test_d4_digits_refuses_zero_epochs(capsys):
    spec = importlib.util.spec_from_file_location("d4_digits", ROOT / "examples" / "d4_digits.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with pytest.raises(SystemExit):
        module.main(["--epochs", "0"])
    assert "--epochs must be at least 1, got 0" in capsys.readouterr().err
