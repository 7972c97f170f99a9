"""Equivariant convolutions: exact equivariance on the grid, interpolated equivariance for the other
groups, state dicts, caching, export, gradients, torch.compile, certificates, initialization, errors."""

from __future__ import annotations

import copy
import math

import pytest
import torch
from torch import nn

from groupconv.groups import O2, SO2, Cyclic, Dihedral
from groupconv.nn import (
    FieldType,
    FourierBesselConv2d,
    GroupConv2d,
    LiftingConv2d,
    SteerableConv2d,
    rotate_field,
)
from groupconv.reps import irrep, regular, trivial
from groupconv.testing import assert_torch_compile
from groupconv.verify.certify import certify

pytestmark = pytest.mark.filterwarnings("ignore:kernel basis")


def _mixed(G):
    return FieldType(G, [regular(G), irrep(G, 1, 1) if isinstance(G, Dihedral) else irrep(G, 1), trivial(G)])


def _layers(G):
    mixed = _mixed(G)
    reg2 = FieldType(G, [regular(G)] * 2)
    return {
        "lifting": LiftingConv2d(G, 2, 3, 5, padding=2),
        "group": GroupConv2d(G, 2, 2, 3, padding=1),
        "steerable-gaussian": SteerableConv2d(mixed, reg2, 5, padding=2),
        "steerable-bessel": SteerableConv2d(reg2, mixed, 5, padding=2, basis="bessel"),
        "steerable-exact": SteerableConv2d(mixed, mixed, 3, padding=1, basis="exact"),
    }


def _equivariance_error(layer, x, tin=None, tout=None):
    """``max_g |L(g x) - g L(x)|`` over every element, all elements in one batch."""
    tin = tin or layer.in_type
    tout = tout or layer.out_type
    n = tin.group.order
    with torch.no_grad():
        y = layer(x)
        gx = torch.cat([tin.transform(x, g) for g in range(n)])
        gy = torch.cat([tout.transform(y, g) for g in range(n)])
        err = (layer(gx) - gy).abs().max()
    return float(err), float(y.abs().max())


@pytest.mark.parametrize("G", [Cyclic(4), Dihedral(4)], ids=str)
def test_exact_equivariance_on_the_grid_float64_and_float32(G):
    torch.manual_seed(0)
    for name, layer in _layers(G).items():
        x = torch.randn(1, layer.in_type.size, 9, 9, dtype=torch.float64)
        err, scale = _equivariance_error(layer.double(), x)
        assert err <= 1e-10, (name, err)
        err, scale = _equivariance_error(layer.float(), x.float())
        assert err / scale <= 1e-5, (name, err / scale)


