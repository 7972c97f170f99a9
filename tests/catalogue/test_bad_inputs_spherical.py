"""Bad inputs to the spherical transforms and layers: wrong bandwidths, grids, shapes, dtypes, channel
counts, group elements and options are refused with errors that name what was expected and what was given."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from groupconv.fourier import S2FFT, SO3FFT, s2_fft, s2_grid, so3_blocks, so3_fft
from groupconv.fourier.wigner import wigner_d_matrix, wigner_d_recursive
from groupconv.nn import (
    GridNonlinearity,
    InvariantType,
    S2Conv,
    SO3Conv,
    SO3GridType,
    SO3Integral,
    SphereType,
)


@pytest.mark.parametrize("bandwidth", [0, -3, 2.5, True, "8"])
def test_bandwidth_must_be_a_positive_int(bandwidth):
    with pytest.raises(ValueError, match="bandwidth must be an int >= 1"):
        SO3FFT(bandwidth)


def test_unknown_grid():
    with pytest.raises(ValueError, match=r"grid must be 'dh' .* or 'gl' .*, got 'healpix'"):
        s2_grid(8, "healpix")


def test_transform_input_of_the_wrong_grid_shape():
    t = S2FFT(4).double()
    with pytest.raises(
        ValueError, match=r"expects functions on the sphere grid of shape \(\.\.\., 8, 8\), got \(2, 8, 7\)"
    ):
        t(torch.zeros(2, 8, 7, dtype=torch.float64))


def test_transform_coefficients_of_the_wrong_length():
    t = SO3FFT(3, "gl").double()
    with pytest.raises(
        ValueError, match=r"packed SO\(3\) coefficients of shape \(\.\.\., 35\), got \(1, 36\)"
    ):
        t.inverse(torch.zeros(1, 36, dtype=torch.float64))


def test_integer_and_complex_inputs_are_refused():
    with pytest.raises(TypeError, match="float32 or float64 tensors, got dtype torch.int64"):
        s2_fft(torch.zeros(8, 8, dtype=torch.int64), 4)
    with pytest.raises(TypeError, match="float32 or float64 .*got dtype torch.complex128"):
        S2FFT(4).double()(torch.zeros(8, 8, dtype=torch.complex128))


def test_transform_dtype_mismatch_is_not_silently_cast():
    t = SO3FFT(2).double()
    with pytest.raises(TypeError, match="float32 does not match the transform's dtype torch.float64"):
        t(torch.zeros(4, 4, 4, dtype=torch.float32))


def test_non_tensor_input():
    with pytest.raises(TypeError, match="takes a torch.Tensor functions on the SO\\(3\\) grid, got list"):
        SO3FFT(2)([[0.0]])
    with pytest.raises(TypeError, match="expected a torch.Tensor, got ndarray"):
        so3_fft(np.zeros((4, 4, 4)), 2)


def test_so3_blocks_of_the_wrong_length():
    with pytest.raises(
        ValueError, match=r"bandwidth 3 have 35 entries in the last dimension, got shape \(34,\)"
    ):
        so3_blocks(torch.zeros(34), 3)


def test_wigner_inputs():
    with pytest.raises(ValueError, match="the degree l must be an int >= 0, got -1"):
        wigner_d_matrix(-1, [0.3])
    with pytest.raises(ValueError, match=r"beta must be a 1-D tensor of angles, got shape \(2, 2\)"):
        wigner_d_matrix(2, [[0.1, 0.2], [0.3, 0.4]])
    with pytest.raises(ValueError, match="buckets must be consecutive ranges"):
        wigner_d_recursive(4, [0.3], buckets=[(0, 2), (3, 4)])


@pytest.mark.parametrize("channels", [0, -1, 1.5, True])
def test_layer_channels(channels):
    with pytest.raises(ValueError, match="in_channels must be an int >= 1"):
        S2Conv.from_channels(channels, 2, 4)
    with pytest.raises(ValueError, match="out_channels must be an int >= 1"):
        SO3Conv.from_channels(2, channels, 4)


def test_filter_bandwidth_above_what_both_sides_carry():
    with pytest.raises(
        ValueError, match=r"filter_bandwidth 7 exceeds .*min\(bandwidth_in, bandwidth_out\) = 5"
    ):
        SO3Conv.from_channels(1, 1, 6, 5, filter_bandwidth=7)


def test_bias_must_be_a_bool():
    with pytest.raises(TypeError, match="bias must be a bool, got str"):
        S2Conv.from_channels(1, 1, 4, bias="yes")


def test_layer_input_of_another_bandwidth():
    conv = SO3Conv.from_channels(2, 2, 4)
    wrong = torch.zeros(1, 2, 10, 10, 10)
    with pytest.raises(
        ValueError,
        match=r"SO3Conv expects features of type 2 x SO3\(bandwidth=4, grid=dh\): shape \(batch, 2, 8, 8, 8\), got \(1, 2, 10, 10, 10\)",
    ):
        conv(wrong)


def test_layer_input_without_a_batch_dimension():
    conv = S2Conv.from_channels(1, 2, 4)
    with pytest.raises(ValueError, match=r"shape \(batch, 1, 8, 8\), got \(1, 8, 8\)"):
        conv(torch.zeros(1, 8, 8))


def test_layer_dtype_mismatch():
    conv = S2Conv.from_channels(1, 2, 4).double()
    with pytest.raises(
        TypeError, match="input dtype torch.float32 does not match the layer's dtype torch.float64"
    ):
        conv(torch.zeros(1, 1, 8, 8))


def test_layer_integer_input():
    with pytest.raises(
        TypeError, match="SO3Integral takes float32 or float64 features, got dtype torch.int32"
    ):
        SO3Integral(SO3GridType(1, 2))(torch.zeros(1, 1, 4, 4, 4, dtype=torch.int32))


def test_nonlinearity_needs_a_grid_type_and_a_callable():
    with pytest.raises(TypeError, match="GridNonlinearity needs a SphereType or SO3GridType, got int"):
        GridNonlinearity(3)
    with pytest.raises(TypeError, match="fn must be a callable tensor -> tensor, got str"):
        GridNonlinearity(SphereType(1, 4), "relu")


def test_group_elements_must_be_rotations():
    t = SphereType(1, 4)
    x = torch.zeros(1, 1, 8, 8, dtype=torch.float64)
    with pytest.raises(ValueError, match=r"a \(3, 3\) rotation matrix, got shape \(2, 2\)"):
        t.transform(x, torch.eye(2, dtype=torch.float64))
    with pytest.raises(ValueError, match="det"):
        t.transform(x, -torch.eye(3, dtype=torch.float64))


def test_invariant_features_of_the_wrong_width():
    with pytest.raises(ValueError, match=r"expected invariant features \(batch, 3\), got \(2, 4\)"):
        InvariantType(3).transform(torch.zeros(2, 4), torch.eye(3))


def test_transform_tables_above_the_memory_budget_are_refused_before_allocation():
    import groupconv
    from groupconv.fourier.sphere import _PLANS

    _PLANS.pop(("so3", 96, "dh"), None)
    with (
        groupconv.memory_budget("64MiB"),
        pytest.raises(
            MemoryError,
            match=r"Wigner tables of the SO\(3\) transform of bandwidth 96 \(dh grid\) would take about",
        ),
    ):
        SO3FFT(96, "dh")
