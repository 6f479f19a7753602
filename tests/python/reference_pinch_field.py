"""Dense reference for the pinch responses `pinch export --response` writes.

The Hessian comes from matscipy (an independent implementation of the model) and its pseudo-inverse
from LAPACK; for every response column of FIELDS.xyz (read with ASE), u = H⁺d for the dipole of its
pair (−n at i, n at j, n the unit vector from i to j), normalised, is compared with the column, and
ω^(ij) = √(dᵀH⁺d / dᵀH⁺²d) with the header's.

With DIPOLES.h5 (`pinch dipoles --all-dipoles`), the columns local_omega_min and local_omega_mean
are compared with each particle's lowest and mean stored ω^(ij) over the pairs it belongs to.

Usage: reference_pinch_field.py GLASS.h5 FIELDS.xyz [DIPOLES.h5]
Prints JSON: per column, its shape, norm, largest deviation from the reference field, and the
relative deviation of ω^(ij); and the softness columns' largest deviation.
"""
import json
import sys

import ase.io
import h5py
import numpy as np

from matscipy_model import (
    atoms_of, dense_hessian, dipole_of, potential_of, pseudo_inverse, read_state)

glass, fields = sys.argv[1:3]
dipoles = sys.argv[3] if len(sys.argv) > 3 else None
positions, sizes, box, model = read_state(glass)
atoms = atoms_of(positions, sizes, [box, box, box], potential_of(model))
n = len(atoms)
_, values, vectors = dense_hessian(atoms)
h_plus, _ = pseudo_inverse(values, vectors)

exported = ase.io.read(fields, format="extxyz")
report = {}
for name, field in exported.arrays.items():
    if not name.startswith("response_"):
        continue
    i, j = (int(v) for v in np.atleast_1d(exported.info[f"{name}_pair"]))
    dipole, _ = dipole_of(positions, box, i, j)
    u = h_plus @ dipole
    omega = np.sqrt(dipole @ u / (u @ u))
    report[name] = {
        "shape": list(field.shape),
        "norm": float(np.linalg.norm(field)),
        "field_deviation": float(np.max(np.abs(field.ravel() - u / np.linalg.norm(u)))),
        "omega_deviation": float(abs(exported.info[f"{name}_omega"] - omega) / omega),
    }
if dipoles:
    with h5py.File(dipoles, "r") as f:
        pairs, omega = f["dipoles/pairs"][:], f["dipoles/omega"][:]
    lowest = np.full(n, np.inf)
    total, count = np.zeros(n), np.zeros(n)
    for (i, j), w in zip(pairs, omega):
        for k in (i, j):
            lowest[k] = min(lowest[k], w)
            total[k] += w
            count[k] += 1
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(count > 0, total / count, np.nan)
    lowest[count == 0] = np.nan
    report["softness"] = {
        name: float(np.nanmax(np.abs(exported.arrays[name] - expected)))
        for name, expected in (("local_omega_min", lowest), ("local_omega_mean", mean))
    }
    report["softness"]["same_missing"] = bool(
        np.array_equal(np.isnan(exported.arrays["local_omega_min"]), count == 0))
print(json.dumps(report))
