r"""Exact proof that fields transform by permutation matrices.

When every field representation ``rho`` of a feature map sends each generator ``g`` to a permutation
matrix, ``rho(g)`` commutes with every entrywise map, :math:`\sigma(\rho(g) f) = \rho(g) \sigma(f)`, and
leaves every symmetric reduction of a field (maximum, mean) unchanged: the equivariance of a pointwise
nonlinearity and the invariance of group pooling (Cohen & Welling, ICML 2016, Sec. 6.3). Both act
pointwise in space, so they commute with the spatial action too.

>>> from groupconv.groups import Dihedral
>>> from groupconv.reps import irrep, regular
>>> D4 = Dihedral(4)
>>> certify_permutation_fields([regular(D4), regular(D4)])[0]
True
>>> certify_permutation_fields([irrep(D4, 1, 1)])[0]
False
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..groups.base import FiniteGroup
from ..reps.representation import Representation
from ..utils.lazy import sympy

__all__ = ["certify_permutation_fields"]


def certify_permutation_fields(fields: Any) -> tuple[bool, str]:
    """Prove that every field of ``fields`` transforms by permutation matrices: for each generator ``g``
    the exact matrix ``rho(g)`` has entries in ``{0, 1}`` with a single 1 in every row and column.

    Generators suffice since products of permutation matrices are permutation matrices.

    Parameters
    ----------
    fields:
        An object with ``representations`` (and ``group``), such as a
        :class:`~groupconv.nn.FieldType`, or a sequence of representations of one finite group.

    Returns
    -------
    (proved, reason)
    """
    reps = getattr(fields, "representations", fields)
    if not isinstance(reps, Sequence) or not all(isinstance(r, Representation) for r in reps):
        raise TypeError(
            "certify_permutation_fields takes a field type (an object with .representations) or a sequence of "
            f"Representations, got {type(fields).__name__}"
        )
    if not reps:
        raise ValueError("certify_permutation_fields: no field representations given")
    group = getattr(fields, "group", reps[0].group)
    described = repr(fields) if hasattr(fields, "representations") else f"[{', '.join(map(repr, reps))}]"
    if not isinstance(group, FiniteGroup):
        # a trivial field is fixed by every element, rho(g) = identity, of any group
        for i, rep in enumerate(reps):
            if not rep.is_trivial():
                return False, (
                    f"field {i} ({rep!r}) of the continuous group {group} is not trivial, so not a "
                    "permutation representation"
                )
        return True, f"every field of {described} is trivial: rho(g) is the identity for every g"
    gens = group.generators() if hasattr(group, "generators") else list(range(group.order))
    for i, rep in enumerate(reps):
        for g in gens:
            m = sympy.Matrix(rep.exact(int(g)))
            ok = all(v in (0, 1) for v in m) and all(sum(m.row(r)) == 1 for r in range(m.rows))
            ok = ok and all(sum(m.col(c)) == 1 for c in range(m.cols))
            if not ok:
                return (
                    False,
                    f"field {i} ({rep!r}) is not a permutation representation: rho({g}) = {m.tolist()}",
                )
    return (
        True,
        f"the {len(reps)} fields of {described} transform by permutation matrices (exact, generators "
        f"{gens}), which commute with entrywise maps and symmetric reductions",
    )
