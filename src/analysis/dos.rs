//! The ω⁴ regime of the low-frequency DOS and its prefactor A_g (docs/analysis.md, "A_g").
//!
//! The modes of a point's samples, pooled, are treated as the events of a point process with density
//! 3N N_s D(ω) per unit ω. Where D(ω) = A_g ω⁴ holds on [0, ω_u], the modes below ω_u are distributed
//! as CDF ∝ ω^β with β = 5, and the maximum-likelihood estimates are
//! - the free exponent β̂ = (m − 1)/Σ ln(ω_u/ω_i) over the m modes below ω_u (unbiased, with standard
//!   error β̂/√(m − 2)), the test of the law;
//! - A_g = 5 m/(3N N_s ω_u⁵), the count of modes below ω_u against the ω⁵ law (with β fixed to 5).
//!
//! The upper end ω_u comes from the data: below the lower edge of the lowest phonon band, measured
//! from the participation ratios, and the highest of a few candidates below it (each a fixed factor
//! `step` below the last) where the law passes two tests: β̂ is consistent with 5 (the window as a
//! whole), and the top shell [step·ω_u, ω_u] holds the share 1 − step⁵ of the window's modes that
//! the law gives it (where a bending DOS shows first).

use serde::Serialize;

use super::fits::Value;

/// The quantile of the extended modes' frequencies taken as the lower edge of the lowest phonon band.
pub const PHONON_EDGE_QUANTILE: f64 = 0.1;

/// How the A_g window is chosen.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct WindowRule {
    /// Fewest modes below the upper end. The test must tell the ω⁴ law (β = 5) from the flatter law
    /// of the modes that contaminate a window reaching too high (β ≈ 4 below the phonon band at high
    /// T_p, ≈ 3 near the boson peak), each by its standard error: 5 − 5/√(m − 2) ≥ 4 + 4/√(m − 2)
    /// needs m ≥ 83.
    pub min_modes: usize,
    /// The free exponent must lie within this many standard errors of the ω⁴ law (5/√(m − 2)) of 5.
    pub exponent_tolerance: f64,
    /// The top shell's share must lie within this many binomial standard errors of the law's.
    pub shell_tolerance: f64,
    /// Modes with at least this participation ratio are extended: phonons, and modes hybridised with
    /// them (a plane wave has 2/3; the QLMs below the band, a few hundredths at N = 2,000).
    pub extended_participation: f64,
    /// Each candidate upper end is this fraction of the one before, starting at the cap.
    pub step: f64,
}

impl Default for WindowRule {
    fn default() -> Self {
        WindowRule {
            min_modes: 83,
            exponent_tolerance: 1.0,
            shell_tolerance: 2.0,
            extended_participation: 0.1,
            step: 0.9,
        }
    }
}

/// A point's pooled spectrum: every computed mode of every sample, ascending.
#[derive(Clone, Debug)]
pub struct Spectrum {
    /// Frequencies, ascending.
    pub frequencies: Vec<f64>,
    /// Participation ratios, in the same order.
    pub participation: Vec<f64>,
    /// 3N × samples: the normalisation of the DOS per degree of freedom.
    pub degrees_of_freedom: f64,
}

impl Spectrum {
    /// Pools `(frequency, participation ratio)` pairs of `samples` samples of `n_particles` each.
    pub fn new(modes: Vec<(f64, f64)>, n_particles: usize, samples: usize) -> Spectrum {
        // Unstable modes (stored with negative frequencies) have no place in a DOS of ω > 0.
        let mut modes: Vec<(f64, f64)> = modes
            .into_iter()
            .filter(|m| m.0.is_finite() && m.0 > 0.0)
            .collect();
        modes.sort_by(|a, b| a.0.total_cmp(&b.0));
        Spectrum {
            frequencies: modes.iter().map(|m| m.0).collect(),
            participation: modes.iter().map(|m| m.1).collect(),
            degrees_of_freedom: (3 * n_particles * samples) as f64,
        }
    }

    /// Number of modes strictly below `upper`.
    pub fn count_below(&self, upper: f64) -> usize {
        self.frequencies.partition_point(|&w| w < upper)
    }

