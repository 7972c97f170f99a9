"""Layers never serve stale filters, refuse state_dicts of other layers, pickle, and trace."""

from __future__ import annotations

import copy
import io
import math
import pickle
import warnings

import pytest
import torch
from torch import nn
from torch.nn.utils import prune

from groupconv.groups import O2, SO2, Cyclic, Dihedral, Symmetric
from groupconv.nn import (
    FieldType,
    FourierBesselConv2d,
    GroupConv2d,
    HomogeneousFourierConv,
    LegacyStateWarning,
    LiftingConv2d,
    ReLU,
    SteerableConv2d,
)
from groupconv.reps import irrep, regular, trivial

pytestmark = pytest.mark.filterwarnings("ignore:kernel basis")


def _regular_type(G, n=1):
    return FieldType(G, [regular(G)] * n)


def _conv_layers() -> dict[str, nn.Module]:
    """One layer of each kind, over cyclic, dihedral and continuous groups (all expansions: index map,
    lifted, dense basis, harmonic basis of SO(2) / O(2))."""
    C4, D4, C8, D8 = Cyclic(4), Dihedral(4), Cyclic(8), Dihedral(8)
    so2 = FieldType(SO2(), [irrep(SO2(), 0), irrep(SO2(), 1)])
    o2 = FieldType(O2(), [irrep(O2(), 0, 0), irrep(O2(), 1, 1)])
    mixed = FieldType(D4, [regular(D4), irrep(D4, 1, 1), trivial(D4)])
    return {
        "lift-C4": LiftingConv2d.from_channels(C4, 1, 2, 3, padding=1),
        "group-D4": GroupConv2d.from_channels(D4, 1, 2, 3, padding=1),
        "group-C8": GroupConv2d.from_channels(C8, 1, 1, 3, padding=1),
        "steer-D8": SteerableConv2d(_regular_type(D8), _regular_type(D8), 3, padding=1),
        "steer-D4-mixed": SteerableConv2d(mixed, mixed, 3, padding=1),
        "steer-SO2": SteerableConv2d(so2, so2, 3, padding=1),
        "steer-O2": SteerableConv2d(o2, o2, 3, padding=1),
        "fourier-bessel": FourierBesselConv2d(2, 3, 3, padding=1),
    }


def _input(layer, batch=2, size=6):
    channels = layer.in_type.size if hasattr(layer, "in_type") else layer.in_channels
    return torch.randn(batch, channels, size, size)


# -- no stale filters -------------------------------------------------------------------------------------
def _edits(layer) -> dict:
    """Ways of changing a parameter that leave its ``data_ptr`` (and, for ``.data``, its ``_version``)
    as they were."""

    def data_write():
        layer.weight.data.mul_(1.5)

    def copy_into():
        layer.weight.copy_(torch.randn_like(layer.weight))

    def optimizer_step():
        layer.weight.grad = torch.randn_like(layer.weight)
        torch.optim.SGD(layer.parameters(), lr=0.5).step()

    def load_state():
        state = copy.deepcopy(layer.state_dict())
        state["weight"] = torch.randn_like(state["weight"])
        layer.load_state_dict(state)

    return {
        "data write": data_write,
        "copy_": copy_into,
        "optimizer step": optimizer_step,
        "load": load_state,
    }


