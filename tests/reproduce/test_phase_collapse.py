"""The ``phase-collapse`` reproduction (Guth, Zarka & Mallat, ICLR 2022): the smoke run, the data root,
and reading CIFAR-10 binary batches."""

from __future__ import annotations

import pytest
import torch
from _reproduce_helpers import check_accuracy_table

from groupconv.cli import main


@pytest.mark.parametrize("name", ["phase-collapse"])
def test_smoke_reproduction_writes_table(name, tmp_path):
    check_accuracy_table(tmp_path, name)


def test_phase_collapse_data_root_errors(tmp_path, monkeypatch):
    from groupconv.reproduce import Options
    from groupconv.reproduce.phase_collapse import DATA_ROOT_ENV, load_image_dataset, run

    with pytest.raises(ValueError, match="not a folder"):
        load_image_dataset(tmp_path / "missing")
    with pytest.raises(ValueError, match="neither CIFAR-10"):
        load_image_dataset(tmp_path)
    monkeypatch.setenv(DATA_ROOT_ENV, str(tmp_path / "missing"))
    with pytest.raises(ValueError, match="not a folder"):
        run(Options(smoke=False, out=tmp_path, quiet=True))


def test_phase_collapse_data_root_flag(tmp_path, capsys):

    argv = ["reproduce", "phase-collapse", "--data-root", str(tmp_path / "missing"), "--out", str(tmp_path)]
    assert main(argv) == 2
    assert "--data-root" in capsys.readouterr().err


def _cifar_records(labels, seed):
    """CIFAR-10 binary records: a label byte, then 3072 pixel bytes, per image."""
    import numpy as np

    pixels = np.random.default_rng(seed).integers(0, 256, (len(labels), 3072), dtype=np.uint8)
    return np.concatenate([np.array(labels, dtype=np.uint8)[:, None], pixels], 1), pixels


def test_phase_collapse_reads_cifar_binary_batches(tmp_path):
    import numpy as np

    from groupconv.reproduce.phase_collapse import load_image_dataset

    folder = tmp_path / "cifar-10-batches-bin"
    folder.mkdir()
    train1, p1 = _cifar_records([3, 9, 0], 1)
    train2, p2 = _cifar_records([1], 2)
    test, pt = _cifar_records([7, 2], 3)
    (folder / "data_batch_1.bin").write_bytes(train1.tobytes())
    (folder / "data_batch_2.bin").write_bytes(train2.tobytes())
    (folder / "test_batch.bin").write_bytes(test.tobytes())
    names = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
    (folder / "batches.meta.txt").write_text("\n".join(names) + "\n\n")
    (xtr, ytr, xte, yte), classes = load_image_dataset(tmp_path)
    assert classes == names
    assert xtr.shape == (4, 3, 32, 32) and xte.shape == (2, 3, 32, 32) and xtr.dtype == torch.float32
    assert ytr.tolist() == [3, 9, 0, 1] and yte.tolist() == [7, 2]
    # channel-major planes, row-major pixels: byte 1 + 32 r + c of a record is red at (r, c)
    expected = np.concatenate([p1, p2]).reshape(4, 3, 32, 32) / 255.0
    assert np.array_equal(xtr.numpy(), expected.astype(np.float32))
    assert float(xte[1, 2, 31, 31]) == np.float32(pt[1, 3071] / 255.0)


@pytest.mark.parametrize(
    "content, match",
    [(b"", "0 bytes"), (b"\x00" * 3074, "3074 bytes"), (bytes([10]) + b"\x00" * 3072, "label 10")],
)
def test_phase_collapse_rejects_malformed_cifar_batches(tmp_path, content, match):
    from groupconv.reproduce.phase_collapse import read_cifar_batch

    (tmp_path / "b.bin").write_bytes(content)
    with pytest.raises(ValueError, match=match):
        read_cifar_batch(tmp_path / "b.bin")
