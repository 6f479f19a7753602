"""The paper's Fig. 1 in three dimensions, from the files of `pinch plot --soft-spots`.

For each glass: MEASUREMENT (modes with vectors, /elastic, every interacting pair's pinch with the
softness map) and FIELDS (the lowest quasilocalised mode `mode_<k>` and the pinch response of the pair
at its core `response_<i>_<j>`, each normalised, with their descriptions in /fields).

Writes into OUT:
- soft-spots.{png,pdf}: the glasses side by side, a slab through each (centred on its lowest QLM),
  particles coloured by their local pinch frequency (lowest omega^(ij) of their pairs); every QLM of
  the glass as a disc at its centre, of diameter its core size a0 (e N)^(1/3) and coloured by its
  frequency (filled if its centre lies in the slab, open if not);
- qlm-response-<glass>.{png,pdf}: the lowest QLM and the response of its core pair in a slab through
  their centres, and |u| against r on log-log axes beside the r^-2 far field, with the slopes of both
  beyond 2 a0;
- soft-spots.json: the numbers the figures show, per glass.
Frequencies in c_inf/a0 when SUMMARY (summary.h5 or summary.json of `pinch analyze`) gives c_inf, in
simulation units otherwise.

Usage: plot_soft_spots.py --out OUT [--summary SUMMARY] --glass LABEL MEASUREMENT FIELDS ...
"""

import argparse
import json
import math
import pathlib

import h5py
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.collections import PatchCollection
from matplotlib.colors import LogNorm, Normalize
from matplotlib.patches import Circle

SLAB_A0 = 2.0  # slab thickness of the softness map, in a0
FIELD_SLAB_A0 = 1.5  # slab thickness of the displacement fields, in a0
FAR_FIELD_A0 = 2.5  # the r^-2 line is drawn through the mean |u| of the shell at this radius
SLOPE_FROM_A0 = 2.0  # far-field slopes: least squares over the shells from here out to L/2
DISC = 0.35  # particles drawn as discs of this fraction of their size, so that two layers stay apart
ARROW_POWER = 1 / 3  # arrow length ∝ |u|^(1/3): the far field stays visible beside the core


def listed(value):
    """A list attribute: stored as an array, or as JSON text where pinch writes a list."""
    if isinstance(value, (bytes, str, np.str_)):
        value = json.loads(value)
    return list(np.atleast_1d(value))


def integers(value):
    return np.array(listed(value), dtype=int)


class Glass:
    def __init__(self, label, measurement, fields):
        self.label = label.replace("T_p", r"$T_\mathrm{p}$")
        self.name = pathlib.Path(measurement).stem
        with h5py.File(measurement, "r") as f:
            self.x = f["particles/all/position"][()]
            self.sizes = f["particles/all/diameter"][()]
            self.box = float(f["particles/all/box/edges"][0])
            self.frequencies = f["modes/frequencies"][()]
            self.participation = f["modes/participation_ratios"][()]
            self.centres = f["modes/centres"][()]
            self.local_omega = f["dipoles/local_omega_min"][()]
            self.shear = float(f["elastic"].attrs["shear_mean"])
        self.n = len(self.x)
        self.a0 = self.box / self.n ** (1 / 3)
        # A glass without a QLM below its phonon has no fields: its map is centred on its softest
        # particle.
        self.has_qlm = False
        self.qlms = np.array([], dtype=int)
        self.core_sizes, self.percentiles = [], []
        self.centre = int(np.nanargmin(self.local_omega))
        with h5py.File(fields, "r") as f:
            names = list(f["fields"]) if "fields" in f else []
            mode_name = next((n for n in names if n.startswith("mode_")), None)
            response_name = next((n for n in names if n.startswith("response_")), None)
            if mode_name and response_name:
                self.has_qlm = True
                self.mode = f[f"particles/all/{mode_name}"][()]
                self.response = f[f"particles/all/{response_name}"][()]
                self.mode_info = dict(f[f"fields/{mode_name}"].attrs)
                self.response_info = dict(f[f"fields/{response_name}"].attrs)
                self.qlms = integers(self.mode_info["quasilocalised_modes"])
                # Chosen and measured by pinch (analysis::softness): the core sizes a0 (eN)^(1/3)
                # and the softness percentiles of the QLMs' centres.
                self.core_sizes = [float(v) for v in listed(self.mode_info["core_sizes"])]
                self.percentiles = listed(self.mode_info["centre_softness_percentiles"])
                self.mode_index = int(mode_name.split("_")[1])
                self.centre = int(self.centres[self.mode_index])
                self.pair = integers(self.response_info["pair"])

    def relative(self, origin):
        """Positions relative to `origin`, by minimum image."""
        d = self.x - origin
        return d - self.box * np.round(d / self.box)



