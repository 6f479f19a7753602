//! Eigensolvers for symmetric matrices (SLEPc `EPS`), configured from the options database.

use std::ffi::{CStr, CString};
use std::marker::PhantomData;

use crate::error::{Error, Result, check, check_in_drop};
use crate::ffi;
use crate::mat::Mat;
use crate::session::{Session, type_name};
use crate::vector::Vector;

/// Which part of the spectrum to compute by default.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Which {
    /// The algebraically smallest eigenvalues.
    SmallestReal,
    /// The eigenvalues closest to a target (pair with shift-and-invert via `-<prefix>st_type sinvert`).
    NearestTo(f64),
}

/// What a converged eigensolve reports.
#[derive(Clone, Debug, PartialEq)]
pub struct EpsInfo {
    /// Eigenpairs converged (at least the number requested).
    pub converged: usize,
    /// Outer iterations (restarts) performed.
    pub iterations: i32,
    /// SLEPc's name of the converged reason.
    pub reason: String,
}

/// A symmetric (Hermitian) eigenproblem `A x = λ x`.
pub struct Eps<'s> {
    raw: ffi::EPS,
    prefix: String,
    requested: usize,
    _session: PhantomData<&'s Session>,
}

impl<'s> Eps<'s> {
    /// An eigensolver for the symmetric `operator` with options prefix `prefix` (e.g. `"modes_"`).
    pub fn new(session: &'s Session, operator: &Mat<'s>, prefix: &str) -> Result<Self> {
        let mut raw: ffi::EPS = std::ptr::null_mut();
        check!(EPSCreate(session.comm(), &mut raw));
        let eps = Eps {
            raw,
            prefix: prefix.to_owned(),
            requested: 1,
            _session: PhantomData,
        };
        check!(EPSSetOperators(raw, operator.raw, std::ptr::null_mut()));
        check!(EPSSetProblemType(raw, ffi::EPS_HEP));
        let prefix_c = CString::new(prefix).map_err(|_| Error::NulInOption(prefix.to_owned()))?;
        check!(EPSSetOptionsPrefix(raw, prefix_c.as_ptr()));
        Ok(eps)
    }

    /// The number of eigenpairs wanted (the options database may override it with `-<prefix>eps_nev`).
    pub fn set_count(&mut self, count: usize) -> Result<()> {
        let default = ffi::PETSC_DEFAULT as ffi::PetscInt;
        check!(EPSSetDimensions(
            self.raw,
            count as ffi::PetscInt,
            default,
            default
        ));
        Ok(())
    }

    /// The part of the spectrum wanted.
    pub fn set_which(&mut self, which: Which) -> Result<()> {
        match which {
            Which::SmallestReal => check!(EPSSetWhichEigenpairs(self.raw, ffi::EPS_SMALLEST_REAL)),
            Which::NearestTo(target) => {
                check!(EPSSetTarget(self.raw, target));
                check!(EPSSetWhichEigenpairs(self.raw, ffi::EPS_TARGET_MAGNITUDE));
            }
        }
        Ok(())
    }

    /// Default convergence tolerance and iteration cap (the options database still overrides them).
    pub fn set_tolerances(&mut self, tolerance: f64, max_iterations: i32) -> Result<()> {
        check!(EPSSetTolerances(self.raw, tolerance, max_iterations));
        Ok(())
    }

