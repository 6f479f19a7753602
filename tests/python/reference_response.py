"""Dense reference for pinch's modes, elastic constants and dipole responses.

The Hessian comes from matscipy (an independent implementation of the model), its eigenvalues and
pseudo-inverse from LAPACK (numpy.linalg.eigh); the Born terms and the mixed derivatives Xi are computed
here from matscipy's pair-potential derivatives.

Usage: reference_response.py SAMPLE.h5
Prints JSON: the largest relative deviation of each stored quantity from the dense reference.
"""
import json
import sys

import h5py
import numpy as np
from matscipy.neighbours import neighbour_list

from matscipy_model import (
    atoms_of, dense_hessian, dipole_of, potential_of, pseudo_inverse, read_state)

path = sys.argv[1]
positions, sizes, box, model = read_state(path)
with h5py.File(path, "r") as f:
    stored = {
        "eigenvalues": f["modes/eigenvalues"][:],
        "elastic": dict(f["elastic"].attrs),
        "pairs": f["dipoles/pairs"][:],
        "d_hinv_d": f["dipoles/d_hinv_d"][:],
        "d_hinv2_d": f["dipoles/d_hinv2_d"][:],
        "participation_ratios": f["modes/participation_ratios"][:],
        "centres": f["modes/centres"][:],
        "mode_profile": [f[f"modes/profile/{k}"][:] for k in ("radius", "count", "sum_magnitude", "sum_magnitude2")],
        "dipole_profile": [f[f"dipoles/profile/{k}"][:] for k in ("radius", "count", "sum_radial", "sum_magnitude2")],
    }

potential = potential_of(model)
atoms = atoms_of(positions, sizes, [box, box, box], potential)
n = len(atoms)
volume = box ** 3
hessian, values, vectors = dense_hessian(atoms)
h_plus, nonzero = pseudo_inverse(values, vectors)


def relative(a, b):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-300)))


report = {}
k = len(stored["eigenvalues"])
report["eigenvalues"] = relative(stored["eigenvalues"], values[nonzero][:k])
modes = np.asarray(vectors[:, nonzero[:k]]).T.reshape(k, n, 3)
magnitude2 = np.sum(modes ** 2, axis=2)
report["participation_ratios"] = relative(
    stored["participation_ratios"], np.sum(magnitude2, axis=1) ** 2 / (n * np.sum(magnitude2 ** 2, axis=1)))


def separation(centre, x):
    d = x - centre
    return d - box * np.round(d / box)


def shells(radius, r, values):
    """Counts and sums of `values` (columns) in the shells of the stored profile (r < L/2)."""
    width = 2 * radius[0]
    inside = r < 0.5 * box
    bins = (r[inside] / width).astype(int)
    count = np.bincount(bins, minlength=len(radius))[:len(radius)]
    sums = [np.bincount(bins, weights=v[inside], minlength=len(radius))[:len(radius)] for v in values]
    return count, sums


def profile_deviation(stored_profile, count, sums):
    """Largest deviation of the sums relative to their largest magnitude (counts must agree exactly)."""
    if not np.array_equal(stored_profile[1], count):
        return float("inf")
    return max(float(np.max(np.abs(a - b)) / np.max(np.abs(b))) for a, b in zip(stored_profile[2:], sums))


# Mode profiles about the particle of largest |psi| (the smallest id among equals).
centres = np.argmax(magnitude2, axis=1)
report["centres"] = float(np.count_nonzero(centres != stored["centres"]))
radius = stored["mode_profile"][0]
deviation = 0.0
for m in range(k):
    r = np.linalg.norm(separation(positions[centres[m]], positions), axis=1)
    magnitude = np.sqrt(magnitude2[m])
    count, sums = shells(radius, r, [magnitude, magnitude2[m]])
    stored_m = [p[m] if p.ndim == 2 else p for p in stored["mode_profile"]]
    deviation = max(deviation, profile_deviation(stored_m, count, sums))
report["mode_profiles"] = deviation

