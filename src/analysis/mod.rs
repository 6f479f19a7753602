//! From a campaign's stored samples to the paper's quantities (docs/analysis.md): per (N, T_p) the
//! sample means, ω_g by three estimators, A_g in the ω⁴ regime chosen from the data, 𝒩 = A_g ω_g⁵
//! and the lengths ([`point`]); across the T_p of each N, T_onset from the plateau of G and the
//! Boltzmann law of 𝒩 where the data resolve it ([`temperature`]). Errors come from a bootstrap over
//! blocks of correlated samples with fixed seeds, so the summary of the same samples is always the
//! same; a quantity the data do not resolve is reported as unresolved, with the reason.

pub mod claims;
pub mod dos;
pub mod fits;
pub mod point;
pub mod resampling;
pub mod samples;
pub mod softness;
pub mod summary;
pub mod temperature;

use serde::Serialize;

use crate::campaign::Campaign;
use crate::campaign::store::Inventory;
use crate::error::{Error, Result};
use dos::WindowRule;
use fits::Value;
pub use point::{OmegaEstimator, PointSummary};
use samples::SampleData;
use temperature::{Boltzmann, Onset, Series};

/// Why the data do not resolve a quantity, in words: the summary reports it as *unresolved* with
/// this reason, and nothing downstream treats it as a measurement.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Unresolved(pub String);

/// A quantity the data resolve, or why they do not.
pub type Resolved<T> = std::result::Result<T, Unresolved>;

