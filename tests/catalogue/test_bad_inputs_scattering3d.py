"""Bad inputs to HarmonicScattering3D and its filter bank: every refusal names what was expected and what
was given."""

from __future__ import annotations

import pytest
import torch

from groupconv.scattering import HarmonicScattering3D
from groupconv.scattering.solid_harmonics import solid_harmonic_bank
from groupconv.utils.memory import MemoryBudgetError, memory_budget


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"shape": (8, 8)}, r"shape must be a tuple \(M, N, O\) of three ints, got \(8, 8\)"),
        ({"shape": (8, 0, 8)}, r"three positive ints, got \(8, 0, 8\)"),
        ({"shape": (8, 8.0, 8)}, r"three positive ints"),
        ({"J": -1}, r"J must be an int >= 0, got -1"),
        ({"J": 1.5}, r"J must be an int >= 0, got 1.5"),
        ({"L": -2}, r"L must be an int >= 0, got -2"),
        ({"sigma_0": 0.0}, r"sigma_0 must be a positive number, got 0.0"),
        ({"sigma_0": float("inf")}, r"sigma_0 must be finite"),
        ({"max_order": 3}, r"max_order must be 1 or 2, got 3"),
        ({"max_order": 0}, r"max_order must be 1 or 2, got 0"),
        ({"integral_powers": ()}, r"integral_powers must be a non-empty sequence"),
        ({"integral_powers": (1.0, -0.5)}, r"integral_powers must hold positive finite numbers"),
        ({"integral_powers": "12"}, r"integral_powers must be a non-empty sequence"),
        ({"J": 4}, r"sigma_0 2\^J = 16, is wider than the grid's smallest side \(8\).*use J <= 3"),
        (
            {"J": 2, "shape": (16, 3, 16)},
            r"sigma_0 2\^J = 4, is wider than the grid's smallest side \(3\).*J <= 1",
        ),
        ({"J": 0, "sigma_0": 9.0}, r"sigma_0 2\^J = 9, is wider.*use a smaller sigma_0"),
    ],
)
def test_bad_construction(kwargs, match):
    args = {"J": 1, "shape": (8, 8, 8)} | kwargs
    with pytest.raises(ValueError, match=match):
        HarmonicScattering3D(**args)


def test_rotation_covariant_must_be_bool():
    with pytest.raises(TypeError, match="rotation_covariant must be a bool, got str"):
        HarmonicScattering3D(1, (8, 8, 8), rotation_covariant="yes")


def test_bank_over_the_memory_budget_is_refused_before_allocation():
    with memory_budget("1 MiB"), pytest.raises(MemoryBudgetError, match="solid harmonic bank of 32 filters"):
        solid_harmonic_bank((32, 32, 32), J=1, L=3)


@pytest.fixture(scope="module")
def module():
    return HarmonicScattering3D(1, (6, 6, 6), L=1)


@pytest.mark.parametrize(
    ("x", "error", "match"),
    [
        (torch.rand(2, 6, 6), ValueError, r"expects input of shape \(\.\.\., 6, 6, 6\), got \(2, 6, 6\)"),
        (
            torch.rand(2, 6, 6, 7),
            ValueError,
            r"expects input of shape \(\.\.\., 6, 6, 6\), got \(2, 6, 6, 7\)",
        ),
        (
            torch.ones(1, 6, 6, 6, dtype=torch.long),
            TypeError,
            r"expects a real floating tensor, got torch.int64",
        ),
        (
            torch.rand(1, 6, 6, 6, dtype=torch.complex64),
            TypeError,
            r"real floating tensor, got torch.complex64",
        ),
        (
            torch.rand(1, 6, 6, 6).half(),
            TypeError,
            r"computes in torch.float32 or torch.float64, got torch.float16",
        ),
        (
            torch.rand(1, 6, 6, 6, dtype=torch.float64),
            TypeError,
            r"has torch.float32 filters but got torch.float64",
        ),
    ],
)
def test_bad_input(module, x, error, match):
    with pytest.raises(error, match=match):
        module(x)


def test_not_a_tensor(module):
    with pytest.raises(TypeError, match="expects a torch.Tensor, got list"):
        module([[[0.0]]])
    with pytest.raises(TypeError, match="expects a torch.Tensor, got ndarray"):
        module.order0(torch.rand(6, 6, 6).numpy())


def test_energies_refuse_bad_input_too(module):
    with pytest.raises(ValueError, match=r"got \(6, 6\)"):
        module.energies(torch.rand(6, 6))