    /// Vectors whose span is excluded from the search (e.g. the translations of a Hessian).
    pub fn set_deflation_space(&mut self, vectors: &[Vector<'s>]) -> Result<()> {
        let mut raws: Vec<ffi::Vec> = vectors.iter().map(|v| v.raw).collect();
        check!(EPSSetDeflationSpace(
            self.raw,
            raws.len() as ffi::PetscInt,
            raws.as_mut_ptr()
        ));
        Ok(())
    }

    /// Applies the options database (`-<prefix>eps_*`, `-<prefix>st_*`); call it last.
    pub fn set_from_options(&mut self) -> Result<()> {
        check!(EPSSetFromOptions(self.raw));
        Ok(())
    }

    /// A Cholesky factor of the spectral transformation's matrix by `package` (e.g. `"mumps"`), in
    /// place of the preconditioner set so far (a redundant one included); call it after
    /// [`Eps::set_from_options`], since it overrides `-<prefix>st_pc_type` and
    /// `-<prefix>st_pc_factor_mat_solver_type`.
    pub fn set_cholesky_factor(&mut self, package: &str) -> Result<()> {
        let package_c =
            CString::new(package).map_err(|_| Error::NulInOption(package.to_owned()))?;
        let mut st: ffi::ST = std::ptr::null_mut();
        let mut ksp: ffi::KSP = std::ptr::null_mut();
        let mut pc: ffi::PC = std::ptr::null_mut();
        check!(EPSGetST(self.raw, &mut st));
        check!(STGetKSP(st, &mut ksp));
        check!(KSPGetPC(ksp, &mut pc));
        check!(PCSetType(pc, ffi::PCCHOLESKY.as_ptr().cast()));
        check!(PCFactorSetMatSolverType(pc, package_c.as_ptr()));
        Ok(())
    }

    /// Solves; fewer converged pairs than requested is an [`Error::EpsNotConverged`].
    pub fn solve(&mut self) -> Result<EpsInfo> {
        check!(EPSSolve(self.raw));
        let (mut converged, mut iterations, mut nev, mut ncv, mut mpd): (
            ffi::PetscInt,
            ffi::PetscInt,
            ffi::PetscInt,
            ffi::PetscInt,
            ffi::PetscInt,
        ) = (0, 0, 0, 0, 0);
        let mut reason: ffi::EPSConvergedReason = 0;
        check!(EPSGetConverged(self.raw, &mut converged));
        check!(EPSGetIterationNumber(self.raw, &mut iterations));
        check!(EPSGetConvergedReason(self.raw, &mut reason));
        check!(EPSGetDimensions(self.raw, &mut nev, &mut ncv, &mut mpd));
        self.requested = nev as usize;
        let reason = reason_name(reason);
        if converged < nev {
            return Err(Error::EpsNotConverged {
                prefix: self.prefix.clone(),
                reason,
                converged,
                requested: nev,
                iterations,
            });
        }
        Ok(EpsInfo {
            converged: converged as usize,
            iterations,
            reason,
        })
    }

    /// The `index`-th converged eigenvalue (in the solver's order: for the smallest, ascending).
    pub fn eigenvalue(&self, index: usize) -> Result<f64> {
        let (mut re, mut im) = (0.0, 0.0);
        check!(EPSGetEigenvalue(
            self.raw,
            index as ffi::PetscInt,
            &mut re,
            &mut im
        ));
        Ok(re)
    }

    /// The `index`-th eigenvalue, with its eigenvector written into `vector`.
    pub fn eigenpair(&self, index: usize, vector: &mut Vector<'s>) -> Result<f64> {
        let (mut re, mut im) = (0.0, 0.0);
        check!(EPSGetEigenpair(
            self.raw,
            index as ffi::PetscInt,
            &mut re,
            &mut im,
            vector.raw,
            std::ptr::null_mut()
        ));
        Ok(re)
    }

    /// The relative residual error ‖A x − λ x‖ / |λ| of the `index`-th pair.
    pub fn relative_error(&self, index: usize) -> Result<f64> {
        let mut error = 0.0;
        check!(EPSComputeError(
            self.raw,
            index as ffi::PetscInt,
            ffi::EPS_ERROR_RELATIVE,
            &mut error
        ));
        Ok(error)
    }

    /// After a solve with shift-and-invert whose matrix A − σ is factored by a package that reports
    /// the factor's inertia (MUMPS; on several ranks only with `-<prefix>st_mat_mumps_icntl_13 1`):
    /// the number of negative eigenvalues of A − σ, that is of eigenvalues of A below σ (Sylvester's
    /// law of inertia). `None` for any other transformation, preconditioner or package.
    pub fn eigenvalues_below_target(&self) -> Result<Option<usize>> {
        let mut st: ffi::ST = std::ptr::null_mut();
        check!(EPSGetST(self.raw, &mut st));
        let mut st_type: ffi::STType = std::ptr::null();
        check!(STGetType(st, &mut st_type));
        if type_name(st_type) != "sinvert" {
            return Ok(None);
        }
        let mut ksp: ffi::KSP = std::ptr::null_mut();
        let mut pc: ffi::PC = std::ptr::null_mut();
        check!(STGetKSP(st, &mut ksp));
        check!(KSPGetPC(ksp, &mut pc));
        let mut pc_type: ffi::PCType = std::ptr::null();
        check!(PCGetType(pc, &mut pc_type));
        if type_name(pc_type) != "cholesky" {
            return Ok(None);
        }
        let mut package: ffi::MatSolverType = std::ptr::null();
        check!(PCFactorGetMatSolverType(pc, &mut package));
        if type_name(package) != "mumps" {
            return Ok(None);
        }
        let mut factor: ffi::Mat = std::ptr::null_mut();
        check!(PCFactorGetMatrix(pc, &mut factor));
        let mut negative: ffi::PetscInt = 0;
        // Only the negative count: MUMPS gives the zero and positive ones only with ICNTL(24) = 1.
        // SAFETY: `factor` is the PC's factored matrix, alive while the EPS is; the output is a local.
        let ierr = unsafe {
            ffi::MatGetInertia(
                factor,
                &mut negative,
                std::ptr::null_mut(),
                std::ptr::null_mut(),
            )
        };
        // MUMPS refuses on several ranks without ICNTL(13) = 1: no inertia then, not an error.
        Ok((ierr == 0).then_some(negative as usize))
    }

    /// The eigensolver in use, e.g. `krylovschur`.
    pub fn method(&self) -> Result<String> {
        let mut name: ffi::EPSType = std::ptr::null();
        check!(EPSGetType(self.raw, &mut name));
        Ok(type_name(name))
    }

    /// The spectral transformation in use, e.g. `sinvert`.
    pub fn spectral_transform(&self) -> Result<String> {
        let mut st: ffi::ST = std::ptr::null_mut();
        let mut name: ffi::STType = std::ptr::null();
        check!(EPSGetST(self.raw, &mut st));
        check!(STGetType(st, &mut name));
        Ok(type_name(name))
    }
}

fn reason_name(reason: ffi::EPSConvergedReason) -> String {
    // SAFETY: EPSConvergedReasons is SLEPc's static table, indexable by every EPSConvergedReason value.
    let name = unsafe { *ffi::EPSConvergedReasons.offset(reason as isize) };
    if name.is_null() {
        return format!("reason {reason}");
    }
    // SAFETY: entries are static NUL-terminated strings.
    unsafe { CStr::from_ptr(name) }
        .to_string_lossy()
        .into_owned()
}

impl Drop for Eps<'_> {
    fn drop(&mut self) {
        check_in_drop!(EPSDestroy(&mut self.raw));
    }
}
