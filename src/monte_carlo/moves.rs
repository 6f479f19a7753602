//! Energy changes of single-particle translations and size swaps, over the neighbour list.

use crate::domain::NeighbourList;
use crate::model::PairPotential;

#[inline]
fn distance2(a: [f64; 3], b: [f64; 3]) -> f64 {
    let d = [b[0] - a[0], b[1] - a[1], b[2] - a[2]];
    d[0] * d[0] + d[1] * d[1] + d[2] * d[2]
}

/// ΔU of moving particle `i` to `to`. The list must hold every partner within the largest interaction
/// range of both positions, whatever the sizes; pairs beyond the cutoff contribute exact zeros, and terms
/// are added in list order (fixed by the configuration alone), so the result does not depend on the
/// decomposition.
pub fn translation(
    potential: &PairPotential,
    list: &NeighbourList,
    positions: &[[f64; 3]],
    sizes: &[f64],
    i: usize,
    to: [f64; 3],
) -> f64 {
    let from = positions[i];
    let size = sizes[i];
    let mut delta = 0.0;
    for (j, _) in list.row(i) {
        let pair_size = potential.pair_size(size, sizes[j]);
        let x = positions[j];
        delta += potential.energy(distance2(to, x), pair_size)
            - potential.energy(distance2(from, x), pair_size);
    }
    delta
}

/// ΔU of exchanging the sizes of particles `i` and `j`. Their own pair term does not change (λ_ij is
/// symmetric), so it is left out.
pub fn swap(
    potential: &PairPotential,
    list: &NeighbourList,
    positions: &[[f64; 3]],
    sizes: &[f64],
    i: usize,
    j: usize,
) -> f64 {
    let half = |i: usize, j: usize, old: f64, new: f64| {
        let x = positions[i];
        let mut delta = 0.0;
        for (k, _) in list.row(i) {
            if k == j {
                continue;
            }
            let r2 = distance2(x, positions[k]);
            delta += potential.energy(r2, potential.pair_size(new, sizes[k]))
                - potential.energy(r2, potential.pair_size(old, sizes[k]));
        }
        delta
    };
    half(i, j, sizes[i], sizes[j]) + half(j, i, sizes[j], sizes[i])
}
