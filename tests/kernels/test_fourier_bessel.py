"""The DCFNet Fourier-Bessel basis: its size under the cutoff, its exact rotation by 90 degrees and its
truncation."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from groupconv.kernels import bessel_zeros_dcf, fourier_bessel_basis, fourier_bessel_indices


@pytest.mark.parametrize("k,count", [(3, 6), (5, 14), (7, 38)])
def test_fourier_bessel_counts_under_the_dcfnet_cutoff(k, count):
    idx = fourier_bessel_indices(k)
    assert len(idx) == count
    z = bessel_zeros_dcf(k)
    assert all(a[2] <= b[2] for a, b in zip(z, z[1:]))  # ordered by eigenvalue
    basis = fourier_bessel_basis(k)
    assert basis.shape == (count, k, k)
    if k <= 5:
        # on 7x7 pixels three of the 38 sampled elements are aliased combinations of others
        assert np.linalg.matrix_rank(basis.reshape(count, -1)) == count


@pytest.mark.parametrize("k", [3, 5, 7])
def test_fourier_bessel_rotation_by_90_degrees_is_exact(k):
    basis = fourier_bessel_basis(k)
    idx = fourier_bessel_indices(k)
    pos = {key: b for b, key in enumerate(idx)}
    for b, (freq, q, part) in enumerate(idx):
        rotated = torch.rot90(torch.as_tensor(basis[b]), 1, dims=(-2, -1)).numpy()
        # cos k(theta - pi/2) = cos(k pi/2) cos k theta + sin(k pi/2) sin k theta
        c, s = round(math.cos(freq * math.pi / 2)), round(math.sin(freq * math.pi / 2))
        if freq == 0:
            expected = basis[b]
        elif part == "cos":
            expected = c * basis[b] + s * basis[pos[(freq, q, "sin")]]
        else:
            expected = c * basis[b] - s * basis[pos[(freq, q, "cos")]]
        assert np.array_equal(rotated, expected), (freq, q, part)


def test_fourier_bessel_truncation_errors():
    assert fourier_bessel_basis(5, 6).shape == (6, 5, 5)
    with pytest.raises(ValueError, match="14 elements"):
        fourier_bessel_basis(5, 20)