@pytest.mark.parametrize("name", ["group-D4", "steer-D8", "steer-SO2", "fourier-bessel"])
def test_eval_outputs_follow_every_parameter_change(name):
    """In eval mode under no_grad the output always follows the current parameters: writes through
    ``.data``, ``copy_``, an optimizer step, ``load_state_dict``, pruning and ``functional_call``."""
    layer = _conv_layers()[name].eval()
    x = _input(layer)

    def reference():
        w = layer.expand_filter()
        w, b = w if isinstance(w, tuple) else (w, layer.bias)
        return torch.nn.functional.conv2d(x, w, b, layer.stride, layer.padding)

    with torch.no_grad():
        before = layer(x)
        for what, edit in _edits(layer).items():
            edit()
            y = layer(x)
            assert not torch.equal(y, before), what
            torch.testing.assert_close(y, reference(), msg=what)
            before = y
        # pruning re-applied: the weight becomes weight_orig * mask, recomputed on every forward
        prune.random_unstructured(layer, "weight", amount=0.5)
        pruned = layer(x)
        assert not torch.equal(pruned, before)
        prune.random_unstructured(layer, "weight", amount=0.5)
        assert not torch.equal(layer(x), pruned)
        prune.remove(layer, "weight")
        # functional_call with other parameters, and back
        params = {k: torch.randn_like(v) for k, v in layer.named_parameters()}
        y1 = torch.func.functional_call(layer, params, (x,))
        y0 = layer(x)
        assert not torch.equal(y1, y0)
        torch.testing.assert_close(torch.func.functional_call(layer, params, (x,)), y1, rtol=0, atol=0)
        for _ in range(3):
            params = {k: torch.randn_like(v) for k, v in layer.named_parameters()}
            out = torch.func.functional_call(layer, params, (x,))
            assert not torch.equal(out, y1)
            y1 = out
        torch.testing.assert_close(layer(x), y0, rtol=0, atol=0)


def test_factor_buffers_are_rederived_on_a_cast_not_cached():
    """A lifted layer's moved filters are buffers: ``functional_call`` with other buffers changes the
    output, and a cast derives them from the basis as cast."""
    D8 = Dihedral(8)
    layer = SteerableConv2d(_regular_type(D8, 2), _regular_type(D8, 2), 3, padding=1).eval()
    x = _input(layer)
    assert layer.lift_filters is not None
    with torch.no_grad():
        y = layer(x)
        doubled = torch.func.functional_call(layer, {"lift_filters": 2 * layer.lift_filters}, (x,))
        b = layer.bias_map @ layer.bias
        torch.testing.assert_close(doubled - b[:, None, None], 2 * (y - b[:, None, None]))
        layer.double()
        assert layer.lift_filters.dtype == torch.float64
        torch.testing.assert_close(layer(x.double()).float(), y, rtol=1e-5, atol=1e-5)


# -- state_dict: the layer's description ----------------------------------------------------------------
def test_state_dict_of_another_group_refuses_to_load_and_copies_nothing():
    D8, C16 = Dihedral(8), Cyclic(16)
    d8 = SteerableConv2d(_regular_type(D8), _regular_type(D8), 3)
    c16 = SteerableConv2d(_regular_type(C16), _regular_type(C16), 3)
    assert d8.weight.shape == c16.weight.shape  # the shapes alone would load
    before = c16.weight.detach().clone()
    with pytest.raises(RuntimeError, match=r"group: saved 'D8', this layer 'C16'"):
        c16.load_state_dict(d8.state_dict())
    assert torch.equal(c16.weight, before)
    with pytest.raises(RuntimeError, match="D8"):
        c16.load_state_dict(d8.state_dict(), strict=False)
    d4, c8 = HomogeneousFourierConv(Dihedral(4), 2, 2), HomogeneousFourierConv(Cyclic(8), 2, 2)
    assert d4.weight.shape == c8.weight.shape
    with pytest.raises(RuntimeError, match=r"saved 'D4', this layer 'C8'"):
        c8.load_state_dict(d4.state_dict())