    /// The lower edge of the lowest phonon band with its hybridised tail: the [`PHONON_EDGE_QUANTILE`]
    /// of the frequencies of the extended modes (participation ratio ≥ `extended`); `None` if none.
    pub fn phonon_band_edge(&self, extended: f64) -> Option<f64> {
        let phonon_like: Vec<f64> = self
            .frequencies
            .iter()
            .zip(&self.participation)
            .filter(|(_, e)| **e >= extended)
            .map(|(w, _)| *w)
            .collect();
        if phonon_like.is_empty() {
            return None;
        }
        let k = ((phonon_like.len() - 1) as f64 * PHONON_EDGE_QUANTILE).round() as usize;
        Some(phonon_like[k])
    }

    /// The maximum-likelihood exponent of CDF ∝ ω^β from the modes below `upper`, with its standard
    /// error; `None` with fewer than three modes.
    pub fn free_exponent(&self, upper: f64) -> Option<Value> {
        free_exponent(&self.frequencies[..self.count_below(upper)], upper)
    }

    /// A_g = 5 m/(3N N_s ω_u⁵) from the m modes below `upper`, with its Poisson error.
    pub fn prefactor(&self, upper: f64) -> Value {
        let m = self.count_below(upper) as f64;
        let value = 5.0 * m / (self.degrees_of_freedom * upper.powi(5));
        Value {
            value,
            error: value / m.sqrt(),
        }
    }
}

/// The maximum-likelihood exponent β of CDF ∝ ω^β on [0, `upper`] from `below` (all below `upper`):
/// (m − 1)/Σ ln(upper/ω_i), unbiased, with standard error β/√(m − 2).
pub fn free_exponent(below: &[f64], upper: f64) -> Option<Value> {
    let m = below.len();
    if m < 3 {
        return None;
    }
    let sum: f64 = below.iter().map(|w| (upper / w).ln()).sum();
    (sum > 0.0).then(|| {
        let value = (m - 1) as f64 / sum;
        Value {
            value,
            error: value / ((m - 2) as f64).sqrt(),
        }
    })
}

/// How far the share of the modes below `upper` that lie in its top shell [step·upper, upper] is from
/// the share 1 − step⁵ of an ω⁴ DOS, in binomial standard errors.
pub fn shell_deviation(spectrum: &Spectrum, upper: f64, step: f64) -> f64 {
    let all = spectrum.count_below(upper) as f64;
    let shell = all - spectrum.count_below(step * upper) as f64;
    let share = 1.0 - step.powi(5);
    (shell - all * share) / (all * share * (1.0 - share)).sqrt()
}

/// The window chosen for A_g, or why none could be.
#[derive(Clone, Debug, Serialize)]
pub struct Window {
    /// The largest upper end allowed: the phonon band's lower edge, or the highest frequency below
    /// which every sample's modes are complete, whichever is lower.
    pub cap: f64,
    /// Which of the two set the cap.
    pub cap_source: &'static str,
    /// The measured lower edge of the lowest phonon band (if any phonon-like mode was computed).
    pub phonon_band_edge: Option<f64>,
    /// The upper end ω_u (the window is [0, ω_u]), if resolved.
    pub upper: Option<f64>,
    /// Modes below ω_u (or below the cap when unresolved).
    pub modes: usize,
    /// The free exponent below ω_u (or below the cap when unresolved).
    pub exponent: Option<Value>,
    /// The top shell's departure from its share under the ω⁴ law, in standard errors (binomial).
    pub shell_deviation: Option<f64>,
    /// Why the data do not resolve an ω⁴ regime (empty when they do).
    pub unresolved: String,
}

