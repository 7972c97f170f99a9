"""Variance-preserving initialization of equivariant convolutions (generalized He initialization).

He's setting (He et al., *Delving deep into rectifiers*, ICCV 2015, eq. 10): the input is ``x = relu(h)``
with ``h`` centred and independent across channels and pixels, and the weights keep
``E[y^2] = (gain / 2) E[h^2]`` (``gain = 2`` for ReLU networks). For a filter ``K = sum_b w_b B_b`` with
independent weights ``w_b ~ N(0, s^2)``,

.. math::  E[y_o^2] = s^2 \\sum_b \\big( \\mathrm{Var}(x) \\, \\|B_b[o]\\|^2 + E[x]^2 \\, (B_b[o] m)^2 \\big),

where ``m`` is the direction of the input mean: by equivariance it lies along the trivial irreps of each
input field (the projection of ``(1, ..., 1)`` on them; the all-ones vector of a regular field) and
``B_b[o] m`` is row ``o``'s response to that constant input. A rectified input has
``E[x]^2 = E[h^2] / (2 pi)`` and ``Var(x) = E[h^2] (1 - 1/pi) / 2``, so

.. math::  s^2 = \\frac{gain}{\\sum_b (1 - 1/\\pi) \\|B_b[o]\\|^2 + (B_b[o] m)^2 / \\pi},

averaged over the channels of each output field. For a plain convolution both terms count each entry once
and this is ``2 / fan_in``. Input fields without a trivial irrep have zero mean (norm or gated
nonlinearities) and keep ``s^2 = gain / sum_b ||B_b[o]||^2``. This is the closed-form counterpart of
escnn's ``generalized_he_init`` (Weiler & Cesa, NeurIPS 2019, section 2.9), computed from the sampled
basis, so building a network costs no more than building its bases. For index-map layers (lifting and
group convolutions on the grid) every filter entry is one weight and ``s^2 = gain / fan_in`` with
``fan_in`` the number of input channels times ``k^2`` (``k^3`` for volumes). The sums run over the pixels
(voxels) of the sampled basis, so the same formulas hold on the plane and in space.

The closed form assumes inputs independent across pixels. Deeper in a network the inputs are smooth (the
outputs of band-limited filters), which such filters pass with a larger gain, and each output field's
response to the input mean is a single Gaussian sum, so the second moment after several layers varies
from draw to draw. :func:`lsuv_init_` rescales the layers of a built model on a batch of data instead
(layer-sequential unit variance, Mishkin & Matas, ICLR 2016): a positive scale of a layer's weights, or of
the weights reaching one output field, keeps the layer equivariant.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import torch
from torch import nn

from ..reps.representation import Representation
from .fourier_conv import HomogeneousFourierConv

__all__ = [
    "generalized_he_init_",
    "he_std",
    "lsuv_init_",
    "parameter_fields",
    "row_energy",
    "trivial_columns",
]


@lru_cache(maxsize=256)
def trivial_columns(rep: Representation) -> np.ndarray:
    """``(d, n)``: the columns of the change of basis of ``rep`` that carry trivial irreps (the directions
    a constant, or the mean of an equivariant input, can take)."""
    cols, j = [], 0
    for ir in rep.irreps:
        if ir.is_trivial():
            cols.append(j)
        j += ir.dim
    return rep.change_of_basis[:, cols]


@lru_cache(maxsize=128)
def row_energy(plan) -> np.ndarray:
    """``(s_o, s_i, b)``: for the basis of an :class:`~groupconv.nn.conv.plan.ExpansionPlan`, the mean
    energy of an output row (see the module docstring: ``(1 - 1/pi) ||B_b[o]||^2 + (B_b[o] m)^2 / pi``
    for inputs with a trivial irrep, ``||B_b[o]||^2`` otherwise), cumulated over the basis elements of
    each pair of field types. Cached per plan, so that identical layers compute it once."""
    buf = plan.buf
    s_o, s_i, b_max, do, di, k2 = buf.shape
    dims = np.array([r.dim for r in plan.out_types], dtype=np.float64)
    flat = buf.reshape(s_o, s_i, b_max, do * di * k2)
    sq = np.matmul(flat[..., None, :], flat[..., :, None])[..., 0, 0]  # squared norms, one dot each
    mean_dir = np.zeros((s_i, di))
    for t, r in enumerate(plan.in_types):
        triv = trivial_columns(r)
        mean_dir[t, : r.dim] = triv @ triv.sum(0)  # projection of (1, ..., 1) on the trivial irreps
    # input fields without a trivial irrep have zero mean: their energy counts as it is
    rectified = (np.abs(mean_dir).sum(1) > 0)[None, :, None]
    mixed = sq
    if rectified.any():
        # the response of every row to the constant input: one matrix-vector product per pair of types
        const = np.repeat(mean_dir, k2, axis=1).astype(buf.dtype)  # (S_i, d_i k^2)
        response = np.matmul(buf.reshape(s_o, s_i, b_max * do, di * k2), const[None, :, :, None])
        dc = (response.reshape(s_o, s_i, b_max, do).astype(np.float64) ** 2).sum(-1)
        mixed = np.where(rectified, (1 - 1 / np.pi) * sq + dc / np.pi, sq)
    return np.cumsum(mixed / dims[:, None, None], axis=-1)


def he_std(plan, gain: float = 2.0) -> np.ndarray:
    """The standard deviation of each flat parameter of a layer expanded by ``plan`` (an
    :class:`~groupconv.nn.conv.plan.ExpansionPlan`): ``sqrt(gain / E_f)`` with ``E_f`` the summed mean
    row energy (:func:`row_energy`) of the basis elements reaching output field ``f``."""
    used = plan.used
    cum = row_energy(plan)
    last = np.maximum(used - 1, 0)
    tout, tin = np.asarray(plan.out_type_of), np.asarray(plan.in_type_of)
    e = cum[tout[:, None], tin[None, :], last] * (used > 0)
    std_field = np.sqrt(gain / np.maximum(e.sum(1), 1e-300))
    per = np.repeat(std_field, used.sum(1))
    return np.tile(per, plan.num_params // max(per.size, 1))


def parameter_fields(plan) -> np.ndarray:
    """The output field (index into the layer's output type) each flat parameter of a layer expanded
    by ``plan`` (an :class:`~groupconv.nn.conv.plan.ExpansionPlan`) maps into."""
    groups = plan.groups
    n_local = len(plan.out_reps)
    index = plan.index
    field_of = np.zeros(index.shape[1:3], dtype=np.int64)
    field_of[list(plan.out_type_of), list(plan.out_position)] = np.arange(n_local)
    fields = np.arange(groups)[:, None, None] * n_local + field_of[None]
    fields = np.broadcast_to(fields[:, :, :, None, None, None], index.shape)
    valid = index < plan.num_params
    out = np.empty(plan.num_params, dtype=np.int64)
    out[index[valid]] = fields[valid]
    return out


def generalized_he_init_(module: nn.Module, gain: float = 2.0) -> nn.Module:
    """Initialize the weights of a groupconv convolution in place (see the module docstring); returns
    the module.

    A layer expanded through a basis (its ``expansion_plan`` is not ``None``) draws each weight with
    :func:`he_std`; an index-map layer with ``sqrt(gain / fan_in)``."""
    weight = getattr(module, "weight", None)
    if not isinstance(weight, torch.Tensor):
        raise TypeError(
            f"generalized_he_init_ needs a groupconv convolution with a weight, got {type(module).__name__}"
        )
    plan = getattr(module, "expansion_plan", None)
    with torch.no_grad():
        if plan is not None:
            std = torch.as_tensor(he_std(plan, gain), dtype=weight.dtype, device=weight.device)
            weight.copy_(torch.randn_like(weight) * std)
        else:
            fan_in = module.in_type.size * module.kernel_size ** getattr(module, "spatial_dims", 2)
            weight.normal_(0.0, (gain / fan_in) ** 0.5)
    return module


def _calibrated(module: nn.Module) -> bool:
    """Whether :func:`lsuv_init_` calibrates ``module`` by default: the groupconv convolutions (those
    that state the field of each weight, ``weight_fields()``, and the Fourier-domain convolution), the
    torch convolutions and linear layers."""
    kinds = (HomogeneousFourierConv, nn.modules.conv._ConvNd, nn.Linear)
    return isinstance(module, kinds) or callable(getattr(module, "weight_fields", None))


def _field_map(layer: nn.Module, channels: int) -> tuple[torch.Tensor | None, torch.Tensor | None]:
    """For per-field scaling: the field of each of the ``channels`` output channels and the field of each
    entry of ``layer.weight``; ``(None, None)`` for a layer without output fields (one scale)."""
    fields = getattr(layer, "weight_fields", None)
    if callable(fields):
        return fields()
    if isinstance(layer, (nn.modules.conv._ConvNd, nn.Linear)):
        if isinstance(layer, nn.modules.conv._ConvNd) and layer.transposed:
            return None, None
        weight = layer.weight
        # torch convolutions and linear layers: the first weight axis is the field
        leading = (
            torch.arange(weight.shape[0]).reshape((-1,) + (1,) * (weight.dim() - 1)).expand(weight.shape)
        )
        return torch.arange(channels), leading
    return None, None


def _persistent_buffers(model: nn.Module) -> list[torch.Tensor]:
    out = []
    for module in model.modules():
        for name, buf in module._buffers.items():
            if buf is not None and name not in module._non_persistent_buffers_set:
                out.append(buf)
    return out


def lsuv_init_(
    model: nn.Module,
    x,
    target: float = 1.0,
    per_field: bool = False,
    layers=None,
    tol: float = 0.01,
    max_iter: int = 10,
) -> dict:
    """Layer-sequential calibration (LSUV, Mishkin & Matas, ICLR 2016) of a built model on a batch ``x``:
    in the order in which the forward pass reaches them, the weights of each layer are multiplied by a
    positive scale until the second moment ``E[y^2]`` of its output on ``x`` is ``target`` (within
    ``tol``, relative). A positive scale keeps an equivariant layer equivariant, so the model stays exactly
    as equivariant as it was. One forward pass: at its first call each layer is rescaled and rerun on
    its input, and its calibrated output goes on to the next layers.

    Parameters
    ----------
    model:
        Any module; it is called as ``model(x)``. Its mode (train or eval) is kept: in training mode,
        normalization layers see batch statistics. Persistent buffers (batch-norm running statistics) are
        restored afterwards.
    x:
        A representative batch (a tensor, or a tuple of positional arguments).
    target:
        Second moment of each calibrated layer's output.
    per_field:
        Scale the weights reaching each output field (each output channel of a plain convolution or
        linear layer) separately, so that every field has second moment ``target``: rotations and
        reflections act within a field, so a per-field scale keeps the layer equivariant. A field that no
        weight reaches (all its blocks forced to zero) stays zero with scale 1. Layers without output
        fields (transposed convolutions, ``HomogeneousFourierConv``) get one scale.
    layers:
        The modules to calibrate, in any order; default: every groupconv convolution
        (``EquivariantConv2d``, ``FourierBesselConv2d``, ``HomogeneousFourierConv``), ``torch.nn`` convolution
        and ``nn.Linear`` of the model. A layer called several times is measured at its first call.
    tol, max_iter:
        Relative tolerance and the largest number of rescalings per layer (one suffices for a layer
        without bias; a bias, left unchanged, can need a few).

    Returns
    -------
    dict
        ``{name: {"scale": total scale (a float, or a list per field), "second_moment": E[y^2] before
        calibration, "iterations": rescalings}}`` in calibration order, ``name`` as in
        ``model.named_modules()`` (the class name for the model itself).

    Examples
    --------
    >>> import torch
    >>> from torch import nn
    >>> from groupconv.groups import Dihedral
    >>> from groupconv.nn import FieldType, LiftingConv2d, ReLU, SteerableConv2d, lsuv_init_
    >>> from groupconv.reps import regular
    >>> _ = torch.manual_seed(0)
    >>> G = Dihedral(8)
    >>> reg = FieldType(G, [regular(G)] * 4)
    >>> model = nn.Sequential(LiftingConv2d.from_channels(G, 1, 4, 5, padding=2), ReLU(reg), SteerableConv2d(reg, reg, 5, padding=2))
    >>> report = lsuv_init_(model, torch.randn(8, 1, 32, 32))
    >>> list(report)
    ['0', '2']
    >>> with torch.no_grad():  # a second batch: its second moment is near the target, not exactly on it
    ...     0.8 < float(model(torch.randn(8, 1, 32, 32)).pow(2).mean()) < 1.25
    True
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"lsuv_init_ needs a torch.nn.Module, got {type(model).__name__}")
    args = tuple(x) if isinstance(x, (tuple, list)) else (x,)
    if not args or not all(isinstance(a, torch.Tensor) for a in args):
        raise TypeError("x must be a tensor or a tuple of tensors (the model's positional arguments)")
    if not (isinstance(target, (int, float)) and math.isfinite(target) and target > 0):
        raise ValueError(f"target must be a positive number, got {target!r}")
    if not (tol > 0 and int(max_iter) >= 1):
        raise ValueError(
            f"tol must be positive and max_iter at least 1, got tol={tol!r}, max_iter={max_iter!r}"
        )
    # each module's name in the report: its name in the model, the class name for the model itself
    names = {m: n or type(m).__name__ for n, m in model.named_modules()}
    if layers is None:
        chosen = [m for m in model.modules() if _calibrated(m)]
        if not chosen:
            raise ValueError(f"no convolution or linear layer to calibrate in {type(model).__name__}")
    else:
        chosen = list(layers)
        for m in chosen:
            if m not in names:
                raise ValueError(f"layer {type(m).__name__} is not a submodule of the model")
            if not isinstance(getattr(m, "weight", None), nn.Parameter):
                raise TypeError(f"layer {names[m]} has no weight parameter to scale")
    chosen = list(dict.fromkeys(chosen))

    saved = [(b, b.detach().clone()) for b in _persistent_buffers(model)]
    report: dict = {}
    busy = [False]

    def second_moments(y, channel, axis):
        if channel is None:
            return y.double().pow(2).mean().reshape(1)
        per_channel = y.movedim(axis, 0).reshape(y.shape[axis], -1).double().pow(2).mean(1)
        n = int(channel.max()) + 1
        c = channel.to(per_channel.device)
        m2 = torch.zeros(n, dtype=per_channel.dtype, device=c.device).index_add_(0, c, per_channel)
        return m2 / torch.bincount(c, minlength=n).to(m2.dtype)

    def calibrate(layer, inputs, kwargs, y):
        # the layer's inputs are final (earlier layers are calibrated): only the layer itself is rerun
        name = names[layer]
        channel = param_field = None
        total, first, it = None, None, 0
        # the channel axis: 1, the last one for linear layers (features last)
        axis = -1 if isinstance(layer, nn.Linear) else 1
        for it in range(1, int(max_iter) + 1):
            if not isinstance(y, torch.Tensor):
                raise TypeError(f"layer {name} returns {type(y).__name__}, not a tensor")
            if per_field and it == 1:
                channel, param_field = _field_map(layer, y.shape[axis])
            m2 = second_moments(y.detach(), channel, axis)
            # a field no weight reaches (its blocks all forced to zero) stays zero and keeps scale 1
            live = m2 > 0
            if not bool(torch.isfinite(m2).all()) or not bool(live.any()):
                raise ValueError(
                    f"layer {name} has an output of second moment {m2.max().item():.3g} on x (zero or not "
                    "finite): it cannot be rescaled to the target"
                )
            if first is None:
                first = m2
            if bool(((m2[live] / target - 1).abs() < tol).all()):
                it -= 1
                break
            scale = torch.where(live, target / m2.clamp_min(1e-300), torch.ones_like(m2)).sqrt()
            w = layer.weight
            if param_field is not None:
                w.mul_(scale.to(w.dtype)[param_field.to(w.device)])
            else:
                w.mul_(float(scale))
            total = scale if total is None else total * scale
            busy[0] = True
            try:
                y = layer(*inputs, **kwargs)
            finally:
                busy[0] = False
        total = torch.ones_like(first) if total is None else total
        report[name] = {
            "scale": float(total) if total.numel() == 1 else total.tolist(),
            "second_moment": float(first) if first.numel() == 1 else first.tolist(),
            "iterations": it,
        }
        return y

    def hook(module, inputs, kwargs, output):
        if busy[0] or names[module] in report:
            return None
        # the calibrated output goes on through the rest of the forward pass
        return calibrate(module, inputs, kwargs, output)

    handles = [m.register_forward_hook(hook, with_kwargs=True) for m in chosen]
    try:
        with torch.no_grad():
            model(*args)
        missing = [names[m] for m in chosen if names[m] not in report]
        if missing:
            raise ValueError(f"the forward pass on x does not reach the layers {missing}")
    finally:
        for h in handles:
            h.remove()
        with torch.no_grad():
            for buf, copy in saved:
                buf.copy_(copy)
    return report
