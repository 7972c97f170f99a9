"""Nonlinearities, pooling, batch norm, export and EquivariantSequential: exact equivariance on the pixel
grid (C_4, D_4), fiber equivariance for SO(2) / O(2), state dicts, export, gradients, torch.compile,
CUDA and bad input."""

from __future__ import annotations

import copy

import pytest
import torch
from torch import nn

from groupconv.groups import O2, SO2, Cyclic, Dihedral
from groupconv.nn import (
    ELU,
    AvgPool2d,
    BlurPool2d,
    EquivariantSequential,
    FieldBatchNorm,
    FieldType,
    GatedNonlinearity,
    GlobalPool2d,
    GroupPooling,
    MaxPool2d,
    ModulusNonlinearity,
    NormNonlinearity,
    NormPooling,
    PointwiseNonlinearity,
    ReLU,
    binomial_filter,
    export,
)
from groupconv.reps import Representation, irrep, regular, trivial
from groupconv.testing import assert_torch_compile
from groupconv.verify.energy import check_energy
from groupconv.verify.equivariance import check_equivariance, elements_to_try

GROUPS = {"C4": Cyclic(4), "D4": Dihedral(4)}


def mixed_type(G) -> FieldType:
    """Regular, trivial and non-permutation fields of several dimensions, interleaved."""
    if isinstance(G, Cyclic):
        others = [irrep(G, 1), irrep(G, 2)]
    else:
        others = [irrep(G, 1, 1), irrep(G, 1, 0)]
    return FieldType(G, [regular(G), others[0], trivial(G), regular(G), others[1], others[0]])


def perm_type(G) -> FieldType:
    return FieldType(G, [regular(G), trivial(G), regular(G)])


def _with_bias(m):
    with torch.no_grad():
        for p in m.parameters():
            p.uniform_(-0.6, 0.6)
    return m


LAYERS = {
    "relu": lambda G: ReLU(perm_type(G)),
    "elu": lambda G: ELU(perm_type(G)),
    "pointwise_callable": lambda G: PointwiseNonlinearity(perm_type(G), torch.tanh),
    "norm_relu": lambda G: _with_bias(NormNonlinearity(mixed_type(G))),
    "norm_squash": lambda G: NormNonlinearity(mixed_type(G), "squash"),
    "norm_sigmoid": lambda G: _with_bias(NormNonlinearity(mixed_type(G), "sigmoid")),
    "gated": lambda G: GatedNonlinearity(mixed_type(G)),
    "modulus": lambda G: ModulusNonlinearity(mixed_type(G)),
    "batchnorm": lambda G: _with_bias(FieldBatchNorm(mixed_type(G))),
    "blurpool": lambda G: BlurPool2d(mixed_type(G)),
    "avgpool": lambda G: AvgPool2d(mixed_type(G), 3, 2),
    "avgpool_plain": lambda G: AvgPool2d(mixed_type(G), 3, 2, antialias=False),
    "maxpool": lambda G: MaxPool2d(perm_type(G)),
    "maxpool_plain": lambda G: MaxPool2d(perm_type(G), 3, 2, antialias=False),
    "globalpool_avg": lambda G: GlobalPool2d(mixed_type(G)),
    "globalpool_max": lambda G: GlobalPool2d(perm_type(G), "max"),
    "grouppool_max": lambda G: GroupPooling(perm_type(G)),
    "grouppool_mean": lambda G: GroupPooling(perm_type(G), "mean"),
    "normpool": lambda G: NormPooling(mixed_type(G)),
    "normpool_max": lambda G: NormPooling(mixed_type(G), "max", 3, 2),
    "normpool_avg": lambda G: NormPooling(mixed_type(G), "avg", 3, 2),
    "normpool_global": lambda G: NormPooling(mixed_type(G), "max"),
}


def _input(module, size=9, batch=2, dtype=torch.float64, seed=0):
    gen = torch.Generator().manual_seed(seed)
    return torch.randn(batch, module.in_type.size, size, size, generator=gen, dtype=torch.float64).to(dtype)


