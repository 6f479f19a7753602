"""Plots the figures of Rainone, Bouchbinder & Lerner (PNAS 2020) from a campaign's summary.h5 (written
by `pinch analyze`), each as PNG and PDF in OUTDIR:

  fig2-cumulative-dos      cumulative DOS per degree of freedom against ω per T_p, with the fitted
                           (A_g/5) ω⁵ over each fit window; inset: A_g against T_p
  fig4-omega-g-and-shear   ω_g (with √⟨κ⟩ and the median ω^(ij)), the shear modulus G and the number of
                           QLMs 𝒩 = A_g ω_g⁵ against T_p
  fig5-boltzmann           𝒩 against T_onset/T_p with the Boltzmann fit, slope −E_QLM/(k_B T_onset)
  fig6-lengths             ξ_g, ξ_co, ξ_QLM and the QLMs' participation length against T_p
  finite-size              ω_min and A_g against N per T_p (only with several N)
  profiles                 radial profiles of the dipole responses and of the QLMs, with ξ_co and ξ_QLM

Quantities are in the paper's units (T_p/T_onset, ω a0/c_∞, ξ/a0, G a0³/k_B T_onset) when the onset fit
is known, in raw units (ε/k_B, √(ε/m)/λ_min, λ_min) otherwise. Prints the files written.

Usage: plot_campaign.py SUMMARY.h5 OUTDIR
"""
import json
import math
import os
import sys

import h5py
import matplotlib
import matplotlib.colors
import matplotlib.ticker
from matplotlib.lines import Line2D

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

plt.rcParams.update({
    "font.size": 11,
    "axes.labelsize": 12,
    "axes.titlesize": 11,
    "legend.fontsize": 8.5,
    "xtick.labelsize": 10,
    "ytick.labelsize": 10,
    "xtick.direction": "in",
    "ytick.direction": "in",
    "xtick.top": True,
    "ytick.right": True,
    "legend.frameon": False,
    "savefig.dpi": 150,
})

MARKERS = ["o", "s", "^", "D", "v", "p", "h", "<", ">"]
# Cold (low T_p) to hot (high T_p), every shade dark enough to read on white.
TEMPERATURE_MAP = matplotlib.colors.LinearSegmentedColormap.from_list(
    "cold-hot", ["#0c2c84", "#2c7fb8", "#6a51a3", "#ae017e", "#e31a1c", "#f58220"])
SERIES = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e"]


def number(x):
    """A float from an attribute or JSON value; NaN for null, text and anything else unreadable."""
    if isinstance(x, dict):
        x = x.get("value")
    try:
        return float(x)
    except (TypeError, ValueError):
        return math.nan


def finite(x):
    return isinstance(x, float) and math.isfinite(x)


def parsed(x):
    """Attributes holding nested values are JSON text; plain numbers pass through."""
    if isinstance(x, bytes):
        x = x.decode()
    if isinstance(x, str):
        try:
            return json.loads(x)
        except ValueError:
            return x
    if isinstance(x, np.generic):
        return x.item()
    return x


class Point:
    """One (N, T_p) point: its scalars (as in summary_json) and its curves (from its h5 group)."""

    def __init__(self, record):
        self.record = record
        self.curves = {}
        self.n = int(number(record.get("n_particles"))) if finite(number(record.get("n_particles"))) else 0
        self.temperature = number(record.get("parent_temperature"))
        self.a0 = number(record.get("a0"))

    def value(self, key):
        return number(self.record.get(key))

    def error(self, key):
        v = self.record.get(key)
        if isinstance(v, dict):
            return number(v.get("error"))
        return number(self.record.get(key + "_error"))

    def window(self, key="a_g_window"):
        w = parsed(self.record.get(key))
        if isinstance(w, (list, tuple)) and len(w) == 2:
            return number(w[0]), number(w[1])
        return math.nan, math.nan

    def curve(self, name):
        return np.asarray(self.curves.get(name, np.empty(0)), dtype=float)


def flat_record(attrs):
    """A point group's flat attributes (x, x_error) as summary_json's {"value", "error"} pairs."""
    attrs = {k: parsed(v) for k, v in attrs.items()}
    record = {}
    for key, v in attrs.items():
        if key.endswith("_error"):
            continue
        record[key] = {"value": v, "error": attrs[key + "_error"]} if key + "_error" in attrs else v
    # A pair whose value was NaN may be stored with its error only.
    for key, v in attrs.items():
        if key.endswith("_error") and key[:-6] not in record:
            record[key[:-6]] = {"value": None, "error": v}
    return record


