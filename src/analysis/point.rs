//! The statistics of one (N, T_p) from its samples: sample means, ω_g by each estimator, A_g in the
//! ω⁴ regime, 𝒩 = A_g ω_g⁵, the lengths; every error from a bootstrap over blocks of a chain's
//! samples (docs/analysis.md).

use serde::Serialize;

use super::AnalysisOptions;
use super::dos::{self, Sensitivity, Spectrum, Window};
use super::fits::{self, Crossover, Value};
use super::resampling::{self, Blocks};
use super::samples::{Profile, SampleData};
use super::softness::{core_size, quasilocalised_modes};

/// The estimators of ω_g from a sample's dipole frequencies ω^(ij).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OmegaEstimator {
    /// The mean over samples of each sample's mean ω^(ij) (the paper's).
    Mean,
    /// √⟨κ⟩ over all dipoles of the point.
    #[serde(rename = "sqrt_mean_kappa")]
    RootMeanKappa,
    /// The median ω^(ij) over all dipoles of the point.
    Median,
}

impl OmegaEstimator {
    /// All of them, the paper's first.
    pub const ALL: [OmegaEstimator; 3] = [
        OmegaEstimator::Mean,
        OmegaEstimator::RootMeanKappa,
        OmegaEstimator::Median,
    ];

    /// The name used in the summary's keys.
    pub fn key(self) -> &'static str {
        match self {
            OmegaEstimator::Mean => "mean",
            OmegaEstimator::RootMeanKappa => "sqrt_mean_kappa",
            OmegaEstimator::Median => "median",
        }
    }
}

/// The quantities one set of samples gives: the full set, or one bootstrap replica.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Estimates {
    /// ⟨U_IS⟩/N.
    pub energy_per_particle: f64,
    /// ⟨G⟩.
    pub shear_modulus: f64,
    /// ⟨K⟩.
    pub bulk_modulus: f64,
    /// ⟨p⟩.
    pub pressure: f64,
    /// ⟨ω_min⟩.
    pub omega_min: f64,
    /// ω_g by each estimator, in the order of [`OmegaEstimator::ALL`].
    pub omega_g: [f64; 3],
    /// A_g in the chosen window (NaN when unresolved).
    pub a_g: f64,
    /// ξ_co (NaN when no crossover).
    pub xi_co: f64,
    /// Modes per sample below each of [`SOFT_MODE_CUTS`] times 2π c_s/L.
    pub soft_modes: [f64; 3],
}

/// The fractions of the lowest transverse phonon frequency 2π c_s/L below which the summary counts
/// modes per sample: a model-free count of soft modes, not a measurement of A_g (which needs the ω⁴
/// law in its window).
pub const SOFT_MODE_CUTS: [f64; 3] = [0.5, 0.6, 0.7];

impl PointSummary {
    /// The full-data estimates (what a point with a single block stands in with on every replica).
    pub fn replica_central(&self) -> Estimates {
        Estimates {
            energy_per_particle: self.energy_per_particle.value,
            shear_modulus: self.shear_modulus.value,
            bulk_modulus: self.bulk_modulus.value,
            pressure: self.pressure.value,
            omega_min: self.omega_min.value,
            omega_g: self.omega_g.map(|v| v.value),
            a_g: self.a_g.map_or(f64::NAN, |v| v.value),
            xi_co: self.xi_co.value.value,
            soft_modes: self.soft_modes.map(|v| v.value),
        }
    }
}

