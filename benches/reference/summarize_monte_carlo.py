"""Collects the swap Monte Carlo benchmark runs (pinch equilibrate files) into one JSON results file.

Usage: summarize_monte_carlo.py OUT.json --runs NAME:RANKS:N:T:FILE ... [--taus T:FILE ...]
"""

import argparse
import json
import platform
import time

import h5py


def provenance(path):
    with h5py.File(path, "r") as f:
        return {k: (v.decode() if isinstance(v, bytes) else str(v))
                for k, v in f["parameters/provenance"].attrs.items()}


def observables(path):
    with h5py.File(path, "r") as f:
        o = f["observables"]
        series = o["equilibration"]
        return {
            "attempts_per_second_per_rank": float(o["attempts_per_second_per_rank"][()]),
            "seconds": float(o["seconds"][()]),
            "sweeps": int(o["sweeps"][()]),
            "step_size": float(o["step_size"][()]),
            "translation_acceptance": float(series["translation_acceptance"][-1]),
            "swap_acceptance": float(series["swap_acceptance"][-1]),
            "energy_per_particle": float(series["energy_per_particle"][-1]),
            "tau_alpha_sweeps": float(o["tau_alpha"][()]) if "tau_alpha" in o else None,
            "stationary": bool(o["stationary"][()]),
        }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--runs", nargs="*", default=[])
    parser.add_argument("--taus", nargs="*", default=[])
    args = parser.parse_args()
    rows = []
    for run in args.runs:
        name, ranks, n, t, path = run.split(":", 4)
        rows.append({"name": name, "ranks": int(ranks), "n_particles": int(n),
                     "parent_temperature": float(t), **observables(path)})
    weak = {r["name"]: r for r in rows if r["name"].startswith("weak")}
    efficiency = None
    if "weak-1" in weak and "weak-2" in weak:
        efficiency = (weak["weak-2"]["attempts_per_second_per_rank"]
                      / weak["weak-1"]["attempts_per_second_per_rank"])
    taus = []
    for entry in args.taus:
        t, path = entry.split(":", 1)
        taus.append({"parent_temperature": float(t), **observables(path)})
    made = provenance(args.runs[0].split(":", 4)[4]) if args.runs else {}
    result = {
        "benchmark": "swap Monte Carlo (pinch equilibrate), attempted moves per second per core, "
                     "measured after a warm-up from a random configuration",
        "measured": time.strftime("%Y-%m-%d", time.gmtime()),
        "git_commit": made.get("git_commit", "unknown"),
        "machine": platform.processor() or platform.machine(),
        "runs": rows,
        "weak_scaling_efficiency_1_to_2_ranks": efficiency,
        "tau_alpha_n2000": taus,
    }
    with open(args.out, "w") as f:
        json.dump(result, f, indent=2)
    for r in rows:
        print(f"{r['name']:>22}: {r['attempts_per_second_per_rank']:.3e} attempts/s/core, "
              f"acceptance {r['translation_acceptance']:.2f} / {r['swap_acceptance']:.3f}, "
              f"delta {r['step_size']:.3f}")
    if efficiency is not None:
        print(f"weak scaling 1 -> 2 ranks: {efficiency:.3f}")
    for t in taus:
        print(f"T_p = {t['parent_temperature']}: tau_alpha = {t['tau_alpha_sweeps']} sweeps, "
              f"stationary {t['stationary']}")


if __name__ == "__main__":
    main()