def load(path):
    """The summary as a dict (from summary_json, else from the attributes) and its points with curves."""
    with h5py.File(path, "r") as f:
        root = {k: parsed(v) for k, v in f.attrs.items()}
        summary = root.get("summary_json")
        groups = f["points"] if "points" in f else {}
        if not isinstance(summary, dict):
            summary = {k: v for k, v in root.items() if k != "summary_json"}
            summary["points"] = [flat_record(g.attrs) for g in groups.values()]
            sizes = f["sizes"] if "sizes" in f else {}
            summary["sizes"] = [{k: parsed(v) for k, v in g.attrs.items()} for g in sizes.values()]
        points = [Point(r) for r in summary.get("points") or []]
        # Group names carry T_p as formatted by the writer; match on the attributes instead.
        for group in groups.values():
            n, t = number(group.attrs.get("n_particles")), number(group.attrs.get("parent_temperature"))
            for p in points:
                if p.n == n and np.isclose(p.temperature, t, rtol=1e-9, atol=0):
                    p.curves = {k: d[()] for k, d in group.items() if isinstance(d, h5py.Dataset)}
    return summary, points


class Units:
    """The paper's units where the summary knows T_onset and c_∞, raw units otherwise."""

    def __init__(self, summary):
        self.onset = number(summary.get("onset_temperature"))
        self.c_inf = number(summary.get("sound_speed_infinity"))
        self.paper_t = finite(self.onset) and self.onset > 0
        self.paper_omega = finite(self.c_inf) and self.c_inf > 0
        if self.paper_t:
            self.t_label = r"$T_\mathrm{p}/T_\mathrm{onset}$"
            self.inverse_t_label = r"$T_\mathrm{onset}/T_\mathrm{p}$"
            self.g_label = r"$G\,a_0^3/k_\mathrm{B}T_\mathrm{onset}$"
        else:
            self.t_label = r"$T_\mathrm{p}$ [$\varepsilon/k_\mathrm{B}$]"
            self.inverse_t_label = r"$1/T_\mathrm{p}$ [$k_\mathrm{B}/\varepsilon$]"
            self.g_label = r"$G$ [$\varepsilon/\lambda_\mathrm{min}^3$]"
        if self.paper_omega:
            self.omega_label = r"$\omega\,a_0/c_\infty$"
            self.a_g_label = r"$A_\mathrm{g}\,(c_\infty/a_0)^5$"
        else:
            self.omega_label = r"$\omega$ [$\sqrt{\varepsilon/m}\,/\lambda_\mathrm{min}$]"
            self.a_g_label = r"$A_\mathrm{g}$ [$(\lambda_\mathrm{min}\sqrt{m/\varepsilon})^5$]"

    def t(self, temperature):
        return temperature / self.onset if self.paper_t else temperature

    def omega_factor(self, point):
        """Raw frequency → plotted frequency for this point (c_∞/a0 depends on the point's a0)."""
        if self.paper_omega and finite(point.a0):
            return point.a0 / self.c_inf
        return 1.0 if not self.paper_omega else math.nan

    def t_text(self, temperature):
        if self.paper_t:
            return rf"$T_\mathrm{{p}}/T_\mathrm{{onset}} = {temperature / self.onset:.3g}$"
        return rf"$T_\mathrm{{p}} = {temperature:.3g}$"


def quantity(points, name):
    """Values and errors of `name`, in the paper's units if the summary has them for any point."""
    paper = any(finite(p.value(name + "_paper")) for p in points)
    key = name + "_paper" if paper else name
    return (np.array([p.value(key) for p in points]), np.array([p.error(key) for p in points]), paper)


