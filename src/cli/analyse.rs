//! `pinch modes`, `pinch shear`, `pinch dipoles` and `pinch sample`: the measurements on inherent
//! states, each written with the configuration into one H5MD file.
//!
//! Layout of the results (raw simulation units; arrays in particle-id order where per particle):
//!
//! ```text
//! /modes            attributes: count, method, spectral_transform, target, iterations, solves,
//!                   stable, seconds
//! /modes/{eigenvalues, frequencies, participation_ratios, relative_errors, centres} (k)
//! /modes/vectors    (k, N, 3), with --mode-vectors
//! /modes/profile/{radius (bins), count, sum_magnitude, sum_magnitude2 (k, bins)}
//! /elastic          attributes: shear_xy, shear_xz, shear_yz, shear_mean, shear_born_*,
//!                   shear_nonaffine_*, bulk, bulk_born, bulk_nonaffine, pressure, method, seconds
//! /dipoles          attributes: count, interacting_pairs, omega_g, sqrt_mean_kappa, median_omega,
//!                   seed, method, seconds
//! /dipoles/{pairs (M, 2), d_hinv_d, d_hinv2_d, omega (M)}
//! /dipoles/profile/{radius, count, sum_radial, sum_magnitude2 (bins)}
//! ```

use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::Args;
use pinch_petsc::Session;
use serde_json::{Map, Value, json};

use super::quench::{QuenchOptions, not_converged, quench_observables};
use super::{EngineArgs, ModelArgs, PetscArgs, load_configuration};
use crate::domain::Engine;
use crate::error::{Error, Result};
use crate::io::h5md::{Array, Extras, write};
use crate::modes::{ModesRequest, lowest_modes};
use crate::provenance::Provenance;
use crate::response::ResponseSolver;
use crate::response::dipoles::{DipoleRequest, dipole_responses};
use crate::response::elastic::{SHEAR_PLANE_NAMES, elastic_constants};
use crate::response::profiles::RadialProfile;

/// Exit code when the state is not a minimum (a negative eigenvalue beyond round-off).
pub const UNSTABLE: i32 = 5;

/// Largest force component of a state accepted as an inherent state [ε/λ_min].
pub const INHERENT_STATE_FORCE: f64 = 1e-6;

/// Options of the mode computation.
#[derive(Debug, Args)]
pub struct ModesOptions {
    /// Number of lowest nonzero modes.
    #[arg(long = "modes", default_value_t = 50, value_name = "K")]
    pub mode_count: usize,
    /// Also every mode below this frequency [sqrt(epsilon/m)/lambda_min]: the number of modes is
    /// doubled until one above it is found.
    #[arg(long, value_name = "OMEGA")]
    pub max_frequency: Option<f64>,
    /// Store the eigenvectors (/modes/vectors).
    #[arg(long)]
    pub mode_vectors: bool,
}

impl ModesOptions {
    fn request(&self, bin_width: f64) -> ModesRequest {
        ModesRequest {
            count: self.mode_count,
            max_frequency: self.max_frequency,
            vectors: self.mode_vectors,
            profile_bin_width: bin_width,
        }
    }
}

/// Options of the dipole responses.
#[derive(Debug, Args)]
pub struct DipoleOptions {
    /// Number of random interacting pairs probed.
    #[arg(
        long = "dipoles",
        default_value_t = 200,
        value_name = "M",
        conflicts_with = "all_dipoles"
    )]
    pub dipole_count: usize,
    /// Probe every interacting pair.
    #[arg(long)]
    pub all_dipoles: bool,
    /// Seed of the choice of pairs.
    #[arg(long, default_value_t = 1, value_name = "SEED")]
    pub dipole_seed: u64,
    /// Right-hand sides solved at once.
    #[arg(long, default_value_t = 64, value_name = "B")]
    pub batch: usize,
}

impl DipoleOptions {
    fn request(&self, bin_width: f64) -> DipoleRequest {
        DipoleRequest {
            count: (!self.all_dipoles).then_some(self.dipole_count),
            seed: self.dipole_seed,
            batch: self.batch,
            profile_bin_width: bin_width,
        }
    }
}

/// Options shared by the measurements.
#[derive(Debug, Args)]
pub struct MeasureOptions {
    /// Width of the radial bins of the response and mode profiles [lambda_min].
    #[arg(long, default_value_t = 0.25, value_name = "WIDTH")]
    pub profile_bin_width: f64,
    #[command(flatten)]
    pub model: ModelArgs,
    #[command(flatten)]
    pub engine: EngineArgs,
    #[command(flatten)]
    pub petsc: PetscArgs,
}

