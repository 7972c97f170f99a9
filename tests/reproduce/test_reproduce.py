"""`groupconv reproduce NAME --smoke` runs and writes its table; the data-parallel training loop."""

from __future__ import annotations

import json

import pytest
import torch

from groupconv import reproduce
from groupconv.analysis.train import init_distributed, spawn_local, train
from groupconv.cli import main


@pytest.mark.parametrize("name", ["linear-regions", "cbn", "backprop"])
def test_smoke_run_writes_table(name, tmp_path, capsys):
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


def test_registry_is_open(tmp_path):
    def tiny(options):
        return reproduce.Result("tiny", "Tiny", "nobody", tables={"t": [{"a": 1, "b": 2.5}]})

    reproduce.register("tiny-test", tiny)
    try:
        assert "tiny-test" in reproduce.available()
        res = reproduce.run("tiny-test", reproduce.Options(smoke=True, out=tmp_path))
        assert res.tables["t"][0]["a"] == 1
        assert "| 1 | 2.5 |" in (tmp_path / "results.md").read_text()
    finally:
        reproduce._REGISTRY.pop("tiny-test")
    with pytest.raises(ValueError, match="unknown reproduction"):
        reproduce.get("no-such-thing")


def _data():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(64, 3, generator=g, dtype=torch.float64)
    return x, x @ torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64)


def _model():
    torch.manual_seed(0)
    return torch.nn.Sequential(
        torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 1), torch.nn.Flatten(0)
    ).double()


def _train_small():
    """Five SGD steps on the small regression task: in a single process, or as one rank of a group."""
    x, y = _data()
    return train(
        _model(),
        x,
        y,
        torch.nn.functional.mse_loss,
        steps=5,
        batch_size=16,
        lr=0.05,
        optimizer="sgd",
        quiet=True,
    )


def _ddp_worker(rank, world_size, path):
    res = _train_small()
    torch.save([p.detach() for p in res.model.parameters()], f"{path}/rank{rank}.pt")


def _failing_worker(rank, world_size):
    if rank == 1:
        raise RuntimeError("rank 1 failed on purpose")


def test_spawn_local_raises_a_rank_error():
    with pytest.raises(RuntimeError, match="(?s)rank 1 of 2 failed.*rank 1 failed on purpose"):
        spawn_local(_failing_worker, 2)
    with pytest.raises(ValueError, match="world_size"):
        spawn_local(_failing_worker, 0)


def test_ddp_two_processes_match_single_process(tmp_path):
    # every rank trains on half of each global batch; averaged gradients equal the full-batch gradient
    spawn_local(_ddp_worker, 2, (str(tmp_path),))
    single = _train_small()
    p0 = torch.load(tmp_path / "rank0.pt")
    p1 = torch.load(tmp_path / "rank1.pt")
    for a, b, c in zip(p0, p1, single.model.parameters()):
        torch.testing.assert_close(a, b, rtol=0, atol=0)
        torch.testing.assert_close(a, c.detach(), rtol=1e-10, atol=1e-12)
    assert init_distributed().world_size == 1  # no environment: single process
