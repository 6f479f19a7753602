//! `pinch generate`.

use std::path::PathBuf;

use clap::Args;

use super::ModelArgs;
use crate::error::{Error, Result};
use crate::model::{ModelParameters, evaluate, random_configuration};
use crate::provenance::Provenance;

/// Arguments of `pinch generate`.
#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Number of particles N.
    #[arg(short = 'n', long, value_name = "N")]
    pub n_particles: usize,
    /// Random seed: the same seed, N and model give the same configuration.
    #[arg(long, value_name = "SEED")]
    pub seed: u64,
    /// Output file: H5MD (.h5) or, by its extension, extended XYZ (.xyz).
    #[arg(short, long, value_name = "FILE")]
    pub out: PathBuf,
    #[command(flatten)]
    pub model: ModelArgs,
}

pub fn run(args: GenerateArgs) -> Result<()> {
    let parameters = args.model.load()?.unwrap_or_default();
    let origin = args
        .model
        .model
        .as_ref()
        .map_or("command line".to_owned(), |p| p.display().to_string());
    parameters
        .validate_system(args.n_particles)
        .map_err(|error| Error::Parameter { origin, error })?;
    // Positions and sizes, and as much again while they are written.
    crate::memory::ensure_fits(
        format_args!("generating `n_particles` = {}", args.n_particles),
        64 * args.n_particles as u64,
    )?;
    let configuration = random_configuration(&parameters, args.n_particles, args.seed);
    write_configuration(
        &args.out,
        &configuration,
        &parameters,
        Provenance::of_this_run(Some(args.seed), 1),
    )?;
    log::info!(
        "wrote {} particles in a box of edge {} to {}",
        configuration.len(),
        configuration.box_length,
        args.out.display()
    );
    Ok(())
}

/// Writes a configuration as H5MD, or as extended XYZ if `path` ends in `.xyz`, with its observables.
pub fn write_configuration(
    path: &std::path::Path,
    configuration: &crate::model::Configuration,
    parameters: &ModelParameters,
    provenance: Provenance,
) -> Result<()> {
    if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("xyz"))
    {
        return crate::io::write_xyz(path, configuration);
    }
    let observables = evaluate(configuration, &parameters.potential());
    let mut stored = serde_json::Map::new();
    stored.insert(
        "energy_per_particle".into(),
        observables.energy_per_particle().into(),
    );
    stored.insert("max_force".into(), observables.max_force().into());
    stored.insert(
        "pressure".into(),
        observables.pressure(configuration.volume()).into(),
    );
    crate::io::h5md::write(
        path,
        configuration,
        parameters,
        &provenance,
        &crate::io::h5md::Extras {
            observables: stored,
            ..Default::default()
        },
    )
}
