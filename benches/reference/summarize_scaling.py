"""Collects the runs of scripts/bench-scaling into one JSON file and a figure, with parallel
efficiencies and the communication model of docs/scaling.md fitted to the measured points.

Usage: summarize_scaling.py --out OUT.json --figure OUT.png --reference QUENCH-1-RANK.h5
                            --records PART:RANKS:N:FILE ... [--controls PART:P:N:FILE ...]
                            [--checks RANKS:FILE ...]
"""

import argparse
import json
import math
import platform

import h5py
import numpy as np
from scipy.optimize import nnls

# Model parameters (pinch defaults): halo width h = x_c * lambda_max + skin, number density rho.
HALO = 1.48 * 2.22 + 0.3
DENSITY = 0.58
# Interconnect assumed for the extrapolation (a typical InfiniBand cluster, 64-128 ranks per node
# sharing one 100-200 Gb/s link): latency per message, bandwidth per rank, latency per reduction stage.
LATENCY = 2e-6
BANDWIDTH = 1e9
REDUCTION_LATENCY = 2e-6


def grid(p):
    """The most cubic factorisation p = a*b*c (as MPI_Dims_create), largest first."""
    best = None
    for a in range(1, p + 1):
        if p % a:
            continue
        for b in range(1, p // a + 1):
            if (p // a) % b:
                continue
            c = p // a // b
            dims = sorted((a, b, c), reverse=True)
            spread = dims[0] / dims[2]
            if best is None or spread < best[0]:
                best = (spread, dims)
    return best[1]


def ghosts_per_rank(n_particles, ranks):
    """Particles within the halo width of one rank's domain (images of its own included on 1 rank)."""
    box = (n_particles / DENSITY) ** (1 / 3)
    sides = [box / d for d in grid(ranks)]
    return DENSITY * (math.prod(s + 2 * HALO for s in sides) - math.prod(sides))


def messages(part):
    """Point-to-point messages per step: 3 stages x 2 directions per halo update; swap Monte Carlo
    updates the ghosts of each of its 8 colours."""
    return {"forces": 6, "monte_carlo": 48}[part]


def reductions(part):
    """Global reductions per step (FIRE: power, norms, largest force and displacement; swap Monte
    Carlo: acceptance counts and the rebuild decision)."""
    return {"forces": 4, "monte_carlo": 2}[part]


def read(part, path):
    if part == "forces":
        row = json.load(open(path))["forces"][0]
        return {
            "seconds_per_step": row["seconds_per_evaluation"],
            "hessian_assembly_seconds": row["hessian_assembly_seconds"],
            "per_second_per_core": row["particle_force_evaluations_per_second_per_core"],
            "peak_memory_bytes": row["peak_memory_bytes"],
        }
    with h5py.File(path, "r") as f:
        if part == "monte_carlo":
            o = f["observables"]
            rate = float(o["attempts_per_second_per_rank"][()])
            return {"per_second_per_core": rate, "seconds": float(o["seconds"][()])}
        if part == "quench":
            o = f["observables"]
            steps = int(o["quench_fire_steps"][()])
            return {
                "seconds": float(o["quench_seconds"][()]),
                "fire_steps": steps,
                "newton_steps": int(o["quench_newton_steps"][()]),
                "seconds_per_step": float(o["quench_fire_seconds"][()]) / max(steps, 1),
                "energy_per_particle": float(o["energy_per_particle"][()]),
                "converged": bool(o["quench_converged"][()]),
            }
        if part == "shear":
            e = f["elastic"].attrs
            return {"seconds": float(e["seconds"]), "method": str(e["method"]),
                    "shear_modulus": float(e["shear_mean"])}
        if part == "modes":
            m = f["modes"].attrs
            return {"seconds": float(m["seconds"]), "method": str(m["method"]),
                    "lowest_eigenvalue": float(f["modes/eigenvalues"][0])}
    raise ValueError(part)


def positions(path):
    with h5py.File(path, "r") as f:
        data = f["particles/all/position"]
        return np.asarray(data["value"][-1] if isinstance(data, h5py.Group) else data[()])


def step_time(r):
    """Seconds per step on one rank: a force evaluation, a sweep, a FIRE step, or the whole solve."""
    if r["part"] == "monte_carlo":
        return r["n_particles"] / r["ranks"] / r["per_second_per_core"]
    if r["part"] in ("forces", "quench"):
        return r["seconds_per_step"]
    return r["seconds"]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    parser.add_argument("--figure", required=True)
    parser.add_argument("--reference", required=True)
    parser.add_argument("--records", nargs="+", required=True)
    parser.add_argument("--controls", nargs="*", default=[])
    parser.add_argument("--checks", nargs="*", default=[])
    args = parser.parse_args()

    def parse(record):
        part, ranks, n, path = record.split(":", 3)
        entry = {"part": part, "ranks": int(ranks), "n_particles": int(n)}
        entry.update(read(part, path))
        return entry

    # Repeated measurements of one (part, ranks, N): the fastest counts, all are kept.
    grouped = {}
    for record in args.records:
        entry = parse(record)
        grouped.setdefault((entry["part"], entry["ranks"], entry["n_particles"]), []).append(entry)
    runs = []
    for entries in grouped.values():
        best = dict(min(entries, key=step_time))
        if len(entries) > 1:
            best["repeats_seconds_per_step"] = [step_time(e) for e in entries]
        runs.append(best)
    single = {(r["part"], r["n_particles"]): step_time(r) for r in runs if r["ranks"] == 1}

    # Efficiencies against one rank: strong t1(N) / (P tP(N)), weak t1(N/P) / tP(N).
    for r in runs:
        p, n = r["ranks"], r["n_particles"]
        if p == 1:
            continue
        t = step_time(r)
        if (r["part"], n) in single:
            r["strong_efficiency"] = single[(r["part"], n)] / (p * t)
        if n % p == 0 and (r["part"], n // p) in single:
            r["weak_efficiency"] = single[(r["part"], n // p)] / t

    # The control: P independent 1-rank runs at once; their slowdown is the machine's, not pinch's.
    contention = {}
    for record in args.controls:
        part, ranks, n, path = record.split(":", 3)
        entry = {"part": part, "ranks": 1, "n_particles": int(n)}
        entry.update(read(part, path))
        key = (part, int(ranks))
        contention.setdefault(key, []).append(single[(part, int(n))] / step_time(entry))
    control = {f"{part}:{p}": {"ranks": p, "part": part, "efficiencies": v, "mean": float(np.mean(v))}
               for (part, p), v in contention.items()}

    # The model. One rank takes t1(n) = a n + b g(n) per step, g the ghosts within the halo width of its
    # domain (on one rank, its own periodic images), fitted to the 1-rank points. P ranks on this
    # machine take t(P, N) = t1(n) / kappa(P) + c g(P, N), n = N/P: kappa(P) the slowdown of P
    # independent runs at once (the control), c the cost per ghost of exchanging ghosts with other
    # ranks and of waiting for them at every halo update, fitted to the smallest P-rank point and
    # checked against the others. On a cluster, messages cost latency and bandwidth on top.
    model = {}
    for part in ("forces", "monte_carlo"):
        points = sorted((r for r in runs if r["part"] == part and r["ranks"] == 1), key=lambda r: r["n_particles"])
        parallel = sorted((r for r in runs if r["part"] == part and r["ranks"] > 1), key=lambda r: r["n_particles"])
        if len(points) < 2 or not parallel:
            continue
        # Sizes whose data outgrow the caches run slower per particle (a memory effect, not a parallel
        # one): the fit takes the sizes up to the largest per-rank size of the parallel runs.
        largest = max(r["n_particles"] // r["ranks"] for r in parallel)
        fitted = [r for r in points if r["n_particles"] <= largest]
        rows = np.array([[r["n_particles"], ghosts_per_rank(r["n_particles"], 1)] for r in fitted])
        times = np.array([step_time(r) for r in fitted])
        # Relative non-negative least squares: every size counts alike, and no cost is negative.
        (a, b), _ = nnls(rows / times[:, None], np.ones(len(times)))
        fit = [{"n_particles": r["n_particles"], "measured_seconds": float(t),
                "fitted_seconds": float(a * row[0] + b * row[1]), "relative_error": float((a * row[0] + b * row[1]) / t - 1)}
               for r, row, t in zip(fitted, rows, times)]
        beyond = [{"n_particles": r["n_particles"], "measured_seconds": step_time(r),
                   "fitted_seconds": float(a * r["n_particles"] + b * ghosts_per_rank(r["n_particles"], 1))}
                  for r in points if r["n_particles"] > largest]
        kappa = {c["ranks"]: c["mean"] for c in control.values() if c["part"] == part}

        def one_rank(n):
            """The measured 1-rank time at n when there is one, else the fit."""
            return single.get((part, n), a * n + b * ghosts_per_rank(n, 1))

        first = parallel[0]
        n_first = first["n_particles"] // first["ranks"]
        c = max(0.0, (step_time(first) - one_rank(n_first) / kappa.get(first["ranks"], 1.0))
                / ghosts_per_rank(first["n_particles"], first["ranks"]))

        def local_time(n_total, ranks):
            return a * n_total / ranks + b * ghosts_per_rank(n_total, ranks)

        validation = []
        for r in parallel:
            n = r["n_particles"] // r["ranks"]
            k = kappa.get(r["ranks"], 1.0)
            predicted = one_rank(n) / k + c * ghosts_per_rank(r["n_particles"], r["ranks"])
            validation.append({"ranks": r["ranks"], "n_particles": r["n_particles"], "fitted_to": r is first,
                               "measured_seconds": step_time(r), "predicted_seconds": predicted,
                               "relative_error": predicted / step_time(r) - 1, "contention": k})

        def cluster_time(n_total, ranks):
            g = ghosts_per_rank(n_total, ranks)
            network = 0.0
            if ranks > 1:
                network = (c * g + messages(part) * LATENCY + 24 * g / BANDWIDTH
                           + reductions(part) * REDUCTION_LATENCY * math.log2(ranks))
            return local_time(n_total, ranks) + network

        def strong_curve(n):
            base = cluster_time(n, 1)
            return [{"ranks": ranks, "particles_per_rank": n / ranks,
                     "efficiency": base / (ranks * cluster_time(n, ranks))}
                    for ranks in [2 ** k for k in range(0, 15)] if n / ranks >= 50]

        def weak_curve(per_rank):
            base = cluster_time(per_rank, 1)
            return [{"ranks": ranks, "efficiency": base / cluster_time(per_rank * ranks, ranks)}
                    for ranks in [2 ** k for k in range(0, 15)]]

        curves = {f"strong_n_{n}": strong_curve(n) for n in (16_000, 1_000_000, 100_000_000)}
        curves.update({f"weak_{n}_per_rank": weak_curve(n) for n in (16_000, 64_000)})
        below_half = {key: next((c for c in curve if c["efficiency"] < 0.5), None)
                      for key, curve in curves.items() if key.startswith("strong")}
        model[part] = {"seconds_per_particle": a, "seconds_per_ghost": b,
                       "seconds_per_exchanged_ghost": c, "fit": fit,
                       "beyond_the_fit": beyond, "contention": kappa,
                       "validation": validation, "curves": curves, "strong_efficiency_below_half": below_half}

    reference = positions(args.reference)
    with h5py.File(args.reference, "r") as f:
        reference_energy = float(f["observables/energy_per_particle"][()])
    checks = []
    for check in args.checks:
        ranks, path = check.split(":", 1)
        with h5py.File(path, "r") as f:
            energy = float(f["observables/energy_per_particle"][()])
        difference = positions(path) - reference
        checks.append({"ranks": int(ranks), "energy_per_particle": energy,
                       "relative_energy_difference": abs(energy / reference_energy - 1),
                       "largest_position_difference": float(np.max(np.abs(difference)))})

    report = {
        "benchmark": "strong and weak scaling (scripts/bench-scaling), one core per rank",
        "machine": platform.machine(), "processor": platform.processor(),
        "model_assumptions": {"halo_width": HALO, "number_density": DENSITY, "latency_seconds": LATENCY,
                              "bandwidth_bytes_per_second_per_rank": BANDWIDTH,
                              "reduction_latency_seconds_per_stage": REDUCTION_LATENCY},
        "runs": runs, "control": control, "model": model, "oversubscribed_quench_checks": checks,
    }
    with open(args.out, "w") as f:
        json.dump(report, f, indent=2)

    for r in sorted(runs, key=lambda r: (r["part"], r["ranks"], r["n_particles"])):
        line = f"{r['part']:>12} P={r['ranks']} N={r['n_particles']:>7}: {step_time(r):.4g} s per step"
        for key in ("strong_efficiency", "weak_efficiency"):
            if key in r:
                line += f", {key.replace('_', ' ')} {r[key]:.3f}"
        print(line)
    for c in control.values():
        print(f"control {c['part']}: {c['ranks']} independent 1-rank runs at once run at "
              + ", ".join(f"{e:.3f}" for e in c["efficiencies"]) + " of one alone")
    for part, m in model.items():
        print(f"model {part}: {m['seconds_per_particle']:.3e} s per particle, {m['seconds_per_ghost']:.3e} s per ghost; "
              "1-rank fit within " + f"{100 * max(abs(f['relative_error']) for f in m['fit']):.1f}%")
        for b in m["beyond_the_fit"]:
            print(f"  1 rank at N={b['n_particles']} (outside the caches): measured {b['measured_seconds']:.4g} s, "
                  f"model {b['fitted_seconds']:.4g} s")
        print(f"  exchange with other ranks: {m['seconds_per_exchanged_ghost']:.3e} s per ghost")
        for v in m["validation"]:
            print(f"  P={v['ranks']} N={v['n_particles']}: measured {v['measured_seconds']:.4g} s; "
                  f"{'fitted' if v['fitted_to'] else 'predicted'} {v['predicted_seconds']:.4g} s "
                  f"({100 * v['relative_error']:+.1f}%; contention {v['contention']:.3f})")
        for key, c in m["strong_efficiency_below_half"].items():
            if c:
                print(f"  {key}: efficiency below 50% from {c['ranks']} ranks ({c['particles_per_rank']:.0f} particles per rank)")
    for c in checks:
        print(f"oversubscribed quench on {c['ranks']} ranks: energy differs by {c['relative_energy_difference']:.1e}, "
              f"positions by {c['largest_position_difference']:.1e}")

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 3, figsize=(17, 5), gridspec_kw={"width_ratios": [1, 1.1, 1]})
    labels = {"forces": "force evaluation", "monte_carlo": "swap Monte Carlo", "quench": "quench (per FIRE step)",
              "shear": "shear modulus (CG + GAMG)", "modes": "10 modes (LOBPCG + GAMG)"}
    ax = axes[0]
    for part in labels:
        pts = sorted((r for r in runs if r["part"] == part), key=lambda r: (r["ranks"], r["n_particles"]))
        if not pts:
            continue
        for p, marker in ((1, "o"), (2, "s")):
            sel = [r for r in pts if r["ranks"] == p]
            if sel:
                ax.loglog([r["n_particles"] for r in sel], [step_time(r) for r in sel], marker + ("-" if p == 1 else ""),
                          label=f"{labels[part]}, {p} rank{'s' if p > 1 else ''}", color=f"C{list(labels).index(part)}",
                          mfc="none" if p > 1 else None)
    ax.set_xlabel("N")
    ax.set_ylabel("seconds per step (per solve for shear and modes)")
    ax.set_title("time")
    ax.legend(fontsize=6)
    ax = axes[1]
    names, values, colours = [], [], []
    for r in sorted(runs, key=lambda r: (list(labels).index(r["part"]), r["n_particles"])):
        for key, kind in (("strong_efficiency", "strong"), ("weak_efficiency", "weak")):
            if key in r:
                per_rank = f"{r['n_particles'] // r['ranks']:,}/rank" if kind == "weak" else f"N={r['n_particles']:,}"
                names.append(f"{labels[r['part']].split(' (')[0]}, {kind}, {per_rank}")
                values.append(r[key])
                colours.append(f"C{list(labels).index(r['part'])}")
    for c in control.values():
        names.append(f"control: {c['ranks']} x 1-rank {labels[c['part']]}")
        values.append(c["mean"])
        colours.append("grey")
    ax.barh(range(len(values)), values, color=colours)
    ax.set_yticks(range(len(values)))
    ax.set_yticklabels(names, fontsize=6)
    ax.axvline(0.9, color="k", ls=":", lw=1)
    ax.set_xlabel("parallel efficiency at 2 ranks")
    ax.set_title("measured efficiency (1 core per rank)")
    ax = axes[2]
    for part, style in (("forces", "-"), ("monte_carlo", "--")):
        if part not in model:
            continue
        for key, label in (("strong_n_16000", "strong, N = 16,000"), ("strong_n_1000000", "strong, N = 10⁶"),
                           ("strong_n_100000000", "strong, N = 10⁸"), ("weak_64000_per_rank", "weak, 64,000/rank")):
            curve = model[part]["curves"][key]
            ax.semilogx([c["ranks"] for c in curve], [c["efficiency"] for c in curve], style,
                        label=f"{labels[part]}: {label}")
    ax.axhline(0.5, color="grey", ls=":", lw=1)
    ax.set_xlabel("ranks P")
    ax.set_ylabel("parallel efficiency (model)")
    ax.set_title("model on a cluster (2 µs, 1 GB/s per rank)", fontsize=10)
    ax.set_ylim(0, 1.1)
    ax.legend(fontsize=6)
    fig.tight_layout()
    fig.savefig(args.figure, dpi=130)


if __name__ == "__main__":
    main()
