//! `pinch inspect`.

use std::path::PathBuf;

use clap::Args;
use serde_json::{Map, Value, json};

use super::ModelArgs;
use crate::error::Result;
use crate::io::Format;
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
    let loaded = super::load_configuration(&args.file, args.wrap, &args.model)?;
    let (configuration, parameters) = (loaded.configuration, loaded.parameters);
    let potential = parameters.potential();
    let observables = evaluate(&configuration, &potential);
    let n = configuration.len();
    let mut report = Map::new();
    // Observables stored by earlier steps come first; what is evaluated here takes precedence.
    report.extend(loaded.observables);
    report.extend(
        json!({
            "file": name,
            "format": match loaded.format { Format::Hdf5 => "h5md", Format::ExtendedXyz => "extended-xyz" },
            "n_particles": n,
            "box_length": configuration.box_length,
            "volume": configuration.volume(),
            "number_density": configuration.number_density(),
            "energy_per_particle": observables.energy_per_particle(),
            "max_force": observables.max_force(),
            "pressure": observables.pressure(configuration.volume()),
            "interacting_pairs": observables.interacting_pairs,
            "mean_coordination": 2.0 * observables.interacting_pairs as f64 / n as f64,
            "model_source": loaded.model_source,
            "model": parameters,
            "provenance": loaded.provenance,
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
