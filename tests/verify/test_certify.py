"""certify: one certificate row per layer, from the layer's certificate() or a registered certifier."""

from __future__ import annotations

import pytest
import torch
from _verify_models import Mix, Weighted
from torch import nn

import groupconv.proofs
import groupconv.verify
from groupconv.groups import Dihedral
from groupconv.nn import FieldType, GroupPooling, ReLU, SteerableConv2d
from groupconv.nn.module import Certificate
from groupconv.reps import irrep, regular, trivial
from groupconv.verify import certify, certify_permutation_fields, check_equivariance, register_certifier


def test_verify_re_exports_the_proofs():
    for name in (
        "certify_kernel_basis",
        "certify_index_map",
        "span_residual",
        "certify_convolution_theorem",
        "certify_littlewood_paley",
        "certify_permutation_fields",
        "conv2d_frame_bounds",
    ):
        assert getattr(groupconv.verify, name) is getattr(groupconv.proofs, name)


def test_permutation_fields_certificate_for_pointwise_layers():
    G = Dihedral(4)
    perm = FieldType(G, [regular(G), trivial(G)])
    ok, reason = certify_permutation_fields(perm)
    assert ok and "permutation matrices" in reason
    ok, reason = certify_permutation_fields(FieldType(G, [regular(G), irrep(G, 1, 1)]))
    assert not ok and "field 1" in reason
    report = certify(nn.Sequential(ReLU(perm), GroupPooling(perm)))
    assert [r.status for r in report.rows] == ["proved", "proved"]


def test_certify_dispatch():
    class WithCertificate(Mix):
        def certificate(self):
            return ("proved", "by construction", 0.0)

    net = nn.Sequential(WithCertificate(), Mix())
    report = certify(net)
    assert [r.status for r in report.rows] == ["proved", "not applicable"]
    assert report.passed


def test_certify_on_a_model_without_descriptions():
    report = certify(nn.Sequential(Weighted()))
    assert report.rows[0].status == "not applicable" and report.passed


def test_perturbed_basis_element_of_a_steerable_conv_fails_the_certificate():
    G = Dihedral(4)
    t_in = FieldType(G, [regular(G)])
    t_out = FieldType(G, [irrep(G, 1, 1), irrep(G, 0, 0)])
    conv = SteerableConv2d(t_in, t_out, 3, padding=1, basis="exact")
    report = certify(nn.Sequential(conv))
    assert report.rows[0].status == "proved", report.rows[0].reason
    with torch.no_grad():
        conv.basis[0, 0, 0, 0, 0, 4] += 0.5  # one entry of one basis element
    row = certify(nn.Sequential(conv)).rows[0]
    assert row.status == "failed" and row.residual > 1e-6
    # the numerical check sees it as well, at that layer
    eq = check_equivariance(nn.Sequential(conv), torch.randn(1, 8, 7, 7))
    assert not eq.passed


def test_registered_certifiers_reach_subclasses_accept_legacy_tuples_and_yield_to_own_methods():
    class Frozen(nn.Module):
        def forward(self, x):
            return x

    class FrozenAgain(Frozen):
        pass

    class Certified(Frozen):
        def certificate(self):
            return Certificate("failed", "its own statement")

    register_certifier(Frozen, lambda m: ("proved", "the identity", 0.0))  # a legacy tuple
    report = certify(nn.Sequential(Frozen(), FrozenAgain(), Certified()), layers=["0", "1", "2"])
    assert [r.status for r in report.rows] == ["proved", "proved", "failed"]
    assert report.rows[0].residual == 0.0 and report.rows[2].reason == "its own statement"
    # found without naming it: a registered class is a layer with an exact description
    assert [r.layer for r in certify(nn.Sequential(nn.ReLU(), Frozen())).rows] == ["1"]
    # and so is a subclass of one, as the dispatch treats it
    assert [r.layer for r in certify(nn.Sequential(nn.ReLU(), FrozenAgain())).rows] == ["1"]
    with pytest.raises(TypeError, match="takes a class"):
        register_certifier(Frozen(), lambda m: None)
    with pytest.raises(TypeError, match="callable"):
        register_certifier(Frozen, "proved")


def test_a_certifier_that_raises_is_a_failed_row_and_unknown_layers_are_an_error():
    class Broken(nn.Module):
        def certificate(self):
            raise RuntimeError("no exact form")

        def forward(self, x):
            return x

    row = certify(nn.Sequential(Broken())).rows[0]
    assert row.status == "failed" and "RuntimeError: no exact form" in row.reason
    with pytest.raises(ValueError, match="no modules named"):
        certify(nn.Sequential(Broken()), layers=["7"])
    with pytest.raises(TypeError, match="nn.Module"):
        certify("model")
