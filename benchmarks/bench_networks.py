"""Whole networks: a training step, inference and the peak activation memory of groupconv networks
against a plain CNN with the expanded channel counts (and escnn with the same architecture, where it is
installed), with a profile breakdown per network.

Networks (batch 32, 29 x 29, float32 by default; 5 x 5 convolutions 1 -> 8 -> 16 -> 16 fields, batch
norm, a nonlinearity and a blur-pool after the first two, then invariant pooling, global average pooling
and a linear classifier):

- ``c8``, ``d4``: regular fields of C8 / D4, ReLU, group pooling (plain CNN: 64 -> 128 -> 128 channels);
- ``so2_norm``: SO(2) steerable, fields ``trivial + irrep(1) + irrep(2)`` (5 channels) x 13 / 26 / 26,
  norm-ReLU, norm pooling (plain CNN: 65 -> 130 -> 130 channels);
- ``so2_gated``: the same fields, gated nonlinearities (the convolution adds one trivial gate per gated
  field, 39 / 78 channels more; the plain CNN has the gated fields' channel counts and ReLU, and
  ``plain+gates`` is the plain CNN whose convolutions produce the gates too, dropped after the ReLU);
- ``scattering``: translation scattering (J = 2, L = 8, order 2) of 32 x 32 images and a linear
  classifier; no plain-CNN reference (nothing is learned before the classifier), absolute times only.

Times are wall-clock medians of ``--repeats`` interleaved steps (``time.perf_counter``: with two threads
the CPU time of the process would add the threads up); every ratio compares two networks run
alternately in the same process, so a change of load on the machine affects both alike. A training step
is forward, cross-entropy, backward and an SGD step; inference is an eval-mode forward under
``torch.no_grad``. Peak activation memory is the total size of the distinct tensors that autograd saves
for backward during one training forward (``torch.autograd.graph.saved_tensors_hooks``; parameters
and buffers excluded: the model holds them anyway), which is what a training step holds at its peak on top of the parameters.

The profile runs one extra set of steps with module hooks (forward pre/post hooks and full backward
pre/post hooks) and attributes the time between them to the module's category: convolution,
normalization, nonlinearity, pooling; "expansion" (the filter built from the parameters, forward and
backward) is timed separately on each convolution and subtracted from "convolution"; "other" is the
rest of the step (loss, classifier, optimizer, the hooks themselves).

Run from the repository root::

    PYTHONPATH=. python benchmarks/bench_networks.py [--threads 1] [--quick] [--compile] [--escnn]

``--escnn`` adds escnn's version of the C8 / D4 / SO(2) networks; escnn needs numpy<2 and py3nj, so run
it in its own environment: ``PYTHONPATH=. /work/venvs/escnn/bin/python benchmarks/bench_networks.py
--escnn``. ``--compile`` adds the ``torch.compile``-d training step of each network.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
import warnings
from collections import defaultdict
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

from groupconv.groups import SO2, Cyclic, Dihedral
from groupconv.nn import (
    BlurPool2d,
    FieldBatchNorm,
    FieldType,
    GatedNonlinearity,
    GlobalPool2d,
    GroupConv2d,
    GroupPooling,
    LiftingConv2d,
    ModulusNonlinearity,
    NormNonlinearity,
    NormPooling,
    ReLU,
    SteerableConv2d,
    binomial_filter,
)
from groupconv.nn.conv import EquivariantConv2d
from groupconv.nn.nonlinearities import PointwiseNonlinearity
from groupconv.reps import irrep, regular, trivial

CLASSES = 10


class PlainBlur(nn.Conv2d):
    """The plain CNN's blur-pool: a fixed binomial depthwise filter, stride 2."""

    def __init__(self, channels: int):
        super().__init__(channels, channels, 3, stride=2, padding=1, groups=channels, bias=False)
        w = torch.as_tensor(binomial_filter(3), dtype=torch.float32).expand(channels, 1, 3, 3).contiguous()
        self.weight = nn.Parameter(w, requires_grad=False)