@torch.no_grad()
def _max_error(module, x, G):
    y = module(x)
    worst = 0.0
    for g in range(G.order):
        err = (module(module.in_type.transform(x, g)) - module.out_type.transform(y, g)).abs().max()
        worst = max(worst, float(err))
    return worst, float(y.abs().max())


@pytest.mark.parametrize("group", sorted(GROUPS))
@pytest.mark.parametrize("name", sorted(LAYERS))
def test_exact_grid_equivariance_every_element(name, group):
    G = GROUPS[group]
    torch.manual_seed(0)
    module = LAYERS[name](G)
    for train in (True, False):
        module.train(train)
        m64 = module.double()
        err, scale = _max_error(m64, _input(m64), G)
        assert err <= 1e-10, (name, group, train, err)
        m32 = module.float()
        err32, scale32 = _max_error(m32, _input(m32, dtype=torch.float32), G)
        assert err32 <= 1e-5 * scale32, (name, group, train, err32 / scale32)


def _fiber_types(group):
    if isinstance(group, SO2):
        reps = [trivial(group), irrep(group, 1), irrep(group, 2), trivial(group), irrep(group, 3)]
    else:
        reps = [trivial(group), irrep(group, 1, 0), irrep(group, 1, 1), irrep(group, 1, 2), trivial(group)]
    return FieldType(group, reps)


FIBER_LAYERS = {
    "norm_relu": lambda t: _with_bias(NormNonlinearity(t)),
    "norm_squash": lambda t: NormNonlinearity(t, "squash"),
    "gated": lambda t: GatedNonlinearity(t),
    "modulus": lambda t: ModulusNonlinearity(t),
    "normpool_avg": lambda t: NormPooling(t, "avg", 3, 2),
    "batchnorm": lambda t: _with_bias(FieldBatchNorm(t)),
    "blurpool": lambda t: BlurPool2d(t),
    "globalpool": lambda t: GlobalPool2d(t),
    "relu_trivial": lambda t: ReLU(FieldType(t.group, [trivial(t.group)] * 3)),
}


def _fiber_matrices(ftype: FieldType, elements: torch.Tensor) -> torch.Tensor:
    """``rho(g)`` for every element at once, ``(n, C, C)`` in float64."""
    return ftype.representation(elements, dtype=torch.float64)


@pytest.mark.parametrize("group", ["SO2", "O2"])
@pytest.mark.parametrize("name", sorted(FIBER_LAYERS))
def test_fiber_equivariance_continuous_groups(name, group):
    """Layers acting pixel by pixel commute with every rotation (and reflection) of the fibers."""
    G = SO2() if group == "SO2" else O2()
    module = FIBER_LAYERS[name](_fiber_types(G))
    elements = torch.stack(elements_to_try(G, n_samples=20))
    rin, rout = _fiber_matrices(module.in_type, elements), _fiber_matrices(module.out_type, elements)
    for train in (True, False):
        module.train(train)
        for dtype, tol in ((torch.float64, 1e-10), (torch.float32, 1e-5)):
            m = module.to(dtype)
            x = _input(m, size=5, batch=2, dtype=dtype)
            with torch.no_grad():
                y = m(x)
                scale = 1.0 if dtype == torch.float64 else float(y.abs().max())
                gx = torch.einsum("ncd,bdhw->nbchw", rin.to(dtype), x)
                gy = torch.einsum("ncd,bdhw->nbchw", rout.to(dtype), y)
                err = max(float((m(gx[i]) - gy[i]).abs().max()) for i in range(len(elements)))
            assert err <= tol * scale, (name, group, dtype, err)


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_state_dict_same_in_train_and_eval_and_loads_into_fresh_module(name):
    G = GROUPS["D4"]
    torch.manual_seed(1)
    module = LAYERS[name](G).double().train()
    x = _input(module)
    module(x)
    train_sd = copy.deepcopy(module.state_dict())
    module.eval()
    eval_sd = module.state_dict()
    assert list(train_sd) == list(eval_sd)
    for k in train_sd:
        if k.endswith("_extra_state"):
            assert train_sd[k] == eval_sd[k], k
        else:
            assert torch.equal(train_sd[k], eval_sd[k]), k
    fresh = LAYERS[name](G).double()
    fresh.load_state_dict(eval_sd)
    fresh.eval()
    torch.testing.assert_close(fresh(x), module(x), atol=0, rtol=0)
    assert set(fresh.state_dict()) == set(k for k, _ in module.named_parameters()) | {
        k for k, _ in module.named_buffers() if k.split(".")[-1] in ("running_mean", "running_var")
    } | {k for k in eval_sd if k.endswith(("num_batches_tracked", "_extra_state"))}


