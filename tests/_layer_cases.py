"""Shared cases of the field-wise layers (nonlinearities, pooling, batch norm): field types, one
constructor per layer configuration grouped by module, and the exact-equivariance checks that the
tests of each module run on its own layers."""

from __future__ import annotations

import torch

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
)
from groupconv.reps import irrep, regular, trivial
from groupconv.verify.equivariance import elements_to_try

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


def with_bias(m):
    """``m`` with every parameter drawn uniformly from ``[-0.6, 0.6]`` (biases away from zero)."""
    with torch.no_grad():
        for p in m.parameters():
            p.uniform_(-0.6, 0.6)
    return m


NONLINEARITIES = {
    "relu": lambda G: ReLU(perm_type(G)),
    "elu": lambda G: ELU(perm_type(G)),
    "pointwise_callable": lambda G: PointwiseNonlinearity(perm_type(G), torch.tanh),
    "norm_relu": lambda G: with_bias(NormNonlinearity(mixed_type(G))),
    "norm_squash": lambda G: NormNonlinearity(mixed_type(G), "squash"),
    "norm_sigmoid": lambda G: with_bias(NormNonlinearity(mixed_type(G), "sigmoid")),
    "gated": lambda G: GatedNonlinearity(mixed_type(G)),
    "modulus": lambda G: ModulusNonlinearity(mixed_type(G)),
}
NORMALIZATION = {
    "batchnorm": lambda G: with_bias(FieldBatchNorm(mixed_type(G))),
}
POOLING = {
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
#: Every layer configuration of the three modules.
LAYERS = {**NONLINEARITIES, **NORMALIZATION, **POOLING}


def fiber_type(group) -> FieldType:
    """Trivial fields and irreps of several frequencies of SO(2) or O(2)."""
    if isinstance(group, SO2):
        reps = [trivial(group), irrep(group, 1), irrep(group, 2), trivial(group), irrep(group, 3)]
    else:
        reps = [trivial(group), irrep(group, 1, 0), irrep(group, 1, 1), irrep(group, 1, 2), trivial(group)]
    return FieldType(group, reps)


FIBER_NONLINEARITIES = {
    "norm_relu": lambda t: with_bias(NormNonlinearity(t)),
    "norm_squash": lambda t: NormNonlinearity(t, "squash"),
    "gated": lambda t: GatedNonlinearity(t),
    "modulus": lambda t: ModulusNonlinearity(t),
    "relu_trivial": lambda t: ReLU(FieldType(t.group, [trivial(t.group)] * 3)),
}
FIBER_POOLING = {
    "normpool_avg": lambda t: NormPooling(t, "avg", 3, 2),
    "blurpool": lambda t: BlurPool2d(t),
    "globalpool": lambda t: GlobalPool2d(t),
}
FIBER_NORMALIZATION = {
    "batchnorm": lambda t: with_bias(FieldBatchNorm(t)),
}


def layer_input(module, size=9, batch=2, dtype=torch.float64, seed=0):
    gen = torch.Generator().manual_seed(seed)
    return torch.randn(batch, module.in_type.size, size, size, generator=gen, dtype=torch.float64).to(dtype)


@torch.no_grad()
def max_error(module, x, G):
    """The largest ``|module(g x) - g module(x)|`` over the elements of ``G``, and ``max |module(x)|``."""
    y = module(x)
    worst = 0.0
    for g in range(G.order):
        err = (module(module.in_type.transform(x, g)) - module.out_type.transform(y, g)).abs().max()
        worst = max(worst, float(err))
    return worst, float(y.abs().max())


def assert_exact_grid_equivariance(build, name, group):
    """Every element of C4 / D4 on the pixel grid, in training and eval mode, float64 and float32."""
    G = GROUPS[group]
    torch.manual_seed(0)
    module = build(G)
    for train in (True, False):
        module.train(train)
        m64 = module.double()
        err, scale = max_error(m64, layer_input(m64), G)
        assert err <= 1e-10, (name, group, train, err)
        m32 = module.float()
        err32, scale32 = max_error(m32, layer_input(m32, dtype=torch.float32), G)
        assert err32 <= 1e-5 * scale32, (name, group, train, err32 / scale32)


def assert_fiber_equivariance(build, name, group):
    """Layers acting pixel by pixel commute with every rotation (and reflection) of the fibers."""
    G = SO2() if group == "SO2" else O2()
    module = build(fiber_type(G))
    elements = torch.stack(elements_to_try(G, n_samples=20))
    rin = module.in_type.representation(elements, dtype=torch.float64)
    rout = module.out_type.representation(elements, dtype=torch.float64)
    for train in (True, False):
        module.train(train)
        for dtype, tol in ((torch.float64, 1e-10), (torch.float32, 1e-5)):
            m = module.to(dtype)
            x = layer_input(m, size=5, batch=2, dtype=dtype)
            with torch.no_grad():
                y = m(x)
                scale = 1.0 if dtype == torch.float64 else float(y.abs().max())
                gx = torch.einsum("ncd,bdhw->nbchw", rin.to(dtype), x)
                gy = torch.einsum("ncd,bdhw->nbchw", rout.to(dtype), y)
                err = max(float((m(gx[i]) - gy[i]).abs().max()) for i in range(len(elements)))
            assert err <= tol * scale, (name, group, dtype, err)


def assert_gradcheck(build):
    """Input and parameter gradients of a layer on C4 against finite differences."""
    torch.manual_seed(3)
    module = build(GROUPS["C4"]).double().train()
    x = layer_input(module, size=5, batch=2).requires_grad_(True)
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
