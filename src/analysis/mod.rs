//! From a campaign's stored samples to the paper's quantities, per (N, T_p) and across T_p
//! (physics.md (e)–(j)).
//!
//! Per point: the cumulative DOS per degree of freedom and its A_g fit (window and bootstrap error),
//! ω_g as the mean over samples of each sample's mean ω^(ij) (with √⟨κ⟩ and the median ω beside it),
//! the sample-mean G, K and U_IS/N, c_s = √(G/ρ), 𝒩 = A_g ω_g⁵, ξ_g = 2π c_s/ω_g, ξ_co and ξ_QLM from
//! the averaged radial profiles, ⟨ω_min⟩. Across the temperatures of each N: T_onset from the plateau
//! of ⟨G⟩(T_p) (and of ⟨U_IS⟩ as a cross-check), and the Boltzmann fit of ln 𝒩 against T_onset/T_p
//! giving E_QLM. Errors come from a bootstrap over samples with a fixed seed, so the summary of the
//! same samples is always the same.

pub mod fits;
pub mod summary;

use std::path::Path;

use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use serde::Serialize;
use statrs::statistics::{Data, OrderStatistics};

use crate::campaign::Campaign;
use crate::campaign::store::{COMPLETE, Inventory, Kind};
use crate::error::{Error, Result};
use fits::{OnsetFit, PowerLawFit, Value};

/// Choices of the analysis (command-line options of `pinch analyze`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AnalysisOptions {
    /// The A_g window ends at this fraction of the lowest transverse phonon frequency 2π c_s/L.
    pub phonon_fraction: f64,
    /// The A_g window starts at the frequency of this many modes (pooled over the point's samples).
    pub first_mode: usize,
    /// Modes below the A_g window's end with participation ratio below this count as QLMs.
    pub qlm_participation: f64,
    /// Crossover lengths: where r² f(r) first reaches this fraction of its far-field plateau.
    pub plateau_fraction: f64,
    /// The far field: radii from this fraction of L/2 up to L/2.
    pub far_field_from: f64,
    /// The Boltzmann fit uses the points with T_p ≤ this many T_onset.
    pub boltzmann_max_temperature: f64,
    /// Bootstrap resamplings.
    pub bootstrap: usize,
}

impl Default for AnalysisOptions {
    fn default() -> Self {
        AnalysisOptions {
            phonon_fraction: 0.8,
            first_mode: 3,
            qlm_participation: 0.15,
            plateau_fraction: 0.9,
            far_field_from: 0.7,
            boltzmann_max_temperature: 0.75,
            bootstrap: 200,
        }
    }
}

/// A radial profile summed over shells: radii, particle counts and two sums per shell.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Profile {
    /// Shell centres.
    pub radius: Vec<f64>,
    /// Particles per shell.
    pub count: Vec<f64>,
    /// The first sum per shell (û·r̂ for dipoles, |ψ| for modes).
    pub first: Vec<f64>,
    /// The second sum per shell (|û|², |ψ|²).
    pub second: Vec<f64>,
}

impl Profile {
    fn add(&mut self, other: &Profile) {
        if self.radius.is_empty() {
            *self = other.clone();
            return;
        }
        let n = self.radius.len().min(other.radius.len());
        self.radius.truncate(n);
        for (target, source) in [
            (&mut self.count, &other.count),
            (&mut self.first, &other.first),
            (&mut self.second, &other.second),
        ] {
            target.truncate(n);
            for (t, s) in target.iter_mut().zip(source) {
                *t += s;
            }
        }
    }

    fn mean_first(&self) -> Vec<f64> {
        self.first
            .iter()
            .zip(&self.count)
            .map(|(s, c)| if *c > 0.0 { s / c } else { f64::NAN })
            .collect()
    }

    fn mean_second(&self) -> Vec<f64> {
        self.second
            .iter()
            .zip(&self.count)
            .map(|(s, c)| if *c > 0.0 { s / c } else { f64::NAN })
            .collect()
    }
}

