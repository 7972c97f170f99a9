#!/usr/bin/env bash
# Full versions of every reproduction; results under results/NAME (pass extra options, e.g. --device cuda).
# Multi-process training: prefix with `torchrun --nproc_per_node N -m` instead of `python -m`.
set -euo pipefail
for name in linear-regions backprop cbn; do
    python -m groupconv.cli reproduce "$name" --out "results/$name" "$@"
done
