"""RandomGroupAction (groupconv.nn.augment): one random element per sample applied with rotate_field,
uniform over finite groups and Haar for SO(2) / O(2), reproducible with a generator, the identity in eval
mode, subgroups drawn for a larger field type group, and bad input."""

from __future__ import annotations

import math

import pytest
import torch

from groupconv.groups import O2, SO2, Cyclic, Dihedral
from groupconv.nn import FieldType, RandomGroupAction, rotate_field
from groupconv.reps import irrep, regular, trivial


def _gen(seed):
    return torch.Generator().manual_seed(seed)


def test_every_element_of_a_finite_group_is_drawn_about_uniformly():
    for G in (Cyclic(8), Dihedral(4)):
        augment = RandomGroupAction(FieldType(G, [regular(G)]), generator=_gen(0))
        g = augment.sample(4000)
        counts = torch.bincount(g, minlength=G.order)
        assert counts.shape == (G.order,) and (counts > 0).all()
        # binomial standard deviation about sqrt(4000 / order) < 23: 5 sigma
        assert (counts.double() - 4000 / G.order).abs().max() < 115, counts


def test_continuous_elements_follow_the_haar_measure():
    S, O = SO2(), O2()
    theta = RandomGroupAction(FieldType(S, [irrep(S, 1)]), generator=_gen(1)).sample(8000)
    assert theta.min() >= 0 and theta.max() < 2 * math.pi
    quarters = torch.bincount((theta / (math.pi / 2)).long(), minlength=4)
    assert (quarters.double() / 8000 - 0.25).abs().max() < 0.025, quarters
    assert torch.cos(theta).mean().abs() < 0.05 and torch.sin(theta).mean().abs() < 0.05
    g = RandomGroupAction(FieldType(O, [irrep(O, 1)]), generator=_gen(2)).sample(8000)
    assert set(g[:, 1].tolist()) == {0.0, 1.0} and abs(g[:, 1].mean() - 0.5) < 0.03


def test_forward_applies_the_drawn_elements_with_rotate_field():
    S = SO2()
    ft = FieldType(S, [irrep(S, 0), irrep(S, 1)])
    x = torch.randn(5, 3, 9, 9, dtype=torch.float64)
    y = RandomGroupAction(ft, generator=_gen(3))(x)
    g = RandomGroupAction(ft, generator=_gen(3)).sample(5)
    assert torch.equal(y, rotate_field(x, ft, g))
    assert (y - x).abs().max() > 1e-2  # it is not the identity in training mode


def test_generator_reproducibility():
    D = Dihedral(8)
    ft = FieldType(D, [regular(D)])
    x = torch.randn(6, 16, 9, 9)
    a, b, c = (RandomGroupAction(ft, generator=_gen(s)) for s in (7, 7, 8))
    ya, yb = a(x), b(x)
    assert torch.equal(ya, yb) and torch.equal(a(x), b(x))
    assert not torch.equal(ya, c(x))
    assert not torch.equal(ya, a(x))  # the generator advances: a new draw each call


def test_identity_in_eval_mode_unless_asked():
    C4 = Cyclic(4)
    ft = FieldType(C4, [regular(C4)])
    x = torch.randn(8, 4, 5, 5)
    augment = RandomGroupAction(ft, generator=_gen(0)).eval()
    assert augment(x) is x
    active = RandomGroupAction(ft, generator=_gen(0), in_eval=True).eval()
    assert not torch.equal(active(x), x)


def test_grid_groups_act_exactly_and_single_samples_are_accepted():
    C4 = Cyclic(4)
    ft = FieldType(C4, [trivial(C4)] * 3)
    x = torch.randn(3, 6, 6)  # one sample, as a DataLoader transform sees it
    y = RandomGroupAction(ft, generator=_gen(5))(x)
    k = int(RandomGroupAction(ft, generator=_gen(5)).sample(1))
    assert y.shape == x.shape and torch.equal(y, torch.rot90(x, k, dims=(-2, -1)))


def test_subgroups_of_the_field_type_group():
    S, O = SO2(), O2()
    ft = FieldType(S, [irrep(S, 1)])
    x = torch.randn(6, 2, 7, 7, dtype=torch.float64)
    quarter = RandomGroupAction(ft, group=Cyclic(4), generator=_gen(4))
    g = quarter.sample(6)
    k = torch.round(g / (math.pi / 2)).long()
    assert (g - k.double() * (math.pi / 2)).abs().max() < 1e-12
    y = RandomGroupAction(ft, group=Cyclic(4), generator=_gen(4))(x)
    rho = ft.representation(g)
    for i in range(6):
        expected = rho[i] @ torch.rot90(x[i], int(k[i]), dims=(-2, -1)).reshape(2, -1)
        assert (y[i].reshape(2, -1) - expected).abs().max() < 1e-12  # quarter turns: exact up to rounding
    d = RandomGroupAction(FieldType(O, [irrep(O, 1)]), group=Dihedral(2), generator=_gen(0)).sample(200)
    assert set(d[:, 1].tolist()) == {0.0, 1.0}
    assert set(torch.round(d[:, 0] / math.pi).long().tolist()) == {0, 1}
    D8 = Dihedral(8)
    e = RandomGroupAction(FieldType(D8, [regular(D8)]), group=Dihedral(4), generator=_gen(0)).sample(400)
    assert set(e.tolist()) == {0, 2, 4, 6, 8, 10, 12, 14}
    c = RandomGroupAction(FieldType(D8, [regular(D8)]), group=Cyclic(2), generator=_gen(0)).sample(100)
    assert set(c.tolist()) == {0, 4}


