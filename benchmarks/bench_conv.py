"""Forward + backward of LiftingConv2d / GroupConv2d against ``torch.nn.functional.conv2d`` with the
expanded channel counts, in the same process.

The reference is a plain convolution with a leaf filter of the expanded shape (what any equivariant
layer must at least compute); the ratio shows the cost of building the filter from the learned
parameters (one gather for C4 / D4, one einsum with the steerable basis for C8).

Times are CPU times of the process (``time.process_time``, one torch thread by default), which do not
depend on other jobs sharing the machine. Run from the repository root:
``PYTHONPATH=. python benchmarks/bench_conv.py [--quick]``.
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings

import torch
import torch.nn.functional as F

from groupconv.groups import Cyclic, Dihedral
from groupconv.nn import GroupConv2d, LiftingConv2d


def _step_layer(layer, x):
    layer.zero_grad(set_to_none=True)
    x.grad = None
    y = layer(x)
    y.sum().backward()


def _step_ref(w, b, x, padding):
    w.grad = None
    b.grad = None
    x.grad = None
    y = F.conv2d(x, w, b, padding=padding)
    y.sum().backward()


def _time(fn, repeats):
    out = []
    for _ in range(repeats):
        t0 = time.process_time()
        fn()
        out.append(time.process_time() - t0)
    return out


def bench(layer, batch, size, repeats):
    x = torch.randn(batch, layer.in_type.size, size, size, requires_grad=True)
    with torch.no_grad():
        w0, b0 = layer.expand_filter()
    w = w0.clone().requires_grad_(True)
    b = b0.clone().requires_grad_(True)
    pad = layer.padding
    for _ in range(2):
        _step_layer(layer, x)
        _step_ref(w, b, x, pad)
    ours, ref = [], []
    # interleave so that load changes on the machine affect both alike
    for _ in range(repeats):
        ours += _time(lambda: _step_layer(layer, x), 1)
        ref += _time(lambda: _step_ref(w, b, x, pad), 1)
    return statistics.median(ours), statistics.median(ref)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=1, help="torch threads (1: least sensitive to load)")
    parser.add_argument("--quick", action="store_true", help="small sizes (smoke test)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    warnings.simplefilter("ignore")
    batch, size, repeats, fields = (2, 16, 3, 4) if args.quick else (8, 32, 15, 16)
    cases = []
    for G in (Cyclic(4), Dihedral(4), Cyclic(8)):
        cases.append(
            (f"LiftingConv2d {G} 3->{fields}, 5x5", LiftingConv2d.from_channels(G, 3, fields, 5, padding=2))
        )
        cases.append(
            (
                f"GroupConv2d {G} {fields}->{fields}, 3x3",
                GroupConv2d.from_channels(G, fields, fields, 3, padding=1),
            )
        )
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, batch {batch}, {size}x{size}")
    print("| layer | expanded channels | expansion | ours (ms) | conv2d (ms) | ratio |")
    print("|---|---|---|---|---|---|")
    for name, layer in cases:
        ours, ref = bench(layer, batch, size, repeats)
        print(
            f"| {name} | {layer.in_type.size}->{layer.out_type.size} | {layer.basis_kind} | {ours * 1e3:.1f} | "
            f"{ref * 1e3:.1f} | {ours / ref:.3f} |"
        )


if __name__ == "__main__":
    main()