def _no_groupconv_objects(module: nn.Module) -> bool:
    for sub in module.modules():
        for value in vars(sub).values():
            if isinstance(value, (FieldType, Representation)):
                return False
    return True


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_export_matches(name):
    G = GROUPS["D4"]
    torch.manual_seed(2)
    module = LAYERS[name](G).double().train()
    x = _input(module)
    module(x)
    module.eval()
    plain = export(module)
    assert _no_groupconv_objects(plain)
    assert not hasattr(plain, "in_type")
    torch.testing.assert_close(plain(x), module(x), atol=1e-13, rtol=1e-12)
    plain32, module32 = export(module.float()), module.float()
    x32 = x.float()
    torch.testing.assert_close(plain32(x32), module32(x32), atol=1e-6, rtol=1e-5)


def test_export_flattens_nested_sequentials_and_passes_plain_modules_through():
    G = GROUPS["D4"]
    t = perm_type(G)
    inner = nn.Sequential(FieldBatchNorm(t), ReLU(t))
    net = nn.Sequential(inner, nn.Sequential(MaxPool2d(t), GroupPooling(t)), nn.Flatten(), nn.Identity())
    net = _with_bias(net).double()
    x = _input(inner[0], size=9)
    net.train()(x)
    net.eval()
    plain = export(net)
    assert isinstance(plain, nn.Sequential)
    assert not any(isinstance(m, nn.Sequential) for m in plain.children())
    kinds = [type(m) for m in plain]
    assert kinds[:3] == [nn.Conv2d, nn.ReLU, nn.MaxPool2d] and nn.Flatten in kinds
    torch.testing.assert_close(plain(x), net(x), atol=1e-13, rtol=1e-12)

    class Custom(nn.Module):
        def __init__(self):
            super().__init__()
            self.body = inner
            self.head = nn.Linear(3, 2).double()

        def forward(self, u):
            return self.head(self.body(u).mean((-2, -1))[:, :3])

    custom = Custom().eval()
    plain = export(custom)
    assert isinstance(plain, Custom) and isinstance(plain.body, nn.Sequential)
    assert _no_groupconv_objects(plain.body)
    torch.testing.assert_close(plain(x), custom(x), atol=1e-13, rtol=1e-12)
    lin = nn.Linear(2, 2)
    assert torch.equal(export(lin).weight, lin.weight)


@pytest.mark.parametrize(
    "name",
    ["norm_relu", "norm_squash", "gated", "modulus", "batchnorm", "avgpool", "maxpool", "grouppool_max"]
    + ["normpool_max", "relu"],
)
def test_gradcheck(name):
    torch.manual_seed(3)
    module = LAYERS[name](GROUPS["C4"]).double().train()
    x = _input(module, size=5, batch=2).requires_grad_(True)
    assert torch.autograd.gradcheck(module, (x,), eps=1e-6, atol=1e-5, fast_mode=True)
    names = [n for n, p in module.named_parameters() if p.requires_grad]
    if names:

        def f(*ps):
            return torch.func.functional_call(module, dict(zip(names, ps)), (x.detach(),))

        values = tuple(module.get_parameter(n).detach().clone().requires_grad_(True) for n in names)
        assert torch.autograd.gradcheck(f, values, eps=1e-6, atol=1e-5, fast_mode=True)


