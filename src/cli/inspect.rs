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
    if loaded.format == Format::Hdf5 {
        report.extend(stored_measurements(&args.file)?);
    }
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

/// The measurements of `pinch modes`, `shear`, `dipoles` and `sample` that the file holds, under the
/// report's names: `eigenvalues`, `participation_ratios`, `shear_modulus` {xy, xz, yz, mean},
/// `bulk_modulus`, `dipoles` {pairs, d_hinv_d, d_hinv2_d, omega, omega_g, sqrt_mean_kappa,
/// median_omega}.
fn stored_measurements(path: &std::path::Path) -> Result<Map<String, Value>> {
    use crate::io::h5md::{read_array_f64, read_array_u64, read_record};
    use crate::io::layout::{DipolesRecord, ElasticRecord, ModesRecord, dipoles, modes};
    let f64s = |member: &str| -> Result<Option<Vec<f64>>> {
        Ok(read_array_f64(path, member)?.map(|(values, _)| values))
    };
    let mut report = Map::new();
    if let Some(values) = f64s(modes::EIGENVALUES)? {
        report.insert("eigenvalues".into(), json!(values));
    }
    if let Some(record) = read_record::<ModesRecord>(path)? {
        report.insert("stable".into(), record.stable.into());
    }
    if let Some(values) = f64s(modes::PARTICIPATION_RATIOS)? {
        report.insert("participation_ratios".into(), json!(values));
    }
    if let Some(record) = read_record::<ElasticRecord>(path)? {
        report.insert(
            "shear_modulus".into(),
            json!({
                "xy": record.shear_xy,
                "xz": record.shear_xz,
                "yz": record.shear_yz,
                "mean": record.shear_mean,
            }),
        );
        report.insert("bulk_modulus".into(), record.bulk.into());
    }
    if let Some(record) = read_record::<DipolesRecord>(path)? {
        let pairs: Option<Vec<[u64; 2]>> = read_array_u64(path, dipoles::PAIRS)?
            .map(|(v, _)| v.chunks_exact(2).map(|p| [p[0], p[1]]).collect());
        report.insert(
            "dipoles".into(),
            json!({
                "pairs": pairs,
                "d_hinv_d": f64s(dipoles::D_HINV_D)?,
                "d_hinv2_d": f64s(dipoles::D_HINV2_D)?,
                "omega": f64s(dipoles::OMEGA)?,
                "omega_g": record.omega_g,
                "sqrt_mean_kappa": record.sqrt_mean_kappa,
                "median_omega": record.median_omega,
            }),
        );
    }
    Ok(report)
}
