"""Character tables of finite groups, and a listing of the irreps of the continuous groups.

:func:`character_table` returns a :class:`CharacterTable`: one row per (real) irrep, one column per
conjugacy class. Classes are labelled by cycle type for ``S_n`` (``"(2,1,1)"``), by the rotation ``r^k``
(by ``2 pi k / n``) and the reflection ``f`` for ``C_n`` and ``D_n`` (``"r^2"``, ``"r f"``; element
``r^k f^s`` as in :class:`~groupconv.groups.Dihedral`), by their Schoenflies symbol and rotation angle for
the polyhedral groups (``"C4 (90 deg)"``, ``"i"``, ``"S6"``; see
:meth:`~groupconv.groups.PolyhedralGroup.class_label`), and by the index of their smallest element
(``"g=5"``) otherwise.

The irreps are real, so a complex-type irrep of dimension ``d`` is the realification of a complex irrep
of dimension ``d / 2``. With ``e = 1, 2, 4`` for types ``R, C, H`` (the dimension of the algebra of
matrices commuting with the irrep), the rows satisfy
``(1/|G|) sum_c |c| chi_a(c) chi_b(c) = e_a delta_ab`` and ``sum_a d_a^2 / e_a = |G|``.

Examples
--------
>>> from groupconv.groups import Cyclic
>>> table = character_table(Cyclic(5))
>>> table.labels
('e', 'r', 'r^2', 'r^3', 'r^4')
>>> table.exact[1][1]
-1/2 + sqrt(5)/2
>>> print(table)
   irrep  dim  type  e (x1)            r (x1)          r^2 (x1)          r^3 (x1)          r^4 (x1)
---------------------------------------------------------------------------------------------------
irrep(0)    1     R       1                 1                 1                 1                 1
irrep(1)    2     C       2  -1/2 + sqrt(5)/2  -sqrt(5)/2 - 1/2  -sqrt(5)/2 - 1/2  -1/2 + sqrt(5)/2
irrep(2)    2     C       2  -sqrt(5)/2 - 1/2  -1/2 + sqrt(5)/2  -1/2 + sqrt(5)/2  -sqrt(5)/2 - 1/2
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ..groups.base import FiniteGroup, Group
from ..groups.planar import O2, SO2, Cyclic, Dihedral
from ..groups.polyhedral import PolyhedralGroup
from ..groups.spatial import O3, SO3
from ..groups.symmetric import Symmetric
from ..utils.lazy import sympy
from .irreps import irreps as _irreps_of
from .representation import Irrep

__all__ = ["CharacterTable", "character_table", "irrep_listing", "TYPE_LEGEND", "ENDOMORPHISM_DIM"]

#: The dimension ``e`` of the endomorphism algebra of a real irrep of each type.
ENDOMORPHISM_DIM = {"R": 1, "C": 2, "H": 4}

#: One line that explains the irrep types and ``e``.
TYPE_LEGEND = (
    "type: R real, C complex (a complex irrep of dimension d/2 written as real), H quaternionic\n"
    "e = 1, 2, 4 for R, C, H: the dimension of the matrices that commute with the irrep"
)


_MAX_EXACT_WIDTH = 16


@dataclass(frozen=True)
class CharacterTable:
    """The real character table of a finite group.

    Attributes
    ----------
    group:
        the group.
    representatives:
        one element index per conjugacy class (its smallest element).
    labels:
        a label per class (cycle type, ``r^k f^s``, or ``g=<index>``).
    sizes:
        the number of elements of each class.
    irreps:
        the real irreps, one per row.
    exact:
        the characters as sympy expressions, ``exact[i][j] = chi_i(class j)``, or ``None`` when the
        table was built with ``exact=False`` or an irrep has no exact form.
    values:
        the characters as a float64 array of shape ``(len(irreps), len(classes))`` (read-only).

    ``str(table)`` aligns the table; it prints an exact value when it has at most 16 characters and the
    numeric value (4 significant digits) otherwise.
    """

    group: FiniteGroup
    representatives: tuple[int, ...]
    labels: tuple[str, ...]
    sizes: tuple[int, ...]
    irreps: tuple[Irrep, ...]
    exact: tuple[tuple[sympy.Expr, ...], ...] | None
    values: np.ndarray

    @property
    def types(self) -> tuple[str, ...]:
        """The type ``R``, ``C`` or ``H`` of each irrep."""
        return tuple(ir.type for ir in self.irreps)

    def sum_d2_over_e(self) -> sympy.Rational:
        """``sum_a d_a^2 / e_a``, which equals the order of the group."""
        return sum((sympy.Rational(ir.dim**2, ENDOMORPHISM_DIM[ir.type]) for ir in self.irreps), sympy.S(0))

    def summary(self) -> str:
        """One line: the order, the number of classes and ``sum of d^2/e``."""
        return (
            f"{self.group}: order {self.group.order}, {len(self.sizes)} conjugacy classes, "
            f"sum of d^2/e = {self.sum_d2_over_e()}"
        )

    def legend(self) -> str:
        """What the labels, the types and ``sum of d^2/e`` mean, in a few lines."""
        lines = [
            TYPE_LEGEND,
            f"sum of d^2/e over the irreps = |G| = {self.group.order}; (xN): the class size",
        ]
        if isinstance(self.group, (Cyclic, Dihedral)):
            n = self.group.n
            f = ", f: the reflection across the x-axis" if isinstance(self.group, Dihedral) else ""
            lines.append(f"classes: r^k the rotation by 2 pi k/{n}{f}")
        elif isinstance(self.group, Symmetric):
            lines.append("classes: the cycle type of the permutations")
        elif isinstance(self.group, PolyhedralGroup):
            lines.append(
                "classes: Cn a rotation by 360/n deg (C2' about a 2-fold axis of O), i the inversion -I, "
                "Sn a rotoreflection, sigma a mirror (sigma_h across a coordinate plane, sigma_d a diagonal one)"
            )
        else:
            lines.append("classes: g=<index of the smallest element of the class>")
        return "\n".join(lines)

    def _cell(self, i: int, j: int) -> str:
        # exact values are printed when they are short; longer radicals as their numeric value
        if self.exact is not None and len(str(self.exact[i][j])) <= _MAX_EXACT_WIDTH:
            return str(self.exact[i][j])
        v = float(self.values[i, j])
        return f"{v:.4g}" if abs(v) > 1e-12 else "0"

    def to_text(self, width: int | None = None) -> str:
        """The table as aligned text. With ``width``, the class columns are split into blocks of at most
        ``width`` characters, one under the other, each repeating the irrep, dim and type columns (a
        class column wider than that on its own gets a block of its own).

        >>> from groupconv.groups import Cyclic
        >>> print(character_table(Cyclic(2)).to_text(width=30))
           irrep  dim  type  e (x1)
        ---------------------------
        irrep(0)    1     R       1
        irrep(1)    1     R       1
        <BLANKLINE>
           irrep  dim  type  r (x1)
        ---------------------------
        irrep(0)    1     R       1
        irrep(1)    1     R      -1
        """
        head = ["irrep", "dim", "type"] + [f"{lab} (x{s})" for lab, s in zip(self.labels, self.sizes)]
        rows = [
            [ir.name, str(ir.dim), ir.type] + [self._cell(i, j) for j in range(len(self.sizes))]
            for i, ir in enumerate(self.irreps)
        ]
        widths = [max(len(r[k]) for r in [head] + rows) for k in range(len(head))]
        lead = sum(widths[:3]) + 2 * 3
        blocks, start = [], 3
        while start < len(head):
            end, used = start + 1, lead + widths[start]
            while end < len(head) and (width is None or used + 2 + widths[end] <= width):
                used += 2 + widths[end]
                end += 1
            blocks.append([0, 1, 2, *range(start, end)])
            start = end
        parts = []
        for cols in blocks:
            lines = ["  ".join(r[k].rjust(widths[k]) for k in cols) for r in [head] + rows]
            lines.insert(1, "-" * len(lines[0]))
            parts.append("\n".join(lines))
        return "\n\n".join(parts)

    __str__ = to_text


def _power(k: int) -> str:
    return "" if k == 0 else "r" if k == 1 else f"r^{k}"


def _class_label(group: FiniteGroup, g: int) -> str:
    if isinstance(group, Symmetric):
        return "(" + ",".join(str(c) for c in group.cycle_type(g)) + ")"
    if isinstance(group, Cyclic):
        return _power(g) or "e"
    if isinstance(group, Dihedral):
        k, s = g % group.n, g // group.n
        return " ".join(p for p in (_power(k), "f" if s else "") if p) or "e"
    if isinstance(group, PolyhedralGroup):
        return group.class_label(g)
    return f"g={g}"


def _reduced_cos(angle: sympy.Expr) -> sympy.Expr:
    return sympy.cos(angle - 2 * sympy.pi * sympy.floor(angle / (2 * sympy.pi)))


def _exact_character(ir: Irrep, g: int) -> sympy.Expr:
    chi = ir.exact(g).trace()
    # the traces of the rotation irreps of C_n and D_n are already 2 cos(2 pi k m / n) or 0
    if chi.is_Rational or isinstance(ir.group, (Cyclic, Dihedral)):
        return chi.replace(sympy.cos, _reduced_cos)
    if isinstance(ir.group, PolyhedralGroup):
        # sums of square roots of integers with rational coefficients: expanding collects them exactly
        return sympy.expand(chi)
    return sympy.simplify(chi)


def character_table(group: FiniteGroup, exact: bool = True) -> CharacterTable:
    """The character table of the finite group ``group``, with its classes labelled.

    Parameters
    ----------
    group:
        a finite group (``Cyclic``, ``Dihedral``, ``Symmetric``, a finite direct product, ...).
    exact:
        also compute the characters as sympy expressions from the irreps' exact matrices (integers for
        ``S_n``, ``2 cos(2 pi k m / n)`` in radicals where sympy has them for ``C_n`` and ``D_n``).

    Returns
    -------
    CharacterTable

    Raises
    ------
    TypeError
        if ``group`` is not a finite group.

    Examples
    --------
    >>> from groupconv.groups import Dihedral, Symmetric
    >>> character_table(Dihedral(4)).labels
    ('e', 'r', 'r^2', 'f', 'r f')
    >>> t = character_table(Symmetric(4))
    >>> list(zip(t.labels, t.sizes))
    [('(1,1,1,1)', 1), ('(2,1,1)', 6), ('(3,1)', 8), ('(2,2)', 3), ('(4)', 6)]
    """
    if not isinstance(group, Group):
        raise TypeError(f"character_table takes a group, got {type(group).__name__}")
    if not isinstance(group, FiniteGroup):
        raise TypeError(f"character_table takes a finite group, got {group}; use irrep_listing for {group}")
    classes = group.conjugacy_classes
    reps = tuple(int(c[0]) for c in classes)
    irs = tuple(_irreps_of(group))
    g = torch.as_tensor(reps, dtype=torch.long)
    values = np.stack([ir.character(g).numpy() for ir in irs]).astype(np.float64)
    values.setflags(write=False)
    exact_values = None
    if exact:
        try:
            exact_values = tuple(tuple(_exact_character(ir, r) for r in reps) for ir in irs)
        except NotImplementedError:
            exact_values = None
    return CharacterTable(
        group=group,
        representatives=reps,
        labels=tuple(_class_label(group, r) for r in reps),
        sizes=tuple(len(c) for c in classes),
        irreps=irs,
        exact=exact_values,
        values=values,
    )


_CHARACTER_FORMULA = {
    SO2: "chi_0 = 1, chi_k(t) = 2 cos(k t) for the rotation by t",
    O2: "irrep(1,k): chi(t, s) = 2 cos(k t) on rotations, 0 on reflections; irrep(1,0) is the determinant",
    SO3: "chi_l(t) = sin((2l+1) t/2) / sin(t/2) for a rotation by the angle t",
    O3: "irrep(l,p): chi = chi_l(t) on rotations, p times chi_l of the rotation part on the others",
}


def irrep_listing(group: Group, max_degree: int = 3) -> str:
    """The irreps of a continuous group up to degree ``max_degree`` as an aligned table: name, degree,
    dimension, type and ``e``, then the character formula and the legend of the types.

    Examples
    --------
    >>> from groupconv.groups import SO3
    >>> print(irrep_listing(SO3(), max_degree=1))  # doctest: +NORMALIZE_WHITESPACE
       irrep  degree  dim  type  e
    ------------------------------
    irrep(0)       0    1     R  1
    irrep(1)       1    3     R  1
    <BLANKLINE>
    SO3: 2 irreps of degree <= 1; chi_l(t) = sin((2l+1) t/2) / sin(t/2) for a rotation by the angle t
    type: R real, C complex (a complex irrep of dimension d/2 written as real), H quaternionic
    e = 1, 2, 4 for R, C, H: the dimension of the matrices that commute with the irrep
    """
    if not isinstance(group, Group):
        raise TypeError(f"irrep_listing takes a group, got {type(group).__name__}")
    if isinstance(max_degree, bool) or not isinstance(max_degree, int) or max_degree < 0:
        raise ValueError(f"max_degree must be an integer >= 0, got {max_degree!r}")
    irs = _irreps_of(group, max_degree=max_degree)
    head = ["irrep", "degree", "dim", "type", "e"]
    rows = [[ir.name, str(ir.degree), str(ir.dim), ir.type, str(ENDOMORPHISM_DIM[ir.type])] for ir in irs]
    widths = [max(len(r[k]) for r in [head] + rows) for k in range(len(head))]
    lines = ["  ".join(c.rjust(w) for c, w in zip(r, widths)) for r in [head] + rows]
    lines.insert(1, "-" * len(lines[0]))
    formula = next((f for cls, f in _CHARACTER_FORMULA.items() if type(group) is cls), None)
    tail = f"; {formula}" if formula else ""
    lines.append(f"\n{group}: {len(irs)} irreps of degree <= {max_degree}{tail}")
    lines.append(TYPE_LEGEND)
    return "\n".join(lines)