/// Chooses the A_g window of `spectrum`: candidate upper ends are `cap`, `step`·`cap`, `step`²·`cap`, …
/// while at least `rule.min_modes` modes lie below them; the window ends at the first (highest) whose
/// free exponent lies within `rule.exponent_tolerance` standard errors of 5 and whose top shell holds
/// its share within `rule.shell_tolerance`.
pub fn choose_window(
    spectrum: &Spectrum,
    cap: f64,
    cap_source: &'static str,
    rule: &WindowRule,
) -> Window {
    let below_cap = spectrum.count_below(cap);
    let mut window = Window {
        cap,
        cap_source,
        phonon_band_edge: spectrum.phonon_band_edge(rule.extended_participation),
        upper: None,
        modes: below_cap,
        exponent: spectrum.free_exponent(cap),
        shell_deviation: None,
        unresolved: String::new(),
    };
    if below_cap < rule.min_modes {
        window.unresolved = format!(
            "too few modes below the cap ({}): {below_cap} < {}",
            window.cap_source, rule.min_modes
        );
        return window;
    }
    let mut upper = cap;
    loop {
        let m = spectrum.count_below(upper);
        if m < rule.min_modes.max(3) {
            break;
        }
        let shell = shell_deviation(spectrum, upper, rule.step);
        if let Some(beta) = spectrum.free_exponent(upper)
            && (beta.value - 5.0).abs() <= rule.exponent_tolerance * 5.0 / ((m - 2) as f64).sqrt()
            && shell.abs() <= rule.shell_tolerance
        {
            window.upper = Some(upper);
            window.modes = m;
            window.exponent = Some(beta);
            window.shell_deviation = Some(shell);
            return window;
        }
        upper *= rule.step;
    }
    window.unresolved = match window.exponent {
        Some(beta) => format!(
            "the modes follow no ω⁴ law at any upper end with at least {} modes below it (free \
             exponent below the cap {:.2} ± {:.2} from {below_cap} modes)",
            rule.min_modes, beta.value, beta.error
        ),
        None => format!("no modes below the cap ({})", window.cap_source),
    };
    window
}

/// A_g and the free exponent against the window's upper end.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Sensitivity {
    /// Upper ends.
    pub upper: Vec<f64>,
    /// A_g with the upper end there.
    pub prefactor: Vec<f64>,
    /// Its Poisson error.
    pub prefactor_error: Vec<f64>,
    /// The free exponent below it.
    pub exponent: Vec<f64>,
    /// Its standard error.
    pub exponent_error: Vec<f64>,
}

