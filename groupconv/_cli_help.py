"""The help texts of the ``groupconv`` command: what each subcommand does, and what each reproduction
reproduces and how long it runs.

Kept apart from :mod:`groupconv.cli` so that the parser reads as a list of options. Nothing here imports
torch: ``groupconv --help`` answers at once.
"""

from __future__ import annotations

import textwrap

IRREPS = (
    "Print the irreducible representations of a group. For a finite group: its character table, with the "
    "conjugacy classes labelled (cycle types for S_n, rotations r^k and reflections r^k f for C_n and D_n) "
    "and their sizes, exact character values up to order 60, the type of each irrep (R real, C complex, "
    "H quaternionic) and the check sum of d^2/e = |G|. For a continuous group (SO2, O2, SO3, O3): its "
    "irreps up to --max-degree as a table."
)

DEMO = (
    "Without --group: build a D4-equivariant network, a roto-translation scattering network and a Parseval "
    "translation scattering network, and verify them layer by layer on a real image (the camera picture, "
    "32 x 32): equivariance, energy and exact certificates. Takes a few seconds. With --group: a tour of "
    "that group's irreps and, for a finite group, its regular representation."
)

VERIFY = (
    "Check a model layer by layer: equivariance under the group (exact on grid elements, calibrated on "
    "interpolated ones), the energy of each layer against its frame bounds, and exact certificates of the "
    "layers that have one. The exit status is 0 when every check passed and 1 when one failed. This imports "
    "the module or runs the file and calls FACTORY: use it only on code you trust."
)

DTYPE = (
    "floating-point type of the checks, float64 (the default: errors near 1e-15 show exact equivariance), "
    "float32, float16 or bfloat16; the default tolerances follow it"
)

TOLERANCE = "exact-tier {tol}; default by dtype (groupconv.verify.default_tolerances)"

UNTYPED = "a layer without a type: a 'not checked' row and a warning (default), or a failure"

DEVICE_VERIFY = "where the model and the checks run: cpu (default), cuda or cuda:N"

DEVICE_REPRODUCE = "where the training runs: cpu (default), cuda or cuda:N"

# what each built-in reproduction shows, with its running time: the smoke run measured here, on a shared
# 2-core CPU, the command's start (about 2 s) included; the full run as its page in docs/ reports it
REPRODUCTIONS = {
    "backprop": (
        "Nie, Zhang & Patel (ICML 2018): guided backprop and DeconvNet maps resemble the input image, "
        "also for random weights, while saliency maps do not (correlations with the image)",
        "about 8 s",
        "about 6 min of CPU time",
    ),
    "cbn": (
        "Wen & Jacot (ICML 2024): deep CNNs trained with weight decay keep only the frequencies the task "
        "needs in their middle layers (the convolutional bottleneck)",
        "about 7 s",
        "about 6 min of CPU time",
    ),
    "dcfnet": (
        "Qiu et al. (ICML 2018): CNNs with filters on K Fourier-Bessel functions against a plain CNN: "
        "accuracy, filter parameters and accuracy on deformed digits",
        "about 25 s",
        "about 4 min on an idle CPU",
    ),
    "linear-regions": (
        "Serra et al. (ICML 2018): upper and lower bounds on the number of linear regions of small ReLU "
        "networks against exact counts",
        "about 3 s",
        "about 12 min",
    ),
    "phase-collapse": (
        "Guth, Zarka & Mallat (ICLR 2022): a phase collapse (the modulus) beats amplitude reductions that "
        "keep the phase, in a network of fixed complex wavelets",
        "about 6 s",
        "about 4 min on an idle CPU",
    ),
    "tetris": (
        "Thomas et al. (2018): 3D Tetris shapes shown in one orientation and tested in all of them, by "
        "an O-equivariant, an SO(3)-steerable and a plain 3D CNN of equal size",
        "about 13 s",
        "about 9 min",
    ),
}

SMOKE_BANNER = (
    "SMOKE TEST: a small, fast run that checks that the {name} pipeline works; its numbers are not results. "
    "Run without --smoke for the reproduction (docs/reproduce_{page}.md)."
)


def reproduce_description(names: list[str], width: int = 100) -> str:
    r"""The description of ``groupconv reproduce``: one paragraph per reproduction in ``names``, with what
    it reproduces and the running time of its smoke and full runs (unknown for registered ones).

    >>> print(reproduce_description(["cbn"], width=60).split("\n\n")[1])
    cbn: Wen & Jacot (ICML 2024): deep CNNs trained with weight
      decay keep only the frequencies the task needs in their
      middle layers (the convolutional bottleneck). Smoke run
      about 7 s; full run about 6 min of CPU time.
    """
    parts = [
        "Reproduce a published result: train the networks, print the tables and write results.md, "
        "results.json and the figures to --out. The reproductions:"
    ]
    for name in names:
        what, smoke, full = REPRODUCTIONS.get(name, ("a registered reproduction", "unknown", "unknown"))
        parts.append(f"{name}: {what}. Smoke run {smoke}; full run {full}.")
    intro = textwrap.fill(parts[0], width)
    return "\n\n".join([intro] + [textwrap.fill(p, width, subsequent_indent="  ") for p in parts[1:]])


def smoke_banner(name: str) -> str:
    """The line a ``--smoke`` run prints above its tables.

    >>> smoke_banner("cbn").startswith("SMOKE TEST")
    True
    """
    return SMOKE_BANNER.format(name=name, page=name.replace("-", "_"))
