"""Clebsch-Gordan coefficients of the continuous groups ``SO(2)``, ``O(2)``, ``SO(3)`` and ``O(3)``.

Every rule returns ``(irreps, C)`` in the format of :func:`~groupconv.reps.clebsch_gordan`: ``C`` is
orthogonal, rows in Kronecker order ``(a, b) -> a d_tau + b``, and

.. math:: \\sigma(g) \\otimes \\tau(g) = C \\Big(\\bigoplus_k \\lambda_k(g)\\Big) C^\\top .

Planar groups (closed form). A vector of ``R^2 (x) R^2`` is a ``2 x 2`` matrix ``M`` acted on as
``M -> sigma(g) M tau(g)^T``; the "conformal" matrices ``p I + q J`` and the "reflection-like" ones
``(p I + q J) F`` are invariant subspaces on which ``(p, q)`` rotates by ``(k_1 - k_2) theta``, resp.
``(k_1 + k_2) theta``. Hence for ``SO(2)``, ``k_1 (x) k_2 = |k_1 - k_2| (+) (k_1 + k_2)`` (``0 (+) 0 (+) 2k``
when ``k_1 = k_2``), and for ``O(2)``, ``(1, k_1) (x) (1, k_2) = (1, |k_1 - k_2|) (+) (1, k_1 + k_2)``, with
``(0, 0) (+) (1, 0) (+) (1, 2k)`` when ``k_1 = k_2``; ``(1, 0) (x) (1, k) = (1, k)`` through ``C = J``.

``SO(3)``: ``l_1 (x) l_2 = |l_1 - l_2| (+) ... (+) (l_1 + l_2)``. The complex coefficients
``<l_1 m_1 l_2 m_2 | l m>`` come from Racah's formula (Racah, Phys. Rev. 62, 1942, eq. 16b) in exact
rational arithmetic (:class:`fractions.Fraction`), as a rational times the square root of a rational; the
exact change from the complex (Condon-Shortley) spherical harmonics to the real basis of
:mod:`groupconv.reps.spatial`, ``Y^{real} = U Y^{complex}``, gives the real coefficients
``C = (U_1 (x) U_2) C^{complex} U_l^\\dagger`` (times ``-i`` on the blocks where that product is
imaginary). In every entry only the configurations ``(m_1, m_2, m)`` and ``(-m_1, -m_2, -m)`` meet, which
share their square root, so each real coefficient is exactly ``+- sqrt(r)`` with ``r`` rational.
``O(3)``: ``(l_1, p_1) (x) (l_2, p_2) = (+)_l (l, p_1 p_2)`` with the same ``C``.

Float path: blocks whose degrees are all at most ``FLOAT_DEGREE = 8`` are computed in float64 instead,
by the same formula with the sum over ``k`` taken exactly on integers and one rounding for each of the
sum, the square root and the change of basis (within ``1e-14`` of the exact block, tested up to degree
8); this is faster than reading a cached file, and a layer's first use costs milliseconds.

Cache: each larger block ``(l_1, l_2, l)`` is kept in memory and on disk (:mod:`groupconv.utils.cache`) as
``clebsch_gordan/so3_v2_<l1>_<l2>_<l>.npz`` holding the float64 block ``C`` of shape
``(2l_1+1, 2l_2+1, 2l+1)`` and its exact signed squares ``sign(c) c^2`` as strings ``"p/q"`` (no pickled
objects). A block read back is used only if it is finite, of the right shape and key, equal to the signed
square roots of its exact squares, orthonormal (``C^T C = I``) and intertwining on three fixed rotations
(the equation above, to ``1e-9``); otherwise it is recomputed and replaced, with a warning.

Examples
--------
>>> from groupconv.groups import O2
>>> from groupconv.reps import clebsch_gordan_exact, irrep
>>> found, C = clebsch_gordan_exact(irrep(O2(), 1, 1), irrep(O2(), 1, 2))
>>> [ir.id for ir in found], C.shape
([(1, 1), (1, 3)], (4, 4))
"""

from __future__ import annotations

import math
from fractions import Fraction
from functools import lru_cache
from math import factorial

import numpy as np
import torch

from ..groups.planar import O2, SO2
from ..groups.spatial import O3, SO3
from ..utils.cache import cached_arrays
from ..utils.lazy import sympy
from .decomposition import register_clebsch_gordan
from .irreps import O2Irrep, SO2Irrep
from .representation import Irrep
from .spatial import O3Irrep, SO3Irrep, wigner_D

