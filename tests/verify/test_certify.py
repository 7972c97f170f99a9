"""certify: one certificate row per layer, from the layer's certificate() or a registered certifier."""

from __future__ import annotations

from torch import nn

import groupconv.proofs
import groupconv.verify
from groupconv.groups import Dihedral
from groupconv.nn import FieldType, GroupPooling, ReLU
from groupconv.reps import irrep, regular, trivial
from groupconv.verify import certify, certify_permutation_fields


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
