"""Spherical CNN layers: ``S^2 -> SO(3)`` and ``SO(3) -> SO(3)`` convolutions computed degree by degree in
the Fourier domain, pointwise nonlinearities on the grid, and ``SO(3)``-invariant read-outs.

Features are real functions sampled on the grids of :mod:`groupconv.fourier.sphere` (bandwidth ``B``:
degrees ``l < B``): on the sphere ``(batch, C, n_beta, 2B)``, on ``SO(3)`` ``(batch, C, 2B, n_beta, 2B)``.
``SO(3)`` acts on the left, ``(g . f)(x) = f(g^{-1} x)``, so ``\\widehat{g . f}(l) = \\rho_l(g) \\hat f(l)``.

The convolutions are the generalized convolutions of Kondor & Trivedi (ICML 2018, Theorem 1), in the form
of Cohen et al. ("Spherical CNNs", ICLR 2018, eqs. 9-10): with learned filter blocks ``h_{io}(l)``,

.. math::  \\hat y_o(l) = \\sum_i \\hat x_i(l)\\, h_{io}(l),

``\\hat x_i(l)`` the ``(2l+1) x 1`` column ``\\hat f(l) e_l`` of a function on the sphere (then ``h`` is a
``1 x (2l+1)`` row, the coefficient of a filter on ``SO(2) \\backslash SO(3)``) or the ``(2l+1) x (2l+1)``
block of a function on ``SO(3)``. The left factor carries the rotation, ``\\rho_l(g) \\hat x``, so
``y(g . x) = g . y(x)`` exactly. Per degree the products of all channel pairs are one matrix product
``(batch (2l+1), C_in (2l+1)) @ (C_in (2l+1), C_out (2l+1))``: memory ``O(C_in C_out sum_l (2l+1)^2)`` for the
filters, ``O(batch C sum_l (2l+1)^2)`` for the activations, no expansion over all degrees.

>>> import torch
>>> net = torch.nn.Sequential(
...     S2Conv(SphereType(1, 4), SO3GridType(4, 4)),
...     GridNonlinearity(SO3GridType(4, 4)),
...     SO3Integral(SO3GridType(4, 4)),
... )
>>> x = torch.randn(2, *SphereType(1, 4).shape)
>>> net(x).shape
torch.Size([2, 4])
>>> turn = SO3GridType(4, 4).exact_elements()[1]  # one grid step about the polar axis
>>> torch.allclose(net(SphereType(1, 4).transform(x, turn)), net(x), atol=1e-5)
True
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from ..fourier.grids import beta_rule, check_bandwidth, check_grid
from ..fourier.sphere import S2FFT, SO3FFT, so3_coefficient_offsets
from ..groups.spatial import SO3
from ..reps.spatial import wigner_D
from ..utils.deprecation import accepts_channel_counts
from .module import EquivariantModule, autocast_dtype

__all__ = [
    "SphereType",
    "SO3GridType",
    "InvariantType",
    "S2Conv",
    "SO3Conv",
    "GridNonlinearity",
    "SO3Integral",
    "S2Integral",
]

# z-rotations are recognized as grid steps up to this absolute error in the matrix entries
_GRID_TOL = 1e-9


class _GridType:
    """Functions on a grid of :mod:`groupconv.fourier.sphere`, ``channels`` of them per sample."""

    group = SO3()
    _space = ""

    def __init__(self, channels: int, bandwidth: int, grid: str = "dh"):
        if isinstance(channels, bool) or not isinstance(channels, (int, np.integer)) or channels < 1:
            raise ValueError(f"channels must be an int >= 1, got {channels!r}")
        self.channels = int(channels)
        self.bandwidth = check_bandwidth(bandwidth)
        self.grid = check_grid(grid)
        self._fft: nn.Module | None = None

    def _make_fft(self) -> nn.Module:
        raise NotImplementedError

    @property
    def fft(self) -> nn.Module:
        if self._fft is None:
            self._fft = self._make_fft()
        return self._fft

    @property
    def shape(self) -> tuple[int, ...]:
        """The shape of one sample: ``(channels,) + grid shape``."""
        return (self.channels,) + tuple(self.fft.grid_shape)

    def __repr__(self) -> str:
        return f"{self.channels} x {self._space}(bandwidth={self.bandwidth}, grid={self.grid})"

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and (other.channels, other.bandwidth, other.grid) == (
            self.channels,
            self.bandwidth,
            self.grid,
        )

    def __hash__(self) -> int:
        return hash((type(self).__name__, self.channels, self.bandwidth, self.grid))

    def check(self, x, layer: str = "the layer") -> torch.Tensor:
        """Validate a batch ``(batch,) + shape`` of float32 / float64 features."""
        if not isinstance(x, torch.Tensor):
            raise TypeError(f"{layer} takes a torch.Tensor of type {self}, got {type(x).__name__}")
        if x.dtype not in (torch.float32, torch.float64):
            raise TypeError(f"{layer} takes float32 or float64 features, got dtype {x.dtype}")
        if x.dim() != len(self.shape) + 1 or tuple(x.shape[1:]) != self.shape:
            raise ValueError(
                f"{layer} expects features of type {self}: shape (batch, {', '.join(map(str, self.shape))}), "
                f"got {tuple(x.shape)}"
            )
        return x

    def _transform_on(self, x: torch.Tensor) -> nn.Module:
        return self.fft.to(dtype=x.dtype, device=x.device)

    # -- the action ----------------------------------------------------------------------------------
    def grid_shift(self, g) -> int | None:
        """``k`` when ``g`` is the rotation ``R_z(2 pi k / (2B))`` about the polar axis by a whole number of
        grid steps (then it permutes the grid points: ``alpha -> alpha + 2 pi k / (2B)``), else ``None``."""
        m = torch.as_tensor(g).detach().to(device="cpu", dtype=torch.float64)
        if m.shape != (3, 3):
            raise ValueError(f"an element of SO3 is a (3, 3) rotation matrix, got shape {tuple(m.shape)}")
        n = 2 * self.bandwidth
        phi = math.atan2(float(m[1, 0]), float(m[0, 0]))
        k = round(phi * n / (2 * math.pi))
        t = 2 * math.pi * k / n
        rz = torch.tensor(
            [[math.cos(t), -math.sin(t), 0.0], [math.sin(t), math.cos(t), 0.0], [0.0, 0.0, 1.0]],
            dtype=torch.float64,
        )
        return k % n if float((m - rz).abs().max()) <= _GRID_TOL else None

    def is_exact(self, g) -> bool:
        """Whether ``g`` acts exactly on the grid samples: a rotation about the polar axis by whole grid
        steps (a cyclic shift in ``alpha``). Any other rotation acts through the Fourier coefficients,
        exact only on functions of bandwidth ``B``."""
        return self.grid_shift(g) is not None

    def exact_elements(self) -> list[torch.Tensor]:
        """Rotations that act exactly on the grid: the identity, one grid step, and the quarter and half
        turns about the polar axis when they are whole numbers of steps."""
        n = 2 * self.bandwidth
        steps = sorted({0, 1 % n, n // 2} | ({n // 4} if n % 4 == 0 else set()))
        zero = torch.zeros((), dtype=torch.float64)
        return [
            SO3.from_euler(torch.tensor(2 * math.pi * k / n, dtype=torch.float64), zero, zero) for k in steps
        ]

    def band_limit(self, x: torch.Tensor) -> torch.Tensor:
        """The projection of ``x`` onto functions of bandwidth ``B`` (forward then inverse transform)."""
        x = self.check(x)
        t = self._transform_on(x)
        return t.inverse(t(x))

    def transform(self, x: torch.Tensor, g) -> torch.Tensor:
        """``g . x``, ``(g . f)(u) = f(g^{-1} u)`` for every channel: an exact cyclic shift for the grid
        rotations of :meth:`is_exact`; otherwise ``\\hat f(l) -> \\rho_l(g) \\hat f(l)`` and the inverse
        transform, exact for functions of bandwidth ``B`` (others are projected onto them first)."""
        x = self.check(x)
        k = self.grid_shift(g)
        if k is not None:
            return torch.roll(x, k, dims=self._alpha_dim)
        t = self._transform_on(x)
        c = t(x)
        angles = SO3.to_euler(SO3().check_element(torch.as_tensor(g, dtype=torch.float64).cpu()))
        out = [self._rotate_block(wigner_D(l, *angles).to(c), c, l) for l in range(self.bandwidth)]
        return t.inverse(torch.cat(out, -1))


class SphereType(_GridType):
    """Real functions on the sphere sampled on the grid of :func:`~groupconv.fourier.s2_grid`:
    ``(batch, channels, n_beta, 2B)``, the point ``R_z(alpha) R_y(beta) e_z``."""

    _space = "S2"
    _alpha_dim = -1

    def _make_fft(self) -> nn.Module:
        return S2FFT(self.bandwidth, self.grid)

    def _rotate_block(self, rho: torch.Tensor, c: torch.Tensor, l: int) -> torch.Tensor:
        return c[..., l * l : (l + 1) ** 2] @ rho.T


class SO3GridType(_GridType):
    """Real functions on ``SO(3)`` sampled on the Euler grid of :func:`~groupconv.fourier.so3_euler_grid`:
    ``(batch, channels, 2B, n_beta, 2B)`` (``alpha``, ``beta``, ``gamma``)."""

    _space = "SO3"
    _alpha_dim = -3

    def _make_fft(self) -> nn.Module:
        return SO3FFT(self.bandwidth, self.grid)

    def _rotate_block(self, rho: torch.Tensor, c: torch.Tensor, l: int) -> torch.Tensor:
        off = so3_coefficient_offsets(l + 1)
        d = 2 * l + 1
        block = c[..., off[l] : off[l + 1]].unflatten(-1, (d, d))
        return (rho @ block).flatten(-2)


class InvariantType:
    """``channels`` rotation-invariant numbers per sample, ``(batch, channels)``: ``SO(3)`` acts trivially."""

    group = SO3()

    def __init__(self, channels: int):
        if isinstance(channels, bool) or not isinstance(channels, (int, np.integer)) or channels < 1:
            raise ValueError(f"channels must be an int >= 1, got {channels!r}")
        self.channels = int(channels)

    def __repr__(self) -> str:
        return f"{self.channels} x invariant"

    def is_exact(self, g) -> bool:
        return True

    def transform(self, x: torch.Tensor, g) -> torch.Tensor:
        if not isinstance(x, torch.Tensor) or x.dim() != 2 or x.shape[1] != self.channels:
            raise ValueError(
                f"expected invariant features (batch, {self.channels}), got "
                f"{tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__}"
            )
        return x


def _check_channels(name: str, c) -> int:
    if isinstance(c, bool) or not isinstance(c, (int, np.integer)) or c < 1:
        raise ValueError(f"{name} must be an int >= 1, got {c!r}")
    return int(c)


def _legacy_channel_arguments(
    in_channels,
    out_channels,
    bandwidth_in,
    bandwidth_out=None,
    filter_bandwidth=None,
    grid="dh",
    bias=True,
    generator=None,
):
    """The arguments of the spherical convolutions before they took types (bound, never called)."""


def _is_channel_call(args: tuple, kwargs: dict) -> bool:
    first = args[0] if args else kwargs.get("in_type", kwargs.get("in_channels"))
    if isinstance(first, _GridType):
        return False
    return isinstance(first, (int, np.integer)) or "in_channels" in kwargs or "bandwidth_in" in kwargs


def _from_channel_call(cls, a: dict) -> tuple[tuple, dict]:
    types = cls._types(a["in_channels"], a["out_channels"], a["bandwidth_in"], a["bandwidth_out"], a["grid"])
    return types, {key: a[key] for key in ("filter_bandwidth", "bias", "generator")}


class _SphericalConv(EquivariantModule):
    """Shared parts of :class:`S2Conv` and :class:`SO3Conv`."""

    #: set by the subclasses: the layer's name in error messages, the input feature type and its transform
    _name: str
    _in_type_cls: type
    _fft_cls: type

    @accepts_channel_counts(_legacy_channel_arguments, _is_channel_call, _from_channel_call)
    def __init__(
        self,
        in_type: SphereType | SO3GridType,
        out_type: SO3GridType,
        filter_bandwidth: int | None = None,
        bias: bool = True,
        generator: torch.Generator | None = None,
    ):
        """Checks the arguments, then the transforms, weight and bias, in the default dtype."""
        super().__init__()
        self._setup(in_type, out_type, filter_bandwidth, bias)
        self.fft = self._fft_cls(self.bandwidth_in, self.grid)
        self.inverse_fft = SO3FFT(self.bandwidth_out, self.grid)
        self._init_weight(self._sizes(), generator)
        self.bias = nn.Parameter(torch.zeros(self.out_channels)) if bias else None
        self.to(torch.get_default_dtype())

    @classmethod
    def _types(cls, in_channels, out_channels, bandwidth_in, bandwidth_out, grid):
        in_channels = _check_channels("in_channels", in_channels)
        out_channels = _check_channels("out_channels", out_channels)
        bandwidth_in = check_bandwidth(bandwidth_in)
        bandwidth_out = bandwidth_in if bandwidth_out is None else check_bandwidth(bandwidth_out)
        grid = check_grid(grid)
        return cls._in_type_cls(in_channels, bandwidth_in, grid), SO3GridType(
            out_channels, bandwidth_out, grid
        )

    @classmethod
    def from_channels(
        cls,
        in_channels: int,
        out_channels: int,
        bandwidth_in: int,
        bandwidth_out: int | None = None,
        filter_bandwidth: int | None = None,
        grid: str = "dh",
        bias: bool = True,
        generator: torch.Generator | None = None,
    ) -> _SphericalConv:
        """The layer from channel counts and bandwidths: ``in_channels`` input features of bandwidth
        ``bandwidth_in`` to ``out_channels`` functions on ``SO(3)`` of bandwidth ``bandwidth_out`` (default
        ``bandwidth_in``), both on ``grid``; the other arguments as for the constructor."""
        in_type, out_type = cls._types(in_channels, out_channels, bandwidth_in, bandwidth_out, grid)
        return cls(in_type, out_type, filter_bandwidth=filter_bandwidth, bias=bias, generator=generator)

    def _setup(self, in_type, out_type, filter_bandwidth, bias):
        if not isinstance(in_type, self._in_type_cls):
            raise TypeError(
                f"{self._name} takes an input type {self._in_type_cls.__name__}, got {type(in_type).__name__}; "
                f"{self._name}.from_channels builds the layer from channel counts and bandwidths"
            )
        if not isinstance(out_type, SO3GridType):
            raise TypeError(f"{self._name} takes an output type SO3GridType, got {type(out_type).__name__}")
        if in_type.grid != out_type.grid:
            raise ValueError(
                f"{self._name}: the input and output types must use one grid, got {in_type.grid!r} and "
                f"{out_type.grid!r}"
            )
        self.in_type, self.out_type = in_type, out_type
        self.in_channels, self.out_channels = in_type.channels, out_type.channels
        self.bandwidth_in, self.bandwidth_out = in_type.bandwidth, out_type.bandwidth
        self.grid = in_type.grid
        top = min(self.bandwidth_in, self.bandwidth_out)
        self.filter_bandwidth = top if filter_bandwidth is None else check_bandwidth(filter_bandwidth)
        if self.filter_bandwidth > top:
            raise ValueError(
                f"filter_bandwidth {self.filter_bandwidth} exceeds the degrees both sides carry "
                f"(min(bandwidth_in, bandwidth_out) = {top})"
            )
        if not isinstance(bias, bool):
            raise TypeError(f"bias must be a bool, got {type(bias).__name__}")

    def _init_weight(self, sizes: list[int], generator: torch.Generator | None) -> None:
        # per degree l, i.i.d. normal entries of variance 1 / (C_in (2l+1)): the expected energy of each
        # output degree is the mean energy of the input channels at that degree
        std = np.concatenate(
            [np.full(s, 1 / math.sqrt(self.in_channels * (2 * l + 1))) for l, s in enumerate(sizes)]
        )
        w = torch.randn(self.in_channels, self.out_channels, int(sum(sizes)), generator=generator)
        self.weight = nn.Parameter((w.double() * torch.as_tensor(std)).to(torch.get_default_dtype()))

    def _check_dtype(self, x: torch.Tensor) -> None:
        if x.dtype != self.weight.dtype:
            raise TypeError(
                f"input dtype {x.dtype} does not match the layer's dtype {self.weight.dtype}: cast one of them "
                "(e.g. layer.double())"
            )
        if x.device != self.weight.device:
            raise ValueError(f"input is on {x.device}, the layer's parameters on {self.weight.device}")

    def _sizes(self) -> list[int]:
        """Sizes of the packed input coefficients of the degrees ``l < filter_bandwidth``."""
        raise NotImplementedError

    def _product(self, xl: torch.Tensor, hl: torch.Tensor, l: int, batch: int) -> torch.Tensor:
        """Output coefficients ``(batch, C_out, (2l+1)^2)`` of degree ``l`` from the input coefficients
        ``xl`` and filter coefficients ``hl`` of that degree."""
        raise NotImplementedError

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.in_type.check(x, self._name)
        if autocast_dtype(x) is not None:
            # the FFTs have no kernels in the autocast dtypes: the layer computes in its own dtype
            with torch.autocast(x.device.type, enabled=False):
                return self.forward(x)
        self._check_dtype(x)
        b = x.shape[0]
        c = self.fft(x)
        # one split (not a slice per degree): its backward assembles the gradient once
        sizes = self._sizes()
        x_blocks = c[..., : sum(sizes)].split(sizes, -1)
        blocks = [
            self._product(xl, hl, l, b)
            for l, (xl, hl) in enumerate(zip(x_blocks, self.weight.split(sizes, -1)))
        ]
        return self._finish(blocks, b)

    def _finish(self, blocks: list[torch.Tensor], batch: int) -> torch.Tensor:
        total = self.inverse_fft.num_coefficients
        y = torch.cat(blocks, -1)
        if y.shape[-1] < total:
            y = torch.cat([y, y.new_zeros(batch, self.out_channels, total - y.shape[-1])], -1)
        out = self.inverse_fft.inverse(y)
        if self.bias is not None:
            out = out + self.bias.view(-1, 1, 1, 1)
        return out

    def extra_repr(self) -> str:
        return (
            f"{self.in_type} -> {self.out_type}, filter_bandwidth={self.filter_bandwidth}, "
            f"bias={self.bias is not None}"
        )


class S2Conv(_SphericalConv):
    """Spherical convolution ``S^2 -> SO(3)`` (Cohen et al., ICLR 2018, eq. 9), in the Fourier domain.

    .. math::  \\hat y_o(l) = \\sum_i \\big(\\hat x_i(l) e_l\\big)\\, h_{io}(l), \\qquad
               h_{io}(l) \\in \\mathbb{R}^{1 \\times (2l+1)},

    i.e. groupconv's convolution ``y_o(R) = \\sum_i \\int_{SO(3)} x_i(Q e_z)\\, h_{io}(Q^{-1} R)\\, dQ`` with the
    filter ``h_{io}`` on ``SO(2) \\backslash SO(3)`` whose coefficients are the rows ``h_{io}(l)``; in Cohen
    et al.'s form ``y_o(R) = \\sum_i \\int_{S^2} x_i(x)\\, k_{io}(R^{-1} x)\\, dx`` with ``k(g) = h(g^{-1})``.
    Per degree, one matrix product over all channel pairs.

    Parameters
    ----------
    in_type, out_type:
        A :class:`SphereType` (``C_in`` functions on the sphere of bandwidth ``B_in``) and an
        :class:`SO3GridType` (``C_out`` functions on ``SO(3)`` of bandwidth ``B_out``) on the same grid
        (degrees ``l < B``). Output degrees ``>= B_in`` are zero; input degrees ``>= B_out`` are dropped.
        :meth:`from_channels` builds the layer from channel counts, bandwidths and the grid instead.
    filter_bandwidth:
        Degrees ``l < filter_bandwidth`` carry learned coefficients (the others are zero: smoother, more
        localized filters). Default: all degrees both sides carry.
    bias:
        A learned constant added to each output function (the only equivariant bias).
    generator:
        Random generator of the initial filters: i.i.d. normal coefficients of variance
        ``1 / (C_in (2l+1))`` at degree ``l``, so each degree keeps its expected energy.

    Notes
    -----
    Input ``(batch, C_in, n_beta, 2 B_in)``, output ``(batch, C_out, 2 B_out, n_beta', 2 B_out)``.
    ``weight``: ``(C_in, C_out, filter_bandwidth^2)``, the rows ``h_{io}(l)`` packed by degree.
    """

    _name, _in_type_cls, _fft_cls = "S2Conv", SphereType, S2FFT

    def _sizes(self) -> list[int]:
        return [2 * l + 1 for l in range(self.filter_bandwidth)]

    def _product(self, al: torch.Tensor, hl: torch.Tensor, l: int, b: int) -> torch.Tensor:
        d, ci, co = 2 * l + 1, self.in_channels, self.out_channels
        y = (al.transpose(1, 2).reshape(b * d, ci) @ hl.reshape(ci, co * d)).view(b, d, co, d)
        return y.transpose(1, 2).reshape(b, co, d * d)


class SO3Conv(_SphericalConv):
    """Group convolution ``SO(3) -> SO(3)`` (Cohen et al., ICLR 2018, eq. 10), in the Fourier domain.

    .. math::  \\hat y_o(l) = \\sum_i \\hat x_i(l)\\, h_{io}(l), \\qquad
               h_{io}(l) \\in \\mathbb{R}^{(2l+1) \\times (2l+1)},

    i.e. groupconv's convolution ``y_o(R) = \\sum_i \\int_{SO(3)} x_i(R v^{-1})\\, h_{io}(v)\\, dv`` with the
    filter whose Fourier blocks are ``h_{io}(l)`` (Cohen et al.'s ``\\int x_i(Q) k_{io}(R^{-1} Q) dQ`` with
    ``k(g) = h(g^{-1})``).
    Per degree, one matrix product ``(batch (2l+1), C_in (2l+1)) @ (C_in (2l+1), C_out (2l+1))``.

    Parameters as :class:`S2Conv`, with an :class:`SO3GridType` input ``(batch, C_in, 2 B_in, n_beta, 2 B_in)``;
    ``weight``: ``(C_in, C_out, sum_{l < filter_bandwidth} (2l+1)^2)``, the blocks ``h_{io}(l)`` packed by
    degree (row-major).
    """

    _name, _in_type_cls, _fft_cls = "SO3Conv", SO3GridType, SO3FFT

    def _sizes(self) -> list[int]:
        return [(2 * l + 1) ** 2 for l in range(self.filter_bandwidth)]

    def _product(self, xl: torch.Tensor, hl: torch.Tensor, l: int, b: int) -> torch.Tensor:
        d, ci, co = 2 * l + 1, self.in_channels, self.out_channels
        # rows (sample, m), columns (input channel, k) against rows (input channel, k), columns
        # (output channel, n): all channel pairs of degree l in one product
        xl = xl.reshape(b, ci, d, d).transpose(1, 2).reshape(b * d, ci * d)
        hl = hl.reshape(ci, co, d, d).transpose(1, 2).reshape(ci * d, co * d)
        y = (xl @ hl).view(b, d, co, d).transpose(1, 2)
        return y.reshape(b, co, d * d)


class GridNonlinearity(EquivariantModule):
    """A pointwise nonlinearity ``sigma`` applied to the grid samples of features of type ``ftype``.

    It commutes exactly with the grid rotations (rotations about the polar axis by whole grid steps, which
    permute the samples). For other rotations it is equivariant only up to aliasing: ``sigma(f)`` is not
    band-limited, and the next layer's quadrature folds its degrees ``>= B`` back onto the degrees ``< B``
    (the quadrature is exact for products of degree ``< 2B``, so a degree ``l'`` of ``sigma(f)`` is read
    correctly against ``\\rho_l`` only when ``l + l' < 2B``). The error shrinks with the smoothness of
    ``sigma`` and with a finer grid; :func:`~groupconv.verify.check_equivariance` reports it in its
    calibrated tier.
    """

    def __init__(self, ftype: SphereType | SO3GridType, fn=torch.relu):
        super().__init__()
        if not isinstance(ftype, _GridType):
            raise TypeError(f"GridNonlinearity needs a SphereType or SO3GridType, got {type(ftype).__name__}")
        if not callable(fn):
            raise TypeError(f"fn must be a callable tensor -> tensor, got {type(fn).__name__}")
        self.in_type = self.out_type = ftype
        self.fn = fn

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fn(self.in_type.check(x, "GridNonlinearity"))

    def extra_repr(self) -> str:
        return f"{self.in_type}, fn={getattr(self.fn, '__name__', repr(self.fn))}"


class _Integral(EquivariantModule):
    """Shared parts of :class:`SO3Integral` and :class:`S2Integral`: the quadrature weights of the polar
    angle over the uniform angles, a derived buffer."""

    #: set by the subclasses: the number of uniform (azimuthal) axes of the grid
    _uniform_axes: int

    def __init__(self, ftype):
        super().__init__()
        self.in_type = ftype
        self.out_type = InvariantType(ftype.channels)
        w = np.array(beta_rule(ftype.bandwidth, ftype.grid)[1]) / (2 * ftype.bandwidth) ** self._uniform_axes
        self.register_derived("weights", w)

    def extra_repr(self) -> str:
        return f"{self.in_type} -> {self.out_type}"


class SO3Integral(_Integral):
    """The ``SO(3)``-invariant read-out ``y_c = \\int_{SO(3)} f_c(u)\\, du`` by the grid's quadrature,
    ``(batch, C, 2B, n_beta, 2B) -> (batch, C)``: the degree-0 coefficient, exactly invariant for
    functions of bandwidth ``B`` and for the grid rotations; on other inputs the quadrature's aliasing
    (degrees ``>= 2B``) is the only error."""

    _uniform_axes = 2

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.in_type.check(x, "SO3Integral")
        return torch.einsum("bcajg,j->bc", x, self.weights.to(x.dtype))


class S2Integral(_Integral):
    """The invariant read-out ``y_c = \\int_{S^2} f_c(x)\\, dx`` (mass 1), ``(batch, C, n_beta, 2B) -> (batch, C)``."""

    _uniform_axes = 1

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.in_type.check(x, "S2Integral")
        return torch.einsum("bcja,j->bc", x, self.weights.to(x.dtype))
