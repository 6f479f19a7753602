//! The fits of the analysis: straight lines (the Boltzmann law of 𝒩 against 1/T_p), the onset
//! temperature from the plateau of G, and the crossover lengths of radial profiles.

use statrs::statistics::Statistics;

/// A value with its (one-standard-deviation) error.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct Value {
    /// The estimate.
    pub value: f64,
    /// Its standard error (NaN if unknown).
    pub error: f64,
}

impl Value {
    /// An estimate without a known error.
    pub fn bare(value: f64) -> Value {
        Value {
            value,
            error: f64::NAN,
        }
    }

    /// Mean and standard error of the mean of `values` (NaN error for fewer than two).
    pub fn mean_of(values: &[f64]) -> Value {
        if values.is_empty() {
            return Value::bare(f64::NAN);
        }
        let error = if values.len() > 1 {
            values.std_dev() / (values.len() as f64).sqrt()
        } else {
            f64::NAN
        };
        Value {
            value: values.mean(),
            error,
        }
    }
}

/// The empirical cumulative DOS per degree of freedom of `frequencies` (all modes of `samples` samples
/// of `degrees_of_freedom` each): the sorted frequencies ω_k and CDF(ω_k) = k/(dof · samples),
/// counting from 1.
pub fn cumulative_dos(
    frequencies: &[f64],
    degrees_of_freedom: usize,
    samples: usize,
) -> (Vec<f64>, Vec<f64>) {
    let mut sorted: Vec<f64> = frequencies
        .iter()
        .copied()
        .filter(|w| w.is_finite())
        .collect();
    sorted.sort_by(f64::total_cmp);
    let norm = (degrees_of_freedom * samples) as f64;
    let cdf = (1..=sorted.len()).map(|k| k as f64 / norm).collect();
    (sorted, cdf)
}

/// Weighted least-squares line y = a x + b (weights 1/σ² if `errors` are given): (a, b), or `None`
/// with fewer than two points or no spread in x.
pub fn linear_fit(x: &[f64], y: &[f64], errors: Option<&[f64]>) -> Option<(f64, f64)> {
    let (slope, intercept, _) = linear_fit_with_error(x, y, errors)?;
    Some((slope, intercept))
}

/// As [`linear_fit`], with the standard error of the slope: from the given errors when there are
/// any (scaled by the reduced χ² if it exceeds 1), else from the scatter about the line.
pub fn linear_fit_with_error(
    x: &[f64],
    y: &[f64],
    errors: Option<&[f64]>,
) -> Option<(f64, f64, f64)> {
    let n = x.len();
    if n < 2 || y.len() != n {
        return None;
    }
    let w: Vec<f64> = match errors {
        Some(e) => e
            .iter()
            .map(|s| {
                if s.is_finite() && *s > 0.0 {
                    1.0 / (s * s)
                } else {
                    0.0
                }
            })
            .collect(),
        None => vec![1.0; n],
    };
    let sw: f64 = w.iter().sum();
    if !(sw > 0.0) {
        return None;
    }
    let mx = x.iter().zip(&w).map(|(x, w)| w * x).sum::<f64>() / sw;
    let my = y.iter().zip(&w).map(|(y, w)| w * y).sum::<f64>() / sw;
    let sxx: f64 = x.iter().zip(&w).map(|(x, w)| w * (x - mx).powi(2)).sum();
    if !(sxx > 0.0) {
        return None;
    }
    let sxy: f64 = x
        .iter()
        .zip(y)
        .zip(&w)
        .map(|((x, y), w)| w * (x - mx) * (y - my))
        .sum();
    let slope = sxy / sxx;
    let intercept = my - slope * mx;
    let chi2: f64 = x
        .iter()
        .zip(y)
        .zip(&w)
        .map(|((x, y), w)| w * (y - slope * x - intercept).powi(2))
        .sum();
    let slope_error = if n > 2 {
        match errors {
            Some(_) => (1.0 / sxx * (chi2 / (n - 2) as f64).max(1.0)).sqrt(),
            None => (chi2 / (n - 2) as f64 / sxx).sqrt(),
        }
    } else {
        f64::NAN
    };
    Some((slope, intercept, slope_error))
}

/// The onset of a plateau at high temperature: y(T) = y_∞ for T ≥ T_on and y_∞ + s (T_on − T) below,
/// fitted by weighted least squares with T_on scanned finely between the temperatures.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct OnsetFit {
    /// T_on.
    pub onset: f64,
    /// The plateau y_∞.
    pub plateau: f64,
    /// The slope s below the onset (positive when y grows on cooling).
    pub slope: f64,
    /// The weighted sum of squared residuals.
    pub residual: f64,
}

