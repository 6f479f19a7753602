//! Swap Monte Carlo at the parent temperature T_p, on the distributed engine.
//!
//! Moves (physics.md (b)): a translation of one particle by δ·(U(−½, ½))³, or, with probability
//! p_swap, an exchange of its size with another particle's (optionally only if the sizes differ by less
//! than Δλ), accepted with the Metropolis rule at T_p.
//!
//! **The parallel scheme** (the argument is written out in `docs/swap-monte-carlo.md`). The box is cut
//! into m³ cubic cells, m even, each at least as wide as the largest interaction range x_c·max λ. Cells
//! are coloured by the parities of their three indices (eight colours), and a sweep updates the colours
//! one after the other ([`COLOUR_ORDER`]). Within a colour, every cell's particles are visited once
//! each in a random order; a translation that would leave the cell is rejected and a swap partner is
//! drawn from the same cell. Two cells of one colour are a full cell apart, so their moves never
//! interact and may run at the same time on different ranks, in any order: the cells with no ghost
//! within range go while the previous colour's ghost update travels. Every `grid_shift_interval` sweeps the whole system is translated by a random
//! vector (an exact symmetry of the periodic box), which moves the cell grid relative to the particles;
//! domain boundaries lie on cell boundaries, so no cell is split between ranks.
//!
//! **Decomposition independence.** The random numbers of a cell come from a stream keyed by (seed,
//! sweep, cell), the cell's particles are visited in an order drawn from that stream over their global
//! ids, and energy changes are summed over neighbour lists in an order fixed by the configuration. A given seed therefore
//! gives a bitwise identical trajectory on any number of ranks, and resuming from a checkpoint (which
//! holds the configuration, the sweep count and the step size) continues it bitwise.
//!
//! **Lists.** Swaps change sizes, so the lists hold every pair within x_c·max λ + skin whatever the
//! sizes. A particle is translated at most once per sweep, by at most h = δ√3/2, so lists stay exact
//! for a sweep if the two largest displacements since the build plus 2h are below the skin; otherwise
//! they are rebuilt before it. Lists only ever speed up the computation of exact energy changes.

mod cells;
pub mod checkpoint;
pub mod equilibration;
mod moves;
mod parameters;
pub mod run;
mod scattering;
mod sweep;

use mpi::topology::Communicator;
use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::domain::{Engine, Layout};
use crate::error::{Error, Result};
use crate::model::{Configuration, PairPotential, ParameterError};
use crate::rng::{self, Stream};

pub use moves::{swap, translation};
pub use parameters::{
    RESTRICTED_SIZE_DIFFERENCE, RESTRICTED_SWAPS_UP_TO, SwapParameters,
    default_max_size_difference, default_skin,
};
pub use scattering::TimeOrigin;

use cells::CellOrder;
use sweep::SweepMoves;

/// The order of the colours in a sweep (colour = 4·(i mod 2) + 2·(j mod 2) + (k mod 2) for cell
/// (i, j, k)). The parity along x changes at every step, and along y at all but one. A domain with an
/// odd number of cells along a cut axis holds more cells of one parity than of the other (three even
/// and two odd of five, say) and its neighbour the reverse, so with the order 0, 1, …, 7 one rank has
/// half as much again to do as the other for four colours in a row, and each waits for the other at
/// every ghost update. Alternating the parity evens the work out from one colour to the next, and the
/// overlap of each ghost update with the next colour's inner cells absorbs the rest.
const COLOUR_ORDER: [usize; 8] = [0, 6, 1, 7, 2, 4, 3, 5];

/// Sweeps per adjustment of the step size during tuning.
pub const TUNING_BLOCK: u64 = 10;

/// Attempted and accepted moves.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MoveCounts {
    /// Translations attempted.
    pub translations: u64,
    /// Translations accepted.
    pub translations_accepted: u64,
    /// Swaps attempted.
    pub swaps: u64,
    /// Swaps accepted.
    pub swaps_accepted: u64,
}

