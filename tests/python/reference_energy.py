"""Independent reference for the model: matscipy's InversePowerLawPotential (the implementation that
cites the model's original paper) evaluated on an extended XYZ file written or read by pinch.

Usage: reference_energy.py FILE.xyz CUTOFF NON_ADDITIVITY SMOOTHING_ORDER LAMBDA_MIN LAMBDA_MAX
Prints JSON with energy_per_particle, pressure and max_force in the model's units.
"""
import json
import sys

import ase.io
import numpy as np
from matscipy.calculators.polydisperse import InversePowerLawPotential, Polydisperse

path, cutoff, non_additivity, q, lambda_min, lambda_max = sys.argv[1:7]
atoms = ase.io.read(path, format="extxyz")
atoms.set_array("size", atoms.get_array("lambda"))
atoms.calc = Polydisperse(
    InversePowerLawPotential(1.0, float(cutoff), float(non_additivity), int(q), float(lambda_min), float(lambda_max))
)
energy = atoms.get_potential_energy()
forces = atoms.get_forces()
# matscipy's stress is the virial stress W/V (Voigt order); at T = 0 the pressure is -trace/3.
stress = atoms.get_stress(voigt=True)
print(json.dumps({
    "n_particles": len(atoms),
    "energy_per_particle": energy / len(atoms),
    "pressure": -float(np.sum(stress[:3])) / 3.0,
    "max_force": float(np.abs(forces).max()),
}))
