//! `pinch bench`: throughput and memory of the engine's stages, on however many ranks it runs.

use std::path::PathBuf;
use std::time::Instant;

use clap::Args;
use mpi::traits::*;
use pinch_petsc::Session;
use serde_json::{Value, json};

use super::PetscArgs;
use crate::domain::{DEFAULT_SKIN, Engine};
use crate::error::{Error, Result};
use crate::model::{ModelParameters, random_configuration};
use crate::provenance::Provenance;

/// Arguments of `pinch bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// System sizes N to measure, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "2000,16000,128000")]
    pub sizes: Vec<usize>,
    /// Minimum seconds of force evaluations per size.
    #[arg(long, default_value_t = 2.0)]
    pub seconds: f64,
    /// JSON results file (written by rank 0).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub petsc: PetscArgs,
}

pub fn run(args: BenchArgs) -> Result<()> {
    let session = Session::initialize("pinch", &args.petsc.petsc_options)?;
    let world = session.world();
    let ranks = world.size() as usize;
    let parameters = ModelParameters::default();
    let mut rows = Vec::new();
    for &n in &args.sizes {
        let configuration = random_configuration(&parameters, n, 1);
        world.barrier();
        let start = Instant::now();
        let mut engine = Engine::new(world, &configuration, parameters.potential(), DEFAULT_SKIN)?;
        let setup = start.elapsed().as_secs_f64();
        let cores = ranks * rayon::current_num_threads();
        let mut forces = Vec::new();
        engine.evaluate();
        // Time force evaluations (with ghost updates, no rebuilds): the steady state of a minimisation.
        world.barrier();
        let start = Instant::now();
        let mut calls = 0usize;
        loop {
            engine.forces(&mut forces);
            std::hint::black_box(&forces);
            calls += 1;
            let mut elapsed = start.elapsed().as_secs_f64();
            world.all_reduce_into(
                &start.elapsed().as_secs_f64(),
                &mut elapsed,
                mpi::collective::SystemOperation::max(),
            );
            if elapsed >= args.seconds && calls >= 3 {
                let rate = (n * calls) as f64 / elapsed / cores as f64;
                let entries = engine.mean_list_entries();
                // Hessian assembly of the same configuration: time and the memory it adds.
                world.barrier();
                let memory_before = engine.sum([crate::memory::current_memory() as f64]);
                let start = Instant::now();
                let hessian = crate::hessian::assemble(&session, &mut engine)?;
                let mut assembly = start.elapsed().as_secs_f64();
                world.all_reduce_into(
                    &start.elapsed().as_secs_f64(),
                    &mut assembly,
                    mpi::collective::SystemOperation::max(),
                );
                let hessian_memory =
                    engine.sum([crate::memory::current_memory() as f64]) - memory_before;
                let nonzeros = hessian.matrix.storage()?.nonzeros_used;
                drop(hessian);
                let peak = engine.sum([crate::memory::peak_memory() as f64]);
                let row = json!({
                    "n_particles": n,
                    "ranks": ranks,
                    "threads_per_rank": rayon::current_num_threads(),
                    "setup_seconds": setup,
                    "evaluations": calls,
                    "seconds": elapsed,
                    "seconds_per_evaluation": elapsed / calls as f64,
                    "particle_force_evaluations_per_second_per_core": rate,
                    "list_entries_per_particle": entries,
                    "hessian_assembly_seconds": assembly,
                    "hessian_nonzeros": nonzeros,
                    "hessian_memory_bytes": hessian_memory,
                    "peak_memory_bytes": peak,
                });
                if world.rank() == 0 {
                    println!(
                        "N = {n:>8}  {ranks} rank(s) x {} thread(s): forces {:.3e} particle-force evaluations/s/core ({:.2} ms per evaluation, {entries:.1} list entries per particle); Hessian assembly {assembly:.3} s, {:.0} nonzeros, {:.1} MB; peak memory {:.1} MB",
                        rayon::current_num_threads(),
                        rate,
                        1e3 * elapsed / calls as f64,
                        nonzeros,
                        hessian_memory / 1e6,
                        peak / 1e6
                    );
                }
                rows.push(row);
                break;
            }
        }
    }
    if world.rank() == 0 {
        let report = json!({
            "benchmark": "pinch bench",
            "provenance": Provenance::of_this_run(Some(1), ranks as i32),
            "forces": Value::Array(rows),
        });
        let text = serde_json::to_string_pretty(&report).expect("report serialises");
        match &args.out {
            Some(path) => crate::io::atomic::write_file(path, text.as_bytes())
                .map_err(|e| Error::write(path, e))?,
            None => println!("{text}"),
        }
    }
    Ok(())
}
