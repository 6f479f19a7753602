"""Summary of scripts/bench-sampling: what a chain and a sample cost at each T_p, today's way and with
each lever, as JSON.

Costs are composed from measured parts (docs/sampling.md, "The benchmark"):
- tau_alpha [sweeps] of each parameter set from its run of 16 expected tau_alpha from a stationary
  state (the two sets from the same state), and a sweep's cost c [core-seconds] from the median of
  three short runs of each, alternated;
- the sweeps to stationarity from a random and from a ladder start, from the runs that stopped at
  their first passing test;
- the quench and measurements of one sample.
100 samples are made by chains of 20 samples spaced by 2 tau_alpha: 5 independent chains today; with
branches, one trunk and 4 branches, each branch's first sample one spacing after the trunk's
stationary state.
"""

import argparse
import json
import pathlib

import h5py

N = 2000
SAMPLES = 100
PER_CHAIN = 20
SPACING = 2.0


def observables(path):
    with h5py.File(path, "r") as f:
        o = f["observables"]
        out = {}
        for key in o:
            if isinstance(o[key], h5py.Dataset) and o[key].shape == ():
                out[key] = o[key][()].item()
        for key, value in o.attrs.items():
            out[key] = value.item() if hasattr(value, "item") else value
        return out


def block_mean(values, block):
    """Mean and standard error from the means of consecutive blocks (at least four)."""
    means = [sum(values[k : k + block]) / block for k in range(0, len(values) - block + 1, block)]
    if len(means) < 4:
        return None
    mean = sum(means) / len(means)
    variance = sum((m - mean) ** 2 for m in means) / (len(means) - 1)
    return {"mean": mean, "error": (variance / len(means)) ** 0.5}


def equilibrium_averages(path, tau):
    """Energy per particle, pressure and swap acceptance over the run's second half, with errors from
    blocks of 2 tau_alpha."""
    with h5py.File(path, "r") as f:
        series = f["observables/equilibration"]
        sweeps = series["sweep"][()]
        half = len(sweeps) // 2
        interval = int(sweeps[1] - sweeps[0])
        block = max(1, int(round(2 * tau / interval)))
        return {
            key: block_mean(list(series[key][half:]), block)
            for key in ["energy_per_particle", "pressure", "swap_acceptance", "translation_acceptance"]
        }


def agreement(a, b):
    """|a - b| in units of their combined standard error."""
    if a is None or b is None:
        return None
    return abs(a["mean"] - b["mean"]) / (a["error"] ** 2 + b["error"] ** 2) ** 0.5


def sweep_costs(work, variant, t):
    """Core-seconds per sweep of N attempts (one rank) of each alternated short run, ascending."""
    return sorted(
        N / observables(path)["attempts_per_second_per_rank"]
        for path in work.glob(f"speed-{variant}-{t}-*.h5")
        if not path.name.endswith(".checkpoint.h5")
    )


