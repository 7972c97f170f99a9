"""Bad and extreme inputs to the layers between convolutions (nonlinearities, pooling, normalization).

NaN and Inf propagate like in torch's own layers and stay in the field they entered; norms are computed
scaled, so float32 gives the float64 answer at 1e30 and 1e-30; empty batches give empty outputs; empty
maps, wrong channel counts and wrong dtypes are refused with errors that name the problem.
"""

from __future__ import annotations

import pytest
import torch

from groupconv.groups import SO2, Cyclic, Dihedral
from groupconv.nn import (
    ELU,
    AvgPool2d,
    BlurPool2d,
    FieldBatchNorm,
    FieldType,
    GatedNonlinearity,
    GlobalPool2d,
    GroupPooling,
    MaxPool2d,
    ModulusNonlinearity,
    NormNonlinearity,
    NormPooling,
    ReLU,
)
from groupconv.reps import irrep, quotient, regular, trivial

G = Dihedral(4)
# regular (8), 2D irrep, trivial, 1D sign irrep: fields of three dimensions, interleaved
MIXED = FieldType(G, [regular(G), irrep(G, 1, 1), trivial(G), irrep(G, 1, 0), irrep(G, 1, 1)])
PERM = FieldType(G, [regular(G), trivial(G), regular(G)])
SO2_TYPE = FieldType(SO2(), [trivial(SO2()), irrep(SO2(), 1), irrep(SO2(), 3), irrep(SO2(), 1)])


def _biased(m):
    with torch.no_grad():
        for p in m.parameters():
            p.copy_(torch.linspace(-0.3, 0.2, p.numel()).view_as(p))
    return m


# name -> (factory, input field -> output fields it reaches ("same": the field itself), pixelwise)
LAYERS = {
    "norm_relu": (lambda: _biased(NormNonlinearity(MIXED)), "same", True),
    "norm_squash": (lambda: NormNonlinearity(MIXED, "squash"), "same", True),
    "norm_sigmoid": (lambda: _biased(NormNonlinearity(MIXED, "sigmoid")), "same", True),
    "norm_relu_so2": (lambda: _biased(NormNonlinearity(SO2_TYPE)), "same", True),
    "modulus": (lambda: ModulusNonlinearity(MIXED), "same", True),
    "modulus_so2": (lambda: ModulusNonlinearity(SO2_TYPE), "same", True),
    "gated": (lambda: GatedNonlinearity(MIXED), "gated", True),
    "relu": (lambda: ReLU(PERM), "same", True),
    "elu": (lambda: ELU(PERM), "same", True),
    "normpool": (lambda: NormPooling(MIXED), "same", True),
    "normpool_max": (lambda: NormPooling(MIXED, "max", 3, 2), "same", False),
    "normpool_avg": (lambda: NormPooling(MIXED, "avg", 3, 2), "same", False),
    "normpool_global": (lambda: NormPooling(MIXED, "max"), "same", False),
    "grouppool_max": (lambda: GroupPooling(PERM), "same", True),
    "grouppool_mean": (lambda: GroupPooling(PERM, "mean"), "same", True),
    "blurpool": (lambda: BlurPool2d(MIXED), "same", False),
    "avgpool": (lambda: AvgPool2d(MIXED), "same", False),
    "maxpool": (lambda: MaxPool2d(PERM), "same", False),
    "globalpool_avg": (lambda: GlobalPool2d(MIXED), "same", False),
    "globalpool_max": (lambda: GlobalPool2d(PERM, "max"), "same", False),
    "batchnorm": (lambda: _biased(FieldBatchNorm(MIXED)), "same", False),
    "batchnorm_so2": (lambda: _biased(FieldBatchNorm(SO2_TYPE)), "same", False),
}

ABSORB_MINUS_INF = {"relu", "elu", "maxpool", "globalpool_max", "grouppool_max"}
SPATIAL = {"normpool_max", "normpool_avg", "normpool_global", "blurpool", "avgpool", "maxpool"}
SPATIAL |= {"globalpool_avg", "globalpool_max"}


def _field_of_channel(ftype: FieldType, c: int) -> int:
    return next(i for i, s in enumerate(ftype.field_slices()) if s.start <= c < s.stop)


def _output_channels(layer, rule: str, field: int) -> list[int]:
    """The output channels that input field ``field`` may reach: its own output field, or for a gate
    (the first ``n_gates`` input fields) and a gated field alike the gated field's output."""
    if rule == "gated" and field >= layer.n_gates:
        field -= layer.n_gates
    s = layer.out_type.field_slices()[field]
    return list(range(s.start, s.stop))


def _x(layer, dtype=torch.float64, batch=3, size=7, seed=0):
    gen = torch.Generator().manual_seed(seed)
    return torch.randn(batch, layer.in_type.size, size, size, generator=gen, dtype=torch.float64).to(dtype)


