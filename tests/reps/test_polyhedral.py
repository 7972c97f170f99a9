"""The irreps of O, Oh, I, Ih: names and dimensions, exact homomorphisms (sympy), tables against the exact
matrices, character orthogonality, restrictions of the SO(3) / O(3) irreps against the character inner
products and the literature, regular and quotient representations, printing and parsing."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import sympy
import torch

from groupconv.groups import (
    O3,
    SO3,
    FullIcosahedral,
    FullOctahedral,
    Icosahedral,
    Octahedral,
)
from groupconv.reps import (
    character_table,
    irrep,
    irreps,
    parse_representation,
    quotient,
    regular,
    restrict,
    so3_character,
    trivial,
)

GROUPS = [Octahedral(), FullOctahedral(), Icosahedral(), FullIcosahedral()]

# decompositions of the SO(3) irreps l = 0..6 (Altmann & Herzig, "Point-group theory tables", 1994)
LITERATURE = {
    "O": [
        ["A1"],
        ["T1"],
        ["E", "T2"],
        ["A2", "T1", "T2"],
        ["A1", "E", "T1", "T2"],
        ["E", "T1", "T1", "T2"],
        ["A1", "A2", "E", "T1", "T2", "T2"],
    ],
    "I": [["A"], ["T1"], ["H"], ["T2", "G"], ["G", "H"], ["T1", "T2", "H"], ["A", "T1", "G", "H"]],
}


@pytest.mark.parametrize(
    "group, names, dims",
    [
        (Octahedral(), ["A1", "A2", "E", "T1", "T2"], [1, 1, 2, 3, 3]),
        (Icosahedral(), ["A", "T1", "T2", "G", "H"], [1, 3, 3, 4, 5]),
    ],
    ids=str,
)
def test_irreps_ids_names_and_dimensions(group, names, dims):
    irs = irreps(group)
    assert [ir.name for ir in irs] == names and [ir.dim for ir in irs] == dims
    assert [ir.id for ir in irs] == list(range(5))
    assert all(ir.type == "R" and ir.degree == 0 for ir in irs)
    assert sum(d * d for d in dims) == group.order
    assert irs[0].is_trivial() and not any(ir.is_trivial() for ir in irs[1:])
    full = FullOctahedral() if group == Octahedral() else FullIcosahedral()
    firs = irreps(full)
    assert [ir.id for ir in firs] == [(j, p) for j in range(5) for p in (0, 1)]
    assert [ir.name for ir in firs] == [n + s for n in names for s in ("g", "u")]
    assert sum(ir.dim**2 for ir in firs) == full.order


def test_vector_irreps_are_exactly_the_action_matrices():
    assert np.array_equal(irrep(Octahedral(), 3).table, Octahedral().matrices_np)
    assert np.array_equal(irrep(FullOctahedral(), 3, 1).table, FullOctahedral().matrices_np)
    assert np.array_equal(irrep(Icosahedral(), 1).table, Icosahedral().matrices_np)
    assert np.array_equal(irrep(FullIcosahedral(), 1, 1).table, FullIcosahedral().matrices_np)
    assert irrep(FullOctahedral(), 3, 1).exact(30) == FullOctahedral().exact_matrix(30)


@pytest.mark.parametrize("group", [Octahedral(), Icosahedral()], ids=str)
def test_exact_irreps_are_homomorphisms_on_generators(group):
    table = group.cayley_table_np
    for ir in irreps(group)[1:]:
        exact = [ir.exact(h) for h in range(group.order)]
        for g in group.generators():
            for h in range(group.order):
                diff = (exact[g] * exact[h] - exact[int(table[g, h])]).applyfunc(sympy.expand)
                assert diff.is_zero_matrix, (ir.name, g, h)
        # exactly orthogonal
        for h in range(0, group.order, 7):
            assert (exact[h] * exact[h].T).applyfunc(sympy.expand) == sympy.eye(ir.dim)


@pytest.mark.parametrize("group", [FullOctahedral(), FullIcosahedral()], ids=str)
def test_full_group_irreps_are_exact_homomorphisms(group):
    # the rotation part is checked on the rotation group; here the inversion (central) and the rotation
    # generators between elements of both parities
    table = group.cayley_table_np
    n = group.order // 2
    for ir in irreps(group):
        j, p = ir.id
        assert ir.exact(n) == (-1) ** p * sympy.eye(ir.dim)
        for g in group.generators():
            for h in range(n - 3, group.order, 11):
                diff = (ir.exact(g) * ir.exact(h) - ir.exact(int(table[g, h]))).applyfunc(sympy.expand)
                assert diff.is_zero_matrix, (ir.name, g, h)


@pytest.mark.parametrize("group", GROUPS, ids=str)
def test_tables_are_homomorphisms_and_match_the_exact_matrices(group):
    table = group.cayley_table_np
    for ir in irreps(group):
        t = ir.table
        assert t.shape == (group.order, ir.dim, ir.dim) and t.dtype == np.float64
        # all |G|^2 products
        assert np.allclose(t[:, None] @ t[None, :], t[table], atol=1e-12)
        assert np.allclose(t @ t.transpose(0, 2, 1), np.eye(ir.dim), atol=1e-12)
        for g in range(0, group.order, 5):
            exact = np.array(ir.exact(g).evalf(30).tolist(), dtype=np.float64)
            assert np.allclose(exact, t[g], atol=1e-14), (ir.name, g)
        assert torch.allclose(ir(torch.arange(group.order)), torch.as_tensor(t))


@pytest.mark.parametrize("group", GROUPS, ids=str)
def test_character_orthogonality(group):
    ct = character_table(group, exact=False)
    chi = ct.values
    sizes = np.array(ct.sizes)
    k = len(sizes)
    assert chi.shape == (k, k)  # as many irreps as classes
    # rows: (1/|G|) sum_c |c| chi_a chi_b = delta_ab
    assert np.allclose((chi * sizes) @ chi.T / group.order, np.eye(k), atol=1e-12)
    # columns: sum_a chi_a(c) chi_a(c') = |G| / |c| delta
    assert np.allclose(chi.T @ chi, np.diag(group.order / sizes), atol=1e-10)


def test_character_tables_are_labelled_and_exact():
    ct = character_table(Icosahedral())
    assert ct.labels == ("E", "C2 (180 deg)", "C3 (120 deg)", "C5 (72 deg)", "C5^2 (144 deg)")
    assert ct.sizes == (1, 15, 20, 12, 12)
    golden = (1 + sympy.sqrt(5)) / 2
    assert sympy.simplify(ct.exact[1][3] - golden) == 0 and sympy.simplify(ct.exact[2][3] - (1 - golden)) == 0
    for group in (FullOctahedral(), FullIcosahedral()):
        full = character_table(group)
        # exact characters are reduced to integers or a + b sqrt(5) (a longer form would print numerically)
        assert all(len(str(x)) <= 16 for row in full.exact for x in row)
        assert np.allclose(np.array(full.exact, dtype=np.float64), full.values, atol=1e-14)
    text = str(character_table(FullOctahedral()))
    assert "T1u" in text and "sigma_d (x6)" in text and "S6 (x8)" in text
    assert "rotoreflection" in character_table(Octahedral()).legend()


def _multiplicities(group, chi_rho: np.ndarray) -> dict[str, int]:
    ct = character_table(group, exact=False)
    m = (ct.values * np.array(ct.sizes)) @ chi_rho / group.order
    assert np.allclose(m, np.round(m), atol=1e-9)
    return {ir.name: int(round(x)) for ir, x in zip(ct.irreps, m) if round(x)}


def _counts(names) -> dict[str, int]:
    names = list(names)
    return {n: names.count(n) for n in set(names)}


@pytest.mark.parametrize("group", [Octahedral(), Icosahedral()], ids=str)
def test_restriction_of_so3_irreps_matches_characters_and_literature(group):
    reps = group.conjugacy_classes
    matrices = group.action_matrix(torch.tensor([int(c[0]) for c in reps]))
    angles = SO3.rotation_angle(matrices)
    for l in range(7):
        from_characters = _multiplicities(group, so3_character(l, angles).numpy())
        found = restrict(irrep(SO3(), l), group)
        assert _counts(ir.name for ir in found.irreps) == from_characters, l
        assert from_characters == _counts(LITERATURE[group.name][l]), l
        # the decomposition is a change of basis of the restricted Wigner matrices
        g = group.elements()
        assert torch.allclose(found(g), irrep(SO3(), l)(group.action_matrix(g)), atol=1e-10)


@pytest.mark.parametrize("group", [FullOctahedral(), FullIcosahedral()], ids=str)
def test_restriction_of_o3_irreps_to_the_full_groups(group):
    rot = group.rotation_group()
    reps = group.conjugacy_classes
    elements = torch.tensor([int(c[0]) for c in reps])
    R, s = O3.split(group.action_matrix(elements))
    angles = SO3.rotation_angle(R)
    for l in range(7):
        for p in (1, -1):
            chi = so3_character(l, angles).numpy() * np.where(s.numpy() == 1, p, 1)
            from_characters = _multiplicities(group, chi)
            found = restrict(irrep(O3(), l, p), group)
            assert _counts(ir.name for ir in found.irreps) == from_characters, (l, p)
            suffix = "g" if p == 1 else "u"
            assert from_characters == _counts(n + suffix for n in LITERATURE[rot.name][l]), (l, p)


@pytest.mark.parametrize("group", GROUPS, ids=str)
def test_regular_trivial_and_quotient(group):
    rho = regular(group)
    counts = _counts(ir.name for ir in rho.irreps)
    assert counts == {ir.name: ir.dim for ir in irreps(group)}
    g = group.elements()
    assert torch.allclose(
        rho(g) @ rho(g[5]).expand(group.order, -1, -1), rho(group.compose(g, g[5])), atol=1e-12
    )
    assert trivial(group).irreps[0].is_trivial()


def test_quotients_of_the_full_groups():
    q = quotient(FullOctahedral(), Octahedral())
    assert [ir.name for ir in q.irreps] == ["A1g", "A1u"]
    q = quotient(FullIcosahedral(), Icosahedral())
    assert [ir.name for ir in q.irreps] == ["Ag", "Au"]


def test_printing_parsing_and_pickling():
    Oh = FullOctahedral()
    rho = irrep(Oh, 3, 1) + regular(Oh) + irrep(Oh, 2, 0)
    assert repr(rho) == "Oh[T1u + regular + Eg]"
    assert parse_representation(repr(rho)) == rho
    ir = pickle.loads(pickle.dumps(irrep(Icosahedral(), 3)))
    assert ir == irrep(Icosahedral(), 3) and ir.name == "G"
    assert ir.exact(12) == irrep(Icosahedral(), 3).exact(12)


def test_cli_prints_the_character_table(capsys):
    from groupconv.cli import main

    assert main(["irreps", "O"]) == 0
    out = capsys.readouterr().out
    assert "C4 (90 deg) (x6)" in out and "T2" in out and "sum of d^2/e = 24" in out


def test_octahedral_float_tables_equal_the_exact_irreps():
    from groupconv.reps import polyhedral as module

    exact = module._rotation_irreps_exact("O")
    for table, mats in zip(module._octahedral_tables_np(), exact):
        rounded = np.array([np.array(m.tolist(), dtype=np.float64) for m in mats])
        assert table.shape == rounded.shape and np.abs(table - rounded).max() <= 4.5e-16


def test_a_layer_on_the_cube_group_builds_without_sympy():
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from groupconv.groups import FullOctahedral\n"
        "from groupconv.nn import FieldType, GroupConv3d\n"
        "from groupconv.reps import regular\n"
        "G = FullOctahedral()\n"
        "t = FieldType(G, [regular(G)])\n"
        "GroupConv3d(t, t, 3, padding=1, basis='gaussian')\n"
        "print('sympy' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"
