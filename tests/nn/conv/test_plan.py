"""Expansion plans (groupconv.nn.conv.plan): frozen, computed once and cached (bounded), shared by
identical layers; the lifted and factorized expansions are planned where they pay; rows of fields whose
blocks are all empty."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from groupconv.groups import SO2, Cyclic, Dihedral
from groupconv.kernels import KernelSpec
from groupconv.nn import FieldType, GroupConv2d, SteerableConv2d
from groupconv.nn.conv.plan import ExpansionPlan, expansion_plan, split_fields, unique_fields
from groupconv.reps import irrep, regular, trivial

pytestmark = pytest.mark.filterwarnings("ignore:kernel basis")


def _plan(dtype=torch.float32, spec=None):
    D4 = Dihedral(4)
    spec = KernelSpec() if spec is None else spec
    return expansion_plan((regular(D4), irrep(D4, 1, 1)), (regular(D4),) * 2, 1, 3, spec, dtype)


def test_the_plan_is_frozen_and_cached():
    plan = _plan()
    assert isinstance(plan, ExpansionPlan)
    with pytest.raises(dataclasses.FrozenInstanceError):
        plan.num_params = 0
    with pytest.raises(dataclasses.FrozenInstanceError):
        plan.lift = None
    # computed once: the same arguments give the same object, another dtype or spec another plan
    assert _plan() is plan
    assert _plan(torch.float64) is not plan and _plan(torch.float64).basis.dtype == torch.float64
    assert _plan(spec=KernelSpec(max_frequency=1)) is not plan
    assert expansion_plan.cache_info().maxsize is not None
    # a variant is a new plan; the cached one is unchanged
    variant = dataclasses.replace(plan, factors=None)
    assert variant is not plan and _plan() is plan


def test_identical_layers_share_the_plan_and_its_basis():
    D4 = Dihedral(4)
    t = FieldType(D4, [regular(D4), irrep(D4, 1, 1)])
    a, b = SteerableConv2d(t, t, 3), SteerableConv2d(t, t, 3)
    assert a.expansion_plan is b.expansion_plan
    assert a.basis.data_ptr() == b.basis.data_ptr()
    # moving or casting one layer leaves the plan (and the other layer) as they were
    before = a.expansion_plan.basis.clone()
    a.double()
    assert a.basis.dtype == torch.float64 and b.basis.dtype == torch.float32
    assert torch.equal(b.expansion_plan.basis, before)
    # an index-map layer has no plan
    assert GroupConv2d.from_channels(D4, 1, 1, 3).expansion_plan is None


def test_plan_layout_and_the_expansions_it_plans():
    D4, D8 = Dihedral(4), Dihedral(8)
    plan = _plan()
    # field types: two input types, one output type, each field's position among those of its type
    assert plan.in_type_of == (0, 1) and plan.out_type_of == (0, 0) and plan.out_position == (0, 1)
    assert plan.used.shape == (2, 2) and int(plan.used.sum()) == plan.num_params
    assert plan.basis.shape[:2] == (1, 2) and plan.spec == KernelSpec()
    valid = plan.index < plan.num_params
    assert sorted(plan.index[valid].tolist()) == list(range(plan.num_params))
    # regular fields: the lifted expansion; many mixed fields of D8: the factorized one; exact: neither
    reg = (regular(D8),)
    lifted = expansion_plan(reg, reg, 1, 5, KernelSpec(), torch.float32)
    assert lifted.lift is not None and lifted.factor is None and lifted.factors is not None
    mixed = (regular(D8),) * 3 + (irrep(D8, 1, 1), irrep(D8, 0, 0)) * 2
    factored = expansion_plan(mixed, reg * 4, 1, 5, KernelSpec(), torch.float32)
    assert factored.factor is not None and factored.lift is None
    exact = expansion_plan((regular(D4),), (regular(D4),), 1, 3, None, torch.float32)
    assert exact.spec is None and exact.lift is None and exact.factor is None
    assert np.array_equal(exact.nb, [[len(exact.bases[0][0])]])


def test_fields_are_split_into_groups_and_sorted_by_type():
    D4 = Dihedral(4)
    r, v, t = regular(D4), irrep(D4, 1, 1), trivial(D4)
    assert unique_fields([r, v, r, t, v]) == ([r, v, t], [0, 1, 0, 2, 1], [0, 0, 1, 0, 1])
    assert split_fields(FieldType(D4, [r, v] * 2), 2, "input type") == (r, v)
    with pytest.raises(ValueError, match="has 3 fields, not divisible by groups=2"):
        split_fields(FieldType(D4, [r, v, r]), 2, "input type")
    with pytest.raises(ValueError, match="every group of fields of the output type"):
        split_fields(FieldType(D4, [r, v, v, r]), 2, "output type")


def test_1x1_layer_whose_only_blocks_are_one_dimensional():
    """From trivial fields a 1x1 kernel only reaches the one-dimensional irreps of the output (frequency
    0): the two-dimensional irrep slots, all of whose blocks are empty, still get their (zero) rows."""
    for G, triv, two in [
        (Dihedral(4), irrep(Dihedral(4), 0, 0), irrep(Dihedral(4), 1, 1)),
        (Cyclic(8), irrep(Cyclic(8), 0), irrep(Cyclic(8), 1)),
        (SO2(), irrep(SO2(), 0), irrep(SO2(), 2)),
    ]:
        t_in = FieldType(G, [triv] * 2)
        t_out = FieldType(G, [regular(G), two] if G.is_finite else [triv, two])
        conv = SteerableConv2d(t_in, t_out, 1)
        x = torch.randn(2, 2, 6, 6)
        y = conv(x)
        assert y.shape == (2, t_out.size, 6, 6)
        assert float(y[:, t_out.field_slices()[1]].abs().max()) == 0.0
        assert float(y[:, t_out.field_slices()[0]].abs().max()) > 0.0
        # a 1x1 kernel from invariant inputs is a constant on each field's trivial subspace
        if G.is_finite:
            reg = y[:, : G.order]
            assert torch.allclose(reg, reg[:, :1].expand_as(reg), atol=1e-6)
