"""Build time and peak memory of constructions over groups of order up to 1000, and the memory budget's
refusals.

Each case runs in a fresh process (one thread), so that its time includes every table it builds and its
peak resident memory (``ru_maxrss``, minus that of the same process after the imports) is its own. The
reference is the generic numerical decomposition of the dense matrices of the regular representation
(``decompose``, what ``regular`` did before it became a permutation table), timed in the same process as
the Peter-Weyl decomposition it is compared with.

Usage: ``python benchmarks/bench_large_groups.py`` (a markdown table on stdout).
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time


def _case(name: str) -> dict:
    import warnings

    import torch

    torch.set_num_threads(1)
    warnings.simplefilter("ignore")
    from groupconv import MemoryBudgetError
    from groupconv.groups import Cyclic, Dihedral, Symmetric
    from groupconv.nn import FieldType, GroupConv2d, HomogeneousFourierConv, LiftingConv2d, SteerableConv2d
    from groupconv.reps import decompose, regular

    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kind, _, arg = name.partition(":")
    groups = {"C": Cyclic, "D": Dihedral, "S": Symmetric}
    G = groups[arg[0]](int(arg[1:])) if arg else None

    def build():
        if kind == "regular":
            rep = regular(G)
            return rep.irreps, rep.change_of_basis
        if kind == "decompose":
            # the reference: the dense matrices of every element, decomposed numerically
            rep = regular(G)
            return decompose(G, rep._matrices, rep.dim)
        if kind == "lifting":
            return LiftingConv2d.from_channels(G, 1, 2, 3, padding=1)
        if kind == "groupconv2d":
            return GroupConv2d.from_channels(G, 1, 1, 3, padding=1)
        if kind == "fourier":
            return HomogeneousFourierConv(G, 2, 2)
        if kind == "steerable101":
            ft = FieldType(G, [regular(G)])
            return SteerableConv2d(ft, ft, 101)
        raise ValueError(f"unknown case {name!r}")

    t0 = time.perf_counter()
    try:
        build()
        outcome = "built"
    except MemoryBudgetError as e:
        outcome = f"refused, estimate {e.nbytes / 1024**3:.3g} GiB"
    seconds = time.perf_counter() - t0
    peak = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base) / 1024  # KiB -> MiB
    return {"case": name, "seconds": seconds, "peak_mib": peak, "outcome": outcome}


CASES = [
    "decompose:C100",
    "regular:C100",
    "decompose:C200",
    "regular:C200",
    "regular:C1000",
    "regular:D500",
    "lifting:C1000",
    "lifting:D500",
    "groupconv2d:C1000",
    "groupconv2d:D500",
    "fourier:C1000",
    "fourier:D500",
    "fourier:S7",
    "fourier:S9",
    "steerable101:C8",
]


def main() -> None:
    print("| case | outcome | seconds | peak MiB |")
    print("|---|---|---|---|")
    for name in CASES:
        out = subprocess.run(
            [sys.executable, __file__, "--case", name], capture_output=True, text=True, check=True
        ).stdout
        r = json.loads(out.strip().splitlines()[-1])
        print(f"| {r['case']} | {r['outcome']} | {r['seconds']:.3g} | {r['peak_mib']:.0f} |", flush=True)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--case":
        print(json.dumps(_case(sys.argv[2])))
    else:
        main()
