"""The polyhedral groups O, Oh, I, Ih: group axioms, the documented element orders and orientation, exact
matrices, conjugacy classes and their labels, the action on voxel grids, names and inclusions."""

from __future__ import annotations

import itertools
import pickle

import numpy as np
import pytest
import sympy
import torch

from groupconv.groups import (
    O3,
    SO3,
    Cyclic,
    Dihedral,
    FullIcosahedral,
    FullOctahedral,
    Icosahedral,
    Octahedral,
    grid_permutation,
    group_from_name,
    inclusion,
    transform_grid,
)

GROUPS = [Octahedral(), FullOctahedral(), Icosahedral(), FullIcosahedral()]
PHI = (1 + sympy.sqrt(5)) / 2


@pytest.mark.parametrize("group", GROUPS, ids=str)
def test_group_axioms_on_the_cayley_table(group):
    table = group.cayley_table_np
    n = group.order
    assert table.shape == (n, n)
    e = np.arange(n)
    # identity first, every row and column a permutation (Latin square)
    assert np.array_equal(table[0], e) and np.array_equal(table[:, 0], e)
    assert all(np.array_equal(np.sort(table[i]), e) and np.array_equal(np.sort(table[:, i]), e) for i in e)
    # associativity on all triples
    left = table[table[:, :, None], e[None, None, :]]
    right = table[e[:, None, None], table[None, :, :]]
    assert np.array_equal(left, right)
    inv = group.inverse_table_np
    assert np.array_equal(table[e, inv], np.zeros(n)) and np.array_equal(table[inv, e], np.zeros(n))
    # the table is the product of the matrices, and compose_indices agrees with it
    assert np.array_equal(group.compose_indices(e[:, None], e[None, :]), table)
    m = group.matrices_np
    assert np.allclose(m[:, None] @ m[None, :], m[table], atol=1e-12)


@pytest.mark.parametrize(
    "group, order, sizes",
    [
        (Octahedral(), 24, [1, 3, 6, 6, 8]),
        (FullOctahedral(), 48, [1, 1, 3, 3, 6, 6, 6, 6, 8, 8]),
        (Icosahedral(), 60, [1, 12, 12, 15, 20]),
        (FullIcosahedral(), 120, [1, 1, 12, 12, 12, 12, 15, 15, 20, 20]),
    ],
    ids=str,
)
def test_orders_and_conjugacy_classes(group, order, sizes):
    assert group.order == order and len(group.elements()) == order
    assert sorted(len(c) for c in group.conjugacy_classes) == sizes
    assert np.allclose(group.matrices_np[0], np.eye(3))
    # distinct orthogonal matrices, determinant +1 for rotations and -1 for the rest
    m = group.matrices_np
    assert len(np.unique(m.round(9).reshape(order, 9), axis=0)) == order
    assert np.allclose(m @ m.transpose(0, 2, 1), np.eye(3), atol=1e-12)
    det = np.linalg.det(m)
    parity = group.parity(group.elements()).numpy()
    assert np.allclose(det, 1 - 2 * parity)


def test_octahedral_element_order_is_the_documented_formula():
    O = Octahedral()
    perms = list(itertools.permutations(range(3)))
    for g in range(24):
        p, bx, by = g // 4, (g // 2) % 2, g % 2
        m = np.array(O.exact_matrix(g).tolist(), dtype=np.int64)
        for i, b in enumerate((bx, by)):
            col = np.zeros(3, dtype=np.int64)
            col[perms[p][i]] = (-1) ** b
            assert np.array_equal(m[:, i], col), g
        assert round(np.linalg.det(m)) == 1
    assert O.exact_matrix(1) == sympy.diag(1, -1, -1)
    assert O.exact_matrix(3) == sympy.diag(-1, -1, 1)
    assert O.exact_matrix(12) * sympy.Matrix([1, 0, 0]) == sympy.Matrix([0, 1, 0])


