"""Spherical CNNs at research scale: build time and peak memory of an ``S^2 -> SO(3) -> SO(3) -> invariant``
network, the sphere transforms against e3nn's, and the scaling of the ``SO(3)`` transform with the bandwidth.

Sections (``--section``, default all):

- ``network``: ``S2Conv(1 -> C)``, ReLU, ``SO3Conv(C -> C)``, ReLU, ``SO3Integral``, a linear layer; ``C = 16``,
  bandwidth 32 with a batch of 8 and bandwidth 64 with a batch of 1, float32, both grids. Build time, the
  median time of a training step (forward, backward, Adam), and the peak memory: the growth of the process's
  maximum resident set from after the imports to after the steps, each configuration in a fresh process.
- ``e3nn``: ``S2FFT`` against ``e3nn.o3.FromS2Grid`` / ``ToS2Grid`` at ``l_max`` 32 and 64 (bandwidth
  ``l_max + 1``, the same ``2B x 2B`` equiangular grid), 64 signals, float32, same process; skipped without
  e3nn.
- ``scaling``: forward + inverse ``SO3FFT`` of one function from bandwidth 16 to 128 (Gauss-Legendre and
  Driscoll-Healy grids, float64), with the exponent ``p`` of ``time ~ B^p`` fitted by least squares in
  log-log; also the table build time.

All timings are CPU seconds (``time.process_time``) on one thread (``torch.set_num_threads(1)``), medians of
repeated runs. Run::

    python benchmarks/bench_spherical.py
    python benchmarks/bench_spherical.py --section scaling --max-bandwidth 64
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import statistics
import subprocess
import sys
import time


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _median_time(fn, repeat: int) -> float:
    """Median CPU seconds of ``fn`` (one thread, so CPU time is compute time; on a loaded shared machine
    wall-clock time mostly measures the other jobs)."""
    times = []
    for _ in range(repeat):
        t0 = time.process_time()
        fn()
        times.append(time.process_time() - t0)
    return statistics.median(times)


def child_network(bandwidth: int, batch: int, channels: int, grid: str, steps: int) -> dict:
    import torch
    from torch import nn

    from groupconv.nn import GridNonlinearity, S2Conv, SO3Conv, SO3Integral

    torch.set_num_threads(1)
    base = _rss_mb()
    t0 = time.process_time()
    s2 = S2Conv.from_channels(1, channels, bandwidth, grid=grid)
    so3 = SO3Conv.from_channels(channels, channels, bandwidth, grid=grid)
    model = nn.Sequential(
        s2,
        GridNonlinearity(s2.out_type),
        so3,
        GridNonlinearity(so3.out_type),
        SO3Integral(so3.out_type),
        nn.Linear(channels, 10),
    )
    build = time.process_time() - t0
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    x = torch.randn((batch,) + s2.in_type.shape)
    y = torch.randint(0, 10, (batch,))

    def step():
        loss = nn.functional.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()

    step()
    t_step = _median_time(step, steps)
    return {
        "bandwidth": bandwidth,
        "batch": batch,
        "channels": channels,
        "grid": grid,
        "params": sum(p.numel() for p in model.parameters()),
        "build_s": build,
        "step_s": t_step,
        "peak_mb": _rss_mb() - base,
    }


def child_transform(bandwidth: int, grid: str, repeat: int) -> dict:
    import torch

    from groupconv.fourier import SO3FFT

    torch.set_num_threads(1)
    base = _rss_mb()
    t0 = time.process_time()
    t = SO3FFT(bandwidth, grid).double()
    build = time.process_time() - t0
    c = torch.randn(1, t.num_coefficients, dtype=torch.float64)
    f = t.inverse(c)
    err = float((t(f) - c).norm() / c.norm())
    fwd = _median_time(lambda: t(f), repeat)
    inv = _median_time(lambda: t.inverse(c), repeat)
    tables = sum(b.numel() for n, b in t.named_buffers() if n.startswith("table"))
    return {
        "bandwidth": bandwidth,
        "grid": grid,
        "build_s": build,
        "forward_s": fwd,
        "inverse_s": inv,
        "round_trip_rel_err": err,
        "table_entries": tables,
        "peak_mb": _rss_mb() - base,
    }


def _run_child(args: list[str]) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", *args], capture_output=True, text=True, check=True
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def section_network() -> None:
    print("\n### S^2 -> SO(3) -> SO(3) -> invariant, 16 channels, float32\n")
    print("| bandwidth | grid | batch | parameters | build CPU s | training step CPU s | peak memory MB |")
    print("|---|---|---|---|---|---|---|")
    for bandwidth, batch, steps in ((32, 8, 3), (64, 1, 2)):
        for grid in ("gl", "dh"):
            r = _run_child(["network", str(bandwidth), str(batch), "16", grid, str(steps)])
            print(
                f"| {bandwidth} | {grid} | {batch} | {r['params']} | {r['build_s']:.2f} | {r['step_s']:.2f} "
                f"| {r['peak_mb']:.0f} |",
                flush=True,
            )


def _e3nn_difference(lmax: int) -> float:
    """Largest relative difference of the two inverse transforms in float64 (e3nn builds its tables in the
    default dtype)."""
    import torch
    from e3nn.o3 import ToS2Grid

    from groupconv.fourier import S2FFT

    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        B = lmax + 1
        scale = torch.cat([torch.full((2 * l + 1,), (2 * l + 1) * math.sqrt(B)) for l in range(B)])
        a = torch.randn(4, B * B)
        f = S2FFT(B, "dh").double().inverse(a)
        return float(
            (ToS2Grid(lmax, (2 * B, 2 * B), normalization="component")(a * scale) - f).abs().max()
            / f.abs().max()
        )
    finally:
        torch.set_default_dtype(old)


def section_e3nn() -> None:
    try:
        from e3nn.o3 import FromS2Grid, ToS2Grid
    except ImportError:
        print("\n(e3nn is not installed: the comparison is skipped)")
        return
    import torch

    from groupconv.fourier import S2FFT

    torch.set_num_threads(1)
    print("\n### S^2 transforms against e3nn, 64 signals, float32, same process\n")
    print(
        "| l_max | grid | ours fwd ms | e3nn fwd ms | ratio fwd | ours inv ms | e3nn inv ms | ratio inv | rel diff (f64) |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for lmax in (32, 64):
        B = lmax + 1
        t = S2FFT(B, "dh").float()
        to_grid = ToS2Grid(lmax, (2 * B, 2 * B), normalization="component")
        from_grid = FromS2Grid((2 * B, 2 * B), lmax, normalization="component")
        a = torch.randn(64, B * B)
        f = t.inverse(a)
        diff = _e3nn_difference(lmax)
        ours_f = _median_time(lambda t=t, f=f: t(f), 7)
        e3_f = _median_time(lambda g=from_grid, f=f: g(f), 7)
        ours_i = _median_time(lambda t=t, a=a: t.inverse(a), 7)
        e3_i = _median_time(lambda g=to_grid, a=a: g(a), 7)
        print(
            f"| {lmax} | {2 * B} x {2 * B} | {ours_f * 1e3:.2f} | {e3_f * 1e3:.2f} | {e3_f / ours_f:.2f} | "
            f"{ours_i * 1e3:.2f} | {e3_i * 1e3:.2f} | {e3_i / ours_i:.2f} | {diff:.1e} |",
            flush=True,
        )


def section_scaling(max_bandwidth: int) -> None:
    import numpy as np

    print("\n### SO(3) transform of one function, float64\n")
    print(
        "| bandwidth | grid | build CPU s | forward CPU s | inverse CPU s | table entries | peak MB | round-trip error |"
    )
    print("|---|---|---|---|---|---|---|---|")
    fits = {}
    for grid in ("gl", "dh"):
        rows = []
        for B in (16, 32, 64, 128):
            if B > max_bandwidth:
                continue
            r = _run_child(["transform", str(B), grid, "5" if B < 128 else "3"])
            rows.append(r)
            print(
                f"| {B} | {grid} | {r['build_s']:.2f} | {r['forward_s']:.4f} | {r['inverse_s']:.4f} | "
                f"{r['table_entries']:,} | {r['peak_mb']:.0f} | {r['round_trip_rel_err']:.1e} |",
                flush=True,
            )
        if len(rows) >= 2:
            logb = np.log([r["bandwidth"] for r in rows])
            fits[grid] = {
                "forward + inverse": np.polyfit(
                    logb, np.log([r["forward_s"] + r["inverse_s"] for r in rows]), 1
                )[0],
                "build": np.polyfit(logb, np.log([r["build_s"] for r in rows]), 1)[0],
            }
    for grid, fit in fits.items():
        print(
            f"\nfitted exponents ({grid}): forward + inverse ~ B^{fit['forward + inverse']:.2f}, "
            f"table build ~ B^{fit['build']:.2f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--section", choices=["network", "e3nn", "scaling", "all"], default="all")
    parser.add_argument("--max-bandwidth", type=int, default=128)
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, *rest = args.child
        if kind == "network":
            b, n, c, grid, steps = rest
            res = child_network(int(b), int(n), int(c), grid, int(steps))
        else:
            b, grid, repeat = rest
            res = child_transform(int(b), grid, int(repeat))
        print(json.dumps(res))
        return
    if args.section in ("network", "all"):
        section_network()
    if args.section in ("e3nn", "all"):
        section_e3nn()
    if args.section in ("scaling", "all"):
        section_scaling(args.max_bandwidth)


if __name__ == "__main__":
    main()
