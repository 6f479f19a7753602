//! The `pinch` command line: one subcommand per step of the pipeline.

mod convert;
mod generate;
mod inspect;
mod selftest;

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
    /// Report what a configuration file (H5MD or extended XYZ) holds, with the model's energy per
    /// particle, largest force and pressure evaluated on it.
    Inspect(inspect::InspectArgs),
    /// Check the MPI/PETSc/SLEPc stack on problems with known solutions (eigenvalues, linear solves,
    /// null spaces); run it under mpirun or srun to validate an installation or solver options.
    Selftest(selftest::SelftestArgs),
}

/// Runs the parsed command.
pub fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Generate(args) => generate::run(args),
        Command::Import(args) => convert::import(args),
        Command::Export(args) => convert::export(args),
        Command::Inspect(args) => inspect::run(args),
        Command::Selftest(args) => selftest::run(args),
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
    let parameters: ModelParameters = toml::from_str(&text).map_err(|e| Error::Toml {
        path: name.clone(),
        message: e.to_string(),
    })?;
    parameters.validate().map_err(|error| Error::Parameter {
        origin: name,
        error,
    })?;
    Ok(parameters)
}

/// PETSc/SLEPc options given after `--`.
#[derive(Debug, Args)]
pub struct PetscArgs {
    /// PETSc/SLEPc options, e.g. `-- -selftest_eps_type lobpcg -log_view`.
    #[arg(last = true, value_name = "PETSC_OPTIONS")]
    pub petsc_options: Vec<String>,
}
