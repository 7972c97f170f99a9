"""Analytic steerable kernel bases: harmonics times radial profiles, solved per pair of irreps.

With ``rho = Q (+)_i sigma_i Q^T`` the kernel constraint
``K(g x) = rho_out(g) K(x) rho_in(g)^{-1}`` splits into one constraint per pair of irreps
``(sigma_out, sigma_in)`` (Weiler & Cesa, *General E(2)-equivariant steerable CNNs*, NeurIPS 2019,
section 2.5). In the plane, in polar coordinates ``x = (r, theta)``, each solution is a radial profile
times an angular part of a single circular-harmonic frequency ``k``,

.. math::  K(r, \\theta) = \\phi(r) \\, \\big(T_c \\cos k\\theta + T_s \\sin k\\theta\\big),

because ``G`` maps each frequency space ``span{cos k theta, sin k theta}`` onto itself. The angular
coefficients ``(T_c, T_s)`` come from :mod:`~groupconv.kernels.angular`, the radial profiles ``phi`` (Gaussian
rings or Fourier-Bessel parts) from :mod:`~groupconv.kernels.radial`; this module samples their products on
the grid and maps them to the bases of the representations. In space (``spatial_dims=3``) the same
construction runs with the real spherical harmonics ``Y_J`` of degree ``J`` in place of
``(cos k theta, sin k theta)`` (:mod:`~groupconv.kernels.spherical`), on the ``k x k x k`` voxel grid.

Examples
--------
>>> from groupconv.groups import SO2
>>> from groupconv.kernels import harmonic_kernel_basis
>>> from groupconv.reps import irrep
>>> basis = harmonic_kernel_basis(irrep(SO2(), 1), irrep(SO2(), 2), 7)
>>> basis.tensor.shape, sorted({d["frequency"] for d in basis.info})  # |2 - 1| and 2 + 1
((8, 2, 2, 7, 7), [1, 3])
"""

from __future__ import annotations

import math
import os
import sys
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import torch

from ..groups.base import check_same_group
from ..reps.representation import Irrep, Representation
from ..utils.memory import check_memory
from .angular import AngularBasis, angular_basis
from .grid import check_kernel_size, check_spatial_dims, sampled_grid
from .radial import radial_profiles
from .spec import KernelSpec

__all__ = ["KernelBasis", "ZeroBlockWarning", "harmonic_kernel_basis", "presolve_angular"]

# the groupconv package: the zero-block warning points at the first frame outside it
_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep

# pixel functions below this fraction of the largest one of their band are numerically zero
_ZERO_TOL = 1e-12


@dataclass
class KernelBasis:
    """A sampled basis of equivariant kernels between two representations.

    Attributes
    ----------
    tensor:
        ``(n, d_out, d_in, k, k)`` array (``(n, d_out, d_in, k, k, k)`` in space; float64 unless another
        ``dtype`` was asked for); element ``b`` is the kernel ``K_b`` sampled on the ``k x k`` grid (pixel
        ``(i, j)`` at ``x = j - (k-1)/2``, ``y = (k-1)/2 - i``; voxel ``(l, i, j)`` at
        ``(x, y, z = (k-1)/2 - l)``).
    rho_in, rho_out:
        The representations.
    kernel_size:
        ``k``.
    kind:
        ``"gaussian"``, ``"bessel"`` or ``"exact"``.
    info:
        One dict per element for the analytic bases: irrep slots, frequency, radial index and solution
        (harmonic), or frequency, radial index, component and free filter (lifted regular bases).
    zero_blocks:
        Pairs of irreps ``(sigma_out, sigma_in)`` (by name) whose block is forced to zero: no solution
        within the kernel size and frequency band (Schur's lemma or the selection rule).
    templates:
        For the analytic bases: ``{(sigma_out, sigma_in, k): T}`` (irreps and frequency) with ``T`` of shape
        ``(m, d_out, d_in, a)`` the angular solutions used (``a = 1`` for ``k = 0``, else 2 for
        ``(cos, sin)``; ``a = 2k + 1`` spherical harmonics of degree ``k`` in space); used by the symbolic
        certificate.
    """

    tensor: np.ndarray
    rho_in: Representation
    rho_out: Representation
    kernel_size: int
    kind: str
    info: list[dict] = field(default_factory=list)
    zero_blocks: list[tuple[str, str]] = field(default_factory=list)
    templates: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return int(self.tensor.shape[0])

    @property
    def dim(self) -> int:
        return len(self)

    def torch(self, dtype: torch.dtype = torch.float64, device=None) -> torch.Tensor:
        return torch.as_tensor(self.tensor, dtype=dtype, device=device)


