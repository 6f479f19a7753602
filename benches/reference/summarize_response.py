"""Collects the response benchmarks (pinch modes, shear, dipoles and their peers) into one JSON file.

Usage: summarize_response.py OUT.json N:MODES.h5:SHEAR.h5:DIPOLES.h5:PEERS.json ...

Runs of sizes not measured this time are kept from an existing OUT.json, so that a benchmark of some
sizes (PINCH_BENCH_SIZES) updates those and leaves the others' records.
"""
import json
import os
import platform
import sys
import time

import h5py


def provenance(path):
    with h5py.File(path, "r") as f:
        return {k: (v.decode() if isinstance(v, bytes) else str(v))
                for k, v in f["parameters/provenance"].attrs.items()}


def observables(path):
    with h5py.File(path, "r") as f:
        values = {k: f["observables"][k][()] for k in f["observables"]}
        groups = {g: dict(f[g].attrs) for g in ("modes", "elastic", "dipoles") if g in f}
    plain = lambda v: v.item() if hasattr(v, "item") else (v.decode() if isinstance(v, bytes) else v)
    return ({k: plain(v) for k, v in values.items()},
            {g: {k: plain(v) for k, v in a.items()} for g, a in groups.items()})


out, runs = sys.argv[1], sys.argv[2:]
results = []
for run in runs:
    n, modes_path, shear_path, dipoles_path, peers_path = run.split(":")
    modes_obs, modes = observables(modes_path)
    shear_obs, shear = observables(shear_path)
    dipoles_obs, dipoles = observables(dipoles_path)
    m, e, d = modes["modes"], shear["elastic"], dipoles["dipoles"]
    made = provenance(modes_path)
    entry = {
        "n_particles": int(n),
        "ranks": 2,
        "measured": time.strftime("%Y-%m-%d", time.gmtime()),
        "git_commit": made.get("git_commit", "unknown"),
        "blas": made.get("blas", "unknown"),
        "hessian_assembly_seconds": modes_obs["hessian_seconds"],
        "modes": {"count": m["count"], "seconds": m["seconds"], "method": f"{m['method']} + {m['spectral_transform']}",
                  "peak_memory_bytes": modes_obs["peak_memory_bytes"]},
        "shear": {"seconds": e["seconds"], "method": e["method"], "mean": e["shear_mean"],
                  "peak_memory_bytes": shear_obs["peak_memory_bytes"]},
        "dipoles": {"count": d["count"], "seconds": d["seconds"], "per_second": d["count"] / d["seconds"],
                    "omega_g": d["omega_g"], "method": d["method"],
                    "peak_memory_bytes": dipoles_obs["peak_memory_bytes"]},
    }
    if peers_path:
        peers = json.load(open(peers_path))
        entry["peers"] = peers
        ratios = {"eigsh_over_pinch_modes": peers["eigsh_seconds"] / m["seconds"]}
        if "dense_eigh_seconds" in peers:
            ratios["dense_eigh_over_pinch_modes"] = peers["dense_eigh_seconds"] / m["seconds"]
        splu_per_dipole = peers["splu_dipole_solves_seconds"] / peers["splu_dipoles"]
        ratios["splu_solve_over_pinch_dipole"] = splu_per_dipole / (d["seconds"] / d["count"])
        ratios["splu_factor_and_3_solves_over_pinch_shear"] = (
            peers["splu_factor_seconds"] + peers["splu_shear_solves_seconds"]) / e["seconds"]
        entry["ratios"] = ratios
    results.append(entry)
    print(json.dumps(entry))
measured = {entry["n_particles"] for entry in results}
if os.path.exists(out):
    kept = [entry for entry in json.load(open(out)).get("runs", []) if entry["n_particles"] not in measured]
    results = sorted(results + kept, key=lambda entry: entry["n_particles"])
json.dump({
    "benchmark": "measurements on inherent states on 2 ranks (pinch modes, shear, dipoles), peers on the same states",
    "machine": platform.machine(),
    "runs": results,
}, open(out, "w"), indent=1)
