//! The force kernels: per-particle sums over the full neighbour list.
//!
//! The smoothing polynomial has a compile-time number of coefficients (dispatched once per call), and
//! pairs in the skin (beyond their cutoff) are masked rather than branched over: about a third of the
//! list entries lie in the skin, and a branch on them mispredicts often.

use rayon::prelude::*;

use super::neighbours::NeighbourList;
use super::packed::{PackedParticles, candidates};
use crate::model::PairPotential;

/// The pair potential's constants in the form the kernels use.
#[derive(Clone, Copy)]
struct Kernel<const NC: usize> {
    coefficients: [f64; NC],
    cutoff_squared: f64,
}

impl<const NC: usize> Kernel<NC> {
    fn new(potential: &PairPotential) -> Self {
        Kernel {
            coefficients: potential
                .coefficients()
                .try_into()
                .expect("coefficient count"),
            cutoff_squared: potential.cutoff() * potential.cutoff(),
        }
    }

    /// (φ'/r)·λ² as a polynomial in s = r²/λ² (zero beyond the cutoff), and the mask.
    #[inline(always)]
    fn slope(&self, s: f64) -> (f64, f64) {
        let inside = if s < self.cutoff_squared { 1.0 } else { 0.0 };
        let inverse = 1.0 / s;
        let inverse2 = inverse * inverse;
        let mut derivative = 0.0;
        for l in (1..NC).rev() {
            derivative = derivative * s + 2.0 * l as f64 * self.coefficients[l];
        }
        (
            inside * (derivative - 10.0 * inverse2 * inverse2 * inverse2),
            inside,
        )
    }

    /// (φ, (φ'/r)·λ²) in terms of s (both zero beyond the cutoff).
    #[inline(always)]
    fn energy_and_slope(&self, s: f64) -> (f64, f64) {
        let inside = if s < self.cutoff_squared { 1.0 } else { 0.0 };
        let inverse = 1.0 / s;
        let inverse2 = inverse * inverse;
        let inverse5 = inverse2 * inverse2 * inverse;
        let (mut polynomial, mut derivative) = (0.0, 0.0);
        for l in (1..NC).rev() {
            polynomial = polynomial * s + self.coefficients[l];
            derivative = derivative * s + 2.0 * l as f64 * self.coefficients[l];
        }
        // The slope exactly as in `slope`, so both kernels give bitwise the same forces.
        (
            inside * (inverse5 + polynomial * s + self.coefficients[0]),
            inside * (derivative - 10.0 * inverse2 * inverse2 * inverse2),
        )
    }
}

macro_rules! dispatch {
    ($potential:expr, $function:ident ( $($arg:expr),* )) => {
        match $potential.coefficients().len() {
            1 => $function(Kernel::<1>::new($potential), $($arg),*),
            2 => $function(Kernel::<2>::new($potential), $($arg),*),
            3 => $function(Kernel::<3>::new($potential), $($arg),*),
            4 => $function(Kernel::<4>::new($potential), $($arg),*),
            5 => $function(Kernel::<5>::new($potential), $($arg),*),
            6 => $function(Kernel::<6>::new($potential), $($arg),*),
            7 => $function(Kernel::<7>::new($potential), $($arg),*),
            8 => $function(Kernel::<8>::new($potential), $($arg),*),
            9 => $function(Kernel::<9>::new($potential), $($arg),*),
            n => unreachable!("{n} smoothing coefficients"),
        }
    };
}

/// Forces on the local particles, written into `forces` (resized to `n_local`).
pub fn forces(
    potential: &PairPotential,
    list: &NeighbourList,
    positions: &[[f64; 3]],
    sizes: &[f64],
    n_local: usize,
    forces: &mut Vec<[f64; 3]>,
) {
    forces.resize(n_local, [0.0; 3]);
    dispatch!(potential, forces_with(list, positions, sizes, forces))
}