impl Estimates {
    /// 𝒩 = A_g ω_g⁵ with ω_g by `estimator`.
    pub fn qlm_number(&self, estimator: OmegaEstimator) -> f64 {
        self.a_g * self.omega_g[estimator as usize].powi(5)
    }
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
    /// Chains they come from.
    pub chains: usize,
    /// Bootstrap blocks (of consecutive samples of one chain) they form.
    pub blocks: usize,
    /// Samples per block.
    pub block_length: usize,
    /// The correlation of U_IS/N between neighbouring samples of a chain.
    pub neighbour_correlation: Option<f64>,
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
    /// ω_g by each estimator ([`OmegaEstimator::ALL`]).
    pub omega_g: [Value; 3],
    /// Dipoles in all.
    pub dipoles: usize,
    /// The A_g window, or why there is none.
    pub window: Window,
    /// A_g in the window (None when unresolved).
    pub a_g: Option<Value>,
    /// A_g and the free exponent against the window's upper end.
    pub sensitivity: Sensitivity,
    /// 𝒩 = A_g ω_g⁵ by each ω_g estimator (None when A_g is unresolved).
    pub qlm_number: Option<[Value; 3]>,
    /// ξ_g = 2π c_s/ω_g (mean ω estimator) [λ_min].
    pub xi_g: Value,
    /// ξ_co from the dipole profile [λ_min].
    pub xi_co: Length,
    /// ξ_QLM from the QLM profile [λ_min].
    pub xi_qlm: Length,
    /// a0 (e N)^{1/3} averaged over the QLMs [λ_min].
    pub xi_qlm_participation: Value,
    /// QLMs: modes below the phonon band edge with small participation.
    pub qlms: usize,
    /// Modes per sample below each of [`SOFT_MODE_CUTS`] times 2π c_s/L.
    pub soft_modes: [Value; 3],
    /// The estimates on every bootstrap replica, for the fits across T_p.
    #[serde(skip)]
    pub replicas: Vec<Estimates>,
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

/// A crossover length with its error, and whether the box limits it.
#[derive(Clone, Debug, Serialize)]
pub struct Length {
    /// The length (a lower bound when box-limited), with its bootstrap error.
    pub value: Value,
    /// Set when the crossover lies in the far-field window or the profile still rises at L/2: the
    /// value is then only a lower bound.
    pub box_limited: bool,
    /// Why it is box-limited or missing.
    pub note: String,
}

impl Length {
    fn of(crossover: Crossover, error: f64) -> Length {
        Length {
            value: Value {
                value: crossover.radius.unwrap_or(f64::NAN),
                error,
            },
            box_limited: crossover.box_limited,
            note: crossover.note,
        }
    }
}

fn mean(values: impl Iterator<Item = f64>) -> f64 {
    let (sum, count) = values
        .filter(|v| v.is_finite())
        .fold((0.0, 0usize), |(s, c), v| (s + v, c + 1));
    if count == 0 {
        f64::NAN
    } else {
        sum / count as f64
    }
}

fn median(mut values: Vec<f64>) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    values.sort_by(f64::total_cmp);
    let k = values.len() / 2;
    if values.len() % 2 == 1 {
        values[k]
    } else {
        0.5 * (values[k - 1] + values[k])
    }
}

/// The far-field window of a box of edge `l`.
fn far_field(l: f64, options: &AnalysisOptions) -> [f64; 2] {
    [options.far_field_from * l / 2.0, l / 2.0]
}

/// A point's samples with what every replica needs precomputed.
struct Ensemble<'a> {
    samples: &'a [SampleData],
    n: usize,
    l: f64,
    window: Option<f64>,
    /// [`SOFT_MODE_CUTS`] times the point's 2π c_s/L.
    soft_mode_cuts: [f64; 3],
    dipole_omegas: Vec<Vec<f64>>,
    options: &'a AnalysisOptions,
}

impl Ensemble<'_> {
    fn dipole_profile(&self, chosen: &[usize]) -> Profile {
        let mut total = Profile::default();
        for &k in chosen {
            if !self.samples[k].dipole_profile.radius.is_empty() {
                total.add(&self.samples[k].dipole_profile);
            }
        }
        total
    }

    fn crossover_of_dipoles(&self, profile: &Profile) -> Crossover {
        let rms: Vec<f64> = profile.mean_second().iter().map(|m| m.sqrt()).collect();
        fits::crossover(
            &profile.radius,
            &rms,
            far_field(self.l, self.options),
            self.options.plateau_fraction,
        )
    }

    fn estimates(&self, chosen: &[usize]) -> Estimates {
        let of = |f: &dyn Fn(&SampleData) -> f64| mean(chosen.iter().map(|&k| f(&self.samples[k])));
        let pooled: Vec<f64> = chosen
            .iter()
            .flat_map(|&k| self.dipole_omegas[k].iter().copied())
            .collect();
        let per_sample_mean = mean(
            chosen
                .iter()
                .filter(|&&k| !self.dipole_omegas[k].is_empty())
                .map(|&k| mean(self.dipole_omegas[k].iter().copied())),
        );
        let a_g = match self.window {
            Some(upper) => {
                let below: usize = chosen
                    .iter()
                    .map(|&k| modes_below(&self.samples[k].frequencies, upper))
                    .sum();
                let dof = (3 * self.n * chosen.len()) as f64;
                5.0 * below as f64 / (dof * upper.powi(5))
            }
            None => f64::NAN,
        };
        Estimates {
            energy_per_particle: of(&|s| s.energy_per_particle),
            shear_modulus: of(&|s| s.shear_modulus),
            bulk_modulus: of(&|s| s.bulk_modulus),
            pressure: of(&|s| s.pressure),
            omega_min: of(&|s| s.frequencies.first().copied().unwrap_or(f64::NAN)),
            omega_g: [
                per_sample_mean,
                mean(pooled.iter().map(|w| w * w)).sqrt(),
                median(pooled),
            ],
            a_g,
            xi_co: self
                .crossover_of_dipoles(&self.dipole_profile(chosen))
                .radius
                .unwrap_or(f64::NAN),
            soft_modes: self.soft_mode_cuts.map(|cut| {
                chosen
                    .iter()
                    .map(|&k| modes_below(&self.samples[k].frequencies, cut) as f64)
                    .sum::<f64>()
                    / chosen.len() as f64
            }),
        }
    }
}

