"""Mixed precision: ``torch.autocast("cpu", dtype=torch.bfloat16)`` through every public module of the
catalogue (tests/_module_cases.py), against the same float32 module without autocast.

The bound. bfloat16 keeps 8 significant bits, a unit roundoff ``u = 2^-8 = 3.9e-3`` per rounding. Under
autocast a layer rounds its input and its filter to bfloat16 (the filter expansion is itself a product in
bfloat16: one more rounding), accumulates in float32 and rounds its output: at most four roundings, a
norm-wise relative error of at most about ``4 u = 1.6e-2`` where they all add up. We allow ``8 u = 3.1e-2``
(the factor 2 covers the cancellation of sums of terms of both signs, where the error relative to the
result exceeds the error relative to the terms), for outputs and for gradients alike. The errors measured
are all below ``1.5 u`` (docs/devices.md).

What autocast changes, per family (asserted below, so that a layer that silently stops following autocast
fails): the convolutions (lifting, group, steerable, Fourier-Bessel, the antialiased pooling filters) and
the linear read-out of the phase-collapse network compute in bfloat16; the layers with parameters acting
on norms or statistics (batch norm, norm nonlinearity) and the Fourier-domain layers (HomogeneousFourierConv,
S2Conv, SO3Conv) compute in their own float32, exactly as without autocast.
"""

from __future__ import annotations

import pytest
import torch
from _module_cases import CASES, build, outputs
from torch import nn

from groupconv.groups import Cyclic, Dihedral
from groupconv.nn import (
    AvgPool2d,
    EquivariantSequential,
    FieldBatchNorm,
    FieldType,
    GroupConv2d,
    GroupPooling,
    LiftingConv2d,
    MaxPool2d,
    NormNonlinearity,
)
from groupconv.reps import regular
from groupconv.verify import check_equivariance

U = 2.0**-8
BOUND = 8 * U

# classes whose output autocast puts in bfloat16 (from a float32 input)
COMPUTES_IN_BFLOAT16 = {
    "LiftingConv2d",
    "GroupConv2d",
    "SteerableConv2d",
    "FourierBesselConv2d",
    "BlurPool2d",
    "AvgPool2d",
    "EquivariantSequential",
    "PhaseCollapseNet",
}
# classes that compute in their own dtype under autocast: outputs equal to those without it
COMPUTES_IN_OWN_DTYPE = {"FieldBatchNorm", "NormNonlinearity", "HomogeneousFourierConv", "S2Conv", "SO3Conv"}
# classes that take float32 / float64 inputs only, and refuse a bfloat16 one with a TypeError
REFUSE_BFLOAT16_INPUT = {
    "Scattering2D",
    "RotoTranslationScattering",
    "GeneralizedScattering",
    "HarmonicScattering3D",
    "PhaseCollapseNet",
    "PhaseCollapseBlock",
    "S2Conv",
    "SO3Conv",
    "S2FFT",
    "SO3FFT",
    "GridNonlinearity",
    "S2Integral",
    "SO3Integral",
}
# classes of complex inputs (torch has no complex bfloat16)
COMPLEX_INPUT = {"Modulus", "RealReLU", "SoftModulus"}


def _family(name: str) -> str:
    return name.split("-")[0]


def _relative_error(reference: list[torch.Tensor], low: list[torch.Tensor]) -> float:
    """``||low - reference|| / ||reference||`` over all the tensors together (complex as pairs of reals)."""

    def flat(ts):
        return torch.cat([(torch.view_as_real(t) if t.is_complex() else t).double().flatten() for t in ts])

    a, b = flat(reference), flat(low)
    return float((b - a).norm() / a.norm())


def _forward(module, x, autocast: bool) -> list[torch.Tensor]:
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=autocast):
        return outputs(module(x))


