//! `pinch import`, `pinch export` and `pinch replicate`.

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
    /// H5MD input written by pinch (a configuration, or a measurement file for --mode).
    #[arg(value_name = "IN.h5")]
    pub input: PathBuf,
    /// Extended XYZ output (.xyz, .extxyz), or H5MD (any other extension) to carry fields.
    #[arg(value_name = "OUT")]
    pub output: PathBuf,
    /// Add mode K (0: the lowest) of the input's stored eigenvectors as the column mode_K, normalised,
    /// with its frequency, participation ratio and centre in the header (repeatable).
    #[arg(long = "mode", value_name = "K")]
    pub modes: Vec<usize>,
}

/// Arguments of `pinch replicate`.
#[derive(Debug, Args)]
pub struct ReplicateArgs {
    /// H5MD or extended XYZ input.
    #[arg(long = "in", value_name = "FILE")]
    pub input: PathBuf,
    /// H5MD output: k^3 periodic copies in a box k times as wide.
    #[arg(long = "out", value_name = "FILE")]
    pub output: PathBuf,
    /// Copies along each axis.
    #[arg(long, value_name = "K")]
    pub times: usize,
    #[command(flatten)]
    pub model: ModelArgs,
}

pub fn replicate(args: ReplicateArgs) -> Result<()> {
    if args.times == 0 {
        return Err(Error::Usage("--times must be at least 1".into()));
    }
    let loaded = super::load_configuration(&args.input, false, &args.model)?;
    let original = &loaded.configuration;
    let copies = args
        .times
        .checked_pow(3)
        .filter(|c| c.checked_mul(original.len()).is_some())
        .ok_or_else(|| Error::Usage(format!("--times {} makes too many copies", args.times)))?;
    let n_particles = copies * original.len();
    loaded
        .parameters
        .validate_system(n_particles)
        .map_err(|error| Error::Parameter {
            origin: format!("--times {}", args.times),
            error,
        })?;
    crate::memory::ensure_fits(
        format_args!("{copies} copies of {} particles", original.len()),
        64 * n_particles as u64,
    )?;
    let box_length = original.box_length * args.times as f64;
    let mut positions = Vec::with_capacity(copies * original.len());
    let mut sizes = Vec::with_capacity(copies * original.len());
    for copy in 0..copies {
        let k = args.times;
        let shift =
            [copy / (k * k), (copy / k) % k, copy % k].map(|c| c as f64 * original.box_length);
        for (x, &size) in original.positions.iter().zip(&original.sizes) {
            positions.push(std::array::from_fn(|a| x[a] + shift[a]));
            sizes.push(size);
        }
    }
    let configuration =
        crate::model::Configuration::new(box_length, positions, sizes).map_err(|error| {
            Error::Configuration {
                path: args.output.display().to_string(),
                error,
            }
        })?;
    write_configuration(
        &args.output,
        &configuration,
        &loaded.parameters,
        Provenance::of_this_run(None, 1),
    )?;
    log::info!(
        "wrote {} periodic copies of {} ({} particles, box edge {box_length}) to {}",
        copies,
        args.input.display(),
        configuration.len(),
        args.output.display()
    );
    Ok(())
}

pub fn import(args: ImportArgs) -> Result<()> {
    let configuration = io::read_xyz(&args.input, args.wrap)?;
    let parameters = args.model.load()?.unwrap_or_default();
    let potential = parameters.potential();
    configuration
        .check_box_holds(potential.range(configuration.largest_size()))
        .and_then(|()| crate::model::check_finite_energy(&configuration, &potential))
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
    let fields = args
        .modes
        .iter()
        .map(|&k| io::fields::stored_mode(&args.input, k))
        .collect::<Result<Vec<_>>>()?;
    let model = stored.model.unwrap_or_default();
    io::fields::write(&args.output, &stored.configuration, &model, &fields)?;
    log::info!(
        "exported {} particles{} from {} to {}",
        stored.configuration.len(),
        if fields.is_empty() {
            String::new()
        } else {
            format!(
                " with {}",
                fields
                    .iter()
                    .map(|f| f.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        },
        args.input.display(),
        args.output.display()
    );
    Ok(())
}
