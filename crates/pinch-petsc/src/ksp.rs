//! Krylov linear solvers (`KSP`), configured from the options database.

use std::ffi::{CStr, CString};
use std::marker::PhantomData;

use crate::dense::DenseColumns;
use crate::error::{Error, Result, check, check_in_drop};
use crate::ffi;
use crate::mat::Mat;
use crate::session::{Session, type_name};
use crate::vector::Vector;

/// What a converged solve reports.
#[derive(Clone, Debug, PartialEq)]
pub struct KspInfo {
    /// Iterations performed.
    pub iterations: i32,
    /// Final residual norm as measured by the solver.
    pub residual_norm: f64,
    /// PETSc's name of the converged reason, e.g. `CONVERGED_RTOL`.
    pub reason: String,
}

/// A linear solver for `A x = b`.
///
/// As in the PETSc tutorials, the code states only facts about the problem; the method, the
/// preconditioner and the tolerances are the user's to choose with `-<prefix>ksp_*`/`-<prefix>pc_*`.
pub struct Ksp<'s> {
    raw: ffi::KSP,
    prefix: String,
    _session: PhantomData<&'s Session>,
}

impl<'s> Ksp<'s> {
    /// A solver for `operator` whose options carry `prefix` (e.g. `"shear_"` → `-shear_ksp_type`).
    pub fn new(_session: &'s Session, operator: &Mat<'s>, prefix: &str) -> Result<Self> {
        // The solver lives where its operator does: on every rank of the session, or on one rank for
        // a matrix from [`Mat::gather_whole`].
        let mut comm = crate::mat::self_communicator(); // overwritten with the operator's
        check!(PetscObjectGetComm(operator.raw.cast(), &mut comm));
        let mut raw: ffi::KSP = std::ptr::null_mut();
        check!(KSPCreate(comm, &mut raw));
        let ksp = Ksp {
            raw,
            prefix: prefix.to_owned(),
            _session: PhantomData,
        };
        // KSP takes its own reference to the operator.
        check!(KSPSetOperators(raw, operator.raw, operator.raw));
        let prefix_c = CString::new(prefix).map_err(|_| Error::NulInOption(prefix.to_owned()))?;
        check!(KSPSetOptionsPrefix(raw, prefix_c.as_ptr()));
        Ok(ksp)
    }

    /// Default tolerances (the options database still overrides them).
    pub fn set_tolerances(
        &mut self,
        relative: f64,
        absolute: f64,
        max_iterations: i32,
    ) -> Result<()> {
        check!(KSPSetTolerances(
            self.raw,
            relative,
            absolute,
            ffi::PETSC_DEFAULT as f64,
            max_iterations
        ));
        Ok(())
    }

    /// Changes the relative tolerance only, leaving the absolute and divergence tolerances and the
    /// iteration limit as they are (as the options database set them, for instance).
    pub fn set_relative_tolerance(&mut self, relative: f64) -> Result<()> {
        check!(KSPSetTolerances(
            self.raw,
            relative,
            ffi::PETSC_DEFAULT as f64,
            ffi::PETSC_DEFAULT as f64,
            ffi::PETSC_DEFAULT as ffi::PetscInt
        ));
        Ok(())
    }

    /// Applies the options database (`-<prefix>ksp_*`, `-<prefix>pc_*`); call it last, as the command line wins.
    pub fn set_from_options(&mut self) -> Result<()> {
        check!(KSPSetFromOptions(self.raw));
        Ok(())
    }

    /// Solves `A x = b`; a solve that does not converge is an [`Error::KspDiverged`].
    pub fn solve(&mut self, b: &Vector<'s>, x: &mut Vector<'s>) -> Result<KspInfo> {
        // SAFETY: the solver and two vectors of its operator's layout.
        let solved = unsafe { ffi::KSPSolve(self.raw, b.raw, x.raw) };
        self.finish(solved)
    }

    /// The outcome of a `KSPSolve` that returned `solved`. One stopped by
    /// `-ksp_error_if_not_converged` is reported as any other that did not converge, with the
    /// solver's prefix and reason.
    fn finish(&self, solved: ffi::PetscErrorCode) -> Result<KspInfo> {
        let info = self.outcome()?;
        if solved != 0 {
            return Err(Error::from_code(solved, "KSPSolve"));
        }
        Ok(info)
    }

