"""Representations of compact groups: irreps, characters, direct sums, tensor products,
Clebsch-Gordan decompositions, regular, quotient, induced and restricted representations."""

from __future__ import annotations

from .irreps import J2, O2Irrep, SO2Irrep, TableIrrep, irrep, irreps, register_irreps
from .operations import (
    clebsch_gordan,
    decompose,
    decompose_exact,
    from_matrices,
    induced,
    integration_grid,
    permutation_representation,
    quotient,
    register_clebsch_gordan,
    regular,
    restrict,
    standard,
    tensor_product,
    trivial,
)
from .product import FiniteProductIrrep, ProductIrrep, product_irrep_factors
from .representation import Irrep, Representation, block_diagonal, directsum
from .symmetric import SymmetricIrrep, partitions, standard_tableaux

__all__ = [
    "Representation",
    "Irrep",
    "TableIrrep",
    "SO2Irrep",
    "O2Irrep",
    "J2",
    "irrep",
    "irreps",
    "register_irreps",
    "directsum",
    "block_diagonal",
    "decompose",
    "decompose_exact",
    "from_matrices",
    "integration_grid",
    "tensor_product",
    "clebsch_gordan",
    "register_clebsch_gordan",
    "trivial",
    "standard",
    "regular",
    "quotient",
    "induced",
    "restrict",
    "permutation_representation",
    "SymmetricIrrep",
    "FiniteProductIrrep",
    "ProductIrrep",
    "product_irrep_factors",
    "partitions",
    "standard_tableaux",
]
