//! One sample: the measurements on an inherent state (lowest modes, elastic constants, force-dipole
//! responses) and their record, shared by `pinch sample` and the campaigns.

use std::time::Instant;

use pinch_petsc::Session;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::domain::Engine;
use crate::error::Result;
use crate::hessian::Hessian;
use crate::io::h5md::{Array, Extras};
use crate::io::layout::{self, DipolesRecord, ElasticRecord, Group, ModesRecord};
use crate::model::ParameterError;
use crate::modes::{Modes, ModesRequest, lowest_modes};
use crate::response::ResponseSolver;
use crate::response::dipoles::{DipoleRequest, Dipoles, dipole_responses};
use crate::response::elastic::elastic_constants;
use crate::response::profiles::RadialProfile;

/// What a campaign measures on each inherent state (TOML keys of the `[measurements]` table; all
/// optional).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Measurements {
    /// Number of lowest nonzero modes (0: no modes).
    pub modes: usize,
    /// Also every mode below this frequency [√(ε/m)/λ_min] (the count is doubled until one lies above).
    pub max_frequency: Option<f64>,
    /// Store the eigenvectors.
    pub mode_vectors: bool,
    /// Shear moduli (three planes), bulk modulus and pressure.
    pub elastic: bool,
    /// Number of random interacting pairs probed with force dipoles (0: none).
    pub dipoles: usize,
    /// Probe every interacting pair instead.
    pub all_dipoles: bool,
    /// Right-hand sides solved at once.
    pub dipole_batch: usize,
    /// Width of the radial bins of the response and mode profiles [λ_min].
    pub profile_bin_width: f64,
}

impl Default for Measurements {
    fn default() -> Self {
        Measurements {
            modes: 50,
            max_frequency: None,
            mode_vectors: false,
            elastic: true,
            dipoles: 200,
            all_dipoles: false,
            dipole_batch: 64,
            profile_bin_width: 0.25,
        }
    }
}

impl Measurements {
    /// Checks every field, naming the one that is wrong.
    pub fn validate(&self) -> std::result::Result<(), ParameterError> {
        let bad = |field: &'static str, reason: String| Err(ParameterError { field, reason });
        if let Some(omega) = self.max_frequency
            && !(omega.is_finite() && omega > 0.0)
        {
            return bad("max_frequency", format!("must be positive, not {omega}"));
        }
        if self.max_frequency.is_some() && self.modes == 0 {
            return bad("max_frequency", "needs modes > 0 to start from".into());
        }
        if self.dipole_batch == 0 {
            return bad("dipole_batch", "must be at least 1".into());
        }
        if !(self.profile_bin_width.is_finite() && self.profile_bin_width > 0.0) {
            return bad(
                "profile_bin_width",
                format!("must be positive, not {}", self.profile_bin_width),
            );
        }
        Ok(())
    }

    /// The stages, with `dipole_seed` choosing the pairs.
    pub fn stages(&self, dipole_seed: u64) -> Stages {
        Stages {
            modes: (self.modes > 0).then_some(ModesRequest {
                count: self.modes,
                max_frequency: self.max_frequency,
                vectors: self.mode_vectors,
                profile_bin_width: self.profile_bin_width,
            }),
            elastic: self.elastic,
            dipoles: (self.dipoles > 0 || self.all_dipoles).then(|| DipoleRequest {
                count: (!self.all_dipoles).then_some(self.dipoles),
                seed: dipole_seed,
                batch: self.dipole_batch,
                profile_bin_width: self.profile_bin_width,
            }),
        }
    }
}

/// What to measure on an inherent state.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Stages {
    /// The lowest modes, if wanted.
    pub modes: Option<ModesRequest>,
    /// The elastic constants (shear moduli in three planes, bulk modulus, pressure).
    pub elastic: bool,
    /// Force-dipole responses, if wanted.
    pub dipoles: Option<DipoleRequest>,
}

/// A sample's results in owned form, turned into [`Extras`] when written.
#[derive(Clone, Debug, Default)]
pub struct SampleRecord {
    /// Scalars (written to `observables`).
    pub observables: Map<String, Value>,
    /// Floating-point datasets by path, with their shapes.
    pub f64_arrays: Vec<(String, Vec<f64>, Vec<usize>)>,
    /// Integer datasets by path, with their shapes.
    pub u64_arrays: Vec<(String, Vec<u64>, Vec<usize>)>,
    /// Groups of attributes by path.
    pub groups: Vec<(String, Value)>,
}

