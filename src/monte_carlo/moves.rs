//! Energy changes of single-particle translations and size swaps, over the neighbour list.
//!
//! Particles are given packed as (x, y, z, λ), one cache line for two of them, and a particle's
//! neighbours as the indices of its list row.

use crate::model::PairPotential;

#[inline]
fn distance2(a: [f64; 3], b: &[f64; 4]) -> f64 {
    let d = [b[0] - a[0], b[1] - a[1], b[2] - a[2]];
    d[0] * d[0] + d[1] * d[1] + d[2] * d[2]
}

/// ΔU of moving particle `i` (with neighbours `row`) to `to`. The row must hold every partner within
/// the largest interaction range of both positions, whatever the sizes. Terms are added in row order
/// (fixed by the configuration alone), and pairs beyond their cutoff at both positions are skipped
/// (they would add exact zeros), so the result does not depend on the decomposition.
///
/// Most listed partners are beyond their cutoff, and which ones are is unpredictable: a branch-free
/// first pass keeps the others in `scratch`, a second one adds their terms.
pub fn translation(
    potential: &PairPotential,
    row: &[u32],
    particles: &[[f64; 4]],
    i: usize,
    to: [f64; 3],
    scratch: &mut Vec<u32>,
) -> f64 {
    let [x, y, z, size] = particles[i];
    let from = [x, y, z];
    let cutoff2 = potential.cutoff() * potential.cutoff();
    if scratch.len() < row.len() {
        scratch.resize(row.len(), 0);
    }
    let mut count = 0;
    for &k in row {
        let p = &particles[k as usize];
        let pair_size = potential.pair_size(size, p[3]);
        let reach2 = cutoff2 * pair_size * pair_size;
        scratch[count] = k;
        count += ((distance2(from, p) < reach2) | (distance2(to, p) < reach2)) as usize;
    }
    let mut delta = 0.0;
    for &k in &scratch[..count] {
        let p = &particles[k as usize];
        let pair_size = potential.pair_size(size, p[3]);
        delta += potential.energy(distance2(to, p), pair_size)
            - potential.energy(distance2(from, p), pair_size);
    }
    delta
}

/// ΔU of exchanging the sizes of particles `i` and `j` (with neighbours `row_i` and `row_j`; `ids`
/// gives the global id of every particle). Their own pair terms (with any image of each other) do not
/// change (λ_ij is symmetric), so they are left out.
#[allow(clippy::too_many_arguments)]
pub fn swap(
    potential: &PairPotential,
    row_i: &[u32],
    row_j: &[u32],
    particles: &[[f64; 4]],
    ids: &[u64],
    i: usize,
    j: usize,
    scratch: &mut Vec<u32>,
) -> f64 {
    let (a, b) = (particles[i][3], particles[j][3]);
    half_swap(potential, row_i, particles, ids, i, ids[j], [a, b], scratch)
        + half_swap(potential, row_j, particles, ids, j, ids[i], [b, a], scratch)
}

/// The part of a swap's ΔU from the partners of particle `i` (other than `partner` and its images),
/// whose size goes from `old` to `new`; as in [`translation`], in two passes.
#[allow(clippy::too_many_arguments)]
#[inline]
fn half_swap(
    potential: &PairPotential,
    row: &[u32],
    particles: &[[f64; 4]],
    ids: &[u64],
    i: usize,
    partner: u64,
    [old, new]: [f64; 2],
    scratch: &mut Vec<u32>,
) -> f64 {
    let [x, y, z, _] = particles[i];
    let centre = [x, y, z];
    let cutoff2 = potential.cutoff() * potential.cutoff();
    if scratch.len() < row.len() {
        scratch.resize(row.len(), 0);
    }
    // λ_ij grows with λ_i up to 1/(2 n_A): below it, the larger of the two pair sizes is the one with
    // the larger of the two sizes (the same floating-point value), at half the cost.
    let larger_size = old.max(new);
    let monotonic = 2.0 * potential.non_additivity() * larger_size <= 1.0;
    let mut count = 0;
    for &k in row {
        let p = &particles[k as usize];
        let larger = if monotonic {
            potential.pair_size(larger_size, p[3])
        } else {
            potential
                .pair_size(old, p[3])
                .max(potential.pair_size(new, p[3]))
        };
        scratch[count] = k;
        count += ((distance2(centre, p) < cutoff2 * larger * larger) & (ids[k as usize] != partner))
            as usize;
    }
    let mut delta = 0.0;
    for &k in &scratch[..count] {
        let p = &particles[k as usize];
        let r2 = distance2(centre, p);
        delta += potential.energy(r2, potential.pair_size(new, p[3]))
            - potential.energy(r2, potential.pair_size(old, p[3]));
    }
    delta
}
