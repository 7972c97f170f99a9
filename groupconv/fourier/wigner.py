"""Wigner small-d functions for spectral transforms on ``S^2`` and ``SO(3)``, built by a stable recursion.

Convention
----------
``d^l_{mn}(beta) = <l m| exp(-i beta J_y) |l n>`` (Wigner's formula, the convention of Varshalovich et al.
and of Wikipedia's "Wigner D-matrix"), rows ``m``, columns ``n``, ``-l <= m, n <= l``. It is tied to
groupconv's real orthogonal irreps of :class:`~groupconv.groups.SO3` (:mod:`groupconv.reps.spatial`) by the
unitary change of basis ``U_l`` of :func:`real_to_complex_basis`:

.. math::  \\rho_l\\big(R_z(\\alpha) R_y(\\beta) R_z(\\gamma)\\big)
           = U_l \\, \\operatorname{diag}(e^{i m \\alpha}) \\, d^l(\\beta) \\,
             \\operatorname{diag}(e^{i n \\gamma}) \\, U_l^H ,

so the spectral transforms work with complex exponentials in ``alpha`` and ``gamma`` (FFTs) and the real
functions ``d^l_{mn}(beta)``, and change to the real basis at the end (two nonzero entries per row of
``U_l``).

Recursion
---------
For fixed ``(m, n)`` the functions ``l -> d^l_{mn}`` obey the three-term recursion (Kostelec & Rockmore,
"FFTs on the rotation group", J. Fourier Anal. Appl. 14, 2008, eq. 2.16)

.. math::  d^{l+1}_{mn} = \\frac{(l+1)(2l+1)}{\\sqrt{((l+1)^2 - m^2)((l+1)^2 - n^2)}}
           \\Big(\\cos\\beta - \\frac{mn}{l(l+1)}\\Big) d^l_{mn}
           - \\frac{(l+1)\\sqrt{(l^2 - m^2)(l^2 - n^2)}}{l \\sqrt{((l+1)^2 - m^2)((l+1)^2 - n^2)}}
           d^{l-1}_{mn},

started at ``l = max(|m|, |n|)`` from the closed form
``d^k_{k n}(beta) = (-1)^{k-n} sqrt(binom(2k, k+n)) cos(beta/2)^{k+n} sin(beta/2)^{k-n}``, evaluated in
log space so that no factorial overflows. It runs forward in ``l`` in float64 (stable in that direction,
Kostelec & Rockmore section 2.2); its cost is ``O(B^3)`` per angle for all ``l < B``.

Compact storage
---------------
Only the *fundamental* pairs ``(k, n)``, ``k >= |n|``, are stored: the others follow from

.. math::  d^l_{mn} = (-1)^{m-n} d^l_{nm} = d^l_{-n,-m} = (-1)^{m-n} d^l_{-m,-n},

a quarter of the ``(2l+1)^2`` entries per degree (``B^3 / 3`` numbers per angle for all ``l < B``, against
``4 B^3 / 3`` for the full matrices).

Examples
--------
``d^1(0)`` is the identity and ``d^1_{00}(beta) = cos beta``; the fundamental pairs of bandwidth 2:

>>> d = wigner_d_matrix(1, [0.0, 1.0])
>>> bool(np.allclose(d[0], np.eye(3))), bool(np.isclose(d[1, 1, 1], np.cos(1.0)))
(True, True)
>>> fundamental_pairs(2)
(array([0, 1, 1, 1]), array([ 0, -1,  0,  1]))
"""

from __future__ import annotations

import math

import numpy as np
import torch

__all__ = [
    "wigner_d_recursive",
    "wigner_d_column",
    "wigner_d_matrix",
    "real_to_complex_basis",
    "fundamental_pairs",
]


def _check_bandwidth(bandwidth) -> int:
    if isinstance(bandwidth, bool) or not isinstance(bandwidth, (int, np.integer)) or bandwidth < 1:
        raise ValueError(f"bandwidth must be an int >= 1 (degrees l < bandwidth), got {bandwidth!r}")
    return int(bandwidth)


def _check_beta(beta) -> torch.Tensor:
    b = beta if isinstance(beta, torch.Tensor) else torch.as_tensor(np.array(beta, dtype=np.float64))
    if not b.is_floating_point():
        raise TypeError(f"beta must hold floating point angles, got dtype {b.dtype}")
    if b.dim() != 1:
        raise ValueError(f"beta must be a 1-D tensor of angles, got shape {tuple(b.shape)}")
    return b.detach().to(device="cpu", dtype=torch.float64)


