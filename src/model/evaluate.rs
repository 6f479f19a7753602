//! Serial reference evaluation of the model: energy, forces, virial and pressure.
//!
//! This is the definition the distributed engine is checked against. Interacting pairs are found with
//! a periodic cell list of cells no smaller than the largest interaction range (or, for boxes too small
//! to hold three such cells per edge, by checking every pair under the minimum-image convention).

use super::configuration::Configuration;
use super::potential::PairPotential;

/// Energy, forces and virial of a configuration.
#[derive(Clone, Debug, PartialEq)]
pub struct Observables {
    /// Total potential energy U [ε].
    pub energy: f64,
    /// Force on each particle, F_i = −∂U/∂x_i [ε/λ_min].
    pub forces: Vec<[f64; 3]>,
    /// Virial tensor W_αβ = Σ_pairs (φ'/r) r_α r_β, in the order xx, yy, zz, xy, xz, yz [ε].
    pub virial: [f64; 6],
    /// Interacting pairs (r < x_c λ_ij).
    pub interacting_pairs: usize,
}

impl Observables {
    /// Energy per particle U/N.
    pub fn energy_per_particle(&self) -> f64 {
        self.energy / self.forces.len() as f64
    }

    /// Largest force component max_i,α |F_iα|.
    pub fn max_force(&self) -> f64 {
        self.forces
            .iter()
            .flatten()
            .fold(0.0, |m, f| m.max(f.abs()))
    }

    /// The athermal (T = 0) pressure p = −(W_xx + W_yy + W_zz)/(3V).
    pub fn pressure(&self, volume: f64) -> f64 {
        athermal_pressure(&self.virial, volume)
    }
}

/// The athermal (T = 0) pressure p = −(W_xx + W_yy + W_zz)/(3V) of a virial tensor (order xx, yy, zz, …).
pub fn athermal_pressure(virial: &[f64; 6], volume: f64) -> f64 {
    -(virial[0] + virial[1] + virial[2]) / (3.0 * volume)
}

