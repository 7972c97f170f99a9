"""The Fourier-domain convolution between functions on homogeneous spaces, as products of Fourier matrices.

A layer maps ``C_in`` functions on a homogeneous space ``X = G/H`` (or on ``G``) to ``C_out``
functions on ``Y = G/K`` (or ``G``) by the generalized convolution of Kondor & Trivedi (ICML 2018,
Definition 3; Theorem 1: every equivariant linear layer between such spaces is of this form):

.. math::  \\widehat{y_o}(\\rho)\\, V^K_\\rho = \\sum_{i} \\big(\\widehat{x_i}(\\rho) V^H_\\rho\\big)\\,
           K^{(\\rho)}_{io} \\;+\\; b_o\\, [\\rho = 1],

``K_io^(rho) = V^{H T} h_io^(rho) V^K`` the kept block of a learned filter ``h_io`` on ``H\\G/K``. The
layer is equivariant, ``y(g . x) = g . y(x)`` with ``(g . f)(x) = f(g^{-1} x)``, because ``g`` acts
by left multiplication ``rho(g) x^(rho)`` and the filter multiplies on the right. The bias is a
constant function per output channel (the trivial-irrep coefficient), the only equivariant bias.

>>> import torch
>>> from groupconv.groups import Cyclic, Dihedral
>>> layer = HomogeneousFourierConv(Dihedral(4), 2, 3, domain=Cyclic(4))  # D4/C4 (2 points) -> D4
>>> layer
HomogeneousFourierConv(2 x L2(D4/C4) -> 3 x L2(D4), bias=True)
>>> x = torch.randn(5, 2, 2)
>>> y = layer(x)
>>> y.shape
torch.Size([5, 3, 8])
>>> torch.allclose(layer(layer.in_type.transform(x, 3)), layer.out_type.transform(y, 3), atol=1e-6)
True
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from ..fourier.coefficients import FourierCoefficients
from ..fourier.filters import common_irreps, filter_basis
from ..fourier.so3 import so3_forward, so3_inverse, so3_tables, sphere_forward, sphere_inverse
from ..fourier.spaces import FunctionSpace, endomorphism_dim, function_space, is_so3, resolve_space
from ..fourier.transform import fourier_transform, inverse_fourier_transform, transform_methods
from ..groups.base import Group
from ..groups.subgroups import subgroup_indices
from ..proofs import certify_convolution_theorem
from ..utils.deprecation import renamed_keywords
from ..utils.lazy import sympy
from ..utils.memory import check_memory
from .module import Certificate, DescribedState, EquivariantModule, autocast_dtype

__all__ = ["HomogeneousFourierConv", "FunctionType"]


class FunctionType:
    """The type of a tensor ``(batch, channels, num_points)`` holding ``channels`` real functions on a
    :class:`~groupconv.fourier.FunctionSpace` (a group or a homogeneous space).

    :meth:`transform` is the left action ``(g . f)(x) = f(g^{-1} x)``: an exact index permutation on
    a finite group, and on a continuous group ``f^(rho) -> rho(g) f^(rho)`` followed by the inverse
    transform (exact on band-limited functions).
    """

    def __init__(self, space: FunctionSpace, channels: int):
        if not isinstance(space, FunctionSpace):
            raise TypeError(f"FunctionType needs a FunctionSpace, got {type(space).__name__}")
        self.space = space
        self.group = space.group
        self.channels = int(channels)

    @property
    def size(self) -> int:
        return self.channels * self.space.num_points

    def __repr__(self) -> str:
        return f"{self.channels} x {self.space}"

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, FunctionType) and other.space == self.space and other.channels == self.channels
        )

    def __hash__(self) -> int:
        return hash((self.space, self.channels))

    def check(self, x: torch.Tensor) -> torch.Tensor:
        if not isinstance(x, torch.Tensor):
            raise TypeError(f"expected a torch.Tensor of type {self}, got {type(x).__name__}")
        if x.dim() < 2 or x.shape[-2:] != (self.channels, self.space.num_points):
            raise ValueError(
                f"expected a tensor (..., {self.channels}, {self.space.num_points}) of type {self}, got shape "
                f"{tuple(x.shape)}"
            )
        return x

    def transform(self, x: torch.Tensor, g) -> torch.Tensor:
        """``g . x``: ``(g . f)(x) = f(g^{-1} x)`` for every channel."""
        x = self.check(x)
        group = self.group
        if group.is_finite:
            g = int(g)
            ginv = int(group.inverse_table_np[g])
            idx = torch.as_tensor(self.space.action_table[ginv], device=x.device)
            return x[..., idx]
        g = torch.as_tensor(g, dtype=torch.float64)
        c = fourier_transform(x, self.space)
        blocks = [ir(g, x.dtype).to(x.device) @ b for ir, b in zip(self.space.irreps, c.blocks)]
        return inverse_fourier_transform(FourierCoefficients(self.space, blocks))


class HomogeneousFourierConv(DescribedState, EquivariantModule):
    """Multi-channel generalized convolution ``L^2(G/H)^{C_in} -> L^2(G/K)^{C_out}`` in the Fourier
    domain (see :mod:`groupconv.nn.fourier_conv` for the equation).

    Parameters
    ----------
    group:
        The group ``G``: finite, SO2 / O2 (band-limited, on uniform grids), SO3 (band-limited, on the
        Euler grid of :func:`~groupconv.fourier.so3_grid`), or another continuous group with a quadrature
        (O3, products; band-limited on ``group.quadrature(2 bandwidth)``, matrix transforms).
    in_channels, out_channels:
        Numbers of input and output functions.
    domain, codomain:
        ``None`` (functions on ``G``), a subgroup ``H`` (functions on ``G/H``, e.g. ``SO2()`` in ``SO3()``
        for the sphere) or a :class:`~groupconv.fourier.FunctionSpace`.
    bandwidth:
        Continuous groups: the largest irrep degree.
    grid_size:
        SO2 / O2: the number of uniform angles (at least ``2 bandwidth + 1``, the default).
    bias:
        Add a learned constant per output channel.
    generator:
        Random generator for the initial weights: the coefficients of the kept filter blocks in an
        orthonormal basis, i.i.d. normal with variance ``1 / in_channels``.

    Notes
    -----
    ``in_type`` and ``out_type`` are the :class:`FunctionType` of the input and output. Input
    ``(batch..., in_channels, X.num_points)``, output ``(batch..., out_channels, Y.num_points)``.
    Costs per sample: the transforms (see :func:`~groupconv.fourier.fourier_transform`) plus
    ``C_in C_out sum_rho d_rho m^H_rho m^K_rho`` for the products.
    """

    @renamed_keywords(G="group")
    def __init__(
        self,
        group: Group,
        in_channels: int,
        out_channels: int,
        domain=None,
        codomain=None,
        bandwidth: int | None = None,
        grid_size: int | None = None,
        bias: bool = True,
        generator: torch.Generator | None = None,
    ):
        super().__init__()
        if not isinstance(group, Group):
            raise TypeError(f"{type(self).__name__} needs a groupconv Group, got {type(group).__name__}")
        for name, c in (("in_channels", in_channels), ("out_channels", out_channels)):
            if isinstance(c, bool) or not isinstance(c, int) or c < 1:
                raise ValueError(f"{name} must be an int >= 1, got {c!r}")
        self.group = group
        self.domain = resolve_space(group, domain, bandwidth, grid_size)
        self.codomain = resolve_space(group, codomain, bandwidth, grid_size)
        if is_so3(group) and self.domain.bandwidth != self.codomain.bandwidth:
            raise ValueError(
                f"domain and codomain of an SO3 convolution need one bandwidth, got {self.domain.bandwidth} "
                f"and {self.codomain.bandwidth}"
            )
        self.in_channels, self.out_channels = in_channels, out_channels
        self.in_type = FunctionType(self.domain, in_channels)
        self.out_type = FunctionType(self.codomain, out_channels)
        pairs = common_irreps(self.domain, self.codomain)
        bases = filter_basis(self.domain, self.codomain)
        if not pairs or sum(b.shape[0] for b in bases) == 0:
            raise ValueError(
                f"no generalized convolution maps {self.domain} to {self.codomain}: they share no irrep "
                f"(domain {[ir.name for ir in self.domain.irreps]}, codomain {[ir.name for ir in self.codomain.irreps]})"
            )
        self._pairs = pairs
        n_params = [b.shape[0] for b in bases]
        # expansion matrix: parameters -> concatenated kept filter blocks (m^H m^K per common irrep)
        sizes = [b.shape[1] * b.shape[2] for b in bases]
        # SO(3): every irrep is of real type, so each kept block has the standard basis and the
        # parameters are the filter blocks themselves (no expansion matrix of size (sum_l (2l+1)^2)^2)
        self._identity_expansion = is_so3(group) and all(b.shape[0] == b.shape[1] * b.shape[2] for b in bases)
        if not self._identity_expansion:
            # the float64 master of the expansion and its copy in the default dtype, and the weights
            check_memory(
                12 * sum(n_params) * (sum(sizes) + in_channels * out_channels),
                f"the filter expansion of {type(self).__name__} on {group} ({sum(n_params)} x {sum(sizes)} "
                f"matrix) and its {in_channels} x {out_channels} x {sum(n_params)} weights",
                "use fewer channels, a group of smaller order or bandwidth, or functions on a homogeneous space "
                "(domain / codomain a subgroup)",
            )
            E = np.zeros((sum(n_params), sum(sizes)))
            p0 = f0 = 0
            for b, n, s in zip(bases, n_params, sizes):
                E[p0 : p0 + n, f0 : f0 + s] = b.reshape(n, s)
                p0, f0 = p0 + n, f0 + s
            self.register_derived("expansion", E)
        self._build_products(bases, sizes)
        scale = 1.0 / math.sqrt(in_channels)
        self.weight = nn.Parameter(
            torch.randn(
                in_channels, out_channels, sum(n_params), generator=generator, dtype=torch.float64
            ).to(torch.get_default_dtype())
            * scale
        )
        if bias:
            self.bias = nn.Parameter(torch.zeros(out_channels))
        else:
            self.register_parameter("bias", None)
        self._register_transform_buffers()

    # -- construction helpers --------------------------------------------------------------------------
    def _build_products(self, bases, sizes) -> None:
        """Group the common irreps by block shape ``(d, m^H, m^K)`` so each class is one einsum."""
        dom, cod = self.domain, self.codomain
        classes: dict[tuple, list[int]] = {}
        for k, (i, j) in enumerate(self._pairs):
            key = (cod.irreps[j].dim, dom.columns[i].shape[1], cod.columns[j].shape[1])
            classes.setdefault(key, []).append(k)
        f_off = np.concatenate([[0], np.cumsum(sizes)])
        self._classes = []
        out_positions = []
        for c, (key, members) in enumerate(classes.items()):
            d, mh, mk = key
            in_idx = np.concatenate(
                [
                    np.arange(dom.offsets[self._pairs[k][0]], dom.offsets[self._pairs[k][0] + 1])
                    for k in members
                ]
            )
            f_idx = np.concatenate([np.arange(f_off[k], f_off[k + 1]) for k in members])
            out_positions.extend(
                np.arange(cod.offsets[self._pairs[k][1]], cod.offsets[self._pairs[k][1] + 1]) for k in members
            )
            self.register_buffer(f"_in_idx{c}", torch.as_tensor(in_idx), persistent=False)
            self.register_buffer(f"_f_idx{c}", torch.as_tensor(f_idx), persistent=False)
            self._classes.append((len(members), d, mh, mk))
        out_positions = np.concatenate(out_positions)
        # coefficients of codomain irreps without a domain counterpart are zero (Schur)
        gather = np.full(cod.num_coefficients, len(out_positions), dtype=np.int64)
        gather[out_positions] = np.arange(len(out_positions))
        self.register_buffer("_out_gather", torch.as_tensor(gather), persistent=False)
        self._has_zero_block = bool((gather == len(out_positions)).any())

    def _register_transform_buffers(self) -> None:
        self._so3_bandwidth = None
        for name, sp in (("in", self.domain), ("out", self.codomain)):
            if is_so3(sp.group):
                # separable SO(3) / sphere tables, stored as real views so that .to(dtype) keeps them
                tables = so3_tables(sp.bandwidth)
                self._so3_bandwidth = sp.bandwidth
                for key in ("u", "d", "c0"):
                    self.register_derived(
                        f"_so3_{key}", torch.view_as_real(torch.as_tensor(tables[key])).numpy()
                    )
                self.register_derived("_so3_w", tables["w"])
                continue
            if "fast" in transform_methods(sp):
                continue
            self.register_derived(f"_analysis_{name}", sp.analysis_matrix)
            self.register_derived(f"_synthesis_{name}", sp.synthesis_matrix)

    # -- forward -----------------------------------------------------------------------------------------
    def _so3_tables(self) -> dict[str, torch.Tensor]:
        return {
            "u": torch.view_as_complex(self._so3_u),
            "d": torch.view_as_complex(self._so3_d),
            "c0": torch.view_as_complex(self._so3_c0),
            "w": self._so3_w,
        }

    def _forward_transform(self, x: torch.Tensor) -> torch.Tensor:
        sp = self.domain
        if hasattr(self, "_analysis_in"):
            return x @ self._analysis_in
        if is_so3(sp.group):
            fn = so3_forward if sp.is_group else sphere_forward
            return sp.flatten(fn(sp, x, self._so3_tables()))
        return sp.flatten(fourier_transform(x, sp).blocks)

    def _inverse_transform(self, flat: torch.Tensor) -> torch.Tensor:
        sp = self.codomain
        if hasattr(self, "_synthesis_out"):
            return flat @ self._synthesis_out
        if is_so3(sp.group):
            fn = so3_inverse if sp.is_group else sphere_inverse
            return fn(sp, sp.unflatten(flat), self._so3_tables())
        return inverse_fourier_transform(FourierCoefficients(sp, sp.unflatten(flat)))

    def filter_blocks(self) -> torch.Tensor:
        """The kept filter blocks, concatenated: ``(in_channels, out_channels, sum m^H m^K)``."""
        if self._identity_expansion:
            return self.weight
        return self.weight @ self.expansion.to(self.weight.dtype)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.in_type.check(x)
        low = autocast_dtype(x)
        if low is not None:
            # the transforms have no kernels in the autocast dtypes: the layer computes in its own dtype
            # (autocast's float32 policy, as for torch.fft), from an input in the autocast dtype
            with torch.autocast(x.device.type, enabled=False):
                return self.forward(x.to(self.weight.dtype) if x.dtype == low else x)
        if self.weight.dtype not in (torch.float32, torch.float64):
            raise TypeError(
                f"{type(self).__name__} computes in float32 or float64 (its Fourier transforms have no "
                f"{self.weight.dtype} kernels); cast the layer, e.g. layer.float()"
            )
        if x.dtype != self.weight.dtype:
            raise TypeError(
                f"{type(self).__name__}: input dtype {x.dtype} does not match the layer's dtype {self.weight.dtype}; "
                f"cast the input, e.g. x.to({self.weight.dtype}) (the layer computes in float32 or float64)"
            )
        batch = x.shape[:-2]
        if batch.numel() == 0:
            # an empty batch: the empty output, still a function of the parameters (the FFT refuses 0 sizes)
            empty = x.new_zeros(batch + (self.out_channels, self.codomain.num_points))
            return empty + 0 * sum(p.sum() for p in self.parameters())
        xf = self._forward_transform(x)
        filt = self.filter_blocks()
        outs = []
        for c, (n, d, mh, mk) in enumerate(self._classes):
            xi = xf[..., getattr(self, f"_in_idx{c}")].reshape(batch + (self.in_channels, n, d, mh))
            wi = filt[..., getattr(self, f"_f_idx{c}")].reshape(
                self.in_channels, self.out_channels, n, mh, mk
            )
            y = torch.einsum("...icdm,iocmq->...ocdq", xi, wi)
            outs.append(y.reshape(batch + (self.out_channels, n * d * mk)))
        if self._has_zero_block:
            outs.append(xf.new_zeros(batch + (self.out_channels, 1)))
        yf = torch.cat(outs, -1)[..., self._out_gather]
        y = self._inverse_transform(yf)
        if self.bias is not None:
            y = y + self.bias[:, None]
        return y

    def extra_repr(self) -> str:
        return f"{self.in_type} -> {self.out_type}, bias={self.bias is not None}"

    def state_description(self) -> dict[str, object]:
        """What the parameters mean (see :class:`~groupconv.nn.DescribedState`): the group and the input
        and output function types (spaces, bandwidths, grids, channels)."""
        return {"group": repr(self.group), "in_type": repr(self.in_type), "out_type": repr(self.out_type)}

    def _full_description(self) -> dict[str, object]:
        # one name for the layer, whichever of its names built it (GroupConvolution is a deprecated alias)
        return {**super()._full_description(), "layer": "HomogeneousFourierConv"}

    def _load_from_state_dict(self, state_dict, prefix, *args) -> None:
        key = prefix + "_extra_state"
        saved = state_dict.get(key)
        if isinstance(saved, dict) and saved.get("layer") == "GroupConvolution":
            # saved under the layer's former name: the same layer, the same parameters
            state_dict = {**state_dict, key: {**saved, "layer": "HomogeneousFourierConv"}}
        super()._load_from_state_dict(state_dict, prefix, *args)

    # -- exact certificate ---------------------------------------------------------------------------------
    def certificate(self, max_order: int = 12) -> Certificate:
        """Exact certificate (finite groups of order ``<= max_order``): with sympy, on symbolic functions
        ``f, h`` on ``G`` and the exact irreps, it proves the
        convolution theorem ``(f * h)^(rho) = f^(rho) h^(rho)``
        (:func:`~groupconv.proofs.convolution_theorem`) and the inversion formula with the
        weights ``d_rho / e_rho`` for every irrep, and that every kept column ``V_rho`` is fixed by
        ``rho(H)`` exactly; the residual is the largest deviation of the layer's float tables (analysis,
        synthesis) from their exact values, so the layer computes ``sum_i x_i * h_io`` up to it."""
        group = self.group
        if not group.is_finite:
            return Certificate("not applicable", f"{group} is continuous: check equivariance numerically")
        if group.order > max_order:
            return Certificate(
                "not applicable", f"|{group}| = {group.order} > {max_order}: symbolic check skipped"
            )
        n = group.order
        elems = list(range(n))
        fs = sympy.symbols(f"f0:{n}")
        gsp = function_space(group)
        residual = 0.0
        proved, why = certify_convolution_theorem(group, gsp.irreps)
        if not proved:
            return Certificate("failed", f"convolution theorem fails: {why}")
        # inversion, checked on the symbolic f with all irreps at once
        fh = {}
        for ir in gsp.irreps:
            mats = [sympy.Matrix(ir.exact(g)) for g in elems]
            fh[ir] = (mats, sympy.Rational(1, n) * sum((fs[g] * mats[g] for g in elems), sympy.zeros(ir.dim)))
        weight = {ir: sympy.Rational(ir.dim, endomorphism_dim(ir)) for ir in gsp.irreps}
        for u in elems:
            val = sum(
                (weight[ir] * (fh[ir][1] * fh[ir][0][u].T).trace() for ir in gsp.irreps), sympy.Integer(0)
            )
            d = sympy.expand(val - fs[u])
            if d != 0 and sympy.simplify(d) != 0:
                return Certificate("failed", f"Fourier inversion fails at element {u} of {group}")
        for sp in (self.domain, self.codomain):
            for ir, v in zip(sp.irreps, sp.columns):
                exact_vals = np.array(
                    [
                        [float(x) for x in sympy.Matrix(ir.exact(int(p))).tolist()[r]]
                        for p in np.asarray(sp.points)
                        for r in range(ir.dim)
                    ]
                ).reshape(sp.num_points, ir.dim, ir.dim)
                residual = max(
                    residual, float(np.abs(exact_vals @ v - sp.irrep_values[sp.irreps.index(ir)]).max())
                )
            if sp.subgroup is not None:
                hidx = subgroup_indices(sp.subgroup, group)
                for ir, v in zip(sp.irreps, sp.columns):
                    vq = sympy.Matrix(np.round(v, 12).tolist()).applyfunc(sympy.nsimplify)
                    for hh in hidx:
                        if (sympy.Matrix(ir.exact(int(hh))) * vq - vq).applyfunc(
                            sympy.simplify
                        ) != sympy.zeros(*vq.shape):
                            return Certificate(
                                "failed", f"kept columns of {ir.name} are not fixed by {sp.subgroup}"
                            )
        return Certificate(
            "proved",
            f"convolution theorem and inversion (weights d/e) hold exactly on symbolic functions on {group} for all "
            f"{len(gsp.irreps)} irreps; kept columns are H-invariant; layer tables match exact irreps",
            residual,
        )
