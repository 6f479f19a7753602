//! `pinch inspect`.

use std::path::PathBuf;

use clap::Args;
use serde_json::{Map, Value, json};

use super::ModelArgs;
use crate::error::{Error, Result};
use crate::io::{self, Format};
use crate::model::evaluate;

/// Arguments of `pinch inspect`.
#[derive(Debug, Args)]
pub struct InspectArgs {
    /// Configuration file: H5MD (.h5) or extended XYZ (.xyz).
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Print one JSON object (raw simulation units) instead of a table.
    #[arg(long)]
    pub json: bool,
    /// For extended XYZ input: map coordinates outside the box into it.
    #[arg(long)]
    pub wrap: bool,
    #[command(flatten)]
    pub model: ModelArgs,
}

pub fn run(args: InspectArgs) -> Result<()> {
    let name = args.file.display().to_string();
    let format = io::detect_format(&args.file)?;
    let (configuration, file_model, provenance, stored) = match format {
        Format::Hdf5 => {
            let s = io::h5md::read(&args.file)?;
            (s.configuration, s.model, s.provenance, s.observables)
        }
        Format::ExtendedXyz => (io::read_xyz(&args.file, args.wrap)?, None, None, Map::new()),
    };
    let (parameters, model_source) = match (args.model.load()?, file_model) {
        (Some(p), _) => (p, args.model.model.as_ref().unwrap().display().to_string()),
        (None, Some(p)) => (p, "file".to_owned()),
        (None, None) => (Default::default(), "defaults".to_owned()),
    };
    let potential = parameters.potential();
    configuration
        .check_box_holds(potential.range(configuration.largest_size()))
        .map_err(|error| Error::Configuration {
            path: name.clone(),
            error,
        })?;
    let observables = evaluate(&configuration, &potential);
    let n = configuration.len();
    let mut report = Map::new();
    // Observables stored by earlier steps come first; what is evaluated here takes precedence.
    report.extend(stored);
    report.extend(
        json!({
            "file": name,
            "format": match format { Format::Hdf5 => "h5md", Format::ExtendedXyz => "extended-xyz" },
            "n_particles": n,
            "box_length": configuration.box_length,
            "volume": configuration.volume(),
            "number_density": configuration.number_density(),
            "energy_per_particle": observables.energy_per_particle(),
            "max_force": observables.max_force(),
            "pressure": observables.pressure(configuration.volume()),
            "interacting_pairs": observables.interacting_pairs,
            "mean_coordination": 2.0 * observables.interacting_pairs as f64 / n as f64,
            "model_source": model_source,
            "model": parameters,
            "provenance": provenance,
        })
        .as_object()
        .unwrap()
        .clone(),
    );
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&Value::Object(report)).expect("report serialises")
        );
    } else {
        for (key, value) in &report {
            match value {
                Value::Object(inner) => {
                    println!("{key}:");
                    for (k, v) in inner {
                        println!("  {k:<22} {v}");
                    }
                }
                other => println!("{key:<24} {other}"),
            }
        }
    }
    Ok(())
}
