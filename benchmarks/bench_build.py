"""Time to build a 10-layer D_8 steerable network (16 regular fields per layer, 5x5 kernels), bases and
generalized He initialization included. escnn users report minutes for such networks (escnn issue 54).

Run from the repository root: ``PYTHONPATH=. python benchmarks/bench_build.py`` (prints the wall-clock and CPU time of the process; a fresh
process, so nothing is cached). On a shared machine the CPU time is the figure that does not depend on
the other jobs.
"""

from __future__ import annotations

import os
import time
import warnings

import torch
from torch import nn


def main() -> None:
    warnings.simplefilter("ignore")
    t0 = time.perf_counter()
    from groupconv.groups import Dihedral
    from groupconv.nn import FieldType, LiftingConv2d, SteerableConv2d
    from groupconv.reps import regular

    # torch imports its symbolic-shapes module lazily on the first broadcast_shapes call (about 1 s
    # on this machine): counted with the imports, it is not part of building the network
    torch.broadcast_shapes((1,), (1,))
    t_import = time.perf_counter() - t0
    t0, c0 = time.perf_counter(), time.process_time()
    G = Dihedral(8)
    reg = FieldType(G, [regular(G)] * 16)
    layers = [LiftingConv2d.from_channels(G, 1, 16, 5, padding=2)]
    for _ in range(9):
        layers += [nn.ReLU(), SteerableConv2d(reg, reg, 5, padding=2)]
    net = nn.Sequential(*layers)
    t_build, c_build = time.perf_counter() - t0, time.process_time() - c0
    n = sum(p.numel() for p in net.parameters())
    x = torch.randn(1, 1, 33, 33)
    with torch.no_grad():
        y = net(x)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"load average {load:.1f}: 10-layer D8 network (16 regular fields, 5x5): built and initialized in {t_build:.2f} s "
        f"wall, {c_build:.2f} s CPU "
        f"(imports {t_import:.2f} s), {n} parameters; output std {float(y.std()):.3g} for unit input"
    )


if __name__ == "__main__":
    main()
