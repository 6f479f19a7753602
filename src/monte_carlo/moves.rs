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

/// Σ `term(k)` over the entries k of `row` that are `near`, in row order.
///
/// Most listed partners are beyond their cutoff, and which ones are is unpredictable: a branch-free
/// first pass keeps the others, a second one adds their terms.
#[inline]
fn sum_near(row: &[u32], near: impl Fn(u32) -> bool, term: impl Fn(u32) -> f64) -> f64 {
    const KEPT: usize = 512;
    if row.len() > KEPT {
        // Rows this long do not occur at liquid densities.
        return row.iter().copied().filter(|&k| near(k)).map(term).sum();
    }
    let mut kept = [0u32; KEPT];
    let mut count = 0;
    for &k in row {
        kept[count] = k;
        count += near(k) as usize;
    }
    kept[..count].iter().map(|&k| term(k)).sum()
}

/// ΔU of moving particle `i` (with neighbours `row`) to `to`. The row must hold every partner within
/// the largest interaction range of both positions, whatever the sizes. Terms are added in row order
/// (fixed by the configuration alone), and pairs beyond their cutoff at both positions are skipped
/// (they would add exact zeros), so the result does not depend on the decomposition.
pub fn translation(
    potential: &PairPotential,
    row: &[u32],
    particles: &[[f64; 4]],
    i: usize,
    to: [f64; 3],
) -> f64 {
    let [x, y, z, size] = particles[i];
    let from = [x, y, z];
    let cutoff2 = potential.cutoff() * potential.cutoff();
    sum_near(
        row,
        |j| {
            let p = &particles[j as usize];
            let pair_size = potential.pair_size(size, p[3]);
            let reach2 = cutoff2 * pair_size * pair_size;
            (distance2(from, p) < reach2) | (distance2(to, p) < reach2)
        },
        |j| {
            let p = &particles[j as usize];
            let pair_size = potential.pair_size(size, p[3]);
            potential.energy(distance2(to, p), pair_size)
                - potential.energy(distance2(from, p), pair_size)
        },
    )
}

/// ΔU of exchanging the sizes of particles `i` and `j` (with neighbours `row_i` and `row_j`; `ids`
/// gives the global id of every particle). Their own pair terms (with any image of each other) do not
/// change (λ_ij is symmetric), so they are left out.
pub fn swap(
    potential: &PairPotential,
    row_i: &[u32],
    row_j: &[u32],
    particles: &[[f64; 4]],
    ids: &[u64],
    i: usize,
    j: usize,
) -> f64 {
    let cutoff2 = potential.cutoff() * potential.cutoff();
    let half = |row: &[u32], i: usize, j: usize, old: f64, new: f64| {
        let [x, y, z, _] = particles[i];
        let centre = [x, y, z];
        // Partners within the cutoff for either size.
        sum_near(
            row,
            |k| {
                let p = &particles[k as usize];
                let larger = potential
                    .pair_size(old, p[3])
                    .max(potential.pair_size(new, p[3]));
                (distance2(centre, p) < cutoff2 * larger * larger) & (ids[k as usize] != ids[j])
            },
            |k| {
                let p = &particles[k as usize];
                let r2 = distance2(centre, p);
                potential.energy(r2, potential.pair_size(new, p[3]))
                    - potential.energy(r2, potential.pair_size(old, p[3]))
            },
        )
    };
    let (a, b) = (particles[i][3], particles[j][3]);
    half(row_i, i, j, a, b) + half(row_j, j, i, b, a)
}
