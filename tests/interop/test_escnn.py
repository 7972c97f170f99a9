"""escnn interop: field types both ways (same matrices channel for channel) and escnn networks checked
layer by layer. Runs where escnn is installed (it needs numpy < 2)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

escnn = pytest.importorskip("escnn")

from escnn import gspaces  # noqa: E402
from escnn import nn as enn  # noqa: E402

from groupconv.groups import O2, SO2, Cyclic, Dihedral  # noqa: E402
from groupconv.interop.escnn import (  # noqa: E402
    EscnnLayer,
    _element_pairs,
    from_escnn_type,
    group_from_gspace,
    to_escnn_type,
    wrap_escnn,
)
from groupconv.nn import FieldType  # noqa: E402
from groupconv.reps import irrep, regular  # noqa: E402
from groupconv.verify import check_equivariance  # noqa: E402

GSPACES = [
    (lambda: gspaces.rot2dOnR2(4), Cyclic(4)),
    (lambda: gspaces.rot2dOnR2(6), Cyclic(6)),
    (lambda: gspaces.flipRot2dOnR2(4), Dihedral(4)),
    (lambda: gspaces.flipRot2dOnR2(3, axis=0.0), Dihedral(3)),
    (lambda: gspaces.rot2dOnR2(-1, maximum_frequency=3), SO2()),
    (lambda: gspaces.flipRot2dOnR2(-1, maximum_frequency=3), O2()),
]


def _all_reps(gs):
    reps = list(gs.fibergroup.irreps())
    if gs.fibergroup.order() > 0:
        reps.append(gs.regular_repr)
    return reps


@pytest.mark.parametrize("make,group", GSPACES, ids=[str(g) for _, g in GSPACES])
def test_field_types_round_trip_with_identical_matrices(make, group):
    gs = make()
    assert group_from_gspace(gs) == group
    ft = enn.FieldType(gs, _all_reps(gs))
    gt = from_escnn_type(ft)
    assert gt.group == group and gt.size == ft.size and len(gt) == len(ft.representations)
    pairs = _element_pairs(gs, group)
    for e, g in pairs:
        np.testing.assert_allclose(gt.representation(g).numpy(), ft.representation(e), atol=1e-12)
    back = to_escnn_type(gt, gs)
    for e, _ in pairs:
        np.testing.assert_allclose(back.representation(e), ft.representation(e), atol=1e-12)


def test_groupconv_types_to_escnn_and_back():
    G = Dihedral(4)
    gt = FieldType(G, [regular(G), irrep(G, 1, 1), irrep(G, 0, 0)])
    et = to_escnn_type(gt)
    assert et.size == gt.size and et.representations[0].name == "regular"
    again = from_escnn_type(et)
    g = G.elements()
    torch.testing.assert_close(again.representation(g), gt.representation(g), atol=1e-12, rtol=0)


def test_odd_dihedral_with_escnn_default_axis_is_refused():
    ft = enn.FieldType(gspaces.flipRot2dOnR2(3), [gspaces.flipRot2dOnR2(3).regular_repr])
    with pytest.raises(ValueError, match="axis=0.0"):
        from_escnn_type(ft)


def _escnn_net(gs, planted: bool = False):
    t_in = enn.FieldType(gs, [gs.trivial_repr])
    t_mid = enn.FieldType(gs, [gs.regular_repr] * 2)
    layers = [enn.R2Conv(t_in, t_mid, 5, padding=2), enn.ReLU(t_mid), enn.R2Conv(t_mid, t_mid, 3, padding=1)]
    if planted:
        # a 1x1 convolution that escnn believes maps t_mid to t_mid, with a weight that is not equivariant
        conv = enn.R2Conv(t_mid, t_mid, 1)
        layers.append(conv)
    layers.append(enn.GroupPooling(t_mid))
    net = enn.SequentialModule(*layers)
    net.eval()
    return net


def test_escnn_network_checked_layer_by_layer():
    torch.manual_seed(0)
    gs = gspaces.rot2dOnR2(4)
    model = wrap_escnn(_escnn_net(gs))
    assert all(isinstance(m, EscnnLayer) for m in model)
    x = torch.randn(2, 1, 11, 11)
    # escnn samples its steerable bases in float32: its layers are equivariant to ~1e-7 relative error
    report = check_equivariance(model, x, atol=0, rtol=1e-5)
    assert [r.kind for r in report.rows[:4]] == ["EscnnLayer"] * 4
    assert report.passed, report.to_text()
    assert report.rows[1].max_abs_error < 1e-12  # the ReLU on regular fields is exact
    f32 = check_equivariance(model, x, dtype=torch.float32, atol=0, rtol=1e-5)
    assert f32.passed


def test_planted_layer_inside_an_escnn_network_is_found():
    torch.manual_seed(0)
    gs = gspaces.flipRot2dOnR2(4)
    net = _escnn_net(gs, planted=True)
    model = wrap_escnn(net)
    # overwrite the expanded 1x1 filter of the planted layer with a random (non-equivariant) matrix
    layer = model[3].module

    def forward(x, layer=layer):
        w = torch.randn(16, 16, 1, 1, generator=torch.Generator().manual_seed(1)).to(x.tensor)
        return enn.GeometricTensor(torch.nn.functional.conv2d(x.tensor, w), layer.out_type)

    layer.forward = forward
    report = check_equivariance(model, torch.randn(1, 1, 9, 9), atol=0, rtol=1e-5)
    assert [r.passed for r in report.rows[:5]] == [True, True, True, False, True]
    assert report.first_failure().layer == "3"


@pytest.mark.parametrize("kernel_size", [3, 5, 7])
@pytest.mark.parametrize("make, group", [GSPACES[0], GSPACES[2], GSPACES[4]])
def test_escnn_band_policy_gives_escnn_weight_counts(make, group, kernel_size):
    from groupconv.nn import SteerableConv2d

    gs = make()
    reps = [regular(group)] * 2 if group.is_finite else [irrep(group, k) for k in range(3)]
    ours = SteerableConv2d(
        FieldType(group, reps),
        FieldType(group, reps),
        kernel_size,
        bias=False,
        frequency_cutoff="escnn",
        warn=False,
    )
    theirs = enn.R2Conv(
        to_escnn_type(FieldType(group, reps), gs),
        to_escnn_type(FieldType(group, reps), gs),
        kernel_size,
        bias=False,
    )
    assert sum(p.numel() for p in ours.parameters()) == theirs.basisexpansion.dimension()
