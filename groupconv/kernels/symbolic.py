"""Exact certificates of the angular parts of harmonic kernel bases, symbolically in the angle.

An angular solution ``Theta(theta) = T_c cos k theta + T_s sin k theta`` between irreps ``sigma_out``,
``sigma_in`` of a planar group satisfies the constraint when, for every element ``g = R(phi) F^s``,

.. math::  \\sum_a L(g)_{ab} \\, \\sigma_{out}(g) \\, T_a \\, \\sigma_{in}(g)^T = T_b ,

with ``e(g^{-1} theta) = L(g) e(theta)`` (see :mod:`groupconv.kernels.harmonic`). Every entry is a
trigonometric polynomial in ``phi`` with rational coefficients (the templates are rationalized, their
float values must agree to 1e-12). Writing ``cos m phi = (z^m + z^-m)/2``, ``sin m phi = (z^m - z^-m)/2i``
turns the identity into one between Laurent polynomials in ``z = e^{i phi}`` with Gaussian-rational
coefficients, checked exactly with :class:`fractions.Fraction`:

- ``SO(2)``, ``O(2)``: every coefficient vanishes (the identity holds for every angle);
- ``C_n``, ``D_n``: it must hold at ``phi = 2 pi j / n`` for all ``j``; since the length-``n`` discrete
  Fourier transform is invertible this holds iff the coefficients folded modulo ``n`` vanish
  (this is where the aliased frequencies ``k + t n`` pass).

For ``D_n`` and ``O(2)`` the reflections ``(phi, s = 1)`` are checked the same way.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from ..groups.planar import O2, SO2, Cyclic, Dihedral

__all__ = ["certify_harmonic_templates"]

# Laurent polynomials in z with Gaussian-rational coefficients: {exponent: (re, im)}
_ZERO = Fraction(0)


def _add(a: dict, b: dict, sign: int = 1) -> dict:
    out = dict(a)
    for e, (re, im) in b.items():
        r0, i0 = out.get(e, (_ZERO, _ZERO))
        out[e] = (r0 + sign * re, i0 + sign * im)
    return out


def _mul(a: dict, b: dict) -> dict:
    out: dict = {}
    for e1, (r1, i1) in a.items():
        for e2, (r2, i2) in b.items():
            r0, i0 = out.get(e1 + e2, (_ZERO, _ZERO))
            out[e1 + e2] = (r0 + r1 * r2 - i1 * i2, i0 + r1 * i2 + i1 * r2)
    return out


def _const(c) -> dict:
    return {0: (Fraction(c), _ZERO)} if c != 0 else {}


def _cos(m: int) -> dict:
    if m == 0:
        return _const(1)
    h = Fraction(1, 2)
    return _add({m: (h, _ZERO)}, {-m: (h, _ZERO)})


def _sin(m: int) -> dict:
    if m == 0:
        return {}
    h = Fraction(1, 2)
    return _add({m: (_ZERO, -h)}, {-m: (_ZERO, h)})


def _matmul(a: list, b: list) -> list:
    return [
        [_sum(_mul(a[i][k], b[k][j]) for k in range(len(b))) for j in range(len(b[0]))] for i in range(len(a))
    ]


def _sum(items) -> dict:
    out: dict = {}
    for it in items:
        out = _add(out, it)
    return out


def _rotation(m: int, s: int) -> list:
    c, sn = _cos(m), _sin(m)
    neg = {e: (-r, -i) for e, (r, i) in sn.items()}
    r = [[c, neg], [sn, c]]
    if s:
        r = [
            [r[0][0], {e: (-a, -b) for e, (a, b) in r[0][1].items()}],
            [r[1][0], {e: (-a, -b) for e, (a, b) in r[1][1].items()}],
        ]
    return r


def _irrep_symbolic(ir, s: int) -> list:
    """``sigma(R(phi) F^s)`` as a matrix of Laurent polynomials."""
    group = ir.group
    if isinstance(group, (Cyclic, SO2)):
        k, j = (ir.id, 0)
    else:
        j, k = ir.id
    if ir.dim == 2:
        return _rotation(k, s)
    sign = -1 if (j == 1 and s == 1) else 1
    c = _cos(k)
    return [[{e: (sign * a, sign * b) for e, (a, b) in c.items()}]]


def _angular_symbolic(k: int, s: int) -> list:
    if k == 0:
        return [[_const(1)]]
    c, sn = _cos(k), _sin(k)
    neg = {e: (-a, -b) for e, (a, b) in sn.items()}
    a = [[c, sn], [neg, c]]
    if s:
        a = [a[0], [{e: (-x, -y) for e, (x, y) in v.items()} for v in a[1]]]
    return a


def _rationalize(t: np.ndarray) -> np.ndarray | None:
    scale = np.abs(t).max()
    tn = t / scale
    out = np.empty(tn.shape, dtype=object)
    for idx, v in np.ndenumerate(tn):
        f = Fraction(float(v)).limit_denominator(10**6)
        if abs(float(f) - v) > 1e-12:
            return None
        out[idx] = f
    return out


def _vanishes(poly: dict, period: int | None) -> bool:
    if period is None:
        return all(r == 0 and i == 0 for r, i in poly.values())
    folded: dict = {}
    for e, c in poly.items():
        folded = _add(folded, {e % period: c})
    return all(r == 0 and i == 0 for r, i in folded.values())


def _check_template(so, si, k: int, t: np.ndarray, period: int | None, reflections: bool) -> str | None:
    rat = _rationalize(t)
    if rat is None:
        return f"template {so.name} <- {si.name}, k={k} has entries that are not rational multiples of each other"
    for s in (0, 1) if reflections else (0,):
        ro, ri = _irrep_symbolic(so, s), _irrep_symbolic(si, s)
        ri_t = [[ri[j][i] for j in range(len(ri))] for i in range(len(ri))]
        lk = _angular_symbolic(k, s)
        for b in range(rat.shape[0]):
            for col in range(rat.shape[-1]):
                acc = [[{} for _ in range(rat.shape[2])] for _ in range(rat.shape[1])]
                for a in range(rat.shape[-1]):
                    ta = [[_const(rat[b, o, i, a]) for i in range(rat.shape[2])] for o in range(rat.shape[1])]
                    m = _matmul(_matmul(ro, ta), ri_t)
                    acc = [
                        [_add(acc[o][i], _mul(lk[a][col], m[o][i])) for i in range(len(m[0]))]
                        for o in range(len(m))
                    ]
                for o in range(rat.shape[1]):
                    for i in range(rat.shape[2]):
                        diff = _add(acc[o][i], _const(rat[b, o, i, col]), -1)
                        if not _vanishes(diff, period):
                            return f"template {so.name} <- {si.name}, k={k}, solution {b} violates the constraint (s={s})"
    return None


def certify_harmonic_templates(templates: dict, group) -> tuple[bool, str]:
    """Prove the angular templates ``{(sigma_out, sigma_in, k): T}`` of a harmonic basis exactly, for
    every element of ``C_n`` / ``D_n`` or every angle of ``SO(2)`` / ``O(2)``. Returns ``(proved, reason)``."""
    if isinstance(group, (SO2, O2)):
        period = None
    elif isinstance(group, (Cyclic, Dihedral)):
        period = group.n
    else:
        return False, f"no symbolic certificate for {group}"
    reflections = isinstance(group, (Dihedral, O2))
    for (so, si, k), t in templates.items():
        bad = _check_template(so, si, k, t, period, reflections)
        if bad is not None:
            return False, bad
    what = "every angle" if period is None else f"every element of {group}"
    return True, (
        f"{sum(t.shape[0] for t in templates.values())} angular solutions ({len(templates)} irrep pairs x "
        f"frequencies) satisfy the constraint exactly for {what} (Laurent polynomials in e^(i phi), exact "
        "rationals); radial profiles are invariant and the change of basis to the fields is the "
        "representations' own (orthogonal to 1e-12)"
    )
