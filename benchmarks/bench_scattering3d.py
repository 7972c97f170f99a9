"""HarmonicScattering3D against kymatio's torch HarmonicScattering3D, in one process.

kymatio 0.3 needs scipy < 1.17, so it lives in its own environment that inherits torch and groupconv from
the system site::

    python -m venv --system-site-packages /work/venvs/kymatio
    /work/venvs/kymatio/bin/pip install kymatio==0.3.0 "scipy<1.17"
    /work/venvs/kymatio/bin/python benchmarks/bench_scattering3d.py

Measures, for J=2, L=3, max_order=2, the default integral powers (0.5, 1, 2), batch 4 of random densities
at 32^3 and 64^3 (CPU, float32, no autograd): the forward times (best of interleaved runs, so that a
varying machine load hits both), their ratio (kymatio / groupconv), the filter-bank construction times,
and the largest relative difference of the outputs, ``max |S_g - S_k| / |S_k|`` (kymatio computes its
filters in complex64).
"""

from __future__ import annotations

import argparse
import time
import warnings

import torch

from groupconv.scattering import HarmonicScattering3D


def interleaved(*fns, repeat: int) -> tuple[float, ...]:
    """Best-of timings of functions run alternately."""
    times = [[] for _ in fns]
    for _ in range(repeat):
        for t, fn in zip(times, fns):
            start = time.perf_counter()
            fn()
            t.append(time.perf_counter() - start)
    return tuple(min(t) for t in times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[32, 64])
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    from kymatio.torch import HarmonicScattering3D as KymatioScattering3D

    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, J=2, L=3, batch {args.batch}")
    print(
        "| grid | kymatio forward (s) | groupconv forward (s) | ratio | build kymatio / groupconv (s) | max rel. diff |"
    )
    print("|---|---|---|---|---|---|")
    for n in args.sizes:
        shape = (n, n, n)
        start = time.perf_counter()
        with warnings.catch_warnings():
            # scipy's sph_harm deprecation warning, once per filter
            warnings.simplefilter("ignore")
            kym = KymatioScattering3D(J=2, shape=shape, L=3)
        build_k = time.perf_counter() - start
        start = time.perf_counter()
        ours = HarmonicScattering3D(2, shape, L=3)
        build_g = time.perf_counter() - start
        x = torch.rand(args.batch, *shape, generator=torch.Generator().manual_seed(0))
        with torch.no_grad():
            yk, yg = kym(x), ours(x)
            tk, tg = interleaved(lambda k=kym, v=x: k(v), lambda g=ours, v=x: g(v), repeat=args.repeat)
        diff = float(((yg - yk).abs() / yk.abs()).max())
        print(
            f"| {n}^3 | {tk:.3f} | {tg:.3f} | {tk / tg:.2f}x | {build_k:.2f} / {build_g:.2f} | {diff:.1e} |"
        )
        assert diff < 1e-5, f"outputs differ by {diff:.2e} at {n}^3"


if __name__ == "__main__":
    main()
