//! `pinch import` and `pinch export`.

use std::path::PathBuf;

use clap::Args;

use super::ModelArgs;
use super::generate::write_configuration;
use crate::error::{Error, Result};
use crate::io::{self, Format};
use crate::provenance::Provenance;

/// Arguments of `pinch import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// Extended XYZ input (Lattice of a cubic box, pos and lambda, size or radius columns).
    #[arg(value_name = "IN.xyz")]
    pub input: PathBuf,
    /// H5MD output.
    #[arg(value_name = "OUT.h5")]
    pub output: PathBuf,
    /// Map coordinates outside the box into it by periodic images (otherwise they are an error).
    #[arg(long)]
    pub wrap: bool,
    #[command(flatten)]
    pub model: ModelArgs,
}

/// Arguments of `pinch export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// H5MD input written by pinch.
    #[arg(value_name = "IN.h5")]
    pub input: PathBuf,
    /// Extended XYZ output.
    #[arg(value_name = "OUT.xyz")]
    pub output: PathBuf,
}

pub fn import(args: ImportArgs) -> Result<()> {
    let configuration = io::read_xyz(&args.input, args.wrap)?;
    let parameters = args.model.load()?.unwrap_or_default();
    let range = parameters.potential().range(configuration.largest_size());
    configuration
        .check_box_holds(range)
        .map_err(|error| Error::Configuration {
            path: args.input.display().to_string(),
            error,
        })?;
    write_configuration(
        &args.output,
        &configuration,
        &parameters,
        Provenance::of_this_run(None, 1),
    )?;
    log::info!(
        "imported {} particles from {} into {}",
        configuration.len(),
        args.input.display(),
        args.output.display()
    );
    Ok(())
}

pub fn export(args: ExportArgs) -> Result<()> {
    match io::detect_format(&args.input)? {
        Format::Hdf5 => {}
        Format::ExtendedXyz => {
            return Err(Error::Format {
                path: args.input.display().to_string(),
                message: "is already extended XYZ; export reads H5MD files".into(),
            });
        }
    }
    let stored = io::h5md::read(&args.input)?;
    io::write_xyz(&args.output, &stored.configuration)?;
    log::info!(
        "exported {} particles from {} to {}",
        stored.configuration.len(),
        args.input.display(),
        args.output.display()
    );
    Ok(())
}
