//! The `pinch` command line: one subcommand per step of the pipeline.

mod analyze;
mod bench;
mod campaign;
mod convert;
mod equilibrate;
mod evaluate;
mod generate;
mod hessian;
mod inspect;
mod measure;
mod plot;
mod quench;
mod selftest;
mod soft_spots;

use std::path::{Path, PathBuf};

use clap::{Args, Parser, Subcommand};

use crate::error::{Error, Result};
use crate::model::ModelParameters;

/// pinch: soft spots of computer glasses from force-dipole ("pinch") responses.
///
/// Polydisperse soft-sphere glasses (smoothed r^-10 pair potential, non-additive sizes, cubic periodic
/// box) are equilibrated by swap Monte Carlo, quenched to inherent states, and probed through their
/// Hessian: lowest vibrational modes, athermal shear modulus and force-dipole responses. Units: energy
/// epsilon, length lambda_min, mass m.
///
/// Commands that use PETSc/SLEPc pass everything after `--` to the PETSc options database, as do
/// PETSc programs; the PETSC_OPTIONS environment variable works too. Run them under mpirun or srun
/// for several ranks.
#[derive(Debug, Parser)]
#[command(
    name = "pinch",
    version,
    propagate_version = true,
    max_term_width = 100
)]
pub struct Cli {
    /// Log level: error, warn, info, debug or trace (RUST_LOG overrides it).
    #[arg(long, global = true, default_value = "info", value_name = "LEVEL")]
    pub log_level: String,

    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// pinch's subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create an infinite-temperature configuration: uniformly random positions in the box of the
    /// model's density, with sizes from p(lambda) ~ lambda^-3.
    Generate(generate::GenerateArgs),
    /// Convert an extended XYZ file (ASE convention) into a pinch H5MD configuration file.
    Import(convert::ImportArgs),
    /// Convert a pinch H5MD configuration file into extended XYZ (for OVITO and ASE).
    Export(convert::ExportArgs),
    /// Build a larger configuration from k^3 periodic copies of one (an inherent state stays one:
    /// every copy has the same surroundings), e.g. to make large benchmark inputs.
    Replicate(convert::ReplicateArgs),
    /// Report what a configuration file (H5MD or extended XYZ) holds, with the model's energy per
    /// particle, largest force and pressure evaluated on it.
    Inspect(inspect::InspectArgs),
    /// Evaluate energy, forces and pressure on the distributed engine (run under mpirun/srun for
    /// several ranks) and write the configuration with its forces (H5MD `force`, shown by OVITO).
    Evaluate(evaluate::EvaluateArgs),
    /// Equilibrate a liquid at the parent temperature T_p by swap Monte Carlo on the distributed
    /// engine (run under mpirun/srun for several ranks): time series, F_s(k*, t) and tau_alpha, a
    /// stationarity verdict, snapshots for ensemble sampling, and checkpoints (periodic, and at once on
    /// SIGTERM or SIGUSR1, then exit status 4) that --resume continues bitwise.
    Equilibrate(equilibrate::EquilibrateArgs),
    /// Quench a configuration to its inherent state: FIRE to a loose tolerance, then Newton steps with
    /// the Hessian (PETSc KSP, options prefix quench_) to the force tolerance. Exits with status 3 if
    /// it does not converge (the unconverged state is written, flagged quench_converged = false).
    /// Checkpoints (periodic, and at once on SIGTERM or SIGUSR1, then exit status 4) that --resume
    /// continues bitwise.
    Quench(quench::QuenchArgs),
    /// Assemble the Hessian of a configuration on the distributed engine (PETSc MATAIJ, block size 3)
    /// and write it as a sparse matrix in particle-id order, readable with h5py and scipy.
    Hessian(hessian::HessianArgs),
    /// The lowest nonzero vibrational modes of an inherent state (SLEPc, options prefix modes_):
    /// frequencies, participation ratios, radial profiles and optionally eigenvectors; an unstable
    /// state (negative eigenvalue) is flagged and exits with status 5.
    Modes(measure::ModesArgs),
    /// The athermal shear modulus (xy, xz, yz planes and mean; Born minus nonaffine term by linear
    /// solves with options prefix response_), the bulk modulus and the pressure of an inherent state.
    Shear(measure::ShearArgs),
    /// Force-dipole ("pinch") responses u = H^+ d of random interacting pairs of an inherent state:
    /// d^T H^+ d, d^T H^+^2 d, omega per pair and omega_g, with the radial profile of the responses.
    Dipoles(measure::DipolesArgs),
    /// One sample from a liquid configuration: quench, modes, elastic moduli and dipole responses,
    /// into one file (exit status 3 if the quench fails, 5 if the state is unstable).
    Sample(measure::SampleArgs),
    /// Campaigns: ensembles of samples over a grid of system sizes and parent temperatures, from a
    /// TOML description (`campaign run`, resumable at any time; `campaign status`).
    Campaign(campaign::CampaignArgs),
    /// Analyse a campaign's samples: per (N, T_p) the cumulative DOS and A_g, omega_g, G, c_s,
    /// N = A_g omega_g^5, xi_g, xi_co, xi_QLM; across T_p, T_onset and the Boltzmann fit of N
    /// giving E_QLM; into summary.{h5,csv,json}, raw and in the paper's units.
    Analyze(analyze::AnalyzeArgs),
    /// Draw the paper's figures (Figs. 2, 4, 5, 6 and a finite-size figure) from a campaign's summary,
    /// or with --soft-spots its Fig. 1 in 3D from two glasses, as PNG and PDF (Python with h5py and
    /// matplotlib).
    Plot(plot::PlotArgs),
    /// Measure the throughput and memory of the engine's stages on random configurations (run under
    /// mpirun/srun for several ranks; results as JSON).
    Bench(bench::BenchArgs),
    /// Check the MPI/PETSc/SLEPc stack on problems with known solutions (eigenvalues, linear solves,
    /// null spaces); run it under mpirun or srun to validate an installation or solver options.
    Selftest(selftest::SelftestArgs),
}

