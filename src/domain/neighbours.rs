//! Verlet neighbour lists for a polydisperse system.
//!
//! Each pair gets its own list range x_c λ_ij + skin, so the list holds about as many entries as there
//! are interacting neighbours (≈17 at the default parameters, ~26 with the skin), although the largest
//! cutoff is 2.2 times the smallest. Lists are *full* (each pair appears in the rows of both particles)
//! and each row is in an order that does not depend on the decomposition (see [`NeighbourList::build`]),
//! which fixes the order of every per-particle sum.
//!
//! Lists for swap Monte Carlo must hold every pair that can interact whatever sizes the particles
//! take (*any-size* lists), about ten times as many entries as interact. Their rows are therefore
//! ordered in shells of distance at the build: the entries closer than a given distance come first, so
//! an energy change scans only the prefix it can need, x_c·max_j λ_ij(λ) for the sizes involved plus
//! how far the particles can have moved since the build (at most the skin).

use rayon::prelude::*;

use super::decomposition::Decomposition;
use crate::model::PairPotential;

/// Cells per halo width in the cell grid of a list build.
const CELLS_PER_HALO: f64 = 3.0;

/// The same for any-size lists, whose rows all reach the whole halo. Every column of cells scanned
/// costs about as much as a few dozen candidates, so wider cells (fewer columns, more candidates) pay:
/// building the any-size list of 16,000 particles (`benches/lists.rs`, this constant changed) took 69,
/// 60, 55 and 59 ms with 3, 2, 1.5 and 1 cells per halo (skin 0.9), and 86, 74, 70 and 85 ms (skin
/// 1.45).
const ANY_SIZE_CELLS_PER_HALO: f64 = 1.5;

/// Particles per parallel task of a list build.
const CHUNK: usize = 256;

/// The rows of [`CHUNK`] consecutive local particles (fewer in the last chunk).
#[derive(Clone, Debug, Default)]
struct ChunkRows {
    /// Row k of the chunk occupies entries `offsets[k]..offsets[k + 1]`.
    offsets: Vec<usize>,
    /// Index (into locals + ghosts) of each neighbour, row after row.
    neighbours: Vec<u32>,
    /// 1/λ_ij² of each entry (empty in any-size lists, whose sizes change between builds:
    /// [`NeighbourList::sized_row_within`] computes them from the current sizes).
    inverse_size2: Vec<f64>,
    /// Any-size lists: for row k and shell c, `shell_ends[SHELLS k + c]` entries at the start of the
    /// row hold every partner that was closer than the shell's radius at the build.
    shell_ends: Vec<u32>,
}

impl ChunkRows {
    /// Empties the rows, keeping the memory.
    fn clear(&mut self) {
        self.offsets.clear();
        self.offsets.push(0);
        self.neighbours.clear();
        self.inverse_size2.clear();
        self.shell_ends.clear();
    }
}

/// Distance shells of the rows of an any-size list.
pub const SHELLS: usize = 16;

/// Compressed rows of neighbours of the local particles, in chunks of [`CHUNK`] particles.
///
/// Each build writes the rows of a chunk into that chunk's memory from the build before: a list of a
/// million particles takes a gigabyte, which freshly allocated (and so zeroed by the kernel page by
/// page) and then copied into one array had cost as much as finding the neighbours.
#[derive(Clone, Debug, Default)]
pub struct NeighbourList {
    chunks: Vec<ChunkRows>,
    /// Any-size lists: the outer radius of each of the [`SHELLS`] shells (ascending, the last one the
    /// list range; empty otherwise).
    pub shell_radii: Vec<f64>,
    /// Any-size lists: the potential, the largest size and the skin, which give the distance a
    /// particle of a given size can need.
    reach: Option<(PairPotential, f64, f64)>,
}

impl NeighbourList {
    /// The chunk holding the row of local particle `i`, and the row's place in it.
    #[inline]
    fn chunk_of(&self, i: usize) -> (&ChunkRows, usize) {
        (&self.chunks[i / CHUNK], i % CHUNK)
    }

