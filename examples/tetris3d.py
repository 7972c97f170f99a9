"""3D Tetris: an O-equivariant network, an SO(3)-steerable network and a plain 3D CNN with the same parameter
count, trained on the eight polycubes in one orientation and tested under the 24 rotations of the cube and
under random rotations of SO(3); the trained equivariant networks are checked layer by layer.

This script runs the reproduction ``tetris`` (:mod:`groupconv.reproduce.tetris`, also
``groupconv reproduce tetris``) and prints its tables; ``results.md`` and ``results.json`` go to ``--out``.

Runtime: about 9 minutes on one CPU thread (the full run); ``--smoke`` a few seconds. Training draws a
progress bar on stderr when it is a terminal (``--quiet``: none).

Usage::

    python examples/tetris3d.py                 # the full run: about 9 minutes on one CPU thread
    python examples/tetris3d.py --smoke         # a few seconds: checks the pipeline, not the accuracy
"""

from __future__ import annotations

import argparse
from pathlib import Path

from groupconv.reproduce import Options, Result, run


def main(argv: list[str] | None = None) -> Result:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--smoke", action="store_true", help="tiny run for CI (a few seconds)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="cpu", help="'cpu' or 'cuda'")
    p.add_argument("--out", type=Path, default=Path("results/tetris"))
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    args = p.parse_args(argv)
    print(
        "3D Tetris: "
        + (
            "a smoke run (a few seconds), its numbers are not results"
            if args.smoke
            else "the full run, about 9 minutes on one CPU thread"
        ),
        flush=True,
    )
    options = Options(smoke=args.smoke, out=args.out, device=args.device, seed=args.seed, quiet=args.quiet)
    result = run("tetris", options)
    print(result.to_markdown())
    print(f"written to {args.out}")
    return result


if __name__ == "__main__":
    main()
