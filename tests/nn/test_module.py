"""The base of every layer (groupconv.nn.module): every public layer is an EquivariantModule; the typed
Certificate; the input check; derived buffers (float64 masters) through real layers; state dicts the same
in train and eval mode and loadable into a fresh layer; the layer description of DescribedState; the
declared accepted representations; CUDA."""

from __future__ import annotations

import copy
import dataclasses
import inspect

import pytest
import torch
from _layer_cases import GROUPS, LAYERS, layer_input, mixed_type, perm_type
from torch import nn

import groupconv.nn as gnn
from groupconv.groups import SO3, Cyclic, Dihedral
from groupconv.nn import (
    Certificate,
    DescribedState,
    EquivariantModule,
    FieldBatchNorm,
    GlobalPool2d,
    HomogeneousFourierConv,
    LegacyStateWarning,
    NormNonlinearity,
    ReLU,
    S2Integral,
    SphereType,
)
from groupconv.nn.module import check_tensor


def test_every_public_layer_of_groupconv_nn_is_an_equivariant_module():
    layers = [
        obj
        for name in gnn.__all__
        if inspect.isclass(obj := getattr(gnn, name)) and issubclass(obj, nn.Module)
    ]
    assert {
        "HomogeneousFourierConv",
        "GroupConvolution",
        "S2Conv",
        "SO3Integral",
        "EquivariantSequential",
    } <= {c.__name__ for c in layers}
    # RandomGroupAction is a data augmentation (a random transformation in train mode), not a layer
    assert [c.__name__ for c in layers if not issubclass(c, EquivariantModule)] == ["RandomGroupAction"]


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_state_dict_same_in_train_and_eval_and_loads_into_fresh_module(name):
    G = GROUPS["D4"]
    torch.manual_seed(1)
    module = LAYERS[name](G).double().train()
    x = layer_input(module)
    module(x)
    train_sd = copy.deepcopy(module.state_dict())
    module.eval()
    eval_sd = module.state_dict()
    assert list(train_sd) == list(eval_sd)
    for k in train_sd:
        if k.endswith("_extra_state"):
            assert train_sd[k] == eval_sd[k], k
        else:
            assert torch.equal(train_sd[k], eval_sd[k]), k
    fresh = LAYERS[name](G).double()
    fresh.load_state_dict(eval_sd)
    fresh.eval()
    torch.testing.assert_close(fresh(x), module(x), atol=0, rtol=0)
    assert set(fresh.state_dict()) == set(k for k, _ in module.named_parameters()) | {
        k for k, _ in module.named_buffers() if k.split(".")[-1] in ("running_mean", "running_var")
    } | {k for k in eval_sd if k.endswith(("num_batches_tracked", "_extra_state"))}


def test_declared_accepted_representations():
    G = GROUPS["D4"]
    for name, ctor in LAYERS.items():
        module = ctor(G)
        assert module.accepts in ("any", "permutation"), name
        uses_perm_type = module.in_type == perm_type(G) or module.in_type == perm_type(G) + perm_type(G)
        assert (module.accepts == "permutation") <= uses_perm_type, name
    assert ReLU(perm_type(G)).accepts == "permutation" and NormNonlinearity(mixed_type(G)).accepts == "any"
    assert GlobalPool2d(perm_type(G), "max").accepts == "permutation"


def test_certificate_is_a_frozen_validated_record():
    c = Certificate("proved", "exact", residual=1)
    assert c.passed is True and c.residual == 1.0 and isinstance(c.residual, float)
    assert Certificate("failed", "a violation").passed is False
    assert Certificate("not applicable", "continuous").passed is None
    with pytest.raises(dataclasses.FrozenInstanceError):
        c.status = "failed"
    with pytest.raises(ValueError, match="status must be one of"):
        Certificate("maybe", "why")
    with pytest.raises(TypeError, match="reason must be a str, got int"):
        Certificate("proved", 3)
    base = NormNonlinearity(mixed_type(GROUPS["C4"])).certificate()
    assert base == Certificate(
        "not applicable", "NormNonlinearity has no exact description: check it numerically"
    )