# the channel hit: the first channel of a 2D field (or a regular one for permutation-only layers)
def _hit_channel(layer) -> int:
    for s, r in zip(layer.in_type.field_slices(), layer.in_type.representations):
        if r.dim == 2:
            return s.start + 1
    return layer.in_type.field_slices()[-1].start + 3


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")], ids=["nan", "inf", "-inf"])
@pytest.mark.parametrize("name", sorted(LAYERS))
def test_non_finite_entry_stays_in_its_field(name, value):
    make, rule, pixelwise = LAYERS[name]
    torch.manual_seed(0)
    layer = make().double().train()
    x = _x(layer)
    c = _hit_channel(layer)
    bad = x.clone()
    bad[1, c, 3, 3] = value
    with torch.no_grad():
        y, y_bad = layer(x), layer(bad)
    reached = _output_channels(layer, rule, _field_of_channel(layer.in_type, c))
    others = [k for k in range(y.shape[1]) if k not in reached]
    # every other field is computed exactly as without the bad entry
    assert torch.equal(y_bad[:, others], y[:, others])
    hit = y_bad[:, reached]
    if value == float("-inf") and name in ABSORB_MINUS_INF:
        # relu(-inf) = 0, elu(-inf) = -1 and a maximum ignores -inf, as in torch's own layers
        assert torch.isfinite(hit).all()
        return
    assert not torch.isfinite(hit).all(), "the non-finite entry vanished"
    if value != value:
        assert torch.isnan(hit).any()
    if pixelwise and value != value and name not in {"relu", "elu", "gated"}:
        # a NaN field is NaN in every channel of its output at that pixel, not finite garbage
        assert torch.isnan(y_bad[1, reached, 3, 3]).all()


def test_gate_nan_reaches_only_its_gated_field():
    layer = GatedNonlinearity(MIXED).double()
    x = _x(layer)
    bad = x.clone()
    bad[0, 1, 2, 2] = float("nan")  # gate of field 1 (the 2D irrep)
    y, y_bad = layer(x), layer(bad)
    s = MIXED.field_slices()[1]
    others = [k for k in range(MIXED.size) if not s.start <= k < s.stop]
    assert torch.equal(y_bad[:, others], y[:, others])
    assert torch.isnan(y_bad[0, s, 2, 2]).all()


NORM_LAYERS = ["norm_relu", "norm_squash", "norm_sigmoid", "norm_relu_so2", "modulus", "modulus_so2"]
NORM_LAYERS += ["normpool", "normpool_max", "normpool_avg", "normpool_global"]


# at 1e37 the norms are within a factor 10 of the float32 maximum; a 3 x 3 average pool sums nine of them
# before dividing and overflows there, as torch's avg_pool2d does, so it is tried at 1e30 and 1e-30 only
SCALES = [(n, s) for n in NORM_LAYERS for s in (1e30, 1e-30, 1e37) if (n, s) != ("normpool_avg", 1e37)]


@pytest.mark.parametrize(("name", "scale"), SCALES, ids=[f"{n}-{s:g}" for n, s in SCALES])
def test_float32_norms_neither_overflow_nor_underflow(name, scale):
    """float32 gives the float64 result (rounded to float32) wherever that result is a float32 number."""
    make = LAYERS[name][0]
    layer = make()
    x = _x(layer) * 0.5
    with torch.no_grad():
        y32 = layer.float()(x.float() * scale)
        y64 = layer.double()(x * scale)
    expected = y64.float()
    assert torch.isfinite(y32).all()
    torch.testing.assert_close(y32, expected, rtol=1e-5, atol=0)
    if scale == 1e-30 and name != "norm_squash":
        assert expected.abs().amax() > 0  # the comparison is not 0 == 0 (squash gives |f|^2, 1e-60)


@pytest.mark.parametrize("scale", [1e200, 1e-200], ids=["1e200", "1e-200"])
def test_float64_norms_at_the_ends_of_the_range(scale):
    layer = ModulusNonlinearity(MIXED)
    x = _x(layer)
    y = layer(x * scale) / scale
    torch.testing.assert_close(y, layer(x), rtol=1e-14, atol=0)


@pytest.mark.parametrize("name", ["norm_relu", "norm_squash", "norm_sigmoid", "modulus", "normpool_max"])
def test_gradient_at_a_zero_field_is_finite(name):
    layer = LAYERS[name][0]().double()
    x = _x(layer)
    x[:, MIXED.field_slices()[1]] = 0.0  # a 2D field that is zero everywhere
    x[:, MIXED.field_slices()[0]] = 0.0  # and the regular field
    x.requires_grad_(True)
    layer(x).pow(2).sum().backward()
    assert torch.isfinite(x.grad).all()
    params = [p.grad for p in layer.parameters()]
    assert all(g is None or torch.isfinite(g).all() for g in params)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("name", sorted(LAYERS))
