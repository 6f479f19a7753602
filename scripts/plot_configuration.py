"""Plots a pinch configuration file: its size distribution against p(λ) ∝ λ⁻³ and the pair potential of its
model (read from /parameters/model) for the smallest, a typical and the largest pair.

Usage: plot_configuration.py CONFIGURATION.h5 OUTPUT_STEM   (writes OUTPUT_STEM.png and OUTPUT_STEM.pdf)
"""
import sys

import h5py
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from scipy.special import factorial2


def coefficients(cutoff, q):
    """c_2l of the smoothed r^-10 potential (same general formula as pinch, computed independently)."""
    return [
        (-1) ** (l + 1) * factorial2(10 + 2 * q) / (factorial2(2 * q - 2 * l) * factorial2(2 * l) * factorial2(8) * (10 + 2 * l))
        * cutoff ** (-(10 + 2 * l))
        for l in range(q + 1)
    ]


path, stem = sys.argv[1], sys.argv[2]
with h5py.File(path, "r") as f:
    sizes = f["particles/all/diameter"][()]
    model = dict(f["parameters/model"].attrs)
lmin, lmax, xc, q, na = (model[k] for k in ("lambda_min", "lambda_max", "cutoff", "smoothing_order", "non_additivity"))

fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
bins = np.linspace(lmin, lmax, 30)
left.hist(sizes, bins=bins, density=True, alpha=0.6, label=f"{len(sizes)} particles")
lam = np.linspace(lmin, lmax, 200)
left.plot(lam, 2 / (lmin**-2 - lmax**-2) * lam**-3, "k-", label=r"$p(\lambda)\propto\lambda^{-3}$")
left.set_xlabel(r"size $\lambda$ [$\lambda_{\min}$]")
left.set_ylabel(r"$p(\lambda)$")
left.legend()

c = coefficients(xc, int(q))
for a, b in [(lmin, lmin), (np.median(sizes), np.median(sizes)), (lmin, lmax), (lmax, lmax)]:
    pair = 0.5 * (a + b) * (1 - na * abs(a - b))
    r = np.linspace(0.8 * pair, 1.05 * xc * pair, 400)
    x = r / pair
    phi = np.where(x < xc, x**-10 + sum(cl * x ** (2 * l) for l, cl in enumerate(c)), 0.0)
    right.plot(r, phi, label=rf"$\lambda_i={a:.2f}, \lambda_j={b:.2f}$")
right.set_yscale("log")
right.set_ylim(1e-4, 1e2)
right.set_xlabel(r"$r$ [$\lambda_{\min}$]")
right.set_ylabel(r"$\varphi(r)$ [$\varepsilon$]")
right.set_title(f"smoothed $r^{{-10}}$, $x_c$ = {xc}, q = {int(q)}")
right.legend(fontsize=8)
fig.tight_layout()
for extension in ("png", "pdf"):
    fig.savefig(f"{stem}.{extension}", dpi=120)
print(f"   wrote {stem}.png and {stem}.pdf")