def test_state_dict_of_other_types_kernel_or_basis_refuses_to_load():
    D4 = Dihedral(4)
    a = SteerableConv2d(FieldType(D4, [irrep(D4, 1, 1)]), FieldType(D4, [irrep(D4, 1, 1)]), 5)
    cases = {
        "out_type": SteerableConv2d(
            FieldType(D4, [irrep(D4, 1, 1)]), FieldType(D4, [irrep(D4, 1, 0)] * 2), 5
        ),
        "basis": SteerableConv2d(
            FieldType(D4, [irrep(D4, 1, 1)]), FieldType(D4, [irrep(D4, 1, 1)]), 5, basis="bessel"
        ),
        "basis_options": SteerableConv2d(
            FieldType(D4, [irrep(D4, 1, 1)]), FieldType(D4, [irrep(D4, 1, 1)]), 5, width=0.5
        ),
    }
    for what, other in cases.items():
        with pytest.raises(RuntimeError, match=what):
            other.load_state_dict(a.state_dict(), strict=False)
    fb = FourierBesselConv2d(2, 2, 5, num_bases=6)
    with pytest.raises(RuntimeError, match="num_bases: saved 6, this layer 8"):
        FourierBesselConv2d(2, 2, 5, num_bases=8).load_state_dict(fb.state_dict(), strict=False)
    with pytest.raises(RuntimeError, match="layer: saved 'GroupConv2d', this layer 'LiftingConv2d'"):
        LiftingConv2d.from_channels(D4, 1, 1, 3).load_state_dict(
            GroupConv2d.from_channels(D4, 1, 1, 3).state_dict(), strict=False
        )


def test_same_layer_state_dict_loads_with_weights_only_and_older_state_dicts_load():
    for name, layer in _conv_layers().items():
        buffer = io.BytesIO()
        torch.save(layer.state_dict(), buffer)
        buffer.seek(0)
        state = torch.load(buffer, weights_only=True)
        assert state["_extra_state"] == layer.get_extra_state(), name
        fresh = copy.deepcopy(layer)
        for p in fresh.parameters():
            nn.init.normal_(p)
        fresh.load_state_dict(state)
        x = _input(layer)
        assert torch.equal(fresh(x), layer(x)), name
        # a state_dict saved before layers described themselves: no _extra_state key, strict loading
        for p in fresh.parameters():
            nn.init.normal_(p)
        old = {k: v for k, v in state.items() if k != "_extra_state"}
        with pytest.warns(LegacyStateWarning, match="no layer description"):
            result = fresh.load_state_dict(old)
        assert result.missing_keys == [] and result.unexpected_keys == [], name
        assert torch.equal(fresh(x), layer(x)), name
    # options that are functions are described by name, so that the description is the same in every process
    cutoff = SteerableConv2d(
        _regular_type(Cyclic(8)), _regular_type(Cyclic(8)), 5, frequency_cutoff=math.floor
    )
    assert cutoff.get_extra_state()["basis_options"] == {"frequency_cutoff": "math.floor"}
    # a network of them: prefixed keys
    net = nn.Sequential(*list(_conv_layers().values())[:2])
    assert "0._extra_state" in net.state_dict()
    with pytest.warns(LegacyStateWarning, match="at '0'"):
        copy.deepcopy(net).load_state_dict({k: v for k, v in net.state_dict().items() if "_extra" not in k})


# -- pickling, saving whole modules, deepcopy ---------------------------------------------------------------
def _all_group_layers() -> dict[str, nn.Module]:
    out = dict(_conv_layers())
    for G in (Cyclic(3), Dihedral(3), Dihedral(6)):
        out[f"steer-{G}"] = SteerableConv2d(_regular_type(G), FieldType(G, [regular(G), trivial(G)]), 3)
        out[f"relu-{G}"] = ReLU(_regular_type(G, 2))
    for G in (Cyclic(5), Dihedral(4), Symmetric(3), Symmetric(4)):
        out[f"fourier-{G}"] = HomogeneousFourierConv(G, 2, 2)
    out["fourier-SO2"] = HomogeneousFourierConv(SO2(), 2, 2, bandwidth=2)
    out["fourier-O2"] = HomogeneousFourierConv(O2(), 1, 2, bandwidth=2)
    return out


