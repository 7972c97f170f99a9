"""The ``groupconv`` command."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from . import __version__

__all__ = ["main", "character_table"]


def _group_arg(name: str):
    from .groups.registry import group_from_name

    try:
        return group_from_name(name)
    except (ValueError, TypeError) as e:
        raise argparse.ArgumentTypeError(str(e)) from e


def character_table(group) -> str:
    """The real character table of a finite group as text: one row per irrep, one column per
    conjugacy class (a representative and the class size)."""
    import numpy as np
    import torch

    from .reps import irreps

    classes = group.conjugacy_classes
    reps_ = torch.as_tensor([int(c[0]) for c in classes])
    head = ["irrep", "dim", "type"] + [f"g={int(c[0])} (x{len(c)})" for c in classes]
    rows = []
    for ir in irreps(group):
        chi = ir.character(reps_).numpy()
        rows.append([ir.name, str(ir.dim), ir.type] + [f"{v:.4g}" if abs(v) > 1e-12 else "0" for v in chi])
    widths = [max(len(r[i]) for r in [head] + rows) for i in range(len(head))]
    lines = ["  ".join(c.rjust(w) for c, w in zip(r, widths)) for r in [head] + rows]
    lines.insert(1, "-" * len(lines[0]))
    total = sum(ir.dim**2 / (2 if ir.type == "C" else 1) for ir in irreps(group))
    lines.append(
        f"\n{group}: order {group.order}, {len(classes)} conjugacy classes, "
        f"sum of d^2/e = {np.round(total, 10):g}"
    )
    return "\n".join(lines)


def _cmd_irreps(args) -> int:
    group = args.group
    if group.is_finite:
        print(character_table(group))
    else:
        from .reps import irreps

        for ir in irreps(group, max_degree=args.max_degree):
            print(f"{ir.name}: dim {ir.dim}, degree {ir.degree}, type {ir.type}")
    return 0


def _cmd_demo(args) -> int:
    from .reps import regular

    group = args.group
    print(f"groupconv {__version__} demo: the representation theory of {group}\n")
    _cmd_irreps(args)
    if group.is_finite:
        rho = regular(group)
        print(f"\nregular representation: {rho!r} = {[ir.name for ir in rho.irreps]}")
    return 0


def _cmd_reproduce(args) -> int:
    import os
    from pathlib import Path

    from .reproduce import Options, markdown_table, run

    out = Path(args.out) if args.out else Path("results") / args.name
    result = run(args.name, Options(args.smoke, out, args.device, args.seed, args.quiet))
    if int(os.environ.get("RANK", "0")) != 0:
        return 0
    for tname, rows in result.tables.items():
        print(f"{tname}\n{markdown_table(rows)}\n")
    print(f"results written to {out}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="groupconv", description="Neural networks that respect the symmetries of compact groups."
    )
    parser.add_argument("--version", action="version", version=f"groupconv {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    p = sub.add_parser("irreps", help="print the irreps (and character table) of a group")
    p.add_argument("group", type=_group_arg, help="group name, e.g. C4, D6, S4, SO2, O2, SO3, O3")
    p.add_argument("--max-degree", type=int, default=3, help="largest degree for continuous groups")
    p.set_defaults(func=_cmd_irreps)
    p = sub.add_parser("demo", help="a tour of groupconv on a chosen group")
    p.add_argument("--group", type=_group_arg, default="D4", help="group name (default D4)")
    p.add_argument("--max-degree", type=int, default=3, help="largest degree for continuous groups")
    p.set_defaults(func=_cmd_demo)
    from .reproduce import available

    p = sub.add_parser("reproduce", help="reproduce a published result: " + ", ".join(available()))
    p.add_argument("name", choices=available(), help="which reproduction")
    p.add_argument("--smoke", action="store_true", help="a small, fast version (for CI)")
    p.add_argument("--out", default=None, help="output folder (default results/NAME)")
    p.add_argument("--device", default="cpu", help="cpu or cuda")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(func=_cmd_reproduce)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    return args.func(args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
