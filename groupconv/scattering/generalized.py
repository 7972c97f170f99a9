"""Generalized scattering networks (Wiatowski & Bolcskei, IEEE Trans. Inf. Theory 2018).

Layer ``n`` has a filter bank ``{chi_n} U {g_lambda}_{lambda in Lambda_n}`` (``chi_n`` the
output-generating atom), a Lipschitz non-linearity ``M_n`` and a pooling ``P_n``:

.. math::

    U_n[\\lambda] u = P_n\\big(M_n(u * g_{\\lambda})\\big), \\qquad
    \\Phi^n(f) = \\{ (U[q] f) * \\chi_n \\}_{q \\in \\Lambda_1 \\times \\dots \\times \\Lambda_n}

(their Eqs. (6)-(8)). Every path is kept (no frequency-decreasing pruning), so for Parseval banks and
the modulus without pooling ``||f||^2 = sum_{n<N} |||Phi^n f|||^2 + W_N f`` exactly
(Wiatowski, Grohs & Bolcskei, IEEE Trans. Inf. Theory 2018, Proposition 1 with ``A_n = B_n = 1``).

The modules act on images and on the stacks of maps computed from them, not on fields of a group: they
have no field types (``in_type = out_type = None``, reported "not checked: no type" by
:func:`groupconv.verify.check_equivariance`).

>>> import torch
>>> from groupconv.scattering import GeneralizedScattering, parseval_wavelet_bank
>>> net = GeneralizedScattering([parseval_wavelet_bank((16, 16), 2, 4)] * 2).double()
>>> x = torch.randn(3, 16, 16, dtype=torch.float64)
>>> [tuple(phi.shape) for phi in net(x)]  # Phi^0, Phi^1, Phi^2: 1, 8 and 64 maps
[(3, 1, 16, 16), (3, 8, 16, 16), (3, 64, 16, 16)]
>>> W, E = net.energies(x)  # Parseval banks and the modulus: ||f||^2 = E_0 + E_1 + W_2
>>> torch.allclose(E[0] + E[1] + W[2], x.square().sum((1, 2)))
True
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from torch import nn

from ..nn.module import Certificate, EquivariantModule
from .base import _bank_certificate, _check_finite, _check_input, _empty_output, _FilterModule
from .filters import FilterBank

__all__ = ["GeneralizedScattering", "ScatteringLayer", "Modulus", "RealReLU", "SoftModulus", "Pooling"]


class _TensorMap(EquivariantModule):
    """A map of tensors of any shape, real or complex, without field types (module docstring)."""

    in_type = None
    out_type = None

    def check_input(self, z: torch.Tensor) -> torch.Tensor:
        """Check that ``z`` is a tensor (of any shape); return it."""
        if not isinstance(z, torch.Tensor):
            raise TypeError(f"{type(self).__name__} takes a torch.Tensor, got {type(z).__name__}")
        return z

    def extra_repr(self) -> str:
        return ""


class Modulus(_TensorMap):
    """``M(z) = |z|``: Lipschitz 1 and ``|M(z)| = |z|``, so energy bounds ``(1, 1)``.

    >>> Modulus()(torch.tensor([3 + 4j, -2 + 0j]))
    tensor([5., 2.])
    """

    energy_bounds = (1.0, 1.0)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.check_input(z).abs()


class RealReLU(_TensorMap):
    """``M(z) = max(Re z, 0)``: Lipschitz 1, ``0 <= |M(z)| <= |z|``, energy bounds ``(0, 1)``.

    >>> RealReLU()(torch.tensor([3 + 4j, -2 + 1j]))
    tensor([3., 0.])
    """

    energy_bounds = (0.0, 1.0)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        z = self.check_input(z)
        return torch.relu(z.real if torch.is_complex(z) else z)


class SoftModulus(_TensorMap):
    """``M(z) = max(|z| - t, 0)``, the modulus of complex soft-thresholding: Lipschitz 1, bounds ``(0, 1)``.

    >>> SoftModulus(1.0)(torch.tensor([3 + 4j, 0.5 + 0j]))
    tensor([4., 0.])
    """

    energy_bounds = (0.0, 1.0)

    def __init__(self, threshold: float = 0.0) -> None:
        super().__init__()
        if threshold < 0:
            raise ValueError(f"threshold must be >= 0, got {threshold}")
        self.threshold = float(threshold)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return torch.relu(self.check_input(z).abs() - self.threshold)

    def extra_repr(self) -> str:
        return f"threshold={self.threshold}"


class Pooling(_TensorMap):
    """Pooling ``P(f) = S^{d/2} P'(f)(S .)`` with ``d = 2`` (Wiatowski & Bolcskei 2018, Eq. (9)):
    ``"subsample"`` (``f[::S, ::S]``) or ``"average"`` (mean over ``S x S`` blocks), times ``S``, of the
    last two axes of a tensor ``(..., M, N)``.

    >>> Pooling("average", 2)(torch.arange(16.0).reshape(4, 4))
    tensor([[ 5.,  9.],
            [21., 25.]])
    """

    def __init__(self, kind: str = "subsample", factor: int = 2) -> None:
        super().__init__()
        if kind not in ("subsample", "average"):
            raise ValueError(f"pooling kind must be 'subsample' or 'average', got {kind!r}")
        if not isinstance(factor, int) or factor < 1:
            raise ValueError(f"pooling factor must be an int >= 1, got {factor!r}")
        self.kind, self.factor = kind, factor

    def forward(self, u: torch.Tensor) -> torch.Tensor:
        u = self.check_input(u)
        s = self.factor
        if s == 1:
            return u
        if self.kind == "subsample":
            return u[..., ::s, ::s] * s
        *lead, M, N = u.shape
        return u.reshape(*lead, M // s, s, N // s, s).mean((-3, -1)) * s

    def extra_repr(self) -> str:
        return f"kind={self.kind!r}, factor={self.factor}"


class ScatteringLayer(_FilterModule):
    """One layer ``u -> (u * chi, M(u * g_lambda))`` on ``(B, P, M, N)`` real maps.

    Returns ``(B, P, 1 + K, M, N)``: channel 0 the output ``u * chi`` (real part), channels ``1..K``
    the non-linearity of the filtered maps. With real-input frame bounds ``(A, B)`` of the bank and
    energy bounds ``(a, b)`` of the non-linearity (``a |z|^2 <= |M(z)|^2 <= b |z|^2``),

    .. math::  \\min(1, a) A \\|u\\|^2 \\le \\|\\text{out}\\|^2 \\le \\max(1, b) B \\|u\\|^2,

    the bounds returned by :meth:`frame_bounds` (``None`` when ``M`` has no ``energy_bounds``).

    >>> import torch
    >>> from groupconv.scattering import ScatteringLayer, parseval_wavelet_bank
    >>> layer = ScatteringLayer(parseval_wavelet_bank((8, 8), 1, 4)).double()
    >>> u = torch.randn(2, 3, 8, 8, dtype=torch.float64)
    >>> out = layer(u)  # the low-pass output, then the modulus of the 4 filtered maps
    >>> out.shape
    torch.Size([2, 3, 5, 8, 8])
    >>> torch.allclose(out.square().sum(), u.square().sum())  # a Parseval bank and the modulus
    True
    """

    def __init__(self, bank: FilterBank, nonlinearity: nn.Module | Callable | None = None) -> None:
        super().__init__()
        if not isinstance(bank, FilterBank):
            raise TypeError(f"ScatteringLayer takes a FilterBank, got {type(bank).__name__}")
        self.shape = bank.shape
        self.bank_name = bank.name
        self._bank = (bank.J, bank.L, bank.full_circle)
        self.n_filters = len(bank)
        self.nonlinearity = Modulus() if nonlinearity is None else nonlinearity
        self._bank_bounds = bank.frame_bounds()
        self.register_derived("_phi", bank.phi, torch.float32)
        self.register_derived("_psi", bank.psi, torch.float32)

    def bank_frame_bounds(self) -> tuple[float, float]:
        """Real-input frame bounds ``(A_n, B_n)`` of the layer's filter bank."""
        return self._bank_bounds

    def frame_bounds(self) -> tuple[float | None, float | None]:
        """Energy bounds of the whole layer map ``u -> out`` (class docstring)."""
        eb = getattr(self.nonlinearity, "energy_bounds", None)
        if eb is None:
            return None, None
        a, b = self._bank_bounds
        return min(1.0, eb[0]) * a, max(1.0, eb[1]) * b

    def certificate(self) -> Certificate:
        """For the Parseval bank: its Littlewood-Paley identity, proved symbolically, and attained by the
        discrete bank (:func:`groupconv.proofs.certify_parseval_bank`); "not applicable" for other banks."""
        return _bank_certificate(self.bank_name, *self._bank, self.bank_frame_bounds())

    def check_input(self, u: torch.Tensor) -> torch.Tensor:
        """Check that ``u`` is a stack of maps ``(B, P, M, N)`` on the bank's grid; return it."""
        if u.dim() != 4 or tuple(u.shape[-2:]) != tuple(self.shape):
            raise ValueError(
                f"ScatteringLayer expects (B, P, {self.shape[0]}, {self.shape[1]}), got {tuple(u.shape)}"
            )
        return u

    def forward(self, u: torch.Tensor) -> torch.Tensor:
        u = self.check_input(u)
        if u.shape[0] == 0:
            return _empty_output(u, u.shape[1], 1 + self.n_filters, *self.shape)
        uf = torch.fft.fft2(u)
        low = torch.fft.ifft2(uf * self._phi).real
        y = self.nonlinearity(torch.fft.ifft2(uf.unsqueeze(2) * self._psi))
        if torch.is_complex(y):
            raise TypeError(
                "the non-linearity must return real maps (the next layer's bounds assume real input)"
            )
        return torch.cat([low.unsqueeze(2), y], 2)

    def extra_repr(self) -> str:
        return f"bank={self.bank_name!r}, shape={self.shape}, filters={self.n_filters}"