class DropChannels(nn.Module):
    """Keeps the channels after the first ``k``: the plain counterpart of gates consumed by a gated
    nonlinearity (their convolution, batch norm and ReLU are paid, their output is not passed on)."""

    def __init__(self, k: int):
        super().__init__()
        self.k = k

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x[:, self.k :]


def plain_cnn(widths: tuple[int, int, int], extra: tuple[int, int, int] = (0, 0, 0)) -> nn.Sequential:
    """The plain CNN with ``widths`` channels after each block; its convolutions produce ``extra`` more
    channels each (dropped after the ReLU), for the gated network's gates."""
    layers: list[nn.Module] = []
    previous = 1
    for i, (w, e) in enumerate(zip(widths, extra)):
        layers += [nn.Conv2d(previous, w + e, 5, padding=2), nn.BatchNorm2d(w + e), nn.ReLU()]
        if e:
            layers.append(DropChannels(e))
        if i < 2:
            layers.append(PlainBlur(w))
        previous = w
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(previous, CLASSES))


def regular_network(G) -> nn.Sequential:
    def reg(n):
        return FieldType(G, [regular(G)] * n)

    t8, t16 = reg(8), reg(16)
    return nn.Sequential(
        LiftingConv2d.from_channels(G, 1, 8, 5, padding=2),
        FieldBatchNorm(t8),
        ReLU(t8),
        BlurPool2d(t8),
        GroupConv2d.from_channels(G, 8, 16, 5, padding=2),
        FieldBatchNorm(t16),
        ReLU(t16),
        BlurPool2d(t16),
        GroupConv2d.from_channels(G, 16, 16, 5, padding=2),
        FieldBatchNorm(t16),
        ReLU(t16),
        GroupPooling(t16),
        GlobalPool2d(FieldType(G, [trivial(G)] * 16)),
        nn.Flatten(),
        nn.Linear(16, CLASSES),
    )


def _so2_type(blocks: int) -> FieldType:
    G = SO2()
    # grouped by dimension (all trivial fields, then the 2D ones), so that field-wise layers slice
    # instead of gathering; escnn's version has the same order
    return FieldType(G, [trivial(G)] * blocks + [irrep(G, 1)] * blocks + [irrep(G, 2)] * blocks)


def so2_network(gated: bool) -> nn.Sequential:
    G = SO2()
    types = [_so2_type(13), _so2_type(26), _so2_type(26)]
    layers: list[nn.Module] = []
    previous = FieldType(G, [trivial(G)])
    for i, t in enumerate(types):
        if gated:
            gate = GatedNonlinearity(t)
            layers += [
                SteerableConv2d(previous, gate.in_type, 5, padding=2),
                FieldBatchNorm(gate.in_type),
                gate,
            ]
        else:
            layers += [SteerableConv2d(previous, t, 5, padding=2), FieldBatchNorm(t), NormNonlinearity(t)]
        if i < 2:
            layers.append(BlurPool2d(t))
        previous = t
    pool = NormPooling(previous)
    layers += [pool, GlobalPool2d(pool.out_type), nn.Flatten(), nn.Linear(len(previous), CLASSES)]
    return nn.Sequential(*layers)


def scattering_network() -> nn.Sequential:
    from groupconv.scattering import Scattering2D

    scattering = Scattering2D((32, 32), J=2, L=8, max_order=2)
    k = scattering(torch.zeros(1, 1, 32, 32)).reshape(1, -1).shape[1]
    return nn.Sequential(scattering, nn.Flatten(), nn.Linear(k, CLASSES))


