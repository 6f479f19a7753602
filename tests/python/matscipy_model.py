"""The model of a pinch file in matscipy (an independent implementation), shared by the reference
scripts: the stored configuration, its potential, and ASE atoms with matscipy's calculator."""
import ase
import h5py
import numpy as np
from matscipy.calculators.polydisperse import InversePowerLawPotential, Polydisperse


def read_state(path):
    """Positions, sizes λ, box edge and model parameters (a dict) of the pinch file `path`."""
    with h5py.File(path, "r") as f:
        return (
            f["particles/all/position"][:],
            f["particles/all/diameter"][:],
            float(f["particles/all/box/edges"][0]),
            dict(f["parameters/model"].attrs),
        )


def potential_of(model):
    """matscipy's r^-10 potential with the smoothed cutoff and non-additive sizes of `model`."""
    return InversePowerLawPotential(
        1.0, float(model["cutoff"]), float(model["non_additivity"]), int(model["smoothing_order"]),
        float(model["lambda_min"]), float(model["lambda_max"]))


def atoms_of(positions, sizes, cell, potential):
    """Periodic ASE atoms in `cell` with sizes and matscipy's calculator."""
    atoms = ase.Atoms(positions=positions, cell=cell, pbc=True)
    atoms.set_array("size", sizes)
    atoms.calc = Polydisperse(potential)
    return atoms


def dense_hessian(atoms):
    """matscipy's Hessian of `atoms`, dense and symmetrised, with its eigenvalues and eigenvectors."""
    hessian = atoms.calc.get_hessian(atoms, "sparse").toarray()
    hessian = 0.5 * (hessian + hessian.T)
    values, vectors = np.linalg.eigh(hessian)
    return hessian, values, vectors


def dipole_of(positions, box, i, j):
    """The force dipole of the pair (i, j): −n on i and n on j, n the unit vector from i to j
    (minimum image), as a 3N vector; and the separation vector from i to j."""
    vector = positions[j] - positions[i]
    vector -= box * np.round(vector / box)
    unit = vector / np.linalg.norm(vector)
    dipole = np.zeros(positions.size)
    dipole[3 * i:3 * i + 3] = -unit
    dipole[3 * j:3 * j + 3] = unit
    return dipole, vector


def pseudo_inverse(values, vectors):
    """H⁺ from the eigenpairs, leaving out the three translations (the eigenvalues smallest in
    magnitude); also the indices of the nonzero eigenvalues, ascending."""
    nonzero = np.sort(np.argsort(np.abs(values))[3:])
    return (vectors[:, nonzero] / values[nonzero]) @ vectors[:, nonzero].T, nonzero
