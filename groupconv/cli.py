"""The ``groupconv`` command.

Exit status: ``0`` success (for ``verify``: every check passed), ``1`` a check failed, ``2`` the target or
the arguments are unusable, ``3`` an internal error. Errors are reported on one line of stderr; ``--debug``
(after the subcommand) shows their traceback instead. Everything that can be checked before the work runs
is checked first: the device, the output files and folders, the group, the target.

>>> status = main(["irreps", "C3"])  # doctest: +NORMALIZE_WHITESPACE
   irrep  dim  type  e (x1)  r (x1)  r^2 (x1)
---------------------------------------------
irrep(0)    1     R       1       1         1
irrep(1)    2     C       2      -1        -1
<BLANKLINE>
C3: order 3, 3 conjugacy classes, sum of d^2/e = 3
type: R real, C complex (a complex irrep of dimension d/2 written as real), H quaternionic
e = 1, 2, 4 for R, C, H: the dimension of the matrices that commute with the irrep
sum of d^2/e over the irreps = |G| = 3; (xN): the class size
classes: r^k the rotation by 2 pi k/3
>>> status
0
"""

from __future__ import annotations

import argparse
import copy
import importlib
import importlib.util
import inspect
import math
import os
import re
import stat
import sys
import tempfile
import textwrap
from collections.abc import Sequence
from pathlib import Path

from . import __version__, _cli_help
from .utils.table import terminal_width, wrap_lines

# torch and every subpackage of groupconv (which import torch) are imported inside the commands that use
# them, so that `groupconv --help` and argument errors answer at once

__all__ = ["main", "character_table", "UsageError"]

# ``groupconv irreps`` limits: a character table is built from the group's multiplication table
MAX_TABLE_ORDER = 1000
MAX_DEGREE = 100
MAX_LISTED_IRREPS = 250
# the order of S_n is computed when the group is built: n! has about 5.6 million digits at n = 10^6
MAX_SYMMETRIC_DEGREE = 10000

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3


class UsageError(Exception):
    """An unusable target or argument: :func:`main` prints the message on one line and returns 2."""

    def __init__(self, message: str, prog: str | None = None) -> None:
        super().__init__(message)
        self.prog = prog


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):
        # argparse's own errors are reported like every other usage error: one line, exit status 2
        raise UsageError(f"{message} (see {self.prog} --help)", prog=self.prog)


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _order_text(order: int) -> str:
    # str() of an int with more than 4300 digits raises; such orders are written as powers of ten
    if order < 10**30:
        return str(order)
    return f"about 10^{math.floor(math.log10(order))}"


def _group_arg(name: str):
    from .groups.registry import group_from_name

    # parentheses around the degree: SO(3), D(4) (group_from_name reads names in any case)
    name = re.sub(
        r"(?i)(so|o|c|d|s)\s*(?:\(\s*(\d+)\s*\)|(\d+))", lambda m: m[1].upper() + (m[2] or m[3]), name
    )
    for n in re.findall(r"S(\d+)", name):
        if len(n) > 6 or int(n) > MAX_SYMMETRIC_DEGREE:
            raise argparse.ArgumentTypeError(
                f"{name}: the command line takes symmetric groups S<n> with n <= {MAX_SYMMETRIC_DEGREE}"
            )
    try:
        return group_from_name(name)
    except (ValueError, TypeError) as e:
        raise argparse.ArgumentTypeError(str(e)) from e


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from e
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


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


def _device(text: str, types: tuple[str, ...] | None = None):
    """``torch.device(text)``, checked to exist on this machine (and to be one of ``types``)."""
    import torch

    try:
        device = torch.device(text)
    except (RuntimeError, ValueError, TypeError) as e:
        raise UsageError(f"--device {text!r} is not a device (expected cpu, cuda or cuda:N)") from e
    if types is not None and device.type not in types:
        raise UsageError(f"--device {text!r}: expected one of {', '.join(types)} (or cuda:N)")
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise UsageError(f"--device {text}: CUDA is not available on this machine")
        count = torch.cuda.device_count()
        if device.index is not None and device.index >= count:
            raise UsageError(f"--device {text}: this machine has {count} CUDA device(s)")
    elif device.type != "cpu":
        try:
            torch.empty(0, device=device)
        except Exception as e:
            raise UsageError(f"--device {text} is not usable here ({_one_line(e)})") from e
    return device


