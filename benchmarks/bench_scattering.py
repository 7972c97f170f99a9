"""Scattering2D against kymatio's torch Scattering2D, in one process.

Run in an environment with kymatio 0.3 (it needs scipy < 1.17), groupconv on the path::

    python3 -m venv /work/venvs/kymatio
    /work/venvs/kymatio/bin/pip install torch==2.13.0 "scipy<1.17" kymatio
    PYTHONPATH=. /work/venvs/kymatio/bin/python benchmarks/bench_scattering.py

Measures, for J=3, L=8, batch 16 at 64x64 and 256x256: the forward time ratio (kymatio / groupconv,
CPU, float32) for groupconv on kymatio's padded grid (same outputs) and for groupconv's own circular
``Scattering2D`` on the unpadded image (same input, same output shape), the filter-bank construction ratio, and the agreement of the outputs when groupconv
uses kymatio's filters, its reflect padding and its cropping (max relative difference,
``max |S_g - S_k| / max |S_k|``, asserted below 1e-5: kymatio computes its filters in complex64). Also the
construction time of 512x512, J=4, L=8 banks, and the forward of roto-translation scattering (which
kymatio lacks) beside groupconv's translation scattering on the same batch.
"""

from __future__ import annotations

import argparse
import time

import torch
import torch.nn.functional as F

from groupconv.scattering import (
    RotoTranslationScattering,
    Scattering2D,
    gabor_bank,
    morlet_bank,
    parseval_wavelet_bank,
)


def best_of(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def interleaved(*fns, repeat: int) -> tuple[float, ...]:
    """Best-of timings of functions run alternately, so that a varying machine load hits all of them."""
    times = [[] for _ in fns]
    for _ in range(repeat):
        for t, fn in zip(times, fns):
            t.append(best_of(fn, 1))
    return tuple(min(t) for t in times)


class KymatioLike(torch.nn.Module):
    """groupconv's Scattering2D on kymatio's padded grid: reflect padding, kymatio's Morlet filters,
    crop of one coarse pixel on each side, so outputs are comparable entry by entry."""

    def __init__(self, shape, J, L, max_order=2):
        super().__init__()
        M, N = shape
        Mp = ((M + 2**J) // 2**J + 1) * 2**J
        Np = ((N + 2**J) // 2**J + 1) * 2**J
        self.pad = [(Np - N) // 2, (Np - N + 1) // 2, (Mp - M) // 2, (Mp - M + 1) // 2]
        self.scat = Scattering2D((Mp, Np), J, L, max_order=max_order, filters="morlet")

    def forward(self, x):
        xp = F.pad(x.unsqueeze(1), self.pad, mode="reflect").squeeze(1)
        return self.scat(xp)[..., 1:-1, 1:-1]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--sizes", type=int, nargs="+", default=[64, 256])
    args = ap.parse_args()
    from kymatio.scattering2d.filter_bank import filter_bank
    from kymatio.torch import Scattering2D as KScattering2D

    torch.manual_seed(0)
    J, L, B = 3, 8, 16
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}")
    print(
        "| size | kymatio forward (s) | groupconv, kymatio's grid (s) | ratio | groupconv, circular (s) | ratio |"
        " kymatio filters (s) | groupconv filters (s) | construction ratio | max rel. diff (float32) |"
        " max rel. diff (float64) |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for n in args.sizes:
        x = torch.rand(B, n, n)
        k = KScattering2D(J=J, shape=(n, n), L=L, max_order=2)
        g = KymatioLike((n, n), J, L)
        c = Scattering2D((n, n), J, L, max_order=2, filters="morlet")
        with torch.no_grad():
            ref = k(x)
            out = g(x)
            assert c(x).shape == ref.shape
            t_k, t_g, t_c = interleaved(
                lambda k=k, x=x: k(x), lambda g=g, x=x: g(x), lambda c=c, x=x: c(x), repeat=args.repeat
            )
        diff32 = float((out - ref).abs().max() / ref.abs().max())
        with torch.no_grad():
            out64 = g.double()(x.double())
        diff64 = float((out64 - ref.double()).abs().max() / ref.abs().max())
        Mp = g.scat.shape
        tf_k, tf_g = interleaved(
            lambda Mp=Mp: filter_bank(Mp[0], Mp[1], J, L),
            lambda Mp=Mp: morlet_bank(Mp, J, L),
            repeat=args.repeat,
        )
        print(
            f"| {n} | {t_k:.4f} | {t_g:.4f} | {t_k / t_g:.2f}x | {t_c:.4f} | {t_k / t_c:.2f}x | {tf_k:.3f} | "
            f"{tf_g:.4f} | {tf_k / tf_g:.0f}x | {diff32:.2e} | {diff64:.2e} |"
        )
        assert out.shape == ref.shape, (out.shape, ref.shape)
        # documented tolerance: kymatio builds its filters in complex64, so agreement is float32 rounding
        assert diff32 < 1e-5 and diff64 < 1e-5, (diff32, diff64)
    # filter-level agreement on one padded grid
    Mp = (80, 80)
    kb = filter_bank(Mp[0], Mp[1], J, L)
    mb = morlet_bank(Mp, J, L)
    kpsi = torch.stack([torch.as_tensor(p["levels"][0]) for p in kb["psi"]]).double()
    print(
        f"filter max rel. diff (80x80): psi {float((mb.psi - kpsi).abs().max() / kpsi.abs().max()):.2e}, "
        f"phi {float((mb.phi - torch.as_tensor(kb['phi']['levels'][0])).abs().max()):.2e}"
    )
    for name, fn in [
        ("parseval_wavelet_bank", lambda: parseval_wavelet_bank((512, 512), 4, 8)),
        ("morlet_bank", lambda: morlet_bank((512, 512), 4, 8)),
        ("gabor_bank (8x8 tiles)", lambda: gabor_bank((512, 512), 8)),
    ]:
        print(f"512x512 J=4 L=8 {name}: {best_of(fn, 3):.3f} s")
    for n in (64, 128):
        x = torch.rand(B, n, n)
        rt = RotoTranslationScattering((n, n), J, L, max_order=2)
        tr = Scattering2D((n, n), J, L, max_order=2, filters="parseval")
        with torch.no_grad():
            t_rt, t_tr = interleaved(lambda rt=rt, x=x: rt(x), lambda tr=tr, x=x: tr(x), repeat=3)
        print(
            f"roto-translation scattering {n}x{n}, J={J}, L={L}, K={rt.K}, batch {B}: {rt.n_paths} paths x {L} "
            f"orientations in {t_rt:.3f} s; translation scattering ({tr.n_paths} paths): {t_tr:.4f} s"
        )
    ref = torch.randn(32, 512, 512, dtype=torch.float64)
    print(f"reference: one float64 multiply of a 32x512x512 tensor: {best_of(lambda: ref * ref, 3):.3f} s")


if __name__ == "__main__":
    main()
