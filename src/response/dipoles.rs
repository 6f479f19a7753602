//! Force-dipole ("pinch") responses: for an interacting pair (i, j) the dipole d has n = r_ij/r at j and
//! −n at i (|d|² = 2), its response is u = H⁺ d, and the pair's frequency is
//! ω^(ij) = √(dᵀH⁺d / dᵀH⁺²d): the stiffness of u viewed as a pseudo-mode, uᵀHu/uᵀu. The sample's ω_g
//! is the mean of ω^(ij) over the pairs, with √⟨κ⟩ and the median beside it.

use std::collections::HashMap;

use rand::SeedableRng;

use super::ResponseSolver;
use super::profiles::RadialProfile;
use crate::domain::Engine;
use crate::domain::communication::{gather_to_root, sum_in_place};
use crate::error::{Error, Result};

/// Which pairs, and how.
#[derive(Clone, Debug, PartialEq)]
pub struct DipoleRequest {
    /// The number of random interacting pairs; `None` for all of them.
    pub count: Option<usize>,
    /// Seed of the choice of pairs.
    pub seed: u64,
    /// Right-hand sides solved at once.
    pub batch: usize,
    /// Width of the radial bins of the response profile.
    pub profile_bin_width: f64,
}

/// The dipole responses of one inherent state.
#[derive(Clone, Debug)]
pub struct Dipoles {
    /// The pairs (ids, the smaller first), in ascending order.
    pub pairs: Vec<[u64; 2]>,
    /// dᵀH⁺d per pair.
    pub d_hinv_d: Vec<f64>,
    /// dᵀH⁺²d = |u|² per pair.
    pub d_hinv2_d: Vec<f64>,
    /// The interacting pairs of the state.
    pub interacting_pairs: u64,
    /// Sums over the dipoles of the normalised response û = u/|u| in shells of distance from the pair's
    /// midpoint: û·r̂ and |û|².
    pub profile: RadialProfile,
    /// The linear solver.
    pub method: String,
}

impl Dipoles {
    /// ω^(ij) = √(dᵀH⁺d / dᵀH⁺²d) per pair.
    pub fn omega(&self) -> Vec<f64> {
        self.d_hinv_d
            .iter()
            .zip(&self.d_hinv2_d)
            .map(|(a, b)| (a / b).sqrt())
            .collect()
    }

    /// ω_g: the mean of ω^(ij).
    pub fn omega_g(&self) -> f64 {
        let omega = self.omega();
        omega.iter().sum::<f64>() / omega.len() as f64
    }

    /// √⟨κ⟩ with κ = dᵀH⁺d / dᵀH⁺²d.
    pub fn sqrt_mean_kappa(&self) -> f64 {
        let omega = self.omega();
        (omega.iter().map(|w| w * w).sum::<f64>() / omega.len() as f64).sqrt()
    }

    /// Each of `n` particles' lowest and mean ω^(ij) over the dipoles it belongs to (NaN for a
    /// particle in none): a local pinch frequency, low where the glass is soft.
    pub fn local_omega(&self, n: usize) -> [Vec<f64>; 2] {
        local_omega(n, &self.pairs, &self.omega())
    }

    /// The median of ω^(ij).
    pub fn median_omega(&self) -> f64 {
        let mut omega = self.omega();
        omega.sort_by(f64::total_cmp);
        let m = omega.len();
        if m % 2 == 1 {
            omega[m / 2]
        } else {
            0.5 * (omega[m / 2 - 1] + omega[m / 2])
        }
    }
}

/// Each of `n` particles' lowest and mean `omega` over the `pairs` it belongs to (NaN for a particle
/// in none).
pub fn local_omega(n: usize, pairs: &[[u64; 2]], omega: &[f64]) -> [Vec<f64>; 2] {
    let mut lowest = vec![f64::INFINITY; n];
    let (mut sum, mut count) = (vec![0.0; n], vec![0u32; n]);
    for (pair, &w) in pairs.iter().zip(omega) {
        for &id in pair {
            let i = id as usize;
            lowest[i] = lowest[i].min(w);
            sum[i] += w;
            count[i] += 1;
        }
    }
    let mean = sum
        .iter()
        .zip(&count)
        .map(|(s, &c)| if c == 0 { f64::NAN } else { s / c as f64 })
        .collect();
    for (w, &c) in lowest.iter_mut().zip(&count) {
        if c == 0 {
            *w = f64::NAN;
        }
    }
    [lowest, mean]
}