def draw(ax, x, y, err=None, log=False, filled=True, connect=True, **style):
    """Error-bar markers (NaN errors left out); lower bars kept above zero on log axes."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    err = np.full_like(y, np.nan) if err is None else np.asarray(err, float)
    keep = np.isfinite(x) & np.isfinite(y) & ((y > 0) if log else True)
    if not keep.any():
        return None
    order = np.argsort(x[keep])
    x, y, err = x[keep][order], y[keep][order], err[keep][order]
    err = np.where(np.isfinite(err) & (err > 0), err, 0.0)
    lower = np.minimum(err, 0.9 * y) if log else err
    colour = style.get("color")
    options = dict(ls="-" if connect else "none", lw=0.8, ms=6, capsize=2.5, elinewidth=0.9, mec=colour,
                   mfc=colour if filled else "white")
    options.update(style)
    return ax.errorbar(x, y, yerr=[lower, err] if err.any() else None, **options)


class Sizes:
    """The system sizes of the points, each with its marker."""

    def __init__(self, points):
        self.values = sorted({p.n for p in points})
        self.several = len(self.values) > 1

    def marker(self, n):
        return MARKERS[self.values.index(n) % len(MARKERS)]

    def of(self, points, n):
        return [p for p in points if p.n == n]

    def handles(self):
        """Legend entries for the markers, only worth showing with several sizes."""
        if not self.several:
            return []
        return [Line2D([], [], ls="none", marker=self.marker(n), color="grey", label=f"$N = {n}$")
                for n in self.values]


class TemperatureColours:
    def __init__(self, points):
        ts = [p.temperature for p in points if finite(p.temperature) and p.temperature > 0]
        lo, hi = (min(ts), max(ts)) if ts else (1.0, 1.0)
        # Logarithmic: the campaign's temperatures are spread over ratios, not differences.
        self.norm = matplotlib.colors.LogNorm(lo, hi) if hi > lo else None

    def __call__(self, temperature):
        if self.norm is None or not finite(temperature) or temperature <= 0:
            return TEMPERATURE_MAP(0.5)
        return TEMPERATURE_MAP(float(np.clip(self.norm(temperature), 0, 1)))


def reference_size(summary, points, sizes):
    """The N whose curves are shown: the summary's reference size, else the N with most points."""
    n = number(summary.get("reference_size"))
    if finite(n) and int(n) in sizes.values:
        return int(n)
    return max(sizes.values, key=lambda m: (len(sizes.of(points, m)), m))


def legend(ax, extra=(), **kw):
    handles, labels = ax.get_legend_handles_labels()
    handles += list(extra)
    labels += [h.get_label() for h in extra]
    if handles:
        ax.legend(handles, labels, **kw)


def empty(ax, text):
    ax.text(0.5, 0.5, text, transform=ax.transAxes, ha="center", va="center", color="grey")


def log_axis_usable(values):
    v = np.asarray(values, float)
    return bool(np.any(np.isfinite(v) & (v > 0)))


def tidy_log(axis):
    """Log-axis labels: decades only when three or more are in view, else also the minor ticks at 2 and 5
    (every minor tick within a single decade), since matplotlib's default labels crowd narrow ranges."""
    if axis.get_scale() != "log" or not isinstance(axis.get_major_formatter(), matplotlib.ticker.LogFormatter):
        return
    lo, hi = sorted(axis.get_view_interval())
    if not (lo > 0 and math.isfinite(hi)):
        return
    decades = math.floor(math.log10(hi)) - math.ceil(math.log10(lo)) + 1
    if decades >= 3:
        axis.set_minor_formatter(matplotlib.ticker.NullFormatter())
        return

    def label(v, _):
        if v <= 0:
            return ""
        e = math.floor(math.log10(v) + 1e-9)
        mantissa = v / 10 ** e
        # Within a single decade the minor ticks may fall between integers: label them all.
        if decades == 0:
            return rf"${mantissa:.2g}\times10^{{{e}}}$"
        m = round(mantissa)
        return rf"${m}\times10^{{{e}}}$" if m in (2, 5) and abs(mantissa - m) < 1e-6 else ""

    axis.set_minor_formatter(matplotlib.ticker.FuncFormatter(label))


class Output:
    def __init__(self, directory):
        self.directory = directory
        self.written = []
        os.makedirs(directory, exist_ok=True)

    def save(self, figure, stem):
        figure.canvas.draw()
        for ax in figure.axes + [c for a in figure.axes for c in a.child_axes]:
            for axis in (ax.xaxis, ax.yaxis):
                tidy_log(axis)
        figure.tight_layout()
        for ext in ("png", "pdf"):
            path = os.path.join(self.directory, f"{stem}.{ext}")
            figure.savefig(path)
            self.written.append(path)
        plt.close(figure)


