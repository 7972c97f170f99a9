"""The figures that the CBN and backprop reproductions draw themselves, from their smoke runs."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from groupconv.reproduce import Options, get


def _draw(name: str, files: dict[str, str], out: Path) -> list[Path]:
    """Run reproduction ``name`` in its smoke setting and draw the figures ``files`` (its file name ->
    the docs file name) as the reproduction itself draws them."""
    import matplotlib.pyplot as plt

    result = get(name)(Options(smoke=True, quiet=True, seed=0))
    paths = []
    with tempfile.TemporaryDirectory() as tmp:
        for src, dst in files.items():
            result.figures[src](Path(tmp) / src)
            plt.close("all")
            shutil.copyfile(Path(tmp) / src, out / dst)
            paths.append(out / dst)
    return paths


def cbn(out: Path, smoke: bool = False) -> list[Path]:
    """CBN rank spectra of the trained weights and activations (``groupconv reproduce cbn --smoke``)."""
    return _draw(
        "cbn",
        {
            "cbn_weight_ranks.png": "reproduce_cbn_weights.png",
            "cbn_activation_ranks.png": "reproduce_cbn_activations.png",
        },
        out,
    )


def backprop(out: Path, smoke: bool = False) -> list[Path]:
    """Backprop visualizations (``groupconv reproduce backprop --smoke``)."""
    return _draw("backprop", {"backprop_maps.png": "reproduce_backprop.png"}, out)