def test_icosahedral_orientation_and_element_order():
    I = Icosahedral()
    O = Octahedral()
    vertices = [
        sympy.Matrix(v)
        for a, b in itertools.product((1, -1), repeat=2)
        for v in ([0, a, b * PHI], [a, b * PHI, 0], [b * PHI, 0, a])
    ]
    key = {tuple(sympy.expand(x) for x in v) for v in vertices}
    r = I.exact_matrix(12)
    # R is the counter-clockwise turn by 72 degrees about (0, 1, phi): it fixes the axis and has trace
    # 1 + 2 cos 72 = phi
    assert (r * sympy.Matrix([0, 1, PHI]) - sympy.Matrix([0, 1, PHI])).applyfunc(sympy.expand) == sympy.zeros(
        3, 1
    )
    assert sympy.simplify(r.trace() - PHI) == 0
    assert sympy.simplify((r**5).applyfunc(sympy.expand) - sympy.eye(3)) == sympy.zeros(3)
    # counter-clockwise: (n x w) . R w > 0 for w orthogonal to the axis n
    w = sympy.Matrix([1, 0, 0])
    assert float((sympy.Matrix([0, 1, PHI]).cross(w)).dot(r * w)) > 0
    even = [O.exact_matrix(4 * p + b) for p in (0, 3, 4) for b in range(4)]
    cyclic = sympy.Matrix([[0, 0, 1], [1, 0, 0], [0, 1, 0]])
    for g in range(60):
        k, t = divmod(g, 12)
        m = I.exact_matrix(g)
        c, b = divmod(t, 4)
        assert m == (cyclic**c * O.exact_matrix(b) * r**k).applyfunc(sympy.expand), g
        if k == 0:  # T: the rotations of O that permute the axes cyclically
            assert m in even
        # every element maps the vertex set of the icosahedron onto itself
        images = {tuple(sympy.expand(x) for x in m * v) for v in vertices}
        assert images == key, g
    # the coordinate axes are 2-fold axes
    for d in (sympy.diag(1, -1, -1), sympy.diag(-1, 1, -1), sympy.diag(-1, -1, 1)):
        assert d in [I.exact_matrix(g) for g in range(12)]


@pytest.mark.parametrize("group", GROUPS, ids=str)
def test_exact_matrices_multiply_as_the_table_says(group):
    table = group.cayley_table_np
    for g in group.generators():
        mg = group.exact_matrix(g)
        for h in range(group.order):
            prod = (mg * group.exact_matrix(h)).applyfunc(sympy.expand)
            assert prod == group.exact_matrix(int(table[g, h])), (g, h)
    for g in range(group.order):
        m = group.exact_matrix(g)
        assert (m * m.T).applyfunc(sympy.expand) == sympy.eye(3)
    # the generators generate the group
    reached = {0}
    frontier = [0]
    while frontier:
        frontier = [
            int(table[x, s]) for x in frontier for s in group.generators() if table[x, s] not in reached
        ]
        reached.update(frontier)
    assert reached == set(range(group.order))


def test_icosahedral_entries_lie_in_q_sqrt5():
    I = FullIcosahedral()
    for g in range(I.order):
        for x in I.exact_matrix(g):
            x = sympy.expand(x)
            b = x.coeff(sympy.sqrt(5))
            assert b.is_rational and sympy.expand(x - b * sympy.sqrt(5)).is_rational, (g, x)


@pytest.mark.parametrize("group", GROUPS, ids=str)
def test_class_labels_are_class_functions(group):
    labels = [group.class_label(g) for g in range(group.order)]
    per_class = [{labels[g] for g in c} for c in group.conjugacy_classes]
    assert all(len(s) == 1 for s in per_class)
    assert len({next(iter(s)) for s in per_class}) == len(per_class)
    assert group.class_label(0) == "E"


def test_class_labels_name_the_rotation_angles():
    O, I, Ih = Octahedral(), Icosahedral(), FullIcosahedral()
    assert O.class_label(9) == "C4 (90 deg)" and O.class_label(3) == "C4^2 (180 deg)"
    assert O.class_label(12) == "C3 (120 deg)" and O.class_label(8) == "C2' (180 deg)"
    assert I.class_label(12) == "C5 (72 deg)" and I.class_label(24) == "C5^2 (144 deg)"
    assert I.class_label(4) == "C3 (120 deg)" and I.class_label(1) == "C2 (180 deg)"
    assert Ih.class_label(60) == "i" and Ih.class_label(61) == "sigma" and Ih.class_label(64) == "S6"


