//! Blocks of distributed vectors stored as dense matrices (`MATDENSE`), for solves with many
//! right-hand sides at once.

use std::marker::PhantomData;

use crate::error::{Result, check, check_in_drop};
use crate::ffi;
use crate::session::Session;

/// `columns` distributed vectors side by side: each rank owns the same rows of every column, stored
/// column by column (column-major, leading dimension = local rows).
pub struct DenseColumns<'s> {
    pub(crate) raw: ffi::Mat,
    local_rows: usize,
    columns: usize,
    _session: PhantomData<&'s Session>,
}

impl<'s> DenseColumns<'s> {
    /// Zeroed columns with `local_rows` rows on this rank, laid out like a matrix's vectors with the
    /// same local length.
    pub fn new(session: &'s Session, local_rows: usize, columns: usize) -> Result<Self> {
        let mut raw: ffi::Mat = std::ptr::null_mut();
        check!(MatCreateDense(
            session.comm(),
            local_rows as ffi::PetscInt,
            ffi::PETSC_DECIDE as ffi::PetscInt,
            ffi::PETSC_DETERMINE as ffi::PetscInt,
            columns as ffi::PetscInt,
            std::ptr::null_mut(),
            &mut raw
        ));
        let mut dense = DenseColumns {
            raw,
            local_rows,
            columns,
            _session: PhantomData,
        };
        check!(MatZeroEntries(raw));
        dense.assemble()?;
        Ok(dense)
    }

    /// Zeroed columns of `rows` rows held by this rank alone, for solves with a matrix from
    /// [`crate::Mat::gather_whole`].
    pub fn sequential(_session: &'s Session, rows: usize, columns: usize) -> Result<Self> {
        let mut raw: ffi::Mat = std::ptr::null_mut();
        check!(MatCreateSeqDense(
            crate::mat::self_communicator(),
            rows as ffi::PetscInt,
            columns as ffi::PetscInt,
            std::ptr::null_mut(),
            &mut raw
        ));
        let mut dense = DenseColumns {
            raw,
            local_rows: rows,
            columns,
            _session: PhantomData,
        };
        check!(MatZeroEntries(raw));
        dense.assemble()?;
        Ok(dense)
    }

    /// The number of columns.
    pub fn columns(&self) -> usize {
        self.columns
    }

    /// The local rows of every column (column-major), for reading.
    pub fn local(&self) -> Result<Vec<f64>> {
        let mut data: *const ffi::PetscScalar = std::ptr::null();
        check!(MatDenseGetArrayRead(self.raw, &mut data));
        let len = self.local_rows * self.columns;
        // SAFETY: PETSc returns the local column-major block of local_rows × columns entries, valid
        // until the matching restore below.
        let copy = if len == 0 {
            Vec::new()
        } else {
            unsafe { std::slice::from_raw_parts(data, len) }.to_vec()
        };
        check!(MatDenseRestoreArrayRead(self.raw, &mut data));
        Ok(copy)
    }

    /// Overwrites the local rows of every column (column-major, `local_rows × columns` values).
    pub fn set_local(&mut self, values: &[f64]) -> Result<()> {
        let len = self.local_rows * self.columns;
        if values.len() != len {
            return Err(crate::Error::Size(format!(
                "{} values for {} local rows × {} columns",
                values.len(),
                self.local_rows,
                self.columns
            )));
        }
        let mut data: *mut ffi::PetscScalar = std::ptr::null_mut();
        check!(MatDenseGetArrayWrite(self.raw, &mut data));
        if len > 0 {
            // SAFETY: as in `local`, for writing; the block has exactly `len` entries.
            unsafe { std::slice::from_raw_parts_mut(data, len) }.copy_from_slice(values);
        }
        check!(MatDenseRestoreArrayWrite(self.raw, &mut data));
        self.assemble()
    }

    fn assemble(&mut self) -> Result<()> {
        check!(MatAssemblyBegin(self.raw, ffi::MAT_FINAL_ASSEMBLY));
        check!(MatAssemblyEnd(self.raw, ffi::MAT_FINAL_ASSEMBLY));
        Ok(())
    }
}

impl Drop for DenseColumns<'_> {
    fn drop(&mut self) {
        check_in_drop!(MatDestroy(&mut self.raw));
    }
}