@pytest.mark.parametrize("name", sorted(CASES))
def test_forward_under_autocast_within_the_bfloat16_bound(name):
    module, x = build(name)
    module.eval()
    reference = _forward(module, x, False)
    low = _forward(module, x, True)
    assert [t.shape for t in low] == [t.shape for t in reference]
    err = _relative_error(reference, low)
    assert err <= BOUND, (name, err)
    family = _family(name)
    if family in COMPUTES_IN_BFLOAT16:
        assert low[0].dtype == torch.bfloat16, low[0].dtype
        assert err > 0
    if family in COMPUTES_IN_OWN_DTYPE:
        assert all(torch.equal(a, b) for a, b in zip(reference, low)), name


def test_the_family_lists_name_public_classes():
    families = {_family(name) for name in CASES}
    lists = COMPUTES_IN_BFLOAT16 | COMPUTES_IN_OWN_DTYPE | REFUSE_BFLOAT16_INPUT | COMPLEX_INPUT
    assert lists <= families, lists - families


@pytest.mark.parametrize("name", sorted(n for n in CASES if _family(n) not in COMPLEX_INPUT))
def test_bfloat16_input_under_autocast(name):
    """Inside an autocast network a layer receives the bfloat16 output of the layer before it: it runs
    within the bound of the float32 layer on the same (bfloat16-representable) values, or refuses it."""
    module, x = build(name)
    module.eval()
    x = x.to(torch.bfloat16)
    if _family(name) in REFUSE_BFLOAT16_INPUT:
        with pytest.raises(TypeError, match="bfloat16"):
            _forward(module, x, True)
        return
    reference = _forward(module, x.float(), False)
    low = _forward(module, x, True)
    err = _relative_error(reference, low)
    assert err <= BOUND, (name, err)
    if _family(name) in COMPUTES_IN_OWN_DTYPE and any(True for _ in module.parameters()):
        assert all(t.dtype == torch.float32 for t in low)


def _gradients(module, x, autocast: bool) -> list[torch.Tensor]:
    """Gradients of a fixed random projection of the outputs (in float32) with respect to the input and
    the parameters, the forward pass under autocast or not, the backward pass outside it."""
    module.zero_grad()
    x = x.clone().requires_grad_(True)
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=autocast):
        out = outputs(module(x))
    gen = torch.Generator().manual_seed(1)
    loss = 0
    for t in out:
        t = torch.view_as_real(t) if t.is_complex() else t
        loss = loss + (t.float() * torch.randn(t.shape, generator=gen)).sum()
    params = [p for p in module.parameters() if p.requires_grad]
    grads = torch.autograd.grad(loss, [x, *params], allow_unused=True)
    for p, g in zip(params, grads[1:]):
        assert g is None or g.dtype == p.dtype, (g.dtype, p.dtype)
    return [g for g in grads if g is not None]


def _selects_by_max(module: nn.Module) -> bool:
    return any(
        isinstance(m, MaxPool2d) or getattr(m, "mode", None) == "max" or getattr(m, "spatial", None) == "max"
        for m in module.modules()
    )


@pytest.mark.parametrize("name", sorted(CASES))
def test_training_step_under_autocast_within_the_bfloat16_bound(name):
    """Forward under autocast, backward outside it (the usual mixed-precision step): the gradients keep
    the parameters' dtype and are within the bound of the float32 gradients, all of them together (one
    gradient alone can be a sum with cancellation, such as that of a bias followed by batch norm).

    A max (max pooling, group pooling by the max) routes the gradient to the largest entry, and rounding to
    bfloat16 changes which one where two entries are within ``u`` of each other: there the gradients differ
    by whole entries, not by rounding (0.14 for the small C4 network of the catalogue), and are only
    checked to be finite."""
    module, x = build(name)
    module.train()
    reference = _gradients(module, x, False)
    low = _gradients(module, x, True)
    assert len(low) == len(reference)
    assert all(bool(g.isfinite().all()) for g in low)
    if not _selects_by_max(module):
        err = _relative_error(reference, low)
        assert err <= BOUND, (name, err)