/// A chosen pair as every rank needs it: ids, the unit vector n from i to j, and the midpoint.
struct Pair {
    ids: [u64; 2],
    unit: [f64; 3],
    midpoint: [f64; 3],
}

/// The local index of each local particle, by id.
fn local_index(engine: &Engine) -> HashMap<u64, usize> {
    engine
        .local_ids()
        .iter()
        .enumerate()
        .map(|(i, &id)| (id, i))
        .collect()
}

/// The interacting partners j > i (by id) of local particle i, in ascending id order, with r_ij.
fn forward_partners(engine: &Engine, i: usize) -> Vec<(u64, [f64; 3])> {
    let potential = engine.potential();
    let cutoff2 = potential.cutoff() * potential.cutoff();
    let positions = engine.all_positions();
    let ids = engine.all_ids();
    let xi = positions[i];
    let mut partners: Vec<(u64, [f64; 3])> = engine
        .neighbour_list()
        .row(i)
        .filter_map(|(j, inverse_size2)| {
            let d = std::array::from_fn(|a| positions[j][a] - xi[a]);
            let r2: f64 = d.iter().map(|v: &f64| v * v).sum();
            (ids[j] > ids[i] && r2 * inverse_size2 < cutoff2).then_some((ids[j], d))
        })
        .collect();
    partners.sort_by_key(|p| p.0);
    partners
}

/// Chooses the pairs: `count` distinct interacting pairs drawn uniformly with `seed`, or all of them,
/// the same on any number of ranks (pairs are numbered by the smaller id, then the larger).
/// `local_index` maps the ids of the local particles to their local indices. Collective.
fn choose_pairs(
    engine: &Engine,
    local_index: &HashMap<u64, usize>,
    count: Option<usize>,
    seed: u64,
) -> Result<(Vec<Pair>, u64)> {
    let n_local = engine.n_local();
    let local_ids = engine.local_ids();
    let partners: Vec<Vec<(u64, [f64; 3])>> =
        (0..n_local).map(|i| forward_partners(engine, i)).collect();
    // Pairs per particle, in id order, on rank 0; it draws the pair numbers and names them by
    // (particle id, rank among its forward partners).
    let mut outgoing = Vec::with_capacity(2 * n_local);
    for (i, p) in partners.iter().enumerate() {
        outgoing.extend_from_slice(&[local_ids[i] as f64, p.len() as f64]);
    }
    let gathered = gather_to_root(engine.comm(), &outgoing);
    let mut chosen: Vec<f64> = Vec::new();
    let mut total = 0u64;
    if let Some(all) = gathered {
        let mut per_particle = vec![0u64; engine.n_global()];
        for record in all.chunks_exact(2) {
            per_particle[record[0] as usize] = record[1] as u64;
        }
        total = per_particle.iter().sum();
        let numbers: Vec<u64> = match count {
            None => (0..total).collect(),
            Some(m) if m as u64 > total => Vec::new(),
            Some(m) => {
                let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(seed);
                let mut drawn: Vec<u64> = rand::seq::index::sample(&mut rng, total as usize, m)
                    .into_iter()
                    .map(|k| k as u64)
                    .collect();
                drawn.sort_unstable();
                drawn
            }
        };
        let mut first = 0u64;
        let mut id = 0usize;
        for number in numbers {
            while number >= first + per_particle[id] {
                first += per_particle[id];
                id += 1;
            }
            chosen.extend_from_slice(&[id as f64, (number - first) as f64]);
        }
    }
    let mut header = [total as f64, chosen.len() as f64];
    crate::domain::communication::sum_in_place(engine.comm(), &mut header);
    let total = header[0] as u64;
    if let Some(m) = count
        && m as u64 > total
    {
        return Err(Error::Usage(format!(
            "{m} dipoles asked for, but the state has only {total} interacting pairs"
        )));
    }
    chosen.resize(header[1] as usize, 0.0);
    // Rank 0 holds the choice; summing spreads it (every other rank contributes zeros).
    sum_in_place(engine.comm(), &mut chosen);
    let m = chosen.len() / 2;
    let mut words = vec![0.0; 7 * m];
    for (k, c) in chosen.chunks_exact(2).enumerate() {
        if let Some(&i) = local_index.get(&(c[0] as u64)) {
            let (j, d) = partners[i][c[1] as usize];
            let r = (d[0] * d[0] + d[1] * d[1] + d[2] * d[2]).sqrt();
            let x = engine.local_positions()[i];
            words[7 * k..7 * k + 7].copy_from_slice(&[
                j as f64,
                d[0] / r,
                d[1] / r,
                d[2] / r,
                x[0] + 0.5 * d[0],
                x[1] + 0.5 * d[1],
                x[2] + 0.5 * d[2],
            ]);
        }
    }
    sum_in_place(engine.comm(), &mut words);
    let pairs = chosen
        .chunks_exact(2)
        .zip(words.chunks_exact(7))
        .map(|(c, w)| Pair {
            ids: [c[0] as u64, w[0] as u64],
            unit: [w[1], w[2], w[3]],
            midpoint: [w[4], w[5], w[6]],
        })
        .collect();
    Ok((pairs, total))
}

