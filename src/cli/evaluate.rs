//! `pinch evaluate`.

use std::path::PathBuf;

use clap::Args;
use pinch_petsc::Session;
use serde_json::Map;

use super::{EngineArgs, ModelArgs, PetscArgs, build_engine, load_configuration};
use crate::error::Result;
use crate::provenance::Provenance;

/// Arguments of `pinch evaluate`.
#[derive(Debug, Args)]
pub struct EvaluateArgs {
    /// Configuration file: H5MD or extended XYZ.
    #[arg(value_name = "IN")]
    pub input: PathBuf,
    /// H5MD output: the configuration with per-particle forces and the observables.
    #[arg(value_name = "OUT.h5")]
    pub output: PathBuf,
    #[command(flatten)]
    pub model: ModelArgs,
    #[command(flatten)]
    pub engine: EngineArgs,
    #[command(flatten)]
    pub petsc: PetscArgs,
}

pub fn run(args: EvaluateArgs) -> Result<()> {
    let loaded = load_configuration(&args.input, false, &args.model)?;
    let session = Session::initialize("pinch", &args.petsc.petsc_options)?;
    let mut engine = build_engine(&session, &loaded, &args.engine)?;
    let evaluation = engine.evaluate();
    let max_force = engine.max_force(&evaluation.forces);
    let pressure = evaluation.pressure(loaded.configuration.volume());
    let forces = engine.gather(&evaluation.forces);
    if let Some(forces) = forces {
        let n = engine.n_global();
        let mut observables = Map::new();
        observables.insert(
            "energy_per_particle".into(),
            (evaluation.energy / n as f64).into(),
        );
        observables.insert("max_force".into(), max_force.into());
        observables.insert("pressure".into(), pressure.into());
        let provenance = Provenance::of_this_run(None, session.size());
        crate::io::h5md::write(
            &args.output,
            &loaded.configuration,
            &loaded.parameters,
            &provenance,
            &crate::io::h5md::Extras {
                observables,
                per_particle: vec![("force", &forces)],
                ..Default::default()
            },
        )?;
        log::info!(
            "{} particles on {} ranks: energy per particle {}, max force {max_force}, pressure {pressure}",
            n,
            session.size(),
            evaluation.energy / n as f64
        );
    }
    Ok(())
}