fn forces_with<const NC: usize>(
    kernel: Kernel<NC>,
    list: &NeighbourList,
    positions: &[[f64; 3]],
    sizes: &[f64],
    forces: &mut [[f64; 3]],
) {
    forces
        .par_iter_mut()
        .with_min_len(512)
        .enumerate()
        .for_each(|(i, force)| {
            let xi = positions[i];
            let mut f = [0.0; 3];
            let mut add = |j: usize, inverse_size2: f64| {
                let xj = positions[j];
                let d = [xj[0] - xi[0], xj[1] - xi[1], xj[2] - xi[2]];
                let s = (d[0] * d[0] + d[1] * d[1] + d[2] * d[2]) * inverse_size2;
                let slope = kernel.slope(s).0 * inverse_size2;
                f[0] += slope * d[0];
                f[1] += slope * d[1];
                f[2] += slope * d[2];
            };
            if list.in_shells() {
                for (j, inverse_size2) in list.sized_row_within(i, sizes) {
                    add(j, inverse_size2);
                }
            } else {
                for (j, inverse_size2) in list.row(i) {
                    add(j, inverse_size2);
                }
            }
            *force = f;
        });
}

/// Per local particle: force, energy share ½Σ_j φ_ij and virial share ½Σ_j (φ'/r) r⊗r.
pub fn evaluate(
    potential: &PairPotential,
    list: &NeighbourList,
    positions: &[[f64; 3]],
    sizes: &[f64],
    n_local: usize,
) -> (Vec<[f64; 3]>, Vec<f64>, Vec<[f64; 6]>) {
    // Any-size rows are mostly partners beyond their cutoff: a single-precision first pass over the
    // packed particles keeps the others (and a few more, which add exact zeros).
    let packed = list
        .in_shells()
        .then(|| PackedParticles::new(positions, sizes));
    dispatch!(
        potential,
        evaluate_with(potential, packed.as_ref(), list, positions, sizes, n_local)
    )
}

fn evaluate_with<const NC: usize>(
    kernel: Kernel<NC>,
    potential: &PairPotential,
    packed: Option<&PackedParticles>,
    list: &NeighbourList,
    positions: &[[f64; 3]],
    sizes: &[f64],
    n_local: usize,
) -> (Vec<[f64; 3]>, Vec<f64>, Vec<[f64; 6]>) {
    let mut forces = vec![[0.0; 3]; n_local];
    let mut energies = vec![0.0; n_local];
    let mut virials = vec![[0.0; 6]; n_local];
    forces
        .par_iter_mut()
        .zip(energies.par_iter_mut())
        .zip(virials.par_iter_mut())
        .with_min_len(512)
        .enumerate()
        .for_each_init(
            Vec::new,
            |kept: &mut Vec<u32>, (i, ((force, energy), virial))| {
                let xi = positions[i];
                let (mut f, mut e, mut w) = ([0.0; 3], 0.0, [0.0; 6]);
                let separation = |j: usize| {
                    let xj = positions[j];
                    [xj[0] - xi[0], xj[1] - xi[1], xj[2] - xi[2]]
                };
                let scaled_distance2 = |d: [f64; 3], inverse_size2: f64| {
                    (d[0] * d[0] + d[1] * d[1] + d[2] * d[2]) * inverse_size2
                };
                let mut add = |j: usize, inverse_size2: f64| {
                    let d = separation(j);
                    let s = scaled_distance2(d, inverse_size2);
                    let (phi, slope) = kernel.energy_and_slope(s);
                    let slope = slope * inverse_size2;
                    e += phi;
                    for a in 0..3 {
                        f[a] += slope * d[a];
                    }
                    w[0] += slope * d[0] * d[0];
                    w[1] += slope * d[1] * d[1];
                    w[2] += slope * d[2] * d[2];
                    w[3] += slope * d[0] * d[1];
                    w[4] += slope * d[0] * d[2];
                    w[5] += slope * d[1] * d[2];
                };
                if let Some(packed) = packed {
                    let size = sizes[i];
                    let row = list.neighbours_within(i, size);
                    let count = candidates(potential, row, packed, xi, [size, size], 0.0, kept);
                    for &j in &kept[..count] {
                        let pair_size = potential.pair_size(size, sizes[j as usize]);
                        add(j as usize, 1.0 / (pair_size * pair_size));
                    }
                } else {
                    for (j, inverse_size2) in list.row(i) {
                        add(j, inverse_size2);
                    }
                }
                *force = f;
                *energy = 0.5 * e;
                *virial = w.map(|x| 0.5 * x);
            },
        );
    (forces, energies, virials)
}
