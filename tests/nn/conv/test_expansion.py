"""The filter expansion (groupconv.nn.conv.expansion): the lifted and factorized expansions give the
dense product's filter and gradients, read their factor buffers on every call, and fall back to the
dense basis when the basis buffer no longer has their pattern."""

from __future__ import annotations

import pytest
import torch
from _conv_cases import dense_expansion

from groupconv.groups import SO3, Cyclic, Dihedral
from groupconv.nn import FieldType, SteerableConv2d, SteerableConv3d
from groupconv.nn.conv.expansion import factors_of
from groupconv.reps import irrep, regular

pytestmark = pytest.mark.filterwarnings("ignore:kernel basis")


def _assert_dense_filter_and_gradient(conv):
    """The layer's filter and its gradient equal those of the dense expansion (float64 rounding)."""
    w = conv.expand_filter()[0]
    assert torch.allclose(w, dense_expansion(conv), rtol=0, atol=1e-12 * float(w.detach().abs().max()))
    g = torch.randn_like(w)
    (grad,) = torch.autograd.grad((w * g).sum(), conv.weight)
    (grad_dense,) = torch.autograd.grad((dense_expansion(conv) * g).sum(), conv.weight)
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
        assert torch.equal(conv.expand_filter()[0], dense_expansion(conv))
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
    assert float((w - dense_expansion(conv)).detach().abs().max() / w.detach().abs().max()) < 1e-6


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
        assert torch.allclose(w, dense_expansion(conv), rtol=0, atol=1e-6 * float(w.abs().max()))
    # float32 layers agree with the dense product to float32 rounding
    conv = SteerableConv2d(mixed, FieldType(D8, [regular(D8)] * 4), 5)
    w = conv.expand_filter()[0]
    assert conv.factor_templates is not None
    assert float((w - dense_expansion(conv)).detach().abs().max() / w.detach().abs().max()) < 1e-5


def test_factors_of_a_plan_without_lifted_or_factorized_expansion_are_none():
    D8 = Dihedral(8)
    conv = SteerableConv2d(FieldType(D8, [irrep(D8, 1, 1)]), FieldType(D8, [irrep(D8, 1, 1)]), 3)
    assert conv._expansion.lift is None and conv._expansion.factor is None
    assert factors_of(conv.basis, None, None) is None
    # the plan's factors are those of its basis
    reg = FieldType(D8, [regular(D8)] * 2)
    lifted = SteerableConv2d(reg, reg, 5)
    plan = lifted.expansion_plan
    assert torch.equal(factors_of(plan.basis, plan.lift, plan.factor), plan.factors)
    assert torch.equal(lifted.lift_filters, plan.factors)


def _einsum_expansion(conv):
    """The filter of the plan's padded basis by one einsum over every pair of field types and the row and
    column gathers: the reference for the gathered expansion."""
    plan = conv.expansion_plan
    g, s_o, u, do, s_i, v, di = plan.shape
    w = torch.cat([conv.weight, conv.weight.new_zeros(1)])[torch.from_numpy(plan.index)]
    k = torch.einsum("jsutvb,stbaep->jsuatvep", w, conv.basis.to(w.dtype))
    k = k.reshape(g, s_o * u * do, s_i * v * di, -1)[:, torch.from_numpy(plan.rows)][:, :, plan.cols]
    return k.reshape((-1, k.shape[2]) + (conv.kernel_size,) * plan.spatial_dims)


def test_gathered_expansion_of_several_field_types_is_the_padded_product():
    """Several pairs of field types (dimensions 1 to 7, interleaved, with groups=2, in space and on the
    plane): one batched product and one gather give the filter and the gradient of the padded product."""
    so3 = SO3()
    t_in = FieldType(so3, [irrep(so3, 2), irrep(so3, 0), irrep(so3, 1), irrep(so3, 0)])
    t_out = FieldType(so3, [irrep(so3, 1), irrep(so3, 3), irrep(so3, 0), irrep(so3, 1)])
    D4 = Dihedral(4)
    t2 = FieldType(D4, [regular(D4), irrep(D4, 1, 1), irrep(D4, 0, 0)])
    layers = [
        SteerableConv3d(t_in, t_out, 3),
        SteerableConv3d(
            FieldType(so3, [irrep(so3, 2), irrep(so3, 0)] * 2),
            FieldType(so3, [irrep(so3, 1)] * 4),
            3,
            groups=2,
        ),
        SteerableConv2d(t2, t2, 3),
    ]
    for conv in layers:
        conv = conv.double()
        assert conv._expansion.gathered
        w = conv.expand_filter()[0]
        ref = _einsum_expansion(conv)
        assert torch.equal(w, ref)
        g = torch.randn_like(w)
        (grad,) = torch.autograd.grad((w * g).sum(), conv.weight)
        (grad_ref,) = torch.autograd.grad((ref * g).sum(), conv.weight)
        assert torch.allclose(grad, grad_ref, rtol=0, atol=1e-13 * float(grad_ref.abs().max()))