impl MoveCounts {
    /// The sums over all ranks. Collective.
    fn global(&self, comm: &mpi::topology::SimpleCommunicator) -> MoveCounts {
        let [a, b, c, d] = crate::domain::communication::counts(
            comm,
            [
                self.translations,
                self.translations_accepted,
                self.swaps,
                self.swaps_accepted,
            ],
        );
        MoveCounts {
            translations: a,
            translations_accepted: b,
            swaps: c,
            swaps_accepted: d,
        }
    }

    fn add(&mut self, other: &MoveCounts) {
        self.translations += other.translations;
        self.translations_accepted += other.translations_accepted;
        self.swaps += other.swaps;
        self.swaps_accepted += other.swaps_accepted;
    }

    /// Accepted over attempted translations (0 if none).
    pub fn translation_acceptance(&self) -> f64 {
        ratio(self.translations_accepted, self.translations)
    }

    /// Accepted over attempted swaps (0 if none).
    pub fn swap_acceptance(&self) -> f64 {
        ratio(self.swaps_accepted, self.swaps)
    }
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

/// The state a run is resumed from, besides the configuration: everything the trajectory depends on.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SamplerState {
    /// Sweeps done.
    pub sweep: u64,
    /// The current step size δ.
    pub step_size: f64,
    /// The total translation applied to the system, so that positions are reported in the frame of
    /// the starting configuration.
    pub shift: [f64; 3],
    /// Moves of all ranks counted in the current tuning block.
    pub tuning_counts: MoveCounts,
    /// Moves of all ranks not yet reported by [`SwapMonteCarlo::take_counts`] when the state was
    /// taken (for a checkpoint).
    #[serde(default)]
    pub unreported: MoveCounts,
}

/// What a trajectory continues from besides the configuration (see [`SwapMonteCarlo::checkpoint`]).
#[derive(Clone, Debug, PartialEq)]
pub struct Resumed {
    /// The sampler's state.
    pub state: SamplerState,
    /// Every particle's travel, in id order.
    pub travel: Vec<[f64; 3]>,
    /// Time origins of F_s, every particle in id order.
    pub origins: Vec<TimeOrigin>,
    /// Every particle's position at the last list build, in id order (the order of list rows, and so
    /// of sums, depends on them): `None` starts from fresh lists.
    pub built_at: Option<Vec<[f64; 3]>>,
}

/// Swap Monte Carlo on the distributed engine.
pub struct SwapMonteCarlo<'c> {
    engine: Engine<'c>,
    parameters: SwapParameters,
    seed: u64,
    cells_per_axis: usize,
    state: SamplerState,
    /// Each local particle's displacement by accepted translations since the start (migrates with it).
    travel: Vec<[f64; 3]>,
    /// Time origins of the self-intermediate scattering function, over the local particles (their
    /// phases migrate with them).
    origins: Vec<TimeOrigin>,
    /// Moves of the local particles since the counters were last read.
    counts: MoveCounts,
    /// The sum of the energy changes of the accepted moves of the local particles since it was last
    /// read.
    accepted_energy_change: f64,
    /// The order in which the cells and their particles are visited, for the current list build.
    cells: Option<CellOrder>,
}

impl<'c> SwapMonteCarlo<'c> {
    /// Distributes `configuration` over the ranks of `comm` and prepares sweeps with `seed`. The
    /// configuration is taken to be at the start of the trajectory; use [`Self::resume`] to continue
    /// one.
    pub fn new(
        comm: &'c mpi::topology::SimpleCommunicator,
        configuration: &Configuration,
        potential: PairPotential,
        parameters: SwapParameters,
        seed: u64,
    ) -> Result<Self> {
        let state = SamplerState {
            sweep: 0,
            step_size: parameters.step_size,
            shift: [0.0; 3],
            tuning_counts: MoveCounts::default(),
            unreported: MoveCounts::default(),
        };
        let travel = vec![[0.0; 3]; configuration.len()];
        let resumed = Resumed {
            state,
            travel,
            origins: Vec::new(),
            built_at: None,
        };
        Self::resume(comm, configuration, potential, parameters, seed, resumed)
    }

