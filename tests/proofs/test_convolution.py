"""The convolution theorem on finite groups, proved on symbolic functions."""

from __future__ import annotations

import pytest
import sympy
import torch

from groupconv.groups import SO2, Cyclic, Dihedral, Symmetric
from groupconv.proofs import certify_convolution_theorem
from groupconv.reps import irrep, irreps
from groupconv.reps.representation import Irrep


def test_convolution_theorem_is_proved_on_small_groups():
    for G in (Cyclic(4), Cyclic(6), Dihedral(3), Dihedral(4), Symmetric(3)):
        ok, reason = certify_convolution_theorem(G)
        assert ok, reason
        assert f"order {G.order}" in reason


class _Twisted(Irrep):
    """The 2-dim irrep of D_4 with the reflection matrices conjugated by a shear: not a homomorphism."""

    def __init__(self, G):
        self.base = irrep(G, 1, 1)
        super().__init__(G, "twisted", 2)

    def _matrix(self, g, dtype):
        return self.base(g, dtype)

    def _exact(self, g):
        m = self.base.exact(int(g))
        if int(self.group.reflection(torch.tensor(int(g)))):
            shear = sympy.Matrix([[1, sympy.Rational(1, 3)], [0, 1]])
            return shear * m
        return m


def test_convolution_theorem_fails_for_a_non_homomorphism():
    G = Dihedral(4)
    ok, reason = certify_convolution_theorem(G, irreps(G)[:4] + [_Twisted(G)])
    assert not ok and "twisted" in reason


def test_convolution_theorem_needs_a_finite_group():
    with pytest.raises(TypeError, match="finite group"):
        certify_convolution_theorem(SO2())
