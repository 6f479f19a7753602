//! The Hessian H = ∂²U/∂x∂x of an inherent state as a distributed sparse PETSc matrix.
//!
//! H is 3N × 3N with 3×3 blocks: H_ij = −K_ij for interacting i ≠ j and H_ii = Σ_j K_ij, where
//! K_ij = φ'' n nᵀ + (φ'/r)(I − n nᵀ) is the pair stiffness. Each rank inserts the complete block rows of
//! the particles it owns, from its full neighbour list, so assembly needs no communication beyond the
//! ghosts' row numbers; the pattern is counted first and preallocated exactly. The three uniform
//! translations, exact zero modes of H in a periodic box, are attached as its null space (Krylov solvers
//! then work orthogonally to them) and as its near-null space (for algebraic multigrid).
//!
//! Matrix rows follow the engine's layout: rank r owns block rows offset_r … offset_r + n_r − 1, one per
//! local particle in local order. [`Hessian::particle_ids`] maps block rows back to particle ids.

use mpi::traits::*;
use pinch_petsc::{BlockPreallocation, Mat, NullSpace, Session};

use crate::domain::Engine;
use crate::error::Result;

/// The assembled Hessian with its null space.
pub struct Hessian<'s> {
    /// The matrix (MATAIJ, block size 3, symmetric).
    pub matrix: Mat<'s>,
    /// The three translations.
    pub null_space: NullSpace<'s>,
    /// The first block row owned by this rank.
    pub first_block_row: usize,
    /// Interacting pairs counted on this rank (each pair once per owning particle).
    pub local_entries: usize,
}

/// Assembles the Hessian of the engine's current configuration.
pub fn assemble<'s>(session: &'s Session, engine: &mut Engine) -> Result<Hessian<'s>> {
    engine.update(&mut []);
    let comm = engine.comm();
    let n_local = engine.n_local();
    let mut first = 0u64;
    comm.exclusive_scan_into(
        &(n_local as u64),
        &mut first,
        mpi::collective::SystemOperation::sum(),
    );
    if comm.rank() == 0 {
        first = 0;
    }
    let first = first as usize;
    // Block rows of locals, then of ghosts through the halo.
    let mut block_rows: Vec<f64> = (0..n_local).map(|i| (first + i) as f64).collect();
    engine.forward_values(&mut block_rows);

    let potential = engine.potential().clone();
    let list = engine.neighbour_list();
    let positions = engine.all_positions();
    let cutoff2 = potential.cutoff() * potential.cutoff();
    let interacting = |i: usize| {
        let xi = positions[i];
        list.row(i).filter_map(move |(j, inverse_size2)| {
            let d = [
                positions[j][0] - xi[0],
                positions[j][1] - xi[1],
                positions[j][2] - xi[2],
            ];
            let r2 = d[0] * d[0] + d[1] * d[1] + d[2] * d[2];
            (r2 * inverse_size2 < cutoff2).then_some((j, d, inverse_size2))
        })
    };

    let owned = first..first + n_local;
    let mut preallocation = BlockPreallocation::default();
    let mut local_entries = 0;
    for i in 0..n_local {
        let (mut diagonal, mut off_diagonal) = (1, 0);
        for (j, _, _) in interacting(i) {
            if owned.contains(&(block_rows[j] as usize)) {
                diagonal += 1
            } else {
                off_diagonal += 1
            }
        }
        local_entries += diagonal - 1 + off_diagonal;
        preallocation.diagonal.push(diagonal as i32);
        preallocation.off_diagonal.push(off_diagonal as i32);
    }
    let mut matrix = Mat::new_aij(session, 3, &preallocation)?;
    let mut columns = Vec::new();
    let mut values = Vec::new();
    for i in 0..n_local {
        columns.clear();
        let blocks: Vec<[f64; 9]> = interacting(i)
            .map(|(j, d, inverse_size2)| {
                columns.push(block_rows[j] as i32);
                potential.stiffness_scaled(d, inverse_size2)
            })
            .collect();
        let mut diagonal = [0.0; 9];
        for k in &blocks {
            for (s, v) in diagonal.iter_mut().zip(k) {
                *s += v;
            }
        }
        columns.push((first + i) as i32);
        // Dense row-major 3 × 3(m+1) array: the off-diagonal blocks −K_ij, then the diagonal block.
        let width = 3 * columns.len();
        values.clear();
        values.resize(3 * width, 0.0);
        for (b, k) in blocks
            .iter()
            .map(|k| k.map(|v| -v))
            .chain(std::iter::once(diagonal))
            .enumerate()
        {
            for r in 0..3 {
                for c in 0..3 {
                    values[r * width + 3 * b + c] = k[3 * r + c];
                }
            }
        }
        matrix.add_block_row(first + i, &columns, &values)?;
    }
    matrix.assemble()?;
    matrix.set_symmetric()?;
    let template = matrix.create_vector()?;
    let null_space = NullSpace::componentwise_constants(session, &template, 3)?;
    matrix.set_null_space(&null_space)?;
    matrix.set_near_null_space(&null_space)?;
    Ok(Hessian {
        matrix,
        null_space,
        first_block_row: first,
        local_entries,
    })
}

