"""Plots the figures of Rainone, Bouchbinder & Lerner (PNAS 2020) from a campaign's summary.h5 (written
by `pinch analyze`), each as PNG and PDF in OUTDIR:

  fig2-cumulative-dos      cumulative DOS per degree of freedom against ω per T_p, with the fitted
                           (A_g/5) ω⁵ over [lowest mode, ω_u] where A_g is resolved; inset: A_g against T_p
  a_g-window               A_g and the free exponent of the modes below ω_u against the window's upper
                           end ω_u (over 2πc_s/L), with the chosen ω_u marked
  fig4-omega-g-and-shear   ω_g by its three estimators (mean ω^(ij), √⟨κ⟩, median ω^(ij)), the shear
                           modulus G and the number of QLMs 𝒩 = A_g ω_g⁵ by each estimator against T_p
  fig5-boltzmann           𝒩 against T_onset/T_p with its plateau and, where the data resolve E_QLM, the
                           Boltzmann fit of slope −E_QLM/(k_B T_onset)
  fig6-lengths             ξ_g, ξ_co, ξ_QLM and the QLMs' participation length against T_p; box-limited
                           lengths drawn as lower bounds
  finite-size              ω_min and A_g against N per T_p (only with several N)
  profiles                 radial profiles of the dipole responses and of the QLMs, with ξ_co and ξ_QLM

Quantities are in the paper's units (T_p/T_onset, ω a0/c_∞, ξ/a0, G a0³/k_B T_onset) when the onset fit
is known, in raw units (ε/k_B, √(ε/m)/λ_min, λ_min) otherwise. A quantity the data do not resolve
(A_g, 𝒩, E_QLM) is never drawn as a value. Prints the files written.

Usage: plot_campaign.py SUMMARY.h5 OUTDIR
"""
import json
import math
import os
import re
import sys

import h5py
import matplotlib
import matplotlib.colors
import matplotlib.ticker
import matplotlib.transforms
from matplotlib.legend_handler import HandlerTuple
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

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
# The ω_g estimators as the summary names them: the estimator, the suffix of its keys, its symbol.
ESTIMATORS = [
    ("mean", "", r"mean $\omega^{(ij)}$"),
    ("sqrt_mean_kappa", "_sqrt_mean_kappa", r"$\sqrt{\langle\kappa\rangle}$"),
    ("median", "_median", r"median $\omega^{(ij)}$"),
]


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


def plain(text):
    """The summary's text (reasons, notes) safe for matplotlib: `$` taken literally, 𝒩 (not in the
    default font) as mathtext."""
    return str(text).replace("$", r"\$").replace("𝒩", r"$\mathcal{N}$")