__all__ = [
    "su2_clebsch_gordan",
    "so3_clebsch_gordan",
    "so3_clebsch_gordan_exact",
    "complex_to_real",
    "wigner_J_exact",
]

_FORMAT_VERSION = 2


# -- exact SO(3) algebra -----------------------------------------------------------------------------
def su2_clebsch_gordan(l1: int, m1: int, l2: int, m2: int, l: int, m: int) -> tuple[Fraction, Fraction]:
    """``(s, r)`` with ``<l_1 m_1 l_2 m_2 | l m> = s sqrt(r)`` exactly (Racah's formula):

    .. math::
        \\langle l_1 m_1 l_2 m_2 | l m \\rangle = \\delta_{m, m_1 + m_2}
        \\sqrt{\\frac{(2l+1)(l+l_1-l_2)!(l-l_1+l_2)!(l_1+l_2-l)!}{(l_1+l_2+l+1)!}}
        \\sqrt{(l+m)!(l-m)!(l_1-m_1)!(l_1+m_1)!(l_2-m_2)!(l_2+m_2)!}
        \\sum_k \\frac{(-1)^k}{k!(l_1+l_2-l-k)!(l_1-m_1-k)!(l_2+m_2-k)!(l-l_2+m_1+k)!(l-l_1-m_2+k)!}
    """
    zero = (Fraction(0), Fraction(0))
    if m != m1 + m2 or abs(m1) > l1 or abs(m2) > l2 or abs(m) > l or not abs(l1 - l2) <= l <= l1 + l2:
        return zero
    f = factorial
    lo = max(0, l2 - l - m1, l1 - l + m2)
    hi = min(l1 + l2 - l, l1 - m1, l2 + m2)
    if lo > hi:
        return zero
    # the sum over k on the common denominator of its terms, in integers (one reduction at the end)
    dens = [
        f(k) * f(l1 + l2 - l - k) * f(l1 - m1 - k) * f(l2 + m2 - k) * f(l - l2 + m1 + k) * f(l - l1 - m2 + k)
        for k in range(lo, hi + 1)
    ]
    common = math.lcm(*dens)
    total = sum((-1) ** k * (common // d) for k, d in zip(range(lo, hi + 1), dens))
    if total == 0:
        return zero
    num = (2 * l + 1) * f(l + l1 - l2) * f(l - l1 + l2) * f(l1 + l2 - l)
    num *= f(l + m) * f(l - m) * f(l1 - m1) * f(l1 + m1) * f(l2 - m2) * f(l2 + m2)
    return Fraction(total, common), Fraction(num, f(l1 + l2 + l + 1))


def _u_entries(l: int) -> dict[int, list[tuple[int, complex]]]:
    """For each complex index ``l + m``: the real indices ``a`` with ``U[a, l + m] != 0`` and
    ``sqrt(2)^{[m != 0]} U[a, l + m]`` (a unit ``+-1`` or ``+-i``)."""
    out: dict[int, list[tuple[int, complex]]] = {l: [(l, 1)]}
    for mu in range(1, l + 1):
        sign = (-1) ** mu
        out[l + mu] = [(l + mu, sign), (l - mu, -1j * sign)]
        out[l - mu] = [(l + mu, 1), (l - mu, 1j)]
    return out


def complex_to_real(l: int) -> sympy.Matrix:
    """The exact unitary ``U`` with ``Y^{real}_l = U Y^{complex}_l``: complex spherical harmonics with the
    Condon-Shortley phase, ``Y^{complex}_{l,-m} = (-1)^m conj(Y^{complex}_{l,m})``, to the real ones of
    :func:`~groupconv.reps.spherical_harmonics` (index ``l + m``). Row ``m > 0`` is
    ``((-1)^m e_m + e_{-m}) / sqrt 2``, row ``-m`` is ``i (e_{-m} - (-1)^m e_m) / sqrt 2``."""
    u = sympy.zeros(2 * l + 1, 2 * l + 1)
    for j, entries in _u_entries(l).items():
        for a, unit in entries:
            re, im = _gauss(unit)
            val = sympy.Integer(re) + sympy.I * im
            u[a, j] = val if j == l else val / sympy.sqrt(2)
    return u


def _gauss(unit) -> tuple[int, int]:
    unit = complex(unit)
    return int(unit.real), int(unit.imag)


def _gmul(a: tuple[int, int], b: tuple[int, int]) -> tuple[int, int]:
    return a[0] * b[0] - a[1] * b[1], a[0] * b[1] + a[1] * b[0]


def _finish_real(acc: dict, what: str) -> dict:
    """``{index: signed square}`` from ``{index: [re, im, r, h]}`` meaning ``(re + i im) sqrt(r / 2^h)``;
    the block is either real or imaginary (then multiplied by ``-i``)."""
    entries = {k: v for k, v in acc.items() if v[0] != 0 or v[1] != 0}
    real = all(v[1] == 0 for v in entries.values())
    imag = all(v[0] == 0 for v in entries.values())
    if not (real or imag):
        raise ArithmeticError(f"{what} is neither real nor imaginary")  # pragma: no cover
    out = {}
    for k, (re, im, r, h) in entries.items():
        x = re if real else im
        out[k] = (1 if x > 0 else -1) * x * x * r / 2**h
    return out


@lru_cache(maxsize=1024)
def _so3_block_exact(l1: int, l2: int, l: int) -> dict[tuple[int, int, int], Fraction]:
    """Signed squares ``sign(c) c^2`` of the nonzero real coefficients ``C[a, b, c]`` of ``l`` in
    ``l_1 (x) l_2``."""
    u1, u2, u3 = _u_entries(l1), _u_entries(l2), _u_entries(l)
    acc: dict = {}
    for m1 in range(-l1, l1 + 1):
        for m2 in range(-l2, l2 + 1):
            m = m1 + m2
            if abs(m) > l:
                continue
            s, r = su2_clebsch_gordan(l1, m1, l2, m2, l, m)
            if s == 0:
                continue
            h = (m1 != 0) + (m2 != 0) + (m != 0)
            for a, x1 in u1[l1 + m1]:
                for b, x2 in u2[l2 + m2]:
                    for c, x3 in u3[l + m]:
                        unit = _gmul(_gmul(_gauss(x1), _gauss(x2)), _gauss(complex(x3).conjugate()))
                        cur = acc.setdefault((a, b, c), [Fraction(0), Fraction(0), r, h])
                        if cur[2] != r or cur[3] != h:
                            raise ArithmeticError(
                                "Clebsch-Gordan terms with different radicals"
                            )  # pragma: no cover
                        cur[0] += unit[0] * s
                        cur[1] += unit[1] * s
    return _finish_real(acc, f"the Clebsch-Gordan block ({l1}, {l2}, {l})")


def _check_block(l1: int, l2: int, l: int, arrays: dict[str, np.ndarray]) -> str | None:
    """``None`` if the cached block is the Clebsch-Gordan block ``(l1, l2, l)``, else what is wrong."""
    c, text = arrays["C"], arrays["signed_squares"]
    nonzero = text != "0"
    try:
        squares = np.array([float(Fraction(str(v))) for v in text[nonzero]])
    except (ValueError, ZeroDivisionError):
        return "its exact squares do not parse as fractions p/q"
    roots = np.zeros(c.shape)
    roots[nonzero] = np.sign(squares) * np.sqrt(np.abs(squares))
    if np.abs(roots - c).max() > 1e-14:
        return "C is not the signed square root of its exact squares"
    flat = c.reshape(-1, c.shape[2])
    if np.abs(flat.T @ flat - np.eye(c.shape[2])).max() > 1e-12:
        return "C is not orthonormal"
    angles = torch.tensor([[0.3, 1.1, -2.0], [2.5, 0.4, 0.9], [-1.2, 2.9, 0.2]], dtype=torch.float64)
    d1, d2, d = (wigner_D(k, *angles.T).numpy() for k in (l1, l2, l))
    left = np.einsum("rai,rbj,ijc->rabc", d1, d2, c, optimize=True)
    right = np.einsum("abk,rkc->rabc", c, d, optimize=True)
    if np.abs(left - right).max() > 1e-9:
        return "C does not intertwine the Wigner-D matrices"
    return None


def _compute_block(l1: int, l2: int, l: int) -> dict[str, np.ndarray]:
    shape = (2 * l1 + 1, 2 * l2 + 1, 2 * l + 1)
    squares = np.full(shape, "0", dtype=object)
    c = np.zeros(shape)
    for k, v in _so3_block_exact(l1, l2, l).items():
        c[k] = math.copysign(math.sqrt(float(abs(v))), v)
        squares[k] = f"{v.numerator}/{v.denominator}"
    return {"C": c, "signed_squares": squares.astype(str)}


#: Blocks whose degrees are all at most this are computed in float64 (:func:`_so3_block_float`) instead
#: of exactly and cached on disk: for them the float sum is accurate to rounding (tested against the
#: exact path) and faster than reading a file.
FLOAT_DEGREE = 8


def _racah_float(l1: int, m1: int, l2: int, m2: int, l: int) -> float:
    """``<l_1 m_1 l_2 m_2 | l, m_1 + m_2>`` in float64 from the exact ``s sqrt(r)`` of
    :func:`su2_clebsch_gordan`, one rounding for each of ``s``, ``r`` and the square root."""
    s, r = su2_clebsch_gordan(l1, m1, l2, m2, l, m1 + m2)
    return float(s) * math.sqrt(float(r)) if s else 0.0


@lru_cache(maxsize=64)
def _complex_to_real_np(l: int) -> np.ndarray:
    """:func:`complex_to_real` in complex128."""
    u = np.zeros((2 * l + 1, 2 * l + 1), dtype=np.complex128)
    for j, entries in _u_entries(l).items():
        for a, unit in entries:
            u[a, j] = unit if j == l else unit / math.sqrt(2)
    return u


def _so3_block_float(l1: int, l2: int, l: int) -> np.ndarray:
    """The real block ``C`` of ``l`` in ``l_1 (x) l_2`` in float64: the complex coefficients by
    :func:`_racah_float`, then the change to the real basis (module docstring), the same convention as the
    exact path (the real part, or the imaginary part where the product is imaginary)."""
    cc = np.zeros((2 * l1 + 1, 2 * l2 + 1, 2 * l + 1))
    for m1 in range(-l1, l1 + 1):
        for m2 in range(max(-l2, -l - m1), min(l2, l - m1) + 1):
            cc[l1 + m1, l2 + m2, l + m1 + m2] = _racah_float(l1, m1, l2, m2, l)
    u1, u2, u3 = _complex_to_real_np(l1), _complex_to_real_np(l2), _complex_to_real_np(l)
    # (U_1 (x) U_2) C^complex U_l^dagger, one factor at a time
    c = np.einsum("ai,ijk->ajk", u1, cc)
    c = np.einsum("bj,ajk->abk", u2, c)
    c = np.einsum("ck,abk->abc", u3.conj(), c)
    re, im = np.abs(c.real).max(), np.abs(c.imag).max()
    if min(re, im) > 1e-12:  # pragma: no cover - the block is real or imaginary (module docstring)
        raise ArithmeticError(f"the Clebsch-Gordan block ({l1}, {l2}, {l}) is neither real nor imaginary")
    out = np.ascontiguousarray(c.real if re >= im else c.imag)
    out[np.abs(out) < 1e-15] = 0.0
    return out


@lru_cache(maxsize=1024)
def _so3_block(l1: int, l2: int, l: int) -> np.ndarray:
    shape = (2 * l1 + 1, 2 * l2 + 1, 2 * l + 1)
    if max(l1, l2, l) <= FLOAT_DEGREE:
        c = _so3_block_float(l1, l2, l)
        c.setflags(write=False)
        return c
    arrays = cached_arrays(
        f"clebsch_gordan/so3_v{_FORMAT_VERSION}_{l1}_{l2}_{l}.npz",
        f"groupconv so3 real Clebsch-Gordan v{_FORMAT_VERSION} ({l1}, {l2}, {l})",
        {"C": (shape, np.float64), "signed_squares": (shape, np.str_)},
        lambda: _compute_block(l1, l2, l),
        lambda arrays: _check_block(l1, l2, l, arrays),
    )
    c = np.array(arrays["C"], dtype=np.float64)
    c.setflags(write=False)
    return c


def _check_degrees(l1, l2, l) -> tuple[int, int, int]:
    for x in (l1, l2, l):
        if isinstance(x, bool) or not isinstance(x, (int, np.integer)) or x < 0:
            raise ValueError(f"degrees must be integers >= 0, got ({l1!r}, {l2!r}, {l!r})")
    l1, l2, l = int(l1), int(l2), int(l)
    if not abs(l1 - l2) <= l <= l1 + l2:
        raise ValueError(f"degree {l} does not occur in {l1} (x) {l2}: need |l1 - l2| <= l <= l1 + l2")
    return l1, l2, l


def so3_clebsch_gordan(l1: int, l2: int, l: int) -> np.ndarray:
    """Real Clebsch-Gordan coefficients ``C[a, b, c]`` (float64, shape ``(2l_1+1, 2l_2+1, 2l+1)``, a
    new array) with ``sum_{ab} C[a,b,c] C[a,b,c'] = delta_{cc'}`` and

    .. math:: \\sum_{a'b'} D^{l_1}_{aa'}(R) D^{l_2}_{bb'}(R) C[a',b',c] = \\sum_{c'} C[a,b,c'] D^{l}_{c'c}(R)

    in the real basis of :func:`~groupconv.reps.wigner_D`; cached in memory (the result is a copy). Blocks
    of degrees up to ``FLOAT_DEGREE`` (8) are computed in float64 by Racah's formula with integer
    factorials (to a few ulps); larger ones exactly and cached on disk (module docstring)."""
    return _so3_block(*_check_degrees(l1, l2, l)).copy()


def so3_clebsch_gordan_exact(l1: int, l2: int, l: int) -> sympy.Array:
    """The coefficients of :func:`so3_clebsch_gordan` as an exact sympy ``Array`` of shape
    ``(2l_1+1, 2l_2+1, 2l+1)`` with entries ``+- sqrt(r)``, ``r`` rational."""
    l1, l2, l = _check_degrees(l1, l2, l)
    arr = sympy.MutableDenseNDimArray.zeros(2 * l1 + 1, 2 * l2 + 1, 2 * l + 1)
    for k, v in _so3_block_exact(l1, l2, l).items():
        arr[k] = sympy.sign(v) * sympy.sqrt(sympy.Rational(abs(v.numerator), v.denominator))
    return sympy.ImmutableDenseNDimArray(arr)


@lru_cache(maxsize=1024)
def _wigner_J_squares(l: int) -> dict[tuple[int, int], Fraction]:
    """Signed squares of ``J_l = D^l(Q)``, ``Q = Rz(pi/2) Ry(pi/2) Rz(pi/2)``, from Wigner's formula.

    With ``Y^{complex}(R u) = conj(D^{std}(R)) Y^{complex}(u)`` (``D^{std}_{m'm} = e^{-i m' alpha}
    d_{m'm}(beta) e^{-i m gamma}``, Wigner's small-d at ``beta = pi/2`` a rational multiple of
    ``sqrt((l+m')!(l-m')!(l+m)!(l-m)!) / 2^l``), ``J = U conj(D^{std}(Q)) U^dagger``.
    """
    f = factorial
    u = _u_entries(l)
    acc: dict = {}
    for mp in range(-l, l + 1):
        for m in range(-l, l + 1):
            t = Fraction(0)
            for s in range(max(0, m - mp), min(l + m, l - mp) + 1):
                t += Fraction((-1) ** (mp - m + s), f(l + m - s) * f(s) * f(mp - m + s) * f(l - mp - s))
            if t == 0:
                continue
            radicand = Fraction(f(l + mp) * f(l - mp) * f(l + m) * f(l - m), 4**l)
            phase = _gauss(1j ** ((mp + m) % 4))  # conj((-i)^{m'} (-i)^m)
            h = (mp != 0) + (m != 0)
            for a, x1 in u[l + mp]:
                for c, x3 in u[l + m]:
                    unit = _gmul(_gmul(_gauss(x1), phase), _gauss(complex(x3).conjugate()))
                    cur = acc.setdefault((a, c), [Fraction(0), Fraction(0), radicand, h])
                    cur[0] += unit[0] * t
                    cur[1] += unit[1] * t
    out = _finish_real(acc, f"J_{l}")
    return out


def wigner_J_exact(l: int) -> sympy.Matrix:
    """``J_l = D^l(Q)`` (see :func:`~groupconv.reps.wigner_J`) as an exact sympy Matrix."""
    if isinstance(l, bool) or not isinstance(l, (int, np.integer)) or l < 0:
        raise ValueError(f"the degree l must be an integer >= 0, got {l!r}")
    l = int(l)
    j = sympy.zeros(2 * l + 1, 2 * l + 1)
    for (a, c), v in _wigner_J_squares(l).items():
        j[a, c] = sympy.sign(v) * sympy.sqrt(sympy.Rational(abs(v.numerator), v.denominator))
    return j


def _so3_rule_ids(l1: int, l2: int) -> list[int]:
    return list(range(abs(l1 - l2), l1 + l2 + 1))


def _stack_blocks(blocks: list[np.ndarray]) -> np.ndarray:
    d = blocks[0].shape[0] * blocks[0].shape[1]
    return np.concatenate([b.reshape(d, -1) for b in blocks], 1)


def _so3_cg(sigma: Irrep, tau: Irrep):
    l1, l2 = sigma.l, tau.l
    ls = _so3_rule_ids(l1, l2)
    c = _stack_blocks([_so3_block(l1, l2, l) for l in ls])
    if isinstance(sigma, O3Irrep):
        p = sigma.p * tau.p
        return [O3Irrep(sigma.group, l, p) for l in ls], c
    return [SO3Irrep(sigma.group, l) for l in ls], c


def _so3_cg_exact(sigma: Irrep, tau: Irrep):
    l1, l2 = sigma.l, tau.l
    ls = _so3_rule_ids(l1, l2)
    d = (2 * l1 + 1) * (2 * l2 + 1)
    cols = [sympy.Matrix(so3_clebsch_gordan_exact(l1, l2, l).reshape(d, 2 * l + 1).tolist()) for l in ls]
    found, _ = _so3_cg(sigma, tau)
    return found, sympy.Matrix.hstack(*cols)


# -- planar groups ------------------------------------------------------------------------------------
def _planar_blocks(k1: int, k2: int, exact: bool):
    """Columns (flattened ``2 x 2`` matrices, Kronecker order) of the conformal pair rotating by
    ``k1 - k2`` and the reflection-like pair rotating by ``k1 + k2``."""
    h = sympy.sqrt(2) / 2 if exact else 1 / math.sqrt(2)
    sign = -1 if k1 < k2 else 1
    conformal = [[h, 0], [0, -sign * h], [0, sign * h], [h, 0]]
    reflection = [[h, 0], [0, h], [0, h], [-h, 0]]
    return conformal, reflection


def _hstack(cols: list, exact: bool):
    if exact:
        return sympy.Matrix.hstack(*[sympy.Matrix(c) for c in cols])
    return np.concatenate([np.asarray(c, dtype=np.float64) for c in cols], 1)


def _identity(n: int, exact: bool):
    return sympy.eye(n) if exact else np.eye(n)


def _so2_cg_any(sigma: SO2Irrep, tau: SO2Irrep, exact: bool):
    G, k1, k2 = sigma.group, sigma.k, tau.k
    if k1 == 0 or k2 == 0:
        return [SO2Irrep(G, k1 + k2)], _identity(sigma.dim * tau.dim, exact)
    conf, refl = _planar_blocks(k1, k2, exact)
    if k1 == k2:
        return [SO2Irrep(G, 0), SO2Irrep(G, 0), SO2Irrep(G, 2 * k1)], _hstack([conf, refl], exact)
    return [SO2Irrep(G, abs(k1 - k2)), SO2Irrep(G, k1 + k2)], _hstack([conf, refl], exact)


def _o2_cg_any(sigma: O2Irrep, tau: O2Irrep, exact: bool):
    G = sigma.group
    (j1, k1), (j2, k2) = sigma.id, tau.id
    if k1 == 0 and k2 == 0:
        return [O2Irrep(G, (j1 + j2) % 2, 0)], _identity(1, exact)
    if k1 == 0 or k2 == 0:
        k = k1 + k2
        out = [O2Irrep(G, 1, k)]
        if (j1 if k1 == 0 else j2) == 0:
            return out, _identity(2, exact)
        # det (x) rho = J rho J^T: J commutes with R(k theta) and anticommutes with F
        return out, (sympy.Matrix([[0, -1], [1, 0]]) if exact else np.array([[0.0, -1.0], [1.0, 0.0]]))
    conf, refl = _planar_blocks(k1, k2, exact)
    if k1 == k2:
        return [O2Irrep(G, 0, 0), O2Irrep(G, 1, 0), O2Irrep(G, 1, 2 * k1)], _hstack([conf, refl], exact)
    return [O2Irrep(G, 1, abs(k1 - k2)), O2Irrep(G, 1, k1 + k2)], _hstack([conf, refl], exact)


register_clebsch_gordan(
    SO2, lambda s, t: _so2_cg_any(s, t, False), exact=lambda s, t: _so2_cg_any(s, t, True)
)
register_clebsch_gordan(O2, lambda s, t: _o2_cg_any(s, t, False), exact=lambda s, t: _o2_cg_any(s, t, True))
register_clebsch_gordan(SO3, _so3_cg, exact=_so3_cg_exact)
register_clebsch_gordan(O3, _so3_cg, exact=_so3_cg_exact)
