//! `pinch modes`, `pinch shear`, `pinch dipoles` and `pinch sample`: the measurements on inherent
//! states, each written with the configuration into one H5MD file (the layout: `docs/FORMAT.md`).

use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::Args;
use pinch_petsc::Session;

use super::quench::{QuenchOptions, not_converged};
use super::{EngineArgs, ModelArgs, PetscArgs, build_engine, load_configuration};
use crate::domain::Engine;
use crate::error::{Error, Result};
use crate::io::h5md::write;
use crate::modes::ModesRequest;
use crate::provenance::Provenance;
use crate::response::dipoles::DipoleRequest;
use crate::sample::{Measurements, SampleRecord, Stages, measure};

/// Exit code when the state is not a minimum (a negative eigenvalue beyond round-off).
pub const UNSTABLE: i32 = 5;

/// Largest force component of a state accepted as an inherent state [ε/λ_min].
pub const INHERENT_STATE_FORCE: f64 = 1e-6;

/// Options of the mode computation.
#[derive(Debug, Args)]
pub struct ModesOptions {
    /// Number of lowest nonzero modes.
    #[arg(long = "modes", default_value_t = Measurements::default().modes, value_name = "K")]
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
        default_value_t = Measurements::default().dipoles,
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
    #[arg(long, default_value_t = Measurements::default().dipole_batch, value_name = "B")]
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
    #[arg(long, default_value_t = Measurements::default().profile_bin_width, value_name = "WIDTH")]
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

/// Loads an inherent state, measures, writes. Exits with [`UNSTABLE`] for an unstable state.
fn run_on_inherent_state(
    input: &Path,
    output: &Path,
    common: &MeasureOptions,
    stages: Stages,
) -> Result<()> {
    let loaded = load_configuration(input, false, &common.model)?;
    let session = Session::initialize("pinch", &common.petsc.petsc_options)?;
    let mut engine = build_engine(&session, &loaded, &common.engine)?;
    check_inherent_state(&mut engine, input)?;
    let mut record = SampleRecord {
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

/// Refuses a configuration (read from `input`) that is not an inherent state. Collective.
pub fn check_inherent_state(engine: &mut Engine, input: &Path) -> Result<()> {
    let evaluation = engine.evaluate();
    let max_force = engine.max_force(&evaluation.forces);
    if max_force > INHERENT_STATE_FORCE {
        return Err(Error::Usage(format!(
            "{}: not an inherent state: its largest force component is {max_force:e} (above {INHERENT_STATE_FORCE:e}); quench it first with `pinch quench`",
            input.display()
        )));
    }
    Ok(())
}

/// Writes the results with the engine's configuration; exits with [`UNSTABLE`] for an unstable state.
pub(super) fn finish(
    session: &Session,
    engine: &Engine,
    output: &Path,
    parameters: &crate::model::ModelParameters,
    mut record: SampleRecord,
    stable: Option<bool>,
) -> Result<()> {
    let peak_memory = engine.sum([crate::memory::peak_memory() as f64]);
    record
        .observables
        .insert("peak_memory_bytes".into(), peak_memory.into());
    if let Some(stable) = stable {
        record.observables.insert("stable".into(), stable.into());
    }
    let configuration = engine.gather_configuration();
    if let Some(configuration) = configuration {
        write(
            output,
            &configuration,
            parameters,
            &Provenance::of_this_run(None, session.size()),
            &record.extras(),
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
        ..Stages::default()
    };
    run_on_inherent_state(&args.input, &args.output, &args.common, stages)
}

pub fn shear(args: ShearArgs) -> Result<()> {
    let stages = Stages {
        elastic: true,
        ..Stages::default()
    };
    run_on_inherent_state(&args.input, &args.output, &args.common, stages)
}

pub fn dipoles(args: DipolesArgs) -> Result<()> {
    let stages = Stages {
        dipoles: Some(args.dipoles.request(args.common.profile_bin_width)),
        ..Stages::default()
    };
    run_on_inherent_state(&args.input, &args.output, &args.common, stages)
}

pub fn sample(args: SampleArgs) -> Result<()> {
    let loaded = load_configuration(&args.input, false, &args.common.model)?;
    let session = Session::initialize("pinch", &args.common.petsc.petsc_options)?;
    let mut engine = build_engine(&session, &loaded, &args.common.engine)?;
    let start = Instant::now();
    let info = crate::quench::quench(&session, &mut engine, &args.quench.parameters())?;
    let mut record = SampleRecord {
        observables: info.observables(start.elapsed().as_secs_f64()),
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
