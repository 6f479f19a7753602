//! `pinch hessian`.

use std::path::PathBuf;
use std::time::Instant;

use clap::Args;
use pinch_petsc::Session;

use super::{EngineArgs, ModelArgs, PetscArgs, build_engine, load_configuration};
use crate::error::Result;
use crate::io::h5md::{Extras, write};
use crate::provenance::Provenance;

/// Arguments of `pinch hessian`.
#[derive(Debug, Args)]
pub struct HessianArgs {
    /// Configuration file (normally an inherent state): H5MD or extended XYZ.
    #[arg(value_name = "IN")]
    pub input: PathBuf,
    /// H5MD output: the configuration and the Hessian as /hessian/{indptr, indices, data} (CSR, rows
    /// and columns 3 id + component; scipy.sparse.csr_matrix((data, indices, indptr))).
    #[arg(value_name = "OUT.h5")]
    pub output: PathBuf,
    #[command(flatten)]
    pub model: ModelArgs,
    #[command(flatten)]
    pub engine: EngineArgs,
    #[command(flatten)]
    pub petsc: PetscArgs,
}

pub fn run(args: HessianArgs) -> Result<()> {
    let loaded = load_configuration(&args.input, false, &args.model)?;
    let session = Session::initialize("pinch", &args.petsc.petsc_options)?;
    let mut engine = build_engine(&session, &loaded, &args.engine)?;
    let start = Instant::now();
    let hessian = crate::hessian::assemble(&session, &mut engine)?;
    let seconds = start.elapsed().as_secs_f64();
    let storage = hessian.matrix.storage()?;
    if session.rank() == 0 {
        log::info!(
            "assembled the {0} x {0} Hessian ({1} nonzeros) in {seconds:.3} s",
            3 * engine.n_global(),
            storage.nonzeros_used
        );
    }
    if let Some(csr) = hessian.gather(&engine)? {
        let extras = Extras {
            matrices: vec![("hessian", &csr)],
            ..Default::default()
        };
        write(
            &args.output,
            &loaded.configuration,
            &loaded.parameters,
            &Provenance::of_this_run(None, session.size()),
            &extras,
        )?;
    }
    Ok(())
}