impl Cli {
    /// Whether the command checkpoints and stops on SIGTERM, SIGINT and SIGUSR1 (the runs of
    /// campaigns, equilibrations and quenches).
    pub fn stops_on_signals(&self) -> bool {
        match &self.command {
            Command::Equilibrate(_) | Command::Quench(_) => true,
            Command::Campaign(args) => matches!(args.action, campaign::Action::Run(_)),
            _ => false,
        }
    }
}

/// Runs the parsed command.
pub fn run(cli: Cli) -> Result<()> {
    if cli.stops_on_signals() {
        crate::faults::startup_signal();
    }
    match cli.command {
        Command::Generate(args) => generate::run(args),
        Command::Equilibrate(args) => equilibrate::run(args),
        Command::Import(args) => convert::import(args),
        Command::Export(args) => convert::export(args),
        Command::Replicate(args) => convert::replicate(args),
        Command::Inspect(args) => inspect::run(args),
        Command::Bench(args) => bench::run(args),
        Command::Evaluate(args) => evaluate::run(args),
        Command::Hessian(args) => hessian::run(args),
        Command::Quench(args) => quench::run(args),
        Command::Selftest(args) => selftest::run(args),
        Command::Modes(args) => measure::modes(args),
        Command::Shear(args) => measure::shear(args),
        Command::Dipoles(args) => measure::dipoles(args),
        Command::Sample(args) => measure::sample(args),
        Command::Campaign(args) => campaign::dispatch(args),
        Command::Analyze(args) => analyze::run(args),
        Command::Plot(args) => plot::run(args),
    }
}

/// The model-parameter option shared by commands that evaluate or create configurations.
#[derive(Debug, Args)]
pub struct ModelArgs {
    /// TOML file of model parameters (cutoff, smoothing_order, non_additivity, lambda_min, lambda_max,
    /// number_density, size_set); keys left out take the defaults. Without it: the file's own
    /// parameters where it records them, else the defaults.
    #[arg(long, value_name = "FILE")]
    pub model: Option<PathBuf>,
}