def units(summary):
    """c_inf from a summary of `pinch analyze` (summary.h5, or summary.json of the same model and N)."""
    c_inf = float("nan")
    if summary and summary.endswith(".json"):
        with open(summary) as f:
            c_inf = float(json.load(f).get("sound_speed_infinity") or "nan")
    elif summary:
        with h5py.File(summary, "r") as f:
            c_inf = float(f.attrs.get("sound_speed_infinity", float("nan")))
    if math.isfinite(c_inf) and c_inf > 0:
        return c_inf, r"$\omega\,a_0/c_\infty$"
    return None, r"$\omega$ [$\sqrt{\varepsilon/m}\,/\lambda_\mathrm{min}$]"


def frequency_scale(glass, c_inf):
    return glass.a0 / c_inf if c_inf else 1.0


def discs(d, glass, members, scale, **style):
    """The particles `members` as discs of `scale` times their size at their in-plane positions `d`."""
    return PatchCollection([Circle((d[k, 0], d[k, 1]), scale * glass.sizes[k]) for k in members], **style)


def slab_axes(ax, glass, title):
    """A slab's axes: the whole box about the slab's centre, equal scales."""
    half = glass.box / 2
    ax.set_xlim(-half, half)
    ax.set_ylim(-half, half)
    ax.set_aspect("equal")
    ax.set_xlabel(r"$x$ [$\lambda_\mathrm{min}$]")
    ax.set_ylabel(r"$y$ [$\lambda_\mathrm{min}$]")
    ax.set_title(title, fontsize=10)


def soft_spot_map(glasses, c_inf, label, out):
    scaled = [g.local_omega * frequency_scale(g, c_inf) for g in glasses]
    pooled = np.concatenate([s[np.isfinite(s)] for s in scaled])
    particle_norm = LogNorm(*np.percentile(pooled, [1, 99]))
    qlm_values = np.concatenate([g.frequencies[g.qlms] * frequency_scale(g, c_inf) for g in glasses])
    low, high = (qlm_values.min(), qlm_values.max()) if len(qlm_values) else (0.0, 1.0)
    qlm_norm = Normalize(low, high if high > low else low * 1.01 + 1e-12)
    fig, axes = plt.subplots(
        1, len(glasses), figsize=(5.6 * len(glasses) + 2.4, 6.0), squeeze=False, layout="constrained"
    )
    for ax, glass, omega in zip(axes[0], glasses, scaled):
        centre = glass.x[glass.centre]
        d = glass.relative(centre)
        inside = np.flatnonzero(np.abs(d[:, 2]) < SLAB_A0 * glass.a0 / 2)
        inside = inside[np.argsort(-np.nan_to_num(omega[inside], nan=np.inf))]  # the softest on top
        particles = discs(d, glass, inside, DISC, cmap="viridis_r", norm=particle_norm, edgecolor="none")
        particles.set_array(omega[inside])
        ax.add_collection(particles)
        in_slab = 0
        for k, core_size in zip(glass.qlms, glass.core_sizes):
            q = glass.relative(centre)[glass.centres[k]]
            here = abs(q[2]) < SLAB_A0 * glass.a0 / 2
            in_slab += here
            colour = plt.get_cmap("autumn")(qlm_norm(glass.frequencies[k] * frequency_scale(glass, c_inf)))
            ax.add_patch(
                Circle(
                    (q[0], q[1]),
                    0.5 * core_size,
                    facecolor=(*colour[:3], 0.3) if here else "none",
                    edgecolor=colour,
                    linewidth=2.5,
                    linestyle="-" if here else "--",
                )
            )
        ranks = ", ".join("–" if p is None else f"{100 * p:.1f}" for p in glass.percentiles)
        title = f"{glass.label}, N = {glass.n}: {len(glass.qlms)} QLMs below the lowest phonon\n"
        if glass.has_qlm:
            title += (
                f"({in_slab} centred in this slab of {SLAB_A0:g} $a_0$, the others dashed);\n"
                f"their centres at softness percentiles {ranks}%"
            )
        else:
            title += f"(a slab of {SLAB_A0:g} $a_0$ through its softest particle)"
        slab_axes(ax, glass, title)
    fig.colorbar(
        plt.cm.ScalarMappable(norm=particle_norm, cmap="viridis_r"),
        ax=axes[0].tolist(),
        shrink=0.8,
        label="local pinch frequency " + label.replace(r"\omega", r"\omega^{(ij)}_\mathrm{min}"),
    )
    fig.colorbar(
        plt.cm.ScalarMappable(norm=qlm_norm, cmap="autumn"),
        ax=axes[0].tolist(),
        shrink=0.8,
        label="QLM frequency " + label,
    )
    for extension in ("png", "pdf"):
        fig.savefig(out / f"soft-spots.{extension}", dpi=150)
    plt.close(fig)