def chain(G) -> EquivariantSequential:
    """Every layer family in one type-checked chain."""
    t = mixed_type(G)
    gated = GatedNonlinearity(t)
    mod = ModulusNonlinearity(t)
    scal = mod.out_type
    return EquivariantSequential(
        gated,
        FieldBatchNorm(t),
        NormNonlinearity(t, bias_init=-0.1),
        AvgPool2d(t),
        BlurPool2d(t),
        mod,
        ReLU(scal),
        MaxPool2d(scal),
        GroupPooling(scal, "mean"),
        NormPooling(scal),
        GlobalPool2d(scal, "max"),
    )


def test_equivariant_sequential_check_equivariance_and_energy():
    G = GROUPS["D4"]
    net = _with_bias(chain(G)).double()
    x = _input(net[0], size=9, batch=2)
    net.train()(x)
    report = check_equivariance(net, x)
    assert report.passed, report.to_text()
    assert len(report.rows) == len(net) + 1 and report.rows[-1].layer == "(model)"
    assert max(r.max_abs_error for r in report.rows) <= 1e-10
    energy = check_energy(net.eval(), x)
    rows = {r.layer: r for r in energy.rows}
    assert energy.passed, energy.to_text()
    assert rows["5"].lower_bound == rows["5"].upper_bound == 1.0
    assert abs(rows["5"].ratio - 1.0) < 1e-12
    assert rows["6"].upper_bound == 1.0 and rows["6"].ratio <= 1.0
    plain = export(net.eval())
    torch.testing.assert_close(plain(x), net(x), atol=1e-13, rtol=1e-12)


def test_torch_compile():
    """One compiled chain in training mode (batch statistics and running-stat updates inside)."""
    G = GROUPS["D4"]
    net = _with_bias(chain(G)).train()
    assert_torch_compile(net, _input(net[0], size=9, batch=2, dtype=torch.float32))


@pytest.mark.parametrize("momentum", [0.3, None])
def test_batchnorm_matches_torch_on_trivial_fields_and_normalises_regular_fields(momentum):
    G = GROUPS["D4"]
    t = FieldType(G, [trivial(G)] * 3)
    ours = FieldBatchNorm(t, momentum=momentum).double()
    ref = nn.BatchNorm2d(3, momentum=momentum).double()
    _with_bias(ours)
    with torch.no_grad():
        ref.weight.copy_(ours.weight)
        ref.bias.copy_(ours.bias)
    for seed in range(3):
        x = _input(ours, seed=seed) * 3 + 1
        torch.testing.assert_close(ours(x), ref(x), atol=1e-12, rtol=1e-12)
    torch.testing.assert_close(ours.running_mean, ref.running_mean, atol=1e-12, rtol=1e-12)
    torch.testing.assert_close(ours.running_var, ref.running_var, atol=1e-12, rtol=1e-12)
    ours.eval(), ref.eval()
    torch.testing.assert_close(ours(x), ref(x), atol=1e-12, rtol=1e-12)

    mixed = mixed_type(G)
    bn = FieldBatchNorm(mixed, eps=1e-14).double()
    x = _input(bn, batch=4) * 2 + 5
    with torch.no_grad():
        y = bn(x)
    for r, s in zip(mixed.representations, mixed.field_slices()):
        f = y[:, s]
        assert abs(float(f.pow(2).sum(1).mean()) / r.dim - 1.0) < 1e-10
        if r == regular(G) or r.is_trivial():
            assert float(f.mean().abs()) < 1e-12
        else:
            # no centring of non-trivial fields: the mean survives (only rescaled)
            assert float(f.mean((0, 2, 3)).abs().max()) > 1e-3


def test_blur_filter_is_d4_symmetric_and_normalised():
    for k in (1, 3, 5):
        b = torch.as_tensor(binomial_filter(k))
        assert abs(float(b.sum()) - 1.0) < 1e-15
        for m in (b.T, b.flip(0), b.flip(1), torch.rot90(b, 1)):
            assert torch.equal(m, b)