/// The sensitivity curve of `spectrum` at up to `points` upper ends spread over the pooled
/// frequencies from the eleventh mode (ten modes below it) up to `cap`.
pub fn sensitivity(spectrum: &Spectrum, cap: f64, points: usize) -> Sensitivity {
    let below_cap = spectrum.count_below(cap);
    let first = 10;
    let mut curve = Sensitivity::default();
    if below_cap <= first || points == 0 {
        return curve;
    }
    let stride = (below_cap - first).div_ceil(points).max(1);
    for k in (first..below_cap).step_by(stride) {
        let upper = spectrum.frequencies[k];
        let a = spectrum.prefactor(upper);
        let beta =
            free_exponent(&spectrum.frequencies[..k], upper).unwrap_or(Value::bare(f64::NAN));
        curve.upper.push(upper);
        curve.prefactor.push(a.value);
        curve.prefactor_error.push(a.error);
        curve.exponent.push(beta.value);
        curve.exponent_error.push(beta.error);
    }
    curve
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_xoshiro::Xoshiro256PlusPlus;

    /// Poisson-distributed count with mean `mean`.
    pub fn poisson(rng: &mut Xoshiro256PlusPlus, mean: f64) -> usize {
        let mut count = 0;
        let mut t: f64 = -rng.random::<f64>().ln();
        while t < mean {
            count += 1;
            t -= rng.random::<f64>().ln();
        }
        count
    }

    /// The modes of one synthetic sample of N particles: QLMs with D(ω) = A_g ω⁴ (participation 0.02)
    /// up to `bend`, where the DOS bends over to A_g bend² ω² (participation 0.05) as the boson peak
    /// makes it do, up to 0.9 of `phonon`; and the 12-fold transverse phonon band at `phonon`, spread
    /// ±10% (participation 0.6).
    pub fn synthetic_sample(
        rng: &mut Xoshiro256PlusPlus,
        n: usize,
        a_g: f64,
        bend: f64,
        phonon: f64,
    ) -> Vec<(f64, f64)> {
        let dof = (3 * n) as f64;
        let top = 0.9 * phonon;
        let mut modes: Vec<(f64, f64)> = (0..poisson(rng, a_g * bend.powi(5) / 5.0 * dof))
            .map(|_| (bend * rng.random::<f64>().powf(0.2), 0.02))
            .collect();
        let bent = a_g * bend * bend * (top.powi(3) - bend.powi(3)) / 3.0 * dof;
        for _ in 0..poisson(rng, bent.max(0.0)) {
            let u: f64 = rng.random();
            modes.push((
                (bend.powi(3) + u * (top.powi(3) - bend.powi(3))).cbrt(),
                0.05,
            ));
        }
        for _ in 0..12 {
            modes.push((phonon * (0.9 + 0.2 * rng.random::<f64>()), 0.6));
        }
        modes.sort_by(|a, b| a.0.total_cmp(&b.0));
        modes
    }

    #[test]
    fn the_free_exponent_is_unbiased_and_its_error_is_right() {
        // 400 sets of 40 modes with CDF ∝ ω⁵: mean β̂ ≈ 5, scatter ≈ 5/√38.
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(5);
        let draws: Vec<f64> = (0..400)
            .map(|_| {
                let modes: Vec<f64> = (0..40).map(|_| rng.random::<f64>().powf(0.2)).collect();
                free_exponent(&modes, 1.0).unwrap().value
            })
            .collect();
        let mean = draws.iter().sum::<f64>() / draws.len() as f64;
        let scatter = super::super::resampling::spread(draws.iter().copied());
        assert!((mean - 5.0).abs() < 0.12, "{mean}");
        assert!(
            (scatter / (5.0 / 38f64.sqrt()) - 1.0).abs() < 0.15,
            "{scatter}"
        );
    }

    #[test]
    fn the_window_stops_where_the_law_ends_and_a_g_is_recovered() {
        let (n, a_g, bend, phonon) = (2000, 3e-3, 0.8, 1.6);
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(9);
        let samples = 300;
        let modes: Vec<(f64, f64)> = (0..samples)
            .flat_map(|_| synthetic_sample(&mut rng, n, a_g, bend, phonon))
            .collect();
        let spectrum = Spectrum::new(modes, n, samples);
        let edge = spectrum.phonon_band_edge(0.1).unwrap();
        assert!((edge / phonon - 0.92).abs() < 0.03, "{edge}");
        let window = choose_window(&spectrum, edge, "edge", &WindowRule::default());
        let upper = window.upper.expect(&window.unresolved);
        let found = spectrum.prefactor(upper);
        assert!(
            (found.value / a_g - 1.0).abs() < 3.0 * found.error / found.value,
            "A_g = {found:?} with the window up to {upper}"
        );
        // The window reaches past the bend only as far as the exponent test allows.
        assert!(upper < 1.25 * bend, "{upper}");
        let curve = sensitivity(&spectrum, edge, 40);
        assert!(curve.upper.len() > 20 && curve.upper.len() <= 41);
    }

    #[test]
    fn too_few_modes_or_the_wrong_law_leave_a_g_unresolved() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(2);
        let n = 2000;
        let modes: Vec<(f64, f64)> = (0..3)
            .flat_map(|_| synthetic_sample(&mut rng, n, 3e-3, 0.8, 1.6))
            .collect();
        let spectrum = Spectrum::new(modes, n, 3);
        let window = choose_window(&spectrum, 1.4, "edge", &WindowRule::default());
        assert!(window.upper.is_none() && window.unresolved.contains("too few"));
        // An ω² law (CDF ∝ ω³) throughout: no upper end passes.
        let modes: Vec<(f64, f64)> = (0..800)
            .map(|_| (rng.random::<f64>().cbrt(), 0.05))
            .collect();
        let spectrum = Spectrum::new(modes, n, 10);
        let window = choose_window(&spectrum, 1.0, "edge", &WindowRule::default());
        assert!(
            window.upper.is_none() && window.unresolved.contains("no ω⁴ law"),
            "{window:?}"
        );
    }
}
