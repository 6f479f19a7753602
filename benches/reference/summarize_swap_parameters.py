"""Summary of scripts/bench-swap-parameters: tau_alpha of today's swap parameters and of a tuned pair
with error bars, their equilibrium averages, and what the pair would do to the cost of 100 samples.

From each long run (both start from one stationary state):
- the first DISCARD_TAU tau_alpha are dropped, so that the two runs no longer share their start;
- tau_alpha is taken from the F_s time origins of consecutive blocks of epochs spanning at least
  BLOCK_TAU tau_alpha each: the mean over blocks and its standard error. The scale is the run's own
  tau_alpha (from its second half), never a target;
- energy per particle and pressure from blocks of 2 tau_alpha over the same part.
A sweep's cost is the median of three alternated short runs of each set. tau_alpha in core-seconds is
tau_alpha [sweeps] times that cost; the gain is today's over the tuned pair's, with the error of the
tau_alpha only (the cost's spread over its three runs is reported beside it).
"""

import argparse
import json
import math
import pathlib

import h5py
from summarize_sampling import agreement, block_mean, observables, sweep_cost, sweep_costs

DISCARD_TAU = 4.0
BLOCK_TAU = 4.0
THRESHOLD = math.exp(-1.0)


def tau_of_curve(lags, total, count):
    """Where F_s first falls below 1/e, interpolated linearly between lags (as pinch does)."""
    curve = [(lag, s / c) for lag, s, c in zip(lags, total, count) if c > 0]
    for (t0, f0), (t1, f1) in zip(curve, curve[1:]):
        if f0 >= THRESHOLD > f1:
            return t0 + (t1 - t0) * (f0 - THRESHOLD) / (f0 - f1)
    return None


