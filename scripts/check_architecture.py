"""Check the package's architecture rules and print what breaks them.

Run ``python scripts/check_architecture.py``; the exit status is the number of
broken rules.  The rules (see ``docs/architecture.md``):

1. no module of the package is longer than 600 lines;
2. no private name (a module or attribute whose name starts with one
   underscore) is imported or read across subpackages;
3. no public function, method or class takes a parameter named ``G``;
4. every public ``torch.nn.Module`` of the package is an ``EquivariantModule``
   (or is listed as a container or plain helper);
5. every module of the package has a test module at
   ``tests/<subpackage>/test_<module>.py``.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PKG = ROOT / "groupconv"
MAX_LINES = 600


def _modules():
    for path in sorted(PKG.rglob("*.py")):
        yield path, path.relative_to(ROOT).with_suffix("").parts


def _subpackage(parts):
    # ("groupconv", "nn", "conv", "base") -> "nn"; ("groupconv", "cli") -> "" (top level)
    return parts[1] if len(parts) > 2 else ""


def _is_private(name):
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def long_modules():
    out = []
    for path, _ in _modules():
        n = len(path.read_text().splitlines())
        if n > MAX_LINES:
            out.append(f"{path.relative_to(ROOT)}: {n} lines")
    return out


def _resolve(parts, node):
    if node.level == 0:
        return (node.module or "").split(".")
    base = list(parts[:-1]) if parts[-1] != "__init__" else list(parts[:-1])
    if parts[-1] == "__init__":
        base = list(parts[:-1])
    up = node.level - 1
    base = base[: len(base) - up] if up else base
    return base + ((node.module or "").split(".") if node.module else [])


def _defined_private_attrs():
    """Private attribute names defined in each subpackage (methods, self._x assignments, class attrs)."""
    owners: dict[str, set[str]] = {}
    for path, parts in _modules():
        sub = _subpackage(parts)
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = []
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.append(node.name)
            elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
                names.append(node.attr)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                names.append(node.id)
            elif isinstance(node, ast.Call) and getattr(node.func, "attr", None) in (
                "register_buffer",
                "register_parameter",
            ):
                if (
                    node.args
                    and isinstance(node.args[0], ast.Constant)
                    and isinstance(node.args[0].value, str)
                ):
                    names.append(node.args[0].value)
            for n in names:
                if _is_private(n):
                    owners.setdefault(n, set()).add(sub)
    return owners


def private_crossings():
    out = []
    owners = _defined_private_attrs()
    for path, parts in _modules():
        sub = _subpackage(parts)
        tree = ast.parse(path.read_text())
        rel = path.relative_to(ROOT)
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                target = _resolve(parts, node)
                if target[:1] != ["groupconv"]:
                    continue
                tsub = target[1] if len(target) > 1 and (PKG / target[1]).is_dir() else ""
                tmod = target
                if tsub == sub:
                    continue
                if any(_is_private(p) for p in tmod[1:]):
                    out.append(f"{rel}:{node.lineno}: imports private module {'.'.join(tmod)}")
                for alias in node.names:
                    if _is_private(alias.name):
                        out.append(f"{rel}:{node.lineno}: imports {alias.name} from {'.'.join(tmod)}")
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    p = alias.name.split(".")
                    psub = p[1] if len(p) > 1 and (PKG / p[1]).is_dir() else ""
                    if p[0] == "groupconv" and psub != sub and any(_is_private(x) for x in p[1:]):
                        out.append(f"{rel}:{node.lineno}: imports private module {alias.name}")
            elif (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", None) in ("getattr", "hasattr", "setattr")
                and len(node.args) >= 2
                and isinstance(node.args[1], ast.Constant)
                and isinstance(node.args[1].value, str)
                and _is_private(node.args[1].value)
                and not (isinstance(node.args[0], ast.Name) and node.args[0].id in ("self", "cls"))
            ):
                name = node.args[1].value
                subs = owners.get(name, set())
                if sub not in subs and subs:
                    where = ", ".join(sorted(s or "top level" for s in subs))
                    out.append(f"{rel}:{node.lineno}: {node.func.id}(..., {name!r}) (defined in {where})")
            elif isinstance(node, ast.Attribute) and _is_private(node.attr):
                if isinstance(node.value, ast.Name) and node.value.id in ("self", "cls", "super"):
                    continue
                if isinstance(node.value, ast.Call) and getattr(node.value.func, "id", "") == "super":
                    continue
                subs = owners.get(node.attr, set())
                if sub not in subs and subs:
                    out.append(
                        f"{rel}:{node.lineno}: reads .{node.attr} (defined in {', '.join(sorted(s or 'top level' for s in subs))})"
                    )
    return out


def _public_objects():
    import groupconv  # noqa: F401

    seen = set()
    for info in pkgutil.walk_packages([str(PKG)], prefix="groupconv."):
        name = info.name
        if any(_is_private(p) for p in name.split(".")):
            continue
        try:
            mod = importlib.import_module(name)
        except Exception as exc:  # optional extras
            if "escnn" in str(exc) or "kymatio" in str(exc) or "e3nn" in str(exc):
                continue
            raise
        for attr, obj in vars(mod).items():
            if _is_private(attr) or getattr(obj, "__module__", "") != name:
                continue
            if id(obj) in seen:
                continue
            seen.add(id(obj))
            yield name, attr, obj


def parameters_named_G():
    out = []
    for mod, attr, obj in _public_objects():
        funcs = []
        if inspect.isfunction(obj):
            funcs.append((attr, obj))
        elif inspect.isclass(obj):
            for mname, m in vars(obj).items():
                if mname.startswith("_") and mname != "__init__":
                    continue
                f = m.__func__ if isinstance(m, (classmethod, staticmethod)) else m
                if inspect.isfunction(f):
                    funcs.append((f"{attr}.{mname}", f))
        for qual, f in funcs:
            try:
                params = inspect.signature(f).parameters
            except (TypeError, ValueError):
                continue
            if "G" in params:
                out.append(f"{mod}.{qual}")
    return out


# Public torch modules that are not layers of the library, and why.
NOT_LAYERS = {
    "groupconv.fourier.sphere.S2FFT": "a transform between grid samples and Fourier coefficients",
    "groupconv.fourier.sphere.SO3FFT": "a transform between grid samples and Fourier coefficients",
    "groupconv.nn.augment.RandomGroupAction": "data augmentation: random group elements act on the input",
}
# Modules whose torch modules are plain torch: what ``export()`` returns, with no groupconv types.
PLAIN_MODULES = {"groupconv.nn.plain"}


def non_equivariant_layers():
    import torch

    from groupconv.nn.module import EquivariantModule

    out = []
    for mod, attr, obj in _public_objects():
        if (
            inspect.isclass(obj)
            and issubclass(obj, torch.nn.Module)
            and not issubclass(obj, EquivariantModule)
        ):
            qual = f"{mod}.{attr}"
            if qual not in NOT_LAYERS and mod not in PLAIN_MODULES:
                out.append(qual)
    return out


def missing_test_modules():
    out = []
    tests = ROOT / "tests"
    for path, parts in _modules():
        if parts[-1] == "__init__" or parts[-1] == "__main__":
            continue
        if _is_private(parts[-1]):
            continue
        sub = parts[1:-1]
        name = parts[-1]
        candidate = tests.joinpath(*sub, f"test_{name}.py")
        if not candidate.exists():
            out.append(f"{path.relative_to(ROOT)} -> {candidate.relative_to(ROOT)}")
    return out


RULES = {
    "modules over 600 lines": long_modules,
    "private names across subpackages": private_crossings,
    "public parameters named G": parameters_named_G,
    "public layers that are not EquivariantModule": non_equivariant_layers,
    "modules without a mirrored test module": missing_test_modules,
}


def main(argv=None):
    broken = 0
    for title, rule in RULES.items():
        try:
            found = rule()
        except Exception as exc:  # report, do not hide
            found = [f"rule could not run: {type(exc).__name__}: {exc}"]
        status = "ok" if not found else f"{len(found)} found"
        print(f"{title}: {status}")
        for line in found:
            print(f"    {line}")
        broken += bool(found)
    return broken


if __name__ == "__main__":
    sys.exit(main())
