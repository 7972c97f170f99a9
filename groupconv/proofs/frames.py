"""Frame bounds of a convolution filter.

For a linear layer ``L`` the frame bounds ``(A, B)`` are the best constants with
``A ||u||^2 <= ||L u||^2 <= B ||u||^2``; for a convolution they are the extreme squared singular values of
its transfer matrix over the frequencies (Mallat, *A Wavelet Tour of Signal Processing*, 3rd ed.,
Thm. 5.11 for filter banks).

>>> import torch
>>> conv2d_frame_bounds(torch.eye(2).view(2, 2, 1, 1), grid=8)
(1.0, 1.0)
"""

from __future__ import annotations

import torch

__all__ = ["conv2d_frame_bounds"]


def conv2d_frame_bounds(weight: torch.Tensor, grid: int = 64) -> tuple[float, float]:
    """Frame bounds of the circular 2D convolution with ``weight`` ``(C_out, C_in, k, k)``.

    The transfer matrix at frequency ``omega`` is ``W^(omega) = sum_x w(x) e^{-i omega x}``; the bounds
    are ``A = min_omega sigma_min(W^(omega))^2`` (0 when ``C_out < C_in``) and
    ``B = max_omega sigma_max(W^(omega))^2`` over a ``grid x grid`` frequency grid (exact for circular
    convolution on that grid size). ``B`` also bounds zero-padded convolutions.
    """
    w = weight.detach().to(torch.float64)
    c_out, c_in, kh, kw = w.shape
    pad = torch.zeros(c_out, c_in, max(grid, kh), max(grid, kw), dtype=torch.float64, device=w.device)
    pad[..., :kh, :kw] = w
    spec = torch.fft.fft2(pad).permute(2, 3, 0, 1)
    sv = torch.linalg.svdvals(spec)
    upper = float(sv.max() ** 2)
    lower = float(sv.min() ** 2) if c_out >= c_in else 0.0
    return lower, upper