# Pairs closer than x_c lambda_ij, each once.
cutoff = float(model["cutoff"])
i, j, d = neighbour_list("ijD", atoms, cutoff * sizes.max())
keep = i < j
i, j, d = i[keep], j[keep], d[keep]
r = np.linalg.norm(d, axis=1)
pair_size = potential.mix_sizes(sizes[i], sizes[j])
inside = r < cutoff * pair_size
i, j, d, r, pair_size = i[inside], j[inside], d[inside], r[inside], pair_size[inside]
first = potential.first_derivative(r, pair_size)
second = potential.second_derivative(r, pair_size)
slope = first / r
radial = (second - slope) / r ** 2

born, mixed = [], []
for a, b in [(0, 1), (0, 2), (1, 2)]:
    born.append(np.sum(radial * d[:, a] ** 2 * d[:, b] ** 2 + slope * d[:, b] ** 2))
    t = (radial * d[:, a] * d[:, b])[:, None] * d
    t[:, a] += slope * d[:, b]
    t[:, b] += slope * d[:, a]
    xi = np.zeros((n, 3))
    np.add.at(xi, j, t)
    np.subtract.at(xi, i, t)
    mixed.append(xi.ravel())
born.append(np.sum(second * r ** 2))
t = (second + slope)[:, None] * d
xi = np.zeros((n, 3))
np.add.at(xi, j, t)
np.subtract.at(xi, i, t)
mixed.append(xi.ravel())
nonaffine = [float(x @ h_plus @ x) for x in mixed]
pressure = -float(np.sum(atoms.get_stress(voigt=True)[:3])) / 3.0

elastic = stored["elastic"]
names = ["xy", "xz", "yz"]
report["shear_born"] = relative([elastic[f"shear_born_{p}"] for p in names], np.array(born[:3]) / volume)
report["shear_nonaffine"] = relative(
    [elastic[f"shear_nonaffine_{p}"] for p in names], np.array(nonaffine[:3]) / volume)
shear = (np.array(born[:3]) - np.array(nonaffine[:3])) / volume
report["shear"] = relative([elastic[f"shear_{p}"] for p in names], shear)
report["bulk_nonaffine"] = relative(elastic["bulk_nonaffine"], nonaffine[3] / (9 * volume))
bulk = (born[3] - nonaffine[3]) / (9 * volume) + 2 * pressure / 3
report["bulk"] = relative(elastic["bulk"], bulk)
report["pressure"] = relative(elastic["pressure"], pressure)

d_hinv_d, d_hinv2_d = [], []
for a, b in stored["pairs"]:
    dipole, vector = dipole_of(positions, box, a, b)
    response = h_plus @ dipole
    d_hinv_d.append(dipole @ response)
    d_hinv2_d.append(response @ response)
    # The normalised response about the pair's midpoint.
    unit_response = (response / np.linalg.norm(response)).reshape(n, 3)
    d = separation(positions[a] + 0.5 * vector, positions)
    r = np.linalg.norm(d, axis=1)
    radial = np.where(r > 0, np.sum(unit_response * d, axis=1) / np.where(r > 0, r, 1), 0.0)
    count, sums = shells(stored["dipole_profile"][0], r, [radial, np.sum(unit_response ** 2, axis=1)])
    if a == stored["pairs"][0][0] and b == stored["pairs"][0][1]:
        dipole_count, dipole_sums = count, sums
    else:
        dipole_count = dipole_count + count
        dipole_sums = [x + y for x, y in zip(dipole_sums, sums)]
report["d_hinv_d"] = relative(stored["d_hinv_d"], d_hinv_d)
report["d_hinv2_d"] = relative(stored["d_hinv2_d"], d_hinv2_d)
report["dipole_profile"] = profile_deviation(stored["dipole_profile"], dipole_count, dipole_sums)
report["reference"] = {
    "shear": shear.tolist(), "bulk": bulk, "pressure": pressure,
    "lowest_eigenvalues": values[nonzero][:5].tolist(), "translations": np.delete(values, nonzero).tolist(),
}
print(json.dumps(report))
