"""The norm nonlinearity's own backward against finite differences, to first and second order, for every
norm function, with biases on both sides of zero and large norms (the squash's second branch; at a zero
field the map is not differentiable when phi(b) != 0, and the catalogue checks the gradient is finite
there); and the scaled field norm's gradient."""

from __future__ import annotations

import pytest
import torch

from groupconv.groups import SO2, Dihedral
from groupconv.nn import FieldType, ModulusNonlinearity, NormNonlinearity
from groupconv.reps import irrep, regular, trivial

D4 = Dihedral(4)
MIXED = FieldType(D4, [regular(D4), irrep(D4, 1, 1), trivial(D4), irrep(D4, 1, 0), irrep(D4, 1, 1)])
SO2_TYPE = FieldType(SO2(), [trivial(SO2())] * 2 + [irrep(SO2(), 1), irrep(SO2(), 2)])


@pytest.mark.parametrize("ftype", [MIXED, SO2_TYPE], ids=["mixed", "so2"])
@pytest.mark.parametrize("function", ["relu", "sigmoid", "squash"])
@pytest.mark.parametrize("scale", [1.0, 6.0], ids=["unit", "large"])
def test_norm_nonlinearity_gradients_first_and_second_order(ftype, function, scale):
    layer = NormNonlinearity(ftype, function, bias=True).double()
    with torch.no_grad():
        layer.bias.copy_(torch.linspace(-0.4, 0.3, len(ftype), dtype=torch.float64))
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(2, ftype.size, 2, 2, generator=gen, dtype=torch.float64) * scale
    x.requires_grad_(True)
    bias = layer.bias.detach().clone().requires_grad_(True)

    def f(a, b):
        return torch.func.functional_call(layer, {"bias": b}, (a,))

    assert torch.autograd.gradcheck(f, (x, bias), eps=1e-6, atol=1e-6, fast_mode=True)
    assert torch.autograd.gradgradcheck(f, (x, bias), eps=1e-6, atol=1e-6, fast_mode=True)


def test_modulus_gradient_and_zero_gradient_at_a_zero_field():
    layer = ModulusNonlinearity(MIXED)
    x = torch.randn(2, MIXED.size, 3, 3, dtype=torch.float64)
    x[0, MIXED.field_slices()[1], 0, 0] = 0.0
    x.requires_grad_(True)
    assert torch.autograd.gradcheck(layer, (x,), eps=1e-6, atol=1e-6, nondet_tol=0.0)
    layer(x).sum().backward()
    assert torch.isfinite(x.grad).all()
    assert (x.grad[0, MIXED.field_slices()[1], 0, 0] == 0).all()
