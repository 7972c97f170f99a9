"""DistributedDataParallel on two CPU processes (gloo): one training step of a D_4 network leaves both
ranks with identical parameters, and parameter names come in the same order in every construction."""

from __future__ import annotations

import torch
from torch import nn

from groupconv.analysis.train import spawn_local
from groupconv.groups import Dihedral
from groupconv.nn import (
    EquivariantSequential,
    FieldBatchNorm,
    FieldType,
    GlobalPool2d,
    GroupConv2d,
    GroupPooling,
    LiftingConv2d,
    NormNonlinearity,
    ReLU,
)
from groupconv.reps import regular, trivial

G = Dihedral(4)


def small_network(seed: int) -> nn.Sequential:
    torch.manual_seed(seed)
    reg = FieldType(G, [regular(G)] * 2)
    body = EquivariantSequential(
        LiftingConv2d.from_channels(G, 1, 2, 3, padding=1),
        FieldBatchNorm(reg),
        ReLU(reg),
        GroupConv2d.from_channels(G, 2, 2, 3, padding=1),
        NormNonlinearity(reg, bias_init=-0.1),
        GroupPooling(reg),
        GlobalPool2d(FieldType(G, [trivial(G)] * 2)),
    )
    return nn.Sequential(body, nn.Flatten(), nn.Linear(2, 3))


def _worker(rank: int, world_size: int, out_dir: str) -> None:
    # a different seed per rank: DDP must broadcast rank 0's initial parameters
    model = nn.parallel.DistributedDataParallel(small_network(seed=rank))
    opt = torch.optim.SGD(model.parameters(), lr=0.5)
    gen = torch.Generator().manual_seed(100 + rank)
    x = torch.randn(4, 1, 9, 9, generator=gen)
    target = torch.randint(0, 3, (4,), generator=gen)
    loss = nn.functional.cross_entropy(model(x), target)
    opt.zero_grad()
    loss.backward()
    opt.step()
    names = [n for n, _ in model.module.named_parameters()]
    params = {n: p.detach().clone() for n, p in model.module.named_parameters()}
    torch.save({"names": names, "params": params, "loss": float(loss)}, f"{out_dir}/rank{rank}.pt")


def test_ddp_one_step_identical_parameters_on_both_ranks(tmp_path):
    spawn_local(_worker, 2, (str(tmp_path),))
    r0, r1 = (torch.load(tmp_path / f"rank{r}.pt") for r in (0, 1))
    assert r0["names"] == r1["names"]
    assert r0["loss"] != r1["loss"]  # the ranks saw different data
    initial = dict(small_network(seed=0).named_parameters())
    moved = False
    for name in r0["names"]:
        assert torch.equal(r0["params"][name], r1["params"][name]), name
        moved |= not torch.equal(r0["params"][name], initial[name].detach())
    assert moved


def test_parameter_registration_order_is_deterministic():
    a = [(n, tuple(p.shape)) for n, p in small_network(0).named_parameters()]
    b = [(n, tuple(p.shape)) for n, p in small_network(1).named_parameters()]
    assert a == b and len(a) >= 8
    buffers = [[n for n, _ in small_network(s).named_buffers()] for s in (0, 1)]
    assert buffers[0] == buffers[1]
    assert list(small_network(0).state_dict()) == list(small_network(2).state_dict())