/// Calls `visit(i, j, r_ij, r², λ_ij)` once for every pair i < j closer than its cutoff x_c λ_ij,
/// with r_ij = x_j − x_i the minimum-image pair vector.
pub fn for_each_interacting_pair<F>(
    configuration: &Configuration,
    potential: &PairPotential,
    mut visit: F,
) where
    F: FnMut(usize, usize, [f64; 3], f64, f64),
{
    let cutoff2 = potential.cutoff() * potential.cutoff();
    let mut consider = |i: usize, j: usize| {
        let d = configuration.pair_vector(i, j);
        let r2 = d[0] * d[0] + d[1] * d[1] + d[2] * d[2];
        let pair_size = potential.pair_size(configuration.sizes[i], configuration.sizes[j]);
        if r2 < cutoff2 * pair_size * pair_size {
            visit(i, j, d, r2, pair_size);
        }
    };
    let range = potential.range(configuration.largest_size());
    let l = configuration.box_length;
    let cells_per_edge = (l / range).floor() as usize;
    if cells_per_edge < 3 {
        let n = configuration.len();
        for i in 0..n {
            for j in i + 1..n {
                consider(i, j);
            }
        }
        return;
    }
    let m = cells_per_edge;
    let cell_of =
        |x: [f64; 3]| -> [usize; 3] { x.map(|c| ((c / l * m as f64) as usize).min(m - 1)) };
    let index = |c: [usize; 3]| (c[0] * m + c[1]) * m + c[2];
    // Counting sort of particles by cell.
    let mut start = vec![0usize; m * m * m + 1];
    for &x in &configuration.positions {
        start[index(cell_of(x)) + 1] += 1;
    }
    for c in 0..m * m * m {
        start[c + 1] += start[c];
    }
    let mut fill = start.clone();
    let mut members = vec![0usize; configuration.len()];
    for (i, &x) in configuration.positions.iter().enumerate() {
        let c = index(cell_of(x));
        members[fill[c]] = i;
        fill[c] += 1;
    }
    for cx in 0..m {
        for cy in 0..m {
            for cz in 0..m {
                let home = index([cx, cy, cz]);
                for dx in [m - 1, 0, 1] {
                    for dy in [m - 1, 0, 1] {
                        for dz in [m - 1, 0, 1] {
                            let other = index([(cx + dx) % m, (cy + dy) % m, (cz + dz) % m]);
                            for &i in &members[start[home]..start[home + 1]] {
                                for &j in &members[start[other]..start[other + 1]] {
                                    if i < j {
                                        consider(i, j);
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Refuses a configuration whose energy or forces are not finite numbers (overlapping particles),
/// naming the first offending pair.
pub fn check_finite_energy(
    configuration: &Configuration,
    potential: &PairPotential,
) -> Result<(), crate::model::ConfigurationError> {
    let mut energy = 0.0;
    let mut overlap = None;
    for_each_interacting_pair(configuration, potential, |i, j, _, r2, pair_size| {
        let (phi, slope) = potential.energy_and_slope(r2, pair_size);
        energy += phi;
        if overlap.is_none() && !(phi.is_finite() && slope.is_finite()) {
            overlap = Some(crate::model::ConfigurationError::Overlap {
                first: i.min(j),
                second: i.max(j),
                distance: r2.sqrt(),
                pair_size,
            });
        }
    });
    match overlap {
        Some(error) => Err(error),
        None if !energy.is_finite() => {
            Err(crate::model::ConfigurationError::EnergyOverflow(energy))
        }
        None => Ok(()),
    }
}

/// Energy, forces and virial of `configuration`.
pub fn evaluate(configuration: &Configuration, potential: &PairPotential) -> Observables {
    let mut energy = 0.0;
    let mut forces = vec![[0.0; 3]; configuration.len()];
    let mut virial = [0.0; 6];
    let mut interacting_pairs = 0;
    for_each_interacting_pair(configuration, potential, |i, j, d, r2, pair_size| {
        let (phi, slope) = potential.energy_and_slope(r2, pair_size);
        energy += phi;
        interacting_pairs += 1;
        for a in 0..3 {
            forces[i][a] += slope * d[a];
            forces[j][a] -= slope * d[a];
        }
        virial[0] += slope * d[0] * d[0];
        virial[1] += slope * d[1] * d[1];
        virial[2] += slope * d[2] * d[2];
        virial[3] += slope * d[0] * d[1];
        virial[4] += slope * d[0] * d[2];
        virial[5] += slope * d[1] * d[2];
    });
    Observables {
        energy,
        forces,
        virial,
        interacting_pairs,
    }
}

/// The Hessian applied to a displacement field, (H v)_i = Σ_j K_ij (v_i − v_j): the serial reference for
/// the distributed sparse Hessian.
pub fn hessian_times(
    configuration: &Configuration,
    potential: &PairPotential,
    v: &[[f64; 3]],
) -> Vec<[f64; 3]> {
    let mut result = vec![[0.0; 3]; configuration.len()];
    for_each_interacting_pair(configuration, potential, |i, j, d, _, pair_size| {
        let k = potential.stiffness(d, pair_size);
        for a in 0..3 {
            let mut t = 0.0;
            for b in 0..3 {
                t += k[3 * a + b] * (v[i][b] - v[j][b]);
            }
            result[i][a] += t;
            result[j][a] -= t;
        }
    });
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ModelParameters, random_configuration};

    fn sample(n: usize, seed: u64, density: f64) -> (Configuration, PairPotential) {
        let parameters = ModelParameters {
            number_density: density,
            ..ModelParameters::default()
        };
        (
            random_configuration(&parameters, n, seed),
            parameters.potential(),
        )
    }

    /// Moves particles apart from very close contacts so finite differences stay well conditioned.
    fn relaxed(n: usize, seed: u64, density: f64) -> (Configuration, PairPotential) {
        let (mut c, potential) = sample(n, seed, density);
        for _ in 0..200 {
            let f = evaluate(&c, &potential).forces;
            let step = 1e-3
                / f.iter()
                    .flatten()
                    .fold(1e-12, |m: f64, x| m.max(x.abs()))
                    .max(1.0);
            for (x, f) in c.positions.iter_mut().zip(&f) {
                for a in 0..3 {
                    x[a] += step * f[a];
                }
            }
            Configuration::wrap(c.box_length, &mut c.positions);
        }
        (c, potential)
    }

    fn brute_force_energy(c: &Configuration, potential: &PairPotential) -> f64 {
        let mut energy = 0.0;
        for i in 0..c.len() {
            for j in i + 1..c.len() {
                let d = c.pair_vector(i, j);
                energy += potential.energy(
                    d[0] * d[0] + d[1] * d[1] + d[2] * d[2],
                    potential.pair_size(c.sizes[i], c.sizes[j]),
                );
            }
        }
        energy
    }

    #[test]
    fn cell_list_finds_the_same_pairs_as_all_pairs() {
        for (n, density) in [(800, 0.58), (1500, 1.1)] {
            let (c, potential) = sample(n, 3, density);
            let reference = brute_force_energy(&c, &potential);
            let energy = evaluate(&c, &potential).energy;
            assert!(
                (energy - reference).abs() <= 1e-12 * reference.abs(),
                "{energy} vs {reference}"
            );
            let mut pairs = Vec::new();
            for_each_interacting_pair(&c, &potential, |i, j, _, _, _| pairs.push((i, j)));
            let count = pairs.len();
            pairs.sort_unstable();
            pairs.dedup();
            assert_eq!(pairs.len(), count, "a pair was visited twice");
        }
    }

    #[test]
    fn forces_are_minus_the_energy_gradient() {
        // Random (T = ∞) and dense configurations, relative 1e-7.
        for (n, density, seed) in [(400, 0.58, 1), (400, 1.2, 2), (250, 2.0, 4)] {
            let (c, potential) = relaxed(n, seed, density);
            let forces = evaluate(&c, &potential).forces;
            let scale = forces.iter().flatten().fold(0.0f64, |m, f| m.max(f.abs()));
            let h = 1e-6;
            for i in (0..n).step_by(23) {
                for a in 0..3 {
                    let mut plus = c.clone();
                    plus.positions[i][a] += h;
                    let mut minus = c.clone();
                    minus.positions[i][a] -= h;
                    let gradient = (evaluate(&plus, &potential).energy
                        - evaluate(&minus, &potential).energy)
                        / (2.0 * h);
                    let error = (forces[i][a] + gradient).abs();
                    assert!(
                        error <= 1e-7 * scale,
                        "particle {i} axis {a}: F = {}, -dU/dx = {}",
                        forces[i][a],
                        -gradient
                    );
                }
            }
        }
    }

    #[test]
    fn hessian_is_the_derivative_of_the_forces() {
        let (c, potential) = relaxed(300, 8, 0.9);
        let mut rng = crate::rng::stream(1, crate::rng::Stream::InitialPositions, &[99]);
        let v: Vec<[f64; 3]> = (0..c.len())
            .map(|_| std::array::from_fn(|_| rand::Rng::random::<f64>(&mut rng) - 0.5))
            .collect();
        let hv = hessian_times(&c, &potential, &v);
        let h = 1e-6;
        let displaced = |sign: f64| {
            let mut d = c.clone();
            for (x, dv) in d.positions.iter_mut().zip(&v) {
                for a in 0..3 {
                    x[a] += sign * h * dv[a];
                }
            }
            evaluate(&d, &potential).forces
        };
        let (fp, fm) = (displaced(1.0), displaced(-1.0));
        let scale = hv.iter().flatten().fold(0.0f64, |m, x| m.max(x.abs()));
        for i in 0..c.len() {
            for a in 0..3 {
                let fd = -(fp[i][a] - fm[i][a]) / (2.0 * h);
                assert!(
                    (fd - hv[i][a]).abs() <= 1e-6 * scale,
                    "particle {i}: {fd} vs {}",
                    hv[i][a]
                );
            }
        }
        // Uniform translations are zero modes.
        let translation = vec![[0.3, -0.2, 0.7]; c.len()];
        let ht = hessian_times(&c, &potential, &translation);
        assert!(ht.iter().flatten().all(|x| x.abs() < 1e-12 * scale));
    }

    #[test]
    fn energy_is_invariant_under_translation_and_relabelling() {
        let (c, potential) = sample(1000, 5, 0.58);
        let reference = evaluate(&c, &potential);
        let mut shifted = c.clone();
        for x in &mut shifted.positions {
            x[0] += 0.37 * c.box_length;
            x[1] -= 1.91;
            x[2] += 12.5;
        }
        Configuration::wrap(c.box_length, &mut shifted.positions);
        let moved = evaluate(&shifted, &potential);
        assert!((moved.energy - reference.energy).abs() <= 1e-12 * reference.energy.abs());
        assert!(
            (moved.pressure(c.volume()) - reference.pressure(c.volume())).abs()
                <= 1e-12 * reference.pressure(c.volume()).abs()
        );

        let n = c.len();
        let permutation: Vec<usize> = (0..n).map(|k| (k * 389 + 17) % n).collect();
        let relabelled = Configuration {
            box_length: c.box_length,
            positions: permutation.iter().map(|&k| c.positions[k]).collect(),
            sizes: permutation.iter().map(|&k| c.sizes[k]).collect(),
        };
        let permuted = evaluate(&relabelled, &potential);
        assert!((permuted.energy - reference.energy).abs() <= 1e-12 * reference.energy.abs());
        for (new, &old) in permutation.iter().enumerate() {
            for a in 0..3 {
                assert!(
                    (permuted.forces[new][a] - reference.forces[old][a]).abs()
                        <= 1e-9 * reference.max_force()
                );
            }
        }
        // Newton's third law: the total force vanishes.
        for a in 0..3 {
            let total: f64 = reference.forces.iter().map(|f| f[a]).sum();
            assert!(total.abs() < 1e-9 * reference.max_force());
        }
    }

    #[test]
    fn pressure_is_minus_the_volume_derivative_of_the_energy() {
        let (c, potential) = relaxed(500, 6, 0.58);
        let observables = evaluate(&c, &potential);
        let scaled_energy = |factor: f64| {
            let mut d = c.clone();
            d.box_length *= factor;
            for x in &mut d.positions {
                for a in 0..3 {
                    x[a] *= factor;
                }
            }
            evaluate(&d, &potential).energy
        };
        let h = 1e-6;
        // dU/dV = dU/dL / (3L²) with L → L(1 ± h).
        let dudl = (scaled_energy(1.0 + h) - scaled_energy(1.0 - h)) / (2.0 * h * c.box_length);
        let fd_pressure = -dudl / (3.0 * c.box_length * c.box_length);
        let p = observables.pressure(c.volume());
        assert!(
            (fd_pressure - p).abs() < 1e-6 * p.abs(),
            "{fd_pressure} vs {p}"
        );
    }
}
