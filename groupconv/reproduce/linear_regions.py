"""Reproduction ``linear-regions``: bounds versus exact counts on random small ReLU networks.

Serra, Tjandraatmadja & Ramalingam, "Bounding and counting linear regions of deep neural networks",
ICML 2018: the upper bound (Theorem 1) is below Montúfar's earlier bound, the lower bound (Theorem 8) and
the upper bound meet at n0 = 1, and exact counts (here by traversal, and by the paper's MILP on the
smallest networks) stay below the bounds, far below for randomly initialised networks.

>>> from groupconv.analysis import linear_regions as lr
>>> net = _random_net(1, [3, 3], seed=0)
>>> lr.count_regions_1d(net, (-20.0, 20.0)).count <= lr.upper_bound(1, [3, 3]) == 16
True
"""

from __future__ import annotations

import time

import numpy as np
import torch

from ..analysis import linear_regions as lr
from ..utils.progress import progress
from . import Options, Result

PAPER = (
    "Serra, Tjandraatmadja & Ramalingam, Bounding and counting linear regions of deep neural networks, "
    "ICML 2018"
)


def _random_net(n0: int, widths: list[int], seed: int) -> torch.nn.Sequential:
    g = torch.Generator().manual_seed(seed)
    mods: list[torch.nn.Module] = []
    d = n0
    for n in widths:
        lin = torch.nn.Linear(d, n).double()
        with torch.no_grad():
            # He-normal weights and unit-variance biases: a generic network whose regions fill the box
            lin.weight.copy_(torch.randn(n, d, generator=g, dtype=torch.float64) * (2.0 / d) ** 0.5)
            lin.bias.copy_(torch.randn(n, generator=g, dtype=torch.float64))
        mods += [lin, torch.nn.ReLU()]
        d = n
    mods.append(torch.nn.Linear(d, 1).double())
    return torch.nn.Sequential(*mods)


def run(options: Options) -> Result:
    if options.smoke:
        archs = [(1, [3, 3]), (1, [4, 4, 4]), (2, [3, 3]), (2, [6, 6])]
        seeds, milp_max_units, n1d, n2d = 2, 6, 20_001, 201
    else:
        archs = [
            (1, [3, 3]),
            (1, [4, 4, 4]),
            (1, [8, 8]),
            (1, [6, 6, 6]),
            (2, [3, 3]),
            (2, [4, 4]),
            (2, [6, 6]),
            (2, [8, 8]),
            (2, [4, 4, 4]),
            (2, [6, 6, 6]),
            (2, [8, 8, 8]),
        ]
        seeds, milp_max_units, n1d, n2d = 10, 12, 400_001, 1001
    R = 20.0
    rows = []
    milp_rows = []
    t0 = time.monotonic()
    for n0, widths in progress(archs, desc="linear-regions", quiet=options.quiet):
        counts = []
        for s in range(seeds):
            net = _random_net(n0, widths, options.seed * 1000 + s)
            if n0 == 1:
                c = lr.count_regions_1d(net, (-R, R))
                grid = np.linspace(-R, R, n1d)[:, None]
            else:
                c = lr.count_regions_2d(net, (-R, R, -R, R))
                g = np.linspace(-R, R, n2d)
                grid = np.stack(np.meshgrid(g, g), -1).reshape(-1, 2)
            sampled = lr.count_patterns_sampled(net, grid)
            if sampled > c.count:
                raise AssertionError(f"sampled {sampled} patterns > exact count {c.count} for {widths}")
            counts.append(c.count)
            if s == 0 and sum(widths) <= milp_max_units:
                tm = time.monotonic()
                m = lr.count_regions_milp(net, [(-R, R)] * n0)
                milp_rows.append(
                    {
                        "n0": n0,
                        "widths": str(widths),
                        "traversal": c.count,
                        "milp": m.count,
                        "sampled": sampled,
                        "milp_seconds": round(time.monotonic() - tm, 2),
                    }
                )
        row = {
            "n0": n0,
            "widths": str(widths),
            "upper_thm1": lr.upper_bound(n0, widths),
            "montufar_2017": lr.montufar_bound(n0, widths),
            "lower_thm8": lr.lower_bound(n0, widths) if min(widths) >= 3 * n0 else "n/a",
            "exact_mean": float(np.mean(counts)),
            "exact_max": int(np.max(counts)),
        }
        if n0 == 1 and min(widths) >= 3:
            row["constructed"] = lr.count_regions_1d(lr.lower_bound_network_1d(widths), (0.0, 1.0)).count
        else:
            row["constructed"] = "n/a"
        rows.append(row)
    notes = [
        f"Random networks: He-normal weights, N(0, 1) biases, {seeds} seeds per architecture; regions "
        f"counted exactly on [-{R:g}, {R:g}]^n0 (1D breakpoint traversal, 2D polygon traversal).",
        "'constructed' is the count of the extremal n0 = 1 network (zigzag layers), equal to "
        "prod(n_l + 1) = upper = lower bound.",
        "Every sampled pattern count (fine grid) is <= the exact count; MILP counts (HiGHS, no-good cuts) "
        "equal the traversal counts.",
        f"Total time {time.monotonic() - t0:.1f} s.",
    ]
    return Result(
        name="linear-regions",
        title="Linear regions: bounds vs exact counts",
        paper=PAPER,
        tables={"Bounds and counts": rows, "MILP vs traversal": milp_rows},
        notes=notes,
        settings={"seeds": seeds, "box_half_width": R},
    )