def cumulative_dos(out, summary, points, units, sizes, colours):
    n = reference_size(summary, points, sizes)
    shown = sorted(sizes.of(points, n), key=lambda p: p.temperature)
    # Wider than the axes: the legend goes to the right, where it cannot hide a curve.
    figure, ax = plt.subplots(figsize=(8, 4.5))
    fitted = False
    drawn = []
    for p in shown:
        factor = units.omega_factor(p)
        omega, cdf = p.curve("cdf_omega"), p.curve("cdf")
        colour = colours(p.temperature)
        m = min(len(omega), len(cdf))
        keep = np.isfinite(omega[:m]) & np.isfinite(cdf[:m]) & (omega[:m] > 0) & (cdf[:m] > 0)
        if keep.any() and finite(factor):
            ax.plot(omega[:m][keep] * factor, cdf[:m][keep], drawstyle="steps-post", color=colour, lw=1.3,
                    label=units.t_text(p.temperature))
            drawn.append(cdf[:m][keep])
        lo, hi = p.window()
        a_g = p.value("a_g")
        if finite(lo) and finite(hi) and 0 < lo < hi and finite(a_g) and a_g > 0 and finite(factor):
            w = np.geomspace(lo, hi, 50)
            ax.plot(w * factor, a_g / 5 * w ** 5, ls="--", color=colour, lw=1.6, alpha=0.9)
            drawn.append(a_g / 5 * w ** 5)
            fitted = True
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(units.omega_label)
    ax.set_ylabel(r"$\int_0^\omega D(\omega')\,\mathrm{d}\omega'$  (per degree of freedom)")
    ax.set_title(f"cumulative density of states, $N = {n}$")
    if not ax.lines:
        empty(ax, "no modes stored")
    fit_handle = [Line2D([], [], ls="--", color="grey", label=r"$(A_\mathrm{g}/5)\,\omega^5$")] if fitted else []
    legend(ax, fit_handle, loc="upper left", bbox_to_anchor=(1.02, 1), borderaxespad=0)
    if drawn:
        # Room below the curves for the inset: the data fill the top 58% of the (log) axis.
        lo, hi = min(d.min() for d in drawn) / 1.5, max(d.max() for d in drawn) * 1.5
        ax.set_ylim(hi / (hi / lo) ** (1 / 0.58), hi)

    # Inset: A_g for every size, so that the finite-size spread is visible next to the curves.
    inset = ax.inset_axes([0.6, 0.1, 0.37, 0.3])
    values, errors, _ = quantity(points, "a_g")
    x = np.array([units.t(p.temperature) for p in points])
    for m in sizes.values:
        mine = np.array([p.n == m for p in points])
        for k in np.flatnonzero(mine):
            draw(inset, [x[k]], [values[k]], [errors[k]], log=True, connect=False, marker=sizes.marker(m),
                 color=colours(points[k].temperature), ms=4.5)
        draw(inset, x[mine], values[mine], None, log=True, color="grey", marker="none", alpha=0.5)
    if log_axis_usable(values):
        inset.set_yscale("log")
    else:
        empty(inset, "no fit")
    inset.set_xlabel(units.t_label, fontsize=8, labelpad=1)
    inset.set_ylabel(units.a_g_label, fontsize=8, labelpad=1)
    inset.tick_params(labelsize=7, which="both")
    out.save(figure, "fig2-cumulative-dos")