    /// Continues a trajectory from `configuration` in the sampler's frame (as
    /// [`Self::checkpoint`] gives it) and what else the checkpoint holds.
    pub fn resume(
        comm: &'c mpi::topology::SimpleCommunicator,
        configuration: &Configuration,
        potential: PairPotential,
        parameters: SwapParameters,
        seed: u64,
        resumed: Resumed,
    ) -> Result<Self> {
        let Resumed {
            state,
            travel,
            origins,
            built_at,
        } = resumed;
        parameters.validate().map_err(|error| Error::Parameter {
            origin: "swap Monte Carlo".into(),
            error,
        })?;
        let range = potential.range(configuration.largest_size());
        let cells_per_axis = 2 * (configuration.box_length / (2.0 * range)).floor() as usize;
        if cells_per_axis < 2 {
            return Err(Error::Parameter {
                origin: "swap Monte Carlo".into(),
                error: ParameterError {
                    field: "box_length",
                    reason: format!(
                        "= {:.4} is too small: the box must hold two cells as wide as the largest \
                         interaction range {range:.4}",
                        configuration.box_length
                    ),
                },
            });
        }
        let layout = Layout {
            slabs: Some(cells_per_axis),
            any_sizes: true,
        };
        // Lists as the interrupted run had them: built at the positions of its last build, then the
        // particles put where they are now.
        let engine = match &built_at {
            Some(positions) => {
                let at_build = Configuration {
                    positions: positions.clone(),
                    ..configuration.clone()
                };
                let mut engine =
                    Engine::with_layout(comm, &at_build, potential, parameters.skin, layout)?;
                engine.set_local_positions(|id| configuration.positions[id as usize]);
                engine
            }
            None => Engine::with_layout(comm, configuration, potential, parameters.skin, layout)?,
        };
        let local = |values: &[[f64; 3]]| -> Vec<[f64; 3]> {
            engine
                .local_ids()
                .iter()
                .map(|&id| values[id as usize])
                .collect()
        };
        let travel = local(&travel);
        // Moves counted before the checkpoint are reported once, by rank 0.
        let counts = if comm.rank() == 0 {
            state.unreported
        } else {
            MoveCounts::default()
        };
        let origins = origins
            .iter()
            .map(|origin| TimeOrigin {
                sweep: origin.sweep,
                cos: local(&origin.cos),
                sin: local(&origin.sin),
            })
            .collect();
        Ok(SwapMonteCarlo {
            engine,
            parameters,
            seed,
            cells_per_axis,
            state,
            travel,
            origins,
            counts,
            accepted_energy_change: 0.0,
            cells: None,
        })
    }

    /// Everything needed to continue the trajectory bitwise, gathered on rank 0 (`None` elsewhere):
    /// the configuration in the sampler's frame (the starting frame translated by `state.shift`) and
    /// the rest. Collective.
    pub fn checkpoint(&self) -> Option<(Configuration, Resumed)> {
        let unreported = self.counts.global(self.engine.comm());
        let configuration = self.engine.gather_configuration();
        let travel = self.engine.gather(&self.travel);
        let built_at = self.engine.gather(self.engine.positions_at_build());
        let origins: Vec<_> = self
            .origins
            .iter()
            .map(|origin| {
                let cos = self.engine.gather(&origin.cos);
                let sin = self.engine.gather(&origin.sin);
                (origin.sweep, cos, sin)
            })
            .collect();
        let configuration = configuration?;
        Some((
            configuration,
            Resumed {
                state: SamplerState {
                    unreported,
                    ..self.state.clone()
                },
                travel: travel?,
                built_at,
                origins: origins
                    .into_iter()
                    .map(|(sweep, cos, sin)| TimeOrigin {
                        sweep,
                        cos: cos.expect("gathered on rank 0"),
                        sin: sin.expect("gathered on rank 0"),
                    })
                    .collect(),
            },
        ))
    }

    /// Rebuilds the lists, carrying the per-particle arrays along. Collective.
    fn rebuild(&mut self) {
        let mut carried: Vec<&mut Vec<[f64; 3]>> = std::iter::once(&mut self.travel)
            .chain(
                self.origins
                    .iter_mut()
                    .flat_map(|origin| [&mut origin.cos, &mut origin.sin]),
            )
            .collect();
        self.engine.rebuild_now(&mut carried);
    }

