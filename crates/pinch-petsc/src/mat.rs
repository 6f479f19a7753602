//! Distributed sparse matrices (`Mat` of type `MATAIJ` with a block size).

use std::marker::PhantomData;
use std::ops::Range;

use crate::error::{Error, Result, check, check_in_drop};
use crate::ffi;
use crate::nullspace::NullSpace;
use crate::session::Session;
use crate::vector::Vector;

/// `MPI_COMM_SELF`, for objects that live on one rank only.
pub(crate) fn self_communicator() -> ffi::MPI_Comm {
    use mpi::traits::AsRaw;
    mpi::topology::SimpleCommunicator::self_comm().as_raw()
}

/// The exact nonzero pattern size of each locally owned block row, for preallocation.
///
/// `diagonal[i]` counts the nonzero blocks of block row `i` whose block column is owned by this rank,
/// `off_diagonal[i]` those owned by other ranks (PETSc's `d_nnz`/`o_nnz` in units of blocks).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BlockPreallocation {
    /// Nonzero blocks in the diagonal (locally owned columns) part, per local block row.
    pub diagonal: Vec<i32>,
    /// Nonzero blocks in the off-diagonal (remote columns) part, per local block row.
    pub off_diagonal: Vec<i32>,
}

/// Storage figures of an assembled matrix, summed over all ranks.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MatStorage {
    /// Nonzeros allocated.
    pub nonzeros_allocated: f64,
    /// Nonzeros used.
    pub nonzeros_used: f64,
}

/// A square distributed sparse matrix in AIJ format with a block size (3 for particle Hessians).
///
/// The nonzero pattern is fixed at creation by an exact [`BlockPreallocation`]; inserting outside it
/// is an error rather than a silent, slow reallocation.
pub struct Mat<'s> {
    pub(crate) raw: ffi::Mat,
    block_size: usize,
    _session: PhantomData<&'s Session>,
}

impl<'s> Mat<'s> {
    /// A square AIJ matrix with `block_size`-sized blocks, `preallocation.diagonal.len()` block rows on
    /// this rank, and exactly the preallocated pattern.
    pub fn new_aij(
        session: &'s Session,
        block_size: usize,
        preallocation: &BlockPreallocation,
    ) -> Result<Self> {
        let local_block_rows = preallocation.diagonal.len();
        if preallocation.off_diagonal.len() != local_block_rows {
            return Err(Error::Size(format!(
                "preallocation has {} diagonal and {} off-diagonal block-row counts",
                local_block_rows,
                preallocation.off_diagonal.len()
            )));
        }
        let local_rows = (local_block_rows * block_size) as ffi::PetscInt;
        let mut raw: ffi::Mat = std::ptr::null_mut();
        check!(MatCreate(session.comm(), &mut raw));
        let matrix = Mat {
            raw,
            block_size,
            _session: PhantomData,
        };
        let decide = ffi::PETSC_DETERMINE as ffi::PetscInt;
        check!(MatSetSizes(raw, local_rows, local_rows, decide, decide));
        check!(MatSetBlockSize(raw, block_size as ffi::PetscInt));
        check!(MatSetType(raw, ffi::MATAIJ.as_ptr().cast()));
        check!(MatXAIJSetPreallocation(
            raw,
            block_size as ffi::PetscInt,
            preallocation.diagonal.as_ptr(),
            preallocation.off_diagonal.as_ptr(),
            std::ptr::null(),
            std::ptr::null()
        ));
        check!(MatSetOption(
            raw,
            ffi::MAT_NEW_NONZERO_ALLOCATION_ERR,
            ffi::PETSC_TRUE
        ));
        Ok(matrix)
    }

    /// The block size.
    pub fn block_size(&self) -> usize {
        self.block_size
    }

    /// A copy with the same layout, pattern and values (and the same options, e.g. symmetry).
    pub fn duplicate(&self) -> Result<Self> {
        let mut raw: ffi::Mat = std::ptr::null_mut();
        check!(MatDuplicate(self.raw, ffi::MAT_COPY_VALUES, &mut raw));
        Ok(Mat {
            raw,
            block_size: self.block_size,
            _session: PhantomData,
        })
    }

