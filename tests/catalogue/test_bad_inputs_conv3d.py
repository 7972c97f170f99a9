"""Bad inputs of the convolutions in space (SteerableConv3d, LiftingConv3d, GroupConv3d): each is refused
with an error that names what was expected and what was given."""

from __future__ import annotations

import re

import pytest
import torch

from groupconv.groups import O3, SO3, Cyclic, Icosahedral, Octahedral
from groupconv.nn import FieldType, GroupConv3d, LiftingConv3d, SteerableConv2d, SteerableConv3d
from groupconv.reps import irrep, regular, trivial


def so3(*degrees):
    return FieldType(SO3(), [irrep(SO3(), l) for l in degrees])


@pytest.fixture(scope="module")
def layer():
    return SteerableConv3d(so3(0, 1), so3(1), 3, padding=1)


@pytest.mark.parametrize(
    "shape", [(1, 3, 5, 5, 5), (1, 4, 5, 5), (1, 4, 5, 5, 5, 5)], ids=["channels", "4D", "6D"]
)
def test_wrong_channels_or_dimensions_name_the_expected_shape(layer, shape):
    with pytest.raises(ValueError, match=re.escape(f"shape (batch, 4, D, H, W), got {shape}")):
        layer(torch.randn(shape))


def test_dtype_mismatch_is_refused(layer):
    with pytest.raises(
        TypeError, match="input dtype torch.float64 does not match the layer's dtype torch.float32"
    ):
        layer(torch.randn(1, 4, 5, 5, 5, dtype=torch.float64))


@pytest.mark.parametrize(
    "kernel_size, message",
    [
        (4, "kernel_size must be odd"),
        ((3, 3), r"must be cubic \(k or \(k, k, k\)\), got kernel_size=\(3, 3\)"),
        ((3, 5, 3), "must be cubic"),
        (0, "kernel_size must be a positive odd int, got 0"),
    ],
)
def test_bad_kernel_sizes(kernel_size, message):
    with pytest.raises(ValueError, match=message):
        SteerableConv3d(so3(0), so3(0), kernel_size)
    with pytest.raises(ValueError, match=message):
        GroupConv3d.from_channels(Octahedral(), 1, 1, kernel_size)


def test_geometry_of_another_dimension():
    with pytest.raises(ValueError, match=r"stride must be an int or a tuple of 3 ints, got \(1, 2\)"):
        SteerableConv3d(so3(0), so3(0), 3, stride=(1, 2))
    with pytest.raises(ValueError, match=r"padding must be an int or a tuple of 3 ints"):
        LiftingConv3d.from_channels(Octahedral(), 1, 1, 3, padding=(1, 1))


def test_types_of_another_group():
    with pytest.raises(ValueError, match="same group, got SO3 and O3"):
        SteerableConv3d(so3(0), FieldType(O3(), [irrep(O3(), 0, 1)]), 3)
    O = Octahedral()
    with pytest.raises(ValueError, match="same group"):
        GroupConv3d(FieldType(O, [regular(O)]), FieldType(Icosahedral(), [regular(Icosahedral())]), 3)


def test_groups_of_the_plane_are_refused_with_the_layer_to_use():
    C8 = Cyclic(8)
    ft = FieldType(C8, [regular(C8)])
    with pytest.raises(
        TypeError,
        match=r"SteerableConv3d acts with SO\(3\), O\(3\), O, Oh, I or Ih .*got C8 .*SteerableConv2d",
    ):
        SteerableConv3d(ft, ft, 3)
    with pytest.raises(
        TypeError,
        match=r"LiftingConv3d is built for the regular fields of O, Oh, I and Ih, got C8 .*LiftingConv2d",
    ):
        LiftingConv3d.from_channels(C8, 1, 1, 3)
    with pytest.raises(
        TypeError, match="GroupConv3d is built for .* got SO3.*SteerableConv3d takes fields of SO"
    ):
        GroupConv3d.from_channels(SO3(), 1, 1, 3)
    # and a layer of the plane refuses volumes
    with pytest.raises(ValueError, match=r"\(batch, 8, H, W\), got \(1, 8, 5, 5, 5\)"):
        SteerableConv2d(ft, ft, 3)(torch.randn(1, 8, 5, 5, 5))


def test_bases_the_group_cannot_have():
    I = Icosahedral()
    with pytest.raises(
        ValueError, match=r"index-map expansion needs a group permuting the voxel grid \(O, Oh\), got I"
    ):
        GroupConv3d.from_channels(I, 1, 1, 3, basis="index")
    with pytest.raises(
        ValueError, match=r"basis='exact' needs a group permuting the voxel grid \(O, Oh\), got SO3"
    ):
        SteerableConv3d(so3(0), so3(0), 3, basis="exact")
    with pytest.raises(
        ValueError, match="basis must be 'gaussian', 'bessel', 'exact' or a KernelSpec, got 'index'"
    ):
        SteerableConv3d(so3(0), so3(0), 3, basis="index")
    with pytest.raises(ValueError, match=r"the Fourier-Bessel profile \('bessel'\) is planar"):
        SteerableConv3d(so3(0), so3(0), 3, basis="bessel")


def test_field_types_other_than_trivial_or_regular_are_refused():
    O = Octahedral()
    reg, vec = FieldType(O, [regular(O)]), FieldType(O, [irrep(O, 3)])
    with pytest.raises(
        ValueError, match=r"GroupConv3d maps regular fields to regular fields: in_type .*use SteerableConv3d"
    ):
        GroupConv3d(FieldType(O, [trivial(O)]), reg, 3)
    with pytest.raises(
        ValueError,
        match=r"LiftingConv3d maps trivial fields to regular fields: out_type .*use SteerableConv3d",
    ):
        LiftingConv3d(FieldType(O, [trivial(O)]), vec, 3)


def test_an_empty_basis_is_refused_at_construction():
    with pytest.raises(
        ValueError, match=r"empty kernel basis: no 1x1x1 kernel maps SO3\[irrep\(0\)\] to SO3\[irrep\(2\)\]"
    ):
        SteerableConv3d(so3(0), so3(2), 1)
