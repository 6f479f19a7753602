//! The particles packed for the first pass over any-size list rows: (x, y, z, λ) in double precision
//! and rounded to single precision, and [`candidates`], the pass itself.
//!
//! Rows of any-size lists (swap Monte Carlo) hold every pair within the largest interaction range
//! plus the skin whatever the sizes, about ten times as many partners as interact, and which ones do
//! is unpredictable. The first pass keeps the partners that may interact: it works in single
//! precision, four partners at a time, and is *conservative* (it keeps every partner the exact test
//! would keep, and a few more). The exact terms of the kept partners then follow in row order; a kept
//! partner beyond its cutoff adds an exact zero.

use wide::f32x4;

use crate::model::PairPotential;

/// The particles (locals, then ghosts) as (x, y, z, λ), exact and rounded to single precision.
pub struct PackedParticles {
    exact: Vec<[f64; 4]>,
    rounded: Vec<[f32; 4]>,
    /// What the single-precision distances may be short of the exact ones, at most.
    margin: f32,
}

impl PackedParticles {
    /// Packs `positions` and `sizes`. No coordinate may later exceed the largest one now by more than
    /// half of it (particles only move by small steps between packings).
    pub fn new(positions: &[[f64; 3]], sizes: &[f64]) -> Self {
        let exact: Vec<[f64; 4]> = positions
            .iter()
            .zip(sizes)
            .map(|(x, &size)| [x[0], x[1], x[2], size])
            .collect();
        let rounded = exact.iter().map(|p| p.map(|v| v as f32)).collect();
        let largest = positions
            .iter()
            .flatten()
            .fold(1.0f64, |m, v| m.max(v.abs()));
        // Rounding a coordinate of magnitude ≤ B to f32 moves it by ≤ 2⁻²⁴B, so a distance computed
        // from rounded coordinates is short of the exact one by at most √3·2⁻²³B plus a relative
        // few × 2⁻²⁴ of itself (distances that matter are below 8). 2⁻²⁰B′ + 2⁻¹⁶, with B′ = 1.5 B,
        // bounds both with room to spare.
        let margin = (1.5 * largest * 2f64.powi(-20) + 2f64.powi(-16)) as f32;
        PackedParticles {
            exact,
            rounded,
            margin,
        }
    }

    /// Puts particle `k` at `x` with size `size`.
    #[inline]
    pub fn set(&mut self, k: usize, x: [f64; 3], size: f64) {
        self.exact[k] = [x[0], x[1], x[2], size];
        self.rounded[k] = self.exact[k].map(|v| v as f32);
    }

    /// Every particle as (x, y, z, λ), exact.
    #[inline]
    pub fn exact(&self) -> &[[f64; 4]] {
        &self.exact
    }

    /// Gives particle `k` the size `size`.
    #[inline]
    pub fn set_size(&mut self, k: usize, size: f64) {
        self.exact[k][3] = size;
        self.rounded[k][3] = size as f32;
    }
}

#[inline]
pub(crate) fn distance2(a: [f64; 3], b: &[f64; 4]) -> f64 {
    let d = [b[0] - a[0], b[1] - a[1], b[2] - a[2]];
    d[0] * d[0] + d[1] * d[1] + d[2] * d[2]
}

/// The first pass: keeps in `scratch` (in row order; the count is returned) every partner in `row`
/// closer to `centre` than x_c·max(λ(a, λ_k), λ(b, λ_k)) + `extra`, and some a hair further.
pub fn candidates(
    potential: &PairPotential,
    row: &[u32],
    particles: &PackedParticles,
    centre: [f64; 3],
    [a, b]: [f64; 2],
    extra: f64,
    scratch: &mut Vec<u32>,
) -> usize {
    if scratch.len() < row.len() {
        scratch.resize(row.len(), 0);
    }
    // One size (a translation, a measurement) needs one pair size per partner, not the larger of two.
    if a == b {
        scan::<false>(potential, row, particles, centre, [a, b], extra, scratch)
    } else {
        scan::<true>(potential, row, particles, centre, [a, b], extra, scratch)
    }
}

