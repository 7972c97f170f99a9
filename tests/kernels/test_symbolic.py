"""Symbolic certificates of the harmonic templates: a true basis is proved, a perturbed one is not."""

from __future__ import annotations

from groupconv.groups import O2, SO2, Cyclic, Dihedral
from groupconv.kernels import harmonic_kernel_basis
from groupconv.kernels.symbolic import certify_harmonic_templates
from groupconv.reps import irreps


def test_symbolic_certificate_proves_and_catches_a_perturbation():
    for G in [SO2(), O2(), Cyclic(8), Dihedral(8)]:
        reps = irreps(G, max_degree=2) if not G.is_finite else irreps(G)
        b = harmonic_kernel_basis(reps[0] + reps[-1], reps[1] + reps[-1], 5, warn=False)
        ok, reason = certify_harmonic_templates(b.templates, G)
        assert ok, reason
    key = next(k for k, t in b.templates.items() if t.shape[-1] == 2)
    bad = dict(b.templates)
    t = bad[key].copy()
    t[0, ..., 1] = -t[0, ..., 1] + 0.5
    bad[key] = t
    ok, reason = certify_harmonic_templates(bad, G)
    assert not ok