/// What the analysis reads of one sample.
#[derive(Clone, Debug, Default)]
pub struct SampleData {
    /// Its name.
    pub id: String,
    /// N.
    pub n_particles: usize,
    /// T_p.
    pub parent_temperature: f64,
    /// Box edge L.
    pub box_length: f64,
    /// Inherent-state energy per particle.
    pub energy_per_particle: f64,
    /// Lowest nonzero mode frequencies, ascending.
    pub frequencies: Vec<f64>,
    /// Their participation ratios.
    pub participation_ratios: Vec<f64>,
    /// Each mode's profile about its centre (`first` = Σ|ψ|), if stored.
    pub mode_profiles: Vec<Profile>,
    /// Mean shear modulus over the three planes.
    pub shear_modulus: f64,
    /// Bulk modulus.
    pub bulk_modulus: f64,
    /// Pressure.
    pub pressure: f64,
    /// ω^(ij) of each dipole.
    pub omega: Vec<f64>,
    /// The summed profile of the normalised dipole responses.
    pub dipole_profile: Profile,
}

/// Reads sample `id` from part `path`; `Err` says what is missing or damaged.
pub fn read_sample(path: &Path, id: &str) -> std::result::Result<SampleData, String> {
    let _deadline = crate::io::deadline::ReadDeadline::start(path);
    let file = hdf5::File::open(path).map_err(|e| e.to_string())?;
    let group = file
        .group(&format!("{}/{id}", Kind::Sample.group()))
        .map_err(|e| e.to_string())?;
    let f64s = |member: &str| -> std::result::Result<Option<(Vec<f64>, Vec<usize>)>, String> {
        match group.dataset(member) {
            Ok(ds) => ds
                .read_raw::<f64>()
                .map(|v| Some((v, ds.shape())))
                .map_err(|e| format!("{member}: {e}")),
            Err(_) => Ok(None),
        }
    };
    let scalar = |member: &str| -> std::result::Result<f64, String> {
        group
            .dataset(member)
            .and_then(|ds| ds.read_scalar::<f64>())
            .map_err(|e| format!("{member}: {e}"))
    };
    let attributes = |member: &str| {
        group
            .group(member)
            .ok()
            .and_then(|g| crate::io::h5md::read_attributes(&g).ok())
    };
    let own = crate::io::h5md::read_attributes(&group).map_err(|e| e.to_string())?;
    let number = |map: &serde_json::Map<String, serde_json::Value>, key: &str| {
        map.get(key).and_then(|v| v.as_f64()).unwrap_or(f64::NAN)
    };
    let edges = f64s("particles/all/box/edges")?.ok_or("no box")?.0;
    let (positions, shape) = f64s("particles/all/position")?.ok_or("no positions")?;
    drop(positions);
    let mut sample = SampleData {
        id: id.to_owned(),
        n_particles: shape[0],
        parent_temperature: number(&own, "parent_temperature"),
        box_length: edges[0],
        energy_per_particle: scalar("observables/energy_per_particle")?,
        ..Default::default()
    };
    if let Some((values, _)) = f64s("modes/frequencies")? {
        sample.frequencies = values;
        sample.participation_ratios = f64s("modes/participation_ratios")?
            .map(|v| v.0)
            .unwrap_or_default();
        if let (Some((radius, _)), Some((count, shape)), Some((first, _)), Some((second, _))) = (
            f64s("modes/profile/radius")?,
            f64s("modes/profile/count")?,
            f64s("modes/profile/sum_magnitude")?,
            f64s("modes/profile/sum_magnitude2")?,
        ) {
            let bins = radius.len();
            let modes = if shape.len() == 2 { shape[0] } else { 1 };
            for k in 0..modes {
                let range = k * bins..(k + 1) * bins;
                sample.mode_profiles.push(Profile {
                    radius: radius.clone(),
                    count: count[range.clone()].to_vec(),
                    first: first[range.clone()].to_vec(),
                    second: second[range].to_vec(),
                });
            }
        }
    }
    if let Some(elastic) = attributes("elastic") {
        sample.shear_modulus = number(&elastic, "shear_mean");
        sample.bulk_modulus = number(&elastic, "bulk");
        sample.pressure = number(&elastic, "pressure");
    } else {
        sample.shear_modulus = f64::NAN;
        sample.bulk_modulus = f64::NAN;
        sample.pressure = f64::NAN;
    }
    if let Some((omega, _)) = f64s("dipoles/omega")? {
        sample.omega = omega;
        if let (Some((radius, _)), Some((count, _)), Some((first, _)), Some((second, _))) = (
            f64s("dipoles/profile/radius")?,
            f64s("dipoles/profile/count")?,
            f64s("dipoles/profile/sum_radial")?,
            f64s("dipoles/profile/sum_magnitude2")?,
        ) {
            sample.dipole_profile = Profile {
                radius,
                count,
                first,
                second,
            };
        }
    }
    Ok(sample)
}

