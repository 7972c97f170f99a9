r"""A small training loop for the reproductions, single-process or data-parallel.

Under ``torchrun`` (or any launcher that sets ``RANK``, ``WORLD_SIZE``, ``MASTER_ADDR`` and
``MASTER_PORT``), :func:`init_distributed` joins the process group and :func:`train` wraps the model in
``DistributedDataParallel``: every rank draws the same global mini-batch (same seeded generator) and
trains on its own slice of it, and DDP averages the gradients, so with equal slices a step equals the
single-process step on the whole batch.

.. code-block:: bash

    torchrun --nproc_per_node 2 -m groupconv.cli reproduce cbn

:func:`spawn_local` starts such a group on one machine without a launcher (gloo on CPU).

>>> import torch
>>> x = torch.linspace(-1, 1, 32)[:, None]
>>> _ = torch.manual_seed(0)
>>> model = torch.nn.Linear(1, 1)
>>> loss = torch.nn.functional.mse_loss
>>> res = train(model, x, 3 * x - 1, loss, steps=200, lr=0.1, optimizer="sgd", quiet=True)
>>> [round(p.item(), 3) for p in (model.weight, model.bias)], res.losses[-1] < 1e-6
([3.0, -1.0], True)
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
from torch import nn

from ..utils.progress import progress

__all__ = ["DistInfo", "init_distributed", "train", "TrainResult", "spawn_local", "free_port"]


@dataclass(frozen=True)
class DistInfo:
    """Rank, world size and local rank of this process (``0, 1, 0`` when not distributed)."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def distributed(self) -> bool:
        return self.world_size > 1


def init_distributed(backend: str | None = None, init_method: str | None = None) -> DistInfo:
    """Join the process group described by the environment (``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK``,
    ``MASTER_ADDR``, ``MASTER_PORT``), if any; a no-op returning rank 0 of 1 otherwise.

    The backend defaults to ``nccl`` when CUDA is available and ``gloo`` otherwise. ``init_method``
    (e.g. ``"file:///path"``) replaces the ``MASTER_ADDR`` / ``MASTER_PORT`` rendezvous.
    """
    import torch.distributed as dist

    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local = int(os.environ.get("LOCAL_RANK", str(rank)))
    if world <= 1:
        return DistInfo()
    if not dist.is_initialized():
        if backend is None:
            backend = "nccl" if torch.cuda.is_available() else "gloo"
        # init_method None: the environment's MASTER_ADDR / MASTER_PORT ("env://")
        dist.init_process_group(backend=backend, init_method=init_method, rank=rank, world_size=world)
    return DistInfo(rank, world, local)


@dataclass
class TrainResult:
    """Losses per step (this rank's slice) and the trained module (unwrapped from DDP)."""

    model: nn.Module
    losses: list[float] = field(default_factory=list)


def train(
    model: nn.Module,
    inputs: torch.Tensor,
    targets: torch.Tensor,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    steps: int = 100,
    batch_size: int = 64,
    lr: float = 1e-3,
    weight_decay: float = 0.0,
    optimizer: str = "adam",
    device: str | torch.device = "cpu",
    seed: int = 0,
    quiet: bool = False,
    desc: str = "train",
) -> TrainResult:
    r"""Train ``model`` on ``(inputs, targets)`` for ``steps`` mini-batch steps.

    The loss minimised is ``loss_fn(model(x), y)``; weight decay is the optimizer's (an
    :math:`\frac{\lambda}{2} \|\theta\|^2` penalty for ``"adam"`` and ``"sgd"``, decoupled for ``"adamw"``).
    When the process group is initialised (see :func:`init_distributed`) the model is wrapped in DDP and
    each rank takes its slice of every global batch of ``batch_size`` samples.
    """
    import torch.distributed as dist

    if inputs.shape[0] != targets.shape[0]:
        raise ValueError(f"inputs and targets differ in length: {inputs.shape[0]} vs {targets.shape[0]}")
    if optimizer not in ("adam", "adamw", "sgd"):
        raise ValueError(f"optimizer must be 'adam', 'adamw' or 'sgd', got {optimizer!r}")
    info = (
        DistInfo(dist.get_rank(), dist.get_world_size(), int(os.environ.get("LOCAL_RANK", dist.get_rank())))
        if dist.is_available() and dist.is_initialized()
        else DistInfo()
    )
    if info.distributed and batch_size % info.world_size:
        raise ValueError(f"batch_size {batch_size} is not divisible by the world size {info.world_size}")
    device = torch.device(device)
    model = model.to(device)
    net: nn.Module = model
    if info.distributed:
        from torch.nn.parallel import DistributedDataParallel

        net = DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None)
    params = [p for p in net.parameters() if p.requires_grad]
    if optimizer == "adam":
        opt = torch.optim.Adam(params, lr=lr, weight_decay=weight_decay)
    elif optimizer == "adamw":
        opt = torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay)
    else:
        opt = torch.optim.SGD(params, lr=lr, momentum=0.9, weight_decay=weight_decay)
    gen = torch.Generator().manual_seed(seed)
    n = inputs.shape[0]
    result = TrainResult(model)
    net.train()
    for _ in progress(range(steps), desc=desc, quiet=quiet or info.rank != 0):
        idx = torch.randint(0, n, (min(batch_size, n),), generator=gen)
        if info.distributed:
            idx = idx[info.rank :: info.world_size]
        x, y = inputs[idx].to(device), targets[idx].to(device)
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(net(x), y)
        loss.backward()
        opt.step()
        result.losses.append(float(loss.detach()))
    net.eval()
    return result


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _spawn_entry(rank: int, fn, world_size: int, tmp: str, backend: str, args: tuple) -> None:
    import sys
    import traceback

    import torch.distributed as dist

    os.environ.update(RANK=str(rank), WORLD_SIZE=str(world_size), LOCAL_RANK=str(rank))
    torch.set_num_threads(1)
    init_distributed(backend, init_method=f"file://{os.path.join(tmp, 'store')}")
    try:
        try:
            fn(rank, world_size, *args)
        except BaseException:
            # written before this rank exits, so before any other rank sees its connections close
            with open(os.path.join(tmp, f"rank{rank}.error"), "w") as f:
                f.write(traceback.format_exc())
            raise
        # no rank tears its connections down while another still uses them (gloo aborts then)
        dist.barrier()
    finally:
        dist.destroy_process_group()
    # a clean run ends here: the interpreter's finalization would destroy the communication library's
    # remaining static state from several threads, which can abort a process whose work is done
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def spawn_local(fn: Callable, world_size: int = 2, args: tuple = (), backend: str = "gloo") -> None:
    """Run ``fn(rank, world_size, *args)`` in ``world_size`` spawned processes forming one process group
    (rendezvous through a file in a temporary directory, so no port is taken). ``fn`` must be
    importable (a module-level function).

    Raises
    ------
    RuntimeError
        when ``fn`` raised in some rank: the message holds that rank's traceback (the first such rank),
        not the connection errors it then caused in the others.
    """
    import tempfile

    import torch.multiprocessing as mp

    if world_size < 1:
        raise ValueError(f"world_size must be >= 1, got {world_size}")
    with tempfile.TemporaryDirectory(prefix="groupconv-dist-") as tmp:
        try:
            mp.spawn(_spawn_entry, args=(fn, world_size, tmp, backend, args), nprocs=world_size, join=True)
        except Exception as err:
            for rank in range(world_size):
                path = os.path.join(tmp, f"rank{rank}.error")
                if os.path.exists(path):
                    with open(path) as f:
                        raise RuntimeError(f"rank {rank} of {world_size} failed:\n{f.read()}") from err
            raise