def as_spec(basis: str | KernelSpec, options: dict) -> KernelSpec:
    """The spec of a builder's ``basis`` argument (a profile name with keyword options, or a spec)."""
    if isinstance(basis, KernelSpec):
        if options:
            raise TypeError(
                f"give the options in the KernelSpec or as keywords, not both; got {sorted(options)}"
            )
        return basis
    return KernelSpec.from_options(basis, **options)


def check_pair(
    rho_in: Representation, rho_out: Representation, kernel_size, spatial_dims: int
) -> tuple[AngularBasis, int, int]:
    """The angular basis, kernel size and dimension of a basis between ``rho_in`` and ``rho_out``, after
    checking that both are representations of one group with kernel bases in ``spatial_dims`` dimensions."""
    spatial_dims = check_spatial_dims(spatial_dims)
    for rho, what in ((rho_in, "rho_in"), (rho_out, "rho_out")):
        if not isinstance(rho, Representation):
            raise TypeError(f"{what} must be a Representation, got {type(rho).__name__}")
    angular = angular_basis(rho_in.group, spatial_dims)
    check_same_group(rho_in.group, rho_out.group, "output representation")
    return angular, check_kernel_size(kernel_size, spatial_dims), spatial_dims


def _band(spec: KernelSpec) -> tuple:
    """The fields of ``spec`` that the sampled profiles depend on."""
    return (spec.profile, spec.rings, spec.width, spec.max_frequency, spec.frequency_cutoff)


@lru_cache(maxsize=64)
def _sampled(band: tuple, kernel_size: int, spatial_dims: int, angular: AngularBasis):
    spec = KernelSpec(*band)
    profiles = radial_profiles(spec, kernel_size, spatial_dims)
    kmax = max((k for k, _, _ in profiles), default=0)
    coords, _ = sampled_grid(kernel_size, spatial_dims)
    harmonics = angular.harmonics(coords, kmax)
    # a profile whose pixel functions vanish on the grid (a narrow ring at the centre with a frequency k > 0,
    # whose harmonics are zero there) would add basis elements that are identically zero
    peaks = [np.abs(harmonics[k, : angular.multiplicity(k)] * phi).max() for k, _, phi in profiles]
    tol = _ZERO_TOL * max(peaks, default=0.0)
    profiles = [p for p, peak in zip(profiles, peaks) if peak > tol]
    return profiles, harmonics, _pixel_functions(profiles, harmonics, angular)


def sampled_parts(spec: KernelSpec, kernel_size: int, spatial_dims: int, angular: AngularBasis):
    """Radial profiles ``(k, j, profile)``, harmonics ``(K+1, a, *grid)`` and pixel functions
    (:func:`_pixel_functions`) of the band of ``spec`` on the grid, shared by every irrep pair (cached)."""
    return _sampled(_band(spec), kernel_size, spatial_dims, angular)


def _pixel_functions(profiles: list, harmonics: np.ndarray, angular: AngularBasis) -> list:
    """The profiles grouped by frequency: ``(k, positions, P)`` with ``P`` of shape ``(a, n_k k^d)``, the
    pixel functions (the ``a`` harmonics of frequency ``k`` times ``phi_j``, ``(cos k theta, sin k theta)
    phi_j`` in the plane, ``Y_k phi_j`` in space) of the ``n_k`` profiles of frequency ``k``."""
    out = []
    for k in sorted({k for k, _, _ in profiles}):
        pos = [n for n, (kk, _, _) in enumerate(profiles) if kk == k]
        a = angular.multiplicity(k)
        pix = np.stack([harmonics[k, :a] * profiles[n][2] for n in pos], 1)  # (a, n_k, *grid)
        out.append((k, pos, pix.reshape(a, -1)))
    return out