@pytest.mark.parametrize("group", ["C8", "D4"])
def test_training_step_of_a_network_under_autocast(group):
    """Lifting, batch norm, a norm nonlinearity, a group convolution, average pooling and group pooling by
    the mean: a network without a max, within the bound in its outputs and all its gradients."""
    G = Cyclic(8) if group == "C8" else Dihedral(4)
    reg = FieldType(G, [regular(G)] * 2)
    torch.manual_seed(0)
    net = EquivariantSequential(
        LiftingConv2d.from_channels(G, 1, 2, 3, padding=1),
        FieldBatchNorm(reg),
        NormNonlinearity(reg),
        GroupConv2d.from_channels(G, 2, 2, 3, padding=1),
        AvgPool2d(reg, 3, 2),
        GroupPooling(reg, "mean"),
    )
    x = torch.randn(4, 1, 13, 13, generator=torch.Generator().manual_seed(0))
    net.train()
    reference, low = _gradients(net, x, False), _gradients(net, x, True)
    assert _relative_error(reference, low) <= BOUND
    net.eval()
    out = _forward(net, x, True)
    assert out[0].dtype == torch.bfloat16
    assert _relative_error(_forward(net, x, False), out) <= BOUND


# -- the equivariance checker on bfloat16 models ----------------------------------------------------------

# one case per layer family whose layers compute in bfloat16
BFLOAT16_CHECKED = [
    "LiftingConv2d-C8",
    "GroupConv2d-D4",
    "SteerableConv2d-SO2",
    "NormNonlinearity-C8-squash",
    "GatedNonlinearity-D4",
    "FieldBatchNorm-D4",
    "NormPooling-SO2-avg",
    "MaxPool2d-D4",
    "GlobalPool2d-C8",
    "EquivariantSequential-D4",
]


@pytest.mark.parametrize("name", BFLOAT16_CHECKED)
def test_equivariance_check_in_bfloat16_passes_correct_layers(name):
    module, x = build(name)
    # a few samples of the continuous groups keep the test fast; every element of the finite ones
    report = check_equivariance(module.eval(), x, dtype=torch.bfloat16, n_samples=4)
    assert report.passed, str(report)
    exact = [row for row in report.rows if row.tier == "exact"]
    assert exact and all("bfloat16" in row.reason for row in exact)


def test_equivariance_check_of_a_model_cast_to_bfloat16():
    module, x = build("GroupConv2d-D4")
    module = module.eval().to(torch.bfloat16)
    assert check_equivariance(module, x.to(torch.bfloat16), dtype=torch.bfloat16).passed


class _Perturbed(nn.Module):
    """``x + eps * conv(x)`` on D4 regular fields, ``conv`` a fixed plain convolution: the identity is
    equivariant, the convolution is not."""

    def __init__(self, eps: float):
        super().__init__()
        self.in_type = self.out_type = FieldType(Dihedral(4), [regular(Dihedral(4))] * 2)
        self.plain = nn.Conv2d(self.in_type.size, self.out_type.size, 3, padding=1, bias=False)
        self.eps = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.eps * self.plain(x)


def test_equivariance_check_in_bfloat16_names_a_planted_defect_above_its_resolution():
    """bfloat16 resolves defects of a few percent of the output: a 30 % defect fails in bfloat16 and names
    the layer; a 0.1 % one is below the bfloat16 tolerance and is caught by the float64 check."""
    torch.manual_seed(0)
    x = torch.randn(2, 16, 9, 9, generator=torch.Generator().manual_seed(0))
    model = nn.Sequential(GroupConv2d.from_channels(Dihedral(4), 2, 2, 3, padding=1), _Perturbed(0.3)).eval()
    report = check_equivariance(model, x, dtype=torch.bfloat16)
    assert not report.passed
    assert [row.layer for row in report.rows if row.passed is False] == ["1"]
    model[1].eps = 1e-3
    assert check_equivariance(model, x, dtype=torch.bfloat16).passed
    assert not check_equivariance(model, x).passed


@pytest.mark.parametrize("name", ["HomogeneousFourierConv-D4", "S2Conv-dh"])
def test_equivariance_check_in_bfloat16_refuses_layers_without_bfloat16_kernels(name):
    module, x = build(name)
    with pytest.raises(TypeError, match="bfloat16"):
        check_equivariance(module.eval(), x, dtype=torch.bfloat16)