class GeneralizedScattering(EquivariantModule):
    """A generalized scattering network: one :class:`ScatteringLayer` and pooling per layer.

    Parameters
    ----------
    banks:
        Filter bank of each layer ``n = 0..N-1`` (its shape must be the maps' shape after the previous
        poolings); the network outputs ``Phi^0..Phi^N``, the last output using the last bank's low-pass.
    nonlinearity:
        One module/callable for all layers, or one per layer (default: :class:`Modulus`).
    pooling:
        ``None``, one :class:`Pooling` (or an int factor, subsampling) for all layers, or one per layer.

    Notes
    -----
    ``forward(x)`` returns the list ``[Phi^0 f, ..., Phi^N f]``, ``Phi^n f`` of shape
    ``(B, |Lambda|^n, M_n, N_n)``; :meth:`energies` the per-layer ``W_n`` and ``|||Phi^n f|||^2``.
    No field types (module docstring).
    """

    in_type = None
    out_type = None

    def __init__(
        self,
        banks: Sequence[FilterBank],
        nonlinearity: nn.Module | Callable | Sequence | None = None,
        pooling: Pooling | int | Sequence | None = None,
    ) -> None:
        super().__init__()
        banks = list(banks)
        if not banks or not all(isinstance(b, FilterBank) for b in banks):
            raise TypeError("banks must be a non-empty sequence of FilterBank")
        depth = len(banks)
        nls = list(nonlinearity) if isinstance(nonlinearity, (list, tuple)) else [nonlinearity] * depth
        pools = list(pooling) if isinstance(pooling, (list, tuple)) else [pooling] * depth
        if len(nls) != depth or len(pools) != depth:
            raise ValueError(
                f"need one non-linearity and one pooling per layer ({depth}), got {len(nls)}, {len(pools)}"
            )
        pools = [
            Pooling("subsample", p) if isinstance(p, int) else (p or Pooling("subsample", 1)) for p in pools
        ]
        shape = banks[0].shape
        for n, (bank, pool) in enumerate(zip(banks, pools)):
            if tuple(bank.shape) != tuple(shape):
                raise ValueError(f"bank {n} has shape {bank.shape}, but layer {n} maps have shape {shape}")
            if n < depth - 1 and (shape[0] % pool.factor or shape[1] % pool.factor):
                raise ValueError(
                    f"layer {n} maps {shape} are not divisible by the pooling factor {pool.factor}"
                )
            shape = (shape[0] // pool.factor, shape[1] // pool.factor)
        self.layers = nn.ModuleList(ScatteringLayer(b, m) for b, m in zip(banks, nls))
        self.pools = nn.ModuleList(pools)
        self.shape = banks[0].shape
        self.depth = depth

    def frame_bounds(self) -> list[tuple[float | None, float | None]]:
        """Per-layer bounds (see :meth:`ScatteringLayer.frame_bounds`)."""
        return [layer.frame_bounds() for layer in self.layers]

    def extra_repr(self) -> str:
        return ""

    def check_input(self, x: torch.Tensor) -> torch.Tensor:
        """Check that ``x`` is a real, finite ``(..., M, N)`` tensor in the dtype (float32 or float64) and
        on the device of the filters; return it."""
        _check_input(x, self.shape, self.layers[0]._phi, type(self).__name__)
        _check_finite(x, type(self).__name__)
        return x

    def _run(self, x: torch.Tensor):
        self.check_input(x)
        u = x.reshape(-1, 1, *self.shape)
        for n, layer in enumerate(self.layers):
            out = layer(u)
            nxt = out[:, :, 1:].flatten(1, 2)
            if n < self.depth - 1:
                nxt = self.pools[n](nxt)
            yield u, out[:, :, 0], nxt
            u = nxt

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        outs, last = [], None
        for _, phi_n, nxt in self._run(x):
            outs.append(phi_n)
            last = nxt
        outs.append(self._last_output(last))
        return outs

    def _last_output(self, last: torch.Tensor) -> torch.Tensor:
        """``Phi^N f = U_N f * chi_{N-1}``, the last bank's low-pass of the last propagated maps."""
        if last.shape[0] == 0:
            return _empty_output(last, *last.shape[1:])
        return torch.fft.ifft2(torch.fft.fft2(last) * self.layers[-1]._phi).real

    def energies(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``W_n = ||U_n||^2`` and ``|||Phi^n f|||^2`` for ``n = 0..N``, each ``(N + 1, batch)``."""
        W, E = [], []
        last = None
        for u, phi_n, nxt in self._run(x):
            W.append(u.pow(2).flatten(1).sum(1))
            E.append(phi_n.pow(2).flatten(1).sum(1))
            last = nxt
        W.append(last.pow(2).flatten(1).sum(1))
        E.append(self._last_output(last).pow(2).flatten(1).sum(1))
        return torch.stack(W), torch.stack(E)
