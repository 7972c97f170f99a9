"""Exact Littlewood-Paley certificates of Parseval scattering networks."""

from __future__ import annotations

import pytest
import sympy

from groupconv.scattering import Scattering2D
from groupconv.verify import certify
from groupconv.verify.scattering_certificates import certify_scattering, prove_parseval_littlewood_paley


@pytest.mark.parametrize("J,L,full", [(1, 1, True), (2, 4, False), (3, 8, False), (3, 6, True)])
def test_parseval_identity_is_proved(J, L, full):
    ok, why = prove_parseval_littlewood_paley(J, L, full_circle=full)
    assert ok, why


def test_a_broken_angular_partition_is_not_proved(monkeypatch):
    import groupconv.verify.scattering_certificates as sc

    real_cos = sympy.cos
    monkeypatch.setattr(sc.sympy, "cos", lambda x: real_cos(x) * sympy.Rational(99, 100))
    ok, why = sc.prove_parseval_littlewood_paley(2, 4)
    assert not ok and "not 0" in why


def test_certify_parseval_and_morlet_scattering():
    tight = Scattering2D((32, 32), J=2, L=4, max_order=2, filters="parseval", subsample=False, paths="all")
    row = certify(tight).rows[0]
    assert row.status == "proved" and "A = B = 1" in row.reason
    morlet = Scattering2D((32, 32), J=2, L=4, max_order=1)
    assert certify(morlet).rows[0].status == "not applicable"


def test_certificate_fails_when_the_discrete_bank_is_not_tight():
    net = Scattering2D((32, 32), J=2, L=4, max_order=1, filters="parseval", subsample=False)
    a, b = net.bank_frame_bounds()
    net._frame_bounds = (a, b * 1.01)
    status, reason, *_ = certify_scattering(net)
    assert status == "failed" and "frame bounds" in reason


def test_bad_arguments():
    with pytest.raises(ValueError, match="J must be"):
        prove_parseval_littlewood_paley(0, 4)
    with pytest.raises(ValueError, match="L must be"):
        prove_parseval_littlewood_paley(2, 0)
