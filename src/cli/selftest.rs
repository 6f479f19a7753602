//! `pinch selftest`.

use clap::Args;
use pinch_petsc::Session;

use super::PetscArgs;
use crate::error::{Error, Result};

/// Arguments of `pinch selftest`.
#[derive(Debug, Args)]
pub struct SelftestArgs {
    /// Grid points per edge n of the test operator (3 n^3 rows).
    #[arg(long, default_value_t = 8, value_name = "N")]
    pub grid: usize,
    /// Number of lowest eigenvalues to compute.
    #[arg(long, default_value_t = 6, value_name = "K")]
    pub eigenvalues: usize,
    #[command(flatten)]
    pub petsc: PetscArgs,
}

pub fn run(args: SelftestArgs) -> Result<()> {
    let session = Session::initialize("pinch", &args.petsc.petsc_options)?;
    let report = crate::selftest::run(&session, args.grid, args.eigenvalues)?;
    if session.rank() == 0 {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).expect("report serialises")
        );
    }
    if !report.passed {
        return Err(Error::SelfTest(
            "results differ from the analytic values beyond tolerance (see the report above)"
                .into(),
        ));
    }
    Ok(())
}
