"""SteerableConv2d against escnn's R2Conv with the same field types: construction time and a
training-mode forward + backward (escnn expands the filter in every training forward, as we do).

escnn needs numpy<2 and py3nj: run this script in its own environment with groupconv on the path::

    PYTHONPATH=. /work/venvs/escnn/bin/python benchmarks/bench_escnn.py

Times are CPU times of the process (``time.process_time``, one torch thread and one BLAS thread for
numpy, which both libraries use to build their bases: an idle multi-threaded BLAS spins and doubles the
CPU time of small numpy products), which do not depend on other jobs sharing the machine. Construction is timed cold (first layer of these types in the process: both libraries then build and
cache their bases) and warm (a second identical layer). escnn also keeps an on-disk cache inside its
installation; ``--escnn-first-use`` empties it first. escnn is not a dependency of groupconv.
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402

import torch  # noqa: E402


def _median_step(fn, repeats):
    for _ in range(2):
        fn()
    out = []
    for _ in range(repeats):
        t0 = time.process_time()
        fn()
        out.append(time.process_time() - t0)
    return statistics.median(out)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=1, help="torch threads (1: least sensitive to load)")
    parser.add_argument("--quick", action="store_true", help="4 fields, batch 2, 16x16")
    parser.add_argument("--repeats", type=int, default=None, help="timed steps per library (median)")
    parser.add_argument(
        "--escnn-first-use",
        action="store_true",
        help="empty escnn's on-disk cache (escnn/group/_cache inside its installation) first, as on first use",
    )
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    warnings.simplefilter("ignore")
    if args.escnn_first_use:
        import importlib.util
        import shutil
        from pathlib import Path

        spec = importlib.util.find_spec("escnn")
        shutil.rmtree(Path(spec.origin).parent / "group" / "_cache", ignore_errors=True)
    from escnn import gspaces
    from escnn import nn as enn

    from groupconv.groups import O2, SO2, Cyclic, Dihedral
    from groupconv.nn import FieldType, SteerableConv2d
    from groupconv.reps import irrep, regular

    fields, batch, size, repeats = (4, 2, 16, 3) if args.quick else (16, 8, 32, 7)
    repeats = args.repeats or repeats

    def case_d4():
        gs = gspaces.flipRot2dOnR2(N=4)
        G = Dihedral(4)
        e = (enn.FieldType(gs, [gs.regular_repr] * fields),) * 2
        o = (FieldType(G, [regular(G)] * fields),) * 2
        return "D4 regular", e, o

    def case_c8():
        gs = gspaces.rot2dOnR2(N=8)
        G = Cyclic(8)
        e = (enn.FieldType(gs, [gs.regular_repr] * fields),) * 2
        o = (FieldType(G, [regular(G)] * fields),) * 2
        return "C8 regular", e, o

    def case_d8():
        gs = gspaces.flipRot2dOnR2(N=8)
        G = Dihedral(8)
        e = (enn.FieldType(gs, [gs.regular_repr] * fields),) * 2
        o = (FieldType(G, [regular(G)] * fields),) * 2
        return "D8 regular", e, o

    def case_so2():
        gs = gspaces.rot2dOnR2(N=-1, maximum_frequency=3)
        G = SO2()
        ks = [0, 1, 2, 3]
        e = (enn.FieldType(gs, [gs.irrep(k) for k in ks] * (fields // 2)),) * 2
        o = (FieldType(G, [irrep(G, k) for k in ks] * (fields // 2)),) * 2
        return "SO2 irreps 0-3", e, o

    def case_o2():
        gs = gspaces.flipRot2dOnR2(N=-1, maximum_frequency=3)
        G = O2()
        ids = [(0, 0), (1, 0), (1, 1), (1, 2)]
        e = (enn.FieldType(gs, [gs.irrep(*i) for i in ids] * (fields // 2)),) * 2
        o = (FieldType(G, [irrep(G, *i) for i in ids] * (fields // 2)),) * 2
        return "O2 irreps", e, o

    print(
        f"torch {torch.__version__}, threads {torch.get_num_threads()}, {fields} fields, batch {batch}, {size}x{size}, 5x5"
    )
    print(
        "| types | channels | escnn build cold / warm (s) | groupconv build cold / warm (s) | build speed-up (cold) "
        "| escnn step (ms) | groupconv step (ms) | step speed-up |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for make in (case_d4, case_c8, case_d8, case_so2, case_o2):
        name, (ein, eout), (gin, gout) = make()
        t0 = time.process_time()
        econv = enn.R2Conv(ein, eout, kernel_size=5, padding=2)
        e_cold = time.process_time() - t0
        t0 = time.process_time()
        enn.R2Conv(ein, eout, kernel_size=5, padding=2)
        e_warm = time.process_time() - t0
        t0 = time.process_time()
        gconv = SteerableConv2d(gin, gout, 5, padding=2)
        g_cold = time.process_time() - t0
        t0 = time.process_time()
        SteerableConv2d(gin, gout, 5, padding=2)
        g_warm = time.process_time() - t0
        econv.train()
        gconv.train()
        x = torch.randn(batch, gin.size, size, size)
        ex = enn.GeometricTensor(x, ein)

        def e_step(econv=econv, ex=ex):
            econv.zero_grad(set_to_none=True)
            econv(ex).tensor.sum().backward()

        def g_step(gconv=gconv, x=x):
            gconv.zero_grad(set_to_none=True)
            gconv(x).sum().backward()

        es, gs_ = [], []
        for _ in range(repeats):
            es.append(_median_step(e_step, 1))
            gs_.append(_median_step(g_step, 1))
        es, gs_ = statistics.median(es), statistics.median(gs_)
        print(
            f"| {name} | {gin.size}->{gout.size} | {e_cold:.3f} / {e_warm:.3f} | {g_cold:.4f} / {g_warm:.4f} | "
            f"{e_cold / g_cold:.0f}x | {es * 1e3:.1f} | {gs_ * 1e3:.1f} | {es / gs_:.2f}x |"
        )
        print(
            f"|   parameters | | escnn {sum(p.numel() for p in econv.parameters())} | groupconv "
            f"{sum(p.numel() for p in gconv.parameters())} | | | | |"
        )


if __name__ == "__main__":
    main()
