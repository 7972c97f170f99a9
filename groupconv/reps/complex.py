"""Complex (unitary) irreps, on request.

Every real irrep of *real type* stays irreducible over the complex numbers. A real irrep ``sigma`` of
*complex type* has an endomorphism ``J`` with ``J^2 = -I``; over the complex numbers it splits into two
conjugate irreps, the restrictions of ``sigma`` to the eigenspaces ``J u = +i u`` and ``J u = -i u``:

.. math::  \\sigma_\\pm(g) = U_\\pm^\\dagger \\, \\sigma(g) \\, U_\\pm .

For ``C_n`` and ``SO(2)`` this gives the characters ``e^{+i k theta}`` and ``e^{-i k theta}``.

Examples
--------
>>> from groupconv.groups import Cyclic
>>> complex_irreps(Cyclic(4))
[C4[complex irrep(0)], C4[complex irrep(1)+], C4[complex irrep(1)-], C4[complex irrep(2)]]
"""

from __future__ import annotations

import numpy as np
import torch

from ..groups.base import Group
from ..utils.lazy import sympy
from .irreps import irreps
from .representation import Irrep

__all__ = ["ComplexIrrep", "complex_irreps", "complex_form"]


class ComplexIrrep:
    """A unitary irrep obtained from a real irrep (``sign = 0`` for real type, ``+1`` / ``-1`` for the
    eigenspaces of ``J`` of a complex-type irrep)."""

    def __init__(self, real: Irrep, sign: int = 0):
        if real.type == "R":
            if sign != 0:
                raise ValueError(f"{real!r} is of real type: its complex form has sign 0, got {sign}")
            self.basis = np.eye(real.dim, dtype=np.complex128)
        elif real.type == "C":
            if sign not in (1, -1):
                raise ValueError(f"{real!r} is of complex type: choose sign +1 or -1, got {sign}")
            J = real.endomorphism_basis[1]
            w, v = np.linalg.eig(J)
            keep = np.abs(w - 1j * sign) < 1e-8
            q, _ = np.linalg.qr(v[:, keep])
            self.basis = q
        else:
            raise NotImplementedError(f"complex forms of irreps of type {real.type!r} are not implemented")
        self.real = real
        self.sign = sign
        self.group = real.group
        self.dim = self.basis.shape[1]
        self.id = real.id if sign == 0 else (real.id, sign)

    def __call__(self, g: torch.Tensor, dtype: torch.dtype = torch.complex128) -> torch.Tensor:
        """Unitary matrices ``batch + (d, d)``."""
        real_dtype = torch.float64 if dtype == torch.complex128 else torch.float32
        m = self.real(g, real_dtype).to(dtype)
        u = torch.as_tensor(self.basis, dtype=dtype, device=m.device)
        return u.conj().T @ m @ u

    def character(self, g: torch.Tensor) -> torch.Tensor:
        return torch.diagonal(self(g), dim1=-2, dim2=-1).sum(-1)

    def exact(self, g) -> sympy.Matrix:
        """Exact matrices (for finite groups, SO(2), O(2))."""
        m = self.real.exact(g)
        if self.sign == 0:
            return m
        J = sympy.Matrix(np.rint(self.real.endomorphism_basis[1]).astype(int))
        vecs = [
            v for val, _, vs in J.eigenvects() if sympy.simplify(val - sympy.I * self.sign) == 0 for v in vs
        ]
        cols = []
        for v in vecs:
            for c in cols:
                v = v - (c.H * v)[0, 0] * c
            cols.append(v / sympy.sqrt(sympy.simplify((v.H * v)[0, 0])))
        u = sympy.Matrix.hstack(*cols)
        return (u.H * m * u).applyfunc(lambda e: sympy.simplify(sympy.expand_complex(e)))

    def __repr__(self) -> str:
        return f"{self.group.name}[complex {self.real.name}{'' if self.sign == 0 else ('+' if self.sign > 0 else '-')}]"


def complex_form(real: Irrep) -> list[ComplexIrrep]:
    """The complex irreps into which a real irrep splits (one or two)."""
    if real.type == "R":
        return [ComplexIrrep(real, 0)]
    return [ComplexIrrep(real, 1), ComplexIrrep(real, -1)]


def complex_irreps(group: Group, max_degree: int | None = None) -> list[ComplexIrrep]:
    """All complex irreps of a finite group (degree-limited for a continuous group)."""
    return [c for ir in irreps(group, max_degree) for c in complex_form(ir)]