/// Fits [`OnsetFit`] to (T, y ± σ); `None` with fewer than four temperatures (three parameters and
/// one degree of freedom).
pub fn fit_onset(temperatures: &[f64], values: &[f64], errors: &[f64]) -> Option<OnsetFit> {
    let n = temperatures.len();
    if n < 4 {
        return None;
    }
    let w: Vec<f64> = errors
        .iter()
        .map(|s| {
            if s.is_finite() && *s > 0.0 {
                1.0 / (s * s)
            } else {
                0.0
            }
        })
        .collect();
    let (lowest, highest) = temperatures
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &t| {
            (a.min(t), b.max(t))
        });
    let mut best: Option<OnsetFit> = None;
    let steps = 2000;
    for k in 0..=steps {
        let onset = lowest + (highest - lowest) * k as f64 / steps as f64;
        // y = y_∞ + s · max(T_on − T, 0): linear in (y_∞, s).
        let x: Vec<f64> = temperatures.iter().map(|t| (onset - t).max(0.0)).collect();
        let (s00, s01, s11, b0, b1) = x.iter().zip(values).zip(&w).fold(
            (0.0, 0.0, 0.0, 0.0, 0.0),
            |(s00, s01, s11, b0, b1), ((x, y), w)| {
                (
                    s00 + w,
                    s01 + w * x,
                    s11 + w * x * x,
                    b0 + w * y,
                    b1 + w * x * y,
                )
            },
        );
        let det = s00 * s11 - s01 * s01;
        if det.abs() < 1e-300 {
            continue;
        }
        let plateau = (b0 * s11 - b1 * s01) / det;
        let slope = (s00 * b1 - s01 * b0) / det;
        let residual: f64 = x
            .iter()
            .zip(values)
            .zip(&w)
            .map(|((x, y), w)| w * (y - plateau - slope * x).powi(2))
            .sum();
        if best.is_none_or(|b| residual < b.residual) {
            best = Some(OnsetFit {
                onset,
                plateau,
                slope,
                residual,
            });
        }
    }
    best
}

/// Where r² f(r) first comes within `fraction` of its far-field plateau, interpolated linearly between
/// bins: the plateau is the mean of r² f over the bins with r in [far_from, far_to]. `None` if those
/// bins are empty or the curve never gets there.
pub fn plateau_crossover(
    radius: &[f64],
    values: &[f64],
    far: [f64; 2],
    fraction: f64,
) -> Option<f64> {
    let scaled: Vec<(f64, f64)> = radius
        .iter()
        .zip(values)
        .filter(|(_, v)| v.is_finite())
        .map(|(r, v)| (*r, r * r * v))
        .collect();
    let far_values: Vec<f64> = scaled
        .iter()
        .filter(|(r, _)| *r >= far[0] && *r <= far[1])
        .map(|p| p.1)
        .collect();
    if far_values.is_empty() {
        return None;
    }
    let plateau = far_values.mean();
    let level = fraction * plateau;
    scaled.windows(2).find_map(|pair| {
        let [(r0, y0), (r1, y1)] = [pair[0], pair[1]];
        (y0 < level && y1 >= level).then(|| r0 + (r1 - r0) * (level - y0) / (y1 - y0))
    })
}

/// A crossover length of a radial profile, and whether the box limits it.
#[derive(Clone, Debug, PartialEq)]
pub struct Crossover {
    /// Where r² f(r) first reaches the fraction of its far-field plateau (`None`: never).
    pub radius: Option<f64>,
    /// The crossover lies inside the far-field window, or r² f still rises across it by more than the
    /// crossover's own tolerance (1 − fraction) of the plateau: the box is too small for the length,
    /// which is then only a lower bound.
    pub box_limited: bool,
    /// Why it is box-limited or missing (empty otherwise).
    pub note: String,
}

