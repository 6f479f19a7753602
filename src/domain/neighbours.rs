//! Verlet neighbour lists for a polydisperse system.
//!
//! Each pair gets its own list range x_c λ_ij + skin, so the list holds about as many entries as there
//! are interacting neighbours (≈17 at the default parameters, ~26 with the skin), although the largest
//! cutoff is 2.2 times the smallest. Lists are *full* (each pair appears in the rows of both particles)
//! and each row is in an order that does not depend on the decomposition (see [`NeighbourList::build`]),
//! which fixes the order of every per-particle sum.

use rayon::prelude::*;

use super::decomposition::Decomposition;
use crate::model::PairPotential;

/// Cells per halo width in the cell grid of a list build.
const CELLS_PER_HALO: usize = 3;

/// Particles per parallel task of a list build.
const CHUNK: usize = 256;

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

    /// The neighbour indices of local particle `i`.
    #[inline]
    pub fn neighbours_of(&self, i: usize) -> &[u32] {
        &self.neighbours[self.offsets[i]..self.offsets[i + 1]]
    }

    /// Total number of entries.
    pub fn len(&self) -> usize {
        self.neighbours.len()
    }

    /// Whether the list has no entries.
    pub fn is_empty(&self) -> bool {
        self.neighbours.is_empty()
    }

    /// Recomputes every 1/λ_ij² from `sizes` (locals then ghosts), after particles exchanged sizes.
    pub fn refresh_inverse_sizes(&mut self, potential: &PairPotential, sizes: &[f64]) {
        for i in 0..self.offsets.len().saturating_sub(1) {
            for k in self.offsets[i]..self.offsets[i + 1] {
                let pair_size = potential.pair_size(sizes[i], sizes[self.neighbours[k] as usize]);
                self.inverse_size2[k] = 1.0 / (pair_size * pair_size);
            }
        }
    }

    /// Builds the lists of the first `n_local` particles among all `positions` (locals then ghosts)
    /// with a cell grid over the domain extended by `halo` on every side; `largest_size` is the largest
    /// particle size anywhere. With `any_sizes`, every pair closer than `halo` is listed, whatever the
    /// sizes.
    #[allow(clippy::too_many_arguments)]
    pub fn build(
        potential: &PairPotential,
        skin: f64,
        halo: f64,
        largest_size: f64,
        any_sizes: bool,
        decomposition: &Decomposition,
        ids: &[u64],
        positions: &[[f64; 3]],
        sizes: &[f64],
        n_local: usize,
    ) -> Self {
        // Cells a third of the halo wide on a grid fixed in the box (cell k spans [k w, (k + 1) w) along
        // each axis, images included), covering the domain extended by the halo and a padding cell, so
        // every cell within the halo of a local particle exists (no bounds checks). Each particle scans
        // only the cells that can hold a partner within its own reach x_c·max_j λ_ij + skin, which for
        // the many small particles is much shorter than the halo. Along z a column of cells is
        // contiguous in the cell-sorted arrays, so the scan is a set of contiguous ranges.
        //
        // Rows list partners in scan order (cell offset, then global id within a cell). A ghost holds
        // the same coordinates as the particle (or image) it copies, so it falls into the same cell on
        // any decomposition, and rows come out in the same order everywhere without sorting.
        let w = halo / CELLS_PER_HALO as f64;
        let mut first_cell = [0i64; 3];
        let mut cells = [0usize; 3];
        for axis in 0..3 {
            let (lo, hi) = decomposition.bounds(axis);
            first_cell[axis] = ((lo - halo) / w).floor() as i64 - 1;
            let last = ((hi + halo) / w).floor() as i64 + 1;
            cells[axis] = (last - first_cell[axis] + 1) as usize;
        }
        let cell_of = |x: &[f64; 3]| -> [usize; 3] {
            std::array::from_fn(|a| {
                ((x[a] / w).floor() as i64 - first_cell[a]).clamp(0, cells[a] as i64 - 1) as usize
            })
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
        for (k, &c) in cell_index.iter().enumerate() {
            members[fill[c]] = k as u32;
            fill[c] += 1;
        }
        for c in 0..n_cells {
            if start[c + 1] - start[c] > 1 {
                members[start[c]..start[c + 1]].sort_unstable_by_key(|&k| ids[k as usize]);
            }
        }
        let binned: Vec<[f64; 4]> = members
            .iter()
            .map(|&k| {
                let x = positions[k as usize];
                [x[0], x[1], x[2], sizes[k as usize]]
            })
            .collect();
        let cutoff = potential.cutoff();
        let stride = [(cells[1] * cells[2]) as i64, cells[2] as i64];
        let build_chunk = |chunk: std::ops::Range<usize>| {
            let mut counts = Vec::with_capacity(chunk.len());
            let mut entries: Vec<(u32, f64)> = Vec::with_capacity(32 * chunk.len());
            let mut row: Vec<(u32, f64)> = Vec::with_capacity(64);
            let mut kept: Vec<u32> = Vec::new();
            for i in chunk {
                let xi = positions[i];
                let reach = if any_sizes {
                    halo
                } else {
                    (cutoff * potential.largest_pair_size(sizes[i], largest_size) + skin).min(halo)
                };
                let reach2 = reach * reach;
                // Cells whose nearest point lies within the reach: offsets d with
                // Σ max(|d|−1, 0)² w² < reach².
                let r_cells2 = reach2 / (w * w);
                let n = (reach / w).ceil() as i64;
                let base = index(cell_of(&xi)) as i64;
                row.clear();
                let mut count = 0;
                let size_i = sizes[i];
                for dx in -n..=n {
                    let gx = (dx.abs() - 1).max(0) as f64;
                    for dy in -n..=n {
                        let gy = (dy.abs() - 1).max(0) as f64;
                        let rest = r_cells2 - gx * gx - gy * gy;
                        if rest <= 0.0 {
                            continue;
                        }
                        let nz = (rest.sqrt().floor() as i64 + 1).min(n);
                        let column = base + dx * stride[0] + dy * stride[1];
                        let first = (column - nz) as usize;
                        let last = (column + nz) as usize;
                        // Branch-free: whether a candidate is a neighbour is unpredictable, so every
                        // candidate is written and only the kept ones advance the count.
                        let candidates = start[first]..start[last + 1];
                        if kept.len() < count + candidates.len() {
                            kept.resize(count + candidates.len(), 0);
                        }
                        for k in candidates {
                            let [x, y, z, size] = binned[k];
                            let d = [x - xi[0], y - xi[1], z - xi[2]];
                            let r2 = d[0] * d[0] + d[1] * d[1] + d[2] * d[2];
                            let range = if any_sizes {
                                halo
                            } else {
                                cutoff * potential.pair_size(size_i, size) + skin
                            };
                            kept[count] = k as u32;
                            count += ((r2 < range * range) & (members[k] as usize != i)) as usize;
                        }
                    }
                }
                for &k in &kept[..count] {
                    let j = members[k as usize] as usize;
                    let pair_size = potential.pair_size(size_i, binned[k as usize][3]);
                    row.push((j as u32, 1.0 / (pair_size * pair_size)));
                }
                counts.push(row.len());
                entries.extend_from_slice(&row);
            }
            (counts, entries)
        };
        let chunks: Vec<(Vec<usize>, Vec<(u32, f64)>)> = (0..n_local.div_ceil(CHUNK))
            .into_par_iter()
            .map(|c| build_chunk(c * CHUNK..((c + 1) * CHUNK).min(n_local)))
            .collect();
        let total: usize = chunks.iter().map(|(_, e)| e.len()).sum();
        let mut list = NeighbourList {
            offsets: Vec::with_capacity(n_local + 1),
            neighbours: Vec::with_capacity(total),
            inverse_size2: Vec::with_capacity(total),
        };
        list.offsets.push(0);
        for (counts, entries) in chunks {
            for count in counts {
                list.offsets.push(list.offsets.last().unwrap() + count);
            }
            for (j, inverse) in entries {
                list.neighbours.push(j);
                list.inverse_size2.push(inverse);
            }
        }
        list
    }
}