def wrap(text, width):
    """Lines of at most `width` visible characters, broken at spaces (so never inside mathtext, which
    must hold none): the length of mathtext's source is no guide to its width on the page."""
    def visible(t):
        return len(re.sub(r"\\[a-zA-Z]+|[${}^_]", "", t))

    lines = []
    for word in str(text).split(" "):
        if lines and visible(lines[-1] + " " + word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return "\n".join(lines)


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

    def flag(self, key):
        """A boolean of the summary (e.g. xi_co_box_limited); False where absent."""
        v = self.record.get(key)
        # Integers too: an HDF5 boolean read without h5py's enum mapping comes back as 0 or 1.
        return bool(v) if isinstance(v, (bool, int)) else False

    def text(self, key):
        """A string of the summary (e.g. a_g_unresolved); empty where absent."""
        v = self.record.get(key)
        return v.strip() if isinstance(v, str) else ""

    @property
    def a_g_resolved(self):
        a_g = self.value("a_g")
        return finite(a_g) and a_g > 0 and not self.text("a_g_unresolved")

    def window(self):
        """The fitted range of the ω⁵ law (raw units): [lowest mode, a_g_window_upper], NaN where A_g is
        unresolved; older summaries stored both ends as a_g_window."""
        upper = self.value("a_g_window_upper")
        old = parsed(self.record.get("a_g_window"))
        if not finite(upper) and isinstance(old, (list, tuple)) and len(old) == 2:
            return number(old[0]), number(old[1])
        omega = self.curve("cdf_omega")
        omega = omega[np.isfinite(omega) & (omega > 0)]
        return (float(omega.min()) if omega.size else math.nan), upper

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

    def t_errors(self, points):
        """Errors of T_p/T_onset (T_onset's own); NaN where the axis is in raw T_p, which has none."""
        if not self.paper_t:
            return np.full(len(points), math.nan)
        return np.array([p.error("parent_temperature_over_onset") for p in points])

    def omega_factor(self, point):
        """Raw frequency → plotted frequency for this point (c_∞/a0 depends on the point's a0)."""
        if self.paper_omega and finite(point.a0):
            return point.a0 / self.c_inf
        return 1.0 if not self.paper_omega else math.nan

    def t_text(self, temperature):
        if self.paper_t:
            return rf"$T_\mathrm{{p}}/T_\mathrm{{onset}} = {temperature / self.onset:.3g}$"
        return rf"$T_\mathrm{{p}} = {temperature:.3g}$"


def quantity(points, name, paper=None):
    """Values and errors of `name`, in the paper's units if the summary has them for any point (or as
    `paper` says, so that several quantities share the axis's units)."""
    if paper is None:
        paper = any(finite(p.value(name + "_paper")) for p in points)
    key = name + "_paper" if paper else name
    return (np.array([p.value(key) for p in points]), np.array([p.error(key) for p in points]), paper)


def draw(ax, x, y, err=None, log=False, filled=True, connect=True, xerr=None, **style):
    """Error-bar markers (NaN errors left out, also of `xerr`); lower bars kept above zero on log axes."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    err = np.full_like(y, np.nan) if err is None else np.asarray(err, float)
    xerr = np.full_like(x, np.nan) if xerr is None else np.asarray(xerr, float)
    keep = np.isfinite(x) & np.isfinite(y) & ((y > 0) if log else True)
    if not keep.any():
        return None
    order = np.argsort(x[keep])
    x, y, err, xerr = x[keep][order], y[keep][order], err[keep][order], xerr[keep][order]
    err = np.where(np.isfinite(err) & (err > 0), err, 0.0)
    xerr = np.where(np.isfinite(xerr) & (xerr > 0), xerr, 0.0)
    lower = np.minimum(err, 0.9 * y) if log else err
    colour = style.get("color")
    options = dict(ls="-" if connect else "none", lw=0.8, ms=6, capsize=2.5, elinewidth=0.9, mec=colour,
                   mfc=colour if filled else "white")
    options.update(style)
    return ax.errorbar(x, y, yerr=[lower, err] if err.any() else None, xerr=xerr if xerr.any() else None,
                       **options)


def lower_bounds(ax, x, y, marker="o", dodge=0.0, **style):
    """Open markers with an arrow up: values the data bound only from below (e.g. box-limited lengths).
    `dodge` shifts them sideways by that many points: bounds set by the same box tend to coincide."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    keep = np.isfinite(x) & np.isfinite(y)
    if not keep.any():
        return
    colour = style.get("color")
    # Offsets on the page (not in data units), so that the arrows read alike on any scale.
    at = matplotlib.transforms.offset_copy(ax.transData, fig=ax.figure, x=dodge, units="points")
    up = matplotlib.transforms.offset_copy(ax.transData, fig=ax.figure, x=dodge, y=17, units="points")
    ax.plot(x[keep], y[keep], ls="none", marker=marker, ms=6.5, mfc="white", mec=colour, mew=1.3, zorder=4,
            transform=at)
    # Autoscaling skips artists drawn with a transform of their own.
    ax.update_datalim(np.column_stack([x[keep], y[keep]]))
    for xi, yi in zip(x[keep], y[keep]):
        ax.annotate("", xy=(xi, yi), xycoords=up, xytext=(xi, yi), textcoords=at, zorder=5,
                    arrowprops=dict(arrowstyle="-|>", color=colour, lw=1.2, shrinkA=4.5, shrinkB=0,
                                    mutation_scale=9))


def lower_bound_handle(label="lower bound (box-limited)"):
    """Legend entry for `lower_bounds`: an open marker beside an up arrow."""
    return (Line2D([], [], ls="none", marker="o", mfc="white", mec="grey", mew=1.3, label=label),
            Line2D([], [], ls="none", marker=r"$\uparrow$", ms=9, color="grey"))


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
    """The axes' labelled artists and `extra` proxies; a tuple of proxies is one entry with its first's
    label, drawn side by side."""
    handles, labels = ax.get_legend_handles_labels()
    handles += list(extra)
    labels += [(h[0] if isinstance(h, tuple) else h).get_label() for h in extra]
    if handles:
        kw.setdefault("handler_map", {tuple: HandlerTuple(ndivide=None)})
        ax.legend(handles, labels, **kw)


def empty(ax, text):
    ax.text(0.5, 0.5, text, transform=ax.transAxes, ha="center", va="center", color="grey")


def log_axis_usable(values):
    v = np.asarray(values, float)
    return bool(np.any(np.isfinite(v) & (v > 0)))


def tidy_log(axis):
    """Log-axis labels: decades only when three or more are in view, else also the minor ticks at 2 and 5
    (2, 3 and 5 within a single decade), since matplotlib's default labels crowd narrow ranges."""
    if axis.get_scale() != "log" or not isinstance(axis.get_major_formatter(), matplotlib.ticker.LogFormatter):
        return
    lo, hi = sorted(axis.get_view_interval())
    if not (lo > 0 and math.isfinite(hi)):
        return
    decades = math.floor(math.log10(hi)) - math.ceil(math.log10(lo)) + 1
    if decades >= 3:
        axis.set_minor_formatter(matplotlib.ticker.NullFormatter())
        return

    # Within a single decade, ticks at 2, 3 and 5 (as plain decimals where they are short), so that a
    # range like 0.13-0.95 gets a few readable labels rather than eight crowded ones.
    shown = (2, 3, 5) if decades == 0 else (2, 5)

    def labelled(v):
        if v <= 0:
            return False
        mantissa = v / 10 ** math.floor(math.log10(v) + 1e-9)
        return round(mantissa) in shown and abs(mantissa - round(mantissa)) < 1e-6

    ticks = list(axis.get_minorticklocs()) + list(axis.get_majorticklocs())
    if not any(lo <= t <= hi and labelled(t) for t in ticks) and decades <= 0:
        # Narrower than the gap between two such ticks: a few evenly spaced ticks instead.
        axis.set_major_locator(matplotlib.ticker.MaxNLocator(3))
        axis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:.3g}"))
        axis.set_minor_formatter(matplotlib.ticker.NullFormatter())
        return

    def label(v, _):
        if not labelled(v):
            return ""
        e = math.floor(math.log10(v) + 1e-9)
        return f"{v:g}" if -2 <= e <= 2 else rf"${round(v / 10 ** e)}\times10^{{{e}}}$"

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
    figure, ax = plt.subplots(figsize=(8.4, 4.5))
    fitted = False
    drawn = []
    for p in shown:
        factor = units.omega_factor(p)
        omega, cdf = p.curve("cdf_omega"), p.curve("cdf")
        colour = colours(p.temperature)
        m = min(len(omega), len(cdf))
        keep = np.isfinite(omega[:m]) & np.isfinite(cdf[:m]) & (omega[:m] > 0) & (cdf[:m] > 0)
        if keep.any() and finite(factor):
            label = units.t_text(p.temperature) + ("" if p.a_g_resolved else r" ($A_\mathrm{g}$ unresolved)")
            ax.plot(omega[:m][keep] * factor, cdf[:m][keep], drawstyle="steps-post", color=colour, lw=1.3,
                    label=label)
            drawn.append(cdf[:m][keep])
        lo, hi = p.window()
        a_g = p.value("a_g")
        if p.a_g_resolved and finite(lo) and finite(hi) and 0 < lo < hi and finite(factor):
            w = np.geomspace(lo, hi, 50)
            ax.plot(w * factor, a_g / 5 * w ** 5, ls="--", color=colour, lw=1.6, alpha=0.9)
            # The window's upper end: where the law stops being fitted.
            ax.plot([hi * factor], [a_g / 5 * hi ** 5], ls="none", marker="|", ms=13, mew=2, color=colour)
            drawn.append(a_g / 5 * w ** 5)
            fitted = True
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(units.omega_label)
    ax.set_ylabel(r"$\int_0^\omega D(\omega')\,\mathrm{d}\omega'$  (per degree of freedom)")
    ax.set_title(f"cumulative density of states, $N = {n}$")
    if not ax.lines:
        empty(ax, "no modes stored")
    fit_handles = [
        Line2D([], [], ls="--", color="grey", label=r"$(A_\mathrm{g}/5)\,\omega^5$ on its window"),
        Line2D([], [], ls="none", marker="|", ms=13, mew=2, color="grey",
               label=r"window's upper end $\omega_\mathrm{u}$"),
    ] if fitted else []
    legend(ax, fit_handles, loc="upper left", bbox_to_anchor=(1.02, 1), borderaxespad=0)
    if drawn:
        # Room below the curves for the inset: the data fill the top 58% of the (log) axis.
        lo, hi = min(d.min() for d in drawn) / 1.5, max(d.max() for d in drawn) * 1.5
        ax.set_ylim(hi / (hi / lo) ** (1 / 0.58), hi)

    # Inset: A_g for every size, so that the finite-size spread is visible next to the curves.
    inset = ax.inset_axes([0.6, 0.1, 0.37, 0.3])
    values, errors, _ = quantity(points, "a_g")
    resolved = np.array([p.a_g_resolved for p in points])
    values = np.where(resolved, values, math.nan)
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
        empty(inset, r"$A_\mathrm{g}$ unresolved")
    inset.set_xlabel(units.t_label, fontsize=8, labelpad=1)
    inset.set_ylabel(units.a_g_label, fontsize=8, labelpad=1)
    inset.tick_params(labelsize=7, which="both")
    out.save(figure, "fig2-cumulative-dos")


