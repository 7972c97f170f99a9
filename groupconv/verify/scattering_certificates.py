r"""Exact certificates for scattering networks built on the Parseval wavelet bank.

:func:`groupconv.scattering.parseval_wavelet_bank` is defined analytically: with radial profiles
:math:`C_{-1} = 1, C_0, \dots, C_{J-1}` and angular windows :math:`a_\theta^2 = \cos^2(\pi d / 2)`
(``d`` the angular distance to :math:`\theta` in units of the spacing),

.. math::

    |\hat\phi|^2 = C_{J-1}, \qquad
    |\hat\psi_{j,\theta}|^2 = c \, (C_{j-1} - C_j) \, a_\theta^2 .

At a frequency whose angle lies at the fraction ``d`` in ``[0, 1]`` between two neighbouring window
centres, exactly two windows are active, at distances ``d`` and ``1 - d``; the real-input
Littlewood-Paley sum (the half-circle bank counts the window of :math:`-\omega` with :math:`c = 2`) is

.. math::

    A(\omega) = C_{J-1} + \sum_{j=0}^{J-1} (C_{j-1} - C_j)
                \big(\cos^2(\pi d / 2) + \cos^2(\pi (1 - d) / 2)\big) = 1

for *every* choice of the profiles (the radial sum telescopes) and every ``d`` (the angular windows
are a partition of unity). :func:`prove_parseval_littlewood_paley` proves this identity with sympy,
the profiles kept as free symbols; the certificate of a network then checks that its discrete bank
attains the bounds ``A = B = 1`` that the identity predicts (Mallat, *A Wavelet Tour of Signal
Processing*, 3rd ed., Thm. 5.11: a filter bank whose Littlewood-Paley sum is 1 is a tight frame).
"""

from __future__ import annotations

import sympy
from torch import nn

__all__ = ["prove_parseval_littlewood_paley", "certify_scattering"]

PARSEVAL_BANKS = ("parseval wavelets", "tight parseval wavelets")


def prove_parseval_littlewood_paley(J: int, L: int, full_circle: bool = False) -> tuple[bool, str]:
    """Prove symbolically that the analytic Parseval bank with ``J`` scales and ``L`` orientations has
    real-input Littlewood-Paley sum 1 at every frequency (module docstring)."""
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


def certify_scattering(module: nn.Module, atol: float = 1e-10) -> tuple:
    """Certificate of a :class:`~groupconv.scattering.Scattering2D`: for the Parseval bank, the symbolic
    Littlewood-Paley identity plus the discrete bank's frame bounds ``(A, B) = (1, 1)`` up to ``atol``."""
    name = getattr(module, "bank_name", None)
    if name not in PARSEVAL_BANKS:
        return (
            "not applicable",
            f"the {name!r} bank has no closed-form Littlewood-Paley identity; its numeric frame bounds are "
            f"{module.bank_frame_bounds()}",
        )
    ok, why = prove_parseval_littlewood_paley(int(module.J), int(module.L), full_circle=False)
    if not ok:
        return ("failed", why)
    a, b = module.bank_frame_bounds()
    err = max(abs(a - 1.0), abs(b - 1.0))
    if err > atol:
        return ("failed", f"{why}; but the discrete bank has frame bounds ({a:.15g}, {b:.15g})", err)
    return ("proved", f"{why}; the discrete bank attains A = B = 1 up to {err:.1e}", err)