def escnn_network(name: str) -> nn.Module:
    """escnn's version of the same architecture (escnn 1.0 API)."""
    from escnn import gspaces
    from escnn import nn as enn

    if name in ("c8", "d4"):
        gs = gspaces.rot2dOnR2(8) if name == "c8" else gspaces.flipRot2dOnR2(4)
        t_in = enn.FieldType(gs, [gs.trivial_repr])
        t8 = enn.FieldType(gs, [gs.regular_repr] * 8)
        t16 = enn.FieldType(gs, [gs.regular_repr] * 16)
        body = enn.SequentialModule(
            enn.R2Conv(t_in, t8, 5, padding=2),
            enn.InnerBatchNorm(t8),
            enn.ReLU(t8),
            enn.PointwiseAvgPoolAntialiased2D(t8, sigma=0.66, stride=2),
            enn.R2Conv(t8, t16, 5, padding=2),
            enn.InnerBatchNorm(t16),
            enn.ReLU(t16),
            enn.PointwiseAvgPoolAntialiased2D(t16, sigma=0.66, stride=2),
            enn.R2Conv(t16, t16, 5, padding=2),
            enn.InnerBatchNorm(t16),
            enn.ReLU(t16),
            enn.GroupPooling(t16),
        )
        width = 16
    else:
        gs = gspaces.rot2dOnR2(-1, maximum_frequency=4)

        def ftype(blocks):
            return enn.FieldType(gs, [gs.irrep(0)] * blocks + [gs.irrep(1)] * blocks + [gs.irrep(2)] * blocks)

        types = [ftype(13), ftype(26), ftype(26)]
        layers = []
        previous = enn.FieldType(gs, [gs.trivial_repr])
        for i, t in enumerate(types):
            if name == "so2_gated":
                gates = enn.FieldType(gs, [gs.irrep(0)] * len(t))
                conv_out = gates + t
                layers += [
                    enn.R2Conv(previous, conv_out, 5, padding=2),
                    enn.IIDBatchNorm2d(conv_out),
                    enn.GatedNonLinearity1(conv_out, gates=["gate"] * len(t) + ["gated"] * len(t)),
                ]
            else:
                layers += [
                    enn.R2Conv(previous, t, 5, padding=2),
                    enn.IIDBatchNorm2d(t),
                    enn.NormNonLinearity(t, function="n_relu"),
                ]
            if i < 2:
                layers.append(enn.PointwiseAvgPoolAntialiased2D(t, 0.66, stride=2))
            previous = t
        layers.append(enn.NormPool(previous))
        body = enn.SequentialModule(*layers)
        width = len(previous)

    class Wrapped(nn.Module):
        def __init__(self):
            super().__init__()
            self.body, self.in_type = body, body.in_type
            self.head = nn.Linear(width, CLASSES)

        def forward(self, x):
            y = self.body(enn.GeometricTensor(x, self.in_type)).tensor
            return self.head(y.mean((-2, -1)))

    return Wrapped()


# ---------------------------------------------------------------------------------------------- timing


def _median(samples: list[float]) -> float:
    return statistics.median(samples)


def _train_step(model, x, target, optimizer):
    optimizer.zero_grad(set_to_none=True)
    loss = F.cross_entropy(model(x), target)
    loss.backward()
    optimizer.step()