def a_g_window(out, summary, points, units, sizes, colours):
    n = reference_size(summary, points, sizes)
    shown = [p for p in sorted(sizes.of(points, n), key=lambda p: p.temperature)
             if p.curve("a_g_sensitivity_upper").size]
    if not shown:
        print("a_g-window: skipped, the summary stores no A_g sensitivity curves")
        return
    over_phonon = all(finite(p.value("phonon_frequency")) and p.value("phonon_frequency") > 0 for p in shown)
    figure, axes = plt.subplots(1, 2, figsize=(13, 4.6))
    unresolved = chosen_drawn = False
    limits = {ax: [] for ax in axes}
    for p in shown:
        colour = colours(p.temperature)
        names = ["a_g_sensitivity_upper", "a_g_sensitivity", "a_g_sensitivity_error",
                 "a_g_sensitivity_exponent", "a_g_sensitivity_exponent_error"]
        curves = [p.curve(name) for name in names]
        m = min(len(c) for c in curves)
        upper, a_g, a_g_error, beta, beta_error = (c[:m] for c in curves)
        scale = 1 / p.value("phonon_frequency") if over_phonon else units.omega_factor(p)
        if m == 0 or not finite(scale):
            continue
        x = upper * scale
        resolved = p.a_g_resolved
        # An unresolved A_g has no chosen value: its curve is shown against its value at the cap instead.
        usable = np.isfinite(a_g) & (a_g > 0)
        reference = p.value("a_g") if resolved else (a_g[usable][-1] if usable.any() else math.nan)
        style = dict(color=colour, lw=1.4) if resolved else dict(color=colour, lw=1.1, ls="--", alpha=0.6)
        label = units.t_text(p.temperature) + ("" if resolved else r" ($A_\mathrm{g}$ unresolved)")
        unresolved |= not resolved
        for ax, y, e in [(axes[0], a_g / reference, a_g_error / reference), (axes[1], beta, beta_error)]:
            ok = np.isfinite(x) & np.isfinite(y)
            if not ok.any():
                continue
            ax.plot(x[ok], y[ok], label=label, **style)
            band = ok & np.isfinite(e)
            ax.fill_between(x[band], (y - e)[band], (y + e)[band], color=colour, lw=0,
                            alpha=0.1 if resolved else 0.05)
            limits[ax].extend([np.min(y[ok]), np.max(y[ok])])
        chosen = p.value("a_g_window_upper")
        if resolved and finite(chosen):
            xu = chosen * scale
            exponent = p.value("a_g_free_exponent")
            axes[0].plot([xu], [1.0], ls="none", marker="o", ms=6, color=colour, mec="white", zorder=4)
            if finite(exponent):
                axes[1].errorbar([xu], [exponent], yerr=[[p.error("a_g_free_exponent")]], marker="o", ms=6,
                                 color=colour, mec="white", capsize=2.5, zorder=4)
            for ax in axes:
                # Short ticks at the bottom: full-height lines would hide the curves.
                ax.axvline(xu, ymin=0, ymax=0.07, color=colour, lw=2.2)
            chosen_drawn = True
    if over_phonon:
        x_label = r"upper end of the window $\omega_\mathrm{u}\,/\,(2\pi c_s/L)$"
    else:
        x_label = "upper end of the window " + units.omega_label.replace(r"\omega", r"\omega_\mathrm{u}", 1)
    axes[0].axhline(1.0, color="grey", lw=0.8, ls=":")
    axes[0].set_ylabel(r"$A_\mathrm{g}(\omega_\mathrm{u})\,/\,A_\mathrm{g}$")
    axes[0].set_title(rf"(a) $A_\mathrm{{g}}$ from the modes below $\omega_\mathrm{{u}}$, $N = {n}$")
    axes[1].axhline(5.0, color="black", lw=1, ls=":", label=r"$\omega^4$ law: $\beta = 5$")
    axes[1].set_ylabel(r"free exponent $\hat\beta$ of CDF $\propto \omega^{\hat\beta}$")
    axes[1].set_title(r"(b) the test of the $\omega^4$ law")
    for ax, level in zip(axes, [1.0, 5.0]):
        ax.set_xlabel(x_label)
        if not ax.lines:
            empty(ax, "no sensitivity curves")
        elif limits[ax]:
            # The curves set the range: the bands of the few-mode ends would flatten them.
            lo, hi = min(limits[ax] + [level]), max(limits[ax] + [level])
            ax.set_ylim(lo - 0.1 * (hi - lo), hi + 0.1 * (hi - lo))
    extra = [Line2D([], [], ls="none", marker="o", ms=6, color="grey", mec="white",
                    label=r"chosen $\omega_\mathrm{u}$ (also ticked on the axis)")] if chosen_drawn else []
    if unresolved:
        extra.append(Line2D([], [], ls="--", color="grey", alpha=0.6,
                            label=r"unresolved: $A_\mathrm{g}$ over its value at the cap"))
    legend(axes[1], extra, loc="upper left", bbox_to_anchor=(1.02, 1), borderaxespad=0)
    out.save(figure, "a_g-window")


