"""Interoperability with escnn (Cesa, Lang & Weiler, ICLR 2022): field types both ways, and escnn modules
as typed groupconv layers.

The planar gspaces of escnn map to groupconv groups:

========================================  =====================
escnn gspace                              groupconv group
========================================  =====================
``rot2dOnR2(N)``                          ``Cyclic(N)``
``flipRot2dOnR2(N)``                      ``Dihedral(N)``
``rot2dOnR2(-1)``                         ``SO2()``
``flipRot2dOnR2(-1)``                     ``O2()``
========================================  =====================

Elements are matched by their action on the plane: the escnn element ``e`` corresponds to the groupconv
element ``g`` with the same ``2 x 2`` matrix (escnn's ``basespace_action``, groupconv's
``action_matrix``; both libraries put pixel ``(i, j)`` at ``x = j - (W-1)/2``, ``y = (H-1)/2 - i``,
so the two pixel actions agree). Each escnn irrep is matched to the groupconv irrep with the same
character, and where the matrices differ (escnn and groupconv choose different bases of some 2-dim
irreps, e.g. reflections about different axes), an orthogonal intertwiner ``B`` with
``sigma_escnn(e) = B sigma_groupconv(g) B^T`` is solved for on the generators (or test elements) and
folded into the change of basis. A converted field type therefore has the same matrices as the
original, channel for channel:

.. math::  \\rho_{groupconv}(g) = \\rho_{escnn}(e) \\quad \\text{for every matched pair } (e, g),

and tensors need no conversion. escnn is an optional dependency (``pip install groupconv[escnn]``) and
this module is never imported by the core.
"""

from __future__ import annotations

import copy
import hashlib
import math
from collections.abc import Sequence

import numpy as np
import torch
from scipy.linalg import block_diag
from torch import nn

from ..groups.base import Group
from ..groups.planar import O2, SO2, Cyclic, Dihedral
from ..nn.field_type import FieldType
from ..nn.module import EquivariantModule
from ..reps import irreps as gc_irreps
from ..reps.representation import Representation

__all__ = [
    "group_from_gspace",
    "gspace_from_group",
    "from_escnn_type",
    "to_escnn_type",
    "from_escnn_representation",
    "to_escnn_representation",
    "EscnnLayer",
    "wrap_escnn",
]

_F_ESCNN = np.diag([-1.0, 1.0])  # escnn's reflection: (s, theta) acts as R(theta) diag(-1, 1)^s


def _escnn():
    try:
        import escnn  # noqa: F401
        from escnn import gspaces
        from escnn import nn as enn
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise ImportError("groupconv.interop.escnn needs escnn: pip install groupconv[escnn]") from e
    return gspaces, enn


