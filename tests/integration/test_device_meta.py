"""Device correctness without a GPU.

Every public module of the catalogue (tests/_module_cases.py: each layer family on several groups, the
spherical layers, scattering, the Fourier-domain convolutions) is moved to the ``meta`` device and runs
its forward pass on a meta input. A meta tensor has a shape, a dtype and a device but no values, so this
fails on a tensor that ``.to()`` leaves behind (an attribute that is not a buffer), on a host sync in the
forward (``.item()``, ``float(t)``, ``.numpy()``; ``aten::equal`` has no meta kernel either) and on a
tensor created on the default device and mixed with the input.

The checks that read values are skipped on meta tensors only: the range checks of group elements and the
finite-input check of the scattering networks. And a meta tensor mixed with a CPU scalar tensor goes
unnoticed. So every forward and backward pass also runs on CPU under ``torch.device("meta")`` as the
default device, with an op recorder: every tensor that any op creates must be on the input's device. A
factory call without ``device=`` in the forward creates a meta tensor there and fails.

The group families, the group actions used by the verification helpers (``act``, ``FieldType.transform``,
``FunctionType.transform``, ``rotate_field``) and the Fourier transforms run on meta tensors too; the
checks that measure errors (``check_equivariance``, ``check_energy``, ``verify_model``) need values and
refuse a meta model or input with a ValueError.
"""

from __future__ import annotations

import pytest
import torch
from _module_cases import CASES, SIZE, build, outputs, planar_type, public_module_classes
from torch import nn
from torch.utils._python_dispatch import TorchDispatchMode

from groupconv.fourier import (
    common_irreps,
    convolve,
    fourier_transform,
    function_space,
    generalized_convolution,
    inverse_fourier_transform,
    transform_methods,
)
from groupconv.groups import O2, O3, SO2, SO3, Cyclic, Dihedral, DirectProduct, Symmetric
from groupconv.nn import FunctionType, rotate_field
from groupconv.reps import irrep, regular
from groupconv.verify import act, check_energy, check_equivariance, verify_model


def test_every_public_module_class_has_a_case():
    """A new public module without a case here fails this test (abstract bases count as covered by their
    subclasses)."""
    built = {type(build(name)[0]) for name in CASES}
    public = public_module_classes()
    assert len(public) >= 30
    missing = sorted(c.__name__ for c in public if not any(issubclass(b, c) for b in built))
    assert not missing, f"public modules without a device case: {missing}"


_DOUBLE = {torch.float32: torch.float64, torch.complex64: torch.complex128}


@pytest.mark.parametrize("name", sorted(CASES))
def test_forward_on_meta_device(name):
    """Train and eval forward on meta in float32, then in float64 (cast on meta): the outputs' shapes and
    dtypes are those of the float32 forward on CPU (the dtypes promoted in float64)."""
    module, x = build(name)
    with torch.no_grad():
        reference = [(t.shape, t.dtype) for t in outputs(module.eval()(x))]
    module = module.to("meta")
    x = x.to("meta")
    for dtype in (torch.float32, torch.float64):
        if dtype == torch.float64:
            module, x = module.double(), x.to(_DOUBLE[x.dtype])
            reference = [(shape, _DOUBLE.get(t, t)) for shape, t in reference]
        stray = [n for n, t in [*module.named_parameters(), *module.named_buffers()] if not t.is_meta]
        assert not stray, f"parameters or buffers left off the meta device: {stray}"
        for train in (True, False):
            out = outputs(module.train(train)(x))
            assert [t.device.type for t in out] == ["meta"] * len(reference)
            assert [(t.shape, t.dtype) for t in out] == reference, (dtype, train)


class _DeviceRecorder(TorchDispatchMode):
    """Records every op whose outputs lie on another device than ``device``."""

    def __init__(self, device: torch.device):
        super().__init__()
        self.device = device
        self.strays: list[str] = []

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        for t in outputs(out):
            if t.device != self.device:
                self.strays.append(f"{func} -> {t.device}")
        return out


def _assert_creates_on_input_device(module: nn.Module, x: torch.Tensor, backward: bool = True) -> None:
    """Forward (and backward) on CPU with the meta device as the default: every op's outputs on CPU."""
    params = [p for p in module.parameters() if p.requires_grad]
    x = x.clone().requires_grad_(backward)
    with torch.device("meta"), _DeviceRecorder(x.device) as recorder:
        out = outputs(module(x))
        assert not recorder.strays, f"forward: tensors created off the input's device: {recorder.strays[:5]}"
        if not backward:
            return
        loss = sum(t.real.sum() if t.is_complex() else t.sum() for t in out)
        torch.autograd.grad(loss, [x, *params], allow_unused=True)
        assert not recorder.strays, f"backward: tensors created off the input's device: {recorder.strays[:5]}"


@pytest.mark.parametrize("name", sorted(CASES))
def test_forward_and_backward_create_tensors_on_the_input_device(name):
    module, x = build(name)
    _assert_creates_on_input_device(module.train(), x)
    _assert_creates_on_input_device(module.eval(), x, backward=False)


