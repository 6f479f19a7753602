"""Reads the fields `pinch export` wrote, as ASE and h5py do, and prints what a test checks as JSON.

usage: read_fields.py MODES.h5 FIELDS.xyz FIELDS.h5 K...
For each K: the shape of ASE's array mode_K, its norm, its largest difference from the normalised
/modes/vectors[K] of MODES.h5, the same for /particles/all/mode_K of FIELDS.h5, the header entries
ASE put in atoms.info, and the Properties entry of the comment line.
"""

import json
import sys

import ase.io
import h5py
import numpy as np

modes_file, xyz_file, h5_file = sys.argv[1:4]
indices = [int(k) for k in sys.argv[4:]]
atoms = ase.io.read(xyz_file, format="extxyz")
with open(xyz_file) as f:
    f.readline()
    comment = f.readline()
properties = next(p.split("=", 1)[1] for p in comment.split() if p.startswith("Properties="))
out = {"n": len(atoms), "properties": properties, "fields": {}}
with h5py.File(modes_file, "r") as m, h5py.File(h5_file, "r") as g:
    for k in indices:
        name = f"mode_{k}"
        stored = m["modes/vectors"][k]
        stored = stored / np.linalg.norm(stored)
        field = atoms.arrays[name]
        in_h5 = g[f"particles/all/{name}"][()]
        out["fields"][name] = {
            "shape": list(field.shape),
            "norm": float(np.linalg.norm(field)),
            "against_stored": float(np.max(np.abs(field - stored))),
            "h5_against_xyz": float(np.max(np.abs(in_h5 - field))),
            "frequency": float(atoms.info[f"{name}_frequency"]),
            "stored_frequency": float(m["modes/frequencies"][k]),
            "participation_ratio": float(atoms.info[f"{name}_participation_ratio"]),
            "stored_participation_ratio": float(m["modes/participation_ratios"][k]),
            "centre": int(atoms.info[f"{name}_centre"]),
            "stored_centre": int(m["modes/centres"][k]),
            "h5_attributes": sorted(g[f"fields/{name}"].attrs.keys()),
        }
    out["positions_against_h5"] = float(
        np.max(np.abs(atoms.get_positions() - g["particles/all/position"][()]))
    )
print(json.dumps(out))
