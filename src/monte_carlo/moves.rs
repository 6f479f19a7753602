//! Energy changes of single-particle translations and size swaps, over the neighbour list.
//!
//! Most listed partners are beyond their cutoff, and which ones are is unpredictable, so every energy
//! change takes two passes over the list row: [`candidates`] keeps the partners that may interact (in
//! single precision, conservatively), and the exact double-precision terms of the kept partners are
//! added in row order. A kept partner beyond its cutoff adds an exact zero, so the result is the same
//! as from an exact first pass, and depends only on the configuration and the row order. The terms
//! are computed four partners at a time, lane by lane with the operations of the scalar potential, so
//! they too are the same bit for bit.

use crate::domain::packed::distance2;
use crate::domain::{PackedParticles, candidates};
use crate::model::PairPotential;
use wide::f64x4;

/// Asks the processor to bring `data` into the nearest cache (a hint: no effect on results).
#[inline]
pub fn prefetch<T>(data: &[T]) {
    #[cfg(target_arch = "x86_64")]
    {
        let line = 64 / std::mem::size_of::<T>().max(1);
        for element in data.iter().step_by(line.max(1)) {
            safe_arch::prefetch_t0(element);
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = data;
}

/// ΔU of moving particle `i` (with neighbours `row`) to `to`. The row must hold every partner within
/// the largest interaction range of both positions, whatever the sizes. Terms are added in row order
/// (fixed by the configuration alone), and pairs beyond their cutoff at both positions add exact
/// zeros, so the result does not depend on the decomposition.
pub fn translation(
    potential: &PairPotential,
    row: &[u32],
    particles: &PackedParticles,
    i: usize,
    to: [f64; 3],
    scratch: &mut Vec<u32>,
) -> f64 {
    let [x, y, z, size] = particles.exact()[i];
    let from = [x, y, z];
    // Partners within reach of either end are within reach + |d|/2 of the midpoint.
    let middle = std::array::from_fn(|a| 0.5 * (from[a] + to[a]));
    let half_step = 0.5 * distance2(from, &[to[0], to[1], to[2], 0.0]).sqrt();
    let count = candidates(
        potential,
        row,
        particles,
        middle,
        [size, size],
        half_step,
        scratch,
    );
    let exact = particles.exact();
    let kept = &scratch[..count];
    let mut delta = 0.0;
    for chunk in kept.chunks(4) {
        let [x, y, z, sizes] = gather(exact, chunk);
        let pair_size = potential.pair_size_x4(f64x4::splat(size), sizes);
        let terms = potential.energy_x4(distance2_x4(to, [x, y, z]), pair_size)
            - potential.energy_x4(distance2_x4(from, [x, y, z]), pair_size);
        for &term in &terms.to_array()[..chunk.len()] {
            delta += term;
        }
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
    particles: &PackedParticles,
    ids: &[u64],
    i: usize,
    j: usize,
    scratch: &mut Vec<u32>,
) -> f64 {
    let (a, b) = (particles.exact()[i][3], particles.exact()[j][3]);
    half_swap(potential, row_i, particles, ids, i, ids[j], [a, b], scratch)
        + half_swap(potential, row_j, particles, ids, j, ids[i], [b, a], scratch)
}

/// The part of a swap's ΔU from the partners of particle `i` (other than `partner` and its images),
/// whose size goes from `old` to `new`.
#[allow(clippy::too_many_arguments)]
#[inline]
fn half_swap(
    potential: &PairPotential,
    row: &[u32],
    particles: &PackedParticles,
    ids: &[u64],
    i: usize,
    partner: u64,
    [old, new]: [f64; 2],
    scratch: &mut Vec<u32>,
) -> f64 {
    let [x, y, z, _] = particles.exact()[i];
    let centre = [x, y, z];
    let count = candidates(potential, row, particles, centre, [old, new], 0.0, scratch);
    let exact = particles.exact();
    let kept = &scratch[..count];
    let mut delta = 0.0;
    for chunk in kept.chunks(4) {
        let [x, y, z, sizes] = gather(exact, chunk);
        let r2 = distance2_x4(centre, [x, y, z]);
        let terms = potential.energy_x4(r2, potential.pair_size_x4(f64x4::splat(new), sizes))
            - potential.energy_x4(r2, potential.pair_size_x4(f64x4::splat(old), sizes));
        for (&k, term) in chunk.iter().zip(terms.to_array()) {
            if ids[k as usize] != partner {
                delta += term;
            }
        }
    }
    delta
}

/// The coordinates and sizes of up to four particles, as lanes (a short chunk repeats its last
/// particle in the lanes beyond it, whose terms the caller leaves out).
#[inline]
fn gather(exact: &[[f64; 4]], indices: &[u32]) -> [f64x4; 4] {
    let last = indices.len() - 1;
    let p: [[f64; 4]; 4] = std::array::from_fn(|l| exact[indices[l.min(last)] as usize]);
    std::array::from_fn(|a| f64x4::new([p[0][a], p[1][a], p[2][a], p[3][a]]))
}

/// [`distance2`] from `a` to four particles, lane by lane with the same operations.
#[inline]
fn distance2_x4(a: [f64; 3], [x, y, z]: [f64x4; 3]) -> f64x4 {
    let d = [
        x - f64x4::splat(a[0]),
        y - f64x4::splat(a[1]),
        z - f64x4::splat(a[2]),
    ];
    d[0] * d[0] + d[1] * d[1] + d[2] * d[2]
}
