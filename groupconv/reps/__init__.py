"""Representations of compact groups: irreps, characters, direct sums, tensor products,
Clebsch-Gordan decompositions, regular, quotient, induced and restricted representations.

Examples
--------
>>> from groupconv.groups import Dihedral
>>> from groupconv.reps import irrep, regular
>>> rho = regular(Dihedral(4)) + irrep(Dihedral(4), 1, 1)
>>> rho, rho.dim
(D4[regular + irrep(1,1)], 10)
"""

from __future__ import annotations

from .characters import CharacterTable, character_table, irrep_listing
from .clebsch_gordan_continuous import (
    complex_to_real,
    so3_clebsch_gordan,
    so3_clebsch_gordan_exact,
    su2_clebsch_gordan,
    wigner_J_exact,
)
from .complex import ComplexIrrep, complex_form, complex_irreps
from .decomposition import (
    clebsch_gordan,
    clebsch_gordan_exact,
    decompose,
    decompose_exact,
    from_matrices,
    integration_grid,
    register_clebsch_gordan,
    tensor_product,
)
from .irreps import J2, O2Irrep, SO2Irrep, TableIrrep, irrep, irreps, register_irreps
from .operations import induced, restrict, standard, trivial
from .parse import parse_atom, parse_representation
from .permutation import PermutationRepresentation, permutation_representation, quotient, regular
from .polyhedral import IRREP_NAMES, polyhedral_irreps
from .product import FiniteProductIrrep, ProductIrrep, product_irrep_factors
from .representation import Irrep, Representation, block_diagonal, directsum
from .spatial import (
    O3Irrep,
    SO3Irrep,
    so3_character,
    spherical_harmonics,
    wigner_D,
    wigner_D_exact,
    wigner_d_small,
    wigner_D_z,
    wigner_J,
)
from .symmetric import SymmetricIrrep, partitions, standard_tableaux

__all__ = [
    "Representation",
    "Irrep",
    "CharacterTable",
    "character_table",
    "irrep_listing",
    "TableIrrep",
    "SO2Irrep",
    "O2Irrep",
    "J2",
    "SO3Irrep",
    "O3Irrep",
    "wigner_D",
    "wigner_D_exact",
    "wigner_D_z",
    "wigner_d_small",
    "wigner_J",
    "so3_character",
    "spherical_harmonics",
    "so3_clebsch_gordan",
    "so3_clebsch_gordan_exact",
    "su2_clebsch_gordan",
    "complex_to_real",
    "wigner_J_exact",
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
    "clebsch_gordan_exact",
    "ComplexIrrep",
    "complex_irreps",
    "complex_form",
    "register_clebsch_gordan",
    "trivial",
    "standard",
    "regular",
    "quotient",
    "induced",
    "restrict",
    "permutation_representation",
    "PermutationRepresentation",
    "parse_representation",
    "parse_atom",
    "SymmetricIrrep",
    "IRREP_NAMES",
    "polyhedral_irreps",
    "FiniteProductIrrep",
    "ProductIrrep",
    "product_irrep_factors",
    "partitions",
    "standard_tableaux",
]
