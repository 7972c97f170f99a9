"""Bad inputs to the layers between 3D convolutions, to rotations of volumes and to the checker on volumes:
inputs of the wrong dimension, channels or size, impossible spatial dimensions, fields a layer cannot
treat, groups that do not act on space, and elements of another group."""

from __future__ import annotations

import pytest
import torch

from groupconv.groups import SO3, FullOctahedral, Octahedral
from groupconv.nn import (
    FieldBatchNorm,
    FieldType,
    GatedNonlinearity,
    GlobalPool3d,
    MaxPool3d,
    NormNonlinearity,
    NormPooling,
    RandomGroupAction,
    ReLU,
    rotate_field,
)
from groupconv.reps import irrep, regular
from groupconv.verify import check_equivariance

S, O = SO3(), Octahedral()
FIELDS = FieldType(S, [irrep(S, 0), irrep(S, 1)])
REG = FieldType(O, [regular(O)])


@pytest.mark.parametrize(
    "layer",
    [
        NormNonlinearity(FIELDS, spatial_dims=3),
        GatedNonlinearity(FIELDS, spatial_dims=3),
        FieldBatchNorm(FIELDS, spatial_dims=3),
        NormPooling(FIELDS, spatial_dims=3),
        GlobalPool3d(FIELDS),
    ],
    ids=lambda m: type(m).__name__,
)
def test_a_volume_layer_refuses_images_6d_inputs_and_wrong_channels(layer):
    c = layer.in_type.size
    name = type(layer).__name__
    for shape in [(2, c, 5, 5), (2, c, 2, 5, 5, 5), (2, c + 1, 5, 5, 5)]:
        with pytest.raises(ValueError, match=rf"{name} expects input of type .*\(batch, {c}, D, H, W\), got"):
            layer(torch.randn(shape))


@pytest.mark.parametrize("value", [1, 4, "3", True, None])
def test_spatial_dims_must_be_two_or_three(value):
    with pytest.raises(
        ValueError, match=r"NormNonlinearity: spatial_dims must be 2 \(images.*or 3 \(volumes"
    ):
        NormNonlinearity(FIELDS, spatial_dims=value)
    with pytest.raises(ValueError, match=r"FieldBatchNorm: spatial_dims must be 2"):
        FieldBatchNorm(FIELDS, spatial_dims=value)
    if value is not None:
        with pytest.raises(ValueError, match=r"RandomGroupAction: spatial_dims must be 2"):
            RandomGroupAction(FIELDS, spatial_dims=value)


def test_max_pooling_of_volumes_needs_permutation_fields():
    with pytest.raises(
        ValueError, match=r"MaxPool3d needs fields whose representation permutes.*use AvgPool3d"
    ):
        MaxPool3d(FIELDS)
    with pytest.raises(ValueError, match=r"GlobalPool3d\(mode='max'\) needs fields"):
        GlobalPool3d(FIELDS, "max")
    with pytest.raises(ValueError, match=r"ReLU needs fields whose representation permutes"):
        ReLU(FIELDS, spatial_dims=3)


def test_pooling_refuses_an_empty_volume():
    with pytest.raises(
        ValueError, match=r"MaxPool3d pools over space and needs a non-empty D x H x W volume"
    ):
        MaxPool3d(REG)(torch.randn(1, 24, 0, 5, 5))
    with pytest.raises(ValueError, match=r"NormPooling\(spatial='max'\) pools over space.*D x H x W volume"):
        NormPooling(FIELDS, "max", spatial_dims=3)(torch.randn(1, 4, 5, 0, 5))


def test_rotate_field_refuses_images_of_fields_of_space_and_volumes_of_grid_groups_as_images():
    with pytest.raises(
        ValueError, match=r"SO3 acts on 3-dimensional space.*\(batch, 4, D, H, W\); got \(1, 4, 5, 5\)"
    ):
        rotate_field(torch.randn(1, 4, 5, 5), FIELDS, torch.eye(3, dtype=torch.float64))
    with pytest.raises(
        ValueError, match=r"O acts on volumes, so fields of it have shape \(batch, 24, D, H, W\)"
    ):
        rotate_field(torch.randn(1, 24, 5, 5), REG, 1)
    with pytest.raises(ValueError, match="'bicubic' resamples images only"):
        rotate_field(torch.randn(1, 4, 5, 5, 5), FIELDS, S.sample(1)[0], mode="bicubic")
    with pytest.raises(ValueError, match=r"got 2 elements for a batch of 3 samples"):
        rotate_field(torch.randn(3, 4, 5, 5, 5), FIELDS, S.sample(2))
    with pytest.raises(
        ValueError, match=r"elements of SO3 are rotations \(det \+1\); got a matrix with det -1"
    ):
        rotate_field(torch.randn(1, 4, 5, 5, 5), FIELDS, -torch.eye(3, dtype=torch.float64))


def test_random_group_action_on_volumes_refuses_images_and_improper_subgroups():
    augment = RandomGroupAction(FIELDS)
    with pytest.raises(
        ValueError, match=r"takes a batch \(batch, C, D, H, W\) or one sample \(C, D, H, W\), got"
    ):
        augment(torch.randn(4, 5, 5))
    with pytest.raises(ValueError, match=r"cannot draw elements of Oh for a field type of SO3"):
        RandomGroupAction(FIELDS, group=FullOctahedral())


def test_the_checker_reports_a_volume_layer_given_an_image():
    with pytest.raises(
        ValueError, match=r"NormNonlinearity expects input .*\(batch, 4, D, H, W\), got \(1, 4, 5, 5\)"
    ):
        check_equivariance(
            torch.nn.Sequential(NormNonlinearity(FIELDS, spatial_dims=3)), torch.randn(1, 4, 5, 5)
        )