def test_check_tensor_messages():
    t = perm_type(GROUPS["D4"])
    with pytest.raises(ValueError, match=r"shape \(batch, 17, H, W\), got \(1, 17, 3\)"):
        check_tensor(torch.randn(1, 17, 3), t, "Layer")
    with pytest.raises(ValueError, match=r"shape \(batch, 17, D, H, W\), got \(1, 17, 3, 3\)"):
        check_tensor(torch.randn(1, 17, 3, 3), t, "Layer", spatial_dims=3)
    assert check_tensor(torch.randn(1, 17, 2, 2, 2), t, "Layer", spatial_dims=3).shape == (1, 17, 2, 2, 2)
    with pytest.raises(TypeError, match="Layer takes a floating point tensor"):
        check_tensor(torch.ones(1, 17, 2, 2, dtype=torch.long), t, "Layer")


def test_derived_buffers_of_real_layers_keep_their_float64_masters():
    """Tables registered with register_derived: non-persistent, in the default dtype, rebuilt from the
    float64 master by every cast, so a round trip through float32 loses nothing."""
    conv = HomogeneousFourierConv(Dihedral(4), 2, 3, domain=Cyclic(4))
    names = [n for n in ("expansion", "_analysis_in", "_synthesis_out") if n in dict(conv.named_buffers())]
    assert names
    integral = S2Integral(SphereType(2, 4))
    for layer, keys in ((conv, names), (integral, ["weights"])):
        masters = {k: layer.derived_master(k) for k in keys}
        assert all(m.dtype == torch.float64 for m in masters.values())
        assert all(getattr(layer, k).dtype == torch.get_default_dtype() for k in keys)
        assert not set(keys) & set(layer.state_dict())
        layer.float().double()
        for k in keys:
            assert torch.equal(getattr(layer, k), masters[k]), k
    # the integral reads its weights in the input's dtype after the cast
    x = torch.randn(3, *integral.in_type.shape, dtype=torch.float64)
    assert integral(x).dtype == torch.float64


def test_described_state_refuses_another_layer_and_warns_on_a_legacy_state():
    t, other = mixed_type(GROUPS["D4"]), mixed_type(GROUPS["C4"])
    bn = FieldBatchNorm(t)
    assert isinstance(bn, DescribedState)
    state = bn.state_dict()
    assert state["_extra_state"] == {"layer": "FieldBatchNorm", "group": "D4", "in_type": repr(t)}
    with pytest.raises(RuntimeError, match="saved 'D4', this layer 'C4'"):
        NormNonlinearity(other).load_state_dict(NormNonlinearity(t).state_dict())
    legacy = {k: v for k, v in state.items() if k != "_extra_state"}
    with pytest.warns(LegacyStateWarning, match="no layer description"):
        FieldBatchNorm(t).load_state_dict(legacy)


def test_layers_refuse_torch_jit_script_with_advice():
    with pytest.raises(TypeError, match="use torch.jit.trace"):
        torch.jit.script(ReLU(perm_type(GROUPS["D4"])))
    with pytest.raises(TypeError, match="use torch.jit.trace"):
        torch.jit.script(S2Integral(SphereType(1, 2)))


def test_spherical_layers_carry_their_grid_types():
    integral = S2Integral(SphereType(2, 4))
    assert isinstance(integral, EquivariantModule)
    assert integral.in_type == SphereType(2, 4) and integral.out_type.channels == 2
    assert integral.in_type.group == SO3()


@pytest.mark.cuda
@pytest.mark.parametrize("name", sorted(LAYERS))
def test_cuda_matches_cpu(name):
    torch.manual_seed(4)
    module = LAYERS[name](GROUPS["D4"]).double()
    x = layer_input(module)
    for train in (True, False):
        cpu = module.train(train)
        gpu = LAYERS[name](GROUPS["D4"]).double().cuda()
        gpu.load_state_dict(cpu.state_dict())
        gpu.train(train)
        torch.testing.assert_close(gpu(x.cuda()).cpu(), cpu(x), atol=1e-12, rtol=1e-10)
        torch.testing.assert_close(
            gnn.export(gpu.eval())(x.cuda()).cpu(), cpu.eval()(x), atol=1e-12, rtol=1e-10
        )