/// Arguments of `pinch modes`.
#[derive(Debug, Args)]
pub struct ModesArgs {
    /// The inherent state (H5MD or extended XYZ).
    #[arg(long = "in", value_name = "GLASS")]
    pub input: PathBuf,
    /// H5MD output: the configuration and /modes.
    #[arg(long = "out", value_name = "FILE")]
    pub output: PathBuf,
    #[command(flatten)]
    pub modes: ModesOptions,
    #[command(flatten)]
    pub common: MeasureOptions,
}

/// Arguments of `pinch shear`.
#[derive(Debug, Args)]
pub struct ShearArgs {
    /// The inherent state (H5MD or extended XYZ).
    #[arg(long = "in", value_name = "GLASS")]
    pub input: PathBuf,
    /// H5MD output: the configuration and /elastic.
    #[arg(long = "out", value_name = "FILE")]
    pub output: PathBuf,
    #[command(flatten)]
    pub common: MeasureOptions,
}

/// Arguments of `pinch dipoles`.
#[derive(Debug, Args)]
pub struct DipolesArgs {
    /// The inherent state (H5MD or extended XYZ).
    #[arg(long = "in", value_name = "GLASS")]
    pub input: PathBuf,
    /// H5MD output: the configuration and /dipoles.
    #[arg(long = "out", value_name = "FILE")]
    pub output: PathBuf,
    #[command(flatten)]
    pub dipoles: DipoleOptions,
    #[command(flatten)]
    pub common: MeasureOptions,
}

/// Arguments of `pinch sample`.
#[derive(Debug, Args)]
pub struct SampleArgs {
    /// The liquid configuration (H5MD or extended XYZ), e.g. a snapshot of `pinch equilibrate`.
    #[arg(long = "in", value_name = "LIQUID")]
    pub input: PathBuf,
    /// H5MD output: the inherent state with its quench record, /modes, /elastic and /dipoles.
    #[arg(long = "out", value_name = "SAMPLE")]
    pub output: PathBuf,
    #[command(flatten)]
    pub quench: QuenchOptions,
    #[command(flatten)]
    pub modes: ModesOptions,
    #[command(flatten)]
    pub dipoles: DipoleOptions,
    #[command(flatten)]
    pub common: MeasureOptions,
}

/// What to measure.
struct Stages {
    modes: Option<ModesRequest>,
    elastic: bool,
    dipoles: Option<DipoleRequest>,
}

/// Results in owned form, turned into [`Extras`] when written.
#[derive(Default)]
struct Record {
    observables: Map<String, Value>,
    f64_arrays: Vec<(String, Vec<f64>, Vec<usize>)>,
    u64_arrays: Vec<(String, Vec<u64>, Vec<usize>)>,
    groups: Vec<(String, Value)>,
}

