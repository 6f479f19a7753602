//! Distributed vectors (`Vec` in PETSc).

use std::marker::PhantomData;
use std::ops::{Deref, DerefMut, Range};

use crate::error::{Result, check, check_in_drop};
use crate::ffi;
use crate::session::Session;

/// A distributed vector of `f64`; each rank owns a contiguous range of entries.
pub struct Vector<'s> {
    pub(crate) raw: ffi::Vec,
    _session: PhantomData<&'s Session>,
}

impl<'s> Vector<'s> {
    /// A zeroed vector with `local_len` entries on this rank (the global length is their sum).
    pub fn new(session: &'s Session, local_len: usize) -> Result<Self> {
        let mut raw: ffi::Vec = std::ptr::null_mut();
        check!(VecCreateMPI(
            session.comm(),
            local_len as ffi::PetscInt,
            ffi::PETSC_DETERMINE as ffi::PetscInt,
            &mut raw
        ));
        let mut vector = Vector::from_raw(raw);
        vector.set_all(0.0)?;
        Ok(vector)
    }

    pub(crate) fn from_raw(raw: ffi::Vec) -> Self {
        Vector {
            raw,
            _session: PhantomData,
        }
    }

    /// A new zeroed vector with the same layout.
    pub fn duplicate(&self) -> Result<Self> {
        let mut raw: ffi::Vec = std::ptr::null_mut();
        check!(VecDuplicate(self.raw, &mut raw));
        let mut vector = Vector::from_raw(raw);
        vector.set_all(0.0)?;
        Ok(vector)
    }

    /// Copies the entries of `source` (same layout) into `self`.
    pub fn copy_from(&mut self, source: &Vector<'s>) -> Result<()> {
        check!(VecCopy(source.raw, self.raw));
        Ok(())
    }

    /// Sets every entry to `value`.
    pub fn set_all(&mut self, value: f64) -> Result<()> {
        check!(VecSet(self.raw, value));
        Ok(())
    }

    /// The global length.
    pub fn len(&self) -> Result<usize> {
        let mut n: ffi::PetscInt = 0;
        check!(VecGetSize(self.raw, &mut n));
        Ok(n as usize)
    }

    /// Whether the vector has no entries at all.
    pub fn is_empty(&self) -> Result<bool> {
        Ok(self.len()? == 0)
    }

    /// The global indices of the entries this rank owns.
    pub fn ownership_range(&self) -> Result<Range<usize>> {
        let (mut lo, mut hi): (ffi::PetscInt, ffi::PetscInt) = (0, 0);
        check!(VecGetOwnershipRange(self.raw, &mut lo, &mut hi));
        Ok(lo as usize..hi as usize)
    }