def omega_g_and_shear(out, summary, points, units, sizes):
    figure, axes = plt.subplots(1, 3, figsize=(18, 4.5))
    x = np.array([units.t(p.temperature) for p in points])
    x_errors = units.t_errors(points)

    ax = axes[0]
    paper = quantity(points, "omega_g")[2]
    new_keys = any(f"omega_g{suffix}" in p.record for p in points for _, suffix, _ in ESTIMATORS[1:])
    # Older summaries stored √⟨κ⟩ and the median raw and without errors; converted like ω_g.
    old_keys = {"_sqrt_mean_kappa": "sqrt_mean_kappa", "_median": "median_omega"}
    factors = np.array([units.omega_factor(p) for p in points]) if paper else np.ones(len(points))
    for k, (_, suffix, symbol) in enumerate(ESTIMATORS):
        if suffix and not new_keys:
            y, e = np.array([p.value(old_keys[suffix]) for p in points]) * factors, None
        else:
            y, e, _ = quantity(points, "omega_g" + suffix, paper)
        for m in sizes.values:
            mine = np.array([p.n == m for p in points])
            # T_onset's error is one per T_p: drawn once, on the paper's estimator.
            draw(ax, x[mine], y[mine], None if e is None else e[mine], filled=k == 0, color=SERIES[k],
                 marker=sizes.marker(m), xerr=x_errors[mine] if k == 0 else None,
                 label=symbol if m == sizes.values[0] else None)
    ax.set_ylabel(r"$\omega_\mathrm{g}\,a_0/c_\infty$" if paper else
                  r"$\omega_\mathrm{g}$ [$\sqrt{\varepsilon/m}\,/\lambda_\mathrm{min}$]")
    ax.set_title(r"(a) typical frequency $\omega_\mathrm{g}$ of the soft spots")
    legend(ax, sizes.handles(), loc="best", title=r"$\omega_\mathrm{g}$ as")

    ax = axes[1]
    shear, shear_errors, _ = quantity(points, "shear_modulus")
    for m in sizes.values:
        mine = np.array([p.n == m for p in points])
        draw(ax, x[mine], shear[mine], shear_errors[mine], color=SERIES[0], marker=sizes.marker(m),
             xerr=x_errors[mine], label=f"$N = {m}$" if sizes.several else None)
    if units.paper_t:
        ax.axvline(1.0, ls="--", color="grey", lw=1, label=r"$T_\mathrm{p} = T_\mathrm{onset}$")
    ax.set_ylabel(units.g_label)
    ax.set_title("(b) shear modulus")
    legend(ax, loc="best")

    ax = axes[2]
    resolved = np.array([p.a_g_resolved for p in points])
    numbers = []
    for k, (_, suffix, symbol) in enumerate(ESTIMATORS):
        y, e, _ = quantity(points, "qlm_number" + suffix)
        y = np.where(resolved, y, math.nan)
        numbers.append(y)
        for m in sizes.values:
            mine = np.array([p.n == m for p in points])
            draw(ax, x[mine], y[mine], e[mine], log=True, filled=k == 0, color=SERIES[k],
                 marker=sizes.marker(m), xerr=x_errors[mine] if k == 0 else None,
                 label=symbol if m == sizes.values[0] else None)
    if log_axis_usable(numbers):
        ax.set_yscale("log")
        legend(ax, sizes.handles(), loc="best", title=r"$\omega_\mathrm{g}$ as")
    else:
        print("fig4: no resolved A_g, so no 𝒩 to draw")
    ax.set_ylabel(r"$\mathcal{N} = A_\mathrm{g}\,\omega_\mathrm{g}^5$")
    ax.set_title("(c) number of quasilocalised modes")
    for ax in axes:
        ax.set_xlabel(units.t_label)
        if not ax.lines and not ax.collections:
            empty(ax, r"$A_\mathrm{g}$ unresolved at every $T_\mathrm{p}$" if ax is axes[2] else "no data")
    out.save(figure, "fig4-omega-g-and-shear")