/// The statistics of one point from its samples (all of one N and T_p, at least one), with block
/// bootstrap errors over `block_length` consecutive samples of a chain.
pub fn summarise_point(
    samples: &[SampleData],
    excluded: Vec<String>,
    block_length: usize,
    options: &AnalysisOptions,
) -> Option<PointSummary> {
    let first = samples.first()?;
    let n = first.n_particles;
    let l = first.box_length;
    let volume = l.powi(3);
    let density = n as f64 / volume;
    let a0 = (volume / n as f64).cbrt();

    let complete_below = modes_complete_below(samples);
    let (spectrum, window) = spectrum_and_window(samples, n, complete_below, options);
    let cap = window.cap;
    // 2π c_s/L of the full data: the lowest transverse phonon frequency, the unit of the soft-mode cuts.
    let shear = mean(samples.iter().map(|s| s.shear_modulus));
    let phonon_frequency = 2.0 * std::f64::consts::PI * (shear / density).sqrt() / l;
    let ensemble = Ensemble {
        samples,
        n,
        l,
        window: window.upper,
        soft_mode_cuts: SOFT_MODE_CUTS.map(|f| f * phonon_frequency),
        dipole_omegas: samples
            .iter()
            .map(|s| s.omega.iter().copied().filter(|w| w.is_finite()).collect())
            .collect(),
        options,
    };

    let all: Vec<usize> = (0..samples.len()).collect();
    let central = ensemble.estimates(&all);
    let blocks = Blocks::new(samples, block_length);
    let mut rng = resampling::point_rng(n, first.parent_temperature);
    let replicas: Vec<Estimates> = if blocks.len() > 1 {
        (0..options.bootstrap)
            .map(|_| ensemble.estimates(&blocks.draw(&mut rng)))
            .collect()
    } else {
        Vec::new()
    };
    let value = |f: &dyn Fn(&Estimates) -> f64| Value {
        value: f(&central),
        error: resampling::spread(replicas.iter().map(f)),
    };

    let shear_modulus = value(&|e| e.shear_modulus);
    let sound_speed = value(&|e| (e.shear_modulus / density).sqrt());
    let omega_g = OmegaEstimator::ALL.map(|k| value(&|e| e.omega_g[k as usize]));
    let a_g = window.upper.map(|_| value(&|e| e.a_g));
    let qlm_number = a_g.map(|_| OmegaEstimator::ALL.map(|k| value(&|e| e.qlm_number(k))));
    let xi_g =
        value(&|e| 2.0 * std::f64::consts::PI * (e.shear_modulus / density).sqrt() / e.omega_g[0]);

    let dipole_profile = ensemble.dipole_profile(&all);
    let xi_co = Length::of(
        ensemble.crossover_of_dipoles(&dipole_profile),
        resampling::spread(replicas.iter().map(|e| e.xi_co)),
    );
    let (qlm_profile, qlm_lengths) = qlm_population(samples, cap, a0, options);
    let xi_qlm = Length::of(
        fits::crossover(
            &qlm_profile.radius,
            &qlm_profile.mean_first(),
            far_field(l, options),
            options.plateau_fraction,
        ),
        f64::NAN,
    );
    let sensitivity = dos::sensitivity(&spectrum, cap, options.sensitivity_points);
    Some(PointSummary {
        n_particles: n,
        parent_temperature: first.parent_temperature,
        samples: samples.len(),
        chains: blocks.chains(),
        blocks: blocks.len(),
        block_length,
        neighbour_correlation: resampling::neighbour_correlation(samples, |s| {
            s.energy_per_particle
        }),
        excluded,
        box_length: l,
        density,
        a0,
        energy_per_particle: value(&|e| e.energy_per_particle),
        shear_modulus,
        bulk_modulus: value(&|e| e.bulk_modulus),
        pressure: value(&|e| e.pressure),
        sound_speed,
        phonon_frequency,
        omega_min: value(&|e| e.omega_min),
        modes_complete_below: complete_below,
        omega_g,
        dipoles: ensemble.dipole_omegas.iter().map(Vec::len).sum(),
        a_g: a_g.map(|a| Value {
            // The count's Poisson error when the replicas are too few to say more.
            error: if a.error.is_finite() {
                a.error
            } else {
                spectrum.prefactor(window.upper.expect("resolved")).error
            },
            ..a
        }),
        window,
        sensitivity,
        qlm_number,
        xi_g,
        xi_co,
        xi_qlm,
        xi_qlm_participation: Value::mean_of(&qlm_lengths),
        qlms: qlm_lengths.len(),
        // A count needs every sample's modes complete up to its cut.
        soft_modes: [0, 1, 2].map(|k| {
            if ensemble.soft_mode_cuts[k] <= complete_below {
                value(&|e| e.soft_modes[k])
            } else {
                Value {
                    value: f64::NAN,
                    error: f64::NAN,
                }
            }
        }),
        replicas,
        cdf: fits::cumulative_dos(&spectrum.frequencies, 3 * n, samples.len()),
        dipole_profile,
        qlm_profile,
    })
}

