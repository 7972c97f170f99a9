"""Catalogue of bad inputs to the polyhedral groups O, Oh, I, Ih and their irreps: each raises the expected
exception type with a message naming what was expected and what was given."""

from __future__ import annotations

import pytest
import torch

from groupconv.groups import (
    SO3,
    Cyclic,
    Dihedral,
    FullIcosahedral,
    FullOctahedral,
    Icosahedral,
    Octahedral,
    grid_permutation,
    group_from_name,
    inclusion,
    transform_grid,
)
from groupconv.reps import irrep, parse_representation


def test_element_indices_out_of_range_or_of_the_wrong_type():
    O = Octahedral()
    with pytest.raises(ValueError, match=r"element indices of O lie in \[0, 24\), got 24"):
        O.exact_matrix(24)
    with pytest.raises(ValueError, match=r"element indices of Ih lie in \[0, 120\), got -1"):
        FullIcosahedral().class_label(-1)
    with pytest.raises(TypeError, match="exact_matrix takes an element index \\(int\\), got float"):
        O.exact_matrix(1.0)
    with pytest.raises(ValueError, match=r"exact_matrix takes one element, got a tensor of shape \(2,\)"):
        O.exact_matrix(torch.tensor([1, 2]))
    with pytest.raises(TypeError, match="elements of Oh are integer index tensors, got dtype torch.float32"):
        FullOctahedral().action_matrix(torch.tensor([1.0]))
    with pytest.raises(ValueError, match=r"element indices of I lie in \[0, 60\), got range \[0, 60\]"):
        Icosahedral().action_matrix(torch.tensor([0, 60]))


def test_index_of_refuses_matrices_outside_the_group():
    with pytest.raises(ValueError, match="a matrix is not an element of O"):
        Octahedral().index_of(-torch.eye(3, dtype=torch.float64))
    with pytest.raises(ValueError, match=r"index_of takes matrices of shape \(\.\.\., 3, 3\), got \(3,\)"):
        Octahedral().index_of(torch.ones(3))


def test_group_names():
    with pytest.raises(ValueError, match="cannot parse group name 'O5' at position 0"):
        group_from_name("O5")
    with pytest.raises(ValueError, match="expected one of .*O, Oh, I, Ih"):
        group_from_name("Td")


def test_grids():
    vol = torch.zeros(2, 3, 4)
    with pytest.raises(
        ValueError, match="element 9 of O exchanges grid axes of different sizes, got 2 x 3 x 4"
    ):
        transform_grid(vol, Octahedral(), 9)
    with pytest.raises(ValueError, match="only O, Oh act on a voxel grid .* by permutation, got I;"):
        grid_permutation(Icosahedral(), 1, 3, 3, 3)
    with pytest.raises(
        ValueError, match=r"only C1, C2, C4, D1, D2, D4 act on a pixel grid .*got Oh \(it permutes"
    ):
        transform_grid(torch.zeros(4, 4), FullOctahedral(), 1, spatial_dims=2)
    with pytest.raises(
        ValueError, match=r"a grid of 3 axes needs a tensor of at least 3 dimensions, got \(4, 4\)"
    ):
        transform_grid(torch.zeros(4, 4), Octahedral(), 1)


def test_inclusions_that_do_not_exist():
    with pytest.raises(ValueError, match="Oh is not a known subgroup of SO3"):
        inclusion(FullOctahedral(), SO3())
    with pytest.raises(ValueError, match="C5 is not a known subgroup of O"):
        inclusion(Cyclic(5), Octahedral())
    with pytest.raises(ValueError, match="D4 is not a known subgroup of Ih"):
        inclusion(Dihedral(4), FullIcosahedral())


@pytest.mark.parametrize(
    "group, args, expected",
    [
        (Octahedral(), (5,), r"irreps of O are irrep\(j\) with j in 0..4, got irrep\(5\)"),
        (Octahedral(), (1, 0), r"irreps of O are irrep\(j\) with j in 0..4, got irrep\(1, 0\)"),
        (Icosahedral(), (True,), r"irreps of I are irrep\(j\) with j in 0..4, got irrep\(True\)"),
        (
            FullOctahedral(),
            (3,),
            r"irreps of Oh are irrep\(j, p\) with j in 0..4 and p in \{0, 1\}, got irrep\(3\)",
        ),
        (FullIcosahedral(), (3, -1), r"irreps of Ih are irrep\(j, p\) .*, got irrep\(3, -1\)"),
        (FullIcosahedral(), ("T1", 1), r"irreps of Ih are irrep\(j, p\) .*, got irrep\('T1', 1\)"),
    ],
)
def test_irrep_identifiers(group, args, expected):
    with pytest.raises(ValueError, match=expected):
        irrep(group, *args)


def test_unknown_irrep_name_in_a_printed_representation():
    with pytest.raises(ValueError, match="unknown representation atom 'T3'.*the name of an irrep"):
        parse_representation("O[T1 + T3]")
    with pytest.raises(ValueError, match="unknown representation atom 'T1'"):
        parse_representation("D4[T1]")
