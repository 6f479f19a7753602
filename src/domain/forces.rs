//! The force kernel: per-particle energy, force and virial over the full neighbour list.

use rayon::prelude::*;

use super::neighbours::NeighbourList;
use crate::model::PairPotential;

/// Per local particle: force, energy share ½Σ_j φ_ij and virial share ½Σ_j (φ'/r) r⊗r.
pub fn evaluate(
    potential: &PairPotential,
    list: &NeighbourList,
    positions: &[[f64; 3]],
    n_local: usize,
) -> (Vec<[f64; 3]>, Vec<f64>, Vec<[f64; 6]>) {
    let results: Vec<([f64; 3], f64, [f64; 6])> = (0..n_local)
        .into_par_iter()
        .with_min_len(256)
        .map(|i| {
            let xi = positions[i];
            let mut force = [0.0; 3];
            let mut energy = 0.0;
            let mut virial = [0.0; 6];
            for (j, inverse_size2) in list.row(i) {
                let xj = positions[j];
                let d = [xj[0] - xi[0], xj[1] - xi[1], xj[2] - xi[2]];
                let r2 = d[0] * d[0] + d[1] * d[1] + d[2] * d[2];
                if let Some((phi, slope)) = potential.energy_and_slope_scaled(r2, inverse_size2) {
                    energy += phi;
                    for a in 0..3 {
                        force[a] += slope * d[a];
                    }
                    virial[0] += slope * d[0] * d[0];
                    virial[1] += slope * d[1] * d[1];
                    virial[2] += slope * d[2] * d[2];
                    virial[3] += slope * d[0] * d[1];
                    virial[4] += slope * d[0] * d[2];
                    virial[5] += slope * d[1] * d[2];
                }
            }
            (force, 0.5 * energy, virial.map(|w| 0.5 * w))
        })
        .collect();
    let mut forces = Vec::with_capacity(n_local);
    let mut energies = Vec::with_capacity(n_local);
    let mut virials = Vec::with_capacity(n_local);
    for (f, e, w) in results {
        forces.push(f);
        energies.push(e);
        virials.push(w);
    }
    (forces, energies, virials)
}