/// The responses u = H⁺d to the dipoles of `pairs`, column by column in the layout of the Hessian's
/// local rows, with dᵀH⁺d and dᵀH⁺²d of each (interleaved). Collective.
fn solve_dipoles(
    engine: &Engine,
    solver: &mut ResponseSolver,
    local_index: &HashMap<u64, usize>,
    pairs: &[Pair],
) -> Result<(Vec<f64>, Vec<f64>)> {
    let columns = pairs.len();
    let local_rows = 3 * engine.n_local();
    let mut forces = vec![0.0; local_rows * columns];
    for (c, pair) in pairs.iter().enumerate() {
        for (id, sign) in [(pair.ids[0], -1.0), (pair.ids[1], 1.0)] {
            if let Some(&i) = local_index.get(&id) {
                for a in 0..3 {
                    forces[c * local_rows + 3 * i + a] = sign * pair.unit[a];
                }
            }
        }
    }
    let (solutions, _) = solver.solve(engine, &forces, columns, super::SOLUTION_TOLERANCE)?;
    let mut products = vec![0.0; 2 * columns];
    for c in 0..columns {
        let u = &solutions[c * local_rows..(c + 1) * local_rows];
        let f = &forces[c * local_rows..(c + 1) * local_rows];
        products[2 * c] = u.iter().zip(f).map(|(a, b)| a * b).sum();
        products[2 * c + 1] = u.iter().map(|a| a * a).sum();
    }
    sum_in_place(engine.comm(), &mut products);
    Ok((solutions, products))
}

/// The response to the pinch of one chosen pair.
#[derive(Clone, Debug)]
pub struct PairResponse {
    /// The pair's ids, as given.
    pub ids: [u64; 2],
    /// The midpoint of the pair (minimum image).
    pub midpoint: [f64; 3],
    /// dᵀH⁺d.
    pub d_hinv_d: f64,
    /// dᵀH⁺²d = |u|².
    pub d_hinv2_d: f64,
    /// u = H⁺d of every particle in id order, on rank 0 (`None` elsewhere).
    pub displacement: Option<Vec<[f64; 3]>>,
}

impl PairResponse {
    /// ω^(ij) = √(dᵀH⁺d / dᵀH⁺²d).
    pub fn omega(&self) -> f64 {
        (self.d_hinv_d / self.d_hinv2_d).sqrt()
    }
}

/// The response to the dipole of the pair `ids`, which must interact. Collective.
pub fn pair_response(
    engine: &Engine,
    solver: &mut ResponseSolver,
    ids: [u64; 2],
) -> Result<PairResponse> {
    let n = engine.n_global() as u64;
    if ids[0] == ids[1] || ids.iter().any(|&id| id >= n) {
        return Err(Error::Usage(format!(
            "the pair {} {} is not two particles of the {n}",
            ids[0], ids[1]
        )));
    }
    let local_index = local_index(engine);
    // Positions and sizes of the two, from their owners.
    let mut words = [0.0; 8];
    for (k, id) in ids.iter().enumerate() {
        if let Some(&i) = local_index.get(id) {
            let x = engine.local_positions()[i];
            words[4 * k..4 * k + 4].copy_from_slice(&[x[0], x[1], x[2], engine.local_sizes()[i]]);
        }
    }
    sum_in_place(engine.comm(), &mut words);
    let l = engine.decomposition().box_length;
    // From i to j: the dipole pulls i along −n and j along n.
    let d = crate::model::minimum_image(
        [words[0], words[1], words[2]],
        [words[4], words[5], words[6]],
        l,
    );
    let r = (d[0] * d[0] + d[1] * d[1] + d[2] * d[2]).sqrt();
    let potential = engine.potential();
    let reach = potential.cutoff() * potential.pair_size(words[3], words[7]);
    if r >= reach {
        return Err(Error::Usage(format!(
            "particles {} and {} do not interact (r = {r:.4}, beyond x_c λ_ij = {reach:.4}): a pinch acts on an interacting pair",
            ids[0], ids[1]
        )));
    }
    let pair = Pair {
        ids,
        unit: d.map(|v| v / r),
        midpoint: std::array::from_fn(|a| words[a] + 0.5 * d[a]),
    };
    let (solution, products) =
        solve_dipoles(engine, solver, &local_index, std::slice::from_ref(&pair))?;
    let local: Vec<[f64; 3]> = solution
        .chunks_exact(3)
        .map(|v| [v[0], v[1], v[2]])
        .collect();
    Ok(PairResponse {
        ids,
        midpoint: pair.midpoint,
        d_hinv_d: products[0],
        d_hinv2_d: products[1],
        displacement: engine.gather(&local),
    })
}

