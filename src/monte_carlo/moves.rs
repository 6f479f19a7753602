//! Energy changes of single-particle translations and size swaps, over the neighbour list.

use crate::domain::NeighbourList;
use crate::model::PairPotential;

#[inline]
fn distance2(a: [f64; 3], b: [f64; 3]) -> f64 {
    let d = [b[0] - a[0], b[1] - a[1], b[2] - a[2]];
    d[0] * d[0] + d[1] * d[1] + d[2] * d[2]
}

/// ΔU of moving particle `i` to `to`. The list must hold every partner within the largest interaction
/// range of both positions, whatever the sizes. Terms are added in list order (fixed by the
/// configuration alone), and pairs beyond their cutoff at both positions are skipped (they would add
/// exact zeros), so the result does not depend on the decomposition.
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
    let cutoff2 = potential.cutoff() * potential.cutoff();
    let mut delta = 0.0;
    for (j, _) in list.row(i) {
        let pair_size = potential.pair_size(size, sizes[j]);
        let reach2 = cutoff2 * pair_size * pair_size;
        let x = positions[j];
        let (old, new) = (distance2(from, x), distance2(to, x));
        if old >= reach2 && new >= reach2 {
            continue;
        }
        delta += potential.energy(new, pair_size) - potential.energy(old, pair_size);
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
    let cutoff2 = potential.cutoff() * potential.cutoff();
    let half = |i: usize, j: usize, old: f64, new: f64| {
        let x = positions[i];
        // No partner interacts beyond x_c·max(λ_old,k, λ_new,k) ≤ x_c·(largest pair size).
        let mut delta = 0.0;
        for (k, _) in list.row(i) {
            if k == j {
                continue;
            }
            let r2 = distance2(x, positions[k]);
            let (size_old, size_new) = (
                potential.pair_size(old, sizes[k]),
                potential.pair_size(new, sizes[k]),
            );
            let larger = size_old.max(size_new);
            if r2 >= cutoff2 * larger * larger {
                continue;
            }
            delta += potential.energy(r2, size_new) - potential.energy(r2, size_old);
        }
        delta
    };
    half(i, j, sizes[i], sizes[j]) + half(j, i, sizes[j], sizes[i])
}
