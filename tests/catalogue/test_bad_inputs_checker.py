"""Bad inputs to the equivariance checker: each raises a clear error that names what was expected and
what was given."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from groupconv.groups import SO2, Cyclic, Dihedral
from groupconv.nn import FieldType
from groupconv.reps import regular
from groupconv.testing import assert_equivariant
from groupconv.verify import Action, act, check_equivariance, choose_elements, default_tolerances

G = Dihedral(4)
REG = FieldType(G, [regular(G)])


class _Mean(nn.Module):
    def __init__(self):
        super().__init__()
        self.in_type = self.out_type = REG

    def forward(self, x):
        return x.mean(1, keepdim=True).expand_as(x)


def _x():
    return torch.randn(1, 8, 5, 5)


def test_untyped_option_must_be_warn_or_fail():
    with pytest.raises(ValueError, match=r"untyped must be 'warn' or 'fail', got 'ignore'"):
        check_equivariance(_Mean(), _x(), untyped="ignore")


def test_negative_atol_is_refused():
    with pytest.raises(ValueError, match=r"atol must be a non-negative number or None .*got -1"):
        check_equivariance(_Mean(), _x(), atol=-1.0)


def test_non_numeric_rtol_is_refused():
    with pytest.raises(ValueError, match=r"rtol must be a non-negative number or None .*got 'tight'"):
        check_equivariance(_Mean(), _x(), rtol="tight")


def test_nan_rtol_is_refused():
    with pytest.raises(ValueError, match=r"rtol must be a non-negative number or None .*got nan"):
        check_equivariance(_Mean(), _x(), rtol=float("nan"))


def test_integer_dtype_has_no_tolerance():
    with pytest.raises(ValueError, match=r"float64, float32, float16 or bfloat16, got dtype torch.int32"):
        check_equivariance(_Mean(), _x(), dtype=torch.int32)
    with pytest.raises(ValueError, match=r"got dtype torch.complex64"):
        default_tolerances(torch.complex64)


def test_model_must_be_a_module():
    with pytest.raises(TypeError, match=r"check_equivariance takes an nn.Module, got function"):
        check_equivariance(lambda x: x, _x())


def test_input_must_be_a_tensor():
    with pytest.raises(TypeError, match=r"x must be a torch.Tensor, got list"):
        check_equivariance(_Mean(), [[1.0]])


def test_types_must_name_modules_of_the_model():
    with pytest.raises(ValueError, match=r"types names a module 'head' that the model does not have"):
        check_equivariance(nn.Sequential(_Mean()), _x(), types={"head": (REG, REG)})


def test_a_model_without_types_is_an_error():
    with pytest.raises(ValueError, match=r"no layer with in_type/out_type, so nothing can be checked"):
        check_equivariance(nn.Sequential(nn.Identity()), _x())


def test_negative_sample_count_is_refused():
    with pytest.raises(ValueError, match=r"n_samples must be a non-negative int, got -3"):
        choose_elements(SO2(), n_samples=-3)
    with pytest.raises(ValueError, match=r"n_samples must be a non-negative int, got 2.5"):
        choose_elements(SO2(), n_samples=2.5)


def test_a_type_without_group_needs_elements():
    with pytest.raises(ValueError, match=r"names no group: pass elements"):
        choose_elements(lambda x, g: x)


def test_action_needs_a_group_a_callable_and_a_valid_exact_flag():
    with pytest.raises(TypeError, match=r"Action needs a groupconv Group, got str"):
        Action("C4", lambda x, g: x)
    with pytest.raises(TypeError, match=r"Action needs a callable fn\(x, g\), got int"):
        Action(Cyclic(4), 3)
    with pytest.raises(TypeError, match=r"exact must be a bool or a callable g -> bool, got str"):
        Action(Cyclic(4), lambda x, g: x, exact="yes")


def test_act_on_an_unknown_type_is_a_type_error():
    with pytest.raises(TypeError, match=r"cannot act on a feature of type int"):
        act(3, torch.zeros(2), 0)


def test_assert_equivariant_forwards_the_checks():
    with pytest.raises(ValueError, match=r"untyped must be 'warn' or 'fail', got 'no'"):
        assert_equivariant(_Mean(), _x(), untyped="no")
    with pytest.raises(ValueError, match=r"atol must be a non-negative number or None .*got -0.5"):
        assert_equivariant(lambda v: v, G, regular(G), regular(G), atol=-0.5)