def fundamental_pairs(bandwidth: int) -> tuple[np.ndarray, np.ndarray]:
    """The fundamental index pairs ``(k, n)``, ``0 <= k < bandwidth``, ``-k <= n <= k``, sorted by ``k``
    then ``n``: pair ``p`` of degree ``k`` sits at ``p = k^2 + (n + k)``. Returns ``(k, n)`` int arrays."""
    B = _check_bandwidth(bandwidth)
    k = np.repeat(np.arange(B), 2 * np.arange(B) + 1)
    n = np.concatenate([np.arange(-j, j + 1) for j in range(B)])
    return k, n


def _recursion(ks: np.ndarray, ns: np.ndarray, beta: torch.Tensor, bandwidth: int, sink) -> None:
    """Run the three-term recursion for the pairs ``(ks[p], ns[p])`` (sorted by ``k = ks``, ``k >= |n|``)
    up to degree ``bandwidth - 1``; ``sink(l, k_end, values)`` receives ``d^l`` of the pairs with
    ``k <= l`` (the first ``k_end`` pairs), shape ``(k_end, len(beta))``."""
    B = bandwidth
    k_t = torch.as_tensor(ks, dtype=torch.float64)[:, None]
    n_t = torch.as_tensor(ns, dtype=torch.float64)[:, None]
    b = beta[None, :]
    cos_b = torch.cos(b)
    half_c, half_s = torch.cos(b / 2), torch.sin(b / 2)
    log_c, log_s = torch.log(half_c.abs()), torch.log(half_s.abs())
    kp, km = k_t + n_t, k_t - n_t
    lg = torch.lgamma
    log_binom = 0.5 * (lg(2 * k_t + 1) - lg(kp + 1) - lg(km + 1))
    # a zero power is 1 even where its base vanishes (0 * log 0 would give nan)
    log_seed = log_binom + torch.where(kp > 0, kp * log_c, 0.0) + torch.where(km > 0, km * log_s, 0.0)
    sign = (
        (1 - 2 * torch.remainder(km, 2))
        * torch.where(torch.remainder(kp, 2) == 1, torch.sign(half_c), 1.0)
        * torch.where(torch.remainder(km, 2) == 1, torch.sign(half_s), 1.0)
    )
    seed = sign * torch.exp(log_seed)
    start = np.searchsorted(ks, np.arange(B + 1), side="left")
    nb = beta.shape[0]
    total = len(ks)
    prev = torch.zeros(total, nb, dtype=torch.float64)
    cur = torch.zeros(total, nb, dtype=torch.float64)
    nxt = torch.zeros(total, nb, dtype=torch.float64)
    for l in range(B):
        lo, hi = int(start[l]), int(start[l + 1])
        # pairs with k = l enter at their seed; the older ones were advanced at the end of step l - 1
        cur[lo:hi] = seed[lo:hi]
        prev[lo:hi] = 0.0
        sink(l, hi, cur[:hi])
        if l == B - 1:
            break
        m, n = k_t[:hi], n_t[:hi]
        l1 = l + 1
        denom = torch.sqrt((l1 * l1 - m * m) * (l1 * l1 - n * n))
        a = l1 * (2 * l + 1) / denom
        out = nxt[:hi]
        if l == 0:
            torch.mul(cos_b, cur[:hi], out=out)
            out.mul_(a)
        else:
            bb = m * n / (l * l1)
            c = l1 * torch.sqrt((l * l - m * m) * (l * l - n * n)) / (l * denom)
            torch.sub(cos_b, bb, out=out)
            out.mul_(cur[:hi]).mul_(a).sub_(c * prev[:hi])
        prev, cur, nxt = cur, nxt, prev


