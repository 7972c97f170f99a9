r"""Exact proofs of the Littlewood-Paley identity and frame bounds of filter banks.

A filter bank with Fourier transforms :math:`\hat\psi_j` (low-pass included) has the Littlewood-Paley
sum :math:`A(\omega) = \sum_j |\hat\psi_j(\omega)|^2`; it is a tight (Parseval) frame when
:math:`A \equiv 1`, and a frame with bounds ``(A, B)`` when :math:`A \le A(\omega) \le B` (Mallat,
*A Wavelet Tour of Signal Processing*, 3rd ed., Thm. 5.11 / Prop. 5.12).

- :func:`certify_littlewood_paley` proves either statement for banks given as sympy expressions.
- :func:`prove_parseval_littlewood_paley` proves the identity for the analytic Parseval bank of
  :func:`groupconv.scattering.parseval_wavelet_bank`: with radial profiles
  :math:`C_{-1} = 1, C_0, \dots, C_{J-1}` and angular windows :math:`a_\theta^2 = \cos^2(\pi d / 2)`
  (``d`` the angular distance to :math:`\theta` in units of the spacing),

  .. math::

      |\hat\phi|^2 = C_{J-1}, \qquad
      |\hat\psi_{j,\theta}|^2 = c \, (C_{j-1} - C_j) \, a_\theta^2 .

  At a frequency whose angle lies at the fraction ``d`` in ``[0, 1]`` between two neighbouring window
  centres, exactly two windows are active, at distances ``d`` and ``1 - d``; the real-input sum (the
  half-circle bank counts the window of :math:`-\omega` with :math:`c = 2`) is

  .. math::

      A(\omega) = C_{J-1} + \sum_{j=0}^{J-1} (C_{j-1} - C_j)
                  \big(\cos^2(\pi d / 2) + \cos^2(\pi (1 - d) / 2)\big) = 1

  for *every* choice of the profiles (the radial sum telescopes) and every ``d`` (the angular windows are
  a partition of unity); the profiles are kept as free symbols.
- :func:`certify_parseval_bank` adds that a discrete bank attains the bounds ``A = B = 1`` the identity
  predicts.

>>> import sympy
>>> w = sympy.Symbol("omega", real=True)
>>> certify_littlewood_paley([sympy.cos(w / 2), sympy.sin(w / 2)], w)
(True, 'sum_j |psi_j^|^2 = 1 identically (2 filters)')
>>> prove_parseval_littlewood_paley(2, 4)[0]
True
"""

from __future__ import annotations

from collections.abc import Sequence

from ..utils.lazy import sympy

__all__ = ["certify_littlewood_paley", "prove_parseval_littlewood_paley", "certify_parseval_bank"]


def certify_littlewood_paley(
    expr_list: Sequence[sympy.Expr],
    variables: sympy.Symbol | Sequence[sympy.Symbol],
    bounds: tuple | None = None,
    target: sympy.Expr | float = 1,
    domain: sympy.Set | None = None,
) -> tuple[bool, str]:
    r"""Prove the Littlewood-Paley identity or frame bounds of a filter bank given symbolically.

    ``expr_list`` holds the Fourier transforms :math:`\hat\psi_j(\omega)` of the filters (low-pass
    included) as sympy expressions of the frequency ``variables``. The Littlewood-Paley sum

    .. math::  A(\omega) = \sum_j |\hat\psi_j(\omega)|^2

    is simplified exactly. Without ``bounds`` the certificate proves the identity
    :math:`A(\omega) = c` (``target``, default 1): the bank is a tight (Parseval) frame
    (Mallat, A Wavelet Tour of Signal Processing, 3rd ed., Thm. 5.11 / Prop. 5.12 for the frame bounds
    of a filter bank). With ``bounds=(A, B)`` it proves :math:`A \le A(\omega) \le B` on ``domain``
    (one frequency variable: the exact range of the sum over ``domain``, default the real line).

    Returns
    -------
    (proved, reason)
        ``proved`` is False both when the statement is false and when sympy cannot decide it; the
        reason says which.
    """
    if isinstance(variables, sympy.Symbol):
        variables = [variables]
    variables = list(variables)
    if not variables or not all(isinstance(v, sympy.Symbol) for v in variables):
        raise TypeError(f"variables must be sympy Symbols, got {variables!r}")
    exprs = [sympy.sympify(e) for e in expr_list]
    if not exprs:
        raise ValueError("expr_list is empty: give the Fourier transforms of the filters")
    real = {v: sympy.Dummy(v.name, real=True) for v in variables}
    terms = [e.subs(real) for e in exprs]
    total = sympy.Add(*[sympy.expand_complex(t * sympy.conjugate(t)) for t in terms])
    total = sympy.simplify(sympy.trigsimp(total))
    back = {d: v for v, d in real.items()}
    shown = total.subs(back)
    if bounds is None:
        residual = sympy.simplify(total - sympy.sympify(target))
        if residual == 0:
            return True, f"sum_j |psi_j^|^2 = {sympy.sympify(target)} identically ({len(exprs)} filters)"
        return False, f"sum_j |psi_j^|^2 = {shown}, not identically {sympy.sympify(target)}"
    lo, hi = (sympy.sympify(b) for b in bounds)
    if not total.free_symbols & set(real.values()):
        ok = bool(lo <= total <= hi)
        return ok, f"sum_j |psi_j^|^2 = {shown} (constant), bounds [{lo}, {hi}]"
    if len(variables) != 1:
        return (
            False,
            f"sum_j |psi_j^|^2 = {shown}: bounds over several variables are not decided symbolically",
        )
    var = next(iter(real.values()))
    from sympy.calculus.util import function_range

    try:
        rng = function_range(total, var, domain if domain is not None else sympy.S.Reals)
    except (NotImplementedError, ValueError) as e:
        return False, f"sum_j |psi_j^|^2 = {shown}: sympy could not find its range ({e})"
    inf, sup = rng.inf, rng.sup
    ok = bool(sympy.simplify(inf - lo) >= 0) and bool(sympy.simplify(hi - sup) >= 0)
    verdict = "within" if ok else "outside"
    return ok, f"sum_j |psi_j^|^2 = {shown} has exact range [{inf}, {sup}], {verdict} the bounds [{lo}, {hi}]"