def _example(layer):
    if isinstance(layer, HomogeneousFourierConv):
        return torch.randn(2, layer.in_channels, layer.domain.num_points)
    return _input(layer)


def test_every_layer_pickles_saves_and_deepcopies_with_identical_outputs():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        layers = _all_group_layers()
    for name, layer in layers.items():
        layer.eval()
        x = _example(layer)
        y = layer(x)
        copies = {"pickle": pickle.loads(pickle.dumps(layer)), "deepcopy": copy.deepcopy(layer)}
        buffer = io.BytesIO()
        torch.save(layer, buffer)
        buffer.seek(0)
        copies["torch.save"] = torch.load(buffer, weights_only=False)
        for how, other in copies.items():
            assert type(other) is type(layer)
            assert torch.equal(other(x), y), (name, how)
            if hasattr(layer, "in_type"):
                assert other.in_type == layer.in_type, (name, how)


# -- TorchScript ----------------------------------------------------------------------------------------------
def test_jit_script_gives_one_clear_error_and_trace_matches():
    for name, layer in _conv_layers().items():
        with pytest.raises(TypeError, match=r"torch.jit.script.*torch.jit.trace.*torch.compile"):
            torch.jit.script(layer)
        x = _input(layer)
        traced = torch.jit.trace(layer.eval(), x)
        assert torch.equal(traced(x), layer(x)), name
        other = _input(layer, batch=3)
        assert torch.equal(traced(other), layer(other)), name
    net = nn.Sequential(nn.Identity(), GroupConv2d.from_channels(Cyclic(4), 1, 1, 3))
    with pytest.raises(TypeError, match="GroupConv2d cannot be compiled by torch.jit.script"):
        torch.jit.script(net)
    # the exported plain module scripts
    scripted = torch.jit.script(net[1].export())
    x = torch.randn(1, 4, 5, 5)
    torch.testing.assert_close(scripted(x), net(x))


def test_scattering_scaled_filters_follow_their_buffers():
    """The scattering's scaled low-pass filters are cached per buffer tensor and version: swapping the
    buffer (``functional_call``) or modifying it in place changes the output at once."""
    from groupconv.scattering import Scattering2D

    S = Scattering2D(J=2, shape=(16, 16), L=4)
    x = torch.randn(2, 16, 16)
    with torch.no_grad():
        y = S(x)
        low = {n: 2 * b for n, b in S.named_buffers() if n.startswith("_phih")}
        assert low
        swapped = torch.func.functional_call(S, low, (x,))
        assert not torch.allclose(swapped, y)
        torch.testing.assert_close(S(x), y, rtol=0, atol=0)
        for name, value in low.items():
            getattr(S, name).copy_(value)
        torch.testing.assert_close(S(x), swapped)


def test_representations_of_every_construction_pickle():
    """Field types built from derived representations (sums, tensor products, restrictions, induced,
    quotient, standard) pickle and act the same after loading."""
    from groupconv.reps import induced, quotient, restrict, standard, tensor_product

    C4, D4 = Cyclic(4), Dihedral(4)
    reps = [
        irrep(D4, 1, 1) + regular(D4),
        tensor_product(irrep(D4, 1, 1), irrep(D4, 1, 1)),
        restrict(irrep(D4, 1, 1), C4),
        induced(D4, C4, irrep(C4, 1)),
        quotient(D4, C4),
        standard(SO2()),
        tensor_product(irrep(O2(), 1, 1), irrep(O2(), 1, 2)),
        restrict(irrep(O2(), 1, 2), Dihedral(3)),
    ]
    for rep in reps:
        other = pickle.loads(pickle.dumps(FieldType(rep.group, [rep]))).representations[0]
        g = rep.group.sample(5, generator=torch.Generator().manual_seed(0))
        assert torch.equal(other(g), rep(g)), rep
        if rep.group.is_finite and rep.group == D4:
            assert other.exact(1) == rep.exact(1), rep
