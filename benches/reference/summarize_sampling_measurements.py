"""Summary of scripts/bench-sampling-measurements: what a stationary chain saves by measuring less.

- One measurement's cost, amplified: runs of AMPLIFIED_SWEEPS sweeps that measure at every sweep
  against runs that never measure (three of each); the spread is half the two ranges.
- A campaign's chain measures every CAMPAIGN_MEASURE_INTERVAL sweeps; once stationary, every
  `--sampling-measure-interval` sweeps. The factor on its sweeps follows from the two costs.
- The direct continuations (five of each), and whether their trajectories are bitwise equal.
- Composed with bench-results/sampling.json and sweep-cost.json (docs/sampling.md, "The target"): the
  sampling sweeps of 100 samples with ladder starts and branches get cheaper, nothing else.
"""

import argparse
import json
import pathlib
import statistics

import h5py
import numpy as np
from summarize_sampling import SAMPLES, campaign_cost

AMPLIFIED_SWEEPS = 4000
CAMPAIGN_MEASURE_INTERVAL = 20
BRANCHES = 5


def cpu(work, name):
    return json.loads((work / f"{name}.json").read_text())["cpu_seconds"]


def composed(results, t, factors):
    """Core-seconds per sample with ladder starts, branches, the kernel, the restriction and each of
    `factors` on the sampling sweeps, against the baseline's; None without the other benchmarks."""
    sampling = {p["parent_temperature"]: p for p in json.loads((results / "sampling.json").read_text())["points"]}
    sweep_cost = {p["parent_temperature"]: p for p in json.loads((results / "sweep-cost.json").read_text())["points"]}
    if t not in sampling or "composed_with_sampling" not in sweep_cost.get(t, {}):
        return None
    point, mixed = sampling[t], sweep_cost[t]["composed_with_sampling"]
    adopted = mixed["core_seconds_per_sample"]["ladder_and_branches"]
    baseline = mixed["core_seconds_per_sample"]["today"] * mixed["factor_against_baseline_today"]["today"]
    sample_seconds = point["sample_core_seconds"]
    to_pass = point["stationarity"]["ladder_default"]["sweeps"]
    # The chains' sweeps for SAMPLES samples (one sweep costing 1, no quenches): all but the trunk's
    # way to its pass are sampling.
    sweeps = campaign_cost(to_pass, point["tau_alpha_sweeps"]["default"], 1.0, 0.0, BRANCHES)
    share = 1.0 - to_pass / sweeps
    monte_carlo = adopted - sample_seconds
    per_sample = {
        label: monte_carlo * (1.0 - share) + monte_carlo * share / f + sample_seconds
        for label, f in factors.items()
    }
    return {
        "samples": SAMPLES,
        "sampling_share_of_monte_carlo": share,
        "baseline_today_core_seconds_per_sample": baseline,
        "adopted_before_core_seconds_per_sample": adopted,
        "core_seconds_per_sample": per_sample,
        "factor_against_baseline": {k: baseline / v for k, v in per_sample.items()},
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--work", type=pathlib.Path, required=True)
    parser.add_argument("--temperature", required=True)
    parser.add_argument("--sweeps", type=int, required=True)
    parser.add_argument("--sampling-measure-interval", type=int, required=True)
    parser.add_argument("--out", type=pathlib.Path, required=True)
    args = parser.parse_args()
    work, t, length, interval = args.work, args.temperature, args.sweeps, args.sampling_measure_interval

    seconds = {v: [cpu(work, f"{v}-{r}") for r in (1, 2, 3, 4, 5)] for v in ("dense", "sampling")}
    amplified = {v: [cpu(work, f"amplified-{v}-{r}") for r in (1, 2, 3)] for v in ("every", "none")}
    sweep = statistics.median(amplified["none"]) / AMPLIFIED_SWEEPS
    measurement = (statistics.median(amplified["every"]) - statistics.median(amplified["none"])) / AMPLIFIED_SWEEPS
    spread = sum(max(s) - min(s) for s in amplified.values()) / AMPLIFIED_SWEEPS / 2

    def factor(m):
        dense = CAMPAIGN_MEASURE_INTERVAL * sweep
        return (dense + m) / (dense + CAMPAIGN_MEASURE_INTERVAL * m / interval)

    with h5py.File(work / "dense-1.h5") as a, h5py.File(work / "sampling-1.h5") as b:
        equal = all(
            np.array_equal(a[k][()], b[k][()]) for k in ("particles/all/position", "particles/all/diameter")
        )
        measurements = {
            "dense": int(a["observables/equilibration/sweep"].shape[0]),
            "sampling": int(b["observables/equilibration/sweep"].shape[0]),
        }
    median = {v: statistics.median(s) for v, s in seconds.items()}
    result = {
        "benchmark": "scripts/bench-sampling-measurements",
        "parent_temperature": t,
        "n_particles": 2000,
        "sweeps_per_run": length,
        "sampling_measure_interval": interval,
        "cpu_seconds": seconds,
        "cpu_seconds_per_sweep": {v: m / length for v, m in median.items()},
        "direct_factor": median["dense"] / median["sampling"],
        "amplified": {
            "cpu_seconds_4000_sweeps": amplified,
            "sweep_cpu_seconds": sweep,
            "measurement_cpu_seconds": measurement,
            "measurement_cpu_seconds_spread": spread,
        },
        "factor": factor(measurement),
        "factor_range": [factor(measurement - spread), factor(measurement + spread)],
        "records_of_the_whole_runs": measurements,
        "trajectories_bitwise_equal": equal,
    }
    factors = {"mean": result["factor"], "low": result["factor_range"][0], "high": result["factor_range"][1]}
    together = composed(args.out.parent, t, factors)
    if together is not None:
        result["composed"] = together
        print(
            "composed with ladder starts, branches, the kernel and the restriction: x"
            + " / x".join(f"{v:.3f}" for v in together["factor_against_baseline"].values())
            + " (mean / low / high)"
        )
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(
        f"T_p = {t}: a measurement costs {measurement * 1e3:.2f} ± {spread * 1e3:.2f} ms, a sweep "
        f"{sweep * 1e3:.3f} ms: a stationary chain's sweeps x{result['factor']:.3f} cheaper "
        f"({result['factor_range'][0]:.3f}-{result['factor_range'][1]:.3f}); directly, "
        f"{median['dense'] / length * 1e3:.3f} against {median['sampling'] / length * 1e3:.3f} ms per "
        f"sweep (x{result['direct_factor']:.3f}); trajectories bitwise equal: {equal}"
    )


if __name__ == "__main__":
    main()