def test_even_grid_breaks_exact_subsampling_but_not_stride_one():
    """Strided subsampling is exact only when (H - 1) % stride == 0; the docstring's rule."""
    G = GROUPS["C4"]
    module = BlurPool2d(mixed_type(G)).double()
    x = _input(module, size=10)
    err, _ = _max_error(module, x, G)
    assert err > 1e-3
    module = BlurPool2d(mixed_type(G), stride=1).double()
    assert _max_error(module, x, G)[0] <= 1e-10


def test_deterministic_parameter_order():
    names = [[n for n, _ in chain(GROUPS["D4"]).named_parameters()] for _ in range(2)]
    assert names[0] == names[1] and names[0]


def test_declared_accepted_representations():
    G = GROUPS["D4"]
    for name, ctor in LAYERS.items():
        module = ctor(G)
        assert module.accepts in ("any", "permutation"), name
        uses_perm_type = module.in_type == perm_type(G) or module.in_type == perm_type(G) + perm_type(G)
        assert (module.accepts == "permutation") <= uses_perm_type, name
    assert ReLU(perm_type(G)).accepts == "permutation" and NormNonlinearity(mixed_type(G)).accepts == "any"
    assert GlobalPool2d(perm_type(G), "max").accepts == "permutation"


def test_bad_input_errors():
    G = GROUPS["D4"]
    t, p = mixed_type(G), perm_type(G)
    with pytest.raises(ValueError, match=r"shape \(batch, 17, H, W\), got \(2, 16, 5, 5\)"):
        ReLU(p)(torch.randn(2, 16, 5, 5))
    with pytest.raises(ValueError, match="got \\(17, 5, 5\\)"):
        ReLU(p)(torch.randn(17, 5, 5))
    with pytest.raises(TypeError, match="floating point"):
        ReLU(p)(torch.ones(1, 17, 3, 3, dtype=torch.long))
    with pytest.raises(TypeError, match="torch.Tensor"):
        ReLU(p)([1, 2])
    with pytest.raises(TypeError, match="does not match the layer's dtype torch.float32"):
        FieldBatchNorm(t)(torch.randn(2, t.size, 3, 3, dtype=torch.float64))
    with pytest.raises(TypeError, match="FieldType"):
        ReLU([regular(G)])
    with pytest.raises(ValueError, match=r"field 1: D4\[irrep\(1,1\)\].*NormNonlinearity"):
        ReLU(t)
    for ctor in (lambda: MaxPool2d(t), lambda: GroupPooling(t), lambda: GlobalPool2d(t, "max")):
        with pytest.raises(ValueError, match="permutes the channels"):
            ctor()
    with pytest.raises(ValueError, match="odd"):
        MaxPool2d(p, kernel_size=2)
    with pytest.raises(ValueError, match="odd"):
        BlurPool2d(t, blur_size=4)
    with pytest.raises(ValueError, match="stride"):
        AvgPool2d(t, stride=0)
    with pytest.raises(ValueError, match="unknown pointwise function"):
        PointwiseNonlinearity(p, "swish3")
    with pytest.raises(ValueError, match="per-channel parameters"):
        PointwiseNonlinearity(p, nn.PReLU(17))
    with pytest.raises(ValueError, match="unknown norm function"):
        NormNonlinearity(t, "abs")
    with pytest.raises(ValueError, match="mode"):
        GroupPooling(p, "sum")
    with pytest.raises(ValueError, match="momentum"):
        FieldBatchNorm(t, momentum=2.0)
    with pytest.raises(ValueError, match="momentum"):
        FieldBatchNorm(t, momentum=True)
    with pytest.raises(ValueError, match="more than one value"):
        FieldBatchNorm(t).train()(torch.randn(1, t.size, 1, 1))
    with pytest.raises(ValueError, match="no fixed inference map"):
        export(FieldBatchNorm(t, track_running_stats=False))
    with pytest.raises(ValueError, match=r"expects in_type D4\[irrep\(0,0\)\]"):
        EquivariantSequential(ReLU(p), ReLU(FieldType(G, [trivial(G)])))
    with pytest.raises(TypeError, match="no in_type/out_type"):
        EquivariantSequential(ReLU(p), nn.ReLU())
    seq = EquivariantSequential(ReLU(p))
    with pytest.raises(ValueError, match="produces"):
        seq.append(GroupPooling(FieldType(G, [regular(G)])))
    assert len(seq) == 1
    seq.append(GroupPooling(p))
    assert seq.out_type == GroupPooling(p).out_type
    with pytest.raises(TypeError, match="nn.Module"):
        export(lambda u: u)