impl SampleRecord {
    /// The record as [`Extras`] of a pinch file.
    pub fn extras(&self) -> Extras<'_> {
        let mut extras = Extras {
            observables: self.observables.clone(),
            attribute_groups: self.groups.clone(),
            ..Default::default()
        };
        for (path, values, shape) in &self.f64_arrays {
            extras
                .arrays
                .push((path.clone(), Array::F64(values, shape.clone())));
        }
        for (path, values, shape) in &self.u64_arrays {
            extras
                .arrays
                .push((path.clone(), Array::U64(values, shape.clone())));
        }
        extras
    }

    fn array(&mut self, path: &str, values: Vec<f64>, shape: Vec<usize>) {
        self.f64_arrays.push((path.into(), values, shape));
    }

    fn group<R: Group>(&mut self, record: &R) {
        self.groups.push(layout::group(R::PATH, record));
    }

    /// The modes' record, datasets and profiles, with the eigenvectors (k·N·3 values) if given.
    fn modes(&mut self, modes: &Modes, summary: &ModesRecord, vectors: Option<Vec<f64>>, n: usize) {
        let k = modes.eigenvalues.len();
        self.group(summary);
        self.array(
            layout::modes::EIGENVALUES,
            modes.eigenvalues.clone(),
            vec![k],
        );
        self.array(layout::modes::FREQUENCIES, modes.frequencies(), vec![k]);
        self.array(
            layout::modes::PARTICIPATION_RATIOS,
            modes.participation_ratios.clone(),
            vec![k],
        );
        self.array(
            layout::modes::RELATIVE_ERRORS,
            modes.relative_errors.clone(),
            vec![k],
        );
        self.u64_arrays.push((
            layout::modes::CENTRES.into(),
            modes.centres.clone(),
            vec![k],
        ));
        self.profile(
            layout::modes::PROFILE,
            layout::modes::PROFILE_SUMS,
            &modes.profiles,
        );
        if let Some(vectors) = vectors {
            self.array(layout::modes::VECTORS, vectors, vec![k, n, 3]);
        }
    }

    /// The dipoles' record, datasets and profile, and when every interacting pair was pinched, the
    /// local pinch frequencies of the `n` particles.
    fn dipoles(&mut self, dipoles: &Dipoles, summary: &DipolesRecord, n: usize) {
        let m = dipoles.pairs.len();
        self.group(summary);
        self.u64_arrays.push((
            layout::dipoles::PAIRS.into(),
            dipoles.pairs.iter().flatten().copied().collect(),
            vec![m, 2],
        ));
        self.array(layout::dipoles::D_HINV_D, dipoles.d_hinv_d.clone(), vec![m]);
        self.array(
            layout::dipoles::D_HINV2_D,
            dipoles.d_hinv2_d.clone(),
            vec![m],
        );
        self.array(layout::dipoles::OMEGA, dipoles.omega(), vec![m]);
        if m as u64 == dipoles.interacting_pairs {
            let [lowest, mean] = dipoles.local_omega(n);
            self.array(layout::dipoles::LOCAL_OMEGA_MIN, lowest, vec![n]);
            self.array(layout::dipoles::LOCAL_OMEGA_MEAN, mean, vec![n]);
        }
        self.profile(
            layout::dipoles::PROFILE,
            layout::dipoles::PROFILE_SUMS,
            std::slice::from_ref(&dipoles.profile),
        );
    }

    fn profile(&mut self, path: &str, names: [&str; 2], profiles: &[RadialProfile]) {
        let Some(first) = profiles.first() else {
            return;
        };
        let bins = first.counts.len();
        let shape = if profiles.len() == 1 {
            vec![bins]
        } else {
            vec![profiles.len(), bins]
        };
        let [radius, count, sums @ ..] = layout::profile_paths(path, names);
        self.array(&radius, first.radii(), vec![bins]);
        self.array(
            &count,
            profiles.iter().flat_map(|p| p.counts.clone()).collect(),
            shape.clone(),
        );
        for (k, sum) in sums.iter().enumerate() {
            self.array(
                sum,
                profiles
                    .iter()
                    .flat_map(|p| p.sums.iter().map(move |s| s[k]))
                    .collect(),
                shape.clone(),
            );
        }
    }
}