    /// Energy, forces and virial of the current configuration. Collective.
    pub fn evaluate(&mut self) -> crate::domain::Evaluation {
        let mut carried: Vec<&mut Vec<[f64; 3]>> = std::iter::once(&mut self.travel)
            .chain(
                self.origins
                    .iter_mut()
                    .flat_map(|origin| [&mut origin.cos, &mut origin.sin]),
            )
            .collect();
        self.engine.update(&mut carried);
        self.engine.evaluate()
    }

    /// Starts a time origin of the self-intermediate scattering function at wavenumber `wavenumber`
    /// (the one every measurement of F_s uses) at the current sweep.
    pub fn add_origin(&mut self, wavenumber: f64) {
        let origin = TimeOrigin::new(self.state.sweep, &self.travel, wavenumber);
        self.origins.push(origin);
    }

    /// Drops the time origins set before `sweep`.
    pub fn drop_origins_before(&mut self, sweep: u64) {
        self.origins.retain(|origin| origin.sweep >= sweep);
    }

    /// F_s(k, t) = ⟨cos(k Δx_α)⟩ over particles and the three axes at the origins' wavenumber `k`,
    /// for every time origin: (origin sweep, value). Exact sums, so decomposition-independent.
    /// Collective.
    pub fn self_intermediate_scattering(&self, wavenumber: f64) -> Vec<(u64, f64)> {
        let n = 3.0 * self.engine.n_global() as f64;
        let (cos, sin) = scattering::phases(&self.travel, wavenumber);
        self.origins
            .iter()
            .map(|origin| {
                let sum = self.engine.sum(origin.overlaps(&cos, &sin));
                (origin.sweep, sum / n)
            })
            .collect()
    }