    /// Read access to the locally owned entries.
    pub fn local(&self) -> Result<LocalEntries<'_>> {
        let mut data: *const f64 = std::ptr::null();
        check!(VecGetArrayRead(self.raw, &mut data));
        let len = self.ownership_range()?.len();
        Ok(LocalEntries {
            vector: self.raw,
            data,
            len,
            _borrow: PhantomData,
        })
    }

    /// Write access to the locally owned entries.
    pub fn local_mut(&mut self) -> Result<LocalEntriesMut<'_>> {
        let len = self.ownership_range()?.len();
        let mut data: *mut f64 = std::ptr::null_mut();
        check!(VecGetArray(self.raw, &mut data));
        Ok(LocalEntriesMut {
            vector: self.raw,
            data,
            len,
            _borrow: PhantomData,
        })
    }

    /// The global dot product `self · other`.
    pub fn dot(&self, other: &Vector<'s>) -> Result<f64> {
        let mut value = 0.0;
        check!(VecDot(self.raw, other.raw, &mut value));
        Ok(value)
    }

    /// The Euclidean norm.
    pub fn norm(&self) -> Result<f64> {
        let mut value = 0.0;
        check!(VecNorm(self.raw, ffi::NORM_2, &mut value));
        Ok(value)
    }

    /// The largest absolute entry.
    pub fn max_abs(&self) -> Result<f64> {
        let mut value = 0.0;
        check!(VecNorm(self.raw, ffi::NORM_INFINITY, &mut value));
        Ok(value)
    }

    /// `self += alpha * x`.
    pub fn axpy(&mut self, alpha: f64, x: &Vector<'s>) -> Result<()> {
        check!(VecAXPY(self.raw, alpha, x.raw));
        Ok(())
    }

    /// `self *= alpha`.
    pub fn scale(&mut self, alpha: f64) -> Result<()> {
        check!(VecScale(self.raw, alpha));
        Ok(())
    }

    /// All entries, in global order, on every rank (for tests and small outputs).
    pub fn gather_all(&self) -> Result<Vec<f64>> {
        let mut scatter: ffi::VecScatter = std::ptr::null_mut();
        let mut all: ffi::Vec = std::ptr::null_mut();
        check!(VecScatterCreateToAll(self.raw, &mut scatter, &mut all));
        let all = Vector::from_raw(all);
        let result = (|| {
            check!(VecScatterBegin(
                scatter,
                self.raw,
                all.raw,
                ffi::INSERT_VALUES,
                ffi::SCATTER_FORWARD
            ));
            check!(VecScatterEnd(
                scatter,
                self.raw,
                all.raw,
                ffi::INSERT_VALUES,
                ffi::SCATTER_FORWARD
            ));
            let n = all.len()?;
            let mut data: *const f64 = std::ptr::null();
            check!(VecGetArrayRead(all.raw, &mut data));
            // SAFETY: a sequential vector of length n exposes n contiguous entries until restored.
            let values = unsafe { std::slice::from_raw_parts(data, n) }.to_vec();
            check!(VecRestoreArrayRead(all.raw, &mut data));
            Ok(values)
        })();
        check_in_drop!(VecScatterDestroy(&mut scatter));
        result
    }
}

impl Drop for Vector<'_> {
    fn drop(&mut self) {
        check_in_drop!(VecDestroy(&mut self.raw));
    }
}

/// The locally owned entries of a [`Vector`], readable until dropped.
pub struct LocalEntries<'v> {
    vector: ffi::Vec,
    data: *const f64,
    len: usize,
    _borrow: PhantomData<&'v ()>,
}

impl Deref for LocalEntries<'_> {
    type Target = [f64];
    fn deref(&self) -> &[f64] {
        if self.len == 0 {
            return &[];
        }
        // SAFETY: PETSc guarantees `len` contiguous entries until VecRestoreArrayRead.
        unsafe { std::slice::from_raw_parts(self.data, self.len) }
    }
}

impl Drop for LocalEntries<'_> {
    fn drop(&mut self) {
        check_in_drop!(VecRestoreArrayRead(self.vector, &mut self.data));
    }
}

/// The locally owned entries of a [`Vector`], writable until dropped.
pub struct LocalEntriesMut<'v> {
    vector: ffi::Vec,
    data: *mut f64,
    len: usize,
    _borrow: PhantomData<&'v mut ()>,
}

impl Deref for LocalEntriesMut<'_> {
    type Target = [f64];
    fn deref(&self) -> &[f64] {
        if self.len == 0 {
            return &[];
        }
        // SAFETY: as for `LocalEntries`; the mutable borrow of the vector excludes other access.
        unsafe { std::slice::from_raw_parts(self.data, self.len) }
    }
}

impl DerefMut for LocalEntriesMut<'_> {
    fn deref_mut(&mut self) -> &mut [f64] {
        if self.len == 0 {
            return &mut [];
        }
        // SAFETY: as above.
        unsafe { std::slice::from_raw_parts_mut(self.data, self.len) }
    }
}

impl Drop for LocalEntriesMut<'_> {
    fn drop(&mut self) {
        check_in_drop!(VecRestoreArray(self.vector, &mut self.data));
    }
}