def boltzmann_fits(size):
    """A size's Boltzmann fits by ω_g estimator. An older summary's single fit (mean ω_g, in units of
    that size's own T_onset, kept as "onset") is read as the mean's."""
    entries = parsed(size.get("boltzmann"))
    if isinstance(entries, list):
        return {e.get("estimator"): e for e in entries if isinstance(e, dict)}
    if "qlm_energy_over_onset" not in size:
        return {}
    energy = parsed(size.get("qlm_energy_over_onset"))
    return {"mean": {
        "regime_parent_temperatures": parsed(size.get("boltzmann_parent_temperatures")) or [],
        "qlm_energy_over_onset": energy if isinstance(energy, dict) else {"value": energy, "error": None},
        "onset": size.get("onset_temperature"),
        "unresolved": "" if finite(number(energy)) else "no fit in the summary",
    }}


def energy_text(fit, units):
    """E_QLM ± error of a fit as mathtext, in k_B T_onset (or ε without T_onset); None when unresolved."""
    energy = parsed(fit.get("qlm_energy_over_onset" if units.paper_t else "qlm_energy"))
    value = number(energy)
    error = number(energy.get("error")) if isinstance(energy, dict) else math.nan
    if not finite(value):
        return None
    # The value to the error's first significant digit. No spaces inside the mathtext: the title is
    # wrapped at spaces.
    if finite(error) and error > 0:
        digits = max(0, -math.floor(math.log10(error)))
        text = f"{value:.{digits}f}\\pm{error:.{digits}f}"
    else:
        text = f"{value:.2g}"
    unit = r"k_\mathrm{B}T_\mathrm{onset}" if units.paper_t else r"\varepsilon"
    return f"${text}\\,{unit}$"