def group_from_gspace(gspace) -> Group:
    """The groupconv group of an escnn planar gspace (``rot2dOnR2`` / ``flipRot2dOnR2``)."""
    G = gspace.fibergroup
    kind = type(G).__name__
    if getattr(gspace, "dimensionality", 2) != 2:
        raise ValueError(f"only planar gspaces are supported, got {gspace}")
    if kind == "CyclicGroup":
        return Cyclic(G.order())
    if kind == "DihedralGroup":
        return Dihedral(G.order() // 2)
    if kind == "SO2":
        return SO2()
    if kind == "O2":
        return O2()
    raise ValueError(
        f"escnn gspace {gspace} has fiber group {G} ({kind}); supported: rot2dOnR2(N), flipRot2dOnR2(N), "
        "rot2dOnR2(-1), flipRot2dOnR2(-1)"
    )


def gspace_from_group(group: Group, maximum_frequency: int = 6):
    """The escnn gspace acting on the plane with ``group`` (``maximum_frequency`` for SO(2) / O(2))."""
    gspaces, _ = _escnn()
    if isinstance(group, Cyclic):
        return gspaces.rot2dOnR2(group.n)
    if isinstance(group, Dihedral):
        return gspaces.flipRot2dOnR2(group.n, axis=0.0)
    if isinstance(group, SO2):
        return gspaces.rot2dOnR2(-1, maximum_frequency=maximum_frequency)
    if isinstance(group, O2):
        return gspaces.flipRot2dOnR2(-1, axis=0.0, maximum_frequency=maximum_frequency)
    raise ValueError(f"no escnn gspace for {group}: expected C_n, D_n, SO2 or O2")


def _element_pairs(gspace, group: Group, n_test: int = 7) -> list[tuple[object, torch.Tensor]]:
    """Pairs ``(escnn element, groupconv element)`` with the same action on the plane: every element of
    a finite group, a fixed set of test elements of SO(2) / O(2)."""
    G = gspace.fibergroup
    if group.is_finite:
        mats = group.action_matrix(group.elements(), dtype=torch.float64).numpy()
        pairs = []
        for e in G.elements:
            a = np.asarray(gspace.basespace_action(e), dtype=np.float64)
            match = np.nonzero(np.abs(mats - a).reshape(len(mats), -1).max(1) < 1e-9)[0]
            if len(match) != 1:
                raise ValueError(
                    f"the escnn element {e} acts on the plane as no element of {group}: groupconv's D_n "
                    "reflects about the x axis; build the escnn gspace with flipRot2dOnR2(N, axis=0.0) "
                    "(escnn's default axis pi/2 gives the same group only for even N)"
                )
            pairs.append((e, torch.tensor(int(match[0]))))
        return pairs
    # incommensurate angles: no accidental symmetry between test elements
    angles = [0.0] + [0.7 + 1.3 * k for k in range(n_test - 1)]
    pairs = []
    for t in angles:
        if isinstance(group, SO2):
            pairs.append((G.element(t, "radians"), torch.tensor(t, dtype=torch.float64)))
        else:
            for s in (0, 1):
                g = O2.make(torch.tensor(t, dtype=torch.float64), s)
                a = group.action_matrix(g, dtype=torch.float64).numpy()
                r = a @ _F_ESCNN if s else a  # the rotation part in escnn's parametrization
                pairs.append((G.element((s, math.atan2(r[1, 0], r[0, 0])), "radians"), g))
    for e, g in pairs:
        a = np.asarray(gspace.basespace_action(e), dtype=np.float64)
        if np.abs(a - group.action_matrix(g, dtype=torch.float64).numpy()).max() > 1e-9:
            raise ValueError(
                f"escnn element {e} and groupconv element {g.tolist()} act differently on the plane"
            )
    return pairs


def _intertwiner(mats_a: Sequence[np.ndarray], mats_b: Sequence[np.ndarray]) -> np.ndarray | None:
    """An orthogonal ``B`` with ``A_k B = B B_k`` for all ``k`` (so ``A_k = B B_k B^T``), or ``None``."""
    d = mats_a[0].shape[0]
    eye = np.eye(d)
    # vec(A B - B Bk) = (I (x) A - Bk^T (x) I) vec(B), column-major vec
    system = np.concatenate([np.kron(eye, a) - np.kron(b.T, eye) for a, b in zip(mats_a, mats_b)])
    _, s, vt = np.linalg.svd(system)
    null = vt[np.sum(s > 1e-8) :]
    if len(null) == 0:
        return None
    # the intertwiner closest to the identity: B = I whenever the two bases already agree
    coef = null @ eye.reshape(-1, order="F")
    vec = coef @ null if np.linalg.norm(coef) > 1e-8 else null[0]
    B = vec.reshape(d, d, order="F")
    u, _, v = np.linalg.svd(B)
    B = u @ v  # the orthogonal polar factor; for intertwiners of orthogonal irreps, B is a scaled isometry
    ok = all(np.abs(a @ B - B @ b).max() < 1e-8 for a, b in zip(mats_a, mats_b))
    return B if ok else None


def _candidate_irreps(group: Group, degree: int) -> list:
    if group.is_finite:
        return gc_irreps(group)
    return gc_irreps(group, max_degree=max(degree, 0))


def _escnn_irrep_degree(irrep) -> int:
    return int(abs(irrep.id[-1])) if irrep.id else 0


def _match_irrep(irrep, group: Group, pairs) -> tuple[object, np.ndarray]:
    """The groupconv irrep with the character of the escnn ``irrep`` and the intertwiner ``B``."""
    mats_e = [np.asarray(irrep(e), dtype=np.float64) for e, _ in pairs]
    gs = torch.stack([g for _, g in pairs])
    for cand in _candidate_irreps(group, _escnn_irrep_degree(irrep)):
        if cand.dim != irrep.size:
            continue
        mats_g = cand(gs, dtype=torch.float64).numpy()
        if (
            np.abs(np.trace(mats_g, axis1=-2, axis2=-1) - np.array([np.trace(m) for m in mats_e])).max()
            > 1e-8
        ):
            continue
        B = _intertwiner(mats_e, list(mats_g))
        if B is not None:
            return cand, B
    raise ValueError(f"no irrep of {group} has the character of escnn's {irrep.name} (id {irrep.id})")


def from_escnn_representation(rep, group: Group | None = None, gspace=None) -> Representation:
    """The groupconv :class:`~groupconv.reps.Representation` with the same matrices as the escnn
    representation ``rep`` (irreps matched by character, bases aligned by an orthogonal intertwiner)."""
    if gspace is None:
        raise TypeError("from_escnn_representation needs the escnn gspace the representation acts with")
    group = group if group is not None else group_from_gspace(gspace)
    pairs = _element_pairs(gspace, group)
    G = gspace.fibergroup
    found, blocks = [], []
    for rid in rep.irreps:
        ir, B = _match_irrep(G.irrep(*rid), group, pairs)
        found.append(ir)
        blocks.append(B)
    q = np.asarray(rep.change_of_basis, dtype=np.float64) @ block_diag(*blocks)
    if len(found) == 1 and np.allclose(q, np.eye(q.shape[0]), atol=1e-12):
        return found[0]
    # a single irrep in another basis keeps the irrep's name, marked as conjugated
    name = "regular" if rep.name == "regular" else (f"{found[0].name}'" if len(found) == 1 else rep.name)
    return Representation(group, found, q, name=name)


def from_escnn_type(field_type) -> FieldType:
    """The groupconv :class:`~groupconv.nn.FieldType` of an escnn ``FieldType`` on a planar gspace, with the
    same matrices channel for channel (see the module docstring)."""
    _escnn()
    gspace = field_type.gspace
    group = group_from_gspace(gspace)
    cache: dict[str, Representation] = {}
    reps = []
    for r in field_type.representations:
        if r.name not in cache:
            cache[r.name] = from_escnn_representation(r, group, gspace)
        reps.append(cache[r.name])
    return FieldType(group, reps)


def to_escnn_representation(rep: Representation, gspace):
    """The escnn representation with the same matrices as the groupconv ``rep`` on ``gspace``."""
    import escnn.group as egroup

    group = group_from_gspace(gspace)
    if rep.group != group:
        raise TypeError(f"the representation is of {rep.group}, the gspace acts with {group}")
    G = gspace.fibergroup
    pairs = _element_pairs(gspace, group)
    # the escnn irreps that can appear: all of a finite group, those up to the degree of rep for SO2/O2
    ids, blocks = [], []
    for ir in rep.irreps:
        cand = None
        for e_ir in G.irreps():
            if e_ir.size != ir.dim:
                continue
            try:
                matched, B = _match_irrep(e_ir, group, pairs)
            except ValueError:
                continue
            if matched == ir:
                cand = (e_ir.id, B)
                break
        if cand is None:
            raise ValueError(f"no escnn irrep of {G} matches {ir!r}")
        ids.append(cand[0])
        blocks.append(cand[1])
    # rho = Q (+) sigma_gc Q^T and sigma_escnn = B sigma_gc B^T give rho = (Q (+)B^T) (+) sigma_escnn (...)^T
    q = rep.change_of_basis @ block_diag(*blocks).T
    if len(ids) == 1 and np.allclose(q, np.eye(rep.dim), atol=1e-12):
        return G.irrep(*ids[0])
    if rep.name == "regular" and group.is_finite:
        reg = G.regular_representation
        if _same_matrices(reg, rep, pairs):
            return reg
    digest = hashlib.sha1(np.round(q, 12).tobytes()).hexdigest()[:12]
    key = "groupconv_" + "_".join(str(i) for i in ids) + "_" + digest
    if key in G.representations:
        return G.representations[key]
    return egroup.Representation(G, key, ids, q)


def _same_matrices(e_rep, g_rep: Representation, pairs) -> bool:
    return all(
        np.abs(np.asarray(e_rep(e), dtype=np.float64) - g_rep(g, dtype=torch.float64).numpy()).max() < 1e-9
        for e, g in pairs
    )


def to_escnn_type(field_type: FieldType, gspace=None, maximum_frequency: int | None = None):
    """The escnn ``FieldType`` with the same matrices as the groupconv ``field_type``.

    ``gspace`` defaults to the gspace of :func:`gspace_from_group` (for SO(2) / O(2) its maximum frequency
    is the highest frequency of the field type unless ``maximum_frequency`` is given)."""
    _, enn = _escnn()
    if not isinstance(field_type, FieldType):
        raise TypeError(f"to_escnn_type takes a groupconv FieldType, got {type(field_type).__name__}")
    if gspace is None:
        top = max((ir.degree for r in field_type.representations for ir in r.irreps), default=0)
        gspace = gspace_from_group(field_type.group, maximum_frequency or max(top, 1))
    return enn.FieldType(gspace, [to_escnn_representation(r, gspace) for r in field_type.representations])


class EscnnLayer(EquivariantModule):
    """An escnn ``EquivariantModule`` as a typed groupconv layer: plain tensor in, ``GeometricTensor``
    through the module, plain tensor out, with ``in_type`` / ``out_type`` converted by
    :func:`from_escnn_type`, so :func:`groupconv.verify.check_equivariance` can check it."""

    def __init__(self, module):
        super().__init__()
        _, enn = _escnn()
        if not isinstance(module, enn.EquivariantModule):
            raise TypeError(f"EscnnLayer wraps an escnn EquivariantModule, got {type(module).__name__}")
        self.module = module
        self.escnn_in_type, self.escnn_out_type = module.in_type, module.out_type
        self.in_type = from_escnn_type(module.in_type)
        self.out_type = from_escnn_type(module.out_type)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _, enn = _escnn()
        return self.module(enn.GeometricTensor(x, self.escnn_in_type)).tensor

    def __deepcopy__(self, memo: dict) -> EscnnLayer:
        # escnn keeps the expanded filters of eval mode as non-leaf tensors, which torch cannot deepcopy;
        # train mode drops them, and eval mode rebuilds them on the copy
        training = self.module.training
        self.module.train(True)
        try:
            new = self.__class__.__new__(self.__class__)
            memo[id(self)] = new
            new.__dict__.update({k: copy.deepcopy(v, memo) for k, v in self.__dict__.items()})
        finally:
            self.module.train(training)
        new.module.train(training)
        return new

    def extra_repr(self) -> str:
        return f"{self.in_type!r} -> {self.out_type!r}"


def wrap_escnn(model) -> nn.Module:
    """Wrap an escnn network for layer-by-layer checks: an ``escnn.nn.SequentialModule`` becomes an
    ``nn.Sequential`` of :class:`EscnnLayer` (one per submodule, typed with the model's own in and out
    types on the container); any other ``EquivariantModule`` becomes one :class:`EscnnLayer`."""
    _, enn = _escnn()
    if isinstance(model, enn.SequentialModule):
        seq = nn.Sequential(*[EscnnLayer(m) for m in model.children()])
        seq.in_type, seq.out_type = seq[0].in_type, seq[-1].out_type
        return seq
    return EscnnLayer(model)