def wigner_d_recursive(
    bandwidth: int, beta, buckets: list[tuple[int, int]] | None = None
) -> list[np.ndarray]:
    """Wigner small-d of the fundamental pairs, for all degrees ``l < bandwidth``, at the angles ``beta``.

    Parameters
    ----------
    bandwidth:
        ``B``: degrees ``0 <= l < B``.
    beta:
        1-D angles (any float dtype; computed in float64).
    buckets:
        Consecutive ranges ``[k0, k1)`` of ``k`` covering ``0..B-1`` (default: one per ``k``).

    Returns
    -------
    list of numpy float64 arrays
        One per bucket, ``T[p, l - k0, j] = d^l_{k n}(beta_j)`` for the fundamental pairs ``(k, n)`` of the
        bucket in the order of :func:`fundamental_pairs`, ``l = k0 .. B-1``; entries with ``l < k`` are 0.
    """
    B = _check_bandwidth(bandwidth)
    b = _check_beta(beta)
    if buckets is None:
        buckets = [(k, k + 1) for k in range(B)]
    if buckets[0][0] != 0 or buckets[-1][1] != B or any(x[1] != y[0] for x, y in zip(buckets, buckets[1:])):
        raise ValueError(f"buckets must be consecutive ranges [k0, k1) covering 0..{B - 1}, got {buckets!r}")
    ks, ns = fundamental_pairs(B)
    out = [np.zeros((k1 * k1 - k0 * k0, B - k0, b.shape[0])) for k0, k1 in buckets]

    def sink(l, end, values):
        v = values.numpy()
        for (k0, k1), t in zip(buckets, out):
            if l >= k0:
                p1 = min(k1 * k1, end)
                t[: p1 - k0 * k0, l - k0] = v[k0 * k0 : p1]

    _recursion(ks, ns, b, B, sink)
    return out


def wigner_d_column(bandwidth: int, beta) -> np.ndarray:
    """``T[mu, l, j] = d^l_{mu 0}(beta_j)`` for ``0 <= mu, l < bandwidth`` (zero for ``l < mu``): the
    small-d entries that the transforms on the sphere need, ``O(B^2)`` per angle."""
    B = _check_bandwidth(bandwidth)
    b = _check_beta(beta)
    ks = np.arange(B)
    out = np.zeros((B, B, b.shape[0]))

    def sink(l, end, values):
        out[:end, l] = values.numpy()

    _recursion(ks, np.zeros(B, dtype=np.int64), b, B, sink)
    return out


def wigner_d_matrix(l: int, beta) -> np.ndarray:
    """The full matrices ``d^l_{mn}(beta)``, shape ``(len(beta), 2l+1, 2l+1)`` (index ``l + m``), float64,
    from the recursion and the symmetries of the module docstring."""
    if isinstance(l, bool) or not isinstance(l, (int, np.integer)) or l < 0:
        raise ValueError(f"the degree l must be an int >= 0, got {l!r}")
    l = int(l)
    b = _check_beta(beta)
    (t,) = wigner_d_recursive(l + 1, b, buckets=[(0, l + 1)])
    ks, ns = fundamental_pairs(l + 1)
    v = t[:, l].T  # (beta, pair)
    s = 1.0 - 2.0 * ((ks - ns) % 2)
    d = np.zeros((b.shape[0], 2 * l + 1, 2 * l + 1))
    d[:, l + ks, l + ns] = v
    d[:, l + ns, l + ks] = s * v
    d[:, l - ns, l - ks] = v
    d[:, l - ks, l - ns] = s * v
    return d


def real_to_complex_basis(l: int) -> np.ndarray:
    """The unitary ``U_l`` (``(2l+1, 2l+1)`` complex, columns ``m = -l..l``) with
    ``rho_l(R) = U_l diag(e^{i m alpha}) d^l(beta) diag(e^{i n gamma}) U_l^H`` for groupconv's real irreps.

    Column ``m = 0`` is the basis vector ``e_l``; for ``mu > 0`` (``s = (-1)^mu``)
    ``u_mu = -i s (e_{l-mu} + i e_{l+mu}) / sqrt 2`` and ``u_{-mu} = i (e_{l-mu} - i e_{l+mu}) / sqrt 2``:
    eigenvectors of ``rho_l(R_z(t))`` (eigenvalue ``e^{i m t}``) with the phases that make
    ``U_l^H rho_l(R_y(beta)) U_l`` equal to Wigner's ``d^l(beta)``.
    """
    l = int(l)
    u = np.zeros((2 * l + 1, 2 * l + 1), dtype=np.complex128)
    u[l, l] = 1.0
    r = 1 / math.sqrt(2)
    for mu in range(1, l + 1):
        s = (-1.0) ** mu
        u[l - mu, l + mu] = -1j * s * r
        u[l + mu, l + mu] = s * r
        u[l - mu, l - mu] = 1j * r
        u[l + mu, l - mu] = r
    return u