def omega_g_and_shear(out, summary, points, units, sizes):
    qlm_values, qlm_errors, _ = quantity(points, "qlm_number")
    # The 𝒩 panel only when some point has it: without A_g fits it would stay empty.
    panels = 3 if np.any(np.isfinite(qlm_values)) else 2
    figure, axes = plt.subplots(1, panels, figsize=(6 * panels, 4.5))
    x = np.array([units.t(p.temperature) for p in points])

    ax = axes[0]
    omega_g, omega_g_errors, paper = quantity(points, "omega_g")
    factors = np.array([units.omega_factor(p) for p in points])
    # √⟨κ⟩ and the median are stored raw; converted with the same c_∞/a0 as ω_g when ω_g is converted.
    scale = factors if paper else np.ones(len(points))
    extras = [
        ("omega_g", omega_g, omega_g_errors, r"$\omega_\mathrm{g}$", True),
        ("kappa", np.array([p.value("sqrt_mean_kappa") for p in points]) * scale, None,
         r"$\sqrt{\langle\kappa\rangle}$", False),
        ("median", np.array([p.value("median_omega") for p in points]) * scale, None,
         r"median $\omega^{(ij)}$", False),
    ]
    for k, (_, y, e, label, filled) in enumerate(extras):
        for m in sizes.values:
            mine = np.array([p.n == m for p in points])
            draw(ax, x[mine], y[mine], None if e is None else e[mine], filled=filled, color=SERIES[k],
                 marker=sizes.marker(m), label=label if m == sizes.values[0] else None)
    ax.set_ylabel(units.omega_label if paper else
                  r"$\omega$ [$\sqrt{\varepsilon/m}\,/\lambda_\mathrm{min}$]")
    ax.set_title("(a) typical frequency of the soft spots")
    legend(ax, sizes.handles(), loc="best")

    ax = axes[1]
    shear, shear_errors, _ = quantity(points, "shear_modulus")
    for m in sizes.values:
        mine = np.array([p.n == m for p in points])
        draw(ax, x[mine], shear[mine], shear_errors[mine], color=SERIES[0], marker=sizes.marker(m),
             label=f"$N = {m}$" if sizes.several else None)
    if units.paper_t:
        ax.axvline(1.0, ls="--", color="grey", lw=1, label=r"$T_\mathrm{p} = T_\mathrm{onset}$")
    ax.set_ylabel(units.g_label)
    ax.set_title("(b) shear modulus")
    legend(ax, loc="best")

    if panels == 3:
        ax = axes[2]
        for m in sizes.values:
            mine = np.array([p.n == m for p in points])
            draw(ax, x[mine], qlm_values[mine], qlm_errors[mine], log=True, color=SERIES[1],
                 marker=sizes.marker(m), label=f"$N = {m}$" if sizes.several else None)
        if log_axis_usable(qlm_values):
            ax.set_yscale("log")
        ax.set_ylabel(r"$\mathcal{N} = A_\mathrm{g}\,\omega_\mathrm{g}^5$")
        ax.set_title("(c) number of quasilocalised modes")
        legend(ax, loc="best")
    for ax in axes:
        ax.set_xlabel(units.t_label)
        if not ax.lines and not ax.collections:
            empty(ax, "no data")
    out.save(figure, "fig4-omega-g-and-shear")


def boltzmann(out, summary, points, units, sizes):
    figure, ax = plt.subplots(figsize=(6, 4.5))
    values, errors, _ = quantity(points, "qlm_number")
    scale = units.onset if units.paper_t else 1.0
    x = np.array([scale / p.temperature if finite(p.temperature) and p.temperature > 0 else math.nan
                  for p in points])
    by_n = {int(number(s.get("n_particles"))): s for s in summary.get("sizes") or []
            if finite(number(s.get("n_particles")))}
    any_fit = False
    for k, m in enumerate(sizes.values):
        size = by_n.get(m, {})
        chosen = parsed(size.get("boltzmann_parent_temperatures")) or []
        chosen = [number(t) for t in chosen] if isinstance(chosen, list) else []
        mine = np.array([p.n == m for p in points])
        energy = parsed(size.get("qlm_energy_over_onset"))
        e_value = number(energy.get("value")) if isinstance(energy, dict) else number(energy)
        e_error = number(energy.get("error")) if isinstance(energy, dict) else math.nan
        # Points count as fitted only when the fit exists: a single chosen point gives none.
        in_fit = np.array([finite(e_value) and p.n == m
                           and any(np.isclose(p.temperature, t, rtol=1e-9) for t in chosen) for p in points])
        colour = SERIES[k % len(SERIES)]
        tag = f" ($N = {m}$)" if sizes.several else ""
        # Fitted points filled, the others open: the fit only takes the low temperatures.
        draw(ax, x[in_fit], values[in_fit], errors[in_fit], log=True, connect=False, color=colour,
             marker=sizes.marker(m), label="fitted" + tag)
        rest = mine & ~in_fit
        draw(ax, x[rest], values[rest], errors[rest], log=True, connect=False, filled=False, color=colour,
             marker=sizes.marker(m), label="not fitted" + tag)
        ok = in_fit & np.isfinite(x) & np.isfinite(values) & (values > 0)
        if not finite(e_value) or ok.sum() < 2:
            continue
        # E is in units of this size's own T_onset; the axis uses the reference T_onset.
        own_onset = number(size.get("onset_temperature"))
        slope = e_value * (own_onset / scale if finite(own_onset) else 1.0)
        xs, ys = x[ok], np.log(values[ok])
        relative = errors[ok] / values[ok]
        weights = 1 / relative ** 2 if np.all(np.isfinite(relative) & (relative > 0)) else np.ones(len(xs))
        x_mean, y_mean = np.average(xs, weights=weights), np.average(ys, weights=weights)
        line = np.linspace(xs.min(), xs.max(), 50)
        text = f"{e_value:.1f} \\pm {e_error:.1f}" if finite(e_error) else f"{e_value:.1f}"
        ax.plot(line, np.exp(y_mean - slope * (line - x_mean)), color=colour, lw=1.5, ls="--",
                label=rf"$E_\mathrm{{QLM}} = {text}\,k_\mathrm{{B}}T_\mathrm{{onset}}$" + tag)
        any_fit = True
    if log_axis_usable(values):
        ax.set_yscale("log")
    ax.set_xlabel(units.inverse_t_label)
    ax.set_ylabel(r"$\mathcal{N} = A_\mathrm{g}\,\omega_\mathrm{g}^5$")
    if any_fit:
        ax.set_title(r"Boltzmann-like $\mathcal{N} \propto \exp(-E_\mathrm{QLM}/k_\mathrm{B}T_\mathrm{p})$")
    else:
        # The fit needs T_onset to choose its points, and at least two of them.
        reason = r"$T_\mathrm{onset}$ unknown" if not units.paper_t else r"at low $T_\mathrm{p}$"
        ax.set_title(f"no Boltzmann fit: fewer than 2 points {reason}")
    if not ax.lines:
        empty(ax, "no QLM numbers")
    legend(ax, loc="best")
    out.save(figure, "fig5-boltzmann")


