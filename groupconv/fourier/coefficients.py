"""A container for Fourier coefficients: one matrix per irrep.

Conventions (Kondor & Trivedi, ICML 2018, section 3): for a function ``f`` on a
compact group ``G`` with normalized Haar measure,

.. math::  \\hat f(\\rho) = \\int_G f(u)\\, \\rho(u)\\, du \\in \\mathbb{R}^{d_\\rho \\times d_\\rho},

one tensor of shape ``(..., d_rho, d_rho)`` per real orthogonal irrep ``rho``. For a function on a
homogeneous space ``G/H`` only the ``m_rho`` kept columns are stored, ``(..., d_rho, m_rho)`` (see
:class:`~groupconv.fourier.HomogeneousSpace`).

The constant function 1 on ``C_3`` has ``\\hat f = 1`` at the trivial irrep and 0 elsewhere:

>>> from groupconv.fourier import function_space, inverse_fourier_transform
>>> from groupconv.groups import Cyclic
>>> space = function_space(Cyclic(3))
>>> one = FourierCoefficients(space, [torch.ones(1, 1).double(), torch.zeros(2, 2).double()])
>>> one
FourierCoefficients(L2(C3), batch=(), {irrep(0): (1, 1), irrep(1): (2, 2)})
>>> inverse_fourier_transform(one), one.norm()
(tensor([1., 1., 1.], dtype=torch.float64), tensor(1., dtype=torch.float64))
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from ..reps.representation import Irrep

__all__ = ["FourierCoefficients"]


class FourierCoefficients:
    """Fourier coefficients of (a batch of) functions on a group or a homogeneous space.

    Parameters
    ----------
    space:
        The :class:`~groupconv.fourier.FunctionSpace` the function lives on (its group, irreps, kept
        columns and Plancherel weights).
    blocks:
        One tensor ``(..., d_rho, m_rho)`` per irrep of ``space.irreps``, in that order, with common
        leading (batch) dimensions.

    Notes
    -----
    Supports ``+``, ``-``, multiplication by a scalar, ``@`` (the blockwise product
    ``(f * h)^(rho) = f^(rho) h^(rho)`` of the convolution theorem), ``.to(...)``, indexing by an
    :class:`~groupconv.reps.Irrep` or by an irrep id, :meth:`norm` and :meth:`inner` (Plancherel).
    """

    def __init__(self, space, blocks: Sequence[torch.Tensor]):
        blocks = list(blocks)
        if len(blocks) != len(space.irreps):
            raise ValueError(f"{space} has {len(space.irreps)} irreps, got {len(blocks)} coefficient blocks")
        for ir, b in zip(space.irreps, blocks):
            if not isinstance(b, torch.Tensor):
                raise TypeError(f"coefficient blocks are torch tensors, got {type(b).__name__}")
            if b.dim() < 2 or b.shape[-2] != ir.dim:
                raise ValueError(
                    f"the block of {ir!r} must have shape (..., {ir.dim}, m), got {tuple(b.shape)}"
                )
        self.space = space
        self.blocks = blocks

    # -- description ---------------------------------------------------------------------------------
    @property
    def group(self):
        return self.space.group

    @property
    def irreps(self) -> tuple[Irrep, ...]:
        return self.space.irreps

    @property
    def batch_shape(self) -> tuple[int, ...]:
        return tuple(self.blocks[0].shape[:-2]) if self.blocks else ()

    @property
    def dtype(self) -> torch.dtype:
        return self.blocks[0].dtype

    @property
    def device(self) -> torch.device:
        return self.blocks[0].device

    def __repr__(self) -> str:
        shapes = ", ".join(f"{ir.name}: {tuple(b.shape[-2:])}" for ir, b in zip(self.irreps, self.blocks))
        return f"FourierCoefficients({self.space}, batch={self.batch_shape}, {{{shapes}}})"

    def __len__(self) -> int:
        return len(self.blocks)

    def __iter__(self):
        return iter(self.blocks)

    def _index(self, key) -> int:
        if isinstance(key, Irrep):
            for i, ir in enumerate(self.irreps):
                if ir == key:
                    return i
            raise KeyError(f"{key!r} is not an irrep of {self.space}")
        for i, ir in enumerate(self.irreps):
            if ir.id == key:
                return i
        raise KeyError(f"no irrep with id {key!r} in {self.space}; ids are {[ir.id for ir in self.irreps]}")

    def __getitem__(self, key) -> torch.Tensor:
        """The block of an irrep, given as an :class:`~groupconv.reps.Irrep` or its id."""
        return self.blocks[self._index(key)]

    # -- arithmetic ------------------------------------------------------------------------------------
    def _check_compatible(self, other: FourierCoefficients) -> None:
        if not isinstance(other, FourierCoefficients):
            raise TypeError(f"expected FourierCoefficients, got {type(other).__name__}")
        if other.space != self.space:
            raise TypeError(f"coefficients of {self.space} and of {other.space} cannot be combined")

    def _map(self, fn) -> FourierCoefficients:
        return FourierCoefficients(self.space, [fn(b) for b in self.blocks])

    def __add__(self, other: FourierCoefficients) -> FourierCoefficients:
        self._check_compatible(other)
        return FourierCoefficients(self.space, [a + b for a, b in zip(self.blocks, other.blocks)])

    def __sub__(self, other: FourierCoefficients) -> FourierCoefficients:
        self._check_compatible(other)
        return FourierCoefficients(self.space, [a - b for a, b in zip(self.blocks, other.blocks)])

    def __neg__(self) -> FourierCoefficients:
        return self._map(lambda b: -b)

    def __mul__(self, scalar) -> FourierCoefficients:
        if isinstance(scalar, FourierCoefficients):
            raise TypeError("multiply coefficients by a scalar; use @ for the convolution product")
        return self._map(lambda b: b * scalar)

    __rmul__ = __mul__

    def __truediv__(self, scalar) -> FourierCoefficients:
        return self._map(lambda b: b / scalar)

    def __matmul__(self, other: FourierCoefficients) -> FourierCoefficients:
        """Blockwise product ``f^(rho) h^(rho)``: the coefficients of ``f * h`` (convolution theorem).

        ``other`` must store the same kept columns as ``self`` has rows of its product: a function on
        ``G`` (full blocks) or on the same homogeneous space, whose kept block ``V^T h^(rho) V`` is
        used.
        """
        self._check_compatible(other)
        out = []
        for v, a, b in zip(self.space.columns_tensors(self.dtype, self.device), self.blocks, other.blocks):
            inner = b if self.space.is_group else v.transpose(-2, -1) @ b
            out.append(a @ inner)
        return FourierCoefficients(self.space, out)

    def to(self, *args, **kwargs) -> FourierCoefficients:
        """Move / cast every block (same arguments as :meth:`torch.Tensor.to`)."""
        return self._map(lambda b: b.to(*args, **kwargs))

    def detach(self) -> FourierCoefficients:
        return self._map(lambda b: b.detach())

    # -- Plancherel ------------------------------------------------------------------------------------
    def inner(self, other: FourierCoefficients) -> torch.Tensor:
        """``<f, h> = \\int f h du = sum_rho (d_rho / e_rho) tr[f^(rho) h^(rho)^T]``, batched."""
        self._check_compatible(other)
        total = None
        for w, a, b in zip(self.space.plancherel_weights, self.blocks, other.blocks):
            t = w * (a * b).sum((-2, -1))
            total = t if total is None else total + t
        return total

    def norm(self) -> torch.Tensor:
        """The ``L^2(G)`` norm of the function (Plancherel):
        ``||f||^2 = sum_rho (d_rho / e_rho) ||f^(rho)||_F^2``, batched."""
        return self.inner(self).clamp_min(0).sqrt()