def boltzmann(out, summary, points, units, sizes):
    figure, ax = plt.subplots(figsize=(9, 4.8))
    scale = units.onset if units.paper_t else 1.0
    x = np.array([scale / p.temperature if finite(p.temperature) and p.temperature > 0 else math.nan
                  for p in points])
    resolved = np.array([p.a_g_resolved for p in points])
    by_n = {int(number(s.get("n_particles"))): s for s in summary.get("sizes") or []
            if isinstance(s, dict) and finite(number(s.get("n_particles")))}
    drawn, estimators_drawn = [], set()
    plateau_drawn = fit_drawn = regime_drawn = rest_drawn = False
    titles = []
    for m in sizes.values:
        fits = boltzmann_fits(by_n.get(m, {}))
        mine = np.array([p.n == m for p in points])
        results = []
        for k, (estimator, suffix, symbol) in enumerate(ESTIMATORS):
            values, errors, _ = quantity(points, "qlm_number" + suffix)
            values = np.where(resolved, values, math.nan)
            fit = fits.get(estimator) or {}
            regime = parsed(fit.get("regime_parent_temperatures")) or []
            regime = [number(t) for t in regime] if isinstance(regime, list) else []
            in_regime = mine & np.array([any(np.isclose(p.temperature, t, rtol=1e-9) for t in regime)
                                         for p in points])
            main = k == 0
            # The paper's estimator in front; the two others lighter, for comparison.
            style = dict(log=True, connect=False, color=SERIES[k], marker=sizes.marker(m),
                         ms=6.5 if main else 5, alpha=1.0 if main else 0.5, zorder=3 if main else 2)
            rest = mine & ~in_regime
            regime_drawn |= draw(ax, x[in_regime], values[in_regime], errors[in_regime], **style) is not None
            rest_drawn |= draw(ax, x[rest], values[rest], errors[rest], filled=False, **style) is not None
            if np.any(np.isfinite(values[mine])):
                drawn.append(values[mine])
                estimators_drawn.add(k)
            plateau = parsed(fit.get("log_plateau"))
            level = number(plateau)
            spread = number(plateau.get("error")) if isinstance(plateau, dict) else math.nan
            if finite(level):
                spread = spread if finite(spread) else 0.0
                ax.axhspan(math.exp(level - spread), math.exp(level + spread), color=SERIES[k], lw=0,
                           alpha=0.2 if main else 0.08, zorder=0)
                ax.axhline(math.exp(level), color=SERIES[k], lw=0.8, ls=":", alpha=0.8 if main else 0.4)
                plateau_drawn = True
            text = energy_text(fit, units)
            if fit:
                results.append((estimator, symbol, text, plain(fit.get("unresolved") or "")))
            if text is None:
                continue
            # The slope in x = T_onset/T_p is E_QLM/k_B T_onset; an older summary's fit used its size's
            # own T_onset, converted here to the axis's.
            own = number(fit.get("onset"))
            slope = number(fit.get("qlm_energy_over_onset")) * (own / scale if finite(own) else 1.0) \
                if units.paper_t else number(fit.get("qlm_energy"))
            ok = in_regime & np.isfinite(x) & np.isfinite(values) & (values > 0)
            if not ok.any() or not finite(slope):
                continue
            # The intercept with the known slope: a weighted mean of ln 𝒩 + slope·x over the regime.
            xs, ys = x[ok], np.log(values[ok])
            relative = errors[ok] / values[ok]
            weights = 1 / relative ** 2 if np.all(np.isfinite(relative) & (relative > 0)) else np.ones(len(xs))
            intercept = np.average(ys + slope * xs, weights=weights)
            line = np.linspace(xs.min(), xs.max(), 50) if xs.max() > xs.min() else xs
            ax.plot(line, np.exp(intercept - slope * line), color=SERIES[k], lw=1.8 if main else 1.2,
                    ls="--", alpha=1.0 if main else 0.6, zorder=4)
            fit_drawn = True
        titles.append((m, results, by_n.get(m, {})))
    if log_axis_usable(np.concatenate(drawn) if drawn else []):
        ax.set_yscale("log")
    if units.paper_t:
        ax.axvline(1.0, color="grey", lw=0.8, ls="--")
    ax.set_xlabel(units.inverse_t_label)
    ax.set_ylabel(r"$\mathcal{N} = A_\mathrm{g}\,\omega_\mathrm{g}^5$")
    if not drawn:
        empty(ax, r"no resolved $\mathcal{N}$: $A_\mathrm{g}$ unresolved at every $T_\mathrm{p}$")
    ax.set_title(boltzmann_title(titles, units, sizes), fontsize=9.5, loc="left")
    extra = [Line2D([], [], ls="none", marker="o", color=SERIES[k], alpha=1.0 if k == 0 else 0.5,
                    label=rf"$\omega_\mathrm{{g}}$ as {symbol}")
             for k, (_, _, symbol) in enumerate(ESTIMATORS) if k in estimators_drawn]
    if regime_drawn:
        extra.append(Line2D([], [], ls="none", marker="o", color="grey", label="in the Boltzmann regime"))
    if rest_drawn:
        extra.append(Line2D([], [], ls="none", marker="o", color="grey", mfc="white",
                            label="outside it" if regime_drawn else "outside the Boltzmann regime"))
    if plateau_drawn:
        extra.append(Patch(color="grey", alpha=0.3, lw=0, label=r"plateau of $\mathcal{N}$ ($\pm$ error)"))
    if fit_drawn:
        extra.append(Line2D([], [], ls="--", color="grey",
                            label=r"$\mathcal{N} \propto \exp(-E_\mathrm{QLM}/k_\mathrm{B}T_\mathrm{p})$"))
    if units.paper_t:
        extra.append(Line2D([], [], ls="--", color="grey", lw=0.8,
                            label=r"$T_\mathrm{p} = T_\mathrm{onset}$"))
    legend(ax, extra + sizes.handles(), loc="upper left", bbox_to_anchor=(1.02, 1), borderaxespad=0)
    out.save(figure, "fig5-boltzmann")


