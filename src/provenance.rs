//! Where a result came from: program, version, commit, command line, seed, time, MPI layout and BLAS.

use serde::{Deserialize, Serialize};

/// Provenance recorded in every file pinch writes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Provenance {
    /// Always "pinch".
    pub program: String,
    /// The crate version.
    pub version: String,
    /// The git commit the binary was built from (with "-dirty" for uncommitted changes), or "unknown".
    pub git_commit: String,
    /// The full command line.
    pub command_line: String,
    /// The random seed, for commands that draw random numbers.
    pub seed: Option<u64>,
    /// When the file was written (RFC 3339, UTC).
    pub created: String,
    /// The number of MPI ranks of the run that wrote the file.
    pub mpi_ranks: i32,
    /// The PETSc/SLEPc options of the run: the `PETSC_OPTIONS` environment variable, then those after
    /// `--` on the command line.
    #[serde(default)]
    pub petsc_options: String,
    /// The BLAS under the factorisations: OpenBLAS's configuration with the kernels it runs, or
    /// "not OpenBLAS".
    #[serde(default)]
    pub blas: String,
}

fn now() -> String {
    humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string()
}

impl Provenance {
    /// The same run's provenance for a file written now (checkpoints are written long after the
    /// run's provenance is made).
    pub fn dated_now(&self) -> Self {
        Provenance {
            created: now(),
            ..self.clone()
        }
    }

    /// The provenance of the running command.
    pub fn of_this_run(seed: Option<u64>, mpi_ranks: i32) -> Self {
        Provenance {
            program: "pinch".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            git_commit: env!("PINCH_GIT_COMMIT").into(),
            command_line: std::env::args().collect::<Vec<_>>().join(" "),
            seed,
            created: now(),
            mpi_ranks,
            petsc_options: {
                let arguments: Vec<String> = std::env::args().collect();
                let after = arguments
                    .iter()
                    .position(|a| a == "--")
                    .map_or(&[][..], |k| &arguments[k + 1..]);
                std::env::var("PETSC_OPTIONS")
                    .ok()
                    .into_iter()
                    .chain(after.iter().cloned())
                    .collect::<Vec<_>>()
                    .join(" ")
            },
            blas: crate::blas::description(),
        }
    }
}