class _DefaultDeviceFactory(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.arange(x.shape[-1], dtype=x.dtype)


class _ReturnsNewTensor(nn.Module):
    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return x, torch.zeros(3)


class _PlainAttribute(nn.Module):
    """A derived tensor kept as a plain attribute, not a buffer: ``.to()`` leaves it behind."""

    def __init__(self):
        super().__init__()
        self.scale = torch.ones(4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.scale


class _HostSync(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x / float(x.abs().max())


def test_the_device_checks_catch_planted_defects():
    x = torch.randn(2, 4)
    with pytest.raises(RuntimeError, match="meta"):
        _assert_creates_on_input_device(_DefaultDeviceFactory(), x)
    with pytest.raises(AssertionError, match="zeros"):
        _assert_creates_on_input_device(_ReturnsNewTensor(), x)
    with pytest.raises(RuntimeError, match="meta"):
        _PlainAttribute().to("meta")(x.to("meta"))
    with pytest.raises(RuntimeError, match="meta"):
        _HostSync().to("meta")(x.to("meta"))


# -- groups, group actions, Fourier transforms and the verification helpers -----------------------------

GROUP_FAMILIES = {
    "Cyclic": (Cyclic(5), lambda G: regular(G)),
    "Dihedral": (Dihedral(3), lambda G: irrep(G, 1, 1)),
    "Symmetric": (Symmetric(3), lambda G: regular(G)),
    "SO2": (SO2(), lambda G: irrep(G, 2)),
    "O2": (O2(), lambda G: irrep(G, 1, 1)),
    "SO3": (SO3(), lambda G: irrep(G, 1)),
    "O3": (O3(), lambda G: irrep(G, 1, -1)),
    "DirectProduct": (DirectProduct(Cyclic(2), SO2()), lambda G: irrep(G, 1, 1)),
}


@pytest.mark.parametrize("family", sorted(GROUP_FAMILIES))
def test_group_operations_and_representations_on_meta_elements(family):
    G, rep = GROUP_FAMILIES[family]
    g = G.sample(3, generator=torch.Generator().manual_seed(0))
    h = G.sample(3, generator=torch.Generator().manual_seed(1))
    results = {
        "compose": G.compose(g.to("meta"), h.to("meta")),
        "inverse": G.inverse(g.to("meta")),
        "identity": G.identity((3,), device="meta"),
        "sample": G.sample(3, device="meta"),
        "rep": rep(G)(g.to("meta"), torch.float32),
    }
    expected = {
        "compose": G.compose(g, h),
        "inverse": G.inverse(g),
        "identity": G.identity((3,)),
        "sample": g,
        "rep": rep(G)(g, torch.float32),
    }
    for key, t in results.items():
        assert t.is_meta, key
        assert (t.shape, t.dtype) == (expected[key].shape, expected[key].dtype), key


def _fourier_spaces():
    return {
        "D4": function_space(Dihedral(4)),
        "S3": function_space(Symmetric(3)),
        "SO2": function_space(SO2(), 2),
        "O2": function_space(O2(), 2),
        "SO3": function_space(SO3(), 2),
    }


@pytest.mark.parametrize("space", ["D4", "S3", "SO2", "O2", "SO3"])
def test_fourier_transforms_and_convolutions_on_meta(space):
    sp = _fourier_spaces()[space]
    f = torch.randn(2, sp.num_points, dtype=torch.float64)
    h = torch.randn(2, sp.num_points, dtype=torch.float64)
    for method in transform_methods(sp):
        blocks = fourier_transform(f.to("meta"), sp, method=method).blocks
        assert all(b.is_meta for b in blocks)
        assert [b.shape for b in blocks] == [b.shape for b in fourier_transform(f, sp, method=method).blocks]
        back = inverse_fourier_transform(fourier_transform(f.to("meta"), sp), method=method)
        assert back.is_meta and back.shape == f.shape
    for method in ("spatial", "fourier"):
        y = convolve(f.to("meta"), h.to("meta"), sp, method=method)
        assert y.is_meta and y.shape == f.shape and y.dtype == f.dtype
    blocks = [
        torch.randn(sp.columns[i].shape[1], sp.columns[j].shape[1], dtype=torch.float64)
        for i, j in common_irreps(sp, sp)
    ]
    y = generalized_convolution(f.to("meta"), [b.to("meta") for b in blocks], sp, sp)
    assert y.is_meta and y.shape == f.shape


def test_group_actions_of_the_verification_helpers_on_meta():
    D4 = Dihedral(4)
    t = planar_type(D4, "mixed")
    x = torch.randn(2, t.size, SIZE, SIZE)
    for g in range(D4.order):
        assert act(t, x.to("meta"), g).is_meta
        assert t.transform(x.to("meta"), g).shape == x.shape
    so2 = planar_type(SO2(), "mixed")
    y = rotate_field(torch.randn(2, so2.size, SIZE, SIZE).to("meta"), so2, torch.tensor(0.3))
    assert y.is_meta and y.shape == (2, so2.size, SIZE, SIZE)
    for G, bandwidth, g in ((Dihedral(4), None, 3), (SO3(), 2, SO3().sample(1)[0])):
        ft = FunctionType(function_space(G, bandwidth), 2)
        f = torch.randn(3, 2, ft.space.num_points)
        assert ft.transform(f.to("meta"), g).shape == f.shape


@pytest.mark.parametrize("check", [check_equivariance, check_energy, verify_model])
def test_error_measuring_checks_refuse_meta_tensors(check):
    module, x = build("GroupConv2d-D4")
    with pytest.raises(ValueError, match="input on the meta device"):
        check(module, x.to("meta"))
    with pytest.raises(ValueError, match="input on the meta device"):
        check(module.to("meta"), x.to("meta"))