    /// The engine (in the translated frame: see [`Self::configuration`] for positions in the original
    /// one).
    pub fn engine(&mut self) -> &mut Engine<'c> {
        &mut self.engine
    }

    /// The parameters.
    pub fn parameters(&self) -> &SwapParameters {
        &self.parameters
    }

    /// What a resumed run needs besides the configuration and the travel.
    pub fn state(&self) -> &SamplerState {
        &self.state
    }

    /// Cells per box edge.
    pub fn cells_per_axis(&self) -> usize {
        self.cells_per_axis
    }

    /// Whether the step size is still being tuned.
    pub fn tuning(&self) -> bool {
        self.state.sweep < self.parameters.tuning_sweeps
    }

    /// The moves of all ranks since the last call, reset afterwards. Collective.
    pub fn take_counts(&mut self) -> MoveCounts {
        let local = std::mem::take(&mut self.counts);
        local.global(self.engine.comm())
    }

    /// The sum of the energy changes of all moves accepted on all ranks since the last call, reset
    /// afterwards: the change of the total energy, up to round-off. Collective.
    pub fn take_accepted_energy_change(&mut self) -> f64 {
        let local = std::mem::take(&mut self.accepted_energy_change);
        self.engine.sum([local])
    }

    /// The configuration in the frame of the starting configuration, on rank 0 (`None` elsewhere): the
    /// sampler's positions translated back by `state.shift` (so continuous from sweep to sweep up to
    /// round-off).
    /// Collective.
    pub fn configuration(&self) -> Option<Configuration> {
        let mut configuration = self.engine.gather_configuration()?;
        let l = configuration.box_length;
        for x in &mut configuration.positions {
            for a in 0..3 {
                x[a] = crate::model::wrap_coordinate(x[a] - self.state.shift[a], l);
            }
        }
        Some(configuration)
    }

    /// Every particle's displacement by accepted translations since the start, in id order, on rank 0.
    /// Collective.
    pub fn travel(&self) -> Option<Vec<[f64; 3]>> {
        self.engine.gather(&self.travel)
    }

    /// One sweep: every particle is attempted once. Collective.
    pub fn sweep(&mut self) {
        let sweep = self.state.sweep;
        let l = self.engine.decomposition().box_length;
        let m = self.cells_per_axis;
        let width = l / m as f64;
        let step = self.state.step_size;
        // The largest distance of any particle from its position at the list build, at the start of
        // the sweep: during the sweep no partner is further from it than this plus h = δ√3/2.
        let mut moved_most = 0.0;
        if sweep.is_multiple_of(self.parameters.grid_shift_interval) {
            // Move the cell grid relative to the particles by translating the system.
            let mut stream = rng::stream(self.seed, Stream::CellGridShift, &[sweep]);
            let shift: [f64; 3] = std::array::from_fn(|_| width * stream.random::<f64>());
            for a in 0..3 {
                self.state.shift[a] =
                    crate::model::wrap_coordinate(self.state.shift[a] + shift[a], l);
            }
            self.engine.translate(shift);
            self.rebuild();
        } else {
            // Every particle moves at most once per sweep, by at most δ√3/2: the lists stay exact
            // through the sweep if they are now with that margin to spare (a global decision).
            let [first, second] = self.engine.largest_displacements();
            if first + second + 3f64.sqrt() * step > self.engine.skin() {
                self.rebuild();
            } else {
                moved_most = first;
            }
        }
        let partner_travel = moved_most + 0.5 * 3f64.sqrt() * step;

        // Particles only change cells at list builds (a move that would leave its cell is rejected,
        // and the grid moves with a rebuild): the visiting order holds until the next build.
        if self
            .cells
            .as_ref()
            .is_none_or(|cells| cells.build != self.engine.builds())
        {
            self.cells = Some(CellOrder::new(&mut self.engine, m));
        }
        let CellOrder {
            order,
            colours,
            traffic_by_colour,
            packed,
            ..
        } = self.cells.as_mut().expect("just made");
        let mut moves = SweepMoves {
            potential: self.engine.potential().clone(),
            seed: self.seed,
            sweep,
            cells_per_axis: m,
            box_length: l,
            step_size: step,
            temperature: self.parameters.parent_temperature,
            swap_probability: self.parameters.swap_probability,
            max_size_difference: self.parameters.max_size_difference,
            partner_travel,
            packed,
            travel: &mut self.travel,
            counts: MoveCounts::default(),
            energy_change: 0.0,
            members: Vec::new(),
            scratch: Vec::new(),
        };
        // Cells of one colour are a cell width apart, so the order they are visited in does not
        // matter. The inner cells of a colour are visited while the ghost update of the colour before
        // travels (they need none of it), the border cells after it.
        for (position, &colour) in COLOUR_ORDER.iter().enumerate() {
            let [start, border, end] = colours[colour];
            if position == 0 {
                moves.visit(self.engine.particles_mut(), &order[start..end], &mut || {});
                continue;
            }
            let previous = COLOUR_ORDER[position - 1];
            self.engine.forward_ghost_traffic_around(
                &traffic_by_colour[previous],
                |particles, progress| moves.visit(particles, &order[start..border], progress),
            );
            moves.refresh_ghosts(&self.engine, &traffic_by_colour[previous]);
            moves.visit(self.engine.particles_mut(), &order[border..end], &mut || {});
        }
        let last = &traffic_by_colour[COLOUR_ORDER[7]];
        self.engine.forward_ghost_traffic(last);
        moves.refresh_ghosts(&self.engine, last);
        let SweepMoves {
            counts,
            energy_change,
            ..
        } = moves;
        self.counts.add(&counts);
        self.accepted_energy_change += energy_change;
        if self.tuning() {
            let global = counts.global(self.engine.comm());
            self.state.tuning_counts.add(&global);
        }
        self.state.sweep += 1;
        if self.state.sweep <= self.parameters.tuning_sweeps
            && self.state.sweep.is_multiple_of(TUNING_BLOCK)
        {
            self.tune();
        }
    }

    /// Scales δ towards the target acceptance from the moves of the last tuning block.
    fn tune(&mut self) {
        let block = std::mem::take(&mut self.state.tuning_counts);
        if block.translations == 0 {
            return;
        }
        let acceptance = block.translation_acceptance();
        let factor = (acceptance / self.parameters.target_acceptance).clamp(0.7, 1.3);
        self.state.step_size =
            (self.state.step_size * factor).min(self.parameters.largest_step_size());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::PackedParticles;
    use crate::model::{ModelParameters, evaluate};
    use crate::testing::spread_configuration;
    use rand::SeedableRng;

    #[test]
    fn energy_changes_equal_differences_of_the_total_energy_and_sweeps_conserve_particles() {
        let universe = mpi::initialize().unwrap();
        let world = universe.world();
        let parameters = ModelParameters::default();
        let potential = parameters.potential();
        let configuration = spread_configuration(&parameters, 600, 7);
        let total = |c: &Configuration| evaluate(c, &potential).energy;
        // The energy of the pairs that involve particle a or b, from the serial model.
        let involving = |c: &Configuration, a: usize, b: usize| {
            let mut energy = 0.0;
            crate::model::for_each_interacting_pair(c, &potential, |i, j, _, r2, size| {
                if i == a || j == a || i == b || j == b {
                    energy += potential.energy(r2, size);
                }
            });
            energy
        };
        let mut sampler = SwapMonteCarlo::new(
            &world,
            &configuration,
            potential.clone(),
            SwapParameters::at(0.5),
            11,
        )
        .unwrap();
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(5);
        let mut scratch = Vec::new();
        let mut scanned = [0, 0];
        let engine = sampler.engine();
        let ids = engine.local_ids().to_vec();
        let particles = engine.particles_mut();
        let packed = PackedParticles::new(particles.positions, particles.sizes);
        for _ in 0..50 {
            // A translation of a random particle.
            let i = rng.random_range(0..particles.n_local);
            let d: [f64; 3] = std::array::from_fn(|_| 0.3 * (rng.random::<f64>() - 0.5));
            let x = particles.positions[i];
            let to = [x[0] + d[0], x[1] + d[1], x[2] + d[2]];
            // Only the row's prefix for the particle's size (the shells of an any-size list).
            let row = particles.list.neighbours_within(i, particles.sizes[i]);
            scanned[0] += row.len();
            scanned[1] += particles.list.neighbours_of(i).len();
            let delta = translation(&potential, row, &packed, i, to, &mut scratch);
            let mut moved = configuration.clone();
            let id = ids[i] as usize;
            moved.positions[id] = to;
            let expected = involving(&moved, id, id) - involving(&configuration, id, id);
            assert!(
                (delta - expected).abs() < 1e-12 * (1.0 + expected.abs()),
                "translation: {delta} vs {expected}"
            );
            // A swap of two random particles.
            let j = rng.random_range(0..particles.n_local);
            if i == j {
                continue;
            }
            let larger = particles.sizes[i].max(particles.sizes[j]);
            let delta = swap(
                &potential,
                particles.list.neighbours_within(i, larger),
                particles.list.neighbours_within(j, larger),
                &packed,
                particles.ids,
                i,
                j,
                &mut scratch,
            );
            let mut swapped = configuration.clone();
            swapped.sizes.swap(ids[i] as usize, ids[j] as usize);
            let (a, b) = (ids[i] as usize, ids[j] as usize);
            let expected = involving(&swapped, a, b) - involving(&configuration, a, b);
            assert!(
                (delta - expected).abs() < 1e-12 * (1.0 + expected.abs()),
                "swap: {delta} vs {expected}"
            );
        }
        assert!(
            2 * scanned[0] < scanned[1] + scanned[1] / 2,
            "translations scanned {} of {} entries",
            scanned[0],
            scanned[1]
        );

        // Sweeps keep every particle, the multiset of sizes, and a consistent engine: the energy it
        // evaluates equals the serial model's on the gathered configuration.
        let energy_before = sampler.evaluate().energy;
        for _ in 0..30 {
            sampler.sweep();
        }
        let counts = sampler.take_counts();
        assert_eq!(counts.translations + counts.swaps, 30 * 600);
        // Every accepted move changed the energy by its computed ΔU: no partner was missed by the
        // scan of the list rows.
        let energy_change = sampler.take_accepted_energy_change();
        let energy_after = sampler.evaluate().energy;
        assert!(
            (energy_after - energy_before - energy_change).abs() < 1e-9 * energy_before.abs(),
            "energy changed by {} but the accepted moves by {energy_change}",
            energy_after - energy_before
        );
        assert!(
            counts.translations_accepted > 0 && counts.swaps_accepted > 0,
            "{counts:?}"
        );
        let gathered = sampler.configuration().unwrap();
        gathered.check().unwrap();
        let mut sizes = gathered.sizes.clone();
        let mut original = configuration.sizes.clone();
        sizes.sort_by(f64::total_cmp);
        original.sort_by(f64::total_cmp);
        assert_eq!(sizes, original);
        let travel = sampler.travel().unwrap();
        let moved = gathered
            .positions
            .iter()
            .zip(&configuration.positions)
            .zip(&travel)
            .all(|((x, x0), t)| {
                (0..3).all(|a| {
                    let d = crate::model::minimum_image(*x0, *x, gathered.box_length)[a];
                    (d - t[a]).abs() < 1e-9
                })
            });
        assert!(moved, "travel does not match the displacements");
        let energy = sampler.engine().evaluate().energy;
        let expected = total(&gathered);
        assert!(
            (energy - expected).abs() < 1e-10 * expected.abs(),
            "{energy} vs {expected}"
        );
    }

    #[test]
    fn the_colour_order_visits_every_colour_once_and_alternates_the_parity_along_x() {
        let mut sorted = COLOUR_ORDER;
        sorted.sort_unstable();
        assert_eq!(sorted, [0, 1, 2, 3, 4, 5, 6, 7]);
        for pair in COLOUR_ORDER.windows(2) {
            assert_ne!(
                pair[0] >> 2,
                pair[1] >> 2,
                "{pair:?}: the same parity along x"
            );
        }
        let y_changes = COLOUR_ORDER
            .windows(2)
            .filter(|pair| (pair[0] >> 1) & 1 != (pair[1] >> 1) & 1)
            .count();
        assert_eq!(y_changes, 6);
    }

    #[test]
    fn a_resumed_sampler_has_the_lists_of_the_uninterrupted_one() {
        let universe = mpi::initialize().unwrap();
        let world = universe.world();
        let parameters = ModelParameters::default();
        let potential = parameters.potential();
        let configuration = spread_configuration(&parameters, 1500, 2);
        let swap_parameters = SwapParameters {
            grid_shift_interval: 5,
            ..SwapParameters::at(0.8)
        };
        let mut running = SwapMonteCarlo::new(
            &world,
            &configuration,
            potential.clone(),
            swap_parameters.clone(),
            4,
        )
        .unwrap();
        // Stop between grid shifts, after the particles have moved since the last list build.
        for _ in 0..13 {
            running.sweep();
        }
        let (saved, resumed) = running.checkpoint().unwrap();
        let mut continued =
            SwapMonteCarlo::resume(&world, &saved, potential, swap_parameters, 4, resumed).unwrap();
        // The same rows, in the same order and shells (sums over them then agree bit for bit).
        let rows = |sampler: &mut SwapMonteCarlo| -> Vec<(u64, Vec<u64>, Vec<u32>)> {
            let engine = sampler.engine();
            let ids = engine.all_ids().to_vec();
            let list = engine.neighbour_list().clone();
            let mut rows: Vec<(u64, Vec<u64>, Vec<u32>)> = (0..engine.n_local())
                .map(|i| {
                    (
                        ids[i],
                        list.neighbours_of(i)
                            .iter()
                            .map(|&j| ids[j as usize])
                            .collect(),
                        list.shell_ends_of(i).to_vec(),
                    )
                })
                .collect();
            rows.sort();
            rows
        };
        assert_eq!(rows(&mut running), rows(&mut continued));
        for _ in 0..7 {
            running.sweep();
            continued.sweep();
        }
        let (a, b) = (
            running.configuration().unwrap(),
            continued.configuration().unwrap(),
        );
        assert_eq!(a.positions, b.positions);
        assert_eq!(a.sizes, b.sizes);
    }
}