def prove_parseval_littlewood_paley(J: int, L: int, full_circle: bool = False) -> tuple[bool, str]:
    """Prove symbolically that the analytic Parseval bank with ``J`` scales and ``L`` orientations has
    real-input Littlewood-Paley sum 1 at every frequency (module docstring). Returns ``(proved, reason)``."""
    if not isinstance(J, int) or J < 1:
        raise ValueError(f"J must be an int >= 1, got {J!r}")
    if not isinstance(L, int) or L < 1:
        raise ValueError(f"L must be an int >= 1, got {L!r}")
    d = sympy.Symbol("d", real=True)
    profiles = [sympy.Integer(1)] + [sympy.Symbol(f"C_{j}", real=True) for j in range(J)]
    if L == 1 and full_circle:
        angular = sympy.Integer(1)
    else:
        angular = sympy.cos(sympy.pi * d / 2) ** 2 + sympy.cos(sympy.pi * (1 - d) / 2) ** 2
    total = profiles[J] + sum(((profiles[j] - profiles[j + 1]) * angular for j in range(J)), sympy.Integer(0))
    residual = sympy.simplify(sympy.trigsimp(sympy.expand(total - 1)))
    if residual != 0:
        return False, f"Littlewood-Paley sum minus 1 simplifies to {residual}, not 0"
    return True, (
        f"Littlewood-Paley sum = 1 proved symbolically for J={J}, L={L} "
        f"({'full circle' if full_circle else 'half circle, c = 2'}), for every radial profile"
    )


def certify_parseval_bank(
    J: int, L: int, frame_bounds: tuple[float, float], atol: float = 1e-10, full_circle: bool = False
) -> tuple[bool, str, float | None]:
    """Prove the Littlewood-Paley identity of the analytic Parseval bank with ``J`` scales and ``L``
    orientations (of the half circle, or of the full circle with ``full_circle``,
    :func:`prove_parseval_littlewood_paley`) and check that the discrete bank, with computed
    ``frame_bounds`` ``(A, B)``, attains ``A = B = 1`` up to ``atol``.

    Returns
    -------
    (proved, reason, deviation)
        ``deviation`` is ``max(|A - 1|, |B - 1|)`` (``None`` when the identity itself fails).

    Examples
    --------
    >>> certify_parseval_bank(2, 4, (1.0, 1.0))[0]
    True
    >>> certify_parseval_bank(2, 4, (0.5, 1.0))[0]
    False
    """
    ok, why = prove_parseval_littlewood_paley(int(J), int(L), full_circle=full_circle)
    if not ok:
        return False, why, None
    a, b = frame_bounds
    err = max(abs(a - 1.0), abs(b - 1.0))
    if err > atol:
        return False, f"{why}; but the discrete bank has frame bounds ({a:.15g}, {b:.15g})", err
    return True, f"{why}; the discrete bank attains A = B = 1 up to {err:.1e}", err