    /// The entries of local particle `i`: (neighbour index, 1/λ_ij²). Lists not in shells only.
    pub fn row(&self, i: usize) -> impl Iterator<Item = (usize, f64)> + '_ {
        debug_assert!(!self.in_shells(), "an any-size list holds no sizes");
        let (chunk, k) = self.chunk_of(i);
        let range = chunk.offsets[k]..chunk.offsets[k + 1];
        chunk.neighbours[range.clone()]
            .iter()
            .map(|&j| j as usize)
            .zip(chunk.inverse_size2[range].iter().copied())
    }

    /// Any-size lists: the entries of local particle `i` that it can interact with at the current
    /// sizes `sizes` (locals then ghosts), the prefix of its row for its size, as (neighbour index,
    /// 1/λ_ij²).
    pub fn sized_row_within<'a>(
        &'a self,
        i: usize,
        sizes: &'a [f64],
    ) -> impl Iterator<Item = (usize, f64)> + 'a {
        let (potential, _, _) = self.reach.as_ref().expect("an any-size list");
        self.neighbours_within(i, sizes[i]).iter().map(move |&j| {
            let j = j as usize;
            let pair_size = potential.pair_size(sizes[i], sizes[j]);
            (j, 1.0 / (pair_size * pair_size))
        })
    }

    /// Whether rows are in distance shells (an any-size list).
    #[inline]
    pub fn in_shells(&self) -> bool {
        !self.shell_radii.is_empty()
    }

    /// The length of the part of row `i` that a particle of any size up to `size` can reach.
    #[inline]
    fn prefix_len(&self, i: usize, size: f64) -> usize {
        match &self.reach {
            None => self.neighbours_of(i).len(),
            Some((_, _, skin)) => self.prefix_within(i, self.reach(size) + skin),
        }
    }

    /// The length of the part of row `i` that holds every partner closer than `distance` at the
    /// build (the whole row if the list is not in shells).
    #[inline]
    fn prefix_within(&self, i: usize, distance: f64) -> usize {
        if self.shell_radii.is_empty() {
            return self.neighbours_of(i).len();
        }
        let shell = self
            .shell_radii
            .iter()
            .position(|&r| distance <= r)
            .unwrap_or(SHELLS - 1);
        self.shell_ends_of(i)[shell] as usize
    }

    /// Any-size lists: for each shell c, how many entries at the start of row `i` hold every partner
    /// that was closer than `shell_radii[c]` at the build.
    #[inline]
    pub fn shell_ends_of(&self, i: usize) -> &[u32] {
        let (chunk, k) = self.chunk_of(i);
        &chunk.shell_ends[SHELLS * k..SHELLS * (k + 1)]
    }

    /// The entries of local particle `i` that were closer than `distance` at the build (and a few
    /// more): the whole row, unless the list is in shells.
    #[inline]
    pub fn neighbours_closer_than(&self, i: usize, distance: f64) -> &[u32] {
        &self.neighbours_of(i)[..self.prefix_within(i, distance)]
    }

    /// Any-size lists: x_c·max_j λ_ij for a particle of size `size` (the skin not included).
    #[inline]
    pub fn reach(&self, size: f64) -> f64 {
        let (potential, largest_size, _) = self.reach.as_ref().expect("an any-size list");
        potential.cutoff() * potential.largest_pair_size(size, *largest_size)
    }

    /// The neighbour indices of local particle `i`.
    #[inline]
    pub fn neighbours_of(&self, i: usize) -> &[u32] {
        let (chunk, k) = self.chunk_of(i);
        &chunk.neighbours[chunk.offsets[k]..chunk.offsets[k + 1]]
    }

    /// The entries of local particle `i` that a particle of its position with any size up to `size`
    /// (and partners of any size) can reach: the whole row, unless the list is in shells.
    #[inline]
    pub fn neighbours_within(&self, i: usize, size: f64) -> &[u32] {
        &self.neighbours_of(i)[..self.prefix_len(i, size)]
    }

    /// Total number of entries.
    pub fn len(&self) -> usize {
        self.chunks.iter().map(|rows| rows.neighbours.len()).sum()
    }

    /// Whether the list has no entries.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Builds the lists of the first `n_local` particles among all `positions` (locals then ghosts)
    /// with a cell grid over the domain extended by `halo` on every side; `size_range` holds the
    /// smallest and largest particle sizes anywhere. With `any_sizes`, every pair closer than `halo` is
    /// listed, whatever the sizes, and rows are in shells. The rows replace those of the build
    /// before, in its memory.
    #[allow(clippy::too_many_arguments)]
    pub fn rebuild(
        &mut self,
        potential: &PairPotential,
        skin: f64,
        halo: f64,
        size_range: [f64; 2],
        any_sizes: bool,
        decomposition: &Decomposition,
        ids: &[u64],
        positions: &[[f64; 3]],
        sizes: &[f64],
        n_local: usize,
    ) {
        // Cells a third of the halo wide (two thirds in any-size lists) on a grid fixed in the box
        // (cell k spans [k w, (k + 1) w) along each axis, images included), covering the domain
        // extended by the halo and a padding cell, so every cell within the halo of a local particle
        // exists (no bounds checks). Each particle scans only the cells that can hold a partner within
        // its own reach x_c·max_j λ_ij + skin, which for the many small particles is much shorter than
        // the halo. Along z a column of cells is contiguous in the cell-sorted arrays, so the scan is a
        // set of contiguous ranges.
        //
        // Rows list partners in scan order (cell offset, then global id within a cell). A ghost holds
        // the same coordinates as the particle (or image) it copies, so it falls into the same cell on
        // any decomposition, and rows come out in the same order everywhere without sorting.
        let w = halo
            / if any_sizes {
                ANY_SIZE_CELLS_PER_HALO
            } else {
                CELLS_PER_HALO
            };
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
        // Each local particle's place in the cell-sorted arrays (to leave it out of its own row).
        let mut slot_of = vec![0u32; n_local];
        for (slot, &k) in members.iter().enumerate() {
            if (k as usize) < n_local {
                slot_of[k as usize] = slot as u32;
            }
        }
        let cutoff = potential.cutoff();
        let largest_size = size_range[1];
        let shell_radii = if any_sizes {
            shells(potential, halo, size_range)
        } else {
            Vec::new()
        };
        // A fixed-size array, so that finding a shell compiles to straight-line comparisons.
        let shell_reach2: [f64; SHELLS] =
            std::array::from_fn(|c| shell_radii.get(c).map_or(f64::INFINITY, |r| r * r));
        let stride = [cells[1] * cells[2], cells[2]];
        let build_chunk = |chunk: std::ops::Range<usize>, rows: &mut ChunkRows| {
            rows.clear();
            let mut kept: Vec<u32> = Vec::new();
            let mut distances2: Vec<f64> = Vec::new();
            let mut classes: Vec<u8> = Vec::new();
            for i in chunk {
                let xi = positions[i];
                let own_slot = slot_of[i] as usize;
                let reach = if any_sizes {
                    halo
                } else {
                    (cutoff * potential.largest_pair_size(sizes[i], largest_size) + skin).min(halo)
                };
                let reach2 = reach * reach;
                // The cells that a ball of radius `reach` about x_i overlaps, column by column: along
                // x the cells within the reach, along y those within what the x gap leaves, along z
                // the contiguous run within what both gaps leave. Gaps are shrunk and half-widths grown
                // by a hair, so that rounding never drops a cell holding a partner.
                let hair = 1e-9 * w;
                let inverse_w = 1.0 / w;
                let span = |axis: usize, half_width: f64| {
                    let half_width = half_width + hair;
                    let low = floor((xi[axis] - half_width) * inverse_w) - first_cell[axis];
                    let high = floor((xi[axis] + half_width) * inverse_w) - first_cell[axis];
                    (low.max(0), high.min(cells[axis] as i64 - 1))
                };
                let gap = |axis: usize, cell: i64| {
                    let low = (first_cell[axis] + cell) as f64 * w;
                    ((low - xi[axis]).max(xi[axis] - (low + w)) - hair).max(0.0)
                };
                let mut count = 0;
                let size_i = sizes[i];
                let (x_first, x_last) = span(0, reach);
                for cx in x_first..=x_last {
                    let gx = gap(0, cx);
                    let rest_x = reach2 - gx * gx;
                    if rest_x <= 0.0 {
                        continue;
                    }
                    let (y_first, y_last) = span(1, rest_x.sqrt());
                    for cy in y_first..=y_last {
                        let gy = gap(1, cy);
                        let rest = rest_x - gy * gy;
                        if rest <= 0.0 {
                            continue;
                        }
                        let (z_first, z_last) = span(2, rest.sqrt());
                        let column = cx as usize * stride[0] + cy as usize * stride[1];
                        let first = start[column + z_first as usize];
                        let last = start[column + z_last as usize + 1];
                        // Branch-free: whether a candidate is a neighbour is unpredictable, so every
                        // candidate is written and only the kept ones advance the count.
                        let needed = count + (last - first);
                        if kept.len() < needed {
                            kept.resize(needed, 0);
                            if any_sizes {
                                distances2.resize(needed, 0.0);
                            }
                        }
                        let candidates = (first..last).zip(&binned[first..last]);
                        let distance2 = |p: &[f64; 4]| {
                            let d = [p[0] - xi[0], p[1] - xi[1], p[2] - xi[2]];
                            d[0] * d[0] + d[1] * d[1] + d[2] * d[2]
                        };
                        // Any-size rows keep the distances, which sort them into shells.
                        if any_sizes {
                            for (k, p) in candidates {
                                let r2 = distance2(p);
                                kept[count] = k as u32;
                                distances2[count] = r2;
                                count += ((r2 < reach2) & (k != own_slot)) as usize;
                            }
                        } else {
                            for (k, p) in candidates {
                                let range = cutoff * potential.pair_size(size_i, p[3]) + skin;
                                kept[count] = k as u32;
                                count +=
                                    ((distance2(p) < range * range) & (k != own_slot)) as usize;
                            }
                        }
                    }
                }
                let row_start = rows.neighbours.len();
                if shell_radii.is_empty() {
                    rows.neighbours
                        .extend(kept[..count].iter().map(|&k| members[k as usize]));
                    rows.inverse_size2.extend(kept[..count].iter().map(|&k| {
                        let pair_size = potential.pair_size(size_i, binned[k as usize][3]);
                        1.0 / (pair_size * pair_size)
                    }));
                } else {
                    // Shell by shell, each in scan order: a stable counting sort on the shell (the
                    // first whose radius exceeds the distance at the build). No 1/λ_ij²: sizes
                    // change between builds.
                    classes.resize(count, 0);
                    let mut next = [0u32; SHELLS];
                    for (class, &r2) in classes.iter_mut().zip(&distances2[..count]) {
                        let c = shell_reach2.iter().filter(|&&b| b <= r2).count();
                        next[c] += 1;
                        *class = c as u8;
                    }
                    let mut end = 0;
                    for slot in &mut next {
                        end += *slot;
                        rows.shell_ends.push(end);
                        *slot = end - *slot;
                    }
                    rows.neighbours.resize(row_start + count, 0);
                    let row = &mut rows.neighbours[row_start..];
                    for (&k, &class) in kept[..count].iter().zip(&classes) {
                        row[next[class as usize] as usize] = members[k as usize];
                        next[class as usize] += 1;
                    }
                }
                rows.offsets.push(rows.neighbours.len());
            }
        };
        self.chunks
            .resize_with(n_local.div_ceil(CHUNK), ChunkRows::default);
        self.chunks
            .par_iter_mut()
            .enumerate()
            .for_each(|(c, rows)| build_chunk(c * CHUNK..((c + 1) * CHUNK).min(n_local), rows));
        self.shell_radii = shell_radii;
        self.reach = any_sizes.then(|| (potential.clone(), largest_size, skin));
    }
}

/// ⌊x⌋ of a finite `x` of moderate size. `f64::floor` is a library call on baseline x86-64 (no SSE4.1),
/// too slow for the inner loops of a list build.
#[inline]
fn floor(x: f64) -> i64 {
    let truncated = x as i64;
    truncated - ((truncated as f64) > x) as i64
}

/// The radii of the shells of any-size rows: the reach of the smallest particle x_c·max_j λ_ij (all
/// partners nearer than it are always scanned), then equal steps up to the list range `halo`.
fn shells(potential: &PairPotential, halo: f64, [smallest, largest]: [f64; 2]) -> Vec<f64> {
    let innermost = (potential.cutoff() * potential.largest_pair_size(smallest, largest)).min(halo);
    (0..SHELLS)
        .map(|c| {
            if c + 1 == SHELLS {
                halo
            } else {
                innermost + (halo - innermost) * c as f64 / (SHELLS - 1) as f64
            }
        })
        .collect()
}