impl Record {
    fn array(&mut self, path: &str, values: Vec<f64>, shape: Vec<usize>) {
        self.f64_arrays.push((path.into(), values, shape));
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
        self.array(&format!("{path}/radius"), first.radii(), vec![bins]);
        self.array(
            &format!("{path}/count"),
            profiles.iter().flat_map(|p| p.counts.clone()).collect(),
            shape.clone(),
        );
        for (k, name) in names.iter().enumerate() {
            self.array(
                &format!("{path}/{name}"),
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
/// (`None` if the modes were not computed). Collective.
fn measure(
    session: &Session,
    engine: &mut Engine,
    stages: &Stages,
    record: &mut Record,
) -> Result<Option<bool>> {
    let n = engine.n_global();
    let start = Instant::now();
    let hessian = crate::hessian::assemble(session, engine)?;
    record.observables.insert(
        "hessian_seconds".into(),
        start.elapsed().as_secs_f64().into(),
    );
    let mut stable = None;
    if let Some(request) = &stages.modes {
        let start = Instant::now();
        let modes = lowest_modes(session, engine, &hessian, request)?;
        let seconds = start.elapsed().as_secs_f64();
        let k = modes.eigenvalues.len();
        stable = Some(!modes.unstable);
        if session.rank() == 0 {
            log::info!(
                "{k} lowest modes in {seconds:.3} s ({} + {}, {} solves): omega = {:.4} ... {:.4}{}",
                modes.method,
                modes.spectral_transform,
                modes.solves,
                modes.frequencies().first().copied().unwrap_or(f64::NAN),
                modes.frequencies().last().copied().unwrap_or(f64::NAN),
                if modes.unstable {
                    " (UNSTABLE: negative eigenvalue)"
                } else {
                    ""
                }
            );
        }
        record.groups.push((
            "modes".into(),
            json!({
                "count": k as u64,
                "method": modes.method,
                "spectral_transform": modes.spectral_transform,
                "target": modes.target,
                "iterations": modes.iterations as u64,
                "solves": modes.solves as u64,
                "stable": !modes.unstable,
                "seconds": seconds,
            }),
        ));
        record.array("modes/eigenvalues", modes.eigenvalues.clone(), vec![k]);
        record.array("modes/frequencies", modes.frequencies(), vec![k]);
        record.array(
            "modes/participation_ratios",
            modes.participation_ratios.clone(),
            vec![k],
        );
        record.array(
            "modes/relative_errors",
            modes.relative_errors.clone(),
            vec![k],
        );
        record
            .u64_arrays
            .push(("modes/centres".into(), modes.centres.clone(), vec![k]));
        record.profile(
            "modes/profile",
            ["sum_magnitude", "sum_magnitude2"],
            &modes.profiles,
        );
        if request.vectors {
            let mut all = Vec::with_capacity(3 * n * k);
            for field in &modes.vectors {
                if let Some(gathered) = engine.gather(field) {
                    all.extend(gathered.iter().flatten());
                }
            }
            if session.rank() == 0 {
                record.array("modes/vectors", all, vec![k, n, 3]);
            }
        }
        if modes.unstable {
            return Ok(stable);
        }
    }
    if !stages.elastic && stages.dipoles.is_none() {
        return Ok(stable);
    }
    let start = Instant::now();
    let mut solver = ResponseSolver::new(session, &hessian, n)?;
    let method = solver.method()?;
    if stages.elastic {
        let constants = elastic_constants(engine, &mut solver)?;
        let seconds = start.elapsed().as_secs_f64();
        let mut group = Map::new();
        for (k, name) in SHEAR_PLANE_NAMES.iter().enumerate() {
            group.insert(format!("shear_{name}"), constants.shear[k].into());
            group.insert(format!("shear_born_{name}"), constants.shear_born[k].into());
            group.insert(
                format!("shear_nonaffine_{name}"),
                constants.shear_nonaffine[k].into(),
            );
        }
        group.insert("shear_mean".into(), constants.mean_shear().into());
        group.insert("bulk".into(), constants.bulk.into());
        group.insert("bulk_born".into(), constants.bulk_born.into());
        group.insert("bulk_nonaffine".into(), constants.bulk_nonaffine.into());
        group.insert("pressure".into(), constants.pressure.into());
        group.insert("method".into(), method.clone().into());
        group.insert("seconds".into(), seconds.into());
        if session.rank() == 0 {
            log::info!(
                "shear modulus {:.6} (xy {:.6}, xz {:.6}, yz {:.6}), bulk modulus {:.6}, pressure {:.6}, in {seconds:.3} s ({method})",
                constants.mean_shear(),
                constants.shear[0],
                constants.shear[1],
                constants.shear[2],
                constants.bulk,
                constants.pressure
            );
        }
        record.groups.push(("elastic".into(), Value::Object(group)));
    }
    if let Some(request) = &stages.dipoles {
        let start = Instant::now();
        let dipoles = dipole_responses(engine, &mut solver, request)?;
        let seconds = start.elapsed().as_secs_f64();
        let m = dipoles.pairs.len();
        if session.rank() == 0 {
            log::info!(
                "{m} dipole responses in {seconds:.3} s ({:.0} per second, {method}): omega_g = {:.6}, sqrt<kappa> = {:.6}, median omega = {:.6}",
                m as f64 / seconds,
                dipoles.omega_g(),
                dipoles.sqrt_mean_kappa(),
                dipoles.median_omega()
            );
        }
        record.groups.push((
            "dipoles".into(),
            json!({
                "count": m as u64,
                "interacting_pairs": dipoles.interacting_pairs,
                "omega_g": dipoles.omega_g(),
                "sqrt_mean_kappa": dipoles.sqrt_mean_kappa(),
                "median_omega": dipoles.median_omega(),
                "seed": request.seed,
                "method": method,
                "seconds": seconds,
            }),
        ));
        record.u64_arrays.push((
            "dipoles/pairs".into(),
            dipoles.pairs.iter().flatten().copied().collect(),
            vec![m, 2],
        ));
        record.array("dipoles/d_hinv_d", dipoles.d_hinv_d.clone(), vec![m]);
        record.array("dipoles/d_hinv2_d", dipoles.d_hinv2_d.clone(), vec![m]);
        record.array("dipoles/omega", dipoles.omega(), vec![m]);
        record.profile(
            "dipoles/profile",
            ["sum_radial", "sum_magnitude2"],
            std::slice::from_ref(&dipoles.profile),
        );
    }
    Ok(stable)
}

/// Loads an inherent state, measures, writes. Exits with [`UNSTABLE`] for an unstable state.
fn run_on_inherent_state(
    input: &Path,
    output: &Path,
    common: &MeasureOptions,
    stages: Stages,
) -> Result<()> {
    let loaded = load_configuration(input, false, &common.model)?;
    let session = Session::initialize("pinch", &common.petsc.petsc_options)?;
    let world = session.world();
    let mut engine = Engine::new(
        &world,
        &loaded.configuration,
        loaded.parameters.potential(),
        common.engine.skin,
    )?;
    let evaluation = engine.evaluate();
    let max_force = engine.max(
        evaluation
            .forces
            .iter()
            .flat_map(|f| f.iter().map(|v| v.abs())),
    );
    if max_force > INHERENT_STATE_FORCE {
        return Err(Error::Usage(format!(
            "{}: not an inherent state: its largest force component is {max_force:e} (above {INHERENT_STATE_FORCE:e}); quench it first with `pinch quench`",
            input.display()
        )));
    }
    let mut record = Record {
        observables: loaded.observables.clone(),
        ..Default::default()
    };
    let stable = measure(&session, &mut engine, &stages, &mut record)?;
    finish(
        &session,
        &engine,
        output,
        &loaded.parameters,
        record,
        stable,
    )
}

/// Writes the results with the engine's configuration; exits with [`UNSTABLE`] for an unstable state.
fn finish(
    session: &Session,
    engine: &Engine,
    output: &Path,
    parameters: &crate::model::ModelParameters,
    mut record: Record,
    stable: Option<bool>,
) -> Result<()> {
    let peak_memory = engine.sum([super::bench::peak_memory() as f64]);
    record
        .observables
        .insert("peak_memory_bytes".into(), peak_memory.into());
    if let Some(stable) = stable {
        record.observables.insert("stable".into(), stable.into());
    }
    let configuration = engine.gather_configuration();
    if let Some(configuration) = configuration {
        let mut extras = Extras {
            observables: record.observables.clone(),
            attribute_groups: record.groups.clone(),
            ..Default::default()
        };
        for (path, values, shape) in &record.f64_arrays {
            extras
                .arrays
                .push((path.clone(), Array::F64(values, shape.clone())));
        }
        for (path, values, shape) in &record.u64_arrays {
            extras
                .arrays
                .push((path.clone(), Array::U64(values, shape.clone())));
        }
        write(
            output,
            &configuration,
            parameters,
            &Provenance::of_this_run(None, session.size()),
            &extras,
        )?;
    }
    if stable == Some(false) {
        return Err(Error::Stopped {
            status: UNSTABLE,
            message: format!(
                "the state is unstable (a negative eigenvalue of its Hessian beyond round-off); the modes are in {} (stable = false)",
                output.display()
            ),
        });
    }
    Ok(())
}

pub fn modes(args: ModesArgs) -> Result<()> {
    let stages = Stages {
        modes: Some(args.modes.request(args.common.profile_bin_width)),
        elastic: false,
        dipoles: None,
    };
    run_on_inherent_state(&args.input, &args.output, &args.common, stages)
}

pub fn shear(args: ShearArgs) -> Result<()> {
    let stages = Stages {
        modes: None,
        elastic: true,
        dipoles: None,
    };
    run_on_inherent_state(&args.input, &args.output, &args.common, stages)
}

pub fn dipoles(args: DipolesArgs) -> Result<()> {
    let stages = Stages {
        modes: None,
        elastic: false,
        dipoles: Some(args.dipoles.request(args.common.profile_bin_width)),
    };
    run_on_inherent_state(&args.input, &args.output, &args.common, stages)
}

pub fn sample(args: SampleArgs) -> Result<()> {
    let loaded = load_configuration(&args.input, false, &args.common.model)?;
    let session = Session::initialize("pinch", &args.common.petsc.petsc_options)?;
    let world = session.world();
    let mut engine = Engine::new(
        &world,
        &loaded.configuration,
        loaded.parameters.potential(),
        args.common.engine.skin,
    )?;
    let start = Instant::now();
    let info = crate::quench::quench(&session, &mut engine, &args.quench.parameters())?;
    let mut record = Record {
        observables: quench_observables(&info, start.elapsed().as_secs_f64()),
        ..Default::default()
    };
    // What the liquid's file recorded (e.g. its parent temperature and sweep) stays with the sample.
    for (key, value) in &loaded.observables {
        record
            .observables
            .entry(format!("liquid_{key}"))
            .or_insert(value.clone());
    }
    if !info.converged {
        finish(
            &session,
            &engine,
            &args.output,
            &loaded.parameters,
            record,
            None,
        )?;
        return Err(not_converged(&info, &args.output));
    }
    let stages = Stages {
        modes: Some(args.modes.request(args.common.profile_bin_width)),
        elastic: true,
        dipoles: Some(args.dipoles.request(args.common.profile_bin_width)),
    };
    let stable = measure(&session, &mut engine, &stages, &mut record)?;
    finish(
        &session,
        &engine,
        &args.output,
        &loaded.parameters,
        record,
        stable,
    )
}