def _irrep_pairs(rep_pairs) -> list[tuple[Irrep, Irrep]]:
    """The distinct pairs ``(sigma_out, sigma_in)`` of irreps of the ``(rho_in, rho_out)`` pairs, one of
    each pair and its transpose (whose solutions are the transposed ones), in order of appearance."""
    pairs, seen = [], set()
    for rho_in, rho_out in rep_pairs:
        for so in dict.fromkeys(rho_out.irreps):
            for si in dict.fromkeys(rho_in.irreps):
                if (so, si) not in seen and (si, so) not in seen:
                    seen.add((so, si))
                    pairs.append((so, si))
    return pairs


def presolve(
    rep_pairs: Sequence[tuple[Representation, Representation]],
    kernel_size,
    spec: KernelSpec,
    spatial_dims: int,
) -> None:
    """Solve, in one batch, the angular parts of every pair of irreps met by the ``(rho_in, rho_out)``
    pairs of ``rep_pairs`` for the frequencies of the band of ``spec``, so that the bases of these pairs
    built next find them cached."""
    pairs = _irrep_pairs(rep_pairs)
    if not pairs:
        return
    angular, kernel_size, spatial_dims = check_pair(*rep_pairs[0], kernel_size, spatial_dims)
    profiles = sampled_parts(spec, kernel_size, spatial_dims, angular)[0]
    angular.solutions(pairs, tuple(sorted({k for k, _, _ in profiles})))


def presolve_angular(
    rep_pairs: Sequence[tuple[Representation, Representation]], kernel_size: int, basis: str, **band
) -> None:
    """Deprecated: :func:`~groupconv.kernels.kernel_bases` solves the angular parts of many pairs in one
    batch and builds their bases. Solves, in one batch, the angular parts of every pair of irreps met by
    the ``(rho_in, rho_out)`` pairs of ``rep_pairs`` for the band limit ``band`` (options of
    :class:`~groupconv.kernels.KernelSpec`), so that the :func:`harmonic_kernel_basis` calls that follow
    find them cached."""
    warnings.warn(
        "presolve_angular is deprecated: kernel_bases(pairs, kernel_size, spec) solves the angular parts of "
        "all the pairs in one batch and builds their bases",
        DeprecationWarning,
        stacklevel=2,
    )
    presolve(rep_pairs, kernel_size, KernelSpec.from_options(basis, **band), 2)


def _irrep_pair_basis(
    sigma_out: Irrep,
    sigma_in: Irrep,
    harmonics: np.ndarray,
    profiles: list,
    solutions: dict,
    pixels: list,
) -> tuple[np.ndarray, list[dict], dict]:
    """Sampled basis ``(m, d_out, d_in, k, k)`` for one pair of irreps, from its angular solutions
    ``{k: T}`` (:meth:`AngularBasis.solutions`): one product per frequency with the pixel functions of its
    profiles (:func:`_pixel_functions`), the elements ordered by profile, then solution."""
    grid = harmonics.shape[2:]
    pieces: list = [None] * len(profiles)
    templates = {}
    for k, pos, pix in pixels:
        t = solutions[k]
        if t.shape[0] == 0:
            continue
        templates[(sigma_out, sigma_in, k)] = t
        m, do, di, a = t.shape
        e = (t.reshape(m * do * di, a) @ pix).reshape(m, do, di, len(pos), *grid)
        for n, p in enumerate(pos):
            pieces[p] = e[:, :, :, n]
    elems = [e for e in pieces if e is not None]
    if not elems:
        return np.zeros((0, sigma_out.dim, sigma_in.dim, *grid)), [], {}
    info = [
        {"frequency": k, "radial": j, "solution": b}
        for (k, j, _), e in zip(profiles, pieces)
        if e is not None
        for b in range(e.shape[0])
    ]
    return np.concatenate(elems, 0), info, templates


def _transposed(pair: tuple) -> tuple:
    """The pair basis of ``(sigma_in, sigma_out)`` from that of ``(sigma_out, sigma_in)``."""
    b, info, templates = pair
    return (
        b.swapaxes(1, 2),
        info,
        {(si, so, k): t.transpose(0, 2, 1, 3) for (so, si, k), t in templates.items()},
    )


