//! The moves of one sweep, cell by cell: translations and size swaps with exact energy changes over
//! the neighbour lists, accepted by the Metropolis rule.

use rand::Rng;

use super::cells::Visit;
use super::{MoveCounts, moves, swap, translation};
use crate::domain::{Decomposition, Engine, GhostTraffic, PackedParticles, ParticlesMut};
use crate::model::PairPotential;
use crate::rng::{self, Stream};

/// The moves of one sweep: its parameters, the packed particles and what the moves add up.
pub(super) struct SweepMoves<'s> {
    pub potential: PairPotential,
    pub seed: u64,
    pub sweep: u64,
    pub cells_per_axis: usize,
    pub box_length: f64,
    pub step_size: f64,
    pub temperature: f64,
    pub swap_probability: f64,
    pub max_size_difference: Option<f64>,
    /// How far any partner can be from its position at the list build during the sweep.
    pub partner_travel: f64,
    pub packed: &'s mut PackedParticles,
    pub travel: &'s mut [[f64; 3]],
    pub counts: MoveCounts,
    pub energy_change: f64,
    pub members: Vec<usize>,
    pub scratch: Vec<u32>,
}

impl SweepMoves<'_> {
    /// Attempts a move of every particle of the cells in `order` (whole cells, sorted by cell), cell
    /// by cell, each cell's particles in an order drawn from its stream; calls `after_cell` after
    /// each cell.
    pub fn visit(
        &mut self,
        particles: ParticlesMut<'_>,
        order: &[Visit],
        after_cell: &mut dyn FnMut(),
    ) {
        let ParticlesMut {
            positions,
            sizes,
            list,
            ids,
            positions_at_build: at_build,
            ..
        } = particles;
        let m = self.cells_per_axis;
        let l = self.box_length;
        let step_size = self.step_size;
        let temperature = self.temperature;
        let partner_travel = self.partner_travel;
        let potential = &self.potential;
        let packed = &mut *self.packed;
        let scratch = &mut self.scratch;
        let members = &mut self.members;
        let counts = &mut self.counts;
        // A partner that can interact with particle k (of size λ, whose move spans a distance
        // `span`) was closer to it at the build than its reach x_c·max_j λ_ij plus `span`, plus how
        // far each of the two has moved since: only that prefix of its row (in shells of distance at
        // the build) is scanned.
        let within = |k: usize, x: [f64; 3], reach: f64, span: f64| {
            let x0 = at_build[k];
            let moved =
                ((x[0] - x0[0]).powi(2) + (x[1] - x0[1]).powi(2) + (x[2] - x0[2]).powi(2)).sqrt();
            list.neighbours_closer_than(k, reach + span + moved + partner_travel)
        };
        let accept = |delta: f64, u: f64| delta <= 0.0 || u < (-delta / temperature).exp();
        let mut start = 0;
        while start < order.len() {
            let cell = order[start].cell;
            let end = start + order[start..].partition_point(|o| o.cell == cell);
            members.clear();
            members.extend(order[start..end].iter().map(|o| o.index as usize));
            start = end;
            let cell_index = [
                cell as usize / (m * m),
                (cell as usize / m) % m,
                cell as usize % m,
            ];
            let mut stream = rng::stream(self.seed, Stream::CellMoves, &[self.sweep, cell]);
            // Fisher–Yates over the members in id order.
            for k in (1..members.len()).rev() {
                let pick = stream.random_range(0..=k);
                members.swap(k, pick);
            }
            for position in 0..members.len() {
                let i = members[position];
                // The rows live in a list too large for the nearest caches: ask for the next
                // particle's while this one's moves are computed.
                if let Some(&next) = members.get(position + 1) {
                    moves::prefetch(within(next, positions[next], list.reach(sizes[next]), 0.0));
                }
                if stream.random::<f64>() < self.swap_probability {
                    counts.swaps += 1;
                    if members.len() < 2 {
                        continue;
                    }
                    let pick = stream.random_range(0..members.len() - 1);
                    let j = members[if pick >= position { pick + 1 } else { pick }];
                    let u = stream.random::<f64>();
                    if let Some(limit) = self.max_size_difference
                        && (sizes[i] - sizes[j]).abs() >= limit
                    {
                        continue;
                    }
                    let reach = list.reach(sizes[i]).max(list.reach(sizes[j]));
                    let delta = swap(
                        potential,
                        within(i, positions[i], reach, 0.0),
                        within(j, positions[j], reach, 0.0),
                        packed,
                        ids,
                        i,
                        j,
                        scratch,
                    );
                    // In unit tests: the scanned prefixes miss no interacting partner, so the whole
                    // rows give the same sum, bit for bit.
                    #[cfg(test)]
                    assert_eq!(
                        delta,
                        swap(
                            potential,
                            list.neighbours_of(i),
                            list.neighbours_of(j),
                            packed,
                            ids,
                            i,
                            j,
                            scratch
                        )
                    );
                    if accept(delta, u) {
                        sizes.swap(i, j);
                        packed.set_size(i, sizes[i]);
                        packed.set_size(j, sizes[j]);
                        counts.swaps_accepted += 1;
                        self.energy_change += delta;
                    }
                } else {
                    counts.translations += 1;
                    let d: [f64; 3] =
                        std::array::from_fn(|_| step_size * (stream.random::<f64>() - 0.5));
                    let u = stream.random::<f64>();
                    let x = positions[i];
                    let to = [x[0] + d[0], x[1] + d[1], x[2] + d[2]];
                    if (0..3).any(|a| {
                        !(0.0..l).contains(&to[a])
                            || Decomposition::slab_of(to[a], l, m) != cell_index[a]
                    }) {
                        continue;
                    }
                    let span = (d[0] * d[0] + d[1] * d[1] + d[2] * d[2]).sqrt();
                    let delta = translation(
                        potential,
                        within(i, positions[i], list.reach(sizes[i]), span),
                        packed,
                        i,
                        to,
                        scratch,
                    );
                    #[cfg(test)]
                    assert_eq!(
                        delta,
                        translation(potential, list.neighbours_of(i), packed, i, to, scratch)
                    );
                    if accept(delta, u) {
                        positions[i] = to;
                        packed.set(i, to, sizes[i]);
                        for a in 0..3 {
                            self.travel[i][a] += d[a];
                        }
                        counts.translations_accepted += 1;
                        self.energy_change += delta;
                    }
                }
            }
            after_cell();
        }
    }

    /// Brings the packed copies of the ghosts that `traffic` updates up to date with the engine's.
    pub fn refresh_ghosts(&mut self, engine: &Engine, traffic: &GhostTraffic) {
        let (positions, sizes) = (engine.all_positions(), engine.all_sizes());
        for k in traffic.ghosts() {
            self.packed.set(k, positions[k], sizes[k]);
        }
    }
}