@pytest.mark.parametrize("group", [Octahedral(), FullOctahedral()], ids=str)
@pytest.mark.parametrize("size", [3, 4])
def test_voxel_permutations_agree_with_the_action_matrices(group, size):
    assert group.grid_dims == 3
    c = (size - 1) / 2
    k, i, j = 0, 1, size - 1  # a voxel off every symmetry plane and axis
    point = np.array([j - c, c - i, c - k])  # (x, y, z) of voxel (k, i, j)
    vol = torch.zeros(2, size, size, size, dtype=torch.float64)
    vol[:, k, i, j] = 1.0
    for g in range(group.order):
        out = transform_grid(vol, group, g)
        x, y, z = group.action_matrix(torch.tensor(g)).numpy() @ point
        target = (round(c - z), round(c - y), round(x + c))
        assert out[(0,) + target] == 1.0 and out.sum() == 2.0, g
        assert torch.equal(out[1], out[0])


def test_voxel_action_is_a_left_action_and_matches_rot90():
    O = Octahedral()
    vol = torch.randn(5, 5, 5, dtype=torch.float64)
    table = O.cayley_table_np
    for a, b in [(9, 12), (12, 1), (5, 17)]:
        ab = int(table[a, b])
        assert torch.equal(transform_grid(transform_grid(vol, O, b), O, a), transform_grid(vol, O, ab))
    # the turn by 90 degrees about z rotates every depth slice as rot90 does an image
    assert torch.equal(transform_grid(vol, O, 9), torch.rot90(vol, 1, dims=(-2, -1)))


def test_non_cubic_volumes_take_the_elements_that_keep_the_axes():
    O = Octahedral()
    vol = torch.randn(2, 3, 4)
    for g in range(4):  # the diagonal elements keep every axis
        perm = grid_permutation(O, g, 2, 3, 4)
        assert sorted(perm.tolist()) == list(range(24))
    with pytest.raises(ValueError, match="exchanges grid axes of different sizes, got 2 x 3 x 4"):
        transform_grid(vol, O, 9)


def test_icosahedral_groups_do_not_permute_grids():
    for group in (Icosahedral(), FullIcosahedral()):
        assert group.grid_dims is None
        with pytest.raises(ValueError, match=r"only O, Oh act on a voxel grid"):
            transform_grid(torch.zeros(3, 3, 3), group, 1, spatial_dims=3)


def test_names_round_trip_and_orthogonal_groups_keep_their_names():
    for group in GROUPS:
        assert group_from_name(group.name) == group
        assert group == type(group)() and hash(group) == hash(type(group)())
    assert group_from_name("O2").name == "O2" and group_from_name("O3") == O3()
    assert group_from_name("SO3") == SO3()
    assert group_from_name("OxC2").order == 48
    assert group_from_name("(Ih)xC2").order == 240
    assert Octahedral() != FullOctahedral() and Icosahedral() != Octahedral()
    with pytest.raises(ValueError, match="cannot parse group name 'O4' at position 0"):
        group_from_name("O4")


def test_pickle_round_trip():
    for group in GROUPS:
        g2 = pickle.loads(pickle.dumps(group))
        assert g2 == group and np.array_equal(g2.cayley_table_np, group.cayley_table_np)


def test_parity_rotation_part_and_index_of():
    Oh = FullOctahedral()
    g = Oh.elements()
    assert torch.equal(Oh.parity(g), (g >= 24).long())
    assert torch.equal(Oh.rotation_part(g), g % 24)
    m = Oh.action_matrix(g)
    assert torch.equal(m[24:], -m[:24])
    assert torch.equal(Oh.index_of(m), g)
    assert torch.equal(
        Icosahedral().index_of(Icosahedral().action_matrix(torch.arange(60))), torch.arange(60)
    )
    assert Oh.action_matrix(torch.tensor([[1, 2]]), dtype=torch.float32).shape == (1, 2, 3, 3)
    assert Oh.rotation_group() == Octahedral() and FullIcosahedral().rotation_group() == Icosahedral()


def _assert_homomorphism(H, G):
    iota = inclusion(H, G)
    h = H.elements()
    images = iota(h)
    lhs = iota(H.compose(h[:, None], h[None, :]))
    rhs = G.compose(images[:, None], images[None, :])
    assert G.equal(lhs, rhs).all(), (H, G)
    if G.is_finite:
        assert len(set(images.tolist())) == H.order, (H, G)  # injective
    return images