def radial_profile(glass, field, origin):
    """Mean |u| in logarithmic shells about `origin` out to L/2 (the largest complete sphere)."""
    r = np.linalg.norm(glass.relative(origin), axis=1)
    magnitude = np.linalg.norm(field, axis=1)
    edges = np.geomspace(0.4 * glass.a0, glass.box / 2, 16)
    which = np.digitize(r, edges) - 1
    radius, mean = [], []
    for b in range(len(edges) - 1):
        members = which == b
        if members.sum() >= 3:
            radius.append(np.sqrt(edges[b] * edges[b + 1]))
            mean.append(magnitude[members].mean())
    return np.array(radius), np.array(mean)


def field_slab(ax, glass, field, origin, title):
    d = glass.relative(origin)
    inside = np.abs(d[:, 2]) < FIELD_SLAB_A0 * glass.a0 / 2
    ax.add_collection(
        discs(d, glass, np.flatnonzero(inside), 0.5, facecolor="0.88", edgecolor="0.7", linewidth=0.3)
    )
    u = field[inside]
    magnitude = np.linalg.norm(u, axis=1)
    length = 0.9 * glass.a0 * (magnitude / magnitude.max()) ** ARROW_POWER
    planar = np.linalg.norm(u[:, :2], axis=1)
    shown = length * np.divide(1.0, planar, out=np.zeros_like(planar), where=planar > 0)
    ax.quiver(
        d[inside, 0],
        d[inside, 1],
        u[:, 0] * shown,
        u[:, 1] * shown,
        magnitude,
        cmap="magma_r",
        norm=LogNorm(magnitude.max() * 1e-2, magnitude.max()),
        angles="xy",
        scale_units="xy",
        scale=1.0,
        width=0.004,
    )
    slab_axes(ax, glass, title)