/// The modes of one sample in 0 < ω < `upper` (unstable and zero modes left out).
fn modes_below(frequencies: &[f64], upper: f64) -> usize {
    frequencies
        .iter()
        .filter(|&&w| w > 0.0 && w < upper)
        .count()
}

/// The highest frequency below which every sample's computed modes are complete.
fn modes_complete_below(samples: &[SampleData]) -> f64 {
    samples
        .iter()
        .map(|s| s.frequencies.last().copied().unwrap_or(0.0))
        .fold(f64::INFINITY, f64::min)
}

/// The pooled spectrum of a point's samples and the A_g window chosen on it.
fn spectrum_and_window(
    samples: &[SampleData],
    n: usize,
    modes_complete_below: f64,
    options: &AnalysisOptions,
) -> (Spectrum, Window) {
    let spectrum = Spectrum::new(
        samples
            .iter()
            .flat_map(|s| {
                s.frequencies
                    .iter()
                    .copied()
                    .zip(s.participation_ratios.iter().copied())
            })
            .collect(),
        n,
        samples.len(),
    );
    let edge = spectrum.phonon_band_edge(options.window.extended_participation);
    let (cap, source) = match edge {
        Some(edge) if edge <= modes_complete_below => (edge, "the phonon band edge"),
        _ => (
            modes_complete_below,
            "the highest frequency below which every sample's modes are complete",
        ),
    };
    let mut window = dos::choose_window(&spectrum, cap, source, &options.window);
    if let Some(sample) = samples
        .iter()
        .find(|s| s.participation_ratios.len() != s.frequencies.len())
    {
        // Without participation ratios the phonon band cannot be told from the QLMs below it.
        window.upper = None;
        window.unresolved = format!("{} has no participation ratio for every mode", sample.id);
    }
    (spectrum, window)
}

/// The QLMs of a point (modes below `below` with participation ratio under the option's bound): their
/// summed radial profile and their sizes a0 (e N)^{1/3}.
fn qlm_population(
    samples: &[SampleData],
    below: f64,
    a0: f64,
    options: &AnalysisOptions,
) -> (Profile, Vec<f64>) {
    let mut profile = Profile::default();
    let mut lengths = Vec::new();
    for sample in samples {
        let participation = &sample.participation_ratios;
        for k in quasilocalised_modes(
            &sample.frequencies,
            participation,
            below,
            options.qlm_participation,
        ) {
            lengths.push(core_size(participation[k], sample.n_particles, a0));
            if let Some(mode) = sample.mode_profiles.get(k) {
                profile.add(mode);
            }
        }
    }
    (profile, lengths)
}