@pytest.mark.parametrize("group", GROUPS, ids=str)
def test_cyclic_and_dihedral_subgroups(group):
    orders = (1, 2, 3, 4) if group.order % 24 == 0 and group.grid_dims else (1, 2, 3, 5)
    for n in orders:
        for H in (Cyclic(n), Dihedral(n)):
            images = _assert_homomorphism(H, group)
            # subgroups consist of rotations
            assert (group.parity(images) == 0).all()
    # about the z axis they agree with the inclusion into SO(3)
    for H in (Cyclic(2), Dihedral(2), Dihedral(1)) + ((Cyclic(4), Dihedral(4)) if group.grid_dims else ()):
        through = group.action_matrix(inclusion(H, group)(H.elements()))
        assert torch.allclose(through, inclusion(H, SO3())(H.elements()), atol=1e-12), H
    with pytest.raises(ValueError, match="C6 is not a known subgroup"):
        inclusion(Cyclic(6), group)


def test_three_and_five_fold_subgroups_turn_about_their_axes():
    I, O = Icosahedral(), Octahedral()
    r3 = O.action_matrix(inclusion(Cyclic(3), O)(torch.tensor(1))).numpy()
    assert np.allclose(r3 @ np.ones(3), np.ones(3)) and np.isclose(np.trace(r3), 0.0)
    r5 = I.action_matrix(inclusion(Cyclic(5), I)(torch.tensor(1))).numpy()
    axis = np.array([0.0, 1.0, float(PHI)])
    assert np.allclose(r5 @ axis, axis) and np.isclose(np.trace(r5), 1 + 2 * np.cos(2 * np.pi / 5))
    assert int(inclusion(Cyclic(5), I)(torch.tensor(1))) == 12
    assert int(inclusion(Dihedral(5), I)(torch.tensor(5))) == 1  # the half-turn about x


def test_inclusions_into_the_orthogonal_and_full_groups():
    pairs = [
        (Octahedral(), SO3()),
        (Octahedral(), O3()),
        (FullOctahedral(), O3()),
        (Icosahedral(), SO3()),
        (FullIcosahedral(), O3()),
        (Octahedral(), FullOctahedral()),
        (Icosahedral(), FullIcosahedral()),
    ]
    for H, G in pairs:
        images = _assert_homomorphism(H, G)
        if G.is_finite:
            assert torch.equal(images, H.elements())
        else:
            assert torch.equal(images, H.action_matrix(H.elements()))
    for H, G in [(FullOctahedral(), SO3()), (Icosahedral(), FullOctahedral()), (Octahedral(), Icosahedral())]:
        with pytest.raises(ValueError, match=f"{H} is not a known subgroup of {G}"):
            inclusion(H, G)


@pytest.mark.cuda
def test_cuda_matches_cpu():
    from groupconv.reps import irrep

    dev = torch.device("cuda")
    for group in GROUPS:
        g = torch.arange(group.order)
        h = g.flip(0)
        assert torch.equal(group.compose(g.to(dev), h.to(dev)).cpu(), group.compose(g, h))
        m = group.action_matrix(g.to(dev), dtype=torch.float32)
        assert m.device.type == "cuda" and torch.equal(m.cpu(), group.action_matrix(g, dtype=torch.float32))
        assert torch.equal(group.parity(g.to(dev)).cpu(), group.parity(g))
        ir = irrep(group, 3, 1) if group.order in (48, 120) else irrep(group, 3)
        assert torch.equal(ir(g.to(dev)).cpu(), ir(g))
    vol = torch.randn(2, 4, 4, 4)
    for g in (9, 12, 30):
        out = transform_grid(vol.to(dev), FullOctahedral(), g)
        assert torch.equal(out.cpu(), transform_grid(vol, FullOctahedral(), g))


@pytest.mark.parametrize("rotations,full", [(24, False), (24, True), (60, False), (60, True)])
def test_float_matrices_are_the_rounded_exact_ones(rotations, full):
    # the float64 matrices are the rounded exact ones (built without sympy for the cube group)
    from groupconv.groups import polyhedral

    exact = polyhedral._exact_matrices(rotations, full)
    rounded = np.array([[[float(v) for v in row] for row in m.tolist()] for m in exact])
    assert np.array_equal(polyhedral._float_matrices(rotations, full), rounded)
