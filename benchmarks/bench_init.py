"""Second-moment drift of a deep ReLU network of regular fields at initialization: the closed-form
generalized He rule against the data-driven calibration ``lsuv_init_`` (per layer and per output field).

A lifting layer (1 -> 8 regular fields, 5x5) and five (ReLU, SteerableConv2d 8 -> 8 regular fields, 5x5,
no bias) blocks; the drift is ``E[y^2]`` of the last layer over ``E[h^2]`` of the lifting layer on a batch of
4 images of 33x33 that the calibration did not see (it used another batch of the same size). One line per
group and rule: geometric mean, smallest and largest drift over the draws, and the CPU time of the
calibration.

Run from the repository root: ``PYTHONPATH=. python benchmarks/bench_init.py [--draws 6]``.
"""

from __future__ import annotations

import argparse
import math
import time
import warnings

import torch
from torch import nn


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--draws", type=int, default=6)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    torch.set_num_threads(1)
    from groupconv.groups import Cyclic, Dihedral
    from groupconv.nn import FieldType, LiftingConv2d, ReLU, SteerableConv2d, lsuv_init_
    from groupconv.reps import regular

    print(f"torch {torch.__version__}, one thread, {args.draws} draws (seeds 0..{args.draws - 1})")
    print("| group | rule | drift: geometric mean | smallest | largest | calibration CPU time (s) |")
    print("|---|---|---|---|---|---|")
    for G in (Dihedral(8), Cyclic(8)):
        reg = FieldType(G, [regular(G)] * 8)
        for rule in ("generalized He", "lsuv_init_", "lsuv_init_(per_field=True)"):
            logs, cpu = [], 0.0
            for seed in range(args.draws):
                torch.manual_seed(seed)
                layers = [LiftingConv2d.from_channels(G, 1, 8, 5, padding=2)]
                for _ in range(5):
                    layers += [ReLU(reg), SteerableConv2d(reg, reg, 5, padding=2, bias=False)]
                model = nn.Sequential(*layers)
                if rule != "generalized He":
                    t0 = time.process_time()
                    lsuv_init_(model, torch.randn(4, 1, 33, 33), per_field="per_field" in rule)
                    cpu += time.process_time() - t0
                x = torch.randn(4, 1, 33, 33)
                with torch.no_grad():
                    first = float(model[0](x).pow(2).mean())
                    last = float(model(x).pow(2).mean())
                logs.append(math.log(last / first))
            mean = math.exp(sum(logs) / len(logs))
            print(
                f"| {G} | {rule} | {mean:.2f}x | {math.exp(min(logs)):.2f}x | {math.exp(max(logs)):.2f}x | "
                f"{cpu / args.draws:.2f} |"
            )


if __name__ == "__main__":
    main()