def _timed(fn: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def interleaved(
    fns: dict[str, Callable[[], object]], repeats: int, warmup: int = 3
) -> dict[str, list[float]]:
    for fn in fns.values():
        for _ in range(warmup):
            fn()
    out: dict[str, list[float]] = {k: [] for k in fns}
    for _ in range(repeats):
        for k, fn in fns.items():
            out[k].append(_timed(fn))
    return out


def saved_activation_bytes(model: nn.Module, x: torch.Tensor, target: torch.Tensor) -> int:
    # parameters and buffers (index tables, bases) are held by the model whether or not a step runs:
    # a saved reference to one costs no memory
    held = list(model.parameters()) + list(model.buffers())
    params = {p.untyped_storage().data_ptr() for p in held}
    seen: dict[int, int] = {}

    def pack(t: torch.Tensor):
        s = t.untyped_storage()
        if s.data_ptr() not in params:
            seen[s.data_ptr()] = max(seen.get(s.data_ptr(), 0), s.nbytes())
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        loss = F.cross_entropy(model(x), target)
    loss.backward()
    model.zero_grad(set_to_none=True)
    return sum(seen.values())


# --------------------------------------------------------------------------------------------- profile

CATEGORIES = ("convolution", "expansion", "normalization", "nonlinearity", "pooling", "other")


def _category(m: nn.Module) -> str | None:
    if isinstance(m, (PlainBlur, BlurPool2d, GroupPooling, GlobalPool2d, NormPooling, nn.AdaptiveAvgPool2d)):
        return "pooling"
    if isinstance(m, (EquivariantConv2d, nn.Conv2d)):
        return "convolution"
    if isinstance(m, (FieldBatchNorm, nn.BatchNorm2d)):
        return "normalization"
    nonlinear = (PointwiseNonlinearity, NormNonlinearity, GatedNonlinearity, ModulusNonlinearity, nn.ReLU)
    if isinstance(m, nonlinear):
        return "nonlinearity"
    if type(m).__module__.startswith("escnn"):
        name = type(m).__name__
        if "Conv" in name:
            return "convolution"
        if "Norm" in name and "NonLinearity" not in name and "Pool" not in name:
            return "normalization"
        if "NonLinearity" in name or name in ("ReLU", "ELU"):
            return "nonlinearity"
        if "Pool" in name:
            return "pooling"
    return None


def profile(model: nn.Module, x, target, repeats: int) -> dict[str, float]:
    """Median milliseconds per category of one training step (see the module docstring)."""
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-3)
    totals: dict[str, list[float]] = defaultdict(list)
    current: dict[str, float] = defaultdict(float)
    start: dict[int, float] = {}
    handles = []
    # the outermost module of a category only: a groupconv ReLU holds an nn.ReLU, which must not count twice
    leaves: list[tuple[nn.Module, str]] = []
    covered: set[int] = set()
    for m in model.modules():
        if id(m) in covered:
            continue
        c = _category(m)
        if c is not None:
            leaves.append((m, c))
            covered.update(id(sub) for sub in m.modules())
    for m, cat in leaves:

        def pre(mod, *_):
            start[id(mod)] = time.perf_counter()

        def post(mod, *_, cat=cat):
            current[cat] += time.perf_counter() - start[id(mod)]

        handles += [m.register_forward_pre_hook(pre), m.register_forward_hook(post)]
        handles += [m.register_full_backward_pre_hook(pre), m.register_full_backward_hook(post)]
    x = x.clone().requires_grad_(True)  # so that the first module's backward hooks fire
    try:
        for i in range(repeats + 2):
            current.clear()
            step = _timed(lambda: _train_step(model, x, target, optimizer))
            if i >= 2:
                inside = sum(current.values())
                for cat in CATEGORIES:
                    totals[cat].append(current.get(cat, 0.0))
                totals["other"][-1] = step - inside
                totals["step"].append(step)
    finally:
        for h in handles:
            h.remove()
    out = {k: _median(v) * 1e3 for k, v in totals.items()}
    convs = [m for m in model.modules() if isinstance(m, EquivariantConv2d)]
    if convs:
        grads = [torch.randn_like(m.expand_filter()[0]) for m in convs]

        def expand():
            for m, g in zip(convs, grads):
                (m.expand_filter()[0] * g).sum().backward()

        expansion = _median(interleaved({"e": expand}, repeats)["e"]) * 1e3
        out["expansion"] = expansion
        out["convolution"] -= expansion
    return out


# ------------------------------------------------------------------------------------------------ main


def build(name: str, escnn: bool):
    """(input shape, {label: model}) with the groupconv network first and its references after."""
    if name == "scattering":
        return (32, 1, 32, 32), {"groupconv": scattering_network()}
    if name in ("c8", "d4"):
        models = {"groupconv": regular_network(Cyclic(8) if name == "c8" else Dihedral(4))}
        models["plain"] = plain_cnn((64, 128, 128))
    else:
        models = {"groupconv": so2_network(gated=name == "so2_gated")}
        models["plain"] = plain_cnn((65, 130, 130))
        if name == "so2_gated":
            models["plain+gates"] = plain_cnn((65, 130, 130), (39, 78, 78))
    if escnn:
        models["escnn"] = escnn_network(name)
    return (32, 1, 29, 29), models