impl ModelArgs {
    /// The parameters from `--model`, if given.
    pub fn load(&self) -> Result<Option<ModelParameters>> {
        self.model.as_deref().map(read_model_file).transpose()
    }
}

/// Reads and validates a TOML file of model parameters.
pub fn read_model_file(path: &Path) -> Result<ModelParameters> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|error| Error::Read {
        path: name.clone(),
        error,
    })?;
    ModelParameters::from_toml(&text, &name)
}

/// A configuration read from a file, with the model to evaluate it with.
pub struct LoadedConfiguration {
    /// The configuration.
    pub configuration: crate::model::Configuration,
    /// The model: from `--model`, else from the file, else the defaults.
    pub parameters: ModelParameters,
    /// Where the model came from.
    pub model_source: String,
    /// The file's format.
    pub format: crate::io::Format,
    /// The file's provenance, if it records one.
    pub provenance: Option<serde_json::Value>,
    /// Scalar observables the file stores.
    pub observables: serde_json::Map<String, serde_json::Value>,
}

/// The engine over a loaded configuration, on the session's ranks.
pub fn build_engine<'s>(
    session: &'s pinch_petsc::Session,
    loaded: &LoadedConfiguration,
    engine: &EngineArgs,
) -> Result<crate::domain::Engine<'s>> {
    Ok(crate::domain::Engine::new(
        session.world(),
        &loaded.configuration,
        loaded.parameters.potential(),
        engine.skin,
    )?)
}

/// Reads a configuration (H5MD or extended XYZ) and its model, and checks that the box holds twice the
/// largest interaction range.
pub fn load_configuration(
    path: &Path,
    wrap: bool,
    model: &ModelArgs,
) -> Result<LoadedConfiguration> {
    use crate::io::{self, Format};
    let format = io::detect_format(path)?;
    let (configuration, file_model, provenance, observables) = match format {
        Format::Hdf5 => {
            let s = io::h5md::read(path)?;
            (s.configuration, s.model, s.provenance, s.observables)
        }
        Format::ExtendedXyz => (
            io::read_xyz(path, wrap)?,
            None,
            None,
            serde_json::Map::new(),
        ),
    };
    let (parameters, model_source) = match (model.load()?, file_model) {
        (Some(p), _) => (p, model.model.as_ref().unwrap().display().to_string()),
        (None, Some(p)) => (p, "file".to_owned()),
        (None, None) => (ModelParameters::default(), "defaults".to_owned()),
    };
    let potential = parameters.potential();
    configuration
        .check_box_holds(potential.range(configuration.largest_size()))
        .and_then(|()| crate::model::check_finite_energy(&configuration, &potential))
        .map_err(|error| Error::Configuration {
            path: path.display().to_string(),
            error,
        })?;
    Ok(LoadedConfiguration {
        configuration,
        parameters,
        model_source,
        format,
        provenance,
        observables,
    })
}

/// Options of the distributed engine.
#[derive(Debug, Args)]
pub struct EngineArgs {
    /// Verlet skin: lists hold pairs closer than x_c lambda_ij + skin and are rebuilt when a particle
    /// has moved half of it [lambda_min].
    #[arg(long, default_value_t = crate::domain::DEFAULT_SKIN, value_name = "LENGTH")]
    pub skin: f64,
}

/// The default checkpoint of a run writing `out`: its name with `.checkpoint.h5`.
fn default_checkpoint(out: &Path) -> PathBuf {
    let stem = out
        .file_stem()
        .map_or("run".into(), |s| s.to_string_lossy().into_owned());
    out.with_file_name(format!("{stem}.checkpoint.h5"))
}

/// PETSc/SLEPc options given after `--`.
#[derive(Debug, Args)]
pub struct PetscArgs {
    /// PETSc/SLEPc options, e.g. `-- -selftest_eps_type lobpcg -log_view`.
    #[arg(last = true, value_name = "PETSC_OPTIONS")]
    pub petsc_options: Vec<String>,
}
