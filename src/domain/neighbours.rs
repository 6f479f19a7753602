//! Verlet neighbour lists for a polydisperse system.
//!
//! Each pair gets its own list range x_c λ_ij + skin, so the list holds about as many entries as there
//! are interacting neighbours (≈17 at the default parameters, ~26 with the skin), although the largest
//! cutoff is 2.2 times the smallest. Lists are *full* (each pair appears in the rows of both particles)
//! and each row is sorted by global particle id, which fixes the order of every per-particle sum.

use rayon::prelude::*;

use super::decomposition::Decomposition;
use crate::model::PairPotential;

/// Compressed rows of neighbours of the local particles.
#[derive(Clone, Debug, Default)]
pub struct NeighbourList {
    /// Row k occupies entries `offsets[k]..offsets[k + 1]`.
    pub offsets: Vec<usize>,
    /// Index (into locals + ghosts) of each neighbour.
    pub neighbours: Vec<u32>,
    /// 1/λ_ij² for each entry.
    pub inverse_size2: Vec<f64>,
}

impl NeighbourList {
    /// The entries of local particle `i`: (neighbour index, 1/λ_ij²).
    pub fn row(&self, i: usize) -> impl Iterator<Item = (usize, f64)> + '_ {
        let range = self.offsets[i]..self.offsets[i + 1];
        self.neighbours[range.clone()]
            .iter()
            .map(|&j| j as usize)
            .zip(self.inverse_size2[range].iter().copied())
    }

    /// Total number of entries.
    pub fn len(&self) -> usize {
        self.neighbours.len()
    }

    /// Whether the list has no entries.
    pub fn is_empty(&self) -> bool {
        self.neighbours.is_empty()
    }

    /// Builds the lists of the first `n_local` particles among all `positions` (locals then ghosts)
    /// with a cell grid over the domain extended by `halo` on every side.
    #[allow(clippy::too_many_arguments)]
    pub fn build(
        potential: &PairPotential,
        skin: f64,
        halo: f64,
        decomposition: &Decomposition,
        ids: &[u64],
        positions: &[[f64; 3]],
        sizes: &[f64],
        n_local: usize,
    ) -> Self {
        // Cells exactly half the halo wide, with a padding ring of three cells beyond the domain, so the
        // 5×5×5 block of cells around any local particle exists (no bounds checks) and covers the halo.
        // Along z the five cells of a block column are contiguous in the cell-sorted arrays, so each
        // particle scans 25 contiguous ranges of candidates.
        let w = 0.5 * halo;
        let mut origin = [0.0; 3];
        let mut cells = [0usize; 3];
        for axis in 0..3 {
            let (lo, hi) = decomposition.bounds(axis);
            origin[axis] = lo - 3.0 * w;
            cells[axis] = ((hi - lo) / w).ceil() as usize + 6;
        }
        // `as usize` truncates towards zero and saturates negatives at 0: the floor for in-range values.
        let cell_of = |x: &[f64; 3]| -> [usize; 3] {
            std::array::from_fn(|a| (((x[a] - origin[a]) / w) as usize).min(cells[a] - 1))
        };
        let index = |c: [usize; 3]| (c[0] * cells[1] + c[1]) * cells[2] + c[2];
        let n_cells = cells[0] * cells[1] * cells[2];
        let mut start = vec![0usize; n_cells + 1];
        let cell_index: Vec<usize> = positions.iter().map(|x| index(cell_of(x))).collect();
        for &c in &cell_index {
            start[c + 1] += 1;
        }
        for c in 0..n_cells {
            start[c + 1] += start[c];
        }
        let mut fill = start.clone();
        let mut members = vec![0u32; positions.len()];
        let mut binned = [
            vec![0.0; positions.len()],
            vec![0.0; positions.len()],
            vec![0.0; positions.len()],
        ];
        for (k, &c) in cell_index.iter().enumerate() {
            let slot = fill[c];
            members[slot] = k as u32;
            for a in 0..3 {
                binned[a][slot] = positions[k][a];
            }
            fill[c] += 1;
        }
        // Offsets of the 25 block columns, each spanning z-offsets −2..=2.
        let mut columns = Vec::with_capacity(25);
        for dx in -2i64..=2 {
            for dy in -2i64..=2 {
                columns.push((dx * cells[1] as i64 + dy) * cells[2] as i64);
            }
        }
        let halo2 = halo * halo;
        let cutoff = potential.cutoff();
        let rows: Vec<Vec<(u64, u32, f64)>> = (0..n_local)
            .into_par_iter()
            .with_min_len(64)
            .map(|i| {
                let xi = positions[i];
                let base = index(cell_of(&xi)) as i64;
                let mut row = Vec::with_capacity(40);
                for &column in &columns {
                    let first = (base + column - 2) as usize;
                    for k in start[first]..start[first + 5] {
                        let d = [
                            binned[0][k] - xi[0],
                            binned[1][k] - xi[1],
                            binned[2][k] - xi[2],
                        ];
                        let r2 = d[0] * d[0] + d[1] * d[1] + d[2] * d[2];
                        if r2 >= halo2 {
                            continue;
                        }
                        let j = members[k] as usize;
                        if j == i {
                            continue;
                        }
                        let pair_size = potential.pair_size(sizes[i], sizes[j]);
                        let range = cutoff * pair_size + skin;
                        if r2 < range * range {
                            row.push((ids[j], j as u32, 1.0 / (pair_size * pair_size)));
                        }
                    }
                }
                row.sort_unstable_by_key(|&(id, j, _)| (id, j));
                row
            })
            .collect();
        let mut list = NeighbourList {
            offsets: Vec::with_capacity(n_local + 1),
            ..Default::default()
        };
        list.offsets.push(0);
        let total: usize = rows.iter().map(Vec::len).sum();
        list.neighbours.reserve(total);
        list.inverse_size2.reserve(total);
        for row in rows {
            for (_, j, inverse) in row {
                list.neighbours.push(j);
                list.inverse_size2.push(inverse);
            }
            list.offsets.push(list.neighbours.len());
        }
        list
    }
}