/// The crossover of r² f(r) to its far-field plateau (see [`plateau_crossover`]), checked against the
/// box (see [`Crossover`]).
pub fn crossover(radius: &[f64], values: &[f64], far: [f64; 2], fraction: f64) -> Crossover {
    let far_points: Vec<(f64, f64)> = radius
        .iter()
        .zip(values)
        .filter(|(r, v)| v.is_finite() && **r >= far[0] && **r <= far[1])
        .map(|(r, v)| (*r, r * r * v))
        .collect();
    if far_points.len() < 2 {
        return Crossover {
            radius: None,
            box_limited: true,
            note: "no profile in the far-field window".into(),
        };
    }
    let x: Vec<f64> = far_points.iter().map(|p| p.0).collect();
    let y: Vec<f64> = far_points.iter().map(|p| p.1).collect();
    let plateau = y.iter().sum::<f64>() / y.len() as f64;
    let rise = linear_fit(&x, &y, None).map_or(0.0, |(slope, _)| slope * (far[1] - far[0]));
    let radius = plateau_crossover(radius, values, far, fraction);
    let mut notes = Vec::new();
    if rise > (1.0 - fraction) * plateau.abs() {
        notes.push(format!(
            "r² profile still rising across the far field (+{:.0}% of its plateau)",
            100.0 * rise / plateau.abs()
        ));
    }
    match radius {
        Some(r) if r >= far[0] => notes.push(format!(
            "crossover {r:.2} inside the far-field window [{:.2}, {:.2}]",
            far[0], far[1]
        )),
        Some(_) => {}
        None => notes.push("the profile never reaches its far-field plateau".into()),
    }
    Crossover {
        radius,
        box_limited: !notes.is_empty(),
        note: notes.join("; "),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_xoshiro::Xoshiro256PlusPlus;

    #[test]
    fn the_boltzmann_fit_recovers_a_known_energy() {
        // 𝒩 = 𝒩₀ exp(−E/T) with 5% noise: ln 𝒩 against 1/T has slope −E.
        let energy = 3.3;
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(3);
        let temperatures = [0.33, 0.4, 0.45, 0.5, 0.55, 0.6, 0.7];
        let inverse: Vec<f64> = temperatures.iter().map(|t| 1.0 / t).collect();
        let (log_n, errors): (Vec<f64>, Vec<f64>) = temperatures
            .iter()
            .map(|t| {
                let n = 50.0 * (-energy / t).exp() * (1.0 + 0.05 * (rng.random::<f64>() - 0.5));
                (n.ln(), 0.05)
            })
            .unzip();
        let (slope, _, error) = linear_fit_with_error(&inverse, &log_n, Some(&errors)).unwrap();
        assert!((-slope - energy).abs() < 0.1, "E = {} ± {error}", -slope);
        assert!(error > 0.0 && error < 0.2, "{error}");
    }

    #[test]
    fn the_onset_fit_finds_the_kink() {
        let temperatures = [0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.2, 1.5, 2.0];
        let values: Vec<f64> = temperatures
            .iter()
            .map(|&t: &f64| 9.0 + 6.0 * (0.85 - t).max(0.0))
            .collect();
        let fit = fit_onset(&temperatures, &values, &[0.1; 9]).unwrap();
        assert!((fit.onset - 0.85).abs() < 0.005, "{fit:?}");
        assert!(
            (fit.plateau - 9.0).abs() < 1e-3 && (fit.slope - 6.0).abs() < 0.05,
            "{fit:?}"
        );
    }

    #[test]
    fn the_crossover_is_where_the_scaled_profile_reaches_its_plateau() {
        // f = (1 − exp(−r/ξ)) / r²: r² f reaches 90% of its plateau 1 at r = ξ ln 10.
        let xi = 1.5;
        let radius: Vec<f64> = (1..400).map(|k| k as f64 * 0.05).collect();
        let values: Vec<f64> = radius
            .iter()
            .map(|r| (1.0 - (-r / xi).exp()) / (r * r))
            .collect();
        let crossing = plateau_crossover(&radius, &values, [15.0, 19.9], 0.9).unwrap();
        assert!((crossing - xi * 10f64.ln()).abs() < 0.01, "{crossing}");
        let checked = crossover(&radius, &values, [15.0, 19.9], 0.9);
        assert_eq!(checked.radius, Some(crossing));
        assert!(!checked.box_limited, "{checked:?}");
    }

    #[test]
    fn a_crossover_the_box_cuts_off_is_flagged_as_a_lower_bound() {
        // ξ = 4 in a box whose far field is [3.5, 5]: r² f still rises there and the crossover
        // (9.2) is never reached.
        let radius: Vec<f64> = (1..100).map(|k| k as f64 * 0.05).collect();
        let values: Vec<f64> = radius
            .iter()
            .map(|r| (1.0 - (-r / 4.0).exp()) / (r * r))
            .collect();
        let checked = crossover(&radius, &values, [3.5, 4.95], 0.9);
        assert!(checked.box_limited, "{checked:?}");
        assert!(checked.note.contains("rising"), "{checked:?}");
        // A sharp rise of r² f at r = 3, inside a far field from 2.8.
        let values: Vec<f64> = radius
            .iter()
            .map(|r| 1.0 / (1.0 + (-(r - 3.0) / 0.05).exp()) / (r * r))
            .collect();
        let checked = crossover(&radius, &values, [2.8, 4.95], 0.9);
        assert!(
            checked.box_limited && checked.note.contains("inside"),
            "{checked:?}"
        );
    }
}