def boltzmann_title(titles, units, sizes):
    """E_QLM by each estimator the summary fitted (the mean first), or why the mean's is unresolved,
    per size."""
    name = r"$E_\mathrm{QLM}$"
    omega_g = r"$\omega_\mathrm{g}$"
    lines = []
    for m, results, size in titles:
        tag = f"$N = {m}$: " if sizes.several else ""
        if not results:
            reason = "no Boltzmann fit in the summary"
            if not units.paper_t:
                onset = parsed(size.get("shear_onset"))
                why = onset.get("unresolved") if isinstance(onset, dict) else None
                reason = r"$T_\mathrm{onset}$ unknown" + (f" (plateau of $G$: {plain(why)})" if why else "")
            lines.append(wrap(f"{tag}no {name}: {reason}", 95))
            continue
        mean = next((r for r in results if r[0] == "mean"), None)
        others = [r for r in results if r[0] != "mean"]
        rest = "; ".join(f"as {symbol}: {text or 'unresolved'}" for _, symbol, text, _ in others)
        if mean and mean[2]:
            text = f"{tag}{name} = {mean[2]} with {omega_g} as {mean[1]}" + (f"; {rest}" if rest else "")
            lines.append(wrap(text, 95))
        else:
            lines.append(wrap(f"{tag}no {name}: {(mean[3] if mean else '') or 'not fitted'}", 95))
            if any(text for _, _, text, _ in others):
                lines.append(wrap(f"({name} with {omega_g} {rest})", 95))
    return "\n".join(lines)


