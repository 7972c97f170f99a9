"""Exact Littlewood-Paley certificates of Parseval scattering networks, collected by certify."""

from __future__ import annotations

import pytest

from groupconv.nn.module import Certificate
from groupconv.scattering import Scattering2D
from groupconv.verify import certify
from groupconv.verify.scattering_certificates import certify_scattering


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
    row = certify(net).rows[0]
    assert row.status == "failed" and "frame bounds" in row.reason


def test_certify_scattering_is_deprecated_and_returns_the_networks_certificate():
    net = Scattering2D((32, 32), J=2, L=4, max_order=1, filters="parseval", subsample=False)
    with pytest.warns(DeprecationWarning, match="certificate"):
        cert = certify_scattering(net)
    assert isinstance(cert, Certificate) and cert == net.certificate() and cert.status == "proved"
    a, b = net.bank_frame_bounds()
    net._frame_bounds = (a, b * (1 + 1e-9))
    with pytest.warns(DeprecationWarning):
        assert certify_scattering(net, atol=1e-6).status == "proved"
    with pytest.warns(DeprecationWarning):
        loose = certify_scattering(net)
    assert loose.status == "failed" and "frame bounds" in loose.reason
