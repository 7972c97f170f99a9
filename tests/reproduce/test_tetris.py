"""The ``tetris`` reproduction: the polycubes and their voxelization, the three networks and their
parameter counts, and the smoke run through examples/tetris3d.py."""

from __future__ import annotations

import importlib.util
import json
import math
from pathlib import Path

import pytest
import torch

from groupconv.groups import SO3
from groupconv.nn import FieldType, rotate_field
from groupconv.reproduce import available
from groupconv.reproduce.tetris import (
    SHAPES,
    count_parameters,
    cube_rotations,
    matching_widths,
    o_network,
    plain_network,
    polycubes,
    random_rotations,
    so3_network,
    voxelize,
)
from groupconv.reps import trivial

ROOT = Path(__file__).resolve().parents[2]


def _render_all(rotations: torch.Tensor, size: int = 9) -> torch.Tensor:
    """Every shape under every rotation, float64, ``(8, n_rot, size^3)``."""
    n = rotations.shape[0]
    pts = polycubes().repeat_interleave(n, 0)
    v = voxelize(pts, size, rotations=rotations.repeat(len(SHAPES), 1, 1), dtype=torch.float64)
    return v.reshape(len(SHAPES), n, -1)


def test_the_eight_polycubes():
    p = polycubes()
    assert p.shape == (8, 4, 3) and p.dtype == torch.float64
    torch.testing.assert_close(p.mean(1), torch.zeros(8, 3, dtype=torch.float64))
    # four distinct unit cubes, each touching another by a face
    for shape in torch.tensor(list(SHAPES.values())):
        d = (shape[:, None] - shape[None]).abs().sum(-1)
        assert len({tuple(c.tolist()) for c in shape}) == 4 and bool(((d == 1).sum(1) >= 1).all())


def test_cube_rotations_render_as_voxel_permutations():
    """Rendering the rotated cube centres equals permuting the voxels of the unrotated volume."""
    rots = cube_rotations()
    assert rots.shape == (24, 3, 3)
    torch.testing.assert_close(torch.linalg.det(rots), torch.ones(24, dtype=torch.float64))
    x = voxelize(polycubes()[[0, 5]].repeat_interleave(24, 0), 9, dtype=torch.float64)
    rendered = voxelize(polycubes()[[0, 5]].repeat_interleave(24, 0), 9, rotations=rots.repeat(2, 1, 1))
    ftype = FieldType(SO3(), [trivial(SO3())])
    permuted = rotate_field(x, ftype, rots.repeat(2, 1, 1))
    torch.testing.assert_close(rendered.double(), permuted, atol=1e-6, rtol=0)
    assert not torch.allclose(rendered[1], rendered[0])


def test_classes_are_distinct_under_rotations_and_the_chiral_pair_is_a_mirror_pair():
    rots = cube_rotations()
    v = _render_all(rots)
    # no rotation of the cube maps one shape onto another (the task is well posed)
    dist = (v[:, None, :1] - v[None]).abs().amax(-1).amin(-1)  # shape a against every rotation of b
    off_diagonal = dist[~torch.eye(8, dtype=torch.bool)]
    assert float(off_diagonal.min()) > 0.1
    # the chiral pair: the mirror image of "chiral 1" is a rotation of "chiral 2"
    mirror = torch.diag(torch.tensor([-1.0, 1.0, 1.0], dtype=torch.float64))
    mirrored = voxelize((polycubes()[0] @ mirror)[None], 9, dtype=torch.float64).flatten()
    assert float((v[1] - mirrored).abs().amax(-1).min()) < 1e-12


def test_voxelize_rejects_bad_shapes():
    with pytest.raises(ValueError, match=r"points must have shape \(N, P, 3\), got \(4, 3\)"):
        voxelize(polycubes()[0])
    with pytest.raises(ValueError, match=r"rotations must have shape \(2, 3, 3\)"):
        voxelize(polycubes()[:2], rotations=torch.eye(3))
    with pytest.raises(ValueError, match=r"shifts must have shape \(2, 3\)"):
        voxelize(polycubes()[:2], shifts=torch.zeros(3))


def test_random_rotations_are_rotations_and_reproducible():
    r = random_rotations(5, 3)
    torch.testing.assert_close(r @ r.transpose(1, 2), torch.eye(3, dtype=torch.float64).expand(5, 3, 3))
    torch.testing.assert_close(torch.linalg.det(r), torch.ones(5, dtype=torch.float64))
    assert torch.equal(r, random_rotations(5, 3)) and not torch.equal(r, random_rotations(5, 4))


def test_networks_have_matching_parameter_counts_and_the_o_network_is_invariant():
    o_net = o_network((1, 2))
    target = count_parameters(o_net)
    widths = matching_widths(target)
    plain, so3 = plain_network(widths["plain"]), so3_network(widths["so3"])
    for other in (plain, so3):
        assert abs(count_parameters(other) - target) <= 0.1 * target
    x = voxelize(polycubes()[:2], 9, dtype=torch.float64)
    assert all(m.double()(x).shape == (2, 8) for m in (o_net, plain, so3))
    # the O network's logits are the same for the 24 rotated copies of a shape (voxel permutations)
    rotated = voxelize(polycubes()[:1].repeat(24, 1, 1), 9, rotations=cube_rotations(), dtype=torch.float64)
    logits = o_net.eval()(rotated)
    torch.testing.assert_close(logits, logits[:1].expand(24, 8), atol=1e-10, rtol=0)


def test_smoke_run_of_the_example_writes_both_tables(tmp_path):
    assert "tetris" in available()
    spec = importlib.util.spec_from_file_location("tetris3d", ROOT / "examples" / "tetris3d.py")
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    out = tmp_path / "tetris"
    result = example.main(["--smoke", "--out", str(out), "--quiet"])
    data = json.loads((out / "results.json").read_text())
    assert data["name"] == "tetris" and data["settings"]["smoke"] is True
    accuracy, checks = data["tables"].values()
    assert [r["model"] for r in accuracy] == ["O-equivariant", "SO(3)-steerable", "plain 3D CNN"]
    for row in accuracy:
        for key in (
            "acc training orientation (%)",
            "acc 24 cube rotations (%)",
            "acc random SO(3) rotations (%)",
        ):
            assert 0 <= row[key] <= 100 and not math.isnan(row[key])
    params = [r["parameters"] for r in accuracy]
    assert max(params) <= 1.1 * min(params)
    # every layer of both trained equivariant networks was checked in the exact tier, and passed
    assert {r["model"] for r in checks} == {"O-equivariant", "SO(3)-steerable"}
    assert all(r["passed"] is not False for r in checks)
    assert {r["tier"] for r in checks if r["model"] == "O-equivariant"} == {"exact"}
    assert [r["equivariance check"] for r in accuracy] == ["passed", "passed", "-"]
    assert "| ---" in (out / "results.md").read_text() and result.name == "tetris"