/// [`candidates`], with the larger of the pair sizes of `a` and `b` (`TWO_SIZES`), or that of `a`
/// alone.
#[inline(always)]
fn scan<const TWO_SIZES: bool>(
    potential: &PairPotential,
    row: &[u32],
    particles: &PackedParticles,
    centre: [f64; 3],
    [a, b]: [f64; 2],
    extra: f64,
    scratch: &mut [u32],
) -> usize {
    let rounded = &particles.rounded;
    let half = f32x4::splat(0.5);
    let one = f32x4::splat(1.0);
    let non_additivity = f32x4::splat(potential.non_additivity() as f32);
    let cutoff = f32x4::splat(potential.cutoff() as f32);
    let extra = f32x4::splat(extra as f32 + particles.margin);
    let [cx, cy, cz] = centre.map(|v| f32x4::splat(v as f32));
    let (a, b) = (f32x4::splat(a as f32), f32x4::splat(b as f32));
    // λ_ij in single precision: its rounding is far inside the margin.
    let pair_size =
        |s: f32x4, size: f32x4| half * (s + size) * (one - non_additivity * (s - size).abs());
    let largest_pair_size = |size: f32x4| {
        if TWO_SIZES {
            pair_size(a, size).max(pair_size(b, size))
        } else {
            pair_size(a, size)
        }
    };
    let mut count = 0;
    let mut chunks = row.chunks_exact(4);
    for chunk in &mut chunks {
        let [x, y, z, size] = f32x4::transpose(std::array::from_fn(|l| {
            f32x4::new(rounded[chunk[l] as usize])
        }));
        let (dx, dy, dz) = (x - cx, y - cy, z - cz);
        let distance2 = dx * dx + dy * dy + dz * dz;
        let reach = cutoff * largest_pair_size(size) + extra;
        let kept = distance2.simd_lt(reach * reach).to_bitmask();
        for (l, &k) in chunk.iter().enumerate() {
            scratch[count] = k;
            count += ((kept >> l) & 1) as usize;
        }
    }
    // The last few partners, one at a time with the same arithmetic.
    for &k in chunks.remainder() {
        let [x, y, z, size] = f32x4::new(rounded[k as usize]).to_array().map(f32x4::splat);
        let (dx, dy, dz) = (x - cx, y - cy, z - cz);
        let distance2 = dx * dx + dy * dy + dz * dz;
        let reach = cutoff * largest_pair_size(size) + extra;
        scratch[count] = k;
        count += (distance2.simd_lt(reach * reach).to_bitmask() & 1) as usize;
    }
    count
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ModelParameters;
    use rand::{Rng, SeedableRng};

    /// The single-precision first pass keeps every partner that the exact test keeps, also far from
    /// the origin (where rounding to f32 moves coordinates most) and right at the cutoff.
    #[test]
    fn the_first_pass_keeps_every_partner_within_its_exact_reach() {
        let potential = ModelParameters::default().potential();
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(3);
        let mut scratch = Vec::new();
        let mut near_the_edge = 0;
        for &origin in &[0.5, 37.0, 900.0] {
            // A centre particle and partners at random directions, each at a distance within 1e-7
            // (relative) of its exact reach, on either side.
            let size: f64 = rng.random_range(1.0..2.2);
            let other: f64 = rng.random_range(1.0..2.2);
            let centre = [origin, origin + 0.3, origin - 0.2];
            let mut positions = vec![centre];
            let mut sizes = vec![size];
            for _ in 0..4001 {
                let partner_size = rng.random_range(1.0..2.2);
                let reach = potential.cutoff()
                    * potential
                        .pair_size(size, partner_size)
                        .max(potential.pair_size(other, partner_size));
                let u: [f64; 3] = std::array::from_fn(|_| rng.random_range(-1.0..1.0));
                let norm = (u[0] * u[0] + u[1] * u[1] + u[2] * u[2]).sqrt();
                // Every fourth partner is clearly out of reach.
                let r = if positions.len() % 4 == 0 {
                    reach * rng.random_range(1.001..1.01)
                } else {
                    reach * (1.0 + rng.random_range(-1e-7..1e-7))
                };
                positions.push(std::array::from_fn(|a| centre[a] + r * u[a] / norm));
                sizes.push(partner_size);
            }
            let particles = PackedParticles::new(&positions, &sizes);
            let row: Vec<u32> = (1..positions.len() as u32).collect();
            let count = candidates(
                &potential,
                &row,
                &particles,
                centre,
                [size, other],
                0.0,
                &mut scratch,
            );
            let kept: std::collections::HashSet<u32> = scratch[..count].iter().copied().collect();
            for &k in &row {
                let p = particles.exact[k as usize];
                let reach = potential.cutoff()
                    * potential
                        .pair_size(size, p[3])
                        .max(potential.pair_size(other, p[3]));
                let r2 = distance2(centre, &p);
                if r2 < reach * reach {
                    near_the_edge += 1;
                    assert!(
                        kept.contains(&k),
                        "partner {k} within reach dropped at {origin}"
                    );
                }
                // Conservative, but not wasteful: nothing 0.1% beyond the reach is kept.
                if r2 > (1.001 * reach).powi(2) {
                    assert!(
                        !kept.contains(&k),
                        "partner {k} far out of reach kept at {origin}"
                    );
                }
            }
        }
        assert!(near_the_edge > 2000, "{near_the_edge}");
    }
}