impl std::fmt::Display for Unresolved {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Choices of the analysis (command-line options of `pinch analyze`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AnalysisOptions {
    /// How the A_g window is chosen.
    pub window: WindowRule,
    /// Modes below the phonon band edge with participation ratio below this count as QLMs.
    pub qlm_participation: f64,
    /// Crossover lengths: where r² f(r) first reaches this fraction of its far-field plateau.
    pub plateau_fraction: f64,
    /// The far field: radii from this fraction of L/2 up to L/2.
    pub far_field_from: f64,
    /// Bootstrap replicas.
    pub bootstrap: usize,
    /// The bootstrap's blocks span at least this many τ_α of a chain.
    pub block_tau_alpha: f64,
    /// Points of the A_g sensitivity curve.
    pub sensitivity_points: usize,
    /// T_onset fixed from outside (e.g. a larger campaign) instead of fitted, with its error.
    pub onset: Option<Value>,
}

impl Default for AnalysisOptions {
    fn default() -> Self {
        AnalysisOptions {
            window: WindowRule::default(),
            qlm_participation: 0.15,
            plateau_fraction: 0.9,
            far_field_from: 0.7,
            bootstrap: 400,
            block_tau_alpha: 3.0,
            sensitivity_points: 40,
            onset: None,
        }
    }
}

/// The fits across the temperatures of one N.
#[derive(Clone, Debug, Serialize)]
pub struct SizeSummary {
    /// N.
    pub n_particles: usize,
    /// T_onset from the plateau of ⟨G⟩(T_p), or why the data do not locate it.
    pub shear_onset: Resolved<Onset>,
    /// T_onset from where ⟨U_IS⟩/N leaves its plateau (the cross-check), or why not.
    pub energy_onset: Resolved<Onset>,
    /// The Boltzmann fit of 𝒩 with each ω_g estimator ([`OmegaEstimator::ALL`]), with the summary's
    /// T_onset.
    pub boltzmann: Vec<Boltzmann>,
}

/// The whole analysis.
#[derive(Clone, Debug, Serialize)]
pub struct Summary {
    /// The campaign's name.
    pub campaign: String,
    /// The options used.
    pub options: AnalysisOptions,
    /// Per point.
    pub points: Vec<PointSummary>,
    /// Per N.
    pub sizes: Vec<SizeSummary>,
    /// The N whose onset sets the paper's units (the one with most temperatures and a located onset).
    pub reference_size: Option<usize>,
    /// T_onset [ε/k_B], with its error and replicas.
    pub onset: Option<Onset>,
    /// Where T_onset comes from: "shear_modulus" (the plateau of G), "energy_per_particle" (that of
    /// U_IS/N, when G's does not locate it), "given" (`--onset`) or "none".
    pub onset_source: String,
    /// G_∞ [ε/λ_min³]: the plateau of G.
    pub shear_modulus_infinity: Value,
    /// c_∞ = √(G_∞/ρ).
    pub sound_speed_infinity: f64,
    /// Samples stored as failed or found damaged, excluded from everything.
    pub excluded: usize,
}

impl Summary {
    /// T_onset's value (NaN when unknown).
    pub fn onset_temperature(&self) -> f64 {
        self.onset.as_ref().map_or(f64::NAN, |o| o.onset.value)
    }
}

/// The number of samples a bootstrap block holds: enough to span `block_tau_alpha` τ_α at the
/// closest spacing of consecutive samples of a chain among `samples` (spacing by the inherent-state
/// energy varies from chain to chain), or at the campaign's `spacing_tau_alpha` where no chain has two.
pub fn block_length(
    samples: &[SampleData],
    campaign: &Campaign,
    options: &AnalysisOptions,
) -> usize {
    let closest = samples
        .windows(2)
        .filter(|w| (w[0].chain, w[0].branch) == (w[1].chain, w[1].branch))
        .map(|w| {
            (w[1].sweep_tau_alpha - w[0].sweep_tau_alpha) / (w[1].position - w[0].position) as f64
        })
        .filter(|spacing| spacing.is_finite() && *spacing > 0.0)
        .fold(f64::INFINITY, f64::min);
    let spacing = if closest.is_finite() {
        closest
    } else {
        campaign.sampling.spacing_tau_alpha
    };
    (options.block_tau_alpha / spacing - 1e-9).ceil().max(1.0) as usize
}

/// Reads every complete sample of the campaign and summarises them.
pub fn analyse(
    campaign: &Campaign,
    inventory: &Inventory,
    options: &AnalysisOptions,
) -> Result<Summary> {
    let mut points = Vec::new();
    let mut excluded_total = 0;
    for point in campaign.points() {
        let (samples, excluded) = samples::read_point(campaign, inventory, point);
        excluded_total += excluded.len();
        let block = block_length(&samples, campaign, options);
        if let Some(summary) = point::summarise_point(&samples, excluded, block, options) {
            points.push(summary);
        }
    }
    if points.is_empty() {
        let excluded = match excluded_total {
            0 => String::new(),
            n => format!(" ({n} excluded: failed or damaged; `pinch campaign status` says why)"),
        };
        return Err(Error::Usage(format!(
            "campaign {} has no complete samples to analyse yet{excluded}",
            campaign.name
        )));
    }
    Ok(fit_across_temperatures(
        campaign.name.clone(),
        &campaign.sizes,
        points,
        excluded_total,
        options,
    ))
}

/// The onsets of every N, the reference T_onset and G_∞, and the Boltzmann fits with that T_onset.
pub fn fit_across_temperatures(
    campaign: String,
    sizes: &[usize],
    points: Vec<PointSummary>,
    excluded: usize,
    options: &AnalysisOptions,
) -> Summary {
    let onsets: Vec<(usize, usize, Resolved<Onset>, Resolved<Onset>)> = sizes
        .iter()
        .map(|&n| {
            let series = Series::new(&points, n);
            let shear = series.onset(&|p| p.shear_modulus, &|e| e.shear_modulus, true);
            let energy = series.onset(
                &|p| p.energy_per_particle,
                &|e| e.energy_per_particle,
                false,
            );
            (n, series.points().len(), shear, energy)
        })
        .collect();
    // The reference N: a located onset, the most temperatures, the smallest N on ties.
    let reference = onsets
        .iter()
        .filter(|o| o.2.is_ok() || o.3.is_ok())
        .max_by_key(|o| (o.1, std::cmp::Reverse(o.0)));
    let (reference_size, onset, onset_source) = match (options.onset, reference) {
        (Some(given), _) => {
            let n = onsets
                .iter()
                .max_by_key(|o| (o.1, std::cmp::Reverse(o.0)))
                .map(|o| o.0);
            let series = n.map(|n| Series::new(&points, n));
            let plateau = series
                .as_ref()
                .and_then(|s| s.plateau(given.value, &|p| Some(p.shear_modulus)))
                .unwrap_or(Value::bare(f64::NAN));
            (
                n,
                Some(Onset::given(given, options.bootstrap, plateau)),
                "given",
            )
        }
        (None, Some((n, _, Ok(shear), _))) => (Some(*n), Some(shear.clone()), "shear_modulus"),
        (None, Some((n, _, Err(_), Ok(energy)))) => {
            // G's plateau is not located: G_∞ is the error-weighted mean G at and above U_IS's
            // onset (the onset's own fit stays that of U_IS).
            let series = Series::new(&points, *n);
            let plateau = series
                .plateau(energy.onset.value, &|p| Some(p.shear_modulus))
                .unwrap_or(Value::bare(f64::NAN));
            (
                Some(*n),
                Some(Onset {
                    plateau,
                    plateau_draws: Vec::new(),
                    ..energy.clone()
                }),
                "energy_per_particle",
            )
        }
        _ => (None, None, "none"),
    };
    let sizes = onsets
        .into_iter()
        .map(|(n, _, shear_onset, energy_onset)| {
            let series = Series::new(&points, n);
            let boltzmann = match &onset {
                Some(onset) => OmegaEstimator::ALL
                    .iter()
                    .map(|&k| series.boltzmann(k, onset))
                    .collect(),
                None => Vec::new(),
            };
            SizeSummary {
                n_particles: n,
                shear_onset,
                energy_onset,
                boltzmann,
            }
        })
        .collect();
    let shear_modulus_infinity = onset.as_ref().map_or(Value::bare(f64::NAN), |o| o.plateau);
    let density = points.first().map_or(f64::NAN, |p| p.density);
    Summary {
        campaign,
        options: options.clone(),
        sound_speed_infinity: (shear_modulus_infinity.value / density).sqrt(),
        points,
        sizes,
        reference_size,
        onset,
        onset_source: onset_source.to_owned(),
        shear_modulus_infinity,
        excluded,
    }
}

#[cfg(test)]
mod tests;