def qlm_and_response(glass, c_inf, label, out):
    scale = frequency_scale(glass, c_inf)
    mode_centre = glass.x[glass.centre]
    i, j = glass.pair
    midpoint = glass.x[i] + 0.5 * glass.relative(glass.x[i])[j]
    overlap = abs(np.sum(glass.mode * glass.response))
    pinch_label = label.replace(r"\omega", r"\omega^{(ij)}")
    fig, axes = plt.subplots(1, 3, figsize=(17, 5.4))
    field_slab(
        axes[0],
        glass,
        glass.mode,
        mode_centre,
        f"lowest QLM: {label} = {glass.frequencies[glass.mode_index] * scale:.3g}, "
        f"e = {glass.participation[glass.mode_index]:.3f}",
    )
    field_slab(
        axes[1],
        glass,
        glass.response,
        midpoint,
        f"pinch of its core pair ({i}, {j}): {pinch_label} = "
        f"{float(glass.response_info['omega']) * scale:.3g}\n"
        f"overlap with the QLM $|\\psi\\cdot\\hat u|$ = {overlap:.3f}",
    )
    ax = axes[2]
    slopes = {}
    for field, origin, name, key, style in [
        (glass.mode, mode_centre, "QLM about its centre", "qlm", "o-"),
        (glass.response, midpoint, "pinch response about the pair", "pinch", "s-"),
    ]:
        r, u = radial_profile(glass, field, origin)
        far = r / glass.a0 >= SLOPE_FROM_A0
        slopes[key] = float(np.polyfit(np.log(r[far]), np.log(u[far]), 1)[0])
        ax.loglog(r / glass.a0, u, style, markersize=4,
                  label=f"{name}: slope {slopes[key]:.2f} beyond {SLOPE_FROM_A0:g} $a_0$")
    r_ref = np.geomspace(1.0, glass.box / 2 / glass.a0, 20)
    # Through the pinch response's profile, the last one drawn.
    anchor = np.interp(np.log(FAR_FIELD_A0), np.log(r / glass.a0), np.log(u))
    ax.loglog(r_ref, np.exp(anchor) * (r_ref / FAR_FIELD_A0) ** -2, "k--", label=r"$r^{-2}$")
    ax.set_xlabel(r"$r/a_0$")
    ax.set_ylabel(r"mean $|u|$ in the shell (fields normalised)")
    ax.set_title(f"{glass.label}: decay out to $L/2$ = {glass.box / 2 / glass.a0:.1f} $a_0$", fontsize=10)
    ax.legend(fontsize=9)
    fig.suptitle(
        f"{glass.label}, N = {glass.n}: slabs of {FIELD_SLAB_A0:g} $a_0$ through the centres; arrows: "
        r"in-plane direction, length $\propto|u|^{1/3}$, colour $|u|$",
        fontsize=11,
    )
    fig.tight_layout()
    for extension in ("png", "pdf"):
        fig.savefig(out / f"qlm-response-{glass.name}.{extension}", dpi=150)
    plt.close(fig)
    return {
        "lowest_qlm": {
            "frequency": float(glass.frequencies[glass.mode_index] * scale),
            "participation_ratio": float(glass.participation[glass.mode_index]),
        },
        "core_pair": [int(i), int(j)],
        "pinch_frequency": float(glass.response_info["omega"]) * scale,
        "overlap_with_the_qlm": float(overlap),
        "far_field_slopes": slopes,
    }


def numbers(glass, c_inf):
    """What the soft-spot map shows of `glass`, in the figure's units."""
    scale = frequency_scale(glass, c_inf)
    return {
        "label": glass.label,
        "n_particles": glass.n,
        "shear_modulus": glass.shear,
        "lowest_transverse_phonon": (
            float(glass.mode_info["lowest_transverse_phonon"]) * scale if glass.has_qlm else None
        ),
        "median_local_pinch_frequency": float(np.nanmedian(glass.local_omega) * scale),
        "qlm_frequencies": [float(glass.frequencies[k] * scale) for k in glass.qlms],
        "qlm_core_sizes_a0": [size / glass.a0 for size in glass.core_sizes],
        "qlm_centre_softness_percentiles": glass.percentiles,
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=pathlib.Path, required=True)
    parser.add_argument("--summary")
    parser.add_argument("--glass", nargs=3, action="append", required=True,
                        metavar=("LABEL", "MEASUREMENT", "FIELDS"))
    args = parser.parse_args()
    glasses = [Glass(*g) for g in args.glass]
    c_inf, label = units(args.summary)
    args.out.mkdir(parents=True, exist_ok=True)
    soft_spot_map(glasses, c_inf, label, args.out)
    report = {"frequency_unit": "c_inf/a0" if c_inf else "sqrt(epsilon/m)/lambda_min", "glasses": []}
    for glass in glasses:
        entry = numbers(glass, c_inf)
        if glass.has_qlm:
            entry |= qlm_and_response(glass, c_inf, label, args.out)
        report["glasses"].append(entry)
    (args.out / "soft-spots.json").write_text(json.dumps(report, indent=2) + "\n")
    print(f"   wrote soft-spots.png/.pdf, qlm-response-*.png/.pdf and soft-spots.json in {args.out}")


if __name__ == "__main__":
    main()
