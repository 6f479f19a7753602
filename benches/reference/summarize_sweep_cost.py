"""Summary of scripts/bench-sweep-cost: core-seconds per sweep of the baseline revision, of today's
code with the baseline's parameters (swaps unrestricted) and of today's defaults, side by side; which
of them follow the same trajectory bit for bit; and, composed with bench-results/sampling.json,
core-seconds per sample at each T_p.

Composition: a sample's core-seconds are sweeps (the Monte Carlo part) plus its quench and
measurements. The sweeps are the same in number (the trajectories are), so their cost scales by the
ratio of the costs per sweep measured here, while the quench and measurements are unchanged.
"""

import argparse
import json
import pathlib
import statistics

import h5py
import numpy as np

SWEEPS = 10_000
VARIANTS = ("baseline", "unrestricted", "today")
TRAJECTORY = (
    "particles/all/position",
    "particles/all/diameter",
    "observables/equilibration/energy_per_particle",
    "observables/equilibration/pressure",
)


def same_trajectory(a, b):
    """Whether two run files hold the same configuration and time series bit for bit; if not, the
    first sweep at which their energies differ (None if only the end state differs)."""
    with h5py.File(a, "r") as f, h5py.File(b, "r") as g:
        if all(np.array_equal(f[key][()], g[key][()]) for key in TRAJECTORY):
            return {"bitwise_equal": True}
        energy = "observables/equilibration/energy_per_particle"
        x, y = f[energy][()], g[energy][()]
        differ = np.nonzero(x[: min(len(x), len(y))] != y[: min(len(x), len(y))])[0]
        sweep = int(f["observables/equilibration/sweep"][differ[0]]) if len(differ) else None
        return {"bitwise_equal": False, "first_differing_sweep": sweep}


def cpu_per_sweep(work, variant, t):
    values = []
    for rep in (1, 2, 3):
        record = json.loads((work / f"speed-{variant}-{t}-{rep}.json").read_text())
        values.append(record["cpu_seconds"] / SWEEPS)
    return {"median": statistics.median(values), "runs": values}


# The ways of bench-results/sampling.json that run the tuned swap pair, which sets its own
# restriction: only the kernel's ratio applies to them.
TUNED_WAYS = ("tuned_parameters", "all")


def compose(point, ratio, kernel_ratio):
    """core-seconds per sample of every way in bench-results/sampling.json, with the sweeps' cost
    scaled by `ratio` (`kernel_ratio` for the tuned pair), and the factors against the baseline's
    today."""
    fixed = point["sample_core_seconds"]
    before = point["core_seconds_per_sample"]
    after = {
        way: (value - fixed) * (kernel_ratio if way in TUNED_WAYS else ratio) + fixed
        for way, value in before.items()
    }
    today = before["today"]
    return {
        "core_seconds_per_sample": after,
        "factor_against_baseline_today": {way: today / value for way, value in after.items()},
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--work", type=pathlib.Path, required=True)
    parser.add_argument("--temperatures", required=True)
    parser.add_argument("--baseline", required=True)
    parser.add_argument("--sampling", type=pathlib.Path)
    parser.add_argument("--out", type=pathlib.Path, required=True)
    args = parser.parse_args()
    sampling = {}
    if args.sampling and args.sampling.exists():
        for point in json.loads(args.sampling.read_text())["points"]:
            sampling[point["parent_temperature"]] = point
    points = []
    for t in args.temperatures.split(","):
        costs = {v: cpu_per_sweep(args.work, v, t) for v in VARIANTS}
        warm = {v: args.work / f"warm-{v}-{t}.h5" for v in VARIANTS}
        median = {v: costs[v]["median"] for v in VARIANTS}
        point = {
            "parent_temperature": t,
            "cpu_seconds_per_sweep": costs,
            "factor": {
                "kernel (unrestricted against baseline)": median["baseline"] / median["unrestricted"],
                "swap restriction (today against unrestricted)": median["unrestricted"]
                / median["today"],
                "today against baseline": median["baseline"] / median["today"],
            },
            "trajectory": {
                "unrestricted against baseline": same_trajectory(warm["unrestricted"], warm["baseline"]),
                "today against unrestricted": same_trajectory(warm["today"], warm["unrestricted"]),
            },
        }
        if t in sampling:
            point["composed_with_sampling"] = compose(
                sampling[t],
                median["today"] / median["baseline"],
                median["unrestricted"] / median["baseline"],
            )
        points.append(point)
    summary = {
        "benchmark": "scripts/bench-sweep-cost",
        "n_particles": 2000,
        "baseline": args.baseline,
        "schedule": {"measure_interval": 20, "origin_interval": 1000, "max_lag": 40000},
        "sweeps_per_measurement": SWEEPS,
        "points": points,
    }
    args.out.write_text(json.dumps(summary, indent=1) + "\n")
    for p in points:
        f = p["factor"]
        print(
            f"T_p = {p['parent_temperature']}: kernel x{f['kernel (unrestricted against baseline)']:.3f}, "
            f"restriction x{f['swap restriction (today against unrestricted)']:.3f}, "
            f"together x{f['today against baseline']:.3f}; trajectories {p['trajectory']}"
        )
        if "composed_with_sampling" in p:
            factors = p["composed_with_sampling"]["factor_against_baseline_today"]
            print("  against the baseline's today:", {k: round(v, 3) for k, v in factors.items()})


if __name__ == "__main__":
    main()
