"""Exact certificates: the convolution theorem on finite groups and the Littlewood-Paley identity /
bounds of symbolic filter banks."""

from __future__ import annotations

import sympy
import torch

from groupconv.groups import Cyclic, Dihedral, Symmetric
from groupconv.reps import irrep, irreps
from groupconv.reps.representation import Irrep
from groupconv.verify import certify_convolution_theorem, certify_littlewood_paley


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


def test_littlewood_paley_identity_of_a_parseval_pair():
    w = sympy.Symbol("omega")
    # a two-band partition of unity: |cos|^2 + |sin|^2 = 1
    ok, reason = certify_littlewood_paley([sympy.cos(w / 2), sympy.sin(w / 2)], w)
    assert ok, reason
    # a complex phase does not change |psi^|^2
    ok, _ = certify_littlewood_paley([sympy.exp(sympy.I * w) * sympy.cos(w), sympy.sin(w)], w)
    assert ok
    # a 1% gain on one band breaks the identity, and is found
    ok, reason = certify_littlewood_paley([sympy.cos(w), sympy.Rational(101, 100) * sympy.sin(w)], w)
    assert not ok and "not identically 1" in reason


def test_littlewood_paley_bounds():
    w = sympy.Symbol("omega")
    bank = [sympy.cos(w), sympy.sin(w) / 2]  # sum = 1 - 3 sin^2 / 4, range [1/4, 1]
    ok, reason = certify_littlewood_paley(bank, w, bounds=(sympy.Rational(1, 4), 1))
    assert ok and "[1/4, 1]" in reason
    ok, _ = certify_littlewood_paley(bank, w, bounds=(sympy.Rational(1, 2), 1))
    assert not ok
    ok, _ = certify_littlewood_paley(bank, w, bounds=(sympy.Rational(1, 4), sympy.Rational(9, 10)))
    assert not ok
    # on [0, pi/6] the range shrinks to [13/16, 1]
    band = sympy.Interval(0, sympy.pi / 6)
    assert certify_littlewood_paley(bank, w, bounds=(sympy.Rational(13, 16), 1), domain=band)[0]
    assert not certify_littlewood_paley(bank, w, bounds=(sympy.Rational(7, 8), 1), domain=band)[0]


def test_permutation_fields_certificate_for_pointwise_layers():
    from torch import nn

    from groupconv.nn import FieldType, GroupPooling, ReLU
    from groupconv.reps import regular, trivial
    from groupconv.verify import certify, certify_permutation_fields

    G = Dihedral(4)
    perm = FieldType(G, [regular(G), trivial(G)])
    ok, reason = certify_permutation_fields(perm)
    assert ok and "permutation matrices" in reason
    ok, reason = certify_permutation_fields(FieldType(G, [regular(G), irrep(G, 1, 1)]))
    assert not ok and "field 1" in reason
    report = certify(nn.Sequential(ReLU(perm), GroupPooling(perm)))
    assert [r.status for r in report.rows] == ["proved", "proved"]