def sweep_cost(work, variant, t):
    """The median of `sweep_costs`."""
    costs = sweep_costs(work, variant, t)
    return costs[len(costs) // 2]


def campaign_cost(stationarity_sweeps, tau, cost, sample_seconds, branches):
    """Core-seconds for SAMPLES samples: chains of PER_CHAIN samples; `branches` chains share one
    start."""
    chains = SAMPLES // PER_CHAIN
    sampling = (PER_CHAIN - 1) * SPACING * tau
    branch = PER_CHAIN * SPACING * tau
    starts = chains // branches
    sweeps = starts * (stationarity_sweeps + sampling + (branches - 1) * branch)
    return sweeps * cost + SAMPLES * sample_seconds


def point(work, t, above):
    runs = {}
    for name in ["random", "ladder-default", "ladder-tuned", "tau-default", "tau-tuned"]:
        path = work / f"{name}-{t}.h5"
        if path.exists():
            runs[name] = observables(path)
    sample = json.loads((work / f"sample-{t}.json").read_text())["seconds"]
    default, tuned = runs["tau-default"], runs["tau-tuned"]
    c_default, c_tuned = sweep_cost(work, "default", t), sweep_cost(work, "tuned", t)
    tau_default, tau_tuned = default["tau_alpha"], tuned["tau_alpha"]

    def stationarity(name):
        run = runs.get(name, {})
        sweeps = run.get("equilibrated_at")
        return {
            "passed": sweeps is not None,
            "sweeps": sweeps if sweeps is not None else run.get("sweeps"),
            "tau_alpha_of_run": run.get("tau_alpha"),
        }

    averages = {
        name: equilibrium_averages(work / f"tau-{name}-{t}.h5", runs[f"tau-{name}"]["tau_alpha"])
        for name in ["default", "tuned"]
    }
    # The ladder's check (docs/sampling.md): its chains' energies over the second half of their runs,
    # inside the stationarity window, against those of the random start.
    ladder_check = {}
    for name in ["random", "ladder-default", "ladder-tuned"]:
        if name in runs:
            ladder_check[name] = equilibrium_averages(work / f"{name}-{t}.h5", runs[name]["tau_alpha"])
    for name in ["ladder-default", "ladder-tuned"]:
        if name in ladder_check and "random" in ladder_check:
            ladder_check[f"{name}_against_random_sigma"] = {
                key: agreement(ladder_check["random"][key], ladder_check[name][key])
                for key in ["energy_per_particle", "pressure"]
            }
    random = stationarity("random")
    ladder_default = stationarity("ladder-default")
    ladder_tuned = stationarity("ladder-tuned")
    result = {
        "parent_temperature": t,
        "ladder_from": above,
        "tau_alpha_sweeps": {"default": tau_default, "tuned": tau_tuned},
        "sweep_core_seconds": {"default": c_default, "tuned": c_tuned},
        "tau_alpha_core_seconds": {
            "default": tau_default * c_default,
            "tuned": tau_tuned * c_tuned,
        },
        "stationarity": {
            "random_default": {
                **random,
                "tau_alpha": random["sweeps"] / tau_default if random["sweeps"] else None,
                "core_seconds": random["sweeps"] * c_default if random["sweeps"] else None,
            },
            "ladder_default": {
                **ladder_default,
                "tau_alpha": ladder_default["sweeps"] / tau_default,
                "core_seconds": ladder_default["sweeps"] * c_default,
            },
            "ladder_tuned": {
                **ladder_tuned,
                "tau_alpha": ladder_tuned["sweeps"] / tau_tuned,
                "core_seconds": ladder_tuned["sweeps"] * c_tuned,
            },
        },
        "sample_core_seconds": sample,
        "equilibrium_averages": averages,
        "ladder_check": ladder_check,
        "tuned_against_default_sigma": {
            key: agreement(averages["default"][key], averages["tuned"][key])
            for key in ["energy_per_particle", "pressure"]
        },
    }
    if not (random["passed"] and ladder_default["passed"] and ladder_tuned["passed"]):
        result["unresolved"] = "a chain did not pass the stationarity test within its sweeps"
        return result
    # Random starts with the tuned parameters are not run: the test is in units of tau_alpha, so
    # their sweeps are the default's scaled by the ratio of tau_alpha.
    random_tuned = random["sweeps"] * tau_tuned / tau_default
    costs = {
        "today": campaign_cost(random["sweeps"], tau_default, c_default, sample, 1),
        "tuned_parameters": campaign_cost(random_tuned, tau_tuned, c_tuned, sample, 1),
        "ladder": campaign_cost(ladder_default["sweeps"], tau_default, c_default, sample, 1),
        "branches": campaign_cost(random["sweeps"], tau_default, c_default, sample, 5),
        "ladder_and_branches": campaign_cost(
            ladder_default["sweeps"], tau_default, c_default, sample, 5
        ),
        "all": campaign_cost(ladder_tuned["sweeps"], tau_tuned, c_tuned, sample, 5),
    }
    result["core_seconds_per_sample"] = {
        "chain_of_20_today": (random["sweeps"] + (PER_CHAIN - 1) * SPACING * tau_default)
        * c_default
        / PER_CHAIN
        + sample,
        **{k: v / SAMPLES for k, v in costs.items()},
    }
    result["core_hours_for_100_samples"] = {k: v / 3600 for k, v in costs.items()}
    result["factor_against_today"] = {k: costs["today"] / v for k, v in costs.items() if k != "today"}
    return result


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--work", type=pathlib.Path, required=True)
    parser.add_argument("--temperatures", required=True)
    parser.add_argument("--tuned", required=True)
    parser.add_argument("--out", type=pathlib.Path, required=True)
    args = parser.parse_args()
    grid = args.temperatures.split(",")
    points = []
    for k, t in enumerate(grid):
        above = grid[k - 1] if k > 0 else "1.0"
        points.append(point(args.work, t, above))
    p, d = args.tuned.split(":")
    summary = {
        "benchmark": "scripts/bench-sampling",
        "n_particles": N,
        "samples": SAMPLES,
        "samples_per_chain": PER_CHAIN,
        "spacing_tau_alpha": SPACING,
        "branches": 5,
        "burn_in_tau_alpha": 4,
        "default_swap": "the defaults of the executable (docs/sampling.md)",
        "tuned_swap": {
            "swap_probability": float(p),
            "max_size_difference": None if d == "none" else float(d),
        },
        "points": points,
    }
    args.out.write_text(json.dumps(summary, indent=2) + "\n")
    for q in points:
        factors = q.get("factor_against_today", {})
        print(
            f"T_p = {q['parent_temperature']}: tau_alpha {q['tau_alpha_sweeps']['default']:.0f} / "
            f"{q['tau_alpha_sweeps']['tuned']:.0f} sweeps, "
            + ", ".join(f"{k} x{v:.2f}" for k, v in factors.items())
        )


if __name__ == "__main__":
    main()
