//! `pinch import`, `pinch export` and `pinch replicate`.

use std::path::PathBuf;

use clap::Args;

use pinch_petsc::Session;

use super::generate::write_configuration;
use super::{EngineArgs, ModelArgs, PetscArgs};
use crate::error::{Error, Result};
use crate::io::{self, Format};
use crate::provenance::Provenance;
use crate::response::dipoles::pinch_responses;

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
    /// Add the response u = H⁺d to the pinch of the interacting pair I,J (particle ids), recomputed
    /// from the input's inherent state, as the column response_I_J, normalised, with ω^(ij) and the
    /// pair in the header (repeatable; run under mpirun for several ranks).
    #[arg(long = "response", value_name = "I,J", value_parser = parse_pair)]
    pub responses: Vec<[u64; 2]>,
    /// Add the response to the pinch of the pair of lowest ω^(ij) among the input's stored dipoles
    /// (`pinch dipoles --all-dipoles`).
    #[arg(long)]
    pub softest_response: bool,
    /// Add each particle's lowest and mean ω^(ij) over the pairs it belongs to (a softness map, from
    /// `pinch dipoles --all-dipoles`) as the columns local_omega_min and local_omega_mean.
    #[arg(long)]
    pub softness: bool,
    #[command(flatten)]
    pub model: ModelArgs,
    #[command(flatten)]
    pub engine: EngineArgs,
    #[command(flatten)]
    pub petsc: PetscArgs,
}

/// Two particle ids "I,J".
fn parse_pair(text: &str) -> std::result::Result<[u64; 2], String> {
    let ids: Vec<u64> = text
        .split(',')
        .map(|id| id.trim().parse::<u64>())
        .collect::<std::result::Result<_, _>>()
        .map_err(|e| format!("{text:?} is not two particle ids I,J ({e})"))?;
    <[u64; 2]>::try_from(ids).map_err(|_| format!("{text:?} is not two particle ids I,J"))
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
    let mut pairs = args.responses.clone();
    if args.softest_response {
        let (pair, omega) = io::fields::softest_stored_pair(&args.input)?;
        log::info!(
            "the softest stored pinch is of pair {} {} (omega = {omega})",
            pair[0],
            pair[1]
        );
        pairs.push(pair);
    }
    let loaded = super::load_configuration(&args.input, false, &args.model)?;
    let mut fields = args
        .modes
        .iter()
        .map(|&k| io::fields::stored_mode(&args.input, k))
        .collect::<Result<Vec<_>>>()?;
    // PETSc (and MPI) only for recomputed responses; the session lives until the file is written.
    let session = if pairs.is_empty() {
        None
    } else {
        Some(Session::initialize("pinch", &args.petsc.petsc_options)?)
    };
    if let Some(session) = &session {
        let mut engine = super::build_engine(session, &loaded, &args.engine)?;
        super::measure::check_inherent_state(&mut engine, &args.input)?;
        let responses = pinch_responses(session, &mut engine, &pairs)?;
        if session.rank() != 0 {
            return Ok(());
        }
        for response in responses {
            if let Some(displacement) = response.displacement.clone() {
                fields.push(io::fields::response_field(&response, displacement));
            }
        }
    }
    let softness = if args.softness {
        io::fields::stored_softness(&args.input)?
    } else {
        Vec::new()
    };
    io::fields::write(
        &args.output,
        &loaded.configuration,
        &loaded.parameters,
        &fields,
        &softness,
    )?;
    log::info!(
        "exported {} particles{} from {} to {}",
        loaded.configuration.len(),
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
