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
    if group is None:
        return _verification_demo(args)
    print(f"groupconv {__version__} demo: the representation theory of {group}\n")
    _cmd_irreps(args)
    if group.is_finite:
        rho = regular(group)
        print(f"\nregular representation: {rho!r} = {[ir.name for ir in rho.irreps]}")
    return 0


def _verification_demo(args) -> int:
    from ._demo import DEMOS, demo_image
    from .verify import verify_model

    print(f"groupconv {__version__} demo: per-layer verification on the camera image (32 x 32)\n")
    x = demo_image()
    passed = True
    for title, build, checks in DEMOS:
        model, types = build()
        inp = x if types is None else x[0]
        report = verify_model(model, inp, types=types, **checks)
        print(f"== {title}")
        report.show()
        print()
        passed &= report.passed
    return 0 if passed else 1


def _load_target(target: str):
    """``package.module:NAME`` or ``path/to/file.py:NAME`` -> the object ``NAME``."""
    import importlib
    import importlib.util
    from pathlib import Path

    mod_name, sep, attr = target.rpartition(":")
    if not sep or not mod_name or not attr:
        raise ValueError(f"expected PACKAGE.MODULE:FACTORY or path/to/file.py:FACTORY, got {target!r}")
    if mod_name.endswith(".py") or "/" in mod_name or "\\" in mod_name:
        path = Path(mod_name)
        if not path.is_file():
            raise ValueError(f"no such file: {mod_name}")
        spec = importlib.util.spec_from_file_location(path.stem, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules.setdefault(path.stem, module)
        spec.loader.exec_module(module)
    else:
        module = importlib.import_module(mod_name)
    if not hasattr(module, attr):
        raise ValueError(f"{mod_name} has no attribute {attr!r}")
    return getattr(module, attr)


def _cmd_verify(args) -> int:
    import copy
    import inspect

    import torch
    from torch import nn

    from .nn import FieldType
    from .reps import trivial
    from .verify import typed_layers, verify_model
    from .verify.equivariance import _is_typed as is_typed

    try:
        obj = _load_target(args.target)
    except (ValueError, ImportError) as e:
        print(f"groupconv verify: {e}", file=sys.stderr)
        return 2
    group = args.group
    if isinstance(obj, nn.Module):
        model = obj
    elif callable(obj):
        accepts_group = "group" in inspect.signature(obj).parameters
        model = obj(group=group) if (group is not None and accepts_group) else obj()
    else:
        print(f"groupconv verify: {args.target} is neither a model nor a factory", file=sys.stderr)
        return 2
    if not isinstance(model, nn.Module):
        print(
            f"groupconv verify: the factory returned {type(model).__name__}, not an nn.Module",
            file=sys.stderr,
        )
        return 2
    dtype = getattr(torch, args.dtype)
    model = model.to(device=args.device)
    gen = torch.Generator().manual_seed(args.seed)
    if args.input_shape is not None:
        x = torch.randn(*args.input_shape, generator=gen, dtype=dtype)
    elif hasattr(model, "example_input"):
        x = model.example_input()
    elif isinstance(getattr(model, "in_type", None), FieldType):
        x = torch.randn(1, model.in_type.size, 29, 29, generator=gen, dtype=dtype)
    else:
        print("groupconv verify: pass --input-shape (the model has no example_input())", file=sys.stderr)
        return 2
    types = None
    if not typed_layers(model) and not is_typed(model):
        if group is None:
            print(
                "groupconv verify: the model has no typed layers; pass --group to check it as a map between "
                "scalar fields",
                file=sys.stderr,
            )
            return 2
        with torch.no_grad():
            c_out = copy.deepcopy(model).to(dtype)(x.to(args.device)).shape[1]
        types = {
            "": (FieldType(group, [trivial(group)] * x.shape[1]), FieldType(group, [trivial(group)] * c_out))
        }
    atol, rtol = (1e-10, 1e-8) if dtype == torch.float64 else (1e-5, 1e-5)
    try:
        report = verify_model(
            model,
            x.to(args.device),
            types=types,
            n_samples=args.samples,
            atol=atol if args.atol is None else args.atol,
            rtol=rtol if args.rtol is None else args.rtol,
            dtype=dtype,
        )
    except (ValueError, TypeError) as e:
        print(f"groupconv verify: {e}", file=sys.stderr)
        return 2
    report.show()
    if args.json:
        report.to_json(args.json)
    if args.markdown:
        with open(args.markdown, "w") as fh:
            fh.write(report.to_markdown())
    return 0 if report.passed else 1


def _shape_arg(text: str) -> tuple[int, ...]:
    try:
        shape = tuple(int(s) for s in text.split(","))
    except ValueError as e:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated integers like 1,1,29,29, got {text!r}"
        ) from e
    if not shape or any(s <= 0 for s in shape):
        raise argparse.ArgumentTypeError(f"expected positive sizes, got {text!r}")
    return shape


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
    p = sub.add_parser(
        "demo", help="verify a D4 network on a real image; with --group, a tour of that group's irreps"
    )
    p.add_argument("--group", type=_group_arg, default=None, help="print the irreps of this group instead")
    p.add_argument("--max-degree", type=int, default=3, help="largest degree for continuous groups")
    p.set_defaults(func=_cmd_demo)
    p = sub.add_parser("verify", help="check a model layer by layer: equivariance, energy, certificates")
    p.add_argument("target", help="PACKAGE.MODULE:FACTORY or path/to/file.py:FACTORY (a model or a factory)")
    p.add_argument(
        "--group",
        type=_group_arg,
        default=None,
        help="passed to the factory as group=...; types a model without typed layers as scalar fields",
    )
    p.add_argument("--input-shape", type=_shape_arg, default=None, help="e.g. 1,1,29,29")
    p.add_argument("--json", default=None, help="write the reports as JSON to this file")
    p.add_argument("--markdown", default=None, help="write the reports as Markdown to this file")
    p.add_argument("--dtype", choices=["float64", "float32"], default="float64")
    p.add_argument("--device", default="cpu")
    p.add_argument("--samples", type=int, default=20, help="Haar samples of a continuous group (default 20)")
    p.add_argument("--atol", type=float, default=None, help="default 1e-10 (float64) or 1e-5 (float32)")
    p.add_argument("--rtol", type=float, default=None, help="default 1e-8 (float64) or 1e-5 (float32)")
    p.add_argument("--seed", type=int, default=0, help="seed of the random input")
    p.set_defaults(func=_cmd_verify)
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
