//! PETSc error codes turned into Rust errors that carry PETSc's own message.

use std::ffi::CStr;
use std::os::raw::c_char;

use crate::ffi;

impl Error {
    /// Whether a Cholesky factorisation met a zero or negative pivot: its matrix is not positive
    /// definite.
    pub fn is_not_positive_definite(&self) -> bool {
        matches!(self, Error::Petsc { code, .. } if *code == ffi::PETSC_ERR_MAT_CH_ZRPVT as i32)
    }
}

/// Everything that can go wrong in a PETSc or SLEPc call made by pinch.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A PETSc/SLEPc function returned a non-zero error code.
    #[error("{function} failed with PETSc error {code} ({generic}){}", specific_suffix(.specific))]
    Petsc {
        /// The PETSc or SLEPc function that failed.
        function: &'static str,
        /// PETSc's error code.
        code: i32,
        /// PETSc's generic text for the code, e.g. "Argument out of range".
        generic: String,
        /// PETSc's message for this particular error, e.g. "Unknown type. Check for miss-spelling ...".
        specific: String,
    },
    /// MPI was already initialised (or finalised) when a session was requested.
    #[error(
        "MPI could not be initialised: it has already been initialised or finalised in this process"
    )]
    MpiUnavailable,
    /// A second session was requested in a process that already had one.
    #[error("a PETSc/SLEPc session already exists in this process (only one is possible)")]
    SessionExists,
    /// The ranks cannot be split into groups of the requested size.
    #[error("{ranks} MPI ranks cannot be split into groups of {per_group}")]
    Groups {
        /// Ranks in all.
        ranks: i32,
        /// Ranks requested per group.
        per_group: i32,
    },
    /// A command-line option holds an interior NUL byte and cannot reach PETSc.
    #[error("PETSc option {0:?} contains a NUL byte")]
    NulInOption(String),
    /// A Krylov solve stopped without converging.
    #[error(
        "KSP solve (prefix {prefix:?}) did not converge: {reason} after {iterations} iterations, residual norm {residual_norm:e}"
    )]
    KspDiverged {
        /// Options prefix of the solver.
        prefix: String,
        /// PETSc's name of the converged reason, e.g. `DIVERGED_ITS`.
        reason: String,
        /// Iterations performed.
        iterations: i32,
        /// Final residual norm.
        residual_norm: f64,
    },
    /// An eigensolve stopped without converging to the requested number of pairs.
    #[error(
        "EPS solve (prefix {prefix:?}) stopped with {reason}: {converged} of {requested} eigenpairs converged after {iterations} iterations"
    )]
    EpsNotConverged {
        /// Options prefix of the solver.
        prefix: String,
        /// SLEPc's name of the converged reason.
        reason: String,
        /// Eigenpairs converged.
        converged: i32,
        /// Eigenpairs requested.
        requested: i32,
        /// Iterations performed.
        iterations: i32,
    },
    /// Sizes passed to a constructor are inconsistent.
    #[error("inconsistent sizes: {0}")]
    Size(String),
}

fn specific_suffix(specific: &str) -> String {
    if specific.is_empty() {
        String::new()
    } else {
        format!(": {specific}")
    }
}

/// Result of a PETSc/SLEPc operation.
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// Builds the error for `code` returned by `function`, asking PETSc for its messages.
    pub(crate) fn from_code(code: ffi::PetscErrorCode, function: &'static str) -> Error {
        let mut generic: *const c_char = std::ptr::null();
        let mut specific: *mut c_char = std::ptr::null_mut();
        // SAFETY: PetscErrorMessage only writes two pointers to static, NUL-terminated strings.
        let ierr = unsafe { ffi::PetscErrorMessage(code, &mut generic, &mut specific) };
        let text = |p: *const c_char| {
            if ierr != 0 || p.is_null() {
                String::new()
            } else {
                // SAFETY: checked non-null; PETSc's message buffers are NUL-terminated.
                unsafe { CStr::from_ptr(p) }
                    .to_string_lossy()
                    .trim()
                    .to_owned()
            }
        };
        Error::Petsc {
            function,
            code,
            generic: text(generic),
            specific: text(specific),
        }
    }
}

/// Calls a raw PETSc/SLEPc function and returns early with an [`Error`] on a non-zero code.
macro_rules! check {
    ($function:ident ( $($arg:expr),* $(,)? )) => {{
        #[allow(unused_unsafe)]
        let ierr = unsafe { $crate::ffi::$function($($arg),*) };
        if ierr != 0 {
            return Err($crate::error::Error::from_code(ierr, stringify!($function)).into());
        }
    }};
}
pub(crate) use check;

/// Calls a raw destroy function from a `Drop`, where an error can only be reported, not returned.
macro_rules! check_in_drop {
    ($function:ident ( $($arg:expr),* $(,)? )) => {{
        let ierr = unsafe { $crate::ffi::$function($($arg),*) };
        if ierr != 0 {
            eprintln!("pinch: {}", $crate::error::Error::from_code(ierr, stringify!($function)));
        }
    }};
}
pub(crate) use check_in_drop;
