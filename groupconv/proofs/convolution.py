r"""Exact proof of the convolution theorem on a finite group.

With the normalized Fourier transform and convolution

.. math::

    \hat f(\rho) = \frac{1}{|G|} \sum_{u \in G} f(u) \rho(u), \qquad
    (f * h)(u) = \frac{1}{|G|} \sum_{v \in G} f(u v^{-1}) h(v), \qquad
    \widehat{f * h}(\rho) = \hat f(\rho) \, \hat h(\rho)

(Kondor & Trivedi, ICML 2018, Sec. 3), :func:`certify_convolution_theorem` expands both sides on symbolic
functions with the exact (sympy) matrices of the irreps, which is what a Fourier-domain convolution layer
relies on.

>>> from groupconv.groups import Cyclic
>>> certify_convolution_theorem(Cyclic(3))[0]
True
"""

from __future__ import annotations

from collections.abc import Sequence

from ..groups.base import FiniteGroup
from ..reps.irreps import irreps
from ..utils.lazy import sympy

__all__ = ["certify_convolution_theorem"]


def _fourier_matrix(fun: list, coef: list, zero, scale) -> list:
    # f^(rho)_ij = (1/|G|) sum_u f(u) rho(u)_ij on ring elements
    d = len(coef[0])
    return [
        [sum((fu * c[i][j] for fu, c in zip(fun, coef)), zero) * scale for j in range(d)] for i in range(d)
    ]


def certify_convolution_theorem(group: FiniteGroup, irreps_list: Sequence | None = None) -> tuple[bool, str]:
    """Prove the convolution theorem on a finite group exactly, on symbolic functions.

    ``f`` and ``h`` are taken as the symbols ``f_0, ..., f_{|G|-1}`` and ``h_0, ..., h_{|G|-1}`` and
    both sides of ``(f*h)^(rho) = f^(rho) h^(rho)`` (module docstring) are expanded with the exact
    (sympy) matrices of every irrep, using the group law of ``group``; a pass proves the identity for all
    functions on ``G``. It holds exactly when the irreps are homomorphisms for that group law.

    Parameters
    ----------
    group:
        A finite group (cyclic, dihedral, symmetric, direct products, ...).
    irreps_list:
        The irreps to check (default: all real irreps of ``group``).

    Returns
    -------
    (proved, reason)
    """
    if not isinstance(group, FiniteGroup):
        raise TypeError(f"certify_convolution_theorem needs a finite group, got {group!r}")
    n = group.order
    els = group.elements()
    table = group.compose(els[:, None], els[None, :]).numpy()
    inv = group.inverse(els).numpy()
    from sympy.polys.constructor import construct_domain
    from sympy.polys.rings import ring

    names = [f"f_{i}" for i in range(n)] + [f"h_{i}" for i in range(n)]
    reps_ = list(irreps_list) if irreps_list is not None else irreps(group)
    for rho in reps_:
        mats = [sympy.Matrix(rho.exact(u)) for u in range(n)]
        # exact arithmetic in the number field spanned by the irrep's entries, where equality is decidable
        try:
            field, _ = construct_domain([e for m in mats for e in m], extension=True)
            field = field.get_field()
        except (NotImplementedError, sympy.polys.polyerrors.PolificationFailed):
            field = sympy.EX
        R, *gens = ring(names, field)
        f, h = gens[:n], gens[n:]
        # (f * h)(u) = (1/|G|) sum_v f(u v^-1) h(v), a symbolic polynomial in the f_i, h_j
        conv = [
            sum(f[int(table[u, inv[v]])] * h[v] for v in range(n)) * field.from_sympy(sympy.Rational(1, n))
            for u in range(n)
        ]
        coef = [
            [[R(field.from_sympy(m[i, j])) for j in range(rho.dim)] for i in range(rho.dim)] for m in mats
        ]

        scale = R(field.from_sympy(sympy.Rational(1, n)))
        fh, hh, ch = (_fourier_matrix(fun, coef, R(0), scale) for fun in (f, h, conv))
        d = rho.dim
        for i in range(d):
            for j in range(d):
                diff = ch[i][j] - sum((fh[i][k] * hh[k][j] for k in range(d)), R(0))
                if field == sympy.EX:
                    nonzero = any(sympy.simplify(c.ex) != 0 for c in diff.coeffs())
                else:
                    nonzero = bool(diff)
                if nonzero:
                    return (
                        False,
                        f"(f*h)^ != f^ h^ at irrep {getattr(rho, 'name', rho)!r} of {group}, entry ({i}, {j})",
                    )
    return (
        True,
        f"(f*h)^(rho) = f^(rho) h^(rho) exactly for symbolic f, h on {group} (order {n}) and its "
        f"{len(reps_)} irreps",
    )
