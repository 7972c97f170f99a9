"""The 3D convolutions: cost over ``conv3d``, build time of a deep steerable network, and escnn's R3Conv.

1. ``LiftingConv3d`` / ``GroupConv3d`` of the cube's rotation group ``O`` and of ``O_h``, forward +
   backward, against ``torch.nn.functional.conv3d`` with a leaf filter of the expanded shape, in the same
   process (interleaved); target ratio <= 1.15.
2. A 10-layer ``SO(3)``-steerable network (16 fields of each degree ``l = 0, 1, 2`` per layer, 5^3
   kernels): build time in a fresh process (cold: kernel bases, Clebsch-Gordan blocks with an empty
   on-disk cache), target < 2 s.
3. ``SteerableConv3d`` against escnn's ``R3Conv`` with the same field types and band limit (escnn's
   rings, widths and per-ring degree set to groupconv's defaults): construction in fresh processes on first
   use (both libraries' on-disk caches empty), a second identical layer (warm), a training-mode forward +
   backward, and the parameter counts of both. escnn needs numpy<2 and runs in its own environment
   (``--escnn-python``, default ``/work/venvs/escnn/bin/python``) through ``benchmarks/escnn3d_side.py``;
   targets: construction >= 50x faster, training step >= 1.5x faster.
4. Regular fields of the octahedral group ``O``: escnn's ``R3Conv`` (``octaOnR3``) against groupconv's
   ``GroupConv3d`` (lifted Gaussian basis: free filters moved by the 24 rotations) and ``SteerableConv3d``,
   the same band limit (equal parameter counts), the same measurements as 3.

Times are CPU times of the process (``time.process_time``, one torch thread and one BLAS thread), which do
not depend on other jobs sharing the machine. Run from the repository root::

    PYTHONPATH=. python benchmarks/bench_conv3d.py [--quick]
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

HERE = Path(__file__).resolve().parent


# -- 1. group convolutions against conv3d ----------------------------------------------------------------


def _step_layer(layer, x):
    layer.zero_grad(set_to_none=True)
    x.grad = None
    layer(x).sum().backward()


def _step_ref(w, b, x, padding):
    w.grad = None
    b.grad = None
    x.grad = None
    F.conv3d(x, w, b, padding=padding).sum().backward()


def _cpu_time(fn) -> float:
    t0 = time.process_time()
    fn()
    return time.process_time() - t0


def bench_group_conv(layer, batch: int, size: int, repeats: int) -> tuple[float, float]:
    """Median CPU seconds of a forward + backward of ``layer`` and of conv3d with its expanded filter."""
    x = torch.randn(batch, layer.in_type.size, size, size, size, requires_grad=True)
    with torch.no_grad():
        w0, b0 = layer.expand_filter()
    w, b = w0.clone().requires_grad_(True), b0.clone().requires_grad_(True)
    pad = layer.padding
    for _ in range(2):
        _step_layer(layer, x)
        _step_ref(w, b, x, pad)
    ours, ref = [], []
    # interleaved, so that a change of load on the machine affects both alike
    for _ in range(repeats):
        ours.append(_cpu_time(lambda: _step_layer(layer, x)))
        ref.append(_cpu_time(lambda: _step_ref(w, b, x, pad)))
    return statistics.median(ours), statistics.median(ref)


def group_conv_table(quick: bool) -> list[str]:
    from groupconv.groups import FullOctahedral, Octahedral
    from groupconv.nn import GroupConv3d, LiftingConv3d

    batch, size, repeats, fields = (1, 8, 3, 1) if quick else (2, 12, 9, 2)
    lines = [
        f"batch {batch}, {size}^3 volumes, {repeats} interleaved repeats",
        "| layer | expanded channels | expansion | ours (ms) | conv3d (ms) | ratio |",
        "|---|---|---|---|---|---|",
    ]
    for group in (Octahedral(), FullOctahedral()):
        n = 2 * fields if group.order == 24 else fields
        for name, layer in (
            (
                f"LiftingConv3d {group} 1->{4 * n}, 5^3",
                LiftingConv3d.from_channels(group, 1, 4 * n, 5, padding=2),
            ),
            (f"GroupConv3d {group} {n}->{n}, 3^3", GroupConv3d.from_channels(group, n, n, 3, padding=1)),
        ):
            ours, ref = bench_group_conv(layer, batch, size, repeats)
            lines.append(
                f"| {name} | {layer.in_type.size}->{layer.out_type.size} | {layer.basis_kind} | "
                f"{ours * 1e3:.1f} | {ref * 1e3:.1f} | {ours / ref:.3f} |"
            )
    return lines


# -- 2. and 3.: the groupconv side, each measurement in a fresh process ----------------------------------


def _so3_type(fields: list[list[int]]):
    from groupconv.groups import SO3
    from groupconv.nn import FieldType
    from groupconv.reps import irrep

    group = SO3()
    return FieldType(group, [irrep(group, l) for l, m in fields for _ in range(m)])


def _octa_layer(spec: dict):
    """The groupconv layer between ``spec["fields"]`` regular fields of ``O``: ``GroupConv3d`` through the
    lifted Gaussian basis (``spec["layer"] == "group"``) or ``SteerableConv3d``, groupconv's default band
    limit (the one escnn is given)."""
    from groupconv.groups import Octahedral
    from groupconv.nn import FieldType, GroupConv3d, SteerableConv3d
    from groupconv.reps import regular

    group = Octahedral()
    t = FieldType(group, [regular(group)] * spec["fields"])
    k = spec["kernel"]
    if spec.get("layer") == "group":
        return GroupConv3d(t, t, k, padding=k // 2, basis="gaussian")
    return SteerableConv3d(t, t, k, padding=k // 2)


def groupconv_side(spec: dict) -> dict:
    """One measurement of the groupconv side (run in a fresh process by :func:`_fresh`)."""
    torch.set_num_threads(1)
    warnings.simplefilter("ignore")
    t0 = time.process_time()
    from groupconv.nn import SteerableConv3d

    out = {"import_s": time.process_time() - t0}
    k = spec["kernel"]
    if spec.get("case") == "octa":
        return _measure(lambda: _octa_layer(spec), spec, out)
    if spec["what"] == "network":
        t0 = time.process_time()
        t = _so3_type(spec["fields"])
        layers = [SteerableConv3d(t, t, k, padding=k // 2) for _ in range(spec["layers"])]
        out["build_cold_s"] = time.process_time() - t0
        out["params"] = sum(p.numel() for m in layers for p in m.parameters())
        out["channels"] = t.size
        return out

    def build():
        t = _so3_type(spec["fields"])
        return SteerableConv3d(t, t, k, padding=k // 2)

    return _measure(build, spec, out)


def _measure(build, spec: dict, out: dict) -> dict:
    """Cold and warm build of the layer ``build()`` returns, or its training step, into ``out``."""
    t0 = time.process_time()
    conv = build()
    out["build_cold_s"] = time.process_time() - t0
    out["params"] = sum(p.numel() for p in conv.parameters())
    out["channels"] = conv.in_type.size
    if spec["what"] == "build":
        t0 = time.process_time()
        build()
        out["build_warm_s"] = time.process_time() - t0
        return out
    conv.train()
    x = torch.randn(spec["batch"], conv.in_type.size, *(spec["size"],) * 3)

    def step():
        conv.zero_grad(set_to_none=True)
        conv(x).sum().backward()

    for _ in range(2):
        step()
    out["step_s"] = statistics.median(_cpu_time(step) for _ in range(spec["repeats"]))
    return out


def _fresh(command: list[str], spec: dict, env: dict | None = None) -> dict:
    """Run ``command`` with the JSON ``spec`` appended, in a new process; the JSON of its last line."""
    proc = subprocess.run(
        [*command, json.dumps(spec)],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _groupconv_fresh(spec: dict, cache: str | None = None) -> dict:
    """``spec`` measured in a fresh process; ``cache``: an on-disk cache folder to use (default: a new
    empty one, the first use of groupconv on a machine)."""
    with tempfile.TemporaryDirectory() as empty:
        env = {"GROUPCONV_CACHE_DIR": cache or empty, "PYTHONPATH": str(HERE.parent)}
        return _fresh([sys.executable, __file__, "--side"], spec, env)


def network_table(quick: bool) -> list[str]:
    fields = [[0, 4], [1, 4], [2, 4]] if quick else [[0, 16], [1, 16], [2, 16]]
    spec = {"what": "network", "fields": fields, "kernel": 5, "layers": 10}
    runs = [_groupconv_fresh(spec) for _ in range(1 if quick else 3)]
    cold = sorted(r["build_cold_s"] for r in runs)
    r = runs[0]
    return [
        f"10 SteerableConv3d layers, {r['channels']}->{r['channels']} channels "
        f"({fields[0][1]} fields of each degree l = 0, 1, 2), 5^3 kernels, {r['params']} parameters: "
        f"build {', '.join(f'{c:.3f}' for c in cold)} s CPU in {len(runs)} fresh process(es) "
        f"(empty cache; import of groupconv.nn {r['import_s']:.2f} s, not included)"
    ]


def _band_limit(kernel: int) -> dict:
    """groupconv's default Gaussian shells and per-shell degree for ``kernel``, in escnn's terms."""
    from groupconv.kernels.radial import default_cutoff, gaussian_rings

    radii, widths = gaussian_rings(kernel)
    outer = float(radii.max())
    return {
        "rings": radii.tolist(),
        "sigma": widths.tolist(),
        "max_degree": [default_cutoff(float(r), outer) for r in radii],
    }


def escnn_table(quick: bool, escnn_python: str, rounds: int, per_degree: int = 4) -> list[str]:
    fields = [[0, per_degree], [1, per_degree], [2, per_degree]]
    batch, size, repeats = (1, 8, 3) if quick else (2, 12, 5)
    base = {"case": "so3", "fields": fields, "kernel": 5, **_band_limit(5)}
    escnn_side = [escnn_python, str(HERE / "escnn3d_side.py")]
    build = {**base, "what": "build"}
    e_build = [_fresh(escnn_side, {**build, "first_use": True}) for _ in range(rounds)]
    g_build = [_groupconv_fresh(build) for _ in range(rounds)]
    # cold processes whose on-disk caches were filled by an earlier process
    e_cached = [_fresh(escnn_side, build) for _ in range(rounds)]
    with tempfile.TemporaryDirectory() as cache:
        _groupconv_fresh(build, cache)
        g_cached = [_groupconv_fresh(build, cache) for _ in range(rounds)]
    step = {**base, "what": "step", "batch": batch, "size": size, "repeats": repeats}
    e_step, g_step = [], []
    for _ in range(rounds):
        e_step.append(_fresh(escnn_side, step)["step_s"])
        g_step.append(_groupconv_fresh(step)["step_s"])

    def med(rows, key):
        return statistics.median(r[key] for r in rows)

    ec, gc = med(e_build, "build_cold_s"), med(g_build, "build_cold_s")
    es, gs = statistics.median(e_step), statistics.median(g_step)
    channels = g_build[0]["channels"]
    return [
        f"SO(3) fields {', '.join(f'{m} x l={l}' for l, m in fields)} ({channels} channels), 5^3 kernels, "
        f"shells {base['rings']} of widths {base['sigma']} keeping degrees {base['max_degree']}; "
        f"medians over {rounds} fresh processes each; step: batch {batch}, {size}^3, median of {repeats}",
        "| | escnn R3Conv | groupconv SteerableConv3d | speed-up |",
        "|---|---|---|---|",
        f"| build, first use (s) | {ec:.3f} | {gc:.4f} | {ec / gc:.0f}x |",
        f"| build, cold process, disk caches filled (s) | {med(e_cached, 'build_cold_s'):.3f} | "
        f"{med(g_cached, 'build_cold_s'):.4f} | {med(e_cached, 'build_cold_s') / med(g_cached, 'build_cold_s'):.0f}x |",
        f"| build, warm (s) | {med(e_build, 'build_warm_s'):.3f} | {med(g_build, 'build_warm_s'):.4f} | "
        f"{med(e_build, 'build_warm_s') / med(g_build, 'build_warm_s'):.0f}x |",
        f"| import (s) | {med(e_build, 'import_s'):.2f} | {med(g_build, 'import_s'):.2f} | |",
        f"| training step (ms) | {es * 1e3:.1f} | {gs * 1e3:.1f} | {es / gs:.2f}x |",
        f"| parameters | {e_build[0]['params']} | {g_build[0]['params']} | |",
    ]


def octa_table(quick: bool, escnn_python: str, rounds: int) -> list[str]:
    """escnn's ``R3Conv`` between regular fields of the octahedral group against groupconv's
    ``GroupConv3d`` (lifted Gaussian basis) and ``SteerableConv3d``, matched band limits."""
    batch, size, repeats = (1, 8, 3) if quick else (2, 12, 5)
    escnn_side = [escnn_python, str(HERE / "escnn3d_side.py")]
    lines = [
        "Regular fields of O (escnn `octaOnR3`), band limits matched; medians over "
        f"{rounds} fresh processes; step: batch {batch}, {size}^3, median of {repeats}",
        "| fields, kernel | layer | build, first use (s) | build, warm (s) | training step (ms) | parameters |",
        "|---|---|---|---|---|---|",
    ]
    for fields, kernel in ((2, 3), (2, 5)):
        base = {"case": "octa", "fields": fields, "kernel": kernel, **_band_limit(kernel)}
        step = {**base, "what": "step", "batch": batch, "size": size, "repeats": repeats}
        e_build = [_fresh(escnn_side, {**base, "what": "build", "first_use": True}) for _ in range(rounds)]
        e_step = [_fresh(escnn_side, step) for _ in range(rounds)]
        rows = {"escnn R3Conv": (e_build, e_step)}
        for name, layer in (("groupconv GroupConv3d", "group"), ("groupconv SteerableConv3d", "steerable")):
            g_build = [_groupconv_fresh({**base, "what": "build", "layer": layer}) for _ in range(rounds)]
            g_step = [_groupconv_fresh({**step, "layer": layer}) for _ in range(rounds)]
            rows[name] = (g_build, g_step)
        e_cold = statistics.median(r["build_cold_s"] for r in e_build)
        e_s = statistics.median(r["step_s"] for r in e_step)
        for name, (b, st) in rows.items():
            cold = statistics.median(r["build_cold_s"] for r in b)
            warm = statistics.median(r["build_warm_s"] for r in b)
            s_ms = statistics.median(r["step_s"] for r in st)
            ratio = "" if name.startswith("escnn") else f" ({e_cold / cold:.0f}x)"
            sratio = "" if name.startswith("escnn") else f" ({e_s / s_ms:.2f}x)"
            lines.append(
                f"| {fields} x regular, {kernel}^3 | {name} | {cold:.3f}{ratio} | {warm:.4f} | "
                f"{s_ms * 1e3:.1f}{sratio} | {b[0]['params']} |"
            )
    return lines


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--side":
        print(json.dumps(groupconv_side(json.loads(sys.argv[2]))))
        return
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="small sizes (smoke test)")
    parser.add_argument("--escnn-python", default="/work/venvs/escnn/bin/python")
    parser.add_argument("--rounds", type=int, default=3, help="fresh processes per escnn comparison")
    parser.add_argument("--only", choices=("conv", "network", "escnn", "octa"), default=None)
    parser.add_argument("--escnn-fields", type=int, default=4, help="fields of each degree l = 0, 1, 2")
    args = parser.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    warnings.simplefilter("ignore")
    print(f"torch {torch.__version__}, one torch thread, CPU times of the process")
    if args.only in (None, "conv"):
        print("\n".join(group_conv_table(args.quick)), end="\n\n")
    if args.only in (None, "network"):
        print("\n".join(network_table(args.quick)), end="\n\n")
    if args.only in (None, "escnn"):
        if Path(args.escnn_python).exists():
            print(
                "\n".join(
                    escnn_table(
                        args.quick, args.escnn_python, 1 if args.quick else args.rounds, args.escnn_fields
                    )
                )
            )
        else:
            print(f"escnn comparison skipped: no interpreter at {args.escnn_python}")
    if args.only in (None, "octa") and Path(args.escnn_python).exists():
        rounds = 1 if args.quick else args.rounds
        print("\n".join(octa_table(args.quick, args.escnn_python, rounds)))


if __name__ == "__main__":
    main()
