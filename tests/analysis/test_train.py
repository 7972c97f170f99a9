"""The training loop of groupconv.analysis.train: a tiny regression problem is fitted, its arguments are
checked, and data-parallel training on two processes equals the single-process run."""

from __future__ import annotations

import pytest
import torch

from groupconv.analysis.train import DistInfo, free_port, init_distributed, spawn_local, train


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


@pytest.mark.parametrize("optimizer", ["adam", "adamw", "sgd"])
def test_a_tiny_regression_is_fitted(optimizer):
    x, y = _data()
    model = torch.nn.Sequential(torch.nn.Linear(3, 1), torch.nn.Flatten(0)).double()
    lr = 0.05 if optimizer == "sgd" else 0.1
    res = train(
        model,
        x,
        y,
        torch.nn.functional.mse_loss,
        steps=150,
        batch_size=16,
        lr=lr,
        optimizer=optimizer,
        quiet=True,
    )
    assert res.model is model and not model.training and len(res.losses) == 150
    # the exact linear target is learned: the weights approach (1, -2, 0.5)
    weight = model[0].weight.detach().flatten()
    torch.testing.assert_close(weight, torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64), atol=5e-2, rtol=0)
    assert res.losses[-1] < 1e-2 * res.losses[0]


def test_training_is_reproducible_from_its_seed():
    a, b = _train_small(), _train_small()
    assert a.losses == b.losses
    for p, q in zip(a.model.parameters(), b.model.parameters()):
        assert torch.equal(p, q)


def test_bad_arguments_are_named():
    x, y = _data()
    with pytest.raises(ValueError, match="differ in length: 64 vs 63"):
        train(_model(), x, y[:-1], torch.nn.functional.mse_loss, steps=1, quiet=True)
    with pytest.raises(ValueError, match="optimizer must be 'adam', 'adamw' or 'sgd', got 'lbfgs'"):
        train(_model(), x, y, torch.nn.functional.mse_loss, steps=1, optimizer="lbfgs", quiet=True)


def test_single_process_info_and_free_port():
    info = DistInfo()
    assert (info.rank, info.world_size, info.local_rank, info.distributed) == (0, 1, 0, False)
    assert DistInfo(1, 2, 1).distributed
    assert 0 < free_port() < 65536
