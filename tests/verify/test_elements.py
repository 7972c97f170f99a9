"""Choosing the elements of an equivariance check, classifying them exact or approximate (the grid
protocol), band-limiting, and the tolerances by dtype."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from groupconv.groups import O2, O3, SO2, SO3, Cyclic, Dihedral
from groupconv.nn import FieldType
from groupconv.reps import irrep, regular, trivial
from groupconv.verify import (
    band_limit,
    check_equivariance,
    choose_elements,
    cube_rotations,
    default_tolerances,
    elements_to_try,
    is_exact,
    resolve_tolerances,
)


def test_cube_rotations_form_the_octahedral_group():
    R = cube_rotations()
    assert R.shape == (24, 3, 3) and torch.equal(R[0], torch.eye(3, dtype=torch.float64))
    assert torch.allclose(torch.linalg.det(R), torch.ones(24, dtype=torch.float64))
    assert torch.allclose(R @ R.transpose(-1, -2), torch.eye(3, dtype=torch.float64).expand(24, 3, 3))
    flat = {tuple(m.flatten().tolist()) for m in R}
    assert len(flat) == 24
    products = {tuple((a @ b).flatten().tolist()) for a in R for b in R}
    assert products == flat  # closed under composition
    O = cube_rotations(inversion=True)
    assert O.shape == (48, 3, 3) and len({tuple(m.flatten().tolist()) for m in O}) == 48


def test_elements_to_try_for_continuous_groups():
    gs = elements_to_try(SO2(), n_samples=20)
    assert len(gs) == 24 and float(gs[1]) == pytest.approx(torch.pi / 2)
    assert len(elements_to_try(Dihedral(4))) == 8
    with pytest.raises(ValueError, match="n_samples"):
        elements_to_try(SO2(), n_samples=-1)


def test_so3_and_o3_elements_include_the_cube_symmetries():
    gs = elements_to_try(SO3(), n_samples=20)
    assert len(gs) == 44 and all(g.shape == (3, 3) for g in gs)
    assert torch.equal(torch.stack(gs[:24]), cube_rotations())
    go = elements_to_try(O3(), n_samples=20)
    assert len(go) == 68 and float(torch.linalg.det(go[30])) == pytest.approx(-1.0)
    G = SO3()
    rho = irrep(G, 1)

    class Norm(nn.Module):
        def forward(self, x):
            return x.norm(dim=-1, keepdim=True)

    report = check_equivariance(Norm(), torch.randn(4, 3), types={"": (rho, irrep(G, 0))})
    assert report.passed and report.rows[0].elements_tried == 44


def test_choose_elements_classifies_the_grid_symmetries_of_a_field_type():
    C8 = Cyclic(8)
    t = FieldType(C8, [regular(C8)])
    assert [g for g, exact in choose_elements(t) if exact] == [0, 2, 4, 6]  # the 90-degree rotations
    assert not is_exact(t, 1)  # 45 degrees interpolates
    # SO(2) fields: the four quarter turns (the type's exact_elements) are exact, the Haar samples not
    s = FieldType(SO2(), [irrep(SO2(), 1)])
    chosen = choose_elements(s, n_samples=5)
    assert [exact for _, exact in chosen] == [True] * 4 + [False] * 5
    assert torch.allclose(
        torch.stack([g for g, _ in chosen[:4]]), torch.arange(4, dtype=torch.float64) * torch.pi / 2
    )
    o = FieldType(O2(), [trivial(O2())])
    assert len([g for g, exact in choose_elements(o, n_samples=0) if exact]) == 8
    # given elements are still classified
    assert choose_elements(t, elements=[1, 4]) == [(1, False), (4, True)]
    with pytest.raises(ValueError, match="names no group"):
        choose_elements(object())


def test_exactness_depends_on_the_grid_shape():
    D4 = Dihedral(4)
    t = FieldType(D4, [regular(D4)])
    assert is_exact(t, 1) and is_exact(t, 1, shape=(2, 8, 5, 5))
    assert not is_exact(t, 1, shape=(2, 8, 4, 6))  # a 90-degree turn of a non-square grid
    assert is_exact(t, 4, shape=(2, 8, 4, 6))  # the reflections that keep the axes
    c8 = FieldType(Cyclic(8), [regular(Cyclic(8))])
    assert not is_exact(c8, 1, shape=(1, 8, 5, 5)) and is_exact(c8, 1, shape=(1, 8, 1, 1))


class _Protocol:
    """A type object with the grid protocol: exact on even elements; is_exact takes no shape."""

    def __init__(self):
        self.group = Cyclic(4)
        self.calls = []

    def is_exact(self, g):
        self.calls.append(g)
        return int(g) % 2 == 0

    def band_limit(self, x):
        return 0.5 * x


class _ScaledProtocol(_Protocol):
    """Takes the optional keywords of the protocol."""

    def is_exact(self, g, shape=None):
        self.calls.append((g, shape))
        return shape is not None

    def band_limit(self, x, scale=1.0):
        return x / scale


def test_the_grid_protocol_is_read_from_every_type_and_optional_keywords_only_where_taken():
    t = _Protocol()
    assert [exact for _, exact in choose_elements(t, shape=(1, 1, 5, 5))] == [True, False, True, False]
    assert t.calls == [0, 1, 2, 3]  # no shape passed to a method that does not take it
    s = _ScaledProtocol()
    assert is_exact(s, 1, shape=(1, 2, 3, 3)) and s.calls == [(1, (1, 2, 3, 3))]
    assert not is_exact(s, 1)
    x = torch.ones(2)
    assert torch.equal(band_limit(t, x, scale=4.0), 0.5 * x)  # scale not passed where not taken
    assert torch.equal(band_limit(s, x, scale=4.0), x / 4)
    assert band_limit(irrep(SO2(), 1), x) is x  # a type without the method: unchanged
    assert is_exact(irrep(SO2(), 1), torch.tensor(0.3))


def test_band_limit_of_a_field_type_is_a_blurred_disc_that_commutes_with_quarter_turns():
    t = FieldType(SO2(), [trivial(SO2())])
    x = torch.randn(1, 1, 21, 21, dtype=torch.float64)
    y = band_limit(t, x)
    assert torch.equal(y, t.band_limit(x)) and y.shape == x.shape
    assert float(y[..., 0, 0].abs()) < 1e-6 * float(x.abs().max())  # the corners are outside the disc
    turned = band_limit(t, torch.rot90(x, 1, dims=(-2, -1)))
    assert torch.allclose(turned, torch.rot90(y, 1, dims=(-2, -1)), atol=1e-14)
    # a subsampling layer's input gets a wider blur
    wide = band_limit(t, x, scale=2.0)
    assert float(wide.diff(dim=-1).abs().max()) < float(y.diff(dim=-1).abs().max())


def test_default_and_resolved_tolerances():
    assert default_tolerances(torch.float64) == (1e-12, 1e-10)
    assert default_tolerances(torch.float32) == (1e-7, 1e-5)
    assert default_tolerances(torch.float16) == (1e-4, 1e-2)
    assert default_tolerances(torch.bfloat16) == (1e-3, 5e-2)
    with pytest.raises(ValueError, match="float64, float32"):
        default_tolerances(torch.int32)
    assert resolve_tolerances(torch.float32, None, None) == (1e-7, 1e-5)
    assert resolve_tolerances(torch.float32, 0, 1e-3) == (0.0, 1e-3)
    for bad in (-1.0, "1e-3", float("nan")):
        with pytest.raises(ValueError, match="atol must be a non-negative number"):
            resolve_tolerances(torch.float64, bad, None)


def test_testing_and_the_checker_share_the_element_chooser():
    from groupconv.testing import test_elements

    for group in (SO2(), O2(), SO3(), Dihedral(3)):
        ours = elements_to_try(group, n_samples=3)
        theirs = test_elements(group, n_samples=3)
        assert torch.equal(theirs, torch.stack([torch.as_tensor(g) for g in ours]))
    net = nn.Sequential(nn.Identity())
    rho = irrep(SO2(), 1)
    report = check_equivariance(net, torch.randn(2, 2), types={"0": (rho, rho)}, n_samples=3)
    assert report.rows[0].elements_tried == len(elements_to_try(SO2(), n_samples=3))


def test_volume_field_types_classify_the_cube_symmetries_exact():
    """On volumes the exact elements of SO(3) / O(3) field types are the 24 / 48 cube symmetries (axes of
    equal sizes exchanged only); I's twelve axis permutations; planar groups about the z axis."""
    from groupconv.groups import Icosahedral

    so3 = FieldType(SO3(), [irrep(SO3(), 1)])
    assert len(so3.exact_elements()) == 24 and len(FieldType(O3(), [trivial(O3())]).exact_elements()) == 48
    chosen = choose_elements(so3, n_samples=3, shape=(1, 3, 5, 5, 5))
    assert [exact for _, exact in chosen] == [True] * 24 + [False] * 3
    # on a 3 x 5 x 5 grid only the rotations that keep the depth axis (8 of 24) map it onto itself
    flat = choose_elements(so3, n_samples=0, shape=(1, 3, 3, 5, 5))
    assert sum(exact for _, exact in flat) == 8
    assert all(so3.is_exact(g, shape=(1, 3, 1, 1, 1)) for g in SO3().sample(3))  # a single voxel
    ico = FieldType(Icosahedral(), [trivial(Icosahedral())])
    assert sum(is_exact(ico, g, (1, 1, 5, 5, 5)) for g in range(60)) == 12
    c8 = FieldType(Cyclic(8), [regular(Cyclic(8))])
    assert [g for g in range(8) if c8.is_exact(g, shape=(1, 8, 3, 5, 5))] == [0, 2, 4, 6]


def test_band_limit_of_a_volume_is_a_blurred_ball_that_commutes_with_cube_rotations():
    t = FieldType(SO3(), [trivial(SO3())])
    x = torch.randn(1, 1, 13, 13, 13, dtype=torch.float64)
    y = band_limit(t, x)
    assert y.shape == x.shape and float(y[..., 0, 0, 0].abs()) < 1e-6 * float(x.abs().max())
    # the ball and the Gaussian are isotropic: band-limiting commutes with a quarter turn about x
    turned = x.flip(-3).transpose(-3, -2)
    assert torch.allclose(band_limit(t, turned), y.flip(-3).transpose(-3, -2), atol=1e-14)
