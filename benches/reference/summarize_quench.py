"""Collects quench records (pinch's output files, and the scipy reference's JSON) into one results file.

Usage: summarize_quench.py OUT.json GLASS.h5:SCIPY.json [GLASS.h5: ...]
"""
import json
import sys

import h5py

rows = []
for item in sys.argv[2:]:
    glass, reference = item.split(":", 1)
    with h5py.File(glass, "r") as f:
        o = {k: f["observables"][k][()].item() for k in f["observables"]}
        n = f["particles/all/position"].shape[0]
        ranks = int(f["parameters/provenance"].attrs["mpi_ranks"])
    row = {"n_particles": n, "ranks": ranks, "pinch_seconds": o["quench_seconds"], "fire_seconds": o["quench_fire_seconds"],
           "newton_seconds": o["quench_newton_seconds"], "fire_steps": o["quench_fire_steps"], "newton_steps": o["quench_newton_steps"],
           "max_force": o["max_force"], "energy_per_particle": o["energy_per_particle"], "peak_memory_bytes": o["peak_memory_bytes"],
           "converged": bool(o["quench_converged"])}
    if reference:
        with open(reference) as r:
            scipy = json.load(r)
        row["scipy"] = scipy
        row["scipy_over_pinch"] = scipy["seconds"] / o["quench_seconds"]
    rows.append(row)
    line = f"quench N = {n:>8} on {ranks} ranks: {o['quench_seconds']:.3f} s (FIRE {o['quench_fire_seconds']:.3f} s, {o['quench_fire_steps']} steps; Newton {o['quench_newton_seconds']:.3f} s, {o['quench_newton_steps']} steps), max force {o['max_force']:.1e}, E/N {o['energy_per_particle']:.10f}, peak memory {o['peak_memory_bytes'] / 1e9:.2f} GB"
    if reference:
        line += f"; scipy {scipy['seconds']:.2f} s (E/N {scipy['energy_per_particle']:.10f}, max force {scipy['max_force']:.1e}), ratio {row['scipy_over_pinch']:.0f}x"
    print(line)
with open(sys.argv[1], "w") as f:
    json.dump({"benchmark": "quench from T = infinity", "results": rows}, f, indent=2)
print(f"results written to {sys.argv[1]}")