def lengths(out, summary, points, units, sizes):
    figure, ax = plt.subplots(figsize=(8.2, 4.5))
    x = np.array([units.t(p.temperature) for p in points])
    series = [
        ("xi_g", r"$\xi_\mathrm{g} = 2\pi c_s/\omega_\mathrm{g}$", True),
        ("xi_co", r"$\xi_\mathrm{co}$ (dipole responses)", True),
        ("xi_qlm", r"$\xi_\mathrm{QLM}$ (QLM profile)", True),
        ("xi_qlm_participation", r"$a_0 (eN)^{1/3}$ (QLM participation)", False),
    ]
    papers = [quantity(points, name)[2] for name, _, _ in series]
    # One unit for the whole axis: a0 only if every length can be given in it.
    paper = all(papers)
    for k, (name, label, filled) in enumerate(series):
        key = name + "_paper" if paper else name
        y = np.array([p.value(key) for p in points])
        e = np.array([p.error(key) for p in points])
        for m in sizes.values:
            mine = np.array([p.n == m for p in points])
            draw(ax, x[mine], y[mine], e[mine], filled=filled, color=SERIES[k], marker=sizes.marker(m),
                 label=label if m == sizes.values[0] else None)
    ax.set_xlabel(units.t_label)
    ax.set_ylabel(r"$\xi/a_0$" if paper else r"$\xi$ [$\lambda_\mathrm{min}$]")
    ax.set_title("length scales of the soft spots")
    if not ax.lines:
        empty(ax, "no lengths")
    legend(ax, sizes.handles(), loc="upper left", bbox_to_anchor=(1.02, 1), borderaxespad=0)
    out.save(figure, "fig6-lengths")


