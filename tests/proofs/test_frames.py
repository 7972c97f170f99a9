"""Frame bounds of convolution filters."""

from __future__ import annotations

import torch
from torch import nn

from groupconv.proofs import conv2d_frame_bounds


def test_conv_frame_bounds_bracket_circular_conv():
    torch.manual_seed(0)
    w = torch.randn(3, 2, 3, 3, dtype=torch.float64)
    a, b = conv2d_frame_bounds(w, grid=16)
    x = torch.randn(20, 2, 16, 16, dtype=torch.float64)
    y = nn.functional.conv2d(nn.functional.pad(x, (1, 1, 1, 1), mode="circular"), w)
    ratio = y.pow(2).sum((1, 2, 3)) / x.pow(2).sum((1, 2, 3))
    assert (ratio >= a - 1e-12).all() and (ratio <= b + 1e-12).all() and a < b


def test_frame_bounds_of_an_orthogonal_filter_and_of_a_wide_one():
    # a channel permutation is an isometry: A = B = 1
    perm = torch.eye(3)[[2, 0, 1]].view(3, 3, 1, 1)
    assert conv2d_frame_bounds(perm, grid=8) == (1.0, 1.0)
    # fewer outputs than inputs: a kernel, so no lower bound
    lower, upper = conv2d_frame_bounds(torch.ones(1, 2, 1, 1), grid=8)
    assert lower == 0.0 and abs(upper - 2.0) < 1e-12
