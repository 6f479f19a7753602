//! Athermal elastic constants: the affine (Born) term minus the nonaffine relaxation Ξ·H⁺·Ξ.
//!
//! For a strain parameter γ applied affinely to every pair vector, U(γ) has the Born curvature
//! ∂²U/∂γ² and the mixed derivative Ξ = ∂²U/∂γ∂x; relaxing the particles at fixed strain lowers the
//! curvature by Ξ·H⁺·Ξ. Simple shear x_a → x_a + γ x_b in the ab plane gives
//! G_ab = (1/V)[∂²U/∂γ² − Ξ·H⁺·Ξ] (the stress–strain coefficient that sets the transverse sound
//! speed); a uniform dilation r → (1 + η) r gives the bulk modulus
//! K = −V dp/dV = (1/9V)[∂²U/∂η² − Ξ·H⁺·Ξ] + (2/3) p.

use super::ResponseSolver;
use crate::domain::Engine;
use crate::error::Result;

/// The shear planes (a, b): x_a → x_a + γ x_b. In the order xy, xz, yz.
pub const SHEAR_PLANES: [(usize, usize); 3] = [(0, 1), (0, 2), (1, 2)];

/// The athermal elastic constants of one inherent state (raw units ε/λ_min³).
#[derive(Clone, Debug, PartialEq)]
pub struct ElasticConstants {
    /// G in the xy, xz and yz planes.
    pub shear: [f64; 3],
    /// The Born terms (1/V) ∂²U/∂γ² of the three planes.
    pub shear_born: [f64; 3],
    /// The nonaffine terms (1/V) Ξ·H⁺·Ξ of the three planes.
    pub shear_nonaffine: [f64; 3],
    /// K = −V dp/dV.
    pub bulk: f64,
    /// (1/9V) ∂²U/∂η².
    pub bulk_born: f64,
    /// (1/9V) Ξ·H⁺·Ξ of the dilation.
    pub bulk_nonaffine: f64,
    /// The pressure.
    pub pressure: f64,
}

impl ElasticConstants {
    /// The mean shear modulus over the three planes.
    pub fn mean_shear(&self) -> f64 {
        self.shear.iter().sum::<f64>() / 3.0
    }
}

/// Born terms and mixed derivatives of the three shears and the dilation: per local particle Ξ_i, and
/// the global ∂²U/∂γ² (exact sums).
pub fn affine_derivatives(engine: &mut Engine) -> ([f64; 4], [Vec<[f64; 3]>; 4]) {
    engine.update(&mut []);
    let potential = engine.potential().clone();
    let list = engine.neighbour_list();
    let positions = engine.all_positions();
    let n_local = engine.n_local();
    let mut mixed: [Vec<[f64; 3]>; 4] = std::array::from_fn(|_| vec![[0.0; 3]; n_local]);
    let mut born_local = Vec::with_capacity(n_local);
    for i in 0..n_local {
        let xi = positions[i];
        let mut born = [0.0; 4];
        for (j, inverse_size2) in list.row(i) {
            let d = [
                positions[j][0] - xi[0],
                positions[j][1] - xi[1],
                positions[j][2] - xi[2],
            ];
            let r2 = d[0] * d[0] + d[1] * d[1] + d[2] * d[2];
            let (slope, curvature) = potential.slope_and_curvature_scaled(r2, inverse_size2);
            if slope == 0.0 && curvature == 0.0 {
                continue;
            }
            let radial = (curvature - slope) / r2;
            for (plane, &(a, b)) in super::elastic::SHEAR_PLANES.iter().enumerate() {
                // Each pair is in the rows of both its particles: half of its term from each.
                born[plane] += 0.5 * (radial * d[a] * d[a] * d[b] * d[b] + slope * d[b] * d[b]);
                // t = ∂(φ'/r · r_a r_b)/∂r_ij; Ξ_j += t and Ξ_i −= t.
                let xi_i = &mut mixed[plane][i];
                for c in 0..3 {
                    xi_i[c] -= radial * d[a] * d[b] * d[c];
                }
                xi_i[a] -= slope * d[b];
                xi_i[b] -= slope * d[a];
            }
            born[3] += 0.5 * curvature * r2;
            for c in 0..3 {
                mixed[3][i][c] -= (curvature + slope) * d[c];
            }
        }
        born_local.push(born);
    }
    (engine.sums(born_local), mixed)
}

/// The athermal shear moduli of the three planes and the bulk modulus. Collective.
pub fn elastic_constants(
    engine: &mut Engine,
    solver: &mut ResponseSolver,
) -> Result<ElasticConstants> {
    let (born, mixed) = affine_derivatives(engine);
    let local_rows = 3 * engine.n_local();
    let forces: Vec<f64> = mixed.iter().flatten().flatten().copied().collect();
    let (solutions, _) = solver.solve(engine, &forces, 4, super::PRODUCT_TOLERANCE)?;
    let mut products = [0.0; 4];
    for (k, product) in products.iter_mut().enumerate() {
        let column = &solutions[k * local_rows..(k + 1) * local_rows];
        *product = column
            .iter()
            .zip(&forces[k * local_rows..(k + 1) * local_rows])
            .map(|(u, f)| u * f)
            .sum();
    }
    crate::domain::communication::sum_in_place(engine.comm(), &mut products);
    let evaluation = engine.evaluate();
    let volume = engine.decomposition().box_length.powi(3);
    let pressure = evaluation.pressure(volume);
    let shear_born = [0, 1, 2].map(|k| born[k] / volume);
    let shear_nonaffine = [0, 1, 2].map(|k| products[k] / volume);
    Ok(ElasticConstants {
        shear: [0, 1, 2].map(|k| shear_born[k] - shear_nonaffine[k]),
        shear_born,
        shear_nonaffine,
        bulk: (born[3] - products[3]) / (9.0 * volume) + 2.0 * pressure / 3.0,
        bulk_born: born[3] / (9.0 * volume),
        bulk_nonaffine: products[3] / (9.0 * volume),
        pressure,
    })
}
