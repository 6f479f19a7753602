"""Finite-strain check of pinch's elastic constants: shear the inherent state by +-gamma (simple shear
x -> x + gamma y with Lees-Edwards images, i.e. a sheared periodic cell), or dilate it by +-eta, re-relax
at fixed strain by Newton steps with matscipy's Hessian, and differentiate the stress numerically:
G_xy = d sigma_xy / d gamma and K = -V dp/dV.

Usage: finite_strain.py SAMPLE.h5
Prints JSON with G_xy and K from the finite differences.
"""
import json
import sys

import numpy as np
import scipy.sparse.linalg
from matscipy.neighbours import neighbour_list

from matscipy_model import atoms_of, potential_of, read_state

path = sys.argv[1]
positions, sizes, box, model = read_state(path)
potential = potential_of(model)
cutoff = float(model["cutoff"])


def relaxed(cell, x):
    """The state relaxed at fixed cell by Newton steps (particle 0 pinned)."""
    atoms = atoms_of(x, sizes, cell, potential)
    for _ in range(20):
        forces = atoms.get_forces()
        if np.abs(forces).max() < 1e-12:
            break
        hessian = atoms.calc.get_hessian(atoms, "sparse").tocsc()[3:, 3:]
        step = scipy.sparse.linalg.spsolve(hessian, forces.ravel()[3:])
        atoms.set_positions(atoms.get_positions() + np.concatenate([[0, 0, 0], step]).reshape(-1, 3))
    return atoms


def stress(atoms):
    """(1/V) sum over pairs of (phi'/r) r r^T, and the pressure."""
    i, j, d = neighbour_list("ijD", atoms, cutoff * sizes.max())
    r = np.linalg.norm(d, axis=1)
    pair_size = potential.mix_sizes(sizes[i], sizes[j])
    inside = r < cutoff * pair_size
    d, r, pair_size = d[inside], r[inside], pair_size[inside]
    slope = potential.first_derivative(r, pair_size) / r
    # Each pair appears twice in the full list.
    sigma = 0.5 * np.einsum("k,ka,kb->ab", slope, d, d) / atoms.get_volume()
    return sigma


gamma = 1e-5
sigma_xy = []
for g in (gamma, -gamma):
    cell = np.array([[box, 0, 0], [g * box, box, 0], [0, 0, box]])
    x = positions.copy()
    x[:, 0] += g * x[:, 1]
    sigma_xy.append(stress(relaxed(cell, x))[0, 1])
shear_xy = (sigma_xy[0] - sigma_xy[1]) / (2 * gamma)

eta = 1e-5
pressures, volumes = [], []
for e in (eta, -eta):
    atoms = relaxed(np.eye(3) * box * (1 + e), positions * (1 + e))
    pressures.append(-np.trace(stress(atoms)) / 3)
    volumes.append(atoms.get_volume())
bulk = -box ** 3 * (pressures[0] - pressures[1]) / (volumes[0] - volumes[1])
print(json.dumps({"shear_xy": shear_xy, "bulk": bulk}))
