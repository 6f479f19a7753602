"""Plots an equilibration run and the samples measured from its snapshots: energy and F_s(k*, t) of the
run; per sample the cumulative number of modes against frequency (with ω⁵ for reference), the
distribution of dipole frequencies ω^(ij) with ω_g, and the radial profile of the dipole responses.
Prints a table of the samples.

Usage: plot_samples.py RUN.h5 OUTPUT_STEM SAMPLE.h5 ...   (writes OUTPUT_STEM.png and OUTPUT_STEM.pdf)
"""
import sys

import h5py
import matplotlib
import matplotlib.ticker

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

run, stem, samples = sys.argv[1], sys.argv[2], sys.argv[3:]
figure, axes = plt.subplots(2, 2, figsize=(10, 8))
with h5py.File(run, "r") as f:
    series = f["observables/equilibration"]
    # Leave out the first 5% of the run: the fall from the random start would hide the fluctuations.
    sweep, energy = series["sweep"][:], series["energy_per_particle"][:]
    later = sweep >= 0.05 * sweep[-1]
    axes[0, 0].plot(sweep[later], energy[later], lw=0.8)
    temperature = float(f["observables/parent_temperature"][()])
    scattering = f["observables/self_intermediate_scattering"]
    inset = axes[0, 0].inset_axes([0.45, 0.45, 0.5, 0.45])
    lag, value = scattering["lag"][:], scattering["value"][:]
    inset.semilogx(np.maximum(lag, 1), value)
    inset.axhline(np.exp(-1), color="grey", lw=0.5)
    inset.set_xlabel("t [sweeps]", fontsize=7)
    inset.set_ylabel("F_s(k*, t)", fontsize=7)
    inset.tick_params(labelsize=7)
axes[0, 0].set_xlabel("sweep")
axes[0, 0].set_ylabel("U/N [ε]")
axes[0, 0].set_title(f"swap Monte Carlo at T_p = {temperature}")

print(f"{'sample':<28} {'U_IS/N':>8} {'G':>8} {'K':>8} {'omega_min':>10} {'omega_g':>8} {'modes':>6} {'dipoles':>8}")
for path in samples:
    with h5py.File(path, "r") as f:
        frequencies = f["modes/frequencies"][:]
        omega = f["dipoles/omega"][:]
        elastic = dict(f["elastic"].attrs)
        dipoles = dict(f["dipoles"].attrs)
        energy = float(f["observables/energy_per_particle"][()])
        radius = f["dipoles/profile/radius"][:]
        count = f["dipoles/profile/count"][:]
        magnitude2 = f["dipoles/profile/sum_magnitude2"][:]
        n = len(f["particles/all/diameter"])
    name = path.split("/")[-1]
    axes[0, 1].loglog(frequencies, np.arange(1, len(frequencies) + 1) / (3 * n), drawstyle="steps-post", label=name)
    axes[1, 0].hist(omega, bins=30, histtype="step", density=True, label=f"{name}: ω_g = {dipoles['omega_g']:.3f}")
    shells = count > 0
    r = radius[shells]
    axes[1, 1].loglog(r, r ** 2 * np.sqrt(magnitude2[shells] / count[shells]), label=name)
    print(f"{name:<28} {energy:8.4f} {elastic['shear_mean']:8.4f} {elastic['bulk']:8.3f} {frequencies[0]:10.4f} {dipoles['omega_g']:8.4f} {len(frequencies):6d} {len(omega):8d}")
axes[0, 1].set_xlabel("ω [raw units]")
axes[0, 1].set_ylabel("cumulative modes per degree of freedom")
axes[0, 1].set_title("lowest vibrational modes")
axes[0, 1].legend(fontsize=7)
axes[1, 0].set_xlabel("ω^(ij) = (dᵀH⁺d / dᵀH⁺²d)^½")
axes[1, 0].set_ylabel("density")
axes[1, 0].set_title("force-dipole frequencies")
axes[1, 0].legend(fontsize=7)
axes[1, 1].set_xlabel("r from the pair's midpoint [λ_min]")
axes[1, 1].xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
axes[1, 1].set_ylabel("r² ⟨|u|²⟩^½ (u normalised)")
axes[1, 1].set_title("radial profile of the dipole responses")
figure.tight_layout()
figure.savefig(f"{stem}.png", dpi=120)
figure.savefig(f"{stem}.pdf")