class ZeroBlockWarning(UserWarning):
    """Some irrep blocks of a kernel basis are forced to zero: no equivariant kernel between the two irreps
    exists within the kernel size and frequency band, so the layer never connects them.

    Emitted once per process for each distinct cause (group, kernel size, band and pair of irreps),
    pointing at the line that built the basis or the layer. Silence it with
    ``warnings.filterwarnings("ignore", category=ZeroBlockWarning)`` or ``KernelSpec(warn=False)``.

    Examples
    --------
    >>> import warnings
    >>> from groupconv.groups import Cyclic
    >>> from groupconv.kernels import KernelSpec, ZeroBlockWarning, kernel_basis
    >>> from groupconv.reps import regular
    >>> C8 = Cyclic(8)
    >>> with warnings.catch_warnings():
    ...     warnings.filterwarnings("ignore", category=ZeroBlockWarning)
    ...     basis = kernel_basis(regular(C8), regular(C8), 5, KernelSpec(max_frequency=2))
    >>> ("irrep(4)", "irrep(0)") in basis.zero_blocks
    True
    """


# the causes (group, kernel size, band, irrep pair) already reported in this process
_REPORTED: set = set()


def warn_zero_blocks(group, kernel_size: int, spec: KernelSpec, zero: list, spatial_dims: int = 2) -> None:
    """Warn (:class:`ZeroBlockWarning`) about the irrep pairs ``(out, in)`` of ``zero`` not reported before
    for this group, kernel size (of ``spatial_dims`` axes) and band, pointing at the first frame outside the
    package (the code that asked for the basis or built the layer)."""
    band = (repr(group), kernel_size, spatial_dims, _band(spec))
    new = [pair for pair in zero if (band, pair) not in _REPORTED]
    if not new:
        return
    _REPORTED.update((band, pair) for pair in new)
    # a large group has hundreds of such pairs: the first few name the pattern, the count the extent
    shown = ", ".join(f"{i} -> {o}" for o, i in new[:8]) + (
        f" and {len(new) - 8} more" if len(new) > 8 else ""
    )
    frame, level = sys._getframe(1), 1
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        frame, level = frame.f_back, level + 1
    warnings.warn(
        f"{group} {_size(kernel_size, spatial_dims)} {spec.profile} kernels: the blocks {shown} (in -> out "
        "irreps) are forced to zero, no equivariant kernel maps them within the frequency band",
        ZeroBlockWarning,
        stacklevel=level + 1,
    )


def _size(kernel_size: int, spatial_dims: int) -> str:
    return "x".join([str(kernel_size)] * spatial_dims)


