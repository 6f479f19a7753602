//! Null spaces of singular operators (`MatNullSpace`).

use std::marker::PhantomData;

use crate::error::{Error, Result, check, check_in_drop};
use crate::ffi;
use crate::session::Session;
use crate::vector::Vector;

/// A subspace that an operator maps to zero, e.g. the three uniform translations of a particle Hessian.
pub struct NullSpace<'s> {
    pub(crate) raw: ffi::MatNullSpace,
    _session: PhantomData<&'s Session>,
}

impl<'s> NullSpace<'s> {
    /// The space spanned by `vectors`, which are orthonormalised (modified Gram–Schmidt) first.
    pub fn from_vectors(session: &'s Session, vectors: &[Vector<'s>]) -> Result<Self> {
        let mut basis: Vec<Vector<'s>> = Vec::with_capacity(vectors.len());
        for v in vectors {
            let mut w = v.duplicate()?;
            w.copy_from(v)?;
            for b in &basis {
                let projection = w.dot(b)?;
                w.axpy(-projection, b)?;
            }
            let norm = w.norm()?;
            if norm == 0.0 {
                return Err(Error::Size(
                    "null-space vectors are linearly dependent".into(),
                ));
            }
            w.scale(1.0 / norm)?;
            basis.push(w);
        }
        let raws: Vec<ffi::Vec> = basis.iter().map(|v| v.raw).collect();
        let mut raw: ffi::MatNullSpace = std::ptr::null_mut();
        // PETSc takes its own references to the vectors; `basis` may be dropped afterwards.
        check!(MatNullSpaceCreate(
            session.comm(),
            ffi::PETSC_FALSE,
            raws.len() as ffi::PetscInt,
            raws.as_ptr(),
            &mut raw
        ));
        Ok(NullSpace {
            raw,
            _session: PhantomData,
        })
    }

    /// The space of vectors constant in each of the `block_size` components (for particles: the
    /// `block_size = 3` uniform translations), laid out like `template`.
    pub fn componentwise_constants(
        session: &'s Session,
        template: &Vector<'s>,
        block_size: usize,
    ) -> Result<Self> {
        let start = template.ownership_range()?.start;
        let mut vectors = Vec::with_capacity(block_size);
        for component in 0..block_size {
            let mut v = template.duplicate()?;
            {
                let mut local = v.local_mut()?;
                for (k, value) in local.iter_mut().enumerate() {
                    *value = if (start + k) % block_size == component {
                        1.0
                    } else {
                        0.0
                    };
                }
            }
            vectors.push(v);
        }
        Self::from_vectors(session, &vectors)
    }

    /// Removes the null-space component of `v` in place.
    pub fn remove_from(&self, v: &mut Vector<'s>) -> Result<()> {
        check!(MatNullSpaceRemove(self.raw, v.raw));
        Ok(())
    }
}

impl Drop for NullSpace<'_> {
    fn drop(&mut self) {
        check_in_drop!(MatNullSpaceDestroy(&mut self.raw));
    }
}
