"""EquivariantSequential: the type chain checked at construction and on append, every layer and the whole
network equivariant and energy-bounded, export, torch.compile, a deterministic parameter order."""

from __future__ import annotations

from collections import OrderedDict

import pytest
import torch
from _layer_cases import GROUPS, chain, layer_input, perm_type, with_bias
from torch import nn

from groupconv.nn import EquivariantModule, EquivariantSequential, FieldType, GroupPooling, ReLU, export
from groupconv.reps import regular, trivial
from groupconv.testing import assert_torch_compile
from groupconv.verify.energy import check_energy
from groupconv.verify.equivariance import check_equivariance


def test_equivariant_sequential_check_equivariance_and_energy():
    G = GROUPS["D4"]
    net = with_bias(chain(G)).double()
    x = layer_input(net[0], size=9, batch=2)
    net.train()(x)
    report = check_equivariance(net, x)
    assert report.passed, report.to_text()
    assert len(report.rows) == len(net) + 1 and report.rows[-1].layer == "(model)"
    assert max(r.max_abs_error for r in report.rows) <= 1e-10
    energy = check_energy(net.eval(), x)
    rows = {r.layer: r for r in energy.rows}
    assert energy.passed, energy.to_text()
    assert rows["5"].lower_bound == rows["5"].upper_bound == 1.0
    assert abs(rows["5"].ratio - 1.0) < 1e-12
    assert rows["6"].upper_bound == 1.0 and rows["6"].ratio <= 1.0
    plain = export(net.eval())
    torch.testing.assert_close(plain(x), net(x), atol=1e-13, rtol=1e-12)


def test_torch_compile():
    """One compiled chain in training mode (batch statistics and running-stat updates inside)."""
    G = GROUPS["D4"]
    net = with_bias(chain(G)).train()
    assert_torch_compile(net, layer_input(net[0], size=9, batch=2, dtype=torch.float32))


def test_deterministic_parameter_order():
    names = [[n for n, _ in chain(GROUPS["D4"]).named_parameters()] for _ in range(2)]
    assert names[0] == names[1] and names[0]


def test_types_of_the_chain_and_identity_anywhere():
    G = GROUPS["D4"]
    p = perm_type(G)
    pool = GroupPooling(p)
    net = EquivariantSequential(OrderedDict([("id", nn.Identity()), ("relu", ReLU(p)), ("pool", pool)]))
    assert isinstance(net, EquivariantModule) and isinstance(net, nn.Sequential)
    assert net.in_type == p and net.out_type == pool.out_type
    assert list(dict(net.named_children())) == ["id", "relu", "pool"]
    assert isinstance(net.export(), nn.Sequential)
    # the container prints its layers, which print their own types
    assert repr(net).splitlines()[0] == "EquivariantSequential("


def test_bad_input_errors():
    G = GROUPS["D4"]
    p = perm_type(G)
    with pytest.raises(ValueError, match=r"expects in_type D4\[irrep\(0,0\)\]"):
        EquivariantSequential(ReLU(p), ReLU(FieldType(G, [trivial(G)])))
    with pytest.raises(TypeError, match="no in_type/out_type"):
        EquivariantSequential(ReLU(p), nn.ReLU())
    with pytest.raises(ValueError, match="at least one typed layer"):
        EquivariantSequential()
    with pytest.raises(ValueError, match="at least one typed layer"):
        EquivariantSequential(nn.Identity())
    seq = EquivariantSequential(ReLU(p))
    with pytest.raises(ValueError, match="produces"):
        seq.append(GroupPooling(FieldType(G, [regular(G)])))
    assert len(seq) == 1
    seq.append(GroupPooling(p))
    assert seq.out_type == GroupPooling(p).out_type