/// The A_g fit of one point with its bootstrap error.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct AgFit {
    /// The fit on all samples.
    pub fit: PowerLawFit,
    /// Bootstrap standard error of A_g.
    pub error: f64,
}

/// Everything the analysis says about one (N, T_p).
#[derive(Clone, Debug, Serialize)]
pub struct PointSummary {
    /// N.
    pub n_particles: usize,
    /// T_p [ε/k_B].
    pub parent_temperature: f64,
    /// Samples used.
    pub samples: usize,
    /// Samples excluded (failed, or damaged), with the reasons.
    pub excluded: Vec<String>,
    /// Box edge L [λ_min].
    pub box_length: f64,
    /// Number density ρ = N/V (mass 1).
    pub density: f64,
    /// a0 = (V/N)^{1/3} [λ_min].
    pub a0: f64,
    /// ⟨U_IS⟩/N [ε].
    pub energy_per_particle: Value,
    /// Sample-mean athermal shear modulus G [ε/λ_min³].
    pub shear_modulus: Value,
    /// Sample-mean bulk modulus.
    pub bulk_modulus: Value,
    /// Sample-mean pressure.
    pub pressure: Value,
    /// c_s = √(G/ρ).
    pub sound_speed: Value,
    /// The lowest transverse phonon frequency 2π c_s/L.
    pub phonon_frequency: f64,
    /// Mean lowest nonzero frequency.
    pub omega_min: Value,
    /// Below this frequency every sample's computed modes are complete.
    pub modes_complete_below: f64,
    /// ω_g: mean over samples of each sample's mean ω^(ij).
    pub omega_g: Value,
    /// √⟨κ⟩ over all dipoles of the point.
    pub sqrt_mean_kappa: f64,
    /// Median ω^(ij) over all dipoles of the point.
    pub median_omega: f64,
    /// Dipoles in all.
    pub dipoles: usize,
    /// The A_g fit, if the window holds modes.
    pub a_g: Option<AgFit>,
    /// 𝒩 = A_g ω_g⁵ (dimensionless).
    pub qlm_number: Value,
    /// ξ_g = 2π c_s/ω_g [λ_min].
    pub xi_g: Value,
    /// ξ_co from the dipole profile [λ_min].
    pub xi_co: Value,
    /// ξ_QLM from the QLM profile [λ_min].
    pub xi_qlm: Value,
    /// a0 (e N)^{1/3} averaged over the QLMs [λ_min].
    pub xi_qlm_participation: Value,
    /// QLMs (modes in the A_g window's range with small participation) in all.
    pub qlms: usize,
    /// The cumulative DOS per degree of freedom: frequencies and values.
    #[serde(skip)]
    pub cdf: (Vec<f64>, Vec<f64>),
    /// The averaged dipole profile (first: mean û·r̂, second: mean |û|²).
    #[serde(skip)]
    pub dipole_profile: Profile,
    /// The averaged QLM profile (first: mean |ψ|).
    #[serde(skip)]
    pub qlm_profile: Profile,
}