def _change_basis(
    qo: np.ndarray, out_slots: list, qi: np.ndarray, in_slots: list, blocks: list, dtype=np.float64
) -> np.ndarray:
    """Every basis element of the (non-empty list of) irrep blocks ``(p, q, b)``, ``b`` of shape
    ``(m, d_p, d_q, *grid)``, mapped to the bases of the representations, ``Q_out[:, p] b Q_in[:, q]^T``,
    in block order: ``(sum m, D_out, D_in, *grid)`` of ``dtype``. Vectorized over all blocks (irrep
    dimensions padded to the largest), in float64, a few elements at a time: the float64 intermediates
    stay small and the result is written once in ``dtype``."""
    grid = blocks[0][2].shape[3:]
    hw = math.prod(grid)
    # padded to the largest irrep of either side (slots whose blocks are all empty included)
    d = max(sl.stop - sl.start for _, sl in out_slots + in_slots)

    def padded(q, slots):
        out = np.zeros((len(slots), q.shape[0], d))
        for i, (_, sl) in enumerate(slots):
            out[i, :, : sl.stop - sl.start] = q[:, sl]
        return out

    qo_p, qi_p = padded(qo, out_slots), padded(qi, in_slots)
    m = sum(b.shape[0] for _, _, b in blocks)
    bb = np.zeros((m, d, d, hw))
    po, pi = np.empty(m, dtype=np.int64), np.empty(m, dtype=np.int64)
    e = 0
    for p, q, b in blocks:
        n = b.shape[0]
        bb[e : e + n, : b.shape[1], : b.shape[2]] = b.reshape(n, b.shape[1], b.shape[2], hw)
        po[e : e + n], pi[e : e + n] = p, q
        e += n
    do, di = qo.shape[0], qi.shape[0]
    qo_e, qi_e = qo_p[po], qi_p[pi][:, None]  # (m, D_out, d), (m, 1, D_in, d)
    out = np.empty((m, do, di, hw), dtype=dtype)
    # elements per step: float64 temporaries of at most 1 MiB
    step = max(1, 2**15 // (do * max(di, d) * hw))
    tmp = np.empty((step, do, di, hw)) if out.dtype != np.float64 else None
    for e in range(0, m, step):
        f = min(e + step, m)
        # Q_out b, then (Q_out b) Q_in^T, pixel by pixel; in float64, rounded once when copied to out (a
        # product written straight into a float32 out is slower)
        left = np.matmul(qo_e[e:f], bb[e:f].reshape(f - e, d, d * hw)).reshape(f - e, do, d, hw)
        if tmp is None:
            np.matmul(qi_e[e:f], left, out=out[e:f])
        else:
            np.matmul(qi_e[e:f], left, out=tmp[: f - e])
            out[e:f] = tmp[: f - e]
    return out.reshape(m, do, di, *grid)


def _slots(rho: Representation) -> list[tuple[Irrep, slice]]:
    out, i = [], 0
    for ir in rho.irreps:
        out.append((ir, slice(i, i + ir.dim)))
        i += ir.dim
    return out


def build_harmonic(
    rho_in: Representation, rho_out: Representation, kernel_size, spec: KernelSpec, spatial_dims: int, dtype
) -> KernelBasis:
    """The harmonic basis of :func:`harmonic_kernel_basis` from a spec: the construction shared by
    :func:`harmonic_kernel_basis` and :func:`~groupconv.kernels.kernel_basis`."""
    angular, kernel_size, spatial_dims = check_pair(rho_in, rho_out, kernel_size, spatial_dims)
    profiles, harmonics, pixels = sampled_parts(spec, kernel_size, spatial_dims, angular)
    out_slots = _slots(rho_out)
    in_slots = _slots(rho_in)
    uo = list(dict.fromkeys(ir for ir, _ in out_slots))
    ui = list(dict.fromkeys(ir for ir, _ in in_slots))
    pairs = _irrep_pairs([(rho_in, rho_out)])
    ks = tuple(sorted({k for k, _, _ in profiles}))
    solutions = angular.solutions(pairs, ks)
    # the number of elements of each irrep pair's basis, known before any pixel is sampled
    count = {}
    for (so, si), t in zip(pairs, solutions):
        count[(so, si)] = count[(si, so)] = sum(t[k].shape[0] * len(pos) for k, pos, _ in pixels)
    m = sum(count[(so, si)] for so, _ in out_slots for si, _ in in_slots)
    kk = kernel_size**spatial_dims
    # the irrep pairs' bases and the padded blocks (float64), then the basis itself
    nbytes = kk * (
        8 * sum(count[p] * p[0].dim * p[1].dim for p in pairs)
        + m * (8 * 4 + rho_out.dim * rho_in.dim * np.dtype(dtype).itemsize)
    )
    check_memory(
        nbytes,
        f"the {_size(kernel_size, spatial_dims)} kernel basis {rho_in!r} -> {rho_out!r} ({m} elements of "
        f"{rho_out.dim} x {rho_in.dim} x {kk})",
        "use a smaller kernel_size, a lower max_frequency / frequency_cutoff, or fewer / smaller fields",
    )
    solved = {
        pair: _irrep_pair_basis(*pair, harmonics, profiles, t, pixels) for pair, t in zip(pairs, solutions)
    }
    # planar irreps are orthogonal: K solves the (so, si) constraint iff K^T solves (si, so)
    table = [[solved.get((so, si)) or _transposed(solved[(si, so)]) for si in ui] for so in uo]
    templates: dict = {}
    for row in table:
        for _, _, tmpl in row:
            templates.update(tmpl)
    index_o, index_i = {ir: n for n, ir in enumerate(uo)}, {ir: n for n, ir in enumerate(ui)}
    slot_i = [index_i[ir] for ir, _ in in_slots]
    blocks, info, zero = [], [], []
    for p, (so, _) in enumerate(out_slots):
        row = table[index_o[so]]
        for q, t in enumerate(slot_i):
            b, binfo, _ = row[t]
            if b.shape[0] == 0:
                name = (so.name, ui[t].name)
                if name not in zero:
                    zero.append(name)
                continue
            blocks.append((p, q, b))
            info.extend(dict(d, out_slot=p, in_slot=q) for d in binfo)
    if not blocks and not spec.allow_empty:
        raise ValueError(
            f"empty kernel basis: no {_size(kernel_size, spatial_dims)} kernel maps {rho_in!r} to {rho_out!r} "
            f"equivariantly within the frequency band (basis={spec.profile!r}, max_frequency={spec.max_frequency}); "
            "use a larger kernel, a higher max_frequency / frequency_cutoff, or other representations"
        )
    if zero and spec.warn:
        warn_zero_blocks(rho_in.group, kernel_size, spec, zero, spatial_dims)
    if blocks:
        tensor = _change_basis(
            rho_out.change_of_basis, out_slots, rho_in.change_of_basis, in_slots, blocks, dtype
        )
    else:
        tensor = np.zeros((0, rho_out.dim, rho_in.dim) + (kernel_size,) * spatial_dims, dtype=dtype)
    return KernelBasis(
        tensor=tensor,
        rho_in=rho_in,
        rho_out=rho_out,
        kernel_size=kernel_size,
        kind=spec.profile,
        info=info,
        zero_blocks=zero,
        templates=templates,
    )


def harmonic_kernel_basis(
    rho_in: Representation,
    rho_out: Representation,
    kernel_size,
    basis: str | KernelSpec = "gaussian",
    *,
    spatial_dims: int = 2,
    dtype=np.float64,
    **options,
) -> KernelBasis:
    """Steerable kernel basis between two representations of ``C_n``, ``D_n``, ``SO(2)`` or ``O(2)`` on the
    plane, or of ``SO(3)``, ``O(3)`` or a finite group acting on ``R^3`` (``O``, ``Oh``, ``I``, ``Ih``) in
    space.

    .. math::  K_{p q k j b}(x) = Q_{out}[:, p] \\, \\phi_j(r) \\big(T^{(b)}_c \\cos k\\theta
               + T^{(b)}_s \\sin k\\theta\\big) \\, Q_{in}[:, q]^T

    for every pair of irrep slots ``(p, q)`` of ``rho_out = Q_out (+) sigma_p Q_out^T`` and
    ``rho_in = Q_in (+) sigma_q Q_in^T``, every frequency ``k`` and radial profile ``phi_j`` allowed by
    the band limit, and every angular solution ``T^{(b)}`` (:func:`~groupconv.kernels.angular_solutions`);
    in space ``sum_a T^{(b)}_a Y_{k,a}(x / r)`` replaces the circular harmonics
    (:mod:`~groupconv.kernels.spherical`).
    The construction loops over irrep pairs once; the sampling is vectorized over the grid.
    :func:`~groupconv.kernels.kernel_basis` chooses between this construction and the lifted one of
    :func:`~groupconv.kernels.regular_kernel_basis`.

    Parameters
    ----------
    basis:
        A :class:`~groupconv.kernels.KernelSpec`, or its profile (``"gaussian"``: rings of Weiler & Cesa
        2019; ``"bessel"``: Fourier-Bessel radial parts with the DCFNet cutoff) with the other fields of
        the spec as keyword ``options`` (``max_frequency``, ``frequency_cutoff``, ``rings``, ``width``,
        ``warn``, ``allow_empty``; ``sigma`` is the deprecated name of ``width``).
    spatial_dims:
        2 (the plane, ``(n, d_out, d_in, k, k)``) or 3 (space, ``(n, d_out, d_in, k, k, k)``; the
        ``"gaussian"`` profile only).
    dtype:
        numpy dtype of the returned tensor: computed in float64 and rounded once (``np.float32`` for a
        basis stored in single precision, without a float64 copy of the whole tensor).

    Raises
    ------
    TypeError
        for representations of different groups or of a group without kernel bases in that dimension.
    ValueError
        for a bad option, or when the basis is empty (no equivariant kernel of this size and band limit
        exists) unless ``allow_empty``.

    Examples
    --------
    >>> from groupconv.groups import O3
    >>> from groupconv.reps import irrep
    >>> basis = harmonic_kernel_basis(irrep(O3(), 0, 1), irrep(O3(), 1, -1), 5, spatial_dims=3)
    >>> basis.tensor.shape, sorted({d["frequency"] for d in basis.info})  # a vector field: degree 1 only
    ((2, 3, 1, 5, 5, 5), [1])
    """
    return build_harmonic(rho_in, rho_out, kernel_size, as_spec(basis, options), spatial_dims, dtype)
