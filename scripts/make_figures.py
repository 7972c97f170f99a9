"""Draw the figures of the documentation (docs/figures/*.png) with groupconv's public API.

Regenerate all of them with:

    python scripts/make_figures.py --out docs/figures

``--only NAME ...`` draws some of them; ``--smoke`` draws small, fast versions (for the tests, not for the
docs). Needs matplotlib and scikit-image (``pip install -e ".[test]"``). Every figure is seeded, and the
PNGs carry no software version, so a rerun on the same library version writes the same files.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

# name -> "module:function" in scripts/figures, imported when drawn (so that --help and a bad name cost no
# torch import)
FIGURES = {
    "kernel_bases": "layers:kernel_bases",
    "rotated_feature_maps": "layers:rotated_feature_maps",
    "equivariance_error": "layers:equivariance_error",
    "littlewood_paley": "scattering:littlewood_paley",
    "energy_decay": "scattering:energy_decay",
    "rototranslation_maps": "scattering:rototranslation_maps",
    "benchmark_ratios": "recorded:benchmark_ratios",
    "reproduce_recorded": "recorded:reproductions",
    "reproduce_cbn": "reproductions:cbn",
    "reproduce_backprop": "reproductions:backprop",
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs/figures"), help="output folder")
    parser.add_argument("--only", nargs="+", metavar="NAME", choices=sorted(FIGURES), help="figures to draw")
    parser.add_argument("--smoke", action="store_true", help="small, fast versions (tests only)")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for name in args.only or FIGURES:
        start = time.perf_counter()
        module, function = FIGURES[name].split(":")
        draw = getattr(importlib.import_module(f"figures.{module}"), function)
        paths = draw(args.out, smoke=args.smoke)
        for path in paths if isinstance(paths, list) else [paths]:
            kb = path.stat().st_size / 1024
            print(f"{path}  {kb:.0f} KB  ({time.perf_counter() - start:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
