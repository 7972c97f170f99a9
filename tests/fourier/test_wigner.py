"""Wigner small-d by recursion: Wigner's explicit formula, the change of basis to groupconv's real irreps,
orthogonality at degree 127, the compact tables of the fundamental pairs, and bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from _fourier_helpers import _one_thread  # noqa: F401  (autouse fixture)

from groupconv.fourier.wigner import (
    fundamental_pairs,
    real_to_complex_basis,
    wigner_d_column,
    wigner_d_matrix,
    wigner_d_recursive,
)
from groupconv.reps.spatial import wigner_D, wigner_d_small


def _wigner_formula(l: int, m: int, n: int, b: float) -> float:
    """Wigner's explicit sum for ``d^l_{mn}(b)`` (independent of the recursion)."""
    f = math.factorial
    total = 0.0
    for s in range(0, 2 * l + 1):
        if l + n - s < 0 or s + m - n < 0 or l - m - s < 0:
            continue
        total += (
            (-1) ** (m - n + s)
            * math.cos(b / 2) ** (2 * l + n - m - 2 * s)
            * math.sin(b / 2) ** (m - n + 2 * s)
            / (f(l + n - s) * f(s) * f(m - n + s) * f(l - m - s))
        )
    return total * math.sqrt(f(l + m) * f(l - m) * f(l + n) * f(l - n))


def test_recursion_matches_wigner_formula():
    betas = [0.05, 0.9, 2.0, 3.1]
    for l in (0, 1, 4, 9):
        d = wigner_d_matrix(l, betas)
        ref = np.array(
            [
                [[_wigner_formula(l, m, n, b) for n in range(-l, l + 1)] for m in range(-l, l + 1)]
                for b in betas
            ]
        )
        assert np.abs(d - ref).max() < 1e-13


def test_change_of_basis_to_groupconv_real_irreps():
    """``U_l^H rho_l(R_y(beta)) U_l = d^l(beta)`` and ``U_l`` diagonalizes ``rho_l(R_z(t))`` as
    ``diag(e^{i m t})``: the two facts the transforms rest on."""
    betas = torch.tensor([0.01, 0.7, 1.9, 3.13], dtype=torch.float64)
    for l in (1, 2, 5, 12, 25):
        u = real_to_complex_basis(l)
        assert np.abs(u.conj().T @ u - np.eye(2 * l + 1)).max() < 1e-14
        real = wigner_d_small(l, betas).numpy()
        assert (
            np.abs(np.einsum("am,jab,bn->jmn", u.conj(), real, u) - wigner_d_matrix(l, betas)).max() < 1e-12
        )
        z = wigner_D(l, *torch.tensor([0.3, 0.0, 0.0], dtype=torch.float64)).numpy()
        m = np.arange(-l, l + 1)
        assert np.abs(u.conj().T @ z @ u - np.diag(np.exp(1j * m * 0.3))).max() < 1e-13


def test_recursion_stays_orthogonal_at_degree_127():
    d = wigner_d_matrix(127, [0.003, 0.8, 1.5707, 2.9, 3.14])
    assert np.abs(np.einsum("jab,jac->jbc", d, d) - np.eye(255)).max() < 1e-11


def test_compact_tables_hold_the_fundamental_pairs_only():
    B, beta = 16, np.linspace(0.1, 3.0, 5)
    ks, ns = fundamental_pairs(B)
    assert len(ks) == B * B and (ks >= np.abs(ns)).all()
    (full,) = wigner_d_recursive(B, beta, buckets=[(0, B)])
    per_k = wigner_d_recursive(B, beta)
    stored = sum(t.size for t in per_k)
    # sum_k (2k + 1)(B - k) numbers per angle: about B^3 / 3, a quarter of sum_l (2l + 1)^2
    assert stored == len(beta) * sum((2 * k + 1) * (B - k) for k in range(B))
    assert stored < 0.3 * len(beta) * sum((2 * l + 1) ** 2 for l in range(B))
    for k in range(B):
        assert np.array_equal(per_k[k], full[k * k : (k + 1) ** 2, k:])
        assert not full[k * k : (k + 1) ** 2, :k].any()
    col = wigner_d_column(B, beta)
    assert np.abs(col[3, 7] - wigner_d_matrix(7, beta)[:, 7 + 3, 7]).max() < 1e-15


def test_fundamental_pairs_are_indexed_by_k_squared_plus_n_plus_k():
    ks, ns = fundamental_pairs(5)
    p = np.arange(len(ks))
    assert np.array_equal(p, ks * ks + ns + ks)
    assert sorted(zip(ks.tolist(), ns.tolist())) == [(k, n) for k in range(5) for n in range(-k, k + 1)]


def test_float32_angles_give_float64_tables():
    """The recursion runs in float64 whatever the dtype of the angles (the tables are float64 masters)."""
    b64 = torch.tensor([0.3, 1.2, 2.5], dtype=torch.float64)
    d32 = wigner_d_matrix(6, b64.float())
    assert d32.dtype == np.float64
    assert np.abs(d32 - wigner_d_matrix(6, b64.float().double())).max() == 0.0


def test_bad_input():
    with pytest.raises(ValueError, match="bandwidth must be an int >= 1"):
        fundamental_pairs(0)
    with pytest.raises(ValueError, match="bandwidth must be an int >= 1"):
        wigner_d_column(2.5, [0.1])
    with pytest.raises(ValueError, match="degree l must be an int >= 0"):
        wigner_d_matrix(-1, [0.1])
    with pytest.raises(TypeError, match="floating point"):
        wigner_d_matrix(2, torch.tensor([1, 2]))
    with pytest.raises(ValueError, match="1-D"):
        wigner_d_matrix(2, torch.zeros(2, 2, dtype=torch.float64))
    with pytest.raises(ValueError, match="consecutive ranges"):
        wigner_d_recursive(4, [0.1], buckets=[(0, 2), (3, 4)])