    fn outcome(&self) -> Result<KspInfo> {
        let mut reason: ffi::KSPConvergedReason = 0;
        let mut iterations: ffi::PetscInt = 0;
        let mut residual_norm = 0.0;
        check!(KSPGetConvergedReason(self.raw, &mut reason));
        check!(KSPGetIterationNumber(self.raw, &mut iterations));
        check!(KSPGetResidualNorm(self.raw, &mut residual_norm));
        let info = KspInfo {
            iterations,
            residual_norm,
            reason: reason_name(reason),
        };
        if reason < 0 {
            return Err(Error::KspDiverged {
                prefix: self.prefix.clone(),
                reason: info.reason,
                iterations,
                residual_norm,
            });
        }
        Ok(info)
    }

    /// Solves `A X = B` for every column of `b`: a direct solver (`preonly`) applies its factors to
    /// the whole block at once, Krylov methods solve column by column. A column that does not converge
    /// makes it an [`Error::KspDiverged`]; the iterations reported are those of the last column.
    pub fn solve_many(
        &mut self,
        b: &DenseColumns<'s>,
        x: &mut DenseColumns<'s>,
    ) -> Result<KspInfo> {
        if self.method()? == "preonly" {
            check!(KSPMatSolve(self.raw, b.raw, x.raw));
            return self.outcome();
        }
        // The column loop KSPMatSolve would run, made here for two reasons: KSPMatSolve leaves only
        // the last column's converged reason, and a failed solve (`-ksp_error_if_not_converged`)
        // leaves its columns checked out, which the matrices' destruction then refuses.
        let (mut rows, mut columns): (ffi::PetscInt, ffi::PetscInt) = (0, 0);
        check!(MatGetSize(b.raw, &mut rows, &mut columns));
        let mut info = None;
        for column in 0..columns {
            let mut right: ffi::Vec = std::ptr::null_mut();
            let mut solution: ffi::Vec = std::ptr::null_mut();
            check!(MatDenseGetColumnVecRead(b.raw, column, &mut right));
            // SAFETY: valid matrices and column index; each column taken is given back below.
            let taken = unsafe { ffi::MatDenseGetColumnVecWrite(x.raw, column, &mut solution) };
            if taken != 0 {
                check!(MatDenseRestoreColumnVecRead(b.raw, column, &mut right));
                return Err(Error::from_code(taken, "MatDenseGetColumnVecWrite"));
            }
            // SAFETY: the solver and two vectors of its operator's layout.
            let solved = unsafe { ffi::KSPSolve(self.raw, right, solution) };
            check!(MatDenseRestoreColumnVecWrite(x.raw, column, &mut solution));
            check!(MatDenseRestoreColumnVecRead(b.raw, column, &mut right));
            info = Some(self.finish(solved)?);
        }
        info.map_or_else(|| self.outcome(), Ok)
    }

    /// The Krylov method in use, e.g. `cg`.
    pub fn method(&self) -> Result<String> {
        let mut name: ffi::KSPType = std::ptr::null();
        check!(KSPGetType(self.raw, &mut name));
        Ok(type_name(name))
    }

    /// The package of a factorisation preconditioner (e.g. `cholmod` for `cholesky`), once chosen;
    /// `None` for other preconditioners.
    pub fn factor_package(&self) -> Result<Option<String>> {
        let mut pc: ffi::PC = std::ptr::null_mut();
        let mut name: ffi::PCType = std::ptr::null();
        check!(KSPGetPC(self.raw, &mut pc));
        check!(PCGetType(pc, &mut name));
        if !["cholesky", "lu", "icc", "ilu"].contains(&type_name(name).as_str()) {
            return Ok(None);
        }
        let mut package: ffi::MatSolverType = std::ptr::null();
        check!(PCFactorGetMatSolverType(pc, &mut package));
        Ok((!package.is_null()).then(|| type_name(package)))
    }

    /// The preconditioner in use, e.g. `gamg`.
    pub fn preconditioner(&self) -> Result<String> {
        let mut pc: ffi::PC = std::ptr::null_mut();
        let mut name: ffi::PCType = std::ptr::null();
        check!(KSPGetPC(self.raw, &mut pc));
        check!(PCGetType(pc, &mut name));
        Ok(type_name(name))
    }
}

fn reason_name(reason: ffi::KSPConvergedReason) -> String {
    // SAFETY: KSPConvergedReasons is PETSc's static table, indexable by every KSPConvergedReason value.
    let name = unsafe { *ffi::KSPConvergedReasons.offset(reason as isize) };
    if name.is_null() {
        return format!("reason {reason}");
    }
    // SAFETY: entries are static NUL-terminated strings.
    unsafe { CStr::from_ptr(name) }
        .to_string_lossy()
        .into_owned()
}

impl Drop for Ksp<'_> {
    fn drop(&mut self) {
        check_in_drop!(KSPDestroy(&mut self.raw));
    }
}
