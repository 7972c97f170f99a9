"""Initialization (groupconv.nn.init): generalized He initialization of the convolutions from the
statistics of their expansion plans, and the data-driven calibration of built models (lsuv_init_)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch import nn

from groupconv.groups import SO2, Cyclic, Dihedral
from groupconv.nn import (
    FieldBatchNorm,
    FieldType,
    FourierBesselConv2d,
    GroupConv2d,
    LiftingConv2d,
    ReLU,
    SteerableConv2d,
    lsuv_init_,
)
from groupconv.nn.init import he_std, parameter_fields, row_energy, trivial_columns
from groupconv.reps import irrep, regular, trivial

pytestmark = pytest.mark.filterwarnings("ignore:kernel basis")


def test_generalized_he_init_keeps_the_variance():
    """He's setting: ``y = conv(relu(h))`` keeps ``E[y^2] = E[h^2]`` (gain 2) for fields with a trivial irrep
    (the rectified input's mean lies there); fields without one take zero-mean inputs, ``E[y^2] = 2
    E[x^2]``. The expectation is over the weights: the response to the input mean is one Gaussian sum per
    output field, so a single draw of a few fields scatters by tens of percent; the test averages 24."""
    torch.manual_seed(0)
    D, C = Dihedral(8), Cyclic(8)
    for layer in [
        SteerableConv2d(FieldType(D, [regular(D)] * 8), FieldType(D, [regular(D)] * 8), 5, bias=False),
        SteerableConv2d(FieldType(C, [regular(C)] * 8), FieldType(C, [regular(C)] * 8), 5, bias=False),
        SteerableConv2d(FieldType(D, [trivial(D)] * 16), FieldType(D, [regular(D)] * 4), 5, bias=False),
        GroupConv2d.from_channels(Cyclic(4), 16, 16, 3, bias=False),
    ]:
        h = torch.randn(4, layer.in_type.size, 20, 20)
        ratios = []
        with torch.no_grad():
            for _ in range(24):
                layer.reset_parameters()
                ratios.append(float(layer(torch.relu(h)).pow(2).mean() / h.pow(2).mean()))
        assert 0.75 < sum(ratios) / len(ratios) < 1.33, (layer, ratios)
    layer = SteerableConv2d(
        FieldType(SO2(), [irrep(SO2(), 1)] * 16), FieldType(SO2(), [irrep(SO2(), 1)] * 16), 5
    )
    x = torch.randn(8, layer.in_type.size, 24, 24)
    with torch.no_grad():
        ratio = float(layer(x).pow(2).mean() / x.pow(2).mean())
    assert 1.5 < ratio < 2.5, ratio


def test_generalized_he_init_in_a_deep_relu_network():
    """The response of the filters to the rectified inputs' mean is part of the variance. Over five
    steerable layers of 8 regular fields on a lifting layer, the second moment drifts by a factor whose
    geometric mean over four draws was 360x or more with the mean left out and 3-11x with it; single draws
    vary by 10x either way (each output field's response to the mean is one Gaussian sum)."""
    for G in [Dihedral(8), Cyclic(8)]:
        reg = FieldType(G, [regular(G)] * 8)
        logs = []
        for seed in range(4):
            torch.manual_seed(seed)
            x = torch.randn(2, 1, 25, 25)
            with torch.no_grad():
                h = LiftingConv2d.from_channels(G, 1, 8, 5, padding=2)(x)
                first = float(h.pow(2).mean())
                for _ in range(5):
                    h = SteerableConv2d(reg, reg, 5, padding=2, bias=False)(torch.relu(h))
            logs.append(math.log(float(h.pow(2).mean()) / first))
        drift = math.exp(sum(logs) / len(logs))
        assert 1 / 40 < drift < 40, (G, drift)


def test_he_statistics_of_a_plan():
    """``parameter_fields`` names the output field each weight reaches (the filter of a weight vector
    supported on one field's weights is zero outside that field's rows), ``he_std`` is one standard
    deviation per field, ``row_energy`` is cumulated over the basis elements and cached per plan, and
    ``trivial_columns`` are the trivial-irrep columns of a change of basis."""
    D4 = Dihedral(4)
    out = FieldType(D4, [regular(D4), irrep(D4, 1, 1), trivial(D4)])
    layer = SteerableConv2d(FieldType(D4, [regular(D4), irrep(D4, 1, 1)]), out, 3, bias=False)
    plan = layer.expansion_plan
    fields = parameter_fields(plan)
    assert fields.shape == (plan.num_params,) and set(fields.tolist()) == {0, 1, 2}
    slices = out.field_slices()
    for f in range(3):
        with torch.no_grad():
            layer.weight.copy_(torch.as_tensor(fields == f, dtype=layer.weight.dtype))
            w = layer.expand_filter()[0]
        inside = torch.zeros(out.size, dtype=torch.bool)
        inside[slices[f]] = True
        assert float(w[~inside].abs().max()) == 0.0 and float(w[inside].abs().max()) > 0.0
    std = he_std(plan, 2.0)
    assert std.shape == (plan.num_params,) and (std > 0).all()
    assert all(len(set(std[fields == f].tolist())) == 1 for f in range(3))
    assert np.allclose(he_std(plan, 1.0), std / np.sqrt(2.0))
    energy = row_energy(plan)
    assert energy.shape == plan.basis.shape[:3] and (np.diff(energy, axis=-1) >= 0).all()
    assert row_energy(plan) is energy
    assert trivial_columns(regular(D4)).shape == (8, 1) and trivial_columns(irrep(D4, 1, 1)).shape == (2, 0)


def _outputs(model, x, layers):
    """Output of each layer of ``layers`` on ``x``."""
    out = {}
    handles = [m.register_forward_hook(lambda m, i, o: out.setdefault(m, o)) for m in layers]
    try:
        with torch.no_grad():
            model(x)
    finally:
        for h in handles:
            h.remove()
    return [out[m] for m in layers]


def _steerable_stack(G, fields=4, depth=4, bias=False):
    reg = FieldType(G, [regular(G)] * fields)
    layers = [LiftingConv2d.from_channels(G, 1, fields, 5, padding=2)]
    for _ in range(depth):
        layers += [ReLU(reg), SteerableConv2d(reg, reg, 5, padding=2, bias=bias)]
    return nn.Sequential(*layers)


def test_every_layer_reaches_the_target_on_the_calibration_batch():
    torch.manual_seed(0)
    model = _steerable_stack(Dihedral(8))
    x = torch.randn(4, 1, 24, 24)
    report = lsuv_init_(model, x, target=2.0, tol=1e-3)
    convs = [m for m in model if not isinstance(m, ReLU)]
    assert list(report) == ["0", "2", "4", "6", "8"]
    for y in _outputs(model, x, convs):
        assert float(y.double().pow(2).mean()) == pytest.approx(2.0, rel=1e-3)
    # without biases one rescaling is exact
    assert all(r["iterations"] == 1 for r in report.values())
    assert all(r["scale"] > 0 for r in report.values())


def test_calibrated_deep_network_keeps_the_second_moment_on_new_data():
    """Five steerable layers of 8 regular fields on a lifting layer: the closed-form rule drifts by a
    factor that varies from draw to draw (1.2x to 180x over six draws of D_8), the calibrated network
    stays within a few percent of the target on a batch it was not calibrated on."""
    for G in [Dihedral(8), Cyclic(8)]:
        ratios = []
        for seed in range(3):
            torch.manual_seed(seed)
            model = _steerable_stack(G, fields=8, depth=5)
            lsuv_init_(model, torch.randn(4, 1, 33, 33))
            with torch.no_grad():
                y = model(torch.randn(4, 1, 33, 33))
            ratios.append(float(y.pow(2).mean()))
        assert all(0.6 < r < 1.6 for r in ratios), (G, ratios)
        assert abs(math.log(math.prod(ratios)) / len(ratios)) < math.log(1.3), (G, ratios)


def test_calibration_keeps_the_model_exactly_equivariant():
    torch.manual_seed(1)
    G = Dihedral(4)
    model = _steerable_stack(G, fields=2, depth=2).double()
    x = torch.randn(2, 1, 17, 17, dtype=torch.float64)
    lsuv_init_(model, x, per_field=True)
    t_in = FieldType(G, [irrep(G, 0, 0)])
    t_out = FieldType(G, [regular(G)] * 2)
    with torch.no_grad():
        y = model(x)
        for g in range(G.order):
            err = (model(t_in.transform(x, g)) - t_out.transform(y, g)).abs().max()
            assert float(err) < 1e-10


def test_per_field_calibration_sets_every_output_field():
    torch.manual_seed(2)
    G = Dihedral(4)
    t_in = FieldType(G, [regular(G), irrep(G, 1, 1)])
    t_out = FieldType(
        G, [irrep(G, 1, 1), regular(G), irrep(G, 0, 0), irrep(G, 1, 1), regular(G), irrep(G, 0, 0)]
    )
    conv = SteerableConv2d(t_in + t_in, t_out, 5, padding=2, groups=2)
    model = nn.Sequential(conv)
    x = torch.randn(3, conv.in_type.size, 16, 16)
    report = lsuv_init_(model, x, per_field=True, tol=1e-4)
    (y,) = _outputs(model, x, [conv])
    for sl in t_out.field_slices():
        assert float(y[:, sl].double().pow(2).mean()) == pytest.approx(1.0, rel=1e-4)
    assert len(report["0"]["scale"]) == len(t_out)
    # one scale per layer leaves the fields unequal
    torch.manual_seed(2)
    conv.reset_parameters()
    lsuv_init_(model, x, per_field=False)
    (y,) = _outputs(model, x, [conv])
    per = [float(y[:, sl].pow(2).mean()) for sl in t_out.field_slices()]
    assert max(per) / min(per) > 1.5


def test_a_field_no_weight_reaches_keeps_scale_one():
    torch.manual_seed(7)
    G = Dihedral(4)
    t_out = FieldType(G, [regular(G), irrep(G, 1, 1), regular(G)])
    conv = SteerableConv2d(FieldType(G, [irrep(G, 0, 0)] * 2), t_out, 1)
    x = torch.randn(2, 2, 8, 8)
    report = lsuv_init_(conv, x, per_field=True, tol=1e-4)
    assert report["SteerableConv2d"]["scale"][1] == 1.0
    assert report["SteerableConv2d"]["second_moment"][1] == 0.0
    with torch.no_grad():
        y = conv(x)
    m2 = [float(y[:, sl].double().pow(2).mean()) for sl in t_out.field_slices()]
    assert m2[1] == 0.0
    assert m2[0] == pytest.approx(1.0, rel=1e-4) and m2[2] == pytest.approx(1.0, rel=1e-4)


def test_index_map_fourier_bessel_and_plain_torch_layers():
    torch.manual_seed(3)
    G = Cyclic(4)
    model = nn.Sequential(
        LiftingConv2d.from_channels(G, 3, 4, 3, padding=1),
        nn.ReLU(),
        GroupConv2d.from_channels(G, 4, 2, 3, padding=1),
        nn.ReLU(),
        FourierBesselConv2d(8, 6, 5, num_bases=8, padding=2),
        nn.ReLU(),
        nn.Conv2d(6, 5, 3, padding=1),
        nn.Flatten(),
        nn.Linear(5 * 10 * 10, 7),
    )
    x = torch.randn(6, 3, 10, 10)
    for per_field in (False, True):
        report = lsuv_init_(model, x, per_field=per_field, tol=1e-3)
        assert list(report) == ["0", "2", "4", "6", "8"]
        outs = _outputs(model, x, [model[i] for i in (0, 2, 4, 6, 8)])
        for layer, y in zip([model[i] for i in (0, 2, 4, 6, 8)], outs):
            if per_field:
                fields = (
                    layer.out_type.field_slices() if hasattr(layer, "out_type") else list(range(y.shape[1]))
                )
                for sl in fields:
                    assert float(y[:, sl].double().pow(2).mean()) == pytest.approx(1.0, rel=2e-3)
            else:
                assert float(y.double().pow(2).mean()) == pytest.approx(1.0, rel=1e-3)


def test_linear_layers_calibrate_their_last_axis_per_feature():
    torch.manual_seed(8)
    lin = nn.Linear(6, 4)
    x = torch.randn(5, 3, 6)
    lsuv_init_(lin, x, per_field=True, tol=1e-4)
    with torch.no_grad():
        y = lin(x)
    for j in range(4):
        assert float(y[..., j].double().pow(2).mean()) == pytest.approx(1.0, rel=1e-3)


def test_a_bias_takes_several_rescalings_and_is_left_as_it_is():
    torch.manual_seed(4)
    conv = nn.Conv2d(3, 4, 3)
    with torch.no_grad():
        conv.bias.fill_(0.5)
    report = lsuv_init_(conv, torch.randn(8, 3, 12, 12), tol=1e-4)
    assert report["Conv2d"]["iterations"] > 1
    assert torch.equal(conv.bias, torch.full((4,), 0.5))
    with torch.no_grad():
        assert float(conv(torch.randn(8, 3, 12, 12)).pow(2).mean()) == pytest.approx(1.0, rel=0.1)


def test_mode_and_running_statistics_are_kept():
    torch.manual_seed(5)
    G = Dihedral(4)
    reg = FieldType(G, [regular(G)] * 2)
    model = nn.Sequential(LiftingConv2d.from_channels(G, 1, 2, 3, padding=1), FieldBatchNorm(reg), ReLU(reg))
    model.append(SteerableConv2d(reg, reg, 3, padding=1))
    before = {k: v.clone() for k, v in model.state_dict().items() if "running" in k or "num_batches" in k}
    model.train()
    lsuv_init_(model, torch.randn(4, 1, 9, 9))
    assert model.training
    for k, v in before.items():
        assert torch.equal(model.state_dict()[k], v), k
    model.eval()
    lsuv_init_(model, torch.randn(4, 1, 9, 9))
    assert not model.training


def test_bad_input():
    conv = nn.Conv2d(2, 3, 3)
    x = torch.randn(2, 2, 8, 8)
    with pytest.raises(TypeError, match="torch.nn.Module"):
        lsuv_init_(lambda t: t, x)
    with pytest.raises(TypeError, match="tensor"):
        lsuv_init_(conv, "x")
    with pytest.raises(ValueError, match="target"):
        lsuv_init_(conv, x, target=0.0)
    with pytest.raises(ValueError, match="no convolution"):
        lsuv_init_(nn.ReLU(), x)
    with pytest.raises(ValueError, match="not a submodule"):
        lsuv_init_(conv, x, layers=[nn.Conv2d(2, 3, 3)])
    with pytest.raises(TypeError, match="no weight"):
        model = nn.Sequential(conv, nn.ReLU())
        lsuv_init_(model, x, layers=[model[1]])
    unused = nn.ModuleDict({"used": nn.Conv2d(2, 3, 3), "unused": nn.Conv2d(3, 3, 3)})

    class Partial(nn.Module):
        def __init__(self):
            super().__init__()
            self.m = unused

        def forward(self, t):
            return self.m["used"](t)

    with pytest.raises(ValueError, match="does not reach"):
        lsuv_init_(Partial(), x)
    with pytest.raises(ValueError, match="second moment"):
        lsuv_init_(nn.Conv2d(2, 3, 3, bias=False), torch.zeros(2, 2, 8, 8))


@pytest.mark.cuda
def test_lsuv_on_cuda():
    if not torch.cuda.is_available():
        pytest.skip("no CUDA device")
    torch.manual_seed(6)
    model = _steerable_stack(Dihedral(8), fields=2, depth=2).cuda()
    x = torch.randn(2, 1, 16, 16, device="cuda")
    lsuv_init_(model, x, per_field=True, tol=1e-3)
    with torch.no_grad():
        assert float(model(x).double().pow(2).mean()) == pytest.approx(1.0, rel=0.05)
