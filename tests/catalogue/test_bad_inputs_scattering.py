"""Bad and edge inputs to the scattering modules: empty batches work as in torch's own layers; dtypes the
FFTs cannot take are refused with advice that works; wrong shapes, dtypes and non-finite inputs are named."""

from __future__ import annotations

import pytest
import torch

from groupconv.scattering import (
    GeneralizedScattering,
    PhaseCollapseNet,
    RotoTranslationScattering,
    Scattering2D,
    morlet_bank,
)


def _modules():
    small = morlet_bank((8, 8), 1, 4, convention="standard")
    return {
        "Scattering2D": Scattering2D((16, 16), J=2, L=4),
        "Scattering2D-full": Scattering2D((16, 16), J=2, L=4, subsample=False, paths="all"),
        "RotoTranslationScattering": RotoTranslationScattering((16, 16), J=2, L=4),
        "RotoTranslationScattering-full": RotoTranslationScattering((16, 16), J=2, L=4, subsample=False),
        "GeneralizedScattering": GeneralizedScattering(
            [morlet_bank((16, 16), 2, 4, convention="standard"), small], pooling=2
        ),
        "PhaseCollapseNet": PhaseCollapseNet(1, (16, 16), 3, widths=(4, 5), L=4),
    }


MODULES = _modules()


def _input(name: str, batch: int, dtype=torch.float32) -> torch.Tensor:
    shape = (batch, 1, 16, 16) if name == "PhaseCollapseNet" else (batch, 16, 16)
    return torch.randn(shape, generator=torch.Generator().manual_seed(0)).to(dtype)


def _shapes(out) -> list[tuple[int, ...]]:
    return [tuple(t.shape) for t in out] if isinstance(out, list) else [tuple(out.shape)]


@pytest.mark.parametrize("name", list(MODULES))
def test_an_empty_batch_gives_the_empty_output(name):
    module = MODULES[name].eval()
    full = _shapes(module(_input(name, 2)))
    empty = module(_input(name, 0))
    assert _shapes(empty) == [(0, *s[1:]) for s in full]
    assert all(t.dtype == torch.float32 for t in (empty if isinstance(empty, list) else [empty]))


@pytest.mark.parametrize("name", list(MODULES))
def test_an_empty_batch_backpropagates_like_a_torch_layer(name):
    module = MODULES[name].train()
    x = _input(name, 0).requires_grad_()
    out = module(x)
    loss = sum(t.sum() for t in out) if isinstance(out, list) else out.sum()
    loss.backward()
    assert x.grad is not None and x.grad.shape == x.shape


@pytest.mark.parametrize("name", ["Scattering2D", "RotoTranslationScattering"])
def test_an_empty_leading_axis_anywhere(name):
    module = MODULES[name]
    x = torch.zeros(3, 0, 16, 16)
    assert tuple(module(x).shape[:2]) == (3, 0)


@pytest.mark.parametrize(
    "name", ["Scattering2D-full", "RotoTranslationScattering-full", "GeneralizedScattering"]
)
def test_an_empty_batch_has_empty_energies(name):
    module = MODULES[name]
    W, E = module.energies(_input(name, 0))
    depth = W.shape[0]
    assert W.shape == E.shape == (depth, 0) and depth == module.energies(_input(name, 1))[0].shape[0]


def test_an_empty_training_batch_keeps_the_running_statistics():
    net = PhaseCollapseNet(1, (16, 16), 3, widths=(4,), L=4).train()
    before = {k: v.clone() for k, v in net.state_dict().items() if "running" in k}
    assert net(torch.zeros(0, 1, 16, 16)).shape == (0, 3)
    after = net.state_dict()
    assert all(torch.equal(v, after[k]) for k, v in before.items())


@pytest.mark.parametrize("name", list(MODULES))
@pytest.mark.parametrize("half", [torch.float16, torch.bfloat16])
def test_half_precision_is_refused_with_advice_that_works(name, half):
    module = MODULES[name].eval()
    x = _input(name, 2, half)
    with pytest.raises(TypeError, match=rf"float32 or torch.float64, got {half}.*x.to\(torch.float32\)"):
        module(x)
    # the advice works and gives the float32 result
    torch.testing.assert_close(module(x.to(torch.float32)), module(x.float()))


def test_a_module_converted_to_half_is_told_to_convert_back():
    module = Scattering2D((16, 16), J=2, L=4).half()
    x = torch.randn(2, 16, 16).half()
    with pytest.raises(TypeError, match=r"convert the module with .float\(\) and the input with x.float\(\)"):
        module(x)
    reference = Scattering2D((16, 16), J=2, L=4)(x.float())
    torch.testing.assert_close(module.float()(x.float()), reference)


def test_a_dtype_mismatch_is_named_with_advice_that_works():
    module = Scattering2D((16, 16), J=2, L=4)
    x = torch.randn(2, 16, 16, dtype=torch.float64)
    with pytest.raises(
        TypeError, match=r"torch.float32 filters but got torch.float64 input.*\.to\(torch.float64\)"
    ):
        module(x)
    assert module.to(torch.float64)(x).dtype == torch.float64


@pytest.mark.parametrize(
    "x, error, match",
    [
        (torch.zeros(2, 16, 15), ValueError, r"expects input of shape \(\.\.\., 16, 16\), got \(2, 16, 15\)"),
        (torch.zeros(2, 16, 16, dtype=torch.complex64), TypeError, "expects a real floating tensor"),
        (
            torch.zeros(2, 16, 16, dtype=torch.int64),
            TypeError,
            "expects a real floating tensor, got torch.int64",
        ),
        (torch.full((2, 16, 16), float("nan")), ValueError, r"non-finite input \(inf or nan\)"),
        ([[0.0] * 16] * 16, TypeError, "expects a torch.Tensor, got list"),
    ],
)
def test_wrong_inputs_are_named(x, error, match):
    with pytest.raises(error, match=match):
        MODULES["Scattering2D"](x)