@pytest.mark.cuda
@pytest.mark.parametrize("name", sorted(LAYERS))
def test_cuda_matches_cpu(name):
    torch.manual_seed(4)
    module = LAYERS[name](GROUPS["D4"]).double()
    x = _input(module)
    for train in (True, False):
        cpu = module.train(train)
        gpu = LAYERS[name](GROUPS["D4"]).double().cuda()
        gpu.load_state_dict(cpu.state_dict())
        gpu.train(train)
        torch.testing.assert_close(gpu(x.cuda()).cpu(), cpu(x), atol=1e-12, rtol=1e-10)
        torch.testing.assert_close(export(gpu.eval())(x.cuda()).cpu(), cpu.eval()(x), atol=1e-12, rtol=1e-10)


@pytest.mark.parametrize("name", ["C4", "D4"])
def test_field_transform_gather_matches_dense_action(name):
    """Permutation and signed-permutation fields take the gather path; the result equals the dense
    action rho(g) applied after the grid transform, for every element and a mixed type."""
    from groupconv.groups.actions import transform_grid

    G = GROUPS[name]
    t = mixed_type(G)
    x = torch.randn(2, t.size, 5, 5, dtype=torch.float64)
    for g in range(G.order):
        rho = t.representation(torch.as_tensor(g), dtype=torch.float64)
        dense = torch.einsum("cd,bdhw->bchw", rho, transform_grid(x, G, g))
        assert torch.equal(t.transform(x, g), dense)
    reg = FieldType(G, [regular(G)] * 3)
    x = torch.randn(1, reg.size, 4, 4)
    for g in range(G.order):
        rho = reg.representation(torch.as_tensor(g), dtype=torch.float32)
        assert torch.equal(reg.transform(x, g), torch.einsum("cd,bdhw->bchw", rho, transform_grid(x, G, g)))


@pytest.mark.filterwarnings("ignore:kernel basis")
def test_channels_last_inputs_give_the_same_outputs():
    from groupconv.nn import FourierBesselConv2d, GroupConv2d, LiftingConv2d, SteerableConv2d

    torch.manual_seed(0)
    G = Dihedral(4)
    reg = FieldType(G, [regular(G)] * 3)
    mix = FieldType(G, [irrep(G, 0, 0), irrep(G, 1, 1), regular(G)])
    layers = [
        (LiftingConv2d(G, 3, 4, 5, padding=2), 3),
        (GroupConv2d(G, 3, 4, 5, padding=2), reg.size),
        (SteerableConv2d(mix, reg, 5, padding=2), mix.size),
        (FourierBesselConv2d(3, 4, 5, num_bases=6, padding=2), 3),
        (ReLU(reg), reg.size),
        (ELU(reg), reg.size),
        (NormNonlinearity(mix), mix.size),
        (ModulusNonlinearity(mix), mix.size),
        (GatedNonlinearity(FieldType(G, [irrep(G, 1, 1)] * 2)), 6),
        (FieldBatchNorm(mix), mix.size),
        (BlurPool2d(reg, 2), reg.size),
        (MaxPool2d(reg, 3, stride=2), reg.size),
        (AvgPool2d(reg, 3, stride=2), reg.size),
        (GlobalPool2d(reg), reg.size),
        (GroupPooling(reg), reg.size),
        (NormPooling(mix), mix.size),
    ]
    for layer, channels in layers:
        x = torch.randn(2, channels, 12, 12, dtype=torch.float64)
        layer = layer.double()
        for mode in (True, False):
            layer.train(mode)
            a = layer(x)
            b = layer(x.contiguous(memory_format=torch.channels_last))
            assert torch.allclose(a, b, atol=1e-12), type(layer).__name__