def _trainer(model, x, target, optimizer) -> Callable[[], None]:
    def run():
        _train_step(model.train(), x, target, optimizer)

    return run


def _inferer(model, x) -> Callable[[], None]:
    def run():
        with torch.no_grad():
            model.eval()(x)

    return run


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=30, help="interleaved timed steps (median)")
    parser.add_argument("--networks", default="c8,d4,so2_norm,so2_gated,scattering")
    parser.add_argument("--quick", action="store_true", help="batch 4, 3 repeats (smoke test)")
    parser.add_argument("--compile", action="store_true", help="also time torch.compile-d training steps")
    parser.add_argument("--escnn", action="store_true", help="also run escnn (in its own environment)")
    parser.add_argument("--no-profile", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    warnings.simplefilter("ignore")
    repeats = 3 if args.quick else args.repeats
    load = os.getloadavg()
    print(
        f"torch {torch.__version__}, threads {torch.get_num_threads()}, repeats {repeats}, "
        f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} ({os.cpu_count()} CPUs)"
    )
    rows = []
    for name in args.networks.split(","):
        torch.manual_seed(0)
        shape, models = build(name, args.escnn)
        if args.quick:
            shape = (4,) + shape[1:]
        x = torch.randn(shape)
        target = torch.randint(0, CLASSES, (shape[0],))
        optimizers = {k: torch.optim.SGD(m.parameters(), lr=1e-3) for k, m in models.items()}
        train = {k: _trainer(m, x, target, optimizers[k]) for k, m in models.items()}
        if args.compile:
            for k, m in list(models.items()):
                if k != "escnn":
                    opt = torch.optim.SGD(m.parameters(), lr=1e-3)
                    train[f"{k} compiled"] = _trainer(torch.compile(m), x, target, opt)
        step = interleaved(train, repeats)
        inference = interleaved({k: _inferer(m, x) for k, m in models.items()}, repeats)
        memory = {k: saved_activation_bytes(m.train(), x, target) for k, m in models.items()}
        ref = "plain" if "plain" in models else None
        for k in step:
            base = k.split(" ")[0]
            t = _median(step[k])
            row = {
                "network": name,
                "model": k,
                "train_ms": t * 1e3,
                "train_range": (min(step[k]) * 1e3, max(step[k]) * 1e3),
                "infer_ms": _median(inference[base]) * 1e3 if k in inference else None,
                "memory_mb": memory[base] / 2**20 if k in memory else None,
            }
            if ref is not None:
                row["train_ratio"] = t / _median(step[ref])
                if k in inference:
                    row["infer_ratio"] = row["infer_ms"] / (_median(inference[ref]) * 1e3)
                    row["memory_ratio"] = memory[k] / memory[ref]
            rows.append(row)
        if not args.no_profile:
            for k, m in models.items():
                if k == "escnn":
                    continue
                prof = profile(m.train(), x, target, repeats)
                parts = ", ".join(f"{c} {prof.get(c, 0.0):.1f}" for c in CATEGORIES)
                print(f"profile {name} / {k} (ms of a {prof['step']:.1f} ms step with hooks): {parts}")
    print()
    print(
        "| network | model | train (ms) | range | vs plain | inference (ms) | vs plain | memory (MB) | vs plain |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:

        def fmt(v, spec=".3f"):
            return "" if v is None else format(v, spec)

        print(
            f"| {r['network']} | {r['model']} | {r['train_ms']:.1f} | {r['train_range'][0]:.1f}-"
            f"{r['train_range'][1]:.1f} | {fmt(r.get('train_ratio'))} | {fmt(r['infer_ms'], '.1f')} | "
            f"{fmt(r.get('infer_ratio'))} | {fmt(r['memory_mb'], '.1f')} | {fmt(r.get('memory_ratio'))} |"
        )
    print(f"load average at the end: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")


if __name__ == "__main__":
    main()