impl<'s> Hessian<'s> {
    /// The whole matrix on rank 0 in particle-id order (row 3·id + α for particle `id`, component α),
    /// `None` on other ranks. Collective. For export and checks: it holds every entry in one place.
    pub fn gather(&self, engine: &Engine) -> Result<Option<crate::io::h5md::Csr>> {
        use crate::domain::communication::gather_to_root;
        let ids: Vec<f64> = engine.local_ids().iter().map(|&id| id as f64).collect();
        let mut entries = Vec::new();
        self.matrix.for_each_local_row(|row, columns, values| {
            for (&c, &v) in columns.iter().zip(values) {
                entries.extend_from_slice(&[row as f64, f64::from(c), v]);
            }
        })?;
        let ids = gather_to_root(engine.comm(), &ids);
        let entries = gather_to_root(engine.comm(), &entries);
        let (Some(ids), Some(entries)) = (ids, entries) else {
            return Ok(None);
        };
        // Block rows are numbered rank by rank, so the gathered ids are in block-row order.
        let renumber = |p: f64| {
            let p = p as usize;
            3 * ids[p / 3] as u64 + (p % 3) as u64
        };
        let mut triplets: Vec<(u64, u64, f64)> = entries
            .chunks_exact(3)
            .map(|e| (renumber(e[0]), renumber(e[1]), e[2]))
            .collect();
        triplets.sort_unstable_by_key(|&(r, c, _)| (r, c));
        let size = 3 * ids.len();
        let mut csr = crate::io::h5md::Csr {
            size,
            indptr: vec![0; size + 1],
            ..Default::default()
        };
        for &(r, c, v) in &triplets {
            csr.indptr[r as usize + 1] += 1;
            csr.indices.push(c);
            csr.data.push(v);
        }
        for r in 0..size {
            csr.indptr[r + 1] += csr.indptr[r];
        }
        Ok(Some(csr))
    }

    /// Converts a per-particle vector field of the engine's local particles into a PETSc vector laid out
    /// like the matrix rows.
    pub fn vector_from(&self, local: &[[f64; 3]]) -> Result<pinch_petsc::Vector<'s>> {
        let mut v = self.matrix.create_vector()?;
        {
            let mut entries = v.local_mut()?;
            for (chunk, x) in entries.chunks_exact_mut(3).zip(local) {
                chunk.copy_from_slice(x);
            }
        }
        Ok(v)
    }

    /// The local part of a PETSc vector as a per-particle vector field.
    pub fn field_from(&self, vector: &pinch_petsc::Vector<'s>) -> Result<Vec<[f64; 3]>> {
        Ok(vector
            .local()?
            .chunks_exact(3)
            .map(|c| [c[0], c[1], c[2]])
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::DEFAULT_SKIN;
    use crate::model::ModelParameters;
    use rand::Rng;

    #[test]
    fn hessian_is_the_derivative_of_the_forces() {
        let session = Session::initialize("test", &[]).unwrap();
        let world = session.world();
        let parameters = ModelParameters {
            number_density: 0.9,
            ..Default::default()
        };
        let potential = parameters.potential();
        let c = crate::testing::spread_configuration(&parameters, 1500, 5);
        let mut engine = Engine::new(world, &c, potential, DEFAULT_SKIN).unwrap();
        let hessian = assemble(&session, &mut engine).unwrap();
        let storage = hessian.matrix.storage().unwrap();
        assert_eq!(
            storage.nonzeros_allocated, storage.nonzeros_used,
            "preallocation is not exact"
        );
        assert_eq!(
            storage.nonzeros_used as usize,
            9 * (engine.n_global() + hessian.local_entries)
        );

        let mut rng = crate::rng::stream(2, crate::rng::Stream::InitialPositions, &[7]);
        let v: Vec<[f64; 3]> = (0..engine.n_local())
            .map(|_| std::array::from_fn(|_| rng.random::<f64>() - 0.5))
            .collect();
        let x = hessian.vector_from(&v).unwrap();
        let mut y = x.duplicate().unwrap();
        hessian.matrix.mult(&x, &mut y).unwrap();
        let hv = hessian.field_from(&y).unwrap();

        let h = 1e-6;
        let mut forces = |sign: f64| {
            engine.displace(
                &v.iter()
                    .map(|d| d.map(|x| sign * h * x))
                    .collect::<Vec<_>>(),
            );
            let mut f = Vec::new();
            engine.forces(&mut f);
            engine.displace(
                &v.iter()
                    .map(|d| d.map(|x| -sign * h * x))
                    .collect::<Vec<_>>(),
            );
            f
        };
        let (plus, minus) = (forces(1.0), forces(-1.0));
        let scale = hv.iter().flatten().fold(0.0f64, |m, x| m.max(x.abs()));
        for i in 0..hv.len() {
            for a in 0..3 {
                let fd = -(plus[i][a] - minus[i][a]) / (2.0 * h);
                assert!(
                    (fd - hv[i][a]).abs() <= 1e-6 * scale,
                    "particle {i}: FD {fd} vs H v {}",
                    hv[i][a]
                );
            }
        }
        // Translations are zero modes, and removing the null space leaves a translation-free vector.
        let t = hessian
            .vector_from(&vec![[1.0, -2.0, 0.5]; engine.n_local()])
            .unwrap();
        hessian.matrix.mult(&t, &mut y).unwrap();
        assert!(y.max_abs().unwrap() < 1e-10 * scale);
        let mut t2 = t.duplicate().unwrap();
        t2.copy_from(&t).unwrap();
        hessian.null_space.remove_from(&mut t2).unwrap();
        let residual = t2.max_abs().unwrap();
        assert!(
            residual < 1e-12,
            "translation left after removing the null space: {residual}"
        );
    }
}