def test_bad_input():
    C4 = Cyclic(4)
    ft = FieldType(C4, [trivial(C4)])
    with pytest.raises(TypeError, match="RandomGroupAction needs a FieldType, got str"):
        RandomGroupAction("C4")
    with pytest.raises(TypeError, match="group must be a groupconv Group or None, got int"):
        RandomGroupAction(ft, group=4)
    with pytest.raises(ValueError, match="cannot draw elements of C3 for a field type of C4"):
        RandomGroupAction(ft, group=Cyclic(3))
    with pytest.raises(ValueError, match="cannot draw elements of D2 for a field type of C4"):
        RandomGroupAction(ft, group=Dihedral(2))
    with pytest.raises(ValueError, match="cannot draw elements of SO2 for a field type of C4"):
        RandomGroupAction(ft, group=SO2())
    with pytest.raises(TypeError, match="generator must be a torch.Generator or None, got int"):
        RandomGroupAction(ft, generator=0)
    with pytest.raises(ValueError, match="mode must be 'cubic', 'bicubic' or 'bilinear', got 'nearest'"):
        RandomGroupAction(ft, mode="nearest")
    augment = RandomGroupAction(ft)
    with pytest.raises(
        ValueError, match=r"a batch \(batch, C, H, W\) or one sample \(C, H, W\), got \(5, 5\)"
    ):
        augment(torch.randn(5, 5))
    with pytest.raises(TypeError, match="RandomGroupAction takes a torch.Tensor, got list"):
        augment([1.0])
    with pytest.raises(ValueError, match="the number of elements must be an integer >= 0, got -1"):
        augment.sample(-1)
    with pytest.raises(ValueError, match=r"must have shape \(batch, 1, H, W\)"):
        augment(torch.randn(2, 3, 5, 5))


def test_an_empty_batch_passes_through():
    from groupconv.groups import Cyclic
    from groupconv.nn import FieldType, RandomGroupAction
    from groupconv.reps import regular

    aug = RandomGroupAction(
        FieldType(Cyclic(8), [regular(Cyclic(8))]), generator=torch.Generator().manual_seed(0)
    )
    assert aug(torch.randn(0, 8, 9, 9)).shape == (0, 8, 9, 9)


# -- volumes ---------------------------------------------------------------------------------------------------
def test_volumes_of_so3_fields_rotate_one_element_per_sample():
    from groupconv.groups import SO3

    G = SO3()
    t = FieldType(G, [irrep(G, 0), irrep(G, 1)])
    augment = RandomGroupAction(t, generator=_gen(3))
    assert augment.spatial_dims == 3 and "spatial_dims=3" in repr(augment)
    x = torch.randn(3, 4, 5, 5, 5, dtype=torch.float64)
    g = RandomGroupAction(t, generator=_gen(3)).sample(3)
    assert g.shape == (3, 3, 3)
    assert torch.equal(augment(x), rotate_field(x, t, g))
    assert augment(x[0]).shape == (4, 5, 5, 5)  # one sample (C, D, H, W)
    assert torch.equal(augment.eval()(x), x)


def test_finite_groups_acting_on_space_draw_exact_cube_rotations_of_so3_fields():
    from groupconv.groups import SO3, FullOctahedral, Icosahedral, Octahedral
    from groupconv.nn.field_type import cube_symmetries

    G = SO3()
    t = FieldType(G, [trivial(G)])
    augment = RandomGroupAction(t, group=Octahedral(), generator=_gen(0))
    drawn = augment.sample(200)
    cube = cube_symmetries()
    assert all(any(torch.equal(m, c) for c in cube) for m in drawn[:20])
    assert len({tuple(m.flatten().tolist()) for m in drawn}) == 24
    x = torch.randn(1, 1, 4, 4, 4, dtype=torch.float64)
    y = augment(x)
    assert any(torch.equal(y, rotate_field(x, t, c)) for c in cube)
    assert RandomGroupAction(t, group=Icosahedral()).sample(5).shape == (5, 3, 3)
    with pytest.raises(ValueError, match=r"cannot draw elements of Oh for a field type of SO3"):
        RandomGroupAction(t, group=FullOctahedral())
    # planar groups turn volumes about the z axis with spatial_dims=3
    C4 = Cyclic(4)
    quarter = RandomGroupAction(FieldType(C4, [trivial(C4)]), spatial_dims=3, generator=_gen(1))
    v = torch.randn(2, 1, 3, 4, 4)
    out = quarter(v)
    assert all(
        any(torch.equal(out[i], torch.rot90(v[i], k, dims=(-2, -1))) for k in range(4)) for i in range(2)
    )
