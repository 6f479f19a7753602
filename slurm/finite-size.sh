#!/bin/bash
# Submits a finite-size-scaling campaign: one job array per system size, each with the ranks, memory
# and array size that pinch campaign submit derives from N (look first with --dry-run). Run on a
# login node from the repository, e.g.
#   slurm/finite-size.sh examples/finite-size.toml --time 24:00:00 --sbatch=--partition=compute
# Follow it with `pinch campaign status <campaign directory>`; when it is done, `pinch analyze` and
# `pinch plot` draw the finite-size figure. Submitting again later resumes what is unfinished.
set -euo pipefail
DESCRIPTION=${1:-examples/finite-size.toml}
shift || true
PINCH=${PINCH:-pinch}
# 50,000 particles per rank: N = 2,000 ... 16,000 run one chain per rank (sparse Cholesky), N = 10^6
# on 20 ranks (multigrid). Four samples per array task keeps the large-N tasks within a day.
exec "$PINCH" campaign submit "$DESCRIPTION" --particles-per-rank 50000 --samples-per-task 4 "$@"