    /// The whole matrix, as a sequential matrix held by this rank alone: every rank gets its own copy,
    /// for factorisations that run on one process. Collective.
    pub fn gather_whole(&self) -> Result<Self> {
        let rows = self.rows()? as ffi::PetscInt;
        let mut all: ffi::IS = std::ptr::null_mut();
        check!(ISCreateStride(self_communicator(), rows, 0, 1, &mut all));
        let mut pieces: *mut ffi::Mat = std::ptr::null_mut();
        // SAFETY: `all` is a valid sequential index set; PETSc allocates the one-element array.
        let ierr = unsafe {
            ffi::MatCreateSubMatrices(
                self.raw,
                1,
                &all,
                &all,
                ffi::MAT_INITIAL_MATRIX,
                &mut pieces,
            )
        };
        let mut copy: ffi::Mat = std::ptr::null_mut();
        let ierr = if ierr == 0 {
            // The sub-matrix carries PETSc's bookkeeping for reuse; an independent copy does not.
            // SAFETY: on success `pieces` holds one assembled sequential matrix.
            let duplicated = unsafe { ffi::MatDuplicate(*pieces, ffi::MAT_COPY_VALUES, &mut copy) };
            // SAFETY: the array and its matrix came from MatCreateSubMatrices above.
            let destroyed = unsafe { ffi::MatDestroySubMatrices(1, &mut pieces) };
            if duplicated != 0 {
                duplicated
            } else {
                destroyed
            }
        } else {
            ierr
        };
        check_in_drop!(ISDestroy(&mut all));
        if ierr != 0 {
            return Err(Error::from_code(ierr, "MatCreateSubMatrices"));
        }
        Ok(Mat {
            raw: copy,
            block_size: self.block_size,
            _session: PhantomData,
        })
    }

    /// Adds `shift` times the identity. Collective.
    pub fn shift(&mut self, shift: f64) -> Result<()> {
        check!(MatShift(self.raw, shift));
        Ok(())
    }

    /// Replaces the global `rows` and the same columns by those of the identity scaled by `diagonal`
    /// (e.g. to pin degrees of freedom). Collective; every rank passes the rows it names (any rows).
    pub fn zero_rows_columns(&mut self, rows: &[usize], diagonal: f64) -> Result<()> {
        let rows: Vec<ffi::PetscInt> = rows.iter().map(|&r| r as ffi::PetscInt).collect();
        check!(MatZeroRowsColumns(
            self.raw,
            rows.len() as ffi::PetscInt,
            rows.as_ptr(),
            diagonal,
            std::ptr::null_mut(),
            std::ptr::null_mut()
        ));
        Ok(())
    }

    /// Adds a dense `block_size × block_size` block (row-major) at block position (`block_row`, `block_col`).
    pub fn add_block(&mut self, block_row: usize, block_col: usize, values: &[f64]) -> Result<()> {
        debug_assert_eq!(values.len(), self.block_size * self.block_size);
        let (row, col) = (block_row as ffi::PetscInt, block_col as ffi::PetscInt);
        check!(MatSetValuesBlocked(
            self.raw,
            1,
            &row,
            1,
            &col,
            values.as_ptr(),
            ffi::ADD_VALUES
        ));
        Ok(())
    }

    /// Inserts (overwrites) scalar entries: `values` is row-major `rows.len() × cols.len()`.
    pub fn set_values(&mut self, rows: &[i32], cols: &[i32], values: &[f64]) -> Result<()> {
        debug_assert_eq!(values.len(), rows.len() * cols.len());
        check!(MatSetValues(
            self.raw,
            rows.len() as ffi::PetscInt,
            rows.as_ptr(),
            cols.len() as ffi::PetscInt,
            cols.as_ptr(),
            values.as_ptr(),
            ffi::INSERT_VALUES
        ));
        Ok(())
    }

    /// Adds a whole block row at once: the blocks at block columns `block_cols` of block row
    /// `block_row`, given as a dense row-major `block_size × (block_size · block_cols.len())` array.
    pub fn add_block_row(
        &mut self,
        block_row: usize,
        block_cols: &[i32],
        values: &[f64],
    ) -> Result<()> {
        debug_assert_eq!(
            values.len(),
            self.block_size * self.block_size * block_cols.len()
        );
        let row = block_row as ffi::PetscInt;
        check!(MatSetValuesBlocked(
            self.raw,
            1,
            &row,
            block_cols.len() as ffi::PetscInt,
            block_cols.as_ptr(),
            values.as_ptr(),
            ffi::ADD_VALUES
        ));
        Ok(())
    }

