"""Independent check of what `pinch plot --soft-spots` draws for one glass.

From MEASUREMENT (modes with vectors, /elastic, every interacting pair's pinch) and FIELDS (the mode
and response it drew), with a dense Hessian from matscipy:
- the rule: the mode drawn is the lowest with frequency below 2π√(G/ρ)/L and participation ratio
  below 0.15;
- that mode against the dense eigenvector of the same index (frequency, |overlap|);
- the QLMs' core sizes a0 (eN)^(1/3) and their centres' percentiles in the softness map, as stored;
- the pair drawn is the stored interacting pair of largest |(ψ_j − ψ_i)·n̂_ij|;
- its response against the normalised dense H⁺d, and its overlap with the mode.

Usage: check_soft_spots.py MEASUREMENT.h5 FIELDS.h5   (prints JSON)
"""
import json
import sys

import h5py
import numpy as np

from matscipy_model import atoms_of, dense_hessian, dipole_of, potential_of, pseudo_inverse, read_state

measurement, fields = sys.argv[1:3]
positions, sizes, box, model = read_state(measurement)
n = len(positions)
with h5py.File(measurement, "r") as f:
    frequencies = f["modes/frequencies"][:]
    participation = f["modes/participation_ratios"][:]
    vectors = f["modes/vectors"][:]
    shear = float(f["elastic"].attrs["shear_mean"])
    pairs = f["dipoles/pairs"][:]
    centres = f["modes/centres"][:]
    softness = f["dipoles/local_omega_min"][:]
with h5py.File(fields, "r") as f:
    mode_name = next(k for k in f["fields"] if k.startswith("mode_"))
    response_name = next(k for k in f["fields"] if k.startswith("response_"))
    drawn_mode = f[f"particles/all/{mode_name}"][:]
    response = f[f"particles/all/{response_name}"][:]
    drawn_pair = json.loads(f[f"fields/{response_name}"].attrs["pair"])
    mode_info = f[f"fields/{mode_name}"].attrs
    stored_sizes = json.loads(mode_info["core_sizes"])
    stored_percentiles = json.loads(mode_info["centre_softness_percentiles"])

phonon = 2 * np.pi * np.sqrt(shear / (n / box**3)) / box
qlms = [k for k in range(len(frequencies)) if frequencies[k] < phonon and participation[k] < 0.15]
lowest = qlms[0]
a0 = box / n ** (1 / 3)
core_sizes = [a0 * (participation[k] * n) ** (1 / 3) for k in qlms]
known = softness[np.isfinite(softness)]
percentiles = [float(np.sum(known < softness[centres[k]]) / (len(known) - 1)) for k in qlms]
psi = vectors[lowest] / np.linalg.norm(vectors[lowest])

separation = positions[pairs[:, 1]] - positions[pairs[:, 0]]
separation -= box * np.round(separation / box)
unit = separation / np.linalg.norm(separation, axis=1)[:, None]
stretch = np.abs(np.sum((psi[pairs[:, 1]] - psi[pairs[:, 0]]) * unit, axis=1))
core = pairs[np.argmax(stretch)]

atoms = atoms_of(positions, sizes, [box, box, box], potential_of(model))
_, values, eigenvectors = dense_hessian(atoms)
h_plus, nonzero = pseudo_inverse(values, eigenvectors)
dense_mode = eigenvectors[:, nonzero[lowest]]
dipole, _ = dipole_of(positions, box, int(core[0]), int(core[1]))
u = h_plus @ dipole
u /= np.linalg.norm(u)
print(json.dumps({
    "qlms": qlms,
    "mode_drawn": int(mode_name.split("_")[1]),
    "core_size_deviation": float(np.max(np.abs(np.array(stored_sizes) - core_sizes))),
    "percentiles": percentiles,
    "percentile_deviation": float(np.max(np.abs(np.array(stored_percentiles) - percentiles))),
    "mode_expected": lowest,
    "mode_frequency_deviation": float(abs(np.sqrt(values[nonzero[lowest]]) - frequencies[lowest])),
    "mode_dense_overlap": float(abs(dense_mode @ drawn_mode.ravel())),
    "pair_drawn": [int(v) for v in drawn_pair],
    "pair_expected": [int(v) for v in core],
    "response_deviation": float(np.max(np.abs(response.ravel() - u))),
    "response_mode_overlap": float(abs(u @ psi.ravel())),
}))
