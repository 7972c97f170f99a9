"""The escnn side of ``bench_conv3d.py``: one R3Conv measurement per process, printed as one JSON line.

escnn needs numpy<2 and py3nj, so it lives in its own environment; ``bench_conv3d.py`` runs this script
there by subprocess (a fresh process per cold construction)::

    /work/venvs/escnn/bin/python benchmarks/escnn3d_side.py '{"what": "build", "case": "so3", ...}'

The JSON argument:

- ``what``: ``"build"`` (time the first R3Conv of these types in the process, then a second one) or
  ``"step"`` (median CPU time of a training-mode forward + backward);
- ``case``: ``"so3"`` (irreps of SO(3), ``fields`` a list of ``[l, multiplicity]``) or ``"octa"``
  (``fields`` regular fields of the octahedral group);
- ``kernel``, ``rings``, ``sigma``, ``max_degree`` (one per ring: the largest harmonic degree kept at
  that radius, escnn's ``frequencies_cutoff``), and for ``"step"`` ``batch``, ``size``, ``repeats``;
- ``first_use``: empty escnn's on-disk cache first (``escnn/group/_cache``), as on first use.

Times are CPU times of the process (``time.process_time``), one torch thread and one BLAS thread.
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import json  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402


def main() -> None:
    spec = json.loads(sys.argv[1])
    warnings.simplefilter("ignore")
    if spec.get("first_use"):
        import importlib.util
        import shutil
        from pathlib import Path

        origin = importlib.util.find_spec("escnn").origin
        shutil.rmtree(Path(origin).parent / "group" / "_cache", ignore_errors=True)
    t_import = time.process_time()
    import torch
    from escnn import gspaces
    from escnn import nn as enn

    torch.set_num_threads(1)
    t_import = time.process_time() - t_import

    def field_type():
        if spec["case"] == "so3":
            lmax = max(l for l, _ in spec["fields"])
            gs = gspaces.rot3dOnR3(maximum_frequency=max(lmax, 2))
            reps = [gs.fibergroup.irrep(l) for l, m in spec["fields"] for _ in range(m)]
        else:
            gs = gspaces.octaOnR3()
            reps = [gs.regular_repr] * spec["fields"]
        return enn.FieldType(gs, reps)

    rings = spec.get("rings")
    radius_degree = dict(zip(rings, spec["max_degree"])) if rings is not None else None

    def cutoff(r: float) -> float:
        # the degree kept at the ring of radius r (escnn evaluates it at the rings it was given)
        return min((d for q, d in radius_degree.items() if abs(q - r) < 1e-9), default=0)

    opts = {}
    if rings is not None:
        opts = {"rings": list(rings), "sigma": list(spec["sigma"]), "frequencies_cutoff": cutoff}

    def build():
        t = field_type()
        return enn.R3Conv(t, t, kernel_size=spec["kernel"], padding=spec["kernel"] // 2, **opts)

    t0 = time.process_time()
    conv = build()
    cold = time.process_time() - t0
    out = {"import_s": t_import, "build_cold_s": cold, "params": sum(p.numel() for p in conv.parameters())}
    out["basis_size"] = int(conv.basisexpansion.dimension())
    out["channels"] = conv.in_type.size
    if spec["what"] == "build":
        t0 = time.process_time()
        build()
        out["build_warm_s"] = time.process_time() - t0
    else:
        conv.train()
        x = enn.GeometricTensor(
            torch.randn(spec["batch"], conv.in_type.size, *(spec["size"],) * 3), conv.in_type
        )

        def step():
            conv.zero_grad(set_to_none=True)
            conv(x).tensor.sum().backward()

        for _ in range(2):
            step()
        times = []
        for _ in range(spec["repeats"]):
            t0 = time.process_time()
            step()
            times.append(time.process_time() - t0)
        out["step_s"] = statistics.median(times)
        out["step_all_s"] = times
    print(json.dumps(out))


if __name__ == "__main__":
    main()