def test_empty_batch_gives_an_empty_output(name, dtype):
    layer = LAYERS[name][0]().to(dtype).train()
    x = _x(layer, dtype=dtype, batch=1)
    expected = layer(x).shape
    empty = x[:0].clone().requires_grad_(True)
    y = layer(empty)
    assert y.shape == (0,) + expected[1:] and y.dtype == dtype
    y.sum().backward()
    assert empty.grad.shape == empty.shape


def test_empty_batch_leaves_batchnorm_statistics_untouched():
    bn = FieldBatchNorm(MIXED).train()
    before = {k: v.clone() for k, v in bn.state_dict().items() if isinstance(v, torch.Tensor)}
    bn(torch.zeros(0, MIXED.size, 5, 5))
    for k, v in before.items():
        assert torch.equal(bn.state_dict()[k], v), k


@pytest.mark.parametrize("name", sorted(SPATIAL))
def test_empty_map_is_refused_by_spatial_pooling(name):
    layer = LAYERS[name][0]()
    with pytest.raises(ValueError, match=r"non-empty H x W map, got input shape \(2, \d+, 0, 5\)"):
        layer(torch.zeros(2, layer.in_type.size, 0, 5))


@pytest.mark.parametrize("name", ["norm_relu", "modulus", "normpool", "gated", "grouppool_max", "batchnorm"])
def test_empty_map_through_pixelwise_layers_is_empty(name):
    layer = LAYERS[name][0]()
    y = layer(torch.zeros(2, layer.in_type.size, 0, 0))
    assert y.shape == (2, layer.out_type.size, 0, 0)


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_wrong_channel_count_is_refused(name):
    layer = LAYERS[name][0]()
    c = layer.in_type.size
    with pytest.raises(ValueError, match=rf"shape \(batch, {c}, H, W\), got \(2, {c + 1}, 5, 5\)"):
        layer(torch.zeros(2, c + 1, 5, 5))


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_integer_input_is_refused(name):
    layer = LAYERS[name][0]()
    with pytest.raises(TypeError, match="floating point tensor, got dtype torch.int64"):
        layer(torch.zeros(2, layer.in_type.size, 5, 5, dtype=torch.long))


@pytest.mark.parametrize("name", ["norm_relu", "batchnorm"])
def test_float64_input_into_float32_layer_is_refused(name):
    layer = LAYERS[name][0]()
    with pytest.raises(
        TypeError, match="input dtype torch.float64 does not match the layer's dtype torch.float32"
    ):
        layer(torch.zeros(2, layer.in_type.size, 5, 5, dtype=torch.float64))


def test_batchnorm_without_affine_refuses_a_dtype_its_statistics_do_not_have():
    bn = FieldBatchNorm(MIXED, affine=False)
    with pytest.raises(TypeError, match="torch.float64 does not match .*running statistics.*torch.float32"):
        bn(torch.zeros(2, MIXED.size, 5, 5, dtype=torch.float64))


@pytest.mark.parametrize("eps", [0.0, -1e-5, True, "1e-5"])
def test_batchnorm_eps_must_be_positive(eps):
    with pytest.raises(ValueError, match=f"eps must be a positive number, got {eps!r}"):
        FieldBatchNorm(MIXED, eps=eps)


@pytest.mark.parametrize(
    ("make", "other", "what"),
    [
        (lambda t: FieldBatchNorm(t), FieldType(Cyclic(8), [regular(Cyclic(8))] * 2), "group"),
        (lambda t: NormNonlinearity(t), FieldType(Cyclic(8), [regular(Cyclic(8))] * 2), "group"),
        (
            lambda t: FieldBatchNorm(t),
            FieldType(G, [regular(G), quotient(G, Cyclic(4)), irrep(G, 1, 1)]),
            "in_type",
        ),
    ],
    ids=["batchnorm-group", "norm-group", "batchnorm-type"],
)
def test_state_dict_of_another_field_type_refuses_to_load(make, other, what):
    """Parameters of equal shapes from another group or type would load and compute another map."""
    own = (
        FieldType(G, [regular(G)] * 2)
        if what == "group"
        else FieldType(G, [regular(G), irrep(G, 1, 1), regular(G)])
    )
    saved = make(other).state_dict()
    layer = make(own)
    assert {k: v.shape for k, v in saved.items() if k != "_extra_state"} == {
        k: v.shape for k, v in layer.state_dict().items() if k != "_extra_state"
    }
    with pytest.raises(RuntimeError, match=f"saved from another layer.*{what}: saved"):
        layer.load_state_dict(saved)
    make(other).load_state_dict(saved)