def test_stride_dilation_and_grouped_channels_stay_exact():
    G = Dihedral(4)
    ft = FieldType(G, [regular(G), irrep(G, 1, 1)] * 2)
    layers = [
        SteerableConv2d(ft, ft, 3, stride=2, padding=1, groups=2).double(),
        GroupConv2d(G, 2, 2, 3, dilation=2, padding=2).double(),
        LiftingConv2d(G, 1, 2, 3, stride=2, padding=1).double(),
    ]
    for layer in layers:
        x = torch.randn(1, layer.in_type.size, 13, 13, dtype=torch.float64)
        err, _ = _equivariance_error(layer, x)
        assert err <= 1e-10, (layer, err)
    w, _ = layers[0].expand_filter()
    assert w.shape == (ft.size, ft.size // 2, 3, 3)


def test_six_layer_network_is_exactly_equivariant():
    for G in [Cyclic(4), Dihedral(4)]:
        mixed = _mixed(G)
        reg = FieldType(G, [regular(G)] * 2)
        net = nn.Sequential(
            LiftingConv2d(G, 1, 2, 5, padding=2),
            nn.ReLU(),
            GroupConv2d(G, 2, 2, 3, padding=1),
            nn.ReLU(),
            SteerableConv2d(reg, mixed, 3, padding=1),
            SteerableConv2d(mixed, reg, 3, padding=1, basis="exact"),
            nn.ReLU(),
            GroupConv2d(G, 2, 2, 3, padding=1),
            SteerableConv2d(reg, mixed, 5, padding=2, basis="bessel"),
        ).double()
        x = torch.randn(2, 1, 15, 15, dtype=torch.float64)
        err, _ = _equivariance_error(net, x, net[0].in_type, net[-1].out_type)
        assert err <= 1e-10, (G, err)


# -- groups that do not permute the grid ------------------------------------------------------------------
def _smooth_field(ft, g, size=33, s=4.0, seed=0):
    """A sum of Gaussian blobs (std ``s`` pixels) per channel, evaluated exactly at ``g^{-1} x`` and
    acted on by ``rho(g)``: the exact transform of a band-limited field."""
    gen = torch.Generator().manual_seed(seed)
    centers = (torch.rand(ft.size, 4, 2, generator=gen, dtype=torch.float64) - 0.5) * size * 0.5
    amps = torch.randn(ft.size, 4, generator=gen, dtype=torch.float64)
    c = (size - 1) / 2
    i, j = torch.meshgrid(*(torch.arange(size, dtype=torch.float64),) * 2, indexing="ij")
    p = torch.stack([j - c, c - i], -1)
    q = p @ torch.linalg.inv(ft.group.action_matrix(g, dtype=torch.float64)).T
    d2 = ((q[None, None] - centers[:, :, None, None]) ** 2).sum(-1)
    f = (amps[:, :, None, None] * torch.exp(-d2 / (2 * s * s))).sum(1)
    return torch.einsum("cd,dhw->chw", ft.representation(g), f)[None]


def _disc(size, frac=0.35):
    c = (size - 1) / 2
    i, j = torch.meshgrid(torch.arange(size), torch.arange(size), indexing="ij")
    return ((i - c) ** 2 + (j - c) ** 2) <= (frac * size) ** 2


def _identity(G):
    return torch.tensor(0) if G.is_finite else G.identity(dtype=torch.float64)


def _continuous_cases():
    s, o, c8, d8 = SO2(), O2(), Cyclic(8), Dihedral(8)
    return [
        (
            "SO2",
            FieldType(s, [irrep(s, 0), irrep(s, 1)]),
            FieldType(s, [irrep(s, 0), irrep(s, 1), irrep(s, 2)]),
        ),
        (
            "O2",
            FieldType(o, [irrep(o, 0, 0), irrep(o, 1, 1)]),
            FieldType(o, [irrep(o, 1, 0), irrep(o, 1, 1), irrep(o, 1, 2)]),
        ),
        ("C8", FieldType(c8, [trivial(c8)]), FieldType(c8, [regular(c8)])),
        ("D8", FieldType(d8, [regular(d8)]), FieldType(d8, [regular(d8)])),
    ]


# Interpolated rotations: inputs are Gaussian blobs of std 4 px evaluated exactly on rotated coordinates;
# outputs are rotated by Keys-cubic interpolation and compared inside the inscribed disc. The measured
# relative errors are about 1e-3 (Gaussian rings) and 3e-3 to 3e-2 (Fourier-Bessel, whose radial parts
# are cut at the disc of radius k/2 and sampled anisotropically on the square grid).
TOL = {"gaussian": 5e-3, "bessel": 5e-2}


@pytest.mark.parametrize("case", _continuous_cases(), ids=lambda c: c[0])
@pytest.mark.parametrize("basis", ["gaussian", "bessel"])
def test_interpolated_equivariance_for_other_groups(case, basis):
    _, fin, fout = case
    G = fin.group
    torch.manual_seed(0)
    conv = SteerableConv2d(fin, fout, 5, padding=2, basis=basis).double()
    x = _smooth_field(fin, _identity(G))
    m = _disc(33)
    gs = G.elements()[1::2] if G.is_finite else G.sample(6, generator=torch.Generator().manual_seed(3))
    worst = 0.0
    with torch.no_grad():
        y = conv(x)
        for g in gs:
            err = (conv(_smooth_field(fin, g)) - rotate_field(y, fout, g))[..., m].abs().max()
            worst = max(worst, float(err / y[..., m].abs().max()))
    assert worst <= TOL[basis], worst


def test_lifting_and_group_conv_for_c8_and_d8_use_steerable_bases():
    for G in [Cyclic(8), Dihedral(8)]:
        net = nn.Sequential(LiftingConv2d(G, 1, 2, 5, padding=2), GroupConv2d(G, 2, 1, 5, padding=2)).double()
        assert net[0].basis_kind == "gaussian" and net[1].weight.dim() == 1
        x = _smooth_field(net[0].in_type, _identity(G))
        m = _disc(33)
        worst = 0.0
        with torch.no_grad():
            y = net(x)
            for g in G.elements()[1::3]:
                moved = net(_smooth_field(net[0].in_type, g)) - rotate_field(y, net[1].out_type, g)
                worst = max(worst, float(moved[..., m].abs().max() / y[..., m].abs().max()))
        assert worst <= 1e-2, (G, worst)


def test_rotate_field_accuracy_and_exact_quarter_turns():
    G = SO2()
    ft = FieldType(G, [irrep(G, 0), irrep(G, 1)])
    m = _disc(33)
    for s, tol in [(3.0, 2e-3), (6.0, 3e-4)]:
        x = _smooth_field(ft, _identity(G), s=s)
        for th in (0.3, 1.0, 2.5):
            g = torch.tensor(th, dtype=torch.float64)
            err = (rotate_field(x, ft, g) - _smooth_field(ft, g, s=s))[..., m].abs().max()
            assert err / x[..., m].abs().max() <= tol, (s, th)
    x = torch.randn(1, 3, 9, 9, dtype=torch.float64)
    q = rotate_field(x, ft, torch.tensor(math.pi / 2, dtype=torch.float64))
    rho = ft.representation(torch.tensor(math.pi / 2, dtype=torch.float64))
    expected = torch.einsum("cd,bdhw->bchw", rho, torch.rot90(x, 1, dims=(-2, -1)))
    assert (q - expected).abs().max() < 1e-12
    D = Dihedral(4)
    fd = FieldType(D, [regular(D)])
    xd = torch.randn(1, 8, 7, 7, dtype=torch.float64)
    for g in range(8):
        assert (rotate_field(xd, fd, g) - fd.transform(xd, g)).abs().max() < 1e-12


# -- module behaviour ---------------------------------------------------------------------------------------
def _all_layers():
    out = dict(_layers(Dihedral(4)))
    D8 = Dihedral(8)
    out["steerable-D8"] = SteerableConv2d(
        FieldType(D8, [regular(D8)]), FieldType(D8, [regular(D8)] * 2), 3, padding=1
    )
    out["lifting-C8"] = LiftingConv2d(Cyclic(8), 2, 2, 3, padding=1)
    s = SO2()
    out["steerable-SO2"] = SteerableConv2d(
        FieldType(s, [irrep(s, 0), irrep(s, 1)]),
        FieldType(s, [irrep(s, 1), irrep(s, 0)]),
        5,
        padding=2,
        bias=True,
    )
    out["fourier-bessel"] = FourierBesselConv2d(3, 4, 5, num_bases=8, padding=2, stride=2)
    return out


def _in_channels(layer):
    return layer.in_type.size if hasattr(layer, "in_type") else layer.in_channels


def test_state_dict_identical_in_train_and_eval_and_loads_into_a_fresh_module():
    for name, layer in _all_layers().items():
        layer.train()
        sd_train = copy.deepcopy(layer.state_dict())
        layer.eval()
        sd_eval = layer.state_dict()
        # the learned parameters, and the layer's description (group, types, kernel, basis)
        assert list(sd_train) == list(sd_eval) == [n for n, _ in layer.named_parameters()] + ["_extra_state"]
        assert sd_train["_extra_state"] == sd_eval["_extra_state"] == layer.get_extra_state()
        assert all(torch.equal(sd_train[k], sd_eval[k]) for k in sd_train if k != "_extra_state")
        fresh = copy.deepcopy(layer)
        for p in fresh.parameters():
            nn.init.normal_(p)
        fresh.load_state_dict(sd_train)
        x = torch.randn(2, _in_channels(layer), 9, 9)
        assert torch.equal(fresh(x), layer(x)), name


def test_export_matches():
    for name, layer in _all_layers().items():
        x = torch.randn(2, _in_channels(layer), 11, 11)
        conv = layer.export()
        assert type(conv) is nn.Conv2d
        torch.testing.assert_close(conv(x), layer(x), atol=1e-6, rtol=1e-5, msg=name)


def test_gradcheck():
    D = Dihedral(4)
    for layer in [
        LiftingConv2d(Cyclic(4), 1, 1, 3, padding=1),
        GroupConv2d(D, 1, 1, 3, padding=1),
        SteerableConv2d(
            FieldType(D, [irrep(D, 1, 1), trivial(D)]), FieldType(D, [irrep(D, 1, 1)]), 3, padding=1
        ),
        FourierBesselConv2d(1, 2, 3, padding=1),
    ]:
        layer = layer.double()
        x = torch.randn(1, _in_channels(layer), 5, 5, dtype=torch.float64, requires_grad=True)
        w = layer.weight.detach().clone().requires_grad_(True)

        def fn(x, w, layer=layer):
            return torch.func.functional_call(layer, {"weight": w}, (x,))

        assert torch.autograd.gradcheck(fn, (x, w), fast_mode=True)


def test_torch_compile():
    for name, layer in _all_layers().items():
        if name in ("steerable-bessel", "steerable-D8", "lifting-C8"):
            continue  # same code paths as steerable-gaussian and steerable-SO2
        x = torch.randn(2, _in_channels(layer), 9, 9)
        assert_torch_compile(layer, x)
    # a factorized expansion and a lifted one: the compiled layer expands with the same factors as the
    # eager one
    D8 = Dihedral(8)
    mixed = FieldType(D8, [regular(D8), irrep(D8, 1, 1)] * 2)
    layer = SteerableConv2d(mixed, mixed, 5, padding=2)
    assert layer._expansion.factor is not None
    assert_torch_compile(layer, torch.randn(2, mixed.size, 9, 9))
    reg = FieldType(D8, [regular(D8)] * 2)
    layer = SteerableConv2d(reg, reg, 5, padding=2)
    assert layer._expansion.lift is not None
    assert_torch_compile(layer, torch.randn(2, reg.size, 9, 9))


def test_certificates():
    D = Dihedral(4)
    reg = FieldType(D, [regular(D)] * 2)
    layers = {
        "lift": LiftingConv2d(D, 1, 2, 5),
        "group": GroupConv2d(D, 2, 2, 3),
        "steer": SteerableConv2d(reg, _mixed(D), 5),
        "exact": SteerableConv2d(_mixed(D), reg, 3, basis="exact"),
        "c8": GroupConv2d(Cyclic(8), 1, 1, 5),
        "so2": _all_layers()["steerable-SO2"],
    }
    report = certify(nn.ModuleDict(layers))
    assert all(r.status == "proved" for r in report.rows), report.to_text()
    broken = layers["steer"]
    broken.basis = broken.basis.clone()  # identical layers share the basis buffer
    broken.basis[0, 0, 0, 0, 0, 0] += 0.5
    if broken._expansion.factor is not None or broken._expansion.lift is not None:
        # the expansion reads factors derived from the basis: an edited basis no longer matches them
        status, reason = broken.certificate()
        assert status == "failed" and "edited after construction" in reason
        broken.double()  # derives the factors of the edited basis
    status, reason, res = broken.certificate()
    assert status == "failed" and res > 1e-3
    # a lifted basis (regular fields of C8): proved through the harmonic templates and the equal span; a
    # buffer moved out of that span fails
    assert "lifted" in report.rows[list(layers).index("c8")].reason
    lifted = GroupConv2d(Cyclic(8), 2, 2, 5)
    assert lifted.certificate()[0] == "proved"
    lifted.basis = lifted.basis.clone()
    with torch.no_grad():
        lifted.basis[0, 0, 0, 0, 1, 0] += 0.5
    status, reason = lifted.certificate()
    assert status == "failed" and "edited after construction" in reason
    lifted.double()  # the factors of the edited basis: none, the layer expands with the dense basis
    status, reason = lifted.certificate()
    assert status == "failed" and "leave the harmonic span" in reason


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
        GroupConv2d(Cyclic(4), 16, 16, 3, bias=False),
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
                h = LiftingConv2d(G, 1, 8, 5, padding=2)(x)
                first = float(h.pow(2).mean())
                for _ in range(5):
                    h = SteerableConv2d(reg, reg, 5, padding=2, bias=False)(torch.relu(h))
            logs.append(math.log(float(h.pow(2).mean()) / first))
        drift = math.exp(sum(logs) / len(logs))
        assert 1 / 40 < drift < 40, (G, drift)


def test_bias_only_on_trivial_irreps():
    D = Dihedral(4)
    no_trivial = SteerableConv2d(FieldType(D, [regular(D)]), FieldType(D, [irrep(D, 1, 1)] * 2), 3)
    assert no_trivial.bias is None
    layer = SteerableConv2d(FieldType(D, [regular(D)]), FieldType(D, [regular(D), irrep(D, 1, 1)]), 3)
    assert layer.bias.numel() == 1
    with torch.no_grad():
        layer.bias.fill_(1.0)
    b = layer.expand_filter()[1]
    assert torch.allclose(b[:8], b[:8].mean().expand(8)) and b[8:].abs().max() == 0


def test_fourier_bessel_conv():
    conv = FourierBesselConv2d(3, 8, 5, num_bases=6)
    s = conv.parameter_savings()
    assert s["plain"] == 8 * 3 * 25 and s["fourier_bessel"] == 8 * 3 * 6 and s["saved"] == 8 * 3 * 19
    w = conv.expand_filter()
    assert torch.allclose(w, torch.einsum("oik,khw->oihw", conv.weight, conv.basis.float()))
    assert FourierBesselConv2d(1, 1, 7).num_bases == 38


def test_bad_input_gives_clear_errors():
    D = Dihedral(4)
    layer = GroupConv2d(D, 2, 2, 3)
    with pytest.raises(ValueError, match=r"\(batch, 16, H, W\), got \(1, 15, 8, 8\)"):
        layer(torch.randn(1, 15, 8, 8))
    with pytest.raises(TypeError, match="dtype"):
        layer(torch.randn(1, 16, 8, 8, dtype=torch.float64))
    with pytest.raises(ValueError, match="empty kernel basis"):
        SteerableConv2d(FieldType(SO2(), [irrep(SO2(), 0)]), FieldType(SO2(), [irrep(SO2(), 4)]), 3)
    with pytest.raises(ValueError, match="same group"):
        SteerableConv2d(FieldType(D, [regular(D)]), FieldType(Cyclic(4), [regular(Cyclic(4))]), 3)
    with pytest.raises(ValueError, match="square"):
        LiftingConv2d(D, 1, 1, (3, 5))
    with pytest.raises(ValueError, match="odd"):
        SteerableConv2d(FieldType(D, [regular(D)]), FieldType(D, [regular(D)]), 4)
    with pytest.raises(ValueError, match="basis='exact' needs"):
        SteerableConv2d(
            FieldType(Cyclic(8), [regular(Cyclic(8))]),
            FieldType(Cyclic(8), [regular(Cyclic(8))]),
            3,
            basis="exact",
        )
    with pytest.raises(TypeError, match="C_n and D_n"):
        LiftingConv2d(SO2(), 1, 1, 3)
    with pytest.raises(ValueError, match="groups=2"):
        SteerableConv2d(FieldType(D, [regular(D)] * 3), FieldType(D, [regular(D)] * 2), 3, groups=2)
    with pytest.raises(ValueError, match="3, H, W"):
        FourierBesselConv2d(3, 2, 3)(torch.randn(1, 2, 5, 5))


@pytest.mark.cuda
def test_cuda_matches_cpu():
    for name, layer in _all_layers().items():
        x = torch.randn(2, _in_channels(layer), 11, 11)
        y = layer(x)
        layer_cuda = copy.deepcopy(layer).cuda()
        torch.testing.assert_close(layer_cuda(x.cuda()).cpu(), y, atol=1e-5, rtol=1e-4, msg=name)
        layer_cuda.eval()
        torch.testing.assert_close(layer_cuda(x.cuda()).cpu(), y, atol=1e-5, rtol=1e-4, msg=name)


def _dense_expansion(conv):
    """The expansion with the dense basis, for comparison with the factorized and lifted ones."""
    ex = conv._expansion
    (factor, lift), ex.factor, ex.lift = (ex.factor, ex.lift), None, None
    try:
        return conv.expand_filter()[0]
    finally:
        ex.factor, ex.lift = factor, lift


def _assert_dense_filter_and_gradient(conv):
    """The layer's filter and its gradient equal those of the dense expansion (float64 rounding)."""
    w = conv.expand_filter()[0]
    assert torch.allclose(w, _dense_expansion(conv), rtol=0, atol=1e-12 * float(w.detach().abs().max()))
    g = torch.randn_like(w)
    (grad,) = torch.autograd.grad((w * g).sum(), conv.weight)
    (grad_dense,) = torch.autograd.grad((_dense_expansion(conv) * g).sum(), conv.weight)
    assert torch.allclose(grad, grad_dense, rtol=0, atol=1e-12 * float(grad.abs().max()))


def _assert_expansion_reads_its_factor_buffers(conv, names):
    """The factors are buffers the expansion reads on every call (no cache between them and the filter):
    scaling the templates (or moved filters) scales the filter (call under no_grad)."""
    ref = conv.expand_filter()[0]
    assert getattr(conv, names[0]) is not None
    setattr(conv, names[0], 2 * getattr(conv, names[0]))
    assert torch.allclose(conv.expand_filter()[0], 2 * ref, rtol=0, atol=1e-12 * float(ref.abs().max()))
    setattr(conv, names[0], getattr(conv, names[0]) / 2)


def test_lifted_expansion_follows_the_dense_basis():
    """Regular fields of C_n / D_n expand through the moved pixel functions read from the ``basis`` buffer
    (one product and one gather): the same filter and gradients as the dense product, also with groups
    of channels, and a change of the buffer changes the expansion the same way."""
    for G, fields, groups in [(Cyclic(8), 4, 1), (Dihedral(8), 2, 1), (Cyclic(3), 4, 2), (Dihedral(5), 4, 2)]:
        reg = FieldType(G, [regular(G)] * fields)
        conv = SteerableConv2d(reg, reg, 5, padding=2, groups=groups).double()
        assert conv._expansion.lift is not None and conv._expansion.factor is None
        _assert_dense_filter_and_gradient(conv)
    with torch.no_grad():
        _assert_expansion_reads_its_factor_buffers(conv, ["lift_filters"])
        # the moved filters are derived from the basis as cast: a basis without the lifted pattern (an
        # entry the pattern keeps at zero) gives none, and the expansion is the dense product
        conv.basis = conv.basis.clone()  # identical layers share the basis buffer
        conv.basis[0, 0, 0, 0, 1, 0] += 0.5
        conv.float()
        assert conv.lift_filters is None
        assert torch.equal(conv.expand_filter()[0], _dense_expansion(conv))
    # the expansion's own gradients, first and second order
    C3 = Cyclic(3)
    small = SteerableConv2d(FieldType(C3, [regular(C3)] * 2), FieldType(C3, [regular(C3)]), 3).double()
    assert small._expansion.lift is not None
    x = torch.randn(1, 6, 5, 5, dtype=torch.float64)

    def layer_of(weight):
        return torch.nn.functional.conv2d(x, small._expansion.expand(small, weight))

    w0 = small.weight.detach().clone().requires_grad_()
    assert torch.autograd.gradcheck(layer_of, (w0,))
    assert torch.autograd.gradgradcheck(layer_of, (w0,))
    # float32
    reg = FieldType(Dihedral(8), [regular(Dihedral(8))] * 4)
    conv = SteerableConv2d(reg, reg, 5)
    w = conv.expand_filter()[0]
    assert conv.lift_filters is not None and conv.lift_filters.dtype == torch.float32
    assert float((w - _dense_expansion(conv)).detach().abs().max() / w.detach().abs().max()) < 1e-6


def test_factorized_expansion_follows_the_dense_basis():
    """Layers with large bases expand through templates times pixel functions derived from the ``basis``
    buffer (at construction and on every cast): the same filter and gradients as the dense product."""
    D8 = Dihedral(8)
    mixed = FieldType(D8, [regular(D8)] * 3 + [irrep(D8, 1, 1), irrep(D8, 0, 0)] * 2)
    pairs = FieldType(D8, [regular(D8), irrep(D8, 1, 1)] * 4)
    for t_in, t_out, groups in [
        (FieldType(D8, [regular(D8)] * 4), mixed, 1),
        (mixed, FieldType(D8, [regular(D8)] * 4), 1),
        (pairs, pairs, 2),
    ]:
        default = torch.get_default_dtype()
        torch.set_default_dtype(torch.float64)  # a float64 basis, factorized in float64
        try:
            conv = SteerableConv2d(t_in, t_out, 5, padding=2, groups=groups)
        finally:
            torch.set_default_dtype(default)
        assert conv._expansion.factor is not None and conv.factor_templates is not None
        _assert_dense_filter_and_gradient(conv)
    with torch.no_grad():
        _assert_expansion_reads_its_factor_buffers(conv, ["factor_templates"])
        # a perturbed basis: a cast derives the factors (or none) from the perturbed values, and the
        # expansion is the dense product of the perturbed basis
        conv.basis = conv.basis.clone()
        conv.basis[0, 0, 0, 0, 0, 0] += 0.5
        conv.float()
        w = conv.expand_filter()[0]
        assert torch.allclose(w, _dense_expansion(conv), rtol=0, atol=1e-6 * float(w.abs().max()))
    # float32 layers agree with the dense product to float32 rounding
    conv = SteerableConv2d(mixed, FieldType(D8, [regular(D8)] * 4), 5)
    w = conv.expand_filter()[0]
    assert conv.factor_templates is not None
    assert float((w - _dense_expansion(conv)).detach().abs().max() / w.detach().abs().max()) < 1e-5


@pytest.mark.filterwarnings("ignore:kernel basis")
def test_1x1_layer_whose_only_blocks_are_one_dimensional():
    """From trivial fields a 1x1 kernel only reaches the one-dimensional irreps of the output (frequency
    0): the two-dimensional irrep slots, all of whose blocks are empty, still get their (zero) rows."""
    for G, triv, two in [
        (Dihedral(4), irrep(Dihedral(4), 0, 0), irrep(Dihedral(4), 1, 1)),
        (Cyclic(8), irrep(Cyclic(8), 0), irrep(Cyclic(8), 1)),
        (SO2(), irrep(SO2(), 0), irrep(SO2(), 2)),
    ]:
        t_in = FieldType(G, [triv] * 2)
        t_out = FieldType(G, [regular(G), two] if G.is_finite else [triv, two])
        conv = SteerableConv2d(t_in, t_out, 1)
        x = torch.randn(2, 2, 6, 6)
        y = conv(x)
        assert y.shape == (2, t_out.size, 6, 6)
        assert float(y[:, t_out.field_slices()[1]].abs().max()) == 0.0
        assert float(y[:, t_out.field_slices()[0]].abs().max()) > 0.0
        # a 1x1 kernel from invariant inputs is a constant on each field's trivial subspace
        if G.is_finite:
            reg = y[:, : G.order]
            assert torch.allclose(reg, reg[:, :1].expand_as(reg), atol=1e-6)