fn mean_omega(sample: &SampleData) -> Option<f64> {
    let finite: Vec<f64> = sample
        .omega
        .iter()
        .copied()
        .filter(|w| w.is_finite())
        .collect();
    (!finite.is_empty()).then(|| finite.iter().sum::<f64>() / finite.len() as f64)
}

/// The far-field window of a box of edge `l`.
fn far_field(l: f64, options: &AnalysisOptions) -> [f64; 2] {
    [options.far_field_from * l / 2.0, l / 2.0]
}

/// ξ_co of a (summed) dipole profile: where r² ⟨|û|²⟩^{1/2} reaches its plateau.
fn crossover_of_dipoles(profile: &Profile, l: f64, options: &AnalysisOptions) -> Option<f64> {
    let rms: Vec<f64> = profile.mean_second().iter().map(|m| m.sqrt()).collect();
    fits::plateau_crossover(
        &profile.radius,
        &rms,
        far_field(l, options),
        options.plateau_fraction,
    )
}

fn crossover_of_modes(profile: &Profile, l: f64, options: &AnalysisOptions) -> Option<f64> {
    fits::plateau_crossover(
        &profile.radius,
        &profile.mean_first(),
        far_field(l, options),
        options.plateau_fraction,
    )
}

/// The statistics of one point from its samples (all of one N and T_p).
pub fn summarise_point(
    samples: &[SampleData],
    excluded: Vec<String>,
    options: &AnalysisOptions,
) -> Option<PointSummary> {
    let first = samples.first()?;
    let n = first.n_particles;
    let l = first.box_length;
    let volume = l.powi(3);
    let density = n as f64 / volume;
    let a0 = (volume / n as f64).cbrt();
    let collect = |f: &dyn Fn(&SampleData) -> f64| -> Vec<f64> {
        samples.iter().map(f).filter(|v| v.is_finite()).collect()
    };
    let shear = Value::mean_of(&collect(&|s| s.shear_modulus));
    let sound_speed = Value {
        value: (shear.value / density).sqrt(),
        error: 0.5 * shear.error / (shear.value * density).sqrt(),
    };
    let phonon_frequency = 2.0 * std::f64::consts::PI * sound_speed.value / l;
    let modes_complete_below = samples
        .iter()
        .map(|s| s.frequencies.last().copied().unwrap_or(0.0))
        .fold(f64::INFINITY, f64::min);
    let window_end = (options.phonon_fraction * phonon_frequency).min(modes_complete_below);

    // Per-sample pieces the bootstrap resamples.
    let per_sample_omega: Vec<Option<f64>> = samples.iter().map(mean_omega).collect();
    let a_g_of = |chosen: &[usize]| -> Option<PowerLawFit> {
        let frequencies: Vec<f64> = chosen
            .iter()
            .flat_map(|&k| samples[k].frequencies.iter().copied())
            .collect();
        let (omega, cdf) = fits::cumulative_dos(&frequencies, 3 * n, chosen.len());
        let start = omega.get(options.first_mode.saturating_sub(1)).copied()?;
        fits::fit_quintic(&omega, &cdf, [start, window_end])
    };
    let omega_g_of = |chosen: &[usize]| -> Option<f64> {
        let values: Vec<f64> = chosen.iter().filter_map(|&k| per_sample_omega[k]).collect();
        (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
    };
    let dipole_profile_of = |chosen: &[usize]| -> Profile {
        let mut total = Profile::default();
        for &k in chosen {
            if !samples[k].dipole_profile.radius.is_empty() {
                total.add(&samples[k].dipole_profile);
            }
        }
        total
    };
    let all: Vec<usize> = (0..samples.len()).collect();
    let a_g = a_g_of(&all);
    let omega_g_value = omega_g_of(&all);
    let dipole_profile = dipole_profile_of(&all);
    let xi_co_value = crossover_of_dipoles(&dipole_profile, l, options);

    let mut rng = Xoshiro256PlusPlus::seed_from_u64(0x5eed);
    let (mut a_g_draws, mut omega_g_draws, mut qlm_draws, mut xi_co_draws) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    if samples.len() > 1 {
        for _ in 0..options.bootstrap {
            let chosen: Vec<usize> = (0..samples.len())
                .map(|_| rng.random_range(0..samples.len()))
                .collect();
            let a = a_g_of(&chosen).map(|f| f.prefactor);
            let w = omega_g_of(&chosen);
            if let Some(a) = a {
                a_g_draws.push(a);
            }
            if let Some(w) = w {
                omega_g_draws.push(w);
            }
            if let (Some(a), Some(w)) = (a, w) {
                qlm_draws.push(a * w.powi(5));
            }
            if let Some(x) = crossover_of_dipoles(&dipole_profile_of(&chosen), l, options) {
                xi_co_draws.push(x);
            }
        }
    }
    let spread = |draws: &[f64]| {
        if draws.len() > 1 {
            statrs::statistics::Statistics::std_dev(draws)
        } else {
            f64::NAN
        }
    };
    let omega_g = Value {
        value: omega_g_value.unwrap_or(f64::NAN),
        error: spread(&omega_g_draws),
    };
    let qlm_number = Value {
        value: match (a_g, omega_g_value) {
            (Some(fit), Some(w)) => fit.prefactor * w.powi(5),
            _ => f64::NAN,
        },
        error: spread(&qlm_draws),
    };
    let xi_g = Value {
        value: 2.0 * std::f64::consts::PI * sound_speed.value / omega_g.value,
        error: 2.0 * std::f64::consts::PI * sound_speed.value / omega_g.value
            * ((sound_speed.error / sound_speed.value).powi(2)
                + (omega_g.error / omega_g.value).powi(2))
            .sqrt(),
    };

    // QLMs: modes below the window's end with small participation.
    let mut qlm_profile = Profile::default();
    let mut qlm_lengths = Vec::new();
    let mut qlms = 0;
    for sample in samples {
        for (k, (&w, &e)) in sample
            .frequencies
            .iter()
            .zip(&sample.participation_ratios)
            .enumerate()
        {
            if w < window_end && e < options.qlm_participation {
                qlms += 1;
                qlm_lengths.push(a0 * (e * n as f64).cbrt());
                if let Some(profile) = sample.mode_profiles.get(k) {
                    qlm_profile.add(profile);
                }
            }
        }
    }
    let pooled_omega: Vec<f64> = samples
        .iter()
        .flat_map(|s| s.omega.iter().copied())
        .filter(|w| w.is_finite())
        .collect();
    let mean_kappa = pooled_omega.iter().map(|w| w * w).sum::<f64>() / pooled_omega.len() as f64;
    Some(PointSummary {
        n_particles: n,
        parent_temperature: first.parent_temperature,
        samples: samples.len(),
        excluded,
        box_length: l,
        density,
        a0,
        energy_per_particle: Value::mean_of(&collect(&|s| s.energy_per_particle)),
        shear_modulus: shear,
        bulk_modulus: Value::mean_of(&collect(&|s| s.bulk_modulus)),
        pressure: Value::mean_of(&collect(&|s| s.pressure)),
        sound_speed,
        phonon_frequency,
        omega_min: Value::mean_of(&collect(&|s| {
            s.frequencies.first().copied().unwrap_or(f64::NAN)
        })),
        modes_complete_below,
        omega_g,
        sqrt_mean_kappa: mean_kappa.sqrt(),
        median_omega: if pooled_omega.is_empty() {
            f64::NAN
        } else {
            Data::new(pooled_omega.clone()).median()
        },
        dipoles: pooled_omega.len(),
        a_g: a_g.map(|fit| AgFit {
            fit,
            error: spread(&a_g_draws),
        }),
        qlm_number,
        xi_g,
        xi_co: Value {
            value: xi_co_value.unwrap_or(f64::NAN),
            error: spread(&xi_co_draws),
        },
        xi_qlm: Value::bare(crossover_of_modes(&qlm_profile, l, options).unwrap_or(f64::NAN)),
        xi_qlm_participation: Value::mean_of(&qlm_lengths),
        qlms,
        cdf: {
            let frequencies: Vec<f64> = samples
                .iter()
                .flat_map(|s| s.frequencies.iter().copied())
                .collect();
            fits::cumulative_dos(&frequencies, 3 * n, samples.len())
        },
        dipole_profile,
        qlm_profile,
    })
}

/// The fits across the temperatures of one N.
#[derive(Clone, Debug, Serialize)]
pub struct SizeSummary {
    /// N.
    pub n_particles: usize,
    /// The onset fit of ⟨G⟩(T_p): T_onset and G_∞ (if the data locate a kink: inside the range of
    /// T_p, with G at the lowest T_p above the plateau by more than twice its error).
    pub shear_onset: Option<OnsetFit>,
    /// The onset fit of ⟨U_IS⟩/N(T_p) (the same conditions, U_IS below its plateau).
    pub energy_onset: Option<OnsetFit>,
    /// The Boltzmann fit of ln 𝒩 against T_onset/T_p: E_QLM/(k_B T_onset) with its error.
    pub qlm_energy: Option<Value>,
    /// The T_p of the points in the Boltzmann fit.
    pub boltzmann_temperatures: Vec<f64>,
}

impl SizeSummary {
    /// T_onset and where it comes from: the G plateau if the data locate it, else where U_IS/N leaves
    /// its plateau.
    pub fn onset(&self) -> Option<(f64, &'static str)> {
        self.shear_onset
            .map(|f| (f.onset, "shear_modulus"))
            .or(self.energy_onset.map(|f| (f.onset, "energy_per_particle")))
    }
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
    /// The N whose onset fit sets the paper's units (the one with most temperatures and a fit).
    pub reference_size: Option<usize>,
    /// T_onset [ε/k_B] of the reference N.
    pub onset_temperature: f64,
    /// What located T_onset: "shear_modulus" (the plateau of G) or "energy_per_particle" (that of
    /// U_IS/N, when G's statistics do not locate it).
    pub onset_source: String,
    /// G_∞ [ε/λ_min³] of the reference N.
    pub shear_modulus_infinity: f64,
    /// c_∞ = √(G_∞/ρ).
    pub sound_speed_infinity: f64,
    /// Samples stored as failed or found damaged, excluded from everything.
    pub excluded: usize,
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
        let mut samples = Vec::new();
        let mut excluded = Vec::new();
        for index in 0..campaign.sampling.chains {
            let chain = crate::campaign::Chain { point, index };
            for k in 0..campaign.sampling.samples_per_chain {
                let id = chain.sample_id(k);
                let Some(found) = inventory.samples.get(&id) else {
                    continue;
                };
                if found.status() != COMPLETE {
                    excluded.push(format!(
                        "{id}: {}",
                        found.text("reason").unwrap_or("failed")
                    ));
                    continue;
                }
                // Every dataset is read once, so that damage anywhere in the sample shows.
                let read = crate::campaign::store::verify(&found.path, Kind::Sample, &id)
                    .and_then(|()| read_sample(&found.path, &id));
                match read {
                    Ok(sample) => samples.push(sample),
                    Err(problem) => excluded.push(format!(
                        "{id}: damaged in {}: {problem}",
                        found.path.display()
                    )),
                }
            }
        }
        excluded_total += excluded.len();
        if let Some(summary) = summarise_point(&samples, excluded, options) {
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
    let mut sizes = Vec::new();
    for &n in &campaign.sizes {
        let mut of_size: Vec<&PointSummary> =
            points.iter().filter(|p| p.n_particles == n).collect();
        of_size.sort_by(|a, b| a.parent_temperature.total_cmp(&b.parent_temperature));
        let temperatures: Vec<f64> = of_size.iter().map(|p| p.parent_temperature).collect();
        let onset = |value: &dyn Fn(&PointSummary) -> Value| {
            let values: Vec<Value> = of_size.iter().map(|p| value(p)).collect();
            fits::fit_onset(
                &temperatures,
                &values.iter().map(|v| v.value).collect::<Vec<_>>(),
                &values.iter().map(|v| v.error).collect::<Vec<_>>(),
            )
        };
        let shear_onset = onset(&|p| p.shear_modulus);
        let energy_onset = onset(&|p| p.energy_per_particle);
        let significant = |fit: &Option<OnsetFit>, value: &dyn Fn(&PointSummary) -> Value| {
            // A kink inside the range, and a departure from the plateau at the lowest T_p larger than
            // twice that point's error: otherwise the data do not locate an onset.
            fit.filter(|f| {
                let lowest = of_size.first().map(|p| value(p));
                f.onset < temperatures[temperatures.len() - 1] * (1.0 - 1e-9)
                    && lowest.is_some_and(|v| {
                        (v.value - f.plateau).abs() > 2.0 * v.error.max(0.0)
                            && (f.onset - temperatures[0]) * f.slope.abs() > 0.0
                    })
            })
        };
        let shear_onset = significant(&shear_onset, &|p| p.shear_modulus).filter(|f| f.slope > 0.0);
        let energy_onset =
            significant(&energy_onset, &|p| p.energy_per_particle).filter(|f| f.slope < 0.0);
        let (mut qlm_energy, mut boltzmann_temperatures) = (None, Vec::new());
        let onset = shear_onset.or(energy_onset);
        if let Some(fit) = onset {
            let chosen: Vec<&&PointSummary> = of_size
                .iter()
                .filter(|p| {
                    p.parent_temperature <= options.boltzmann_max_temperature * fit.onset
                        && p.qlm_number.value > 0.0
                })
                .collect();
            boltzmann_temperatures = chosen.iter().map(|p| p.parent_temperature).collect();
            let x: Vec<f64> = chosen
                .iter()
                .map(|p| fit.onset / p.parent_temperature)
                .collect();
            let y: Vec<f64> = chosen.iter().map(|p| p.qlm_number.value.ln()).collect();
            let e: Vec<f64> = chosen
                .iter()
                .map(|p| p.qlm_number.error / p.qlm_number.value)
                .collect();
            let weighted = e.iter().all(|e| e.is_finite() && *e > 0.0);
            qlm_energy = fits::linear_fit_with_error(&x, &y, weighted.then_some(e.as_slice())).map(
                |(slope, _, error)| Value {
                    value: -slope,
                    error,
                },
            );
        }
        sizes.push(SizeSummary {
            n_particles: n,
            shear_onset,
            energy_onset,
            qlm_energy,
            boltzmann_temperatures,
        });
    }
    let reference = sizes
        .iter()
        .filter(|s| s.onset().is_some())
        .max_by_key(|s| {
            (
                points
                    .iter()
                    .filter(|p| p.n_particles == s.n_particles)
                    .count(),
                std::cmp::Reverse(s.n_particles),
            )
        });
    let (reference_size, onset_temperature, onset_source, shear_modulus_infinity) = match reference
    {
        Some(s) => {
            let (onset, source) = s.onset().expect("filtered");
            // G_∞: the plateau of the G fit, or the mean G at and above T_onset.
            let above: Vec<f64> = points
                .iter()
                .filter(|p| p.n_particles == s.n_particles && p.parent_temperature >= onset)
                .map(|p| p.shear_modulus.value)
                .collect();
            let plateau = match source {
                "shear_modulus" => s.shear_onset.expect("its source").plateau,
                _ => Value::mean_of(&above).value,
            };
            (Some(s.n_particles), onset, source.to_owned(), plateau)
        }
        None => (None, f64::NAN, "none".to_owned(), f64::NAN),
    };
    let density = points[0].density;
    Ok(Summary {
        campaign: campaign.name.clone(),
        options: options.clone(),
        points,
        sizes,
        reference_size,
        onset_temperature,
        onset_source,
        shear_modulus_infinity,
        sound_speed_infinity: (shear_modulus_infinity / density).sqrt(),
        excluded: excluded_total,
    })
}
