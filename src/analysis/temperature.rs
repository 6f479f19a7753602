//! The fits across the parent temperatures of one N (docs/analysis.md): T_onset from the plateau of
//! ⟨G⟩(T_p), with ⟨U_IS⟩/N as a cross-check, and the Boltzmann law of 𝒩 in the regime where it has
//! left its plateau. Errors come from the points' bootstrap replicas, taken together: replica b of
//! every point gives one replica of each fit, so the error of T_onset reaches T_p/T_onset and E_QLM.

use super::Unresolved;
use serde::Serialize;

use super::fits::{self, OnsetFit, Value};
use super::point::{Estimates, OmegaEstimator, PointSummary};
use super::resampling::spread;
use rand::Rng;
use rand_xoshiro::Xoshiro256PlusPlus;

/// T_onset from the plateau of a quantity, with its bootstrap error.
#[derive(Clone, Debug, Serialize)]
pub struct Onset {
    /// The fit on the full data (None when T_onset is given rather than fitted).
    pub fit: Option<OnsetFit>,
    /// T_onset.
    pub onset: Value,
    /// The plateau value.
    pub plateau: Value,
    /// Replicas whose kink fell at an end of the range of T_p (kept there, at the end).
    pub replicas_at_edge: usize,
    /// T_onset on each bootstrap replica.
    #[serde(skip)]
    pub draws: Vec<f64>,
    /// The plateau on each bootstrap replica (empty when T_onset is given).
    #[serde(skip)]
    pub plateau_draws: Vec<f64>,
}

impl Onset {
    /// T_onset fixed from outside (e.g. a larger campaign), with its error; the `replicas` draw it from
    /// a normal distribution (a fixed random stream) so that its error reaches E_QLM.
    pub fn given(onset: Value, replicas: usize, plateau: Value) -> Onset {
        let error = if onset.error.is_finite() {
            onset.error
        } else {
            0.0
        };
        let mut rng = crate::rng::stream(0, crate::rng::Stream::Bootstrap, &[u64::MAX]);
        Onset {
            fit: None,
            onset,
            plateau,
            replicas_at_edge: 0,
            draws: (0..replicas)
                .map(|_| onset.value + error * standard_normal(&mut rng))
                .collect(),
            plateau_draws: Vec::new(),
        }
    }
}

/// A standard normal number (Box–Muller on two independent uniforms).
fn standard_normal(rng: &mut Xoshiro256PlusPlus) -> f64 {
    let (u, v): (f64, f64) = (rng.random(), rng.random());
    (-2.0 * (1.0 - u).ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
}

/// The points of one N, sorted by T_p.
pub struct Series<'a> {
    points: Vec<&'a PointSummary>,
    replicas: usize,
}