def finite_size(out, summary, points, units, sizes, colours):
    if not sizes.several:
        print(f"finite-size: skipped, the summary has a single size N = {sizes.values[0]}")
        return
    figure, axes = plt.subplots(1, 2, figsize=(12, 4.5))
    omega_min, omega_errors, omega_paper = quantity(points, "omega_min")
    a_g, a_g_errors, _ = quantity(points, "a_g")
    temperatures = sorted({round(p.temperature, 9) for p in points if finite(p.temperature)})
    n = np.array([p.n for p in points], float)
    for t in temperatures:
        mine = np.array([finite(p.temperature) and round(p.temperature, 9) == t for p in points])
        colour = colours(t)
        draw(axes[0], n[mine], omega_min[mine], omega_errors[mine], log=True, color=colour, marker="o",
             label=units.t_text(t))
        draw(axes[1], n[mine], a_g[mine], a_g_errors[mine], log=True, color=colour, marker="o",
             label=units.t_text(t))
    for ax, values, label, title in [
        (axes[0], omega_min, units.omega_label if omega_paper else
         r"$\omega$ [$\sqrt{\varepsilon/m}\,/\lambda_\mathrm{min}$]", r"(a) lowest frequency $\omega_\mathrm{min}$"),
        (axes[1], a_g, units.a_g_label, r"(b) prefactor $A_\mathrm{g}$ of $\omega^4$"),
    ]:
        ax.set_xscale("log")
        if log_axis_usable(values):
            ax.set_yscale("log")
        else:
            empty(ax, "no data")
        ax.set_xlabel(r"$N$")
        ax.set_ylabel(label)
        ax.set_title(title)
        ax.xaxis.set_major_formatter(matplotlib.ticker.ScalarFormatter())
        ax.set_xticks(sizes.values)
        ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    legend(axes[0], loc="best")
    out.save(figure, "finite-size")


def profiles(out, summary, points, units, sizes, colours):
    n = reference_size(summary, points, sizes)
    shown = sorted(sizes.of(points, n), key=lambda p: p.temperature)
    in_a0 = all(finite(p.a0) and p.a0 > 0 for p in shown)
    figure, axes = plt.subplots(1, 2, figsize=(12, 4.5))
    panels = [
        (axes[0], "dipole_profile_radius", "dipole_profile_rms", "xi_co",
         r"$\langle|\mathbf{u}|^2\rangle^{1/2}$", "(a) dipole responses, ticks at $\\xi_\\mathrm{co}$"),
        (axes[1], "qlm_profile_radius", "qlm_profile_mean_magnitude", "xi_qlm",
         r"$\langle|\boldsymbol{\psi}|\rangle$", "(b) QLMs, ticks at $\\xi_\\mathrm{QLM}$"),
    ]
    for ax, radius_name, value_name, length, symbol, title in panels:
        for p in shown:
            unit = p.a0 if in_a0 else 1.0
            r, v = p.curve(radius_name), p.curve(value_name)
            m = min(len(r), len(v))
            r, v = r[:m] / unit, v[:m]
            y = r ** 2 * v
            keep = np.isfinite(y) & (y > 0) & (r > 0)
            colour = colours(p.temperature)
            if keep.any():
                # Empty shells stay as gaps in the line rather than being bridged.
                ax.plot(np.where(r > 0, r, np.nan), np.where(keep, y, np.nan), color=colour, lw=1.3,
                        marker=".", ms=4, label=units.t_text(p.temperature))
            xi = p.value(length) / unit
            if finite(xi) and xi > 0:
                # Short ticks at the bottom: full-height lines would hide the curves.
                ax.axvline(xi, ymin=0, ymax=0.08, color=colour, lw=2.2)
        if ax.lines:
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
        else:
            empty(ax, "no profile stored")
        if in_a0:
            ax.set_xlabel(r"$r/a_0$")
            ax.set_ylabel(r"$(r/a_0)^2$" + symbol)
        else:
            ax.set_xlabel(r"$r$ [$\lambda_\mathrm{min}$]")
            ax.set_ylabel(r"$r^2$" + symbol + r" [$\lambda_\mathrm{min}^2$]")
        ax.set_title(f"{title}, $N = {n}$")
    legend(axes[0], loc="best")
    out.save(figure, "profiles")


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    summary, points = load(sys.argv[1])
    # Points without a temperature cannot be placed on any of the axes.
    points = [p for p in points if finite(p.temperature)]
    if not points:
        print(f"{sys.argv[1]}: no points to plot")
        return
    out = Output(sys.argv[2])
    units = Units(summary)
    sizes = Sizes(points)
    colours = TemperatureColours(points)
    if not units.paper_t:
        print("T_onset unknown: temperatures in raw units")
    if not units.paper_omega:
        print("c_inf unknown: frequencies in raw units")
    cumulative_dos(out, summary, points, units, sizes, colours)
    omega_g_and_shear(out, summary, points, units, sizes)
    boltzmann(out, summary, points, units, sizes)
    lengths(out, summary, points, units, sizes)
    finite_size(out, summary, points, units, sizes, colours)
    profiles(out, summary, points, units, sizes, colours)
    print("wrote:")
    for path in out.written:
        print(f"  {path}")


if __name__ == "__main__":
    main()
