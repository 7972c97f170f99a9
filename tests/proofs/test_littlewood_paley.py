"""Littlewood-Paley identities and bounds of symbolic filter banks, and of the Parseval wavelet bank."""

from __future__ import annotations

import pytest
import sympy

from groupconv.proofs import certify_littlewood_paley, certify_parseval_bank, prove_parseval_littlewood_paley


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


def test_littlewood_paley_bad_arguments():
    w = sympy.Symbol("omega")
    with pytest.raises(TypeError, match="Symbols"):
        certify_littlewood_paley([sympy.cos(w)], "omega")
    with pytest.raises(ValueError, match="empty"):
        certify_littlewood_paley([], w)


@pytest.mark.parametrize("J,L,full", [(1, 1, True), (2, 4, False), (3, 8, False), (3, 6, True)])
def test_parseval_identity_is_proved(J, L, full):
    ok, why = prove_parseval_littlewood_paley(J, L, full_circle=full)
    assert ok, why


def test_a_broken_angular_partition_is_not_proved(monkeypatch):
    real_cos = sympy.cos
    monkeypatch.setattr(sympy, "cos", lambda x: real_cos(x) * sympy.Rational(99, 100))
    ok, why = prove_parseval_littlewood_paley(2, 4)
    assert not ok and "not 0" in why


def test_parseval_bad_arguments():
    with pytest.raises(ValueError, match="J must be"):
        prove_parseval_littlewood_paley(0, 4)
    with pytest.raises(ValueError, match="L must be"):
        prove_parseval_littlewood_paley(2, 0)


def test_parseval_bank_needs_its_discrete_bounds_at_one():
    ok, why, err = certify_parseval_bank(2, 4, (1.0 - 1e-13, 1.0 + 1e-13))
    assert ok and "A = B = 1" in why and err < 1e-12
    ok, why, err = certify_parseval_bank(2, 4, (0.99, 1.0))
    assert not ok and "frame bounds (0.99, 1)" in why and abs(err - 0.01) < 1e-12
    assert not certify_parseval_bank(2, 4, (1.0, 1.0 + 1e-6), atol=1e-8)[0]