impl<'a> Series<'a> {
    /// The points of `n_particles` among `points`, sorted by T_p.
    pub fn new(points: &'a [PointSummary], n_particles: usize) -> Series<'a> {
        let mut points: Vec<&PointSummary> = points
            .iter()
            .filter(|p| p.n_particles == n_particles)
            .collect();
        points.sort_by(|a, b| a.parent_temperature.total_cmp(&b.parent_temperature));
        let replicas = points.iter().map(|p| p.replicas.len()).max().unwrap_or(0);
        Series { points, replicas }
    }

    /// The points, by rising T_p.
    pub fn points(&self) -> &[&'a PointSummary] {
        &self.points
    }

    /// A point's estimate on replica `b`: its own replica, or its full-data value when it has too few
    /// blocks to be resampled.
    fn replica(point: &PointSummary, b: usize, f: &dyn Fn(&Estimates) -> f64) -> f64 {
        point
            .replicas
            .get(b)
            .map_or_else(|| f(&point.replica_central()), f)
    }

    /// T_onset from the plateau of `value` at high T_p, which it leaves on cooling rising (`rising`) or
    /// falling, over the points with a value and an error. `Err` says why the data do not locate it:
    /// fewer than [`ONSET_MIN_POINTS`] such temperatures, a kink at the edge of the range, a departure at the lowest
    /// T_p within twice its error, or the wrong sign.
    pub fn onset(
        &self,
        value: &dyn Fn(&PointSummary) -> Value,
        estimate: &dyn Fn(&Estimates) -> f64,
        rising: bool,
    ) -> super::Resolved<Onset> {
        let usable: Vec<(&PointSummary, Value)> = self
            .points
            .iter()
            .map(|p| (*p, value(p)))
            .filter(|(_, v)| v.value.is_finite() && v.error.is_finite() && v.error > 0.0)
            .collect();
        // Three parameters (T_onset, the plateau and the slope): at least one point more.
        if usable.len() < ONSET_MIN_POINTS {
            return Err(Unresolved(format!(
                "{} parent temperatures with a value and an error; the fit needs {ONSET_MIN_POINTS}",
                usable.len()
            )));
        }
        let temperatures: Vec<f64> = usable.iter().map(|u| u.0.parent_temperature).collect();
        let values: Vec<f64> = usable.iter().map(|u| u.1.value).collect();
        let errors: Vec<f64> = usable.iter().map(|u| u.1.error).collect();
        let fit = fits::fit_onset(&temperatures, &values, &errors)
            .ok_or_else(|| Unresolved("the fit failed".into()))?;
        let (lowest, highest) = (temperatures[0], temperatures[temperatures.len() - 1]);
        let at_edge = |onset: f64| onset >= highest * (1.0 - 1e-9) || onset <= lowest;
        if at_edge(fit.onset) {
            return Err(Unresolved(format!(
                "the kink lies at the edge of the range of T_p ({:.3})",
                fit.onset
            )));
        }
        let departure = values[0] - fit.plateau;
        if departure.abs() <= 2.0 * errors[0] {
            return Err(Unresolved(format!(
                "at the lowest T_p the departure from the plateau ({departure:.3}) is within twice \
                 its error ({:.3})",
                errors[0]
            )));
        }
        if (fit.slope > 0.0) != rising {
            return Err(Unresolved(
                "the departure from the plateau has the wrong sign".into(),
            ));
        }
        let (mut draws, mut plateau_draws, mut replicas_at_edge) = (Vec::new(), Vec::new(), 0);
        for b in 0..self.replicas {
            let values: Vec<f64> = usable
                .iter()
                .map(|u| Self::replica(u.0, b, estimate))
                .collect();
            // The scan keeps T_on inside the range: a replica without a kink inside stays at an end.
            if let Some(draw) = fits::fit_onset(&temperatures, &values, &errors) {
                replicas_at_edge += at_edge(draw.onset) as usize;
                draws.push(draw.onset);
                plateau_draws.push(draw.plateau);
            }
        }
        Ok(Onset {
            fit: Some(fit),
            onset: Value {
                value: fit.onset,
                error: spread(draws.iter().copied()),
            },
            plateau: Value {
                value: fit.plateau,
                error: spread(plateau_draws.iter().copied()),
            },
            replicas_at_edge,
            draws,
            plateau_draws,
        })
    }

    /// The error-weighted mean of `value` over the points at or above `onset` (the plateau), with the
    /// error of the weighted mean; `None` if no point there has a finite value and error.
    pub fn plateau(
        &self,
        onset: f64,
        value: &dyn Fn(&PointSummary) -> Option<Value>,
    ) -> Option<Value> {
        let values: Vec<Value> = self
            .points
            .iter()
            .filter(|p| p.parent_temperature >= onset)
            .filter_map(|p| value(p))
            .filter(|v| v.value.is_finite() && v.error.is_finite() && v.error > 0.0)
            .collect();
        weighted_mean(&values)
    }
}

/// The error-weighted mean of `values` (weights 1/σ²) and its error; `None` when empty. Where the
/// values scatter more than their errors allow (χ²/(n − 1) > 1), the error is scaled by √(χ²/(n − 1)),
/// as the slope error of [`fits::linear_fit_with_error`] is.
pub fn weighted_mean(values: &[Value]) -> Option<Value> {
    if values.is_empty() {
        return None;
    }
    let weights: f64 = values.iter().map(|v| 1.0 / (v.error * v.error)).sum();
    let mean = values
        .iter()
        .map(|v| v.value / (v.error * v.error))
        .sum::<f64>()
        / weights;
    let chi2: f64 = values
        .iter()
        .map(|v| ((v.value - mean) / v.error).powi(2))
        .sum();
    let scatter = if values.len() > 1 {
        (chi2 / (values.len() - 1) as f64).max(1.0)
    } else {
        1.0
    };
    Some(Value {
        value: mean,
        error: (scatter / weights).sqrt(),
    })
}

/// The Boltzmann law 𝒩 ∝ exp(−E_QLM/k_B T_p) with ω_g by one estimator.
#[derive(Clone, Debug, Serialize)]
pub struct Boltzmann {
    /// The ω_g estimator of 𝒩 = A_g ω_g⁵.
    pub estimator: OmegaEstimator,
    /// ln 𝒩 on the plateau (T_p ≥ T_onset).
    pub plateau: Option<Value>,
    /// 𝒩 over its plateau value at every point with a resolved 𝒩: (T_p, ratio).
    pub ratios: Vec<(f64, Value)>,
    /// The T_p of the points in the fit: those below T_onset where ln 𝒩 lies below its plateau by more
    /// than twice the combined error, contiguous from the lowest T_p up.
    pub regime: Vec<f64>,
    /// E_QLM/(k_B T_onset), when at least three points lie in the regime.
    pub energy_over_onset: Option<Value>,
    /// E_QLM [ε].
    pub energy: Option<Value>,
    /// χ² per degree of freedom of the fit.
    pub reduced_chi2: Option<f64>,
    /// Why there is no E_QLM (empty when there is).
    pub unresolved: String,
}

/// The fewest points in the Boltzmann regime a fit of its two parameters may rest on.
pub const BOLTZMANN_MIN_POINTS: usize = 3;

/// Fewest parent temperatures for locating T_onset: the kink fit has three parameters.
pub const ONSET_MIN_POINTS: usize = 4;

impl Series<'_> {
    /// The Boltzmann fit of 𝒩 (ω_g by `estimator`) with the given T_onset (and its replicas).
    pub fn boltzmann(&self, estimator: OmegaEstimator, onset: &Onset) -> Boltzmann {
        let k = estimator as usize;
        // (T_p, ln 𝒩 with its error, the point) of every point with a resolved 𝒩.
        let resolved: Vec<(f64, Value, &PointSummary)> = self
            .points
            .iter()
            .filter_map(|p| {
                let n = p.qlm_number?[k];
                (n.value > 0.0 && n.error.is_finite() && n.error > 0.0).then(|| {
                    let log = Value {
                        value: n.value.ln(),
                        error: n.error / n.value,
                    };
                    (p.parent_temperature, log, *p)
                })
            })
            .collect();
        let mut result = Boltzmann {
            estimator,
            plateau: None,
            ratios: Vec::new(),
            regime: Vec::new(),
            energy_over_onset: None,
            energy: None,
            reduced_chi2: None,
            unresolved: String::new(),
        };
        let on_plateau: Vec<Value> = resolved
            .iter()
            .filter(|r| r.0 >= onset.onset.value)
            .map(|r| r.1)
            .collect();
        let Some(plateau) = weighted_mean(&on_plateau) else {
            result.unresolved = "no resolved 𝒩 at or above T_onset to set the plateau".into();
            return result;
        };
        result.plateau = Some(plateau);
        result.ratios = resolved
            .iter()
            .map(|(t, log, _)| {
                let ratio = (log.value - plateau.value).exp();
                (
                    *t,
                    Value {
                        value: ratio,
                        error: ratio * (log.error.powi(2) + plateau.error.powi(2)).sqrt(),
                    },
                )
            })
            .collect();
        let departs = |t: f64, log: Value| {
            t < onset.onset.value
                && plateau.value - log.value
                    > 2.0 * (log.error.powi(2) + plateau.error.powi(2)).sqrt()
        };
        let regime: Vec<&(f64, Value, &PointSummary)> = resolved
            .iter()
            .take_while(|(t, log, _)| departs(*t, *log))
            .collect();
        result.regime = regime.iter().map(|r| r.0).collect();
        if regime.len() < BOLTZMANN_MIN_POINTS {
            let lowest = resolved.first().map_or(f64::NAN, |r| r.0);
            result.unresolved = format!(
                "{} point{} below its plateau by more than twice the error, contiguous from the \
                 lowest T_p with a resolved 𝒩 ({lowest}); a fit of E_QLM needs {BOLTZMANN_MIN_POINTS}",
                regime.len(),
                if regime.len() == 1 { "" } else { "s" }
            );
            return result;
        }
        let inverse: Vec<f64> = regime.iter().map(|r| 1.0 / r.0).collect();
        let logs: Vec<f64> = regime.iter().map(|r| r.1.value).collect();
        let errors: Vec<f64> = regime.iter().map(|r| r.1.error).collect();
        let Some((slope, intercept, _)) =
            fits::linear_fit_with_error(&inverse, &logs, Some(&errors))
        else {
            result.unresolved = "the fit failed".into();
            return result;
        };
        let chi2: f64 = inverse
            .iter()
            .zip(&logs)
            .zip(&errors)
            .map(|((x, y), e)| ((y - slope * x - intercept) / e).powi(2))
            .sum();
        // Replicas: each point's replica b, and T_onset's.
        let (mut energies, mut scaled) = (Vec::new(), Vec::new());
        for b in 0..self.replicas {
            let logs: Vec<f64> = regime
                .iter()
                .map(|r| Self::replica(r.2, b, &|e| e.qlm_number(estimator)).ln())
                .collect();
            if logs.iter().any(|l| !l.is_finite()) {
                continue;
            }
            if let Some((s, _)) = fits::linear_fit(&inverse, &logs, Some(&errors)) {
                energies.push(-s);
                let t = onset.draws.get(b).copied().unwrap_or(onset.onset.value);
                scaled.push(-s / t);
            }
        }
        result.energy = Some(Value {
            value: -slope,
            error: spread(energies),
        });
        result.energy_over_onset = Some(Value {
            value: -slope / onset.onset.value,
            error: spread(scaled),
        });
        result.reduced_chi2 = Some(chi2 / (regime.len() - 2) as f64);
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_weighted_mean_scales_its_error_by_the_scatter_of_its_points() {
        let of = |values: &[f64]| {
            let values: Vec<Value> = values
                .iter()
                .map(|&value| Value { value, error: 0.1 })
                .collect();
            weighted_mean(&values).unwrap()
        };
        // Points within their errors: 0.1/√4.
        let consistent = of(&[1.0, 1.05, 0.95, 1.0]);
        assert!((consistent.error - 0.05).abs() < 1e-15, "{consistent:?}");
        // χ² = (1 + 1 + 1 + 1)·100 = 400 over 3 degrees of freedom: scaled by √(400/3).
        let scattered = of(&[0.0, 2.0, 0.0, 2.0]);
        assert!((scattered.value - 1.0).abs() < 1e-15);
        let expected = 0.05 * (400.0_f64 / 3.0).sqrt();
        assert!((scattered.error - expected).abs() < 1e-12, "{scattered:?}");
        assert_eq!(of(&[3.0]).error, 0.1);
    }

    #[test]
    fn the_kink_fit_needs_a_degree_of_freedom() {
        let t = [0.5, 0.7, 0.9, 1.2];
        let g = [12.0, 10.0, 9.0, 9.0];
        let e = [0.1; 4];
        assert!(fits::fit_onset(&t[..3], &g[..3], &e[..3]).is_none());
        assert!(fits::fit_onset(&t, &g, &e).is_some());
    }

    #[test]
    fn given_onsets_draw_a_normal_spread() {
        let onset = Onset::given(
            Value {
                value: 0.9,
                error: 0.05,
            },
            2000,
            Value::bare(1.0),
        );
        let mean = onset.draws.iter().sum::<f64>() / 2000.0;
        assert!((mean - 0.9).abs() < 0.005, "{mean}");
        assert!((spread(onset.draws.iter().copied()) / 0.05 - 1.0).abs() < 0.1);
    }
}