def lengths(out, summary, points, units, sizes):
    figure, ax = plt.subplots(figsize=(8.4, 4.5))
    x = np.array([units.t(p.temperature) for p in points])
    series = [
        ("xi_g", r"$\xi_\mathrm{g} = 2\pi c_s/\omega_\mathrm{g}$"),
        ("xi_co", r"$\xi_\mathrm{co}$ (dipole responses)"),
        ("xi_qlm", r"$\xi_\mathrm{QLM}$ (QLM profile)"),
        ("xi_qlm_participation", r"$a_0 (eN)^{1/3}$ (QLM participation)"),
    ]
    papers = [quantity(points, name)[2] for name, _ in series]
    # One unit for the whole axis: a0 only if every length can be given in it.
    paper = all(papers)
    handles, any_bound = [], False
    for k, (name, label) in enumerate(series):
        y, e, _ = quantity(points, name, paper)
        bound = np.array([p.flag(name + "_box_limited") for p in points])
        for m in sizes.values:
            mine = np.array([p.n == m for p in points])
            measured = mine & ~bound
            draw(ax, x[measured], y[measured], e[measured], connect=False, color=SERIES[k],
                 marker=sizes.marker(m))
            # The line joins neighbouring measured values only: across a lower bound it would claim a value.
            order = np.argsort(x[mine])
            ax.plot(x[mine][order], np.where(bound[mine], math.nan, y[mine])[order], color=SERIES[k], lw=0.8)
            lower_bounds(ax, x[mine & bound], y[mine & bound], marker=sizes.marker(m), color=SERIES[k],
                         dodge=3.5 * (k - 1.5))
            any_bound |= bool(np.any(np.isfinite(y[mine & bound])))
        if np.any(np.isfinite(y)):
            handles.append(Line2D([], [], ls="-", lw=0.8, marker="o", color=SERIES[k], label=label))
    if any_bound:
        handles.append(lower_bound_handle("open, ↑: lower bound\n(box-limited)"))
        # Headroom for the arrows above the highest bound.
        ax.margins(y=0.15)
    ax.set_xlabel(units.t_label)
    ax.set_ylabel(r"$\xi/a_0$" if paper else r"$\xi$ [$\lambda_\mathrm{min}$]")
    ax.set_title("length scales of the soft spots")
    if not ax.lines:
        empty(ax, "no lengths")
    legend(ax, handles + sizes.handles(), loc="upper left", bbox_to_anchor=(1.02, 1), borderaxespad=0)
    out.save(figure, "fig6-lengths")


def finite_size(out, summary, points, units, sizes, colours):
    if not sizes.several:
        print(f"finite-size: skipped, the summary has a single size N = {sizes.values[0]}")
        return
    figure, axes = plt.subplots(1, 2, figsize=(12, 4.5))
    omega_min, omega_errors, omega_paper = quantity(points, "omega_min")
    a_g, a_g_errors, _ = quantity(points, "a_g")
    a_g = np.where([p.a_g_resolved for p in points], a_g, math.nan)
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
            empty(ax, "unresolved at every point" if ax is axes[1] else "no data")
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
    bound_tick = dict(ymax=0.14, lw=1.6, ls=(0, (2, 1.5)))
    for ax, radius_name, value_name, length, symbol, title in panels:
        bounded = False
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
                # Short ticks at the bottom: full-height lines would hide the curves. A box-limited
                # length is only a lower bound: its tick is dashed.
                limited = p.flag(length + "_box_limited")
                tick = bound_tick if limited else dict(ymax=0.08, lw=2.2)
                ax.axvline(xi, ymin=0, color=colour, **tick)
                bounded |= limited
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
        note = [Line2D([], [], color="grey", label="dashed tick: lower bound (box-limited)",
                       **{k: v for k, v in bound_tick.items() if k != "ymax"})] if bounded else []
        # Upper left: r² f rises from there, and the ticks stand at the bottom.
        if ax is axes[0]:
            legend(ax, note, loc="upper left")
        elif note:
            ax.legend(handles=note, loc="upper left")
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
    unresolved = [p for p in points if not p.a_g_resolved]
    if unresolved:
        print(f"A_g unresolved at {len(unresolved)} of {len(points)} points, not drawn as values:")
        for p in unresolved:
            reason = p.text("a_g_unresolved") or "no A_g in the summary"
            print(f"  N = {p.n}, T_p = {p.temperature:g}: {reason}")
    cumulative_dos(out, summary, points, units, sizes, colours)
    a_g_window(out, summary, points, units, sizes, colours)
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
