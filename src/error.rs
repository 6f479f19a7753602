//! The errors pinch reports to its users. Each names the file (or option) and the field at fault.

use thiserror::Error;

use crate::model::{ConfigurationError, ParameterError};

/// An error that ends a pinch command.
#[derive(Debug, Error)]
pub enum Error {
    /// A file could not be read at all.
    #[error("{path}: cannot read: {error}")]
    Read {
        /// The file.
        path: String,
        /// What the operating system said.
        error: std::io::Error,
    },
    /// A TOML file has a syntax error, a value of the wrong type or an unknown key.
    #[error("{path}: {message}")]
    Toml {
        /// The file.
        path: String,
        /// The parser's message (it names the key and the line).
        message: String,
    },
    /// A parameter value cannot be used.
    #[error("{origin}: invalid parameter {error}")]
    Parameter {
        /// The file or command-line option the value came from.
        origin: String,
        /// The field and the reason.
        error: ParameterError,
    },
    /// A configuration file holds an unusable configuration.
    #[error("{path}: {error}")]
    Configuration {
        /// The file.
        path: String,
        /// What is wrong with it.
        error: ConfigurationError,
    },
    /// An extended XYZ file cannot be parsed.
    #[error("{path}, line {line}: {message}")]
    Xyz {
        /// The file.
        path: String,
        /// The 1-based line number.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// An HDF5 file cannot be read or is not laid out as pinch expects.
    #[error("{path}: {message}")]
    Hdf5 {
        /// The file.
        path: String,
        /// What is wrong, including the HDF5 library's message.
        message: String,
    },
    /// A file cannot be recognised as any format pinch reads.
    #[error("{path}: {message}")]
    Format {
        /// The file.
        path: String,
        /// What was expected.
        message: String,
    },
    /// An output file cannot be written; nothing was left at its final path.
    #[error("{path}: cannot write: {message}")]
    Write {
        /// The file.
        path: String,
        /// What went wrong.
        message: String,
    },
    /// The run cannot be spread over the MPI ranks it was given.
    #[error("{0}")]
    Decomposition(#[from] crate::domain::DecompositionError),
    /// A PETSc or SLEPc operation failed.
    #[error("{0}")]
    Petsc(#[from] pinch_petsc::Error),
    /// The command line asks for something that cannot be done.
    #[error("{0}")]
    Usage(String),
    /// Another rank failed, and said why in its own message; this rank stops with it.
    #[error("{0}")]
    Collective(String),
    /// The machine or the job has too little of something (memory, typically) for the work.
    #[error("{0}")]
    Resource(String),
    /// An external program (sbatch, Python) could not be run or failed.
    #[error("{program}: {message}")]
    External {
        /// The program.
        program: String,
        /// What went wrong, with the program's own message.
        message: String,
    },
    /// Stored data fail their checks (checksums, layout) after they were written.
    #[error("{path}: {message}")]
    Damaged {
        /// The file.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// The engine cannot be built for a sample (e.g. the box is too small for the ranks).
    #[error("{sample}: {message}")]
    Sample {
        /// The sample.
        sample: String,
        /// What went wrong.
        message: String,
    },
    /// A self-check of the solver stack found wrong results.
    #[error("self-test failed: {0}")]
    SelfTest(String),
    /// The command ran and wrote its output, but ended in a state its exit status reports (a quench
    /// that did not converge, an interrupted equilibration, an unstable state). Returned rather than
    /// exiting on the spot, so that PETSc and MPI are finalised on the way out.
    #[error("{message}")]
    Stopped {
        /// The exit status.
        status: i32,
        /// What to tell the user (nothing if it was logged already).
        message: String,
    },
}

impl Error {
    /// A failed write of `path`, with the system's (or pinch's) reason.
    pub fn write(path: &std::path::Path, reason: impl std::fmt::Display) -> Error {
        Error::Write {
            path: path.display().to_string(),
            message: reason.to_string(),
        }
    }

    /// The process exit status for this error.
    pub fn exit_status(&self) -> i32 {
        match self {
            Error::Stopped { status, .. } => *status,
            _ => 1,
        }
    }
}

/// Exit status of a run stopped by SIGTERM, SIGINT or SIGUSR1 after writing its checkpoint.
pub const INTERRUPTED: i32 = 4;

/// Result of a pinch operation.
pub type Result<T> = std::result::Result<T, Error>;