/// Runs the stages on an engine holding an inherent state. Returns whether the state is stable
/// (`None` if the modes were not computed); the elastic constants and dipoles of an unstable state
/// are not computed. Collective.
pub fn measure(
    session: &Session,
    engine: &mut Engine,
    stages: &Stages,
    record: &mut SampleRecord,
) -> Result<Option<bool>> {
    let start = Instant::now();
    let hessian = crate::hessian::assemble(session, engine)?;
    record.observables.insert(
        "hessian_seconds".into(),
        start.elapsed().as_secs_f64().into(),
    );
    let mut stable = None;
    if let Some(request) = &stages.modes {
        let modes = measure_modes(session, engine, &hessian, request, record)?;
        stable = Some(modes.stable);
        if !modes.stable {
            return Ok(stable);
        }
    }
    if !stages.elastic && stages.dipoles.is_none() {
        return Ok(stable);
    }
    // The elastic constants' time includes setting up the solver they share with the dipoles.
    let start = Instant::now();
    let mut solver = ResponseSolver::new(session, &hessian, engine.n_global())?;
    let method = solver.method()?;
    if stages.elastic {
        let constants = elastic_constants(engine, &mut solver)?;
        let elastic = ElasticRecord::new(&constants, method.clone(), seconds_since(start));
        log_elastic(session, &elastic);
        record.group(&elastic);
    }
    if let Some(request) = &stages.dipoles {
        let start = Instant::now();
        let dipoles = dipole_responses(engine, &mut solver, request)?;
        let summary = DipolesRecord::new(&dipoles, request.seed, method, seconds_since(start));
        log_dipoles(session, &summary);
        record.dipoles(&dipoles, &summary, engine.n_global());
    }
    Ok(stable)
}

fn seconds_since(start: Instant) -> f64 {
    start.elapsed().as_secs_f64()
}

/// The lowest modes, recorded. Collective.
fn measure_modes<'s>(
    session: &'s Session,
    engine: &Engine,
    hessian: &Hessian<'s>,
    request: &ModesRequest,
    record: &mut SampleRecord,
) -> Result<ModesRecord> {
    let start = Instant::now();
    let modes = lowest_modes(session, engine, hessian, request)?;
    let summary = ModesRecord::new(&modes, seconds_since(start));
    if session.rank() == 0 {
        let frequencies = modes.frequencies();
        log::info!(
            "{} lowest modes in {:.3} s ({} + {}, {} eigensolver run{}): omega = {:.4} ... {:.4}{}",
            summary.count,
            summary.seconds,
            summary.method,
            summary.spectral_transform,
            summary.solves,
            if summary.solves == 1 { "" } else { "s" },
            frequencies.first().copied().unwrap_or(f64::NAN),
            frequencies.last().copied().unwrap_or(f64::NAN),
            if summary.stable {
                ""
            } else {
                " (UNSTABLE: negative eigenvalue)"
            }
        );
    }
    // Gathering the eigenvectors is collective; only rank 0 stores them.
    let vectors = request.vectors.then(|| {
        modes
            .vectors
            .iter()
            .filter_map(|field| engine.gather(field))
            .flat_map(|gathered| gathered.into_iter().flatten())
            .collect::<Vec<f64>>()
    });
    record.modes(
        &modes,
        &summary,
        vectors.filter(|_| session.rank() == 0),
        engine.n_global(),
    );
    Ok(summary)
}

fn log_elastic(session: &Session, elastic: &ElasticRecord) {
    if session.rank() == 0 {
        log::info!(
            "shear modulus {:.6} (xy {:.6}, xz {:.6}, yz {:.6}), bulk modulus {:.6}, pressure {:.6}, in {:.3} s ({})",
            elastic.shear_mean,
            elastic.shear_xy,
            elastic.shear_xz,
            elastic.shear_yz,
            elastic.bulk,
            elastic.pressure,
            elastic.seconds,
            elastic.method
        );
    }
}

fn log_dipoles(session: &Session, dipoles: &DipolesRecord) {
    if session.rank() == 0 {
        log::info!(
            "{} dipole responses in {:.3} s ({:.0} per second, {}): omega_g = {:.6}, sqrt<kappa> = {:.6}, median omega = {:.6}",
            dipoles.count,
            dipoles.seconds,
            dipoles.count as f64 / dipoles.seconds,
            dipoles.method,
            dipoles.omega_g,
            dipoles.sqrt_mean_kappa,
            dipoles.median_omega
        );
    }
}
