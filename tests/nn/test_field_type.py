"""FieldType: size and fields, sums, equality, the input check, the exact grid action (gather path against
the dense action), and the deprecated dim."""

from __future__ import annotations

import pytest
import torch
from _layer_cases import GROUPS, mixed_type

from groupconv.groups import O2, SO2, Cyclic, Dihedral
from groupconv.groups.actions import transform_grid
from groupconv.nn import FieldType
from groupconv.reps import irrep, regular, trivial


def test_size_fields_and_slices():
    G = GROUPS["D4"]
    t = FieldType(G, [regular(G), irrep(G, 1, 1), trivial(G)])
    assert t.size == 8 + 2 + 1 and len(t) == 3
    assert t.field_slices() == [slice(0, 8), slice(8, 10), slice(10, 11)]
    assert repr(t) == "D4[regular + irrep(1,1) + irrep(0,0)]"


def test_dim_is_a_deprecated_alias_of_size():
    t = mixed_type(GROUPS["C4"])
    with pytest.warns(DeprecationWarning, match="FieldType.dim is deprecated, use FieldType.size"):
        assert t.dim == t.size


def test_sum_equality_and_hash():
    G = GROUPS["D4"]
    a, b = FieldType(G, [regular(G)]), FieldType(G, [trivial(G)])
    assert a + b == FieldType(G, [regular(G), trivial(G)])
    assert hash(a + b) == hash(FieldType(G, [regular(G), trivial(G)]))
    assert a != b and a != "D4[regular]"
    with pytest.raises(TypeError, match="can only add FieldTypes"):
        a + 1
    with pytest.raises(TypeError, match="expected a field type of D4, got one of C4"):
        a + FieldType(Cyclic(4), [regular(Cyclic(4))])


def test_bad_construction_and_input():
    G = GROUPS["D4"]
    with pytest.raises(TypeError, match="needs a groupconv Group"):
        FieldType("D4", [regular(G)])
    with pytest.raises(TypeError, match="takes Representations"):
        FieldType(G, [1])
    t = FieldType(G, [regular(G)])
    with pytest.raises(
        ValueError,
        match=r"must have shape \(batch, 8, H, W\) or, on volumes, \(batch, 8, D, H, W\), got \(1, 7, 3, 3\)",
    ):
        t.check(torch.randn(1, 7, 3, 3))
    with pytest.raises(TypeError, match="must be a torch.Tensor"):
        t.check([0.0])
    so2 = FieldType(SO2(), [irrep(SO2(), 1)])
    with pytest.raises(ValueError, match="use groupconv.nn.rotate_field"):
        so2.transform(torch.randn(1, 2, 3, 3), 0)


@pytest.mark.parametrize("name", ["C4", "D4"])
def test_field_transform_gather_matches_dense_action(name):
    """Permutation and signed-permutation fields take the gather path; the result equals the dense
    action rho(g) applied after the grid transform, for every element and a mixed type."""
    G = GROUPS[name]
    t = mixed_type(G)
    x = torch.randn(2, t.size, 5, 5, dtype=torch.float64)
    for g in range(G.order):
        rho = t.representation(torch.as_tensor(g), dtype=torch.float64)
        dense = torch.einsum("cd,bdhw->bchw", rho, transform_grid(x, G, g))
        assert torch.equal(t.transform(x, g), dense)
    reg = FieldType(G, [regular(G)] * 3)
    x = torch.randn(1, reg.size, 4, 4)
    for g in range(G.order):
        rho = reg.representation(torch.as_tensor(g), dtype=torch.float32)
        assert torch.equal(reg.transform(x, g), torch.einsum("cd,bdhw->bchw", rho, transform_grid(x, G, g)))


def test_the_grid_protocol_of_a_field_type():
    C8 = Cyclic(8)
    t = FieldType(C8, [regular(C8)])
    # exact: the elements that map pixel centres onto pixel centres
    assert [g for g in range(8) if t.is_exact(g)] == [0, 2, 4, 6]
    assert t.is_exact(1, shape=(1, 8, 1, 1))  # one pixel: every rotation fixes it
    d4 = FieldType(Dihedral(4), [regular(Dihedral(4))])
    assert d4.is_exact(1) and not d4.is_exact(1, shape=(3, 5)) and d4.is_exact(4, shape=(3, 5))
    s = FieldType(SO2(), [irrep(SO2(), 1)])
    turns = s.exact_elements()
    assert len(turns) == 4 and all(s.is_exact(g) for g in turns)
    assert not s.is_exact(torch.tensor(0.3, dtype=torch.float64))
    assert len(FieldType(O2(), [trivial(O2())]).exact_elements()) == 8
    assert [int(g) for g in t.exact_elements()] == [0]  # a finite group: the identity
    # band_limit: same shape, zero outside the inscribed disc, wider blur with a larger scale
    x = torch.randn(2, 2, 31, 31, dtype=torch.float64)
    y = s.band_limit(x)
    assert y.shape == x.shape and float(y[..., 0, 0].abs().max()) < 1e-6 * float(x.abs().max())
    assert float(s.band_limit(x, scale=2.0).diff(dim=-1).abs().max()) < float(y.diff(dim=-1).abs().max())
