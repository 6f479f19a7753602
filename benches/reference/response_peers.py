"""The peers of pinch's measurements, on the same inherent state: scipy.sparse.linalg.eigsh in
shift-invert mode and dense LAPACK eigh (numpy) for the lowest modes, and scipy.sparse.linalg.splu for the
nonaffine term of the shear modulus and for the dipole responses.

Usage: response_peers.py HESSIAN.h5 DIPOLES.h5 MODES DIPOLES [--dense]
  HESSIAN.h5  written by `pinch hessian` (the Hessian in particle-id order)
  DIPOLES.h5  written by `pinch dipoles` (the pairs to solve for)
Prints JSON with the time of each stage and the peak memory of this process.
"""
import json
import resource
import sys
import time

import h5py
import numpy as np
import scipy.sparse
import scipy.sparse.linalg

hessian_path, dipoles_path, modes, dipoles = sys.argv[1:5]
dense = "--dense" in sys.argv
modes, dipoles = int(modes), int(dipoles)
with h5py.File(hessian_path, "r") as f:
    data, indices, indptr = f["hessian/data"][:], f["hessian/indices"][:], f["hessian/indptr"][:]
    positions = f["particles/all/position"][:]
    box = float(f["particles/all/box/edges"][0])
with h5py.File(dipoles_path, "r") as f:
    pairs = f["dipoles/pairs"][:dipoles]
size = len(indptr) - 1
hessian = scipy.sparse.csr_matrix((data, indices, indptr), shape=(size, size))
result = {"n_particles": size // 3}


def timed(name, function):
    start = time.perf_counter()
    value = function()
    result[name] = time.perf_counter() - start
    return value


# Shift-invert Lanczos below zero: the three translations come out first, then the lowest modes.
scale = hessian.diagonal().mean()
values = timed("eigsh_seconds", lambda: scipy.sparse.linalg.eigsh(
    hessian.tocsc(), k=modes + 3, sigma=-1e-3 * scale, which="LM", return_eigenvectors=False))
result["eigsh_lowest"] = sorted(values)[3:6]
if dense:
    values = timed("dense_eigh_seconds", lambda: np.linalg.eigvalsh(hessian.toarray()))
    result["dense_lowest"] = sorted(values)[3:6]

# One particle pinned, as in pinch: splu of the rest, then the solves.
pinned = hessian[3:, 3:].tocsc()
factor = timed("splu_factor_seconds", lambda: scipy.sparse.linalg.splu(pinned))
start = time.perf_counter()
for a, b in pairs:
    vector = positions[b] - positions[a]
    vector -= box * np.round(vector / box)
    unit = vector / np.linalg.norm(vector)
    dipole = np.zeros(size)
    dipole[3 * a:3 * a + 3] = -unit
    dipole[3 * b:3 * b + 3] = unit
    response = np.concatenate([[0, 0, 0], factor.solve(dipole[3:])])
    response -= np.tile(response.reshape(-1, 3).mean(axis=0), size // 3)
    d_hinv_d, d_hinv2_d = dipole @ response, response @ response
result["splu_dipole_solves_seconds"] = time.perf_counter() - start
result["splu_dipoles"] = len(pairs)
# The nonaffine term needs 3 solves (one per plane) with the same factor.
start = time.perf_counter()
for _ in range(3):
    factor.solve(np.ones(size - 3))
result["splu_shear_solves_seconds"] = time.perf_counter() - start
result["peak_memory_bytes"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps(result))
