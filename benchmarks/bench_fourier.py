"""Spatial vs Fourier group convolution: time, memory, crossover; SO(3) transforms and table building.

Run from the repository root: ``python benchmarks/bench_fourier.py [--quick]``. Prints markdown tables
(the figures in ``docs/benchmarks.md``, section "Fourier transforms and group convolutions").

Measured, in one process and on one thread (``torch.set_num_threads(1)``: small FFTs on a shared
machine are dominated by thread wake-ups otherwise):

1. single-channel ``convolve(f, h, G)`` for a batch of ``f``, spatial (gather, ``|G|^2`` products per
   function) against Fourier (transforms plus ``sum_rho d_rho^3``);
2. a multi-channel layer ``C -> C`` on ``L^2(G)``: the regular-representation group convolution (the
   filter expanded to a ``(C |G|) x (C |G|)`` matrix, the standard spatial implementation) against
   :class:`~groupconv.nn.HomogeneousFourierConv` (products of Fourier matrices, ``C^2 sum_rho d_rho^3``);
3. SO(3): separable transforms against the matrix path for bandwidths 4..16, spatial vs Fourier
   convolution where the spatial quadrature fits, and the time to build the grid and Wigner tables
   for bandwidth 32.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch

# run against this checkout's groupconv, whatever is installed
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from groupconv.fourier import convolve, fourier_transform, function_space, inverse_fourier_transform  # noqa: E402
from groupconv.fourier.so3 import _TABLES, _TORCH, so3_tables  # noqa: E402
from groupconv.groups import Cyclic, Dihedral, Symmetric  # noqa: E402
from groupconv.groups.spatial import SO3  # noqa: E402
from groupconv.nn import HomogeneousFourierConv  # noqa: E402


def timeit(fn, repeat: int = 5) -> float:
    """Median wall time of ``fn()`` in seconds (after one warm-up call)."""
    fn()
    ts = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t)
    ts.sort()
    return ts[len(ts) // 2]


def allocated_bytes(fn) -> int:
    """Bytes allocated by torch CPU ops during ``fn()`` (torch profiler, positive self allocations)."""
    from torch.profiler import ProfilerActivity, profile

    with profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
        fn()
    return int(sum(max(e.self_cpu_memory_usage, 0) for e in prof.key_averages()))


def sum_d3(G) -> int:
    return sum(ir.dim**3 for ir in function_space(G).irreps)


def bench_single(groups, batch: int) -> list[dict]:
    rows = []
    for G in groups:
        n = G.order
        f = torch.randn(batch, n, dtype=torch.float64)
        h = torch.randn(n, dtype=torch.float64)
        ts = timeit(lambda G=G, f=f, h=h: convolve(f, h, G, method="spatial"))
        tf = timeit(lambda G=G, f=f, h=h: convolve(f, h, G, method="fourier"))
        ms = allocated_bytes(lambda G=G, f=f, h=h: convolve(f, h, G, method="spatial"))
        mf = allocated_bytes(lambda G=G, f=f, h=h: convolve(f, h, G, method="fourier"))
        err = float((convolve(f, h, G, method="spatial") - convolve(f, h, G, method="fourier")).abs().max())
        rows.append(
            dict(
                group=G.name,
                order=n,
                d3=sum_d3(G),
                spatial_ms=ts * 1e3,
                fourier_ms=tf * 1e3,
                ratio=ts / tf,
                spatial_mb=ms / 2**20,
                fourier_mb=mf / 2**20,
                err=err,
            )
        )
    return rows


def spatial_layer(G):
    """The regular-representation group convolution as one matrix: ``y_o(u) = sum_i sum_v x_i(u v^-1) h_io(v) / |G|``."""
    table = torch.as_tensor(G.cayley_table_np)
    inv = torch.as_tensor(G.inverse_table_np)
    # x_i(u v^-1) = x_i[w] with w = u v^-1, i.e. v = w^-1 u: K[o, i, u, w] = h_io(w^-1 u) / |G|
    idx = table[inv[:, None], torch.arange(G.order)[None, :]]  # idx[w, u] = w^-1 u

    def forward(x, h):
        kernel = h[:, :, idx] / G.order  # (C_in, C_out, w, u)
        return torch.einsum("biw,iowu->bou", x, kernel)

    return forward


def bench_layers(groups, channels: int, batch: int) -> list[dict]:
    rows = []
    for G in groups:
        n = G.order
        layer = HomogeneousFourierConv(G, channels, channels, bias=False).double()
        x = torch.randn(batch, channels, n, dtype=torch.float64)
        # the filters as functions on G, read off the layer: h_io = |G| (delta_e in channel i -> output o)
        delta = torch.zeros(channels, channels, n, dtype=torch.float64)
        delta[torch.arange(channels), torch.arange(channels), 0] = 1.0
        with torch.no_grad():
            h = layer(delta) * n
        spatial = spatial_layer(G)
        with torch.no_grad():
            err = float((spatial(x, h) - layer(x)).abs().max())
            run_s = lambda s=spatial, x=x, h=h: s(x, h)  # noqa: E731
            run_f = lambda m=layer, x=x: m(x)  # noqa: E731
            ts, tf = timeit(run_s), timeit(run_f)
            ms, mf = allocated_bytes(run_s), allocated_bytes(run_f)
        rows.append(
            dict(
                group=G.name,
                order=n,
                d3=sum_d3(G),
                g2=n * n,
                spatial_ms=ts * 1e3,
                fourier_ms=tf * 1e3,
                ratio=ts / tf,
                spatial_mb=ms / 2**20,
                fourier_mb=mf / 2**20,
                err=err,
            )
        )
    return rows


def bench_so3(bandwidths, spatial_max: int, batch: int) -> list[dict]:
    rows = []
    G = SO3()
    for L in bandwidths:
        sp = function_space(G, L)
        f = torch.randn(batch, sp.num_points, dtype=torch.float64)
        t_fast = timeit(
            lambda sp=sp, f=f: inverse_fourier_transform(
                fourier_transform(f, sp, method="fast"), method="fast"
            ),
            3,
        )
        row = dict(L=L, points=sp.num_points, coeffs=sp.num_coefficients, fast_ms=t_fast * 1e3)
        if sp.num_points * sp.num_coefficients <= 3e7:
            sp.analysis_matrix, sp.synthesis_matrix  # noqa: B018 - build once, outside the timing
            t_mat = timeit(
                lambda sp=sp, f=f: inverse_fourier_transform(
                    fourier_transform(f, sp, method="matrix"), method="matrix"
                ),
                3,
            )
            row["matrix_ms"] = t_mat * 1e3
        if L <= spatial_max:
            h = torch.randn(sp.num_points, dtype=torch.float64)
            fb = inverse_fourier_transform(fourier_transform(f[:2], sp))
            row["conv_spatial_ms"] = (
                timeit(lambda sp=sp, fb=fb, h=h: convolve(fb, h, sp, method="spatial"), 1) * 1e3
            )
            row["conv_fourier_ms"] = (
                timeit(lambda sp=sp, fb=fb, h=h: convolve(fb, h, sp, method="fourier"), 3) * 1e3
            )
            row["conv_err"] = float(
                (convolve(fb, h, sp, method="spatial") - convolve(fb, h, sp, method="fourier")).abs().max()
            )
        rows.append(row)
    return rows


def bench_tables(L: int) -> dict:
    _TABLES.clear()
    _TORCH.clear()
    t = time.perf_counter()
    sp = function_space(SO3(), L)
    t_grid = time.perf_counter() - t
    t = time.perf_counter()
    so3_tables(L)
    t_tab = time.perf_counter() - t
    return dict(L=L, points=sp.num_points, grid_s=t_grid, tables_s=t_tab)


def table(rows: list[dict], cols: list[str]) -> str:
    def fmt(v):
        if isinstance(v, float):
            return f"{v:.3g}"
        return str(v)

    out = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for r in rows:
        out.append("| " + " | ".join(fmt(r.get(c, "")) for c in cols) + " |")
    return "\n".join(out)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="small sizes only (a smoke run)")
    args = ap.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    if args.quick:
        groups = [Cyclic(8), Dihedral(4), Symmetric(3)]
        so3_bw, so3_spatial, tab_L, batch, ch = [2, 3], 2, 4, 8, 4
    else:
        groups = [Cyclic(n) for n in (8, 16, 32, 64, 128)] + [Dihedral(n) for n in (4, 8, 16, 32, 64)]
        groups += [Symmetric(4), Symmetric(5)]
        so3_bw, so3_spatial, tab_L, batch, ch = [4, 6, 8, 12, 16], 4, 32, 256, 16
    print("## single-channel convolve (batch of", batch, "functions)\n")
    print(
        table(
            bench_single(groups, batch),
            ["group", "order", "d3", "spatial_ms", "fourier_ms", "ratio", "spatial_mb", "fourier_mb", "err"],
        )
    )
    print(f"\n## layer {ch} -> {ch} channels, batch 32\n")
    print(
        table(
            bench_layers(groups, ch, 32),
            [
                "group",
                "order",
                "g2",
                "d3",
                "spatial_ms",
                "fourier_ms",
                "ratio",
                "spatial_mb",
                "fourier_mb",
                "err",
            ],
        )
    )
    print("\n## SO(3), batch 4\n")
    print(
        table(
            bench_so3(so3_bw, so3_spatial, 4),
            [
                "L",
                "points",
                "coeffs",
                "fast_ms",
                "matrix_ms",
                "conv_spatial_ms",
                "conv_fourier_ms",
                "conv_err",
            ],
        )
    )
    print("\n## SO(3) grid and Wigner tables\n")
    print(table([bench_tables(tab_L)], ["L", "points", "grid_s", "tables_s"]))


if __name__ == "__main__":
    main()