def _check_writable_file(path: str, option: str) -> None:
    """Check that ``path`` can be written (created or appended to), without changing an existing file."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        st = None
    except OSError as e:
        raise UsageError(f"{option} {path}: cannot write there ({e.strerror or e})") from e
    if st is not None and stat.S_ISDIR(st.st_mode):
        raise UsageError(f"{option} {path}: is a directory, expected a file name")
    try:
        # O_NONBLOCK: a FIFO without a reader fails at once instead of blocking
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_NONBLOCK", 0), 0o666)
    except OSError as e:
        raise UsageError(f"{option} {path}: cannot write there ({e.strerror or e})") from e
    os.close(fd)
    if st is None:
        os.unlink(path)


def _check_out_dir(path: Path) -> None:
    """Create the output folder ``path`` if needed and check that a file can be written in it."""
    if path.exists() and not path.is_dir():
        raise UsageError(f"--out {path}: exists and is not a folder")
    try:
        path.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path, prefix=".groupconv-write-test-")
        os.close(fd)
        os.unlink(tmp)
    except OSError as e:
        raise UsageError(f"--out {path}: cannot write there ({e.strerror or e})") from e


def character_table(group, width: int | None = None) -> str:
    """The character table of a finite group as text, as ``groupconv irreps`` prints it: the table of
    :func:`groupconv.reps.character_table` (exact values up to order 60), its summary and the legend of
    the irrep types; with ``width``, the class columns are split into blocks and the legend wrapped to fit
    that many characters."""
    from .reps import character_table as table_of

    table = table_of(group, exact=group.order <= 60)
    text = f"{table.summary()}\n{table.legend()}"
    return f"{table.to_text(width)}\n\n{wrap_lines(text, width)}"


def _irrep_count_bound(group, max_degree: int) -> int:
    """An upper bound on the number of irreps of degree <= ``max_degree`` that ``irreps`` builds."""
    from .groups import O2, O3, DirectProduct

    if group.is_finite:
        return group.order
    if isinstance(group, DirectProduct):
        # a product of two complex-type irreps splits in two
        return 2 * _irrep_count_bound(group.G, max_degree) * _irrep_count_bound(group.H, max_degree)
    if isinstance(group, O3):
        return 2 * (max_degree + 1)
    if isinstance(group, O2):
        return max_degree + 2
    return max_degree + 1


def _check_irreps_request(group, max_degree: int) -> None:
    if group.is_finite:
        if group.order > MAX_TABLE_ORDER:
            raise UsageError(
                f"{group} has order {_order_text(group.order)}, too large: character tables are printed for "
                f"finite groups of order at most {MAX_TABLE_ORDER}"
            )
        return
    if not 0 <= max_degree <= MAX_DEGREE:
        raise UsageError(f"--max-degree must be between 0 and {MAX_DEGREE}, got {max_degree}")
    bound = _irrep_count_bound(group, max_degree)
    if bound > MAX_LISTED_IRREPS:
        raise UsageError(
            f"{group} has up to {_order_text(bound)} irreps of degree <= {max_degree}; the command lists at "
            f"most {MAX_LISTED_IRREPS}: lower --max-degree"
        )


def _cmd_irreps(args) -> int:
    group = args.group
    _check_irreps_request(group, args.max_degree)
    width = terminal_width()
    if group.is_finite:
        print(character_table(group, width))
    else:
        from .reps import irrep_listing

        print(wrap_lines(irrep_listing(group, args.max_degree), width))
    return EXIT_OK


def _cmd_demo(args) -> int:
    from .reps import regular

    group = args.group
    if group is None:
        return _verification_demo(args)
    _check_irreps_request(group, args.max_degree)
    print(f"groupconv {__version__} demo: the representation theory of {group}\n")
    _cmd_irreps(args)
    if group.is_finite:
        rho = regular(group)
        print(f"\nregular representation: {rho!r} = {[ir.name for ir in rho.irreps]}")
    return EXIT_OK


def _verification_demo(args) -> int:
    # loaded when the demo runs, as in _cmd_verify: `groupconv --help` does not import torch
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
    return EXIT_OK if passed else EXIT_FAILED


def _load_file(mod_name: str):
    """Run the Python file ``mod_name`` as a module (this executes its code)."""
    path = Path(mod_name)
    if not path.is_file():
        raise UsageError(f"no such file: {mod_name}")
    spec = importlib.util.spec_from_file_location(path.stem, path)
    if spec is None or spec.loader is None:
        raise UsageError(f"{mod_name} is not a Python file (expected path/to/file.py)")
    module = importlib.util.module_from_spec(spec)
    # registered while it runs, as an import would (dataclasses and pickling look the module up)
    added = sys.modules.setdefault(path.stem, module) is module
    try:
        spec.loader.exec_module(module)
    except (Exception, SystemExit) as e:
        if added:
            del sys.modules[path.stem]
        if isinstance(e, SyntaxError):
            raise UsageError(f"{mod_name}, line {e.lineno}: SyntaxError: {e.msg}") from e
        raise UsageError(f"running {mod_name} raised {type(e).__name__}: {_one_line(e)}") from e
    return module


def _load_target(target: str):
    """``package.module:NAME`` or ``path/to/file.py:NAME`` -> the object ``NAME`` (importing the module or
    running the file executes its code)."""
    mod_name, sep, attr = target.rpartition(":")
    if not sep or not mod_name or not attr:
        raise UsageError(f"expected PACKAGE.MODULE:FACTORY or path/to/file.py:FACTORY, got {target!r}")
    if mod_name.endswith(".py") or "/" in mod_name or "\\" in mod_name:
        module = _load_file(mod_name)
    else:
        try:
            module = importlib.import_module(mod_name)
        except ModuleNotFoundError as e:
            raise UsageError(f"cannot import {mod_name}: {_one_line(e)}") from e
        except SyntaxError as e:
            raise UsageError(
                f"importing {mod_name}: {e.filename}, line {e.lineno}: SyntaxError: {e.msg}"
            ) from e
        except (Exception, SystemExit) as e:
            raise UsageError(f"importing {mod_name} raised {type(e).__name__}: {_one_line(e)}") from e
    if not hasattr(module, attr):
        raise UsageError(f"{mod_name} has no attribute {attr!r}")
    return getattr(module, attr)


def _build_model(obj, target: str, group):
    """The ``nn.Module`` named by the target: the object itself, or what the factory returns (called with
    ``group=`` when it takes that argument and ``--group`` is given)."""
    from torch import nn

    if isinstance(obj, nn.Module):
        return obj
    if inspect.isclass(obj) and not issubclass(obj, nn.Module):
        raise UsageError(f"{target} is the class {obj.__name__}, not a torch.nn.Module subclass")
    if not callable(obj):
        raise UsageError(
            f"{target} is a {type(obj).__name__}, neither a torch.nn.Module nor a factory of one"
        )
    kwargs = {}
    try:
        sig = inspect.signature(obj)
    except (TypeError, ValueError):
        sig = None
    if sig is not None:
        ret = sig.return_annotation
        if inspect.isclass(ret) and ret is not sig.empty and not issubclass(ret, nn.Module):
            raise UsageError(f"{target} is annotated to return {ret.__name__}, not a torch.nn.Module")
        if group is not None and "group" in sig.parameters:
            kwargs["group"] = group
        required = [
            p.name
            for p in sig.parameters.values()
            if p.default is p.empty
            and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
            and p.name not in kwargs
        ]
        if required:
            raise UsageError(
                f"{target} needs the arguments {', '.join(required)}; expected a factory that takes no "
                "arguments (or only group=, given by --group)"
            )
    try:
        model = obj(**kwargs)
    except (Exception, SystemExit) as e:
        raise UsageError(f"{target} raised {type(e).__name__}: {_one_line(e)}") from e
    if not isinstance(model, nn.Module):
        raise UsageError(f"{target} returned a {type(model).__name__}, not a torch.nn.Module")
    return model


def _cmd_verify(args) -> int:
    # torch and the verification stack load when the command runs, so that `groupconv --help` stays instant
    import torch

    from .nn import FieldType
    from .reps import trivial
    from .verify import is_typed, typed_layers, verify_model

    device = _device(args.device)
    for option, path in (("--json", args.json), ("--markdown", args.markdown)):
        if path is not None:
            _check_writable_file(path, option)
    group = args.group
    model = _build_model(_load_target(args.target), args.target, group)
    dtype = getattr(torch, args.dtype)
    try:
        model = model.to(device=device)
    except Exception as e:
        raise UsageError(f"cannot move the model to {device}: {_one_line(e)}") from e
    gen = torch.Generator().manual_seed(args.seed)
    if args.input_shape is not None:
        x = torch.randn(*args.input_shape, generator=gen, dtype=dtype)
    elif hasattr(model, "example_input"):
        try:
            x = model.example_input()
        except Exception as e:
            raise UsageError(f"example_input() raised {type(e).__name__}: {_one_line(e)}") from e
        if not isinstance(x, torch.Tensor):
            raise UsageError(f"example_input() returned a {type(x).__name__}, not a torch.Tensor")
    elif isinstance(getattr(model, "in_type", None), FieldType):
        x = torch.randn(1, model.in_type.size, 29, 29, generator=gen, dtype=dtype)
    else:
        raise UsageError("pass --input-shape (the model has no example_input())")
    x = x.to(device)
    types = None
    if not typed_layers(model) and not is_typed(model):
        if group is None:
            raise UsageError(
                "the model has no typed layers; pass --group to check it as a map between scalar fields"
            )
        try:
            with torch.no_grad():
                c_out = copy.deepcopy(model).to(dtype)(x.to(dtype)).shape[1]
        except Exception as e:
            raise UsageError(f"the model fails on an input of shape {tuple(x.shape)}: {_one_line(e)}") from e
        types = {
            "": (FieldType(group, [trivial(group)] * x.shape[1]), FieldType(group, [trivial(group)] * c_out))
        }
    try:
        report = verify_model(
            model,
            x,
            types=types,
            n_samples=args.samples,
            atol=args.atol,
            rtol=args.rtol,
            dtype=dtype,
            untyped=args.untyped,
        )
    except Exception as e:
        # the model, its input or its types cannot be checked: no verdict, so not the status of a failure
        raise UsageError(f"the check could not run: {_one_line(e)}") from e
    report.show()
    try:
        if args.json:
            report.to_json(args.json)
        if args.markdown:
            with open(args.markdown, "w") as fh:
                fh.write(report.to_markdown())
    except OSError as e:
        raise UsageError(f"cannot write the report: {e.strerror or e} ({e.filename})") from e
    return EXIT_OK if report.passed else EXIT_FAILED


def _cmd_reproduce(args) -> int:
    from .reproduce import Options, run, text_table

    _device(args.device, types=("cpu", "cuda"))
    out = Path(args.out) if args.out else Path("results") / args.name
    _check_out_dir(out)
    data_root = Path(args.data_root) if args.data_root else None
    if data_root is not None and not data_root.is_dir():
        raise UsageError(f"--data-root {data_root}: not a folder")
    try:
        result = run(args.name, Options(args.smoke, out, args.device, args.seed, args.quiet, data_root))
    except ValueError as e:
        raise UsageError(_one_line(e)) from e
    if int(os.environ.get("RANK", "0")) != 0:
        return EXIT_OK
    width = terminal_width()
    if args.smoke:
        # smoke numbers come from a few steps on tiny data: said before any of them can be read as results
        print(textwrap.fill(_cli_help.smoke_banner(args.name), width, break_on_hyphens=False) + "\n")
    for tname, rows in result.tables.items():
        print(f"{tname}\n{text_table(rows, width)}\n")
    print(f"results written to {out}")
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="groupconv",
        description="Neural networks that respect the symmetries of compact groups.",
        epilog="Exit status: 0 success, 1 a check failed, 2 unusable target or arguments, 3 internal error.",
    )
    parser.add_argument("--version", action="version", version=f"groupconv {__version__}")
    common = _Parser(add_help=False)
    common.add_argument("--debug", action="store_true", help="show the traceback of an error")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    p = sub.add_parser(
        "irreps",
        parents=[common],
        help="print the irreps (and character table) of a group",
        description=_cli_help.IRREPS,
    )
    p.add_argument(
        "group", type=_group_arg, help="group name, e.g. C4, D6, S4, SO2, O2, SO3, O3, O, Oh, I, Ih"
    )
    p.add_argument(
        "--max-degree",
        type=int,
        default=3,
        help=f"largest degree for continuous groups (0 to {MAX_DEGREE}, default 3)",
    )
    p.set_defaults(func=_cmd_irreps)
    p = sub.add_parser(
        "demo",
        parents=[common],
        help="verify a D4 network on a real image; with --group, a tour of that group's irreps",
        description=_cli_help.DEMO,
    )
    p.add_argument("--group", type=_group_arg, default=None, help="print the irreps of this group instead")
    p.add_argument("--max-degree", type=int, default=3, help="largest degree for continuous groups")
    p.set_defaults(func=_cmd_demo)
    p = sub.add_parser(
        "verify",
        parents=[common],
        help="check a model layer by layer: equivariance, energy, certificates (runs the target's code)",
        description=_cli_help.VERIFY,
    )
    p.add_argument(
        "target",
        help="PACKAGE.MODULE:FACTORY or path/to/file.py:FACTORY: an nn.Module or a callable that returns one",
    )
    p.add_argument(
        "--group",
        type=_group_arg,
        default=None,
        help="passed to the factory as group=...; types a model without typed layers as scalar fields",
    )
    p.add_argument("--input-shape", type=_shape_arg, default=None, help="e.g. 1,1,29,29")
    p.add_argument("--json", default=None, help="write the reports as JSON to this file")
    p.add_argument("--markdown", default=None, help="write the reports as Markdown to this file")
    p.add_argument(
        "--dtype",
        choices=["float64", "float32", "float16", "bfloat16"],
        default="float64",
        help=_cli_help.DTYPE,
    )
    p.add_argument("--device", default="cpu", help=_cli_help.DEVICE_VERIFY)
    p.add_argument(
        "--samples", type=_positive_int, default=20, help="Haar samples of a continuous group (default 20)"
    )
    for tol in ("atol", "rtol"):
        p.add_argument(f"--{tol}", type=float, default=None, help=_cli_help.TOLERANCE.format(tol=tol))
    p.add_argument("--untyped", choices=["warn", "fail"], default="warn", help=_cli_help.UNTYPED)
    p.add_argument("--seed", type=int, default=0, help="seed of the random input (default 0)")
    p.set_defaults(func=_cmd_verify)
    from .reproduce import available

    p = sub.add_parser(
        "reproduce",
        parents=[common],
        help="reproduce a published result: " + ", ".join(available()),
        description=_cli_help.reproduce_description(available(), terminal_width() - 2),
        # the description is one paragraph per reproduction, already wrapped to the terminal
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("name", choices=available(), help="which reproduction (described above)")
    p.add_argument(
        "--smoke",
        action="store_true",
        help="a small, fast run that checks the pipeline (seconds, for CI); its numbers are not results",
    )
    p.add_argument("--out", default=None, help="output folder (default results/NAME), created if needed")
    p.add_argument("--device", default="cpu", help=_cli_help.DEVICE_REPRODUCE)
    p.add_argument("--seed", type=int, default=0, help="seed of the initialisation and the data (default 0)")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.add_argument(
        "--data-root",
        default=None,
        help="local dataset folder for a full-size run (e.g. CIFAR-10's binary version for phase-collapse)",
    )
    p.set_defaults(func=_cmd_reproduce)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``groupconv`` command with the arguments ``argv`` (default ``sys.argv[1:]``); returns the
    exit status (module docstring)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    parser = build_parser()
    prog = "groupconv"
    try:
        args = parser.parse_args(argv)
        if args.command is None:
            parser.print_help()
            return EXIT_OK
        prog = f"groupconv {args.command}"
        return args.func(args)
    except UsageError as e:
        if debug:
            raise
        print(f"{e.prog or prog}: error: {_one_line(e)}", file=sys.stderr)
        return EXIT_USAGE
    except Exception as e:
        if debug:
            raise
        print(
            f"{prog}: internal error: {type(e).__name__}: {_one_line(e)} (rerun with --debug for the traceback)",
            file=sys.stderr,
        )
        return EXIT_INTERNAL


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