def long_run(path):
    run = observables(path)
    with h5py.File(path, "r") as f:
        g = f["observables/self_intermediate_scattering"]
        total, origins = g["sum"][()], g["origins"][()]
        p = f["parameters/equilibration"].attrs
        interval, origin_interval = int(p["measure_interval"]), int(p["origin_interval"])
        max_lag = int(p["max_lag"])
        series = f["observables/equilibration"]
        sweeps = series["sweep"][()]
        values = {
            key: series[key][()]
            for key in ["energy_per_particle", "pressure", "swap_acceptance", "translation_acceptance"]
        }
    epoch = max(1, max_lag // 8 // origin_interval) * origin_interval
    lags = [k * interval for k in range(total.shape[1])]
    # The run's own tau_alpha (second half) sets the scale; a checkpoint has none, so all its origins.
    scale = run.get("tau_alpha") or tau_of_curve(lags, total.sum(axis=0), origins.sum(axis=0))
    first = math.ceil(DISCARD_TAU * scale / epoch)
    per_block = math.ceil(BLOCK_TAU * scale / epoch)
    blocks = []
    for start in range(first, total.shape[0] - per_block + 1, per_block):
        tau = tau_of_curve(
            lags,
            total[start : start + per_block].sum(axis=0),
            origins[start : start + per_block].sum(axis=0),
        )
        blocks.append(tau)
    resolved = [b for b in blocks if b is not None]
    mean = sum(resolved) / len(resolved)
    error = (sum((b - mean) ** 2 for b in resolved) / (len(resolved) - 1) / len(resolved)) ** 0.5
    whole = tau_of_curve(lags, total[first:].sum(axis=0), origins[first:].sum(axis=0))
    kept = [k for k, s in enumerate(sweeps) if s > first * epoch]
    block = max(1, round(2 * scale / interval))
    averages = {key: block_mean([v[k] for k in kept], block) for key, v in values.items()}
    return {
        "sweeps": int(sweeps[-1]),
        "tau_alpha_second_half": scale,
        "discarded_sweeps": first * epoch,
        "block_sweeps": per_block * epoch,
        "tau_alpha_blocks": blocks,
        "tau_alpha": {"mean": mean, "error": error, "blocks": len(resolved)},
        "tau_alpha_all_origins": whole,
        "averages": averages,
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--work", type=pathlib.Path, required=True)
    parser.add_argument("--temperature", required=True)
    parser.add_argument("--tuned", required=True)
    parser.add_argument("--composition", type=pathlib.Path, required=True)
    parser.add_argument("--out", type=pathlib.Path, required=True)
    args = parser.parse_args()
    t = args.temperature
    runs = {name: long_run(args.work / f"long-{name}-{t}.h5") for name in ["default", "tuned"]}
    costs = {
        name: {"median": sweep_cost(args.work, name, t), "runs": sweep_costs(args.work, name, t)}
        for name in runs
    }
    tau_d, tau_t = runs["default"]["tau_alpha"], runs["tuned"]["tau_alpha"]
    ratio = tau_d["mean"] / tau_t["mean"]
    ratio_error = ratio * math.hypot(tau_d["error"] / tau_d["mean"], tau_t["error"] / tau_t["mean"])
    cost_ratio = costs["default"]["median"] / costs["tuned"]["median"]
    gain = {"mean": ratio * cost_ratio, "error": ratio_error * cost_ratio}
    result = {
        "benchmark": "scripts/bench-swap-parameters",
        "parent_temperature": t,
        "tuned_swap": args.tuned,
        "discard_tau_alpha": DISCARD_TAU,
        "block_tau_alpha": BLOCK_TAU,
        "runs": runs,
        "sweep_core_seconds": costs,
        "tau_alpha_ratio_default_over_tuned": {"mean": ratio, "error": ratio_error},
        "sweep_cost_ratio_default_over_tuned": cost_ratio,
        "tau_alpha_core_seconds_gain": gain,
        "tuned_against_default_sigma": {
            key: agreement(runs["default"]["averages"][key], runs["tuned"]["averages"][key])
            for key in ["energy_per_particle", "pressure"]
        },
    }
    composition = json.loads(args.composition.read_text())
    point = next((p for p in composition["points"] if p["parent_temperature"] == t), None)
    if point is not None and "composed_with_sampling" in point:
        # Chains are measured in tau_alpha (stationarity and spacing), so only the Monte Carlo part
        # of a sample's cost scales with tau_alpha in core-seconds.
        per_sample = point["composed_with_sampling"]["core_seconds_per_sample"]
        baseline = per_sample["today"] * point["composed_with_sampling"]["factor_against_baseline_today"]["today"]
        sample = json.loads((args.composition.parent / "sampling.json").read_text())
        sample_seconds = next(
            p["sample_core_seconds"] for p in sample["points"] if p["parent_temperature"] == t
        )
        adopted = per_sample["ladder_and_branches"]
        with_pair = {
            bound: (adopted - sample_seconds) / (gain["mean"] + s * gain["error"]) + sample_seconds
            for bound, s in [("mean", 0), ("minus_one_sigma", -1), ("plus_one_sigma", 1)]
        }
        result["composed"] = {
            "baseline_today_core_seconds_per_sample": baseline,
            "ladder_and_branches_core_seconds_per_sample": adopted,
            "with_tuned_pair_core_seconds_per_sample": with_pair,
            "factor_against_baseline": {k: baseline / v for k, v in with_pair.items()},
        }
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    for name, run in runs.items():
        tau = run["tau_alpha"]
        e = run["averages"]["energy_per_particle"]
        print(
            f"{name}: tau_alpha {tau['mean']:.0f} ± {tau['error']:.0f} sweeps ({tau['blocks']} blocks), "
            f"{costs[name]['median'] * 1e3:.3f} ms per sweep, energy {e['mean']:.5f} ± {e['error']:.5f}"
        )
    print(f"tau_alpha in core-seconds, today over tuned: {gain['mean']:.3f} ± {gain['error']:.3f}")
    if "composed" in result:
        print("factor against the baseline:", result["composed"]["factor_against_baseline"])


if __name__ == "__main__":
    main()
