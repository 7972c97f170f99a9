"""The lazily imported heavy dependencies: ``import groupconv.nn`` (and the other user-facing subpackages)
does not import sympy, scipy.linalg, scipy.signal or torch._dynamo; the stand-in behaves as the module."""

from __future__ import annotations

import subprocess
import sys

import pytest

from groupconv.utils.lazy import LazyModule

HEAVY = ("sympy", "scipy.linalg", "scipy.signal", "scipy.special", "torch._dynamo")


@pytest.mark.parametrize("module", ["groupconv", "groupconv.nn", "groupconv.scattering", "groupconv.verify"])
def test_import_does_not_load_heavy_dependencies(module):
    code = f"import sys, {module}\nprint(','.join(sorted(m for m in {HEAVY!r} if m in sys.modules)))\n"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"import {module} loaded {out.stdout.strip()}"


def test_first_use_loads_sympy_and_gives_exact_results():
    code = (
        "import sys\n"
        "from groupconv.groups.polyhedral import Icosahedral\n"
        "from groupconv.reps import irreps\n"
        "assert 'sympy' not in sys.modules\n"
        "m = irreps(Icosahedral())[1].exact(3)\n"
        "assert 'sympy' in sys.modules\n"
        "import groupconv.groups.polyhedral as P, sympy\n"
        "assert sympy.simplify(P.PHI ** 2 - P.PHI - 1) == 0\n"
        "print(type(m).__module__.split('.')[0])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "sympy"


def test_lazy_module_forwards_attributes_and_refuses_writes():
    lazy = LazyModule("fractions")
    assert "not loaded yet" in repr(lazy)
    assert lazy.Fraction(1, 2) * 2 == 1
    assert "loaded" in repr(lazy) and "not loaded" not in repr(lazy)
    assert "Fraction" in dir(lazy)
    with pytest.raises(AttributeError, match="cannot set 'x'"):
        lazy.x = 1
    with pytest.raises(AttributeError):
        lazy.no_such_name  # noqa: B018


@pytest.mark.parametrize("bad", ["", None, 3])
def test_lazy_module_needs_a_name(bad):
    with pytest.raises(ValueError, match="module name"):
        LazyModule(bad)


def test_missing_module_fails_on_first_use_not_on_creation():
    lazy = LazyModule("groupconv_no_such_module")
    with pytest.raises(ModuleNotFoundError):
        lazy.anything  # noqa: B018