    /// Calls `visit(row, columns, values)` for every locally owned (scalar) row of the assembled matrix.
    pub fn for_each_local_row(&self, mut visit: impl FnMut(usize, &[i32], &[f64])) -> Result<()> {
        for row in self.ownership_range()? {
            let mut count: ffi::PetscInt = 0;
            let mut columns: *const ffi::PetscInt = std::ptr::null();
            let mut values: *const f64 = std::ptr::null();
            let r = row as ffi::PetscInt;
            check!(MatGetRow(
                self.raw,
                r,
                &mut count,
                &mut columns,
                &mut values
            ));
            let n = count as usize;
            if n > 0 {
                // SAFETY: MatGetRow exposes `count` column indices and values until MatRestoreRow.
                let (c, v) = unsafe {
                    (
                        std::slice::from_raw_parts(columns, n),
                        std::slice::from_raw_parts(values, n),
                    )
                };
                visit(row, c, v);
            } else {
                visit(row, &[], &[]);
            }
            check!(MatRestoreRow(
                self.raw,
                r,
                &mut count,
                &mut columns,
                &mut values
            ));
        }
        Ok(())
    }

    /// Finishes assembly (communicates entries set for rows owned by other ranks).
    pub fn assemble(&mut self) -> Result<()> {
        check!(MatAssemblyBegin(self.raw, ffi::MAT_FINAL_ASSEMBLY));
        check!(MatAssemblyEnd(self.raw, ffi::MAT_FINAL_ASSEMBLY));
        Ok(())
    }

    /// Zeroes all values and keeps the nonzero pattern, for a refill.
    pub fn zero_entries(&mut self) -> Result<()> {
        check!(MatZeroEntries(self.raw));
        Ok(())
    }

    /// Declares the matrix symmetric (lets solvers use Cholesky/ICC and symmetric eigensolvers).
    pub fn set_symmetric(&mut self) -> Result<()> {
        check!(MatSetOption(self.raw, ffi::MAT_SYMMETRIC, ffi::PETSC_TRUE));
        check!(MatSetOption(
            self.raw,
            ffi::MAT_SYMMETRY_ETERNAL,
            ffi::PETSC_TRUE
        ));
        Ok(())
    }

    /// Attaches the null space: Krylov solvers then solve in its orthogonal complement.
    pub fn set_null_space(&mut self, null_space: &NullSpace<'s>) -> Result<()> {
        check!(MatSetNullSpace(self.raw, null_space.raw));
        Ok(())
    }

    /// Attaches a near-null space (used by algebraic multigrid to build coarse spaces).
    pub fn set_near_null_space(&mut self, null_space: &NullSpace<'s>) -> Result<()> {
        check!(MatSetNearNullSpace(self.raw, null_space.raw));
        Ok(())
    }

    /// The sum of the diagonal entries.
    pub fn trace(&self) -> Result<f64> {
        let mut trace = 0.0;
        check!(MatGetTrace(self.raw, &mut trace));
        Ok(trace)
    }

    /// `y = A x`.
    pub fn mult(&self, x: &Vector<'s>, y: &mut Vector<'s>) -> Result<()> {
        check!(MatMult(self.raw, x.raw, y.raw));
        Ok(())
    }

    /// A zeroed vector laid out like the matrix's rows.
    pub fn create_vector(&self) -> Result<Vector<'s>> {
        let mut raw: ffi::Vec = std::ptr::null_mut();
        check!(MatCreateVecs(self.raw, &mut raw, std::ptr::null_mut()));
        let mut vector = Vector::from_raw(raw);
        vector.set_all(0.0)?;
        Ok(vector)
    }

    /// The global row indices owned by this rank.
    pub fn ownership_range(&self) -> Result<Range<usize>> {
        let (mut lo, mut hi): (ffi::PetscInt, ffi::PetscInt) = (0, 0);
        check!(MatGetOwnershipRange(self.raw, &mut lo, &mut hi));
        Ok(lo as usize..hi as usize)
    }

    /// The global number of rows (= columns).
    pub fn rows(&self) -> Result<usize> {
        let (mut m, mut n): (ffi::PetscInt, ffi::PetscInt) = (0, 0);
        check!(MatGetSize(self.raw, &mut m, &mut n));
        Ok(m as usize)
    }

    /// Nonzeros and memory, summed over ranks.
    pub fn storage(&self) -> Result<MatStorage> {
        // SAFETY: MatInfo is a plain struct of doubles that MatGetInfo fills in.
        let mut info: ffi::MatInfo = unsafe { std::mem::zeroed() };
        check!(MatGetInfo(self.raw, ffi::MAT_GLOBAL_SUM, &mut info));
        Ok(MatStorage {
            nonzeros_allocated: info.nz_allocated,
            nonzeros_used: info.nz_used,
        })
    }
}

impl Drop for Mat<'_> {
    fn drop(&mut self) {
        check_in_drop!(MatDestroy(&mut self.raw));
    }
}