/// The responses to the pinches of the pairs `pairs` of the engine's inherent state, from its
/// Hessian. Collective.
pub fn pinch_responses(
    session: &pinch_petsc::Session,
    engine: &mut Engine,
    pairs: &[[u64; 2]],
) -> Result<Vec<PairResponse>> {
    let hessian = crate::hessian::assemble(session, engine)?;
    let mut solver = ResponseSolver::new(session, &hessian, engine.n_global())?;
    pairs
        .iter()
        .map(|&ids| pair_response(engine, &mut solver, ids))
        .collect()
}

/// The dipole responses of the engine's configuration. Collective.
pub fn dipole_responses(
    engine: &Engine,
    solver: &mut ResponseSolver,
    request: &DipoleRequest,
) -> Result<Dipoles> {
    let local_index = local_index(engine);
    let (pairs, interacting_pairs) =
        choose_pairs(engine, &local_index, request.count, request.seed)?;
    let n_local = engine.n_local();
    let local_rows = 3 * n_local;
    let box_length = engine.decomposition().box_length;
    let mut result = Dipoles {
        pairs: pairs.iter().map(|p| p.ids).collect(),
        d_hinv_d: Vec::with_capacity(pairs.len()),
        d_hinv2_d: Vec::with_capacity(pairs.len()),
        interacting_pairs,
        profile: RadialProfile::new(box_length, request.profile_bin_width),
        method: solver.method()?,
    };
    for batch in pairs.chunks(request.batch.max(1)) {
        let (solutions, products) = solve_dipoles(engine, solver, &local_index, batch)?;
        for (c, pair) in batch.iter().enumerate() {
            let (d_hinv_d, d_hinv2_d) = (products[2 * c], products[2 * c + 1]);
            result.d_hinv_d.push(d_hinv_d);
            result.d_hinv2_d.push(d_hinv2_d);
            let u = &solutions[c * local_rows..(c + 1) * local_rows];
            let scale = 1.0 / d_hinv2_d.sqrt();
            for (x, v) in engine.local_positions().iter().zip(u.chunks_exact(3)) {
                let d = result.profile.separation(pair.midpoint, *x);
                let r = (d[0] * d[0] + d[1] * d[1] + d[2] * d[2]).sqrt();
                let radial = if r > 0.0 {
                    (v[0] * d[0] + v[1] * d[1] + v[2] * d[2]) / r * scale
                } else {
                    0.0
                };
                let magnitude2 = (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]) * scale * scale;
                result.profile.add(r, [radial, magnitude2]);
            }
        }
    }
    result.profile.reduce(engine.comm());
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_omega_is_the_lowest_and_mean_over_a_particles_pairs() {
        let pairs = [[0, 1], [1, 2], [0, 2], [2, 3]];
        let omega = [2.0, 1.0, 4.0, 3.0];
        let [lowest, mean] = local_omega(5, &pairs, &omega);
        assert_eq!(&lowest[..4], &[2.0, 1.0, 1.0, 3.0]);
        assert_eq!(&mean[..4], &[3.0, 1.5, 8.0 / 3.0, 3.0]);
        assert!(
            lowest[4].is_nan() && mean[4].is_nan(),
            "particle 4 is in no pair"
        );
    }
}
