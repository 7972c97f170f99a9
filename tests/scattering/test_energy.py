"""Energy identity, frame bounds and energy propagation of scattering networks."""

from __future__ import annotations

import pytest
import torch
from _scattering_helpers import identity_error, images

from groupconv.scattering import (
    GeneralizedScattering,
    Scattering2D,
    depth_for_energy,
    energy_per_layer,
    gabor_bank,
    parseval_wavelet_bank,
)


@pytest.mark.parametrize("depth", [1, 2, 3, 4])
def test_parseval_energy_identity_realimages(depth):
    x = torch.cat([images(), torch.randn(2, 24, 24, dtype=torch.float64)])
    bank = parseval_wavelet_bank((24, 24), 2, 2)
    net = Scattering2D((24, 24), 2, 2, max_order=depth, filters=bank, subsample=False, paths="all")
    err64, p = identity_error(net.double(), x)
    assert err64 < 1e-12
    assert float(p.identity_defect().abs().max()) < 1e-12
    err32, _ = identity_error(net.float(), x.float())
    assert err32 < 1e-6


@pytest.mark.parametrize("bank_fn", [lambda s: parseval_wavelet_bank(s, 2, 3), lambda s: gabor_bank(s, 3)])
def test_generalized_identity_random(bank_fn):
    x = torch.randn(3, 20, 20, dtype=torch.float64)
    net = GeneralizedScattering([bank_fn((20, 20))] * 3).double()
    err, _ = identity_error(net, x)
    assert err < 1e-12
    err32, _ = identity_error(net.float(), x.float())
    assert err32 < 1e-6


def test_energy_decays_and_depth_estimate():
    x = images(32)
    bank = parseval_wavelet_bank((32, 32), 2, 4)
    p = energy_per_layer(GeneralizedScattering([bank] * 4).double(), x)
    w = (p.propagated / p.input_energy).mean(1)
    assert bool((w[1:] < w[:-1]).all())
    assert 0 < p.decay_rate() < 1
    d = depth_for_energy(0.1, bank.info["delta"], 5 / 3, propagation=p, x=x)
    assert d["measured"] is not None and d["measured"] <= 4
    assert d["bound_on_signal"] <= d["bound"]
    assert d["measured"] <= d["bound_on_signal"]


def test_energy_table_columns_differ_and_end_with_the_leftover():
    # for Parseval layers W_n equals the remainder: the table must not show that twice, and it ends with
    # the energy that no layer outputs
    net = Scattering2D((16, 16), 2, 4, max_order=2, filters="parseval", subsample=False, paths="all").double()
    x = torch.randn(3, 16, 16, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    p = energy_per_layer(net, x)
    lines = p.table().splitlines()
    rows = [line.split("|")[1:-1] for line in lines[2 : 3 + p.depth]]
    columns = list(zip(*rows))
    assert len(columns) == 5
    assert len({tuple(c.strip() for c in col) for col in columns}) == 5  # no two columns alike
    last = [c.strip() for c in lines[3 + p.depth].split("|")[1:-1]]
    leftover = float((p.leftover / p.input_energy).mean())
    assert last[:3] == [f"leftover (past layer {p.depth})", f"{leftover:.4e}", "not output"]
    # kept + leftover = 1 and leftover = W_N - |||Phi^N|||^2 for Parseval layers
    assert abs(float(columns[3][-1]) + leftover - 1) < 1e-4  # the table rounds to 5 digits
    assert torch.allclose(p.leftover, p.propagated[-1] - p.output[-1], rtol=1e-10, atol=1e-12)


def test_identity_defect_is_labelled_by_layer():
    net = Scattering2D((16, 16), 2, 4, max_order=2, filters="parseval", subsample=False, paths="all").double()
    p = energy_per_layer(net, torch.randn(2, 16, 16, dtype=torch.float64))
    d = p.identity_defect()
    assert d.layers == (0, 1, 2) and d.values.shape == (3, 2)
    assert set(d.per_layer()) == {0, 1, 2} and d.worst() < 1e-12
    assert "n=2:" in str(d)
    assert float(d.abs().max()) == d.worst()  # tensor methods still apply
    import copy
    import pickle

    for back in (pickle.loads(pickle.dumps(d)), copy.deepcopy(d)):
        assert torch.equal(back.values, d.values) and back.layers == d.layers
