"""Catalogue of bad inputs to groups, representations, Fourier transforms and the memory budget: each
raises the expected exception type with a message naming what was expected and what was given (or, for
NaN, propagates it as torch does)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import groupconv
from groupconv.fourier import (
    FourierCoefficients,
    fourier_transform,
    function_space,
    inverse_fourier_transform,
)
from groupconv.groups import SO2, Cyclic, Dihedral, Symmetric
from groupconv.reps import directsum, irrep, permutation_representation, quotient, regular, tensor_product
from groupconv.utils.memory import ENV_VARIABLE, MemoryBudgetError, get_memory_budget, parse_size

# -- group orders -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "make, arg",
    [(Cyclic, 0), (Cyclic, -3), (Cyclic, 2.5), (Cyclic, True), (Cyclic, "4"), (Dihedral, 0), (Symmetric, 0)],
)
def test_group_orders(make, arg):
    with pytest.raises(ValueError, match=rf"{make.__name__}\(n\) needs an integer n >= 1, got {arg!r}"):
        make(arg)


def test_huge_order_cayley_table_refuses():
    with pytest.raises(MemoryBudgetError, match=r"Cayley table of C100000 \(100000 x 100000 indices\)"):
        _ = Cyclic(100000).cayley_table_np


def test_order_whose_table_fits_but_not_its_change_of_basis():
    # under a 1 MiB budget the Cayley table of C301 fits (708 KiB), its dense change of basis (2 MiB) does not
    with groupconv.memory_budget("1MiB"):
        rep = regular(Cyclic(301))
        with pytest.raises(MemoryBudgetError, match=r"change of basis of C301\[regular\].*rep\.act"):
            _ = rep.change_of_basis
        x = torch.randn(301)
        assert torch.equal(rep.act(x, torch.tensor(1)), torch.roll(x, 1))


@pytest.mark.parametrize("G, count", [(Cyclic(20000), 10001), (Dihedral(20000), 10003)], ids=str)
def test_irreps_of_a_huge_planar_group_refuse(G, count):
    from groupconv.reps import irreps

    with pytest.raises(MemoryBudgetError, match=rf"tables of the {count} irreps of {G}.*smaller order"):
        irreps(G)


def test_symmetric_irreps_of_a_huge_group_refuse():
    from groupconv.reps import irreps

    with pytest.raises(MemoryBudgetError, match=r"tables of the 30 irreps of S9"):
        irreps(Symmetric(9))


# -- elements -----------------------------------------------------------------------------------------------


def test_element_of_float_dtype():
    with pytest.raises(TypeError, match=r"elements of C4 are integer index tensors, got dtype torch.float32"):
        Cyclic(4).compose(torch.tensor(1.0), torch.tensor(1))


@pytest.mark.parametrize("g", [4, -1, 100])
def test_element_out_of_range(g):
    with pytest.raises(ValueError, match=rf"element indices of C4 lie in \[0, 4\), got range \[{g}, {g}\]"):
        Cyclic(4).inverse(torch.tensor(g))


def test_element_not_a_tensor():
    with pytest.raises(TypeError, match="elements of D3 are torch tensors, got int"):
        Dihedral(3).inverse(1)


def test_symmetric_index_of_a_non_permutation():
    with pytest.raises(ValueError, match=r"rows must be permutations of 0..2"):
        Symmetric(3).index_of(torch.tensor([0, 0, 1]))


def test_representation_matrix_of_an_element_out_of_range():
    with pytest.raises(ValueError, match=r"element indices of D3 lie in \[0, 6\)"):
        regular(Dihedral(3))(torch.tensor([6]))


# -- representations ---------------------------------------------------------------------------------------


def test_irrep_id_out_of_range():
    with pytest.raises(ValueError, match=r"irreps of C4 are irrep\(k\) with 0 <= k <= 2, got irrep\(3\)"):
        irrep(Cyclic(4), 3)


def test_regular_of_a_continuous_group():
    with pytest.raises(TypeError, match="regular representation is built for finite groups, got SO2"):
        regular(SO2())


def test_quotient_of_a_continuous_group():
    with pytest.raises(TypeError, match="quotient representations are built for finite groups"):
        quotient(SO2(), Cyclic(2))


def test_tensor_product_of_mismatched_groups():
    with pytest.raises(TypeError, match="expected a representation of C4, got one of C5"):
        tensor_product(regular(Cyclic(4)), regular(Cyclic(5)))


def test_direct_sum_of_mismatched_groups():
    with pytest.raises(TypeError, match="expected a representation of C4, got one of D2"):
        directsum(regular(Cyclic(4)), regular(Dihedral(2)))


def test_permutation_table_of_wrong_shape():
    with pytest.raises(
        ValueError, match=r"permutation table of C4 has shape \(4, d\) with d >= 1, got \(3, 4\)"
    ):
        permutation_representation(Cyclic(4), np.zeros((3, 4), dtype=np.int64))


def test_permutation_table_of_floats():
    with pytest.raises(TypeError, match="permutation table holds integer indices, got dtype float64"):
        permutation_representation(Cyclic(2), np.array([[0.0, 1.0], [1.0, 0.0]]))


def test_permutation_table_rows_not_permutations():
    with pytest.raises(ValueError, match=r"every row of a permutation table must be a permutation of 0..1"):
        permutation_representation(Cyclic(2), np.array([[0, 1], [1, 1]]))


def test_permutation_table_not_a_homomorphism():
    # r -> the transposition, r^2 -> the identity would be fine for C2 but not for C3
    table = np.array([[0, 1], [1, 0], [1, 0]])
    with pytest.raises(ValueError, match=r"not a representation of C3.*generator s = 1"):
        permutation_representation(Cyclic(3), table)


def test_permutation_table_identity_row():
    with pytest.raises(ValueError, match=r"identity must act as the identity permutation"):
        permutation_representation(Cyclic(2), np.array([[1, 0], [0, 1]]))


def test_act_on_vectors_of_the_wrong_dimension():
    with pytest.raises(
        ValueError, match=r"acts on vectors of dimension 6: x must have shape \(\.\.\., 6\), got \(2, 5\)"
    ):
        regular(Dihedral(3)).act(torch.zeros(2, 5), torch.tensor(1))


def test_act_on_a_non_tensor():
    with pytest.raises(TypeError, match=r"act takes a torch tensor x of shape \(\.\.\., 4\), got list"):
        regular(Cyclic(4)).act([0.0, 1.0, 2.0, 3.0], torch.tensor(1))


def test_act_of_a_non_permutation_representation_checks_too():
    with pytest.raises(ValueError, match=r"acts on vectors of dimension 2"):
        irrep(Cyclic(5), 1).act(torch.zeros(3), torch.tensor(1))


# -- Fourier transforms -------------------------------------------------------------------------------------


def test_fourier_transform_of_the_wrong_shape():
    with pytest.raises(
        ValueError, match=r"f must have shape \(\.\.\., 4\) for functions on L2\(C4\).*got shape \(3, 5\)"
    ):
        fourier_transform(torch.randn(3, 5), Cyclic(4))


def test_fourier_transform_of_integers():
    with pytest.raises(TypeError, match="f must be a float tensor, got dtype torch.int64"):
        fourier_transform(torch.ones(2, 4, dtype=torch.long), Cyclic(4))


def test_fourier_coefficients_of_mismatched_groups():
    a = fourier_transform(torch.randn(2, 4), Cyclic(4))
    b = fourier_transform(torch.randn(2, 5), Cyclic(5))
    with pytest.raises(TypeError, match=r"coefficients of L2\(C4\) and of L2\(C5\) cannot be combined"):
        a @ b


def test_inverse_transform_on_another_group():
    c = fourier_transform(torch.randn(2, 4), Cyclic(4))
    with pytest.raises(TypeError, match="coefficients are those of a function on C4, not on C5"):
        inverse_fourier_transform(c, Cyclic(5))


def test_fourier_coefficients_with_missing_blocks():
    with pytest.raises(ValueError, match=r"L2\(C4\) has 3 irreps, got 1 coefficient blocks"):
        FourierCoefficients(function_space(Cyclic(4)), [torch.zeros(1, 1)])


@pytest.mark.parametrize("G", [Cyclic(4), Dihedral(3), Symmetric(3)], ids=str)
def test_nan_propagates_through_the_transforms(G):
    f = torch.randn(2, G.order, dtype=torch.float64)
    f[0, 1] = float("nan")
    c = fourier_transform(f, G)
    assert all(torch.isnan(b[0]).any() for b in c.blocks)
    assert all(not torch.isnan(b[1]).any() for b in c.blocks)
    back = inverse_fourier_transform(c)
    assert torch.isnan(back[0]).all() and torch.allclose(back[1], f[1])


@pytest.mark.parametrize("G", [Cyclic(4), Dihedral(3), Symmetric(3)], ids=str)
def test_fourier_transform_of_batch_zero(G):
    c = fourier_transform(torch.randn(0, G.order), G)
    assert c.batch_shape == (0,)
    assert inverse_fourier_transform(c).shape == (0, G.order)


# -- the memory budget --------------------------------------------------------------------------------------


@pytest.mark.parametrize("size", ["lots", "5 parsecs", "-1GiB", "GiB"])
def test_budget_of_an_unparsable_size(size):
    with pytest.raises(ValueError, match=rf"memory size is a number with an optional unit.*got {size!r}"):
        groupconv.memory_budget(size)
    assert get_memory_budget() == groupconv.memory_budget.default


@pytest.mark.parametrize("size", [-5, float("nan")])
def test_budget_of_a_negative_or_nan_number(size):
    with pytest.raises(ValueError, match="memory size must be a non-negative number of bytes"):
        parse_size(size)


@pytest.mark.parametrize("size", [[1], True, None.__class__])
def test_budget_of_the_wrong_type(size):
    with pytest.raises(TypeError, match="memory size is a number of bytes or a string like '16GiB'"):
        parse_size(size)


def test_budget_from_an_unparsable_environment_variable(monkeypatch):
    monkeypatch.setenv(ENV_VARIABLE, "plenty")
    with pytest.raises(
        ValueError, match=rf"environment variable {ENV_VARIABLE}='plenty' is not a memory size"
    ):
        get_memory_budget()
